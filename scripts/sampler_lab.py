"""AUTOMATIC1111 / Forge entry of Sampler Lab (the web UIs import every .py file directly under scripts/).

Loads the adapter package `sampler_lab_webui` from this clone under its own unique name (never a bare `samplers`,
`modules` or `webui`, which would clash with the host's or another extension's modules) and exposes its Script class.
"""
import importlib.util
import os
import sys

_ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
_NAME = "sampler_lab_webui"


def _load_adapter():
    if _NAME in sys.modules:
        return sys.modules[_NAME]
    package_dir = os.path.join(_ROOT, _NAME)
    spec = importlib.util.spec_from_file_location(_NAME, os.path.join(package_dir, "__init__.py"),
                                                  submodule_search_locations=[package_dir])
    module = importlib.util.module_from_spec(spec)
    sys.modules[_NAME] = module
    spec.loader.exec_module(module)
    return module


_load_adapter()
from sampler_lab_webui.script import make_script_class  # noqa: E402

SamplerLabScript = make_script_class()
