"""The state of one generation: a `Run` on its processing object `p` (`p.sampler_lab`) from the script's `process` to
its `postprocess`, with what was patched (undone after each pass) and A1111's model call in progress (`Call`).

Everything the host hands a handle to reads the run from it: the script hooks get `p`, the sampler function the CFG
denoiser (`model.p`), the on_cfg_denoiser callbacks their params' `denoiser.p`. Three host functions get none; see
`active()`.
"""

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


# The one module-level reference, for the host functions that get nothing leading to `p`:
# - schedule-type functions: A1111 1.10's and Forge's `KDiffusionSampler.get_sigmas` call them with n, sigma_min,
#   sigma_max and device only (plus the k-diffusion model wrapper where `need_inner_model`, which neither leads to
#   `p` nor may be set for the Karras schedule without changing what the API's /sdapi/v1/schedulers reports);
# - A1111's on_cfg_denoised callback: its params carry only that model wrapper, not the CFG denoiser;
# - A1111's on_cfg_after_cfg callback: its params carry the guided x and the step counts, nothing else.
# It is the run of the generation being processed, unambiguous because every host processes one at a time (under
# its queue lock); `begin` sets it and `end` clears it.
_ACTIVE: Run | None = None


def run_of(p) -> Run | None:
    """The run on the processing object `p` (None: no Sampler Lab generation)."""
    return getattr(p, "sampler_lab", None)


def active() -> Run | None:
    """The run of the generation being processed, for the host functions that get no handle to it (see `_ACTIVE`)."""
    return _ACTIVE


def begin(p, settings: Settings) -> Run:
    """A new run of `settings` on `p`, the one being processed from now on."""
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
