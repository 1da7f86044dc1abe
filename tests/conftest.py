"""Session fixtures for running Sampler Lab against the real ComfyUI host (tools/hostlib.py, tools/hostserver.py).

tests/pytest.ini puts tools/ on sys.path (and nothing else: the repo root never is, so `samplers` and `nodes` stay
the host's names); the core is `loader.core()`, the pack `hostlib.import_pack()`.
"""

import pytest

import families
import hostlib
import hostserver


@pytest.fixture(scope="session")
def host():
    """The hostlib module, with the host's comfy/ nodes importable in-process (CPU)."""
    hostlib.import_host()
    return hostlib


@pytest.fixture(scope="session")
def server():
    """One real ComfyUI server for the whole session (booted on first use), with our pack and the
    test fixture nodes installed. Fails loudly (log tail in the error) if it cannot boot."""
    srv = hostserver.HostServer()
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def family_on_host(host):
    """family_on_host(name): the tiny-model family `name` of tools/families.py, or a skip of the test naming what this
    host lacks for it."""

    def on_host(name: str) -> families.Family:
        family = families.FAMILIES[name]
        reason = families.missing_reason(family)
        if reason is not None:
            pytest.skip(f"{family.title} is missing on this host: {reason}")
        return family

    return on_host
