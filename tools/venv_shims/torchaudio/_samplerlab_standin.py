"""Sampler Lab test environments only: names of the torchaudio stand-in. Each attribute is a placeholder class:
importing, subclassing and referencing work; calling or instantiating raises."""

from __future__ import annotations

MESSAGE = (
    "torchaudio is a stand-in in this Sampler Lab test environment (no PyPI torchaudio loads beside CPU torch "
    "2.13); audio features are unavailable here"
)


def placeholder(module: str, name: str) -> type:
    def unavailable(*args, **kwargs):
        raise RuntimeError(f"{module}.{name}: {MESSAGE}")

    return type(name, (), {"__init__": unavailable, "__module__": module, "__new__": staticmethod(unavailable)})
