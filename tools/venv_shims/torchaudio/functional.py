"""torchaudio.functional stand-in: every name is a placeholder that raises when called."""

from ._samplerlab_standin import placeholder


def __getattr__(name: str):
    if name.startswith("__"):
        raise AttributeError(name)
    return placeholder(__name__, name)
