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

import types  # noqa: E402

# Pin `samplers` to our core now: once the host is imported, ComfyUI's comfy/ directory (which holds its own
# samplers.py) sits early on sys.path and a later `import samplers` would find that module instead.
import samplers  # noqa: E402,F401

import pytest  # noqa: E402

import hostlib  # noqa: E402
import hostserver  # noqa: E402


def _shield_repo_root_package():
    """The repo root has an __init__.py (it is the ComfyUI pack), so pytest treats it as a Package and, at
    setup of every test, imports it under its directory name (e.g. ``main``) -- outside the host, where
    ``comfy`` is not importable and the relative imports would make a second copy of the pack.
    Pre-register that name as an inert module with the same __file__: pytest finds it in sys.modules,
    sees no setup_module, and moves on. Tests get the real pack from ``hostlib.import_pack()``."""
    init = os.path.join(_REPO_DIR, "__init__.py")
    if not os.path.exists(init):
        return
    try:
        from pathlib import Path
        from _pytest.pathlib import resolve_pkg_root_and_module_name
        _, name = resolve_pkg_root_and_module_name(Path(init))
    except Exception:  # a folder name that is no identifier (e.g. a clone named comfyui-sampler-lab): pytest then
        name = "__init__"  # imports the file under its stem, as its import_path does
    if name in sys.modules:
        return
    stub = types.ModuleType(name, "inert stand-in for the pack root; use hostlib.import_pack()")
    stub.__file__ = init
    stub.__path__ = []
    sys.modules[name] = stub


_shield_repo_root_package()


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
