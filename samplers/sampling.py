"""Samplers of the probability-flow ODE dx/dσ = (x − D(x; σ))/σ (Karras et al. 2022, EDM, arXiv:2206.00364:
eq. 4 with σ(t) = t, s(t) = 1).

The schedule holds the host's levels ("sigma"): σ for VE-form models, t for flow models (`forms.py`). The ODE step is
the same in both: for flow, (x − D(x; t))/t = E[n − x0 | x_t] is the velocity of x_t = (1 − t)·x0 + t·n.

`denoiser(x, sigma)` returns D(x; σ), the x0 prediction, with sigma a 1-D tensor of batch size.
`callback`, if given, is called once per step with {"i", "x", "sigma", "sigma_hat", "denoised"}, where "x" is the
point the denoiser saw at "sigma_hat" (x̂_i after churn noise, x_i without).
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import torch

from .forms import VE, ModelForm
from .seeds import seeded_normal

Denoiser = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
NoiseSampler = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Callback = Callable[[dict[str, Any]], None]


def per_sample_noise_sampler(x: torch.Tensor, seeds: Sequence[int]) -> NoiseSampler:
    """Standard-normal noise shaped like x; sample k continues its own stream seeded with seeds[k] (`seeded_normal`).

    Sample k's noise depends on seeds[k] alone, so it is the same in any batch and on any device.
    Returns noise_sampler(sigma, sigma_hat) -> Tensor in x's dtype and device.
    """
    if len(seeds) != x.shape[0]:
        raise ValueError(f"seeds must have one entry per sample ({x.shape[0]}), got {len(seeds)}")
    generators = [torch.Generator().manual_seed(int(seed)) for seed in seeds]

    def noise_sampler(sigma: torch.Tensor, sigma_hat: torch.Tensor) -> torch.Tensor:
        return seeded_normal(seeds, x.shape[1:], generators, dtype=x.dtype, device=x.device)

    return noise_sampler


def check_churn_window(s_tmin: float, s_tmax: float, names: tuple[str, str] = ("s_tmin", "s_tmax")) -> None:
    """EDM Algorithm 2 churns where S_tmin ≤ σ_i ≤ S_tmax (Karras et al. 2022, line 3): refuse S_tmin > S_tmax (or
    NaN), naming the two inputs as the caller's host calls them (`names`)."""
    if not s_tmin <= s_tmax:
        low, high = names
        raise ValueError(f"input '{low}' ({s_tmin}) is above '{high}' ({s_tmax}); churn needs {low} ≤ {high}.")


def churn_gammas(sigmas: Sequence[float], s_churn: float, s_tmin: float, s_tmax: float) -> list[float]:
    """EDM Algorithm 2's γ_i for steps i = 0 … N−1 of a schedule of N + 1 levels:
    γ_i = min(S_churn/N, √2 − 1) where S_tmin ≤ σ_i ≤ S_tmax (inclusive), else 0."""
    steps = len(sigmas) - 1
    gamma = min(s_churn / steps, math.sqrt(2) - 1) if steps > 0 else 0.0
    return [gamma if s_tmin <= sigma <= s_tmax else 0.0 for sigma in sigmas[:-1]]


def _checked_sigmas(x: torch.Tensor, sigmas: torch.Tensor) -> torch.Tensor:
    """Refuse input that would only show up as NaN later; return sigmas on x's device, in x's or sigmas' dtype,
    whichever is wider, and never below float32."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point() or x.ndim < 1:
        raise TypeError(f"x must be a floating-point tensor [B, ...], got {type(x).__name__} {getattr(x, 'dtype', '')}")
    if not isinstance(sigmas, torch.Tensor) or sigmas.ndim != 1 or len(sigmas) < 2:
        raise ValueError("sigmas must be a 1-D tensor with at least 2 entries (start and end noise levels)")
    if not bool(torch.isfinite(x).all()):
        raise ValueError("x holds NaN or inf values")
    if not bool(torch.isfinite(sigmas).all()):
        raise ValueError("sigmas holds NaN or inf values")
    if bool((sigmas[1:] > sigmas[:-1]).any()) or not bool((sigmas[:-1] > 0).all()) or sigmas[-1] < 0:
        raise ValueError("sigmas must be non-increasing, > 0 except for the last entry, which may be 0")
    dtype = torch.promote_types(torch.promote_types(x.dtype, sigmas.dtype), torch.float32)
    return sigmas.to(device=x.device, dtype=dtype)


def _to_d(x: torch.Tensor, sigma: float | torch.Tensor, denoised: torch.Tensor) -> torch.Tensor:
    """dx/dσ = (x − D(x; σ))/σ (EDM eq. 4 with σ(t) = t; EDM eq. 3 gives the score as (D − x)/σ²)."""
    return (x - denoised) / sigma


@torch.no_grad()
def sample_euler(
    denoiser: Denoiser, x: torch.Tensor, sigmas: torch.Tensor, *, callback: Callback | None = None
) -> torch.Tensor:
    """Euler's method on the probability-flow ODE from sigmas[0] to sigmas[-1]: N = len(sigmas) − 1 evaluations."""
    sigmas = _checked_sigmas(x, sigmas)
    ones = sigmas.new_ones(x.shape[0])
    levels = sigmas.tolist()  # step control on the host side: no device syncs inside the loop
    for i in range(len(sigmas) - 1):
        denoised = denoiser(x, sigmas[i] * ones).to(x.dtype)
        if callback is not None:
            callback({"i": i, "x": x, "sigma": sigmas[i], "sigma_hat": sigmas[i], "denoised": denoised})
        t, t_next = levels[i], levels[i + 1]
        x = denoised if t_next == 0 else x + (t_next - t) * _to_d(x, t, denoised)  # to t = 0 the step gives D
    return x


