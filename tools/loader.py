"""The one loader of this clone's packages for tests, tools, bench and the demo, each under its unique name.

The folder names `samplers/` and `nodes/` clash with the host's own modules (ComfyUI's comfy/samplers.py and
nodes.py), so nothing here puts the repo root on sys.path:
- `core()`: the core `samplers/`, as `sampler_lab_core` (loaded by the web UI adapter, as in AUTOMATIC1111);
- `webui()`: the A1111/Forge adapter `sampler_lab_webui/` (host-free until its `script` module is imported);
- `pack()`: the ComfyUI pack (the repo root), as `comfyui_sampler_lab`, the way ComfyUI imports a custom node folder
  (its relative imports give `comfyui_sampler_lab.samplers`, `.nodes`); the host must be importable first
  (`hostlib.import_host`).
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
from types import ModuleType

TOOLS_DIR = os.path.dirname(os.path.realpath(__file__))
REPO_DIR = os.path.dirname(TOOLS_DIR)
PACK_NAME = "comfyui_sampler_lab"
WEBUI_NAME = "sampler_lab_webui"


def webui() -> ModuleType:
    """The web UI adapter as `sampler_lab_webui` (which loads the core as `sampler_lab_core`)."""
    if WEBUI_NAME not in sys.modules:  # found by name in the repo root, which stays off sys.path
        spec = importlib.machinery.PathFinder.find_spec(WEBUI_NAME, [REPO_DIR])
        if spec is None or spec.loader is None:
            raise ImportError(f"no {WEBUI_NAME} package in {REPO_DIR}")
        sys.modules[WEBUI_NAME] = module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[WEBUI_NAME]
            raise
    return sys.modules[WEBUI_NAME]


def load_package(name: str, directory: str) -> ModuleType:
    """`sampler_lab_webui.load_package`: `directory` as the package `name`."""
    return webui().load_package(name, directory)


def core() -> ModuleType:
    return webui().core


def pack() -> ModuleType:
    return load_package(PACK_NAME, REPO_DIR)
