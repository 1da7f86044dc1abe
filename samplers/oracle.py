"""Exact denoisers for testing samplers: the ideal denoiser of a Gaussian mixture (EDM, Karras et al. 2022,
arXiv:2206.00364: §2, the minimiser of eq. 2)."""

from __future__ import annotations

from typing import Callable

import torch

from .forms import ModelForm

Denoiser = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def mixture_posterior_mean(
    x: torch.Tensor, var: torch.Tensor, means: torch.Tensor, sq_norms: torch.Tensor, log_weights: torch.Tensor
) -> torch.Tensor:
    """E[μ_k | x] for x = μ_k + √var·n, k ~ w: Σ_k r_k μ_k with r_k = softmax_k(log w_k − ‖x − μ_k‖²/(2 var)).

    x [B, D], var [B, 1] (> 0), means [K, D], sq_norms = ‖μ_k‖² [K], log_weights [K] or per row [B, K] (−inf = 0).
    Computed in the inputs' dtype (callers pass float64): ‖x − μ_k‖² is expanded as ‖x‖² − 2x·μ_k + ‖μ_k‖².
    """
    dist_sq = (x * x).sum(dim=1, keepdim=True) - 2 * x @ means.T + sq_norms
    return torch.softmax(log_weights - dist_sq / (2 * var), dim=1) @ means


def gaussian_mixture_denoiser(means: torch.Tensor, weights: torch.Tensor, std: float) -> Denoiser:
    """D(x; σ) = E[x0 | x0 + σn = x] for data x0 ~ Σ_k w_k N(μ_k, s²I), n ~ N(0, I), in closed form.

    Responsibilities r_k = softmax_k(log w_k − ‖x − μ_k‖²/(2(s² + σ²))); D = Σ_k r_k (s²x + σ²μ_k)/(s² + σ²),
    computed as m + s²(x − m)/(s² + σ²) with m = Σ_k r_k μ_k, so σ = ∞ gives the data mean Σ_k w_k μ_k.
    means: [K, ...] (std = 0 makes it the ideal denoiser of the empirical data set `means`); weights: [K], positive,
    normalised here; std: s ≥ 0. The returned D takes x [B, ...] and σ > 0 (∞ allowed) as a 1-D tensor [B] (or a
    scalar); it computes in float64 and returns x's dtype and device.
    """
    if not std >= 0:
        raise ValueError(f"std must be ≥ 0, got {std!r}")
    if weights.shape != means.shape[:1] or not bool((weights > 0).all()):
        raise ValueError(
            f"weights must be positive, one per component of means ({len(means)}), got shape {tuple(weights.shape)}"
        )
    mu = means.reshape(len(means), -1).double()
    log_w = weights.double().log() - weights.double().sum().log()
    mu_sq = (mu**2).sum(dim=1)
    data_var = float(std) ** 2

    def denoiser(x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(x.shape[0], -1).to(device=mu.device, dtype=torch.float64)
        noise_var = torch.as_tensor(sigma, dtype=torch.float64, device=mu.device).reshape(-1, 1) ** 2
        var = (data_var + noise_var).expand(x.shape[0], 1)
        mean = mixture_posterior_mean(flat, var, mu, mu_sq, log_w)  # E[μ_k | x], responsibilities at s² + σ²
        out = mean + data_var * (flat - mean) / var  # then each Gaussian's own posterior mean, mixed
        return out.reshape(x.shape).to(device=x.device, dtype=x.dtype)

    return denoiser


def denoiser_in_form(denoiser: Denoiser, form: ModelForm) -> Denoiser:
    """The denoiser D(x; t) = E[x0 | x] of a model of `form` (x = s(t)·(x0 + σ(t)·n)), from the VE-form denoiser D̃ of
    the same data: D(x; t) = D̃(x/s(t); σ(t)), as EDM eq. 4 evaluates the score at x/s(t) and σ(t).

    For `forms.FLOW`: E[x0 | (1 − t)·x0 + t·n = x] = D̃(x/(1 − t); t/(1 − t)). Where s(t) = 0 (flow's t = 1, σ = ∞) x
    holds no signal; x̃ is taken as 0 there and D̃ must accept σ = ∞ (`gaussian_mixture_denoiser` gives the data mean).
    The returned D takes x [B, ...] and the levels t as a 1-D tensor [B] (or a scalar); it returns x's dtype.
    """

    def denoiser_of_form(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        levels = torch.as_tensor(t, dtype=torch.float64).reshape(-1).expand(x.shape[0]).tolist()
        scale = torch.tensor([form.scale(level) for level in levels], dtype=torch.float64, device=x.device)
        scale = scale.reshape(-1, *([1] * (x.ndim - 1)))
        sigma = torch.tensor([form.sigma(level) for level in levels], dtype=torch.float64, device=x.device)
        x_tilde = torch.where(scale > 0, x.double() / scale, 0.0)
        return denoiser(x_tilde, sigma).to(x.dtype)

    return denoiser_of_form