@torch.no_grad()
def sample_heun_churn(
    denoiser: Denoiser,
    x: torch.Tensor,
    sigmas: torch.Tensor,
    *,
    s_churn: float = 0.0,
    s_tmin: float = 0.0,
    s_tmax: float = math.inf,
    s_noise: float = 1.0,
    noise_sampler: NoiseSampler | None = None,
    callback: Callback | None = None,
    form: ModelForm = VE,
) -> torch.Tensor:
    """EDM Algorithm 2 (Karras et al. 2022): Heun's 2nd-order method with churn, N = len(sigmas) − 1 steps.

    x: starting point at level sigmas[0] (e.g. σmax·ε); sigmas: the levels t_i, non-increasing, > 0 except the last
    (may be 0). form: the model's form x = s(t)·(x0 + σ(t)·n) (EDM eq. 4, `forms.VE` or `forms.FLOW`); it decides
    only the churn, the ODE steps run in the levels t as given (dx/dt = (x − D(x; t))/t holds for both forms).
    s_churn ≥ 0: total churn; γ_i = min(S_churn/N, √2 − 1) where s_tmin ≤ σ(t_i) ≤ s_tmax (inclusive, on the noise
    level σ(t_i) of the form, so EDM's S_tmin = 0.05, S_tmax = 50 mean the same for every form), else 0; a level with
    σ(t_i) = ∞ (flow's t = 1) gets no churn: x is pure noise there already.
    s_noise ≥ 0: std of ε (line 4). With s_churn = 0 this is Algorithm 1 (deterministic) and the form is not used.
    A schedule ending in 0 costs 2N − 1 evaluations (Euler on the step to 0, line 9), one ending above 0 costs 2N.
    The denoiser's output is cast to x's dtype: the loop computes in x's dtype, σ in float32 or wider.
    noise_sampler(sigma, sigma_hat): standard-normal noise shaped like x (given the levels of σ_i and σ̂); default
    `per_sample_noise_sampler` with seed k for sample k (never the global RNG).
    The line comments follow Algorithm 2 (σ(t) = t), writing its raised level t̂_i as σ̂ (`sigma_hat`); the model and
    the ODE steps (lines 7–11) take the form's level of σ̂, t(σ̂) (`t_of_sigma_hat`), which is σ̂ itself for VE.
    """
    sigmas = _checked_sigmas(x, sigmas)
    if not s_churn >= 0:
        raise ValueError(f"s_churn must be ≥ 0, got {s_churn!r}")
    if not s_noise >= 0:
        raise ValueError(f"s_noise must be ≥ 0, got {s_noise!r}")
    check_churn_window(s_tmin, s_tmax)
    if noise_sampler is None:
        noise_sampler = per_sample_noise_sampler(x, range(x.shape[0]))
    ones = sigmas.new_ones(x.shape[0])
    levels = sigmas.tolist()  # step control on the host side: no device syncs inside the loop
    noise_levels = [form.sigma(t) for t in levels]  # σ(t_i): γ_i is chosen on these (line 3)
    gammas = churn_gammas(noise_levels, s_churn, s_tmin, s_tmax)
    for i, gamma in enumerate(gammas):
        t, t_next, sigma = levels[i], levels[i + 1], noise_levels[i]
        t_of_sigma_hat = t  # t(σ̂); t_i where there is no churn (σ̂ = σ(t_i))
        if gamma > 0 and sigma < math.inf:  # lines 4–6; none at σ = ∞, where x is pure noise already
            sigma_hat = sigma * (1 + gamma)  # line 5: increase noise temporarily, σ̂ = σ(t_i)(1 + γ_i)
            t_of_sigma_hat = form.level(sigma_hat)
            eps = noise_sampler(sigmas[i], t_of_sigma_hat * ones[0])  # line 4: ε ~ N(0, S_noise² I)
            # line 6 on the unscaled x̃ = x/s(t) = x0 + σ·n (EDM eq. 4): x̃ + √(σ̂² − σ²)·ε = x0 + σ̂·n', times s(t(σ̂))
            x = form.scale(t_of_sigma_hat) * (x / form.scale(t) + math.sqrt(sigma_hat**2 - sigma**2) * s_noise * eps)
        denoised = denoiser(x, t_of_sigma_hat * ones).to(x.dtype)  # line 7: D(x̂_i; σ̂)
        if callback is not None:  # the host's callback key "sigma_hat" holds the level t(σ̂)
            callback({"i": i, "x": x, "sigma": sigmas[i], "sigma_hat": t_of_sigma_hat * ones[0], "denoised": denoised})
        if t_next == 0:  # line 8 on the step to 0: x̂_i + (0 − σ̂)·d_i = D(x̂_i; σ̂), no correction (line 9)
            x = denoised
            continue
        d = _to_d(x, t_of_sigma_hat, denoised)  # line 7: d_i = (x̂_i − D)/σ̂
        x_next = x + (t_next - t_of_sigma_hat) * d  # line 8: Euler step to t_{i+1}
        d_next = _to_d(x_next, t_next, denoiser(x_next, t_next * ones).to(x.dtype))  # line 10
        x = x + (t_next - t_of_sigma_hat) * (d + d_next) / 2  # line 11: 2nd-order correction
    return x
