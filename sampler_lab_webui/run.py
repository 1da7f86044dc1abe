"""The state of one generation: a `Run` on the processing object `p` (`p.sampler_lab`), with what was patched
(undone after sampling) and A1111's model call in progress (`Call`).

Host callbacks read the run from the denoiser's `p`. Scheduler functions and A1111's denoised / after-CFG callbacks
get no `p` and no object that leads to it, so they read the run being processed (`active()`), which is unambiguous
because every host processes one generation at a time; that is the one module-level reference."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import torch

from .params import Settings


@dataclasses.dataclass
class Call:
    """What A1111's three CFG callbacks of one model call share: its CFG denoiser, the images' x and σ, and the
    positive prediction (from the denoised callback)."""

    denoiser: Any
    x: torch.Tensor
    sigma: torch.Tensor
    positive: torch.Tensor | None = None


@dataclasses.dataclass
class Run:
    """One generation: its settings, what was patched (restored after sampling) and A1111's model call in progress
    (for CFG rescale)."""

    settings: Settings
    restore: list[Callable[[], None]] = dataclasses.field(default_factory=list)
    call: Call | None = None


#: The generation being processed: the one reference for the host functions that get no `p`.
_ACTIVE: Run | None = None


def run_of(p) -> Run | None:
    return getattr(p, "sampler_lab", None)


def active() -> Run | None:
    return _ACTIVE


def begin(p, settings: Settings) -> Run:
    global _ACTIVE
    p.sampler_lab = _ACTIVE = Run(settings)
    return _ACTIVE


def restore(p) -> None:
    """Undo the patches of the last pass, newest first (idempotent)."""
    run = run_of(p)
    while run is not None and run.restore:
        run.restore.pop()()


def end(p) -> None:
    """Undo every patch of the generation and forget it."""
    global _ACTIVE
    restore(p)
    if _ACTIVE is run_of(p):
        _ACTIVE = None
