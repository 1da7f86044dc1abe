"""Exact denoisers for testing samplers: the ideal denoiser of a Gaussian mixture (EDM §2, eq. 3 minimiser)."""
from __future__ import annotations

import torch


def gaussian_mixture_denoiser(means: torch.Tensor, weights: torch.Tensor, std: float):
    """D(x; σ) = E[x0 | x0 + σn = x] for data x0 ~ Σ_k w_k N(μ_k, s²I), n ~ N(0, I), in closed form.

    Responsibilities r_k ∝ w_k·N(x; μ_k, (s² + σ²)I); D = Σ_k r_k·(s²x + σ²μ_k)/(s² + σ²).
    means: [K, ...] (one data point per component when std = 0: the ideal denoiser of an empirical data set);
    weights: [K], positive; std: s ≥ 0. Computed in float64; returns x's dtype. σ: 1-D tensor [B] or scalar.
    """
    if std < 0:
        raise ValueError(f"std must be ≥ 0, got {std!r}")
    if weights.shape != means.shape[:1] or not bool((weights > 0).all()):
        raise ValueError("weights must be positive, one per component of means")
    mu = means.reshape(len(means), -1).double()
    log_w = (weights.double() / weights.double().sum()).log()
    mu_sq = (mu ** 2).sum(dim=1)

    def denoiser(x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(x.shape[0], -1).to(dtype=torch.float64, device=mu.device)
        var = (std ** 2 + torch.as_tensor(sigma, dtype=torch.float64, device=mu.device).reshape(-1, 1) ** 2)
        var = var.expand(x.shape[0], 1)
        dist_sq = (flat ** 2).sum(dim=1, keepdim=True) - 2 * flat @ mu.T + mu_sq  # ||x − μ_k||²
        resp = torch.softmax(log_w - dist_sq / (2 * var), dim=1)
        posterior_mean_mu = resp @ mu
        out = (std ** 2 * flat + (var - std ** 2) * posterior_mean_mu) / var
        return out.reshape(x.shape).to(device=x.device, dtype=x.dtype)

    return denoiser
