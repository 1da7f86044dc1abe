"""Sampler Lab for AUTOMATIC1111 1.10 and Forge: a thin adapter from the web UIs' types to the pure-torch core.

Loaded by `scripts/sampler_lab.py` under this unique package name. The core `samplers/` is loaded as
`sampler_lab_core` (never as a top-level `samplers`, which would clash with the host's or another extension's
modules); neither the ComfyUI pack root nor `nodes/` is ever imported here.
"""
from __future__ import annotations

import importlib.util
import os
import sys
from types import ModuleType

REPO_DIR = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
CORE_NAME = "sampler_lab_core"


def load_core() -> ModuleType:
    """The core package `samplers/` as `sampler_lab_core` (loaded once per process)."""
    if CORE_NAME in sys.modules:
        return sys.modules[CORE_NAME]
    core_dir = os.path.join(REPO_DIR, "samplers")
    spec = importlib.util.spec_from_file_location(CORE_NAME, os.path.join(core_dir, "__init__.py"),
                                                  submodule_search_locations=[core_dir])
    module = importlib.util.module_from_spec(spec)
    sys.modules[CORE_NAME] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        for name in [n for n in sys.modules if n == CORE_NAME or n.startswith(CORE_NAME + ".")]:
            del sys.modules[name]
        raise
    return module


core = load_core()
