"""Keeps pytest from importing the repo root as a package in a test process.

The repo root has an __init__.py (it is the ComfyUI pack), so pytest treats it as a Package and, at setup of every
test, imports it by the name it resolves for that file (the folder's name, or `__init__` where the folder name is no
identifier, e.g. a clone named comfyui-sampler-lab) -- outside the host, where `comfy` is not importable and the
relative imports would make a second copy of the pack. Pre-registering that name as an inert module with the same
__file__ makes pytest find it in sys.modules, see no setup_module, and move on. Used by tests/conftest.py and the
webui cases' runner; tests get the real pack from `hostlib.import_pack()`.
"""
from __future__ import annotations

import os
import sys
import types
from pathlib import Path

REPO_DIR = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))


def shield_pack_root() -> None:
    init = Path(REPO_DIR, "__init__.py")
    if not init.exists():
        return
    from _pytest.pathlib import CouldNotResolvePathError, resolve_pkg_root_and_module_name
    try:
        _, name = resolve_pkg_root_and_module_name(init)
    except CouldNotResolvePathError:
        name = init.stem  # pytest's own fallback in import_path
    stub = types.ModuleType(name, "inert stand-in for the pack root; use hostlib.import_pack()")
    stub.__file__, stub.__path__ = str(init), []
    sys.modules.setdefault(name, stub)
