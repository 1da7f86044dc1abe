"""A model's form in EDM's general terms (Karras et al. 2022, arXiv:2206.00364, §2 "Time-dependent
signal scaling", eq. 4, Table 1).

EDM writes the state of every diffusion model as x = s(t)·x̃ with x̃ = x0 + σ(t)·n, n ~ N(0, I): s(t) scales the
signal, σ(t) is the noise level of the unscaled x̃. t is the level a sampler's schedule holds (the host's "sigma").
- VE: t = σ, s = 1. What ε, v and EDM models look like to k-diffusion-style samplers (the host scales them so).
- FLOW (rectified flow, x_t = (1 − t)·x0 + t·n, t ∈ [0, 1]): s(t) = 1 − t, σ(t) = t/(1 − t), so t(σ) = σ/(1 + σ);
  t = 1 is pure noise, σ(1) = ∞.
The functions take and return Python floats: samplers run their step control on the host side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class ModelForm:
    """s(t) and σ(t) of EDM eq. 4 for one family of models, with the inverse t(σ)."""

    name: str
    sigma: Callable[[float], float]  #: σ(t) ≥ 0, the noise level of x̃ = x/s(t); may be inf
    scale: Callable[[float], float]  #: s(t) ≥ 0, the signal scale: x = s(t)·x̃
    level: Callable[[float], float]  #: t(σ), the level whose noise level is σ (inverse of `sigma`)


def _flow_sigma(t: float) -> float:
    """σ(t) = t/(1 − t) for t ∈ [0, 1]; ∞ at t = 1."""
    return math.inf if t >= 1 else t / (1 - t)


def _flow_level(sigma: float) -> float:
    """t(σ) = σ/(1 + σ) ∈ [0, 1) for finite σ ≥ 0; 1 at σ = ∞."""
    return 1.0 if math.isinf(sigma) else sigma / (1 + sigma)


VE = ModelForm("VE", sigma=lambda t: t, scale=lambda t: 1.0, level=lambda sigma: sigma)
FLOW = ModelForm("flow", sigma=_flow_sigma, scale=lambda t: 1.0 - t, level=_flow_level)


#: σmax of EDM (Karras et al. 2022, §5: σ ∈ [0.002, 80]) for a model whose top level has σ = ∞ (flow's t = 1):
#: eq. 5 needs a finite σmax. On flow models, Karras σ over [σ(t_min), 80] beats the same schedule up to the σ of the
#: highest table level below t = 1 (≈ 3000 at shift 3) and the host's karras over t, at every NFE measured
#: (bench/results/solvers.md).
FINITE_SIGMA_MAX = 80.0


def noise_level_range(form: ModelForm, level_min: float, level_max: float) -> tuple[float, float]:
    """(σmin, σmax), the noise levels σ(t) of a model's lowest and highest level (its "sigma_min" / "sigma_max"), for
    EDM eq. 5; σmax = FINITE_SIGMA_MAX where σ(level_max) = ∞ (and σmin is below it)."""
    sigma_min, sigma_max = form.sigma(level_min), form.sigma(level_max)
    if math.isinf(sigma_max) and sigma_min < FINITE_SIGMA_MAX:
        sigma_max = FINITE_SIGMA_MAX
    return sigma_min, sigma_max
