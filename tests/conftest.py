"""Session fixtures for running Sampler Lab against the real ComfyUI host (tools/hostlib.py, tools/hostserver.py)."""
import os
import sys

_TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
_REPO_DIR = os.path.dirname(_TESTS_DIR)
_TOOLS_DIR = os.path.join(_REPO_DIR, "tools")
if _TOOLS_DIR not in sys.path:
    sys.path.insert(0, _TOOLS_DIR)
if _REPO_DIR not in sys.path:
    # Appended (not prepended): the host's nodes.py must win over our nodes/ package for `import nodes`.
    sys.path.append(_REPO_DIR)

# Pin `samplers` to our core now: once the host is imported, ComfyUI's comfy/ directory (which holds its own
# samplers.py) sits early on sys.path and a later `import samplers` would find that module instead.
import samplers  # noqa: E402,F401

import pytest  # noqa: E402

import hostlib  # noqa: E402
import hostserver  # noqa: E402
import pack_root  # noqa: E402


pack_root.shield_pack_root()


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
