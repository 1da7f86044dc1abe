"""Import-only torchaudio stand-in for Sampler Lab's test environments (see tools/venv_shims/install.py)."""

from . import functional, transforms  # noqa: F401
from ._samplerlab_standin import placeholder

__version__ = "0.0.0+samplerlab.standin"


def __getattr__(name: str):
    if name.startswith("__"):
        raise AttributeError(name)
    return placeholder(__name__, name)
