"""Samplers of the probability-flow ODE dx/dσ = (x − D(x; σ))/σ (EDM: σ(t) = t, s(t) = 1).

`denoiser(x, sigma)` returns D(x; σ), the x0 prediction, with sigma a 1-D tensor of batch size.
`callback`, if given, is called once per step with {"i", "x", "sigma", "sigma_hat", "denoised"}.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import torch

Denoiser = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
NoiseSampler = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def per_sample_noise_sampler(x: torch.Tensor, seeds: Sequence[int]) -> NoiseSampler:
    """Standard-normal noise shaped like x, sample k drawn from its own CPU generator seeded with seeds[k].

    Sample k's stream depends on seeds[k] alone, so it gets the same noise in any batch and on any device.
    """
    if len(seeds) != x.shape[0]:
        raise ValueError(f"seeds must have one entry per sample ({x.shape[0]}), got {len(seeds)}")
    generators = [torch.Generator().manual_seed(int(seed)) for seed in seeds]

    def noise(sigma: torch.Tensor, sigma_hat: torch.Tensor) -> torch.Tensor:
        samples = [torch.randn(x.shape[1:], generator=g, dtype=torch.float32) for g in generators]
        return torch.stack(samples).to(device=x.device, dtype=x.dtype)

    return noise


def _check(x: torch.Tensor, sigmas: torch.Tensor) -> None:
    """Refuse input that would only show up as NaN in the output."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError(f"x must be a floating-point tensor, got {type(x).__name__}")
    if not isinstance(sigmas, torch.Tensor) or sigmas.ndim != 1 or len(sigmas) < 2:
        raise ValueError("sigmas must be a 1-D tensor with at least 2 entries (start and end noise levels)")
    if not torch.isfinite(x).all():
        raise ValueError("x holds NaN or inf values")
    if not torch.isfinite(sigmas).all():
        raise ValueError("sigmas holds NaN or inf values")
    if (sigmas < 0).any() or (sigmas[1:] > sigmas[:-1]).any():
        raise ValueError("sigmas must be ≥ 0 and non-increasing")


def _sigma_tensors(x: torch.Tensor, sigmas: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """σ on x's device in at least float32 (float64 for float64 x), and a batch of ones to broadcast σ per sample."""
    dtype = torch.promote_types(x.dtype, torch.float32)
    return sigmas.to(device=x.device, dtype=dtype), torch.ones(x.shape[0], device=x.device, dtype=dtype)


def _to_d(x: torch.Tensor, sigma: torch.Tensor, denoised: torch.Tensor) -> torch.Tensor:
    """dx/dσ = (x − D(x; σ))/σ (EDM eq. 4 with σ(t) = t)."""
    return (x - denoised) / sigma


@torch.no_grad()
def sample_euler(denoiser: Denoiser, x: torch.Tensor, sigmas: torch.Tensor, *, callback=None) -> torch.Tensor:
    """Euler's method on the probability-flow ODE: N steps, N evaluations."""
    _check(x, sigmas)
    sigmas, ones = _sigma_tensors(x, sigmas)
    for i in range(len(sigmas) - 1):
        denoised = denoiser(x, sigmas[i] * ones)
        if callback is not None:
            callback({"i": i, "x": x, "sigma": sigmas[i], "sigma_hat": sigmas[i], "denoised": denoised})
        x = x + _to_d(x, sigmas[i], denoised) * (sigmas[i + 1] - sigmas[i])
    return x


@torch.no_grad()
def sample_heun_churn(denoiser: Denoiser, x: torch.Tensor, sigmas: torch.Tensor, *, s_churn: float = 0.0,
                      s_tmin: float = 0.0, s_tmax: float = math.inf, s_noise: float = 1.0,
                      noise_sampler: NoiseSampler | None = None, callback=None) -> torch.Tensor:
    """EDM Algorithm 2 (Karras et al. 2022): Heun steps with churn.

    γ_i = min(S_churn/N, √2 − 1) where S_tmin ≤ σ_i ≤ S_tmax, else 0; σ̂_i = σ_i(1 + γ_i);
    x̂_i = x_i + √(σ̂_i² − σ_i²)·S_noise·ε; Euler step to σ_{i+1}, corrected by Heun unless σ_{i+1} = 0.
    A schedule ending in 0 costs 2N − 1 evaluations, one ending above 0 costs 2N.
    Default noise: `per_sample_noise_sampler` with seed k for sample k (never the global RNG).
    """
    _check(x, sigmas)
    if not s_churn >= 0:
        raise ValueError(f"s_churn must be ≥ 0, got {s_churn!r}")
    if not s_noise >= 0:
        raise ValueError(f"s_noise must be ≥ 0, got {s_noise!r}")
    if not 0 <= s_tmin <= s_tmax:
        raise ValueError(f"need 0 ≤ s_tmin ≤ s_tmax, got s_tmin={s_tmin!r}, s_tmax={s_tmax!r}")
    noise_sampler = noise_sampler or per_sample_noise_sampler(x, range(x.shape[0]))
    sigmas, ones = _sigma_tensors(x, sigmas)
    steps = len(sigmas) - 1
    for i in range(steps):
        sigma, sigma_next = sigmas[i], sigmas[i + 1]
        gamma = min(s_churn / steps, 2 ** 0.5 - 1) if s_tmin <= sigma <= s_tmax else 0.0
        sigma_hat = sigma * (1 + gamma)
        if gamma > 0:
            x = x + (sigma_hat ** 2 - sigma ** 2).sqrt() * s_noise * noise_sampler(sigma, sigma_hat)
        denoised = denoiser(x, sigma_hat * ones)
        d = _to_d(x, sigma_hat, denoised)
        if callback is not None:
            callback({"i": i, "x": x, "sigma": sigma, "sigma_hat": sigma_hat, "denoised": denoised})
        x_next = x + d * (sigma_next - sigma_hat)
        if sigma_next > 0:
            d_next = _to_d(x_next, sigma_next, denoiser(x_next, sigma_next * ones))
            x_next = x + (d + d_next) / 2 * (sigma_next - sigma_hat)
        x = x_next
    return x
