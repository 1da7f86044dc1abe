"""Session fixtures for running Sampler Lab against the real ComfyUI host (tools/hostlib.py, tools/hostserver.py).

tests/pytest.ini puts tools/ on sys.path (and nothing else: the repo root never is, so `samplers` and `nodes` stay
the host's names); the core is `loader.core()`, the pack `hostlib.import_pack()`.
"""

import pytest

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
