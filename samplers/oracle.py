"""Exact denoisers for testing samplers: the ideal denoiser of a Gaussian mixture (EDM §2, the minimiser of eq. 2)."""
from __future__ import annotations

from typing import Callable

import torch


def gaussian_mixture_denoiser(means: torch.Tensor, weights: torch.Tensor,
                              std: float) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """D(x; σ) = E[x0 | x0 + σn = x] for data x0 ~ Σ_k w_k N(μ_k, s²I), n ~ N(0, I), in closed form.

    Responsibilities r_k = softmax_k(log w_k − ‖x − μ_k‖²/(2(s² + σ²))); D = Σ_k r_k (s²x + σ²μ_k)/(s² + σ²).
    means: [K, ...] (std = 0 makes it the ideal denoiser of the empirical data set `means`); weights: [K], positive,
    normalised here; std: s ≥ 0. The returned D takes x [B, ...] and σ > 0 as a 1-D tensor [B] (or a scalar);
    it computes in float64 and returns x's dtype and device.
    """
    if not std >= 0:
        raise ValueError(f"std must be ≥ 0, got {std!r}")
    if weights.shape != means.shape[:1] or not bool((weights > 0).all()):
        raise ValueError(f"weights must be positive, one per component of means ({len(means)}), got shape {tuple(weights.shape)}")
    mu = means.reshape(len(means), -1).double()
    log_w = weights.double().log() - weights.double().sum().log()
    mu_sq = (mu ** 2).sum(dim=1)
    data_var = float(std) ** 2

    def denoiser(x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(x.shape[0], -1).to(device=mu.device, dtype=torch.float64)
        noise_var = torch.as_tensor(sigma, dtype=torch.float64, device=mu.device).reshape(-1, 1) ** 2
        var = (data_var + noise_var).expand(x.shape[0], 1)
        dist_sq = (flat ** 2).sum(dim=1, keepdim=True) - 2 * flat @ mu.T + mu_sq  # ‖x − μ_k‖², [B, K]
        logits = log_w - dist_sq / (2 * var)
        resp = (logits - logits.logsumexp(dim=1, keepdim=True)).exp()
        out = (data_var * flat + (var - data_var) * (resp @ mu)) / var
        return out.reshape(x.shape).to(device=x.device, dtype=x.dtype)

    return denoiser
