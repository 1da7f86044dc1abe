"""Sampler Lab for AUTOMATIC1111 1.10 and Forge: a thin adapter from the web UIs' types to the pure-torch core.

Imported by `scripts/sampler_lab.py` under this unique package name (and by tools/loader.py for tests, tools and
bench). The core `samplers/` is loaded as `sampler_lab_core` (never as a top-level `samplers`, which would clash with
the host's or another extension's modules); neither the ComfyUI pack root nor `nodes/` is ever imported here.
`load_package` is the clone's one loader of a folder under a unique name (tools/loader.py uses it for the pack too).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from types import ModuleType
from typing import TYPE_CHECKING

REPO_DIR = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
CORE_NAME = "sampler_lab_core"


def load_package(name: str, directory: str) -> ModuleType:
    """Import `directory` (with its __init__.py) as the package `name`, as a host imports an extension folder;
    already imported: that module. A failed import leaves nothing of it in sys.modules."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(directory, "__init__.py"), submodule_search_locations=[directory]
    )
    if spec is None or spec.loader is None:
        raise ImportError(f"no package at {directory}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
            del sys.modules[key]
        raise
    return module


if TYPE_CHECKING:  # the type checker sees the clone as one package (pyproject.toml [tool.mypy])
    from .. import samplers as core
else:
    core = load_package(CORE_NAME, os.path.join(REPO_DIR, "samplers"))
