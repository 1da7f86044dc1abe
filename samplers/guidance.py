"""Guidance and conditioning: CFG rescale (Lin et al. 2023, eqs. 13–16, Algorithm 2) and CADS (Sadat et al. ICLR 2024)."""
from __future__ import annotations

import torch


def _std_per_sample(x: torch.Tensor) -> torch.Tensor:
    """Std over all non-batch dims, per sample, shaped to broadcast against x (float32 or wider)."""
    x = x.float() if x.dtype in (torch.float16, torch.bfloat16) else x
    return x.flatten(1).std(dim=1).view(-1, *([1] * (x.ndim - 1)))


def rescale_guided(guided: torch.Tensor, cond: torch.Tensor, phi: float) -> torch.Tensor:
    """Lin et al. eqs. 14–16 on an already guided prediction: φ·guided·σ_pos/σ_cfg + (1 − φ)·guided.

    σ_pos, σ_cfg: std of `cond` and `guided` over all non-batch dims, per sample (samples never coupled).
    phi ∈ [0, 1]; 0 returns `guided` itself. A sample whose guided std is 0 is left unchanged.
    """
    if not 0.0 <= phi <= 1.0:
        raise ValueError(f"phi must be in [0, 1], got {phi!r}")
    if guided.shape != cond.shape or guided.ndim < 2:
        raise ValueError(f"guided and cond must have the same shape [B, ...] with at least 2 dims, got {tuple(guided.shape)} and {tuple(cond.shape)}")
    if phi == 0.0:
        return guided
    std_cfg, std_pos = _std_per_sample(guided), _std_per_sample(cond)
    factor = torch.where(std_cfg > 0, std_pos / std_cfg.clamp(min=torch.finfo(std_cfg.dtype).tiny), torch.ones_like(std_cfg))
    factor = phi * factor + (1.0 - phi)
    return (guided * factor).to(guided.dtype)


def rescale_cfg(cond: torch.Tensor, uncond: torch.Tensor, cond_scale: float, phi: float) -> torch.Tensor:
    """Lin et al. Algorithm 2: CFG x_cfg = uncond + w(cond − uncond) (eq. 13), then `rescale_guided` (eqs. 14–16).

    Works in whatever prediction space the caller passes (ε, v, x0…); φ = 0 is exactly plain CFG.
    """
    if cond.shape != uncond.shape:
        raise ValueError(f"cond and uncond must have the same shape, got {tuple(cond.shape)} and {tuple(uncond.shape)}")
    return rescale_guided(uncond + cond_scale * (cond - uncond), cond, phi)


def cads_gamma(t, tau1: float, tau2: float):
    """CADS annealing schedule γ(t): 1 for t ≤ τ1, (τ2 − t)/(τ2 − τ1) between, 0 for t ≥ τ2.

    t ∈ [0, 1] with t = 1 pure noise and t = 0 clean; float or tensor (per sample). 0 ≤ τ1 ≤ τ2 ≤ 1;
    τ1 = τ2 is a step.
    """
    if not 0.0 <= tau1 <= tau2 <= 1.0:
        raise ValueError(f"need 0 ≤ tau1 ≤ tau2 ≤ 1, got tau1={tau1!r}, tau2={tau2!r}")
    if isinstance(t, torch.Tensor):
        ramp = (tau2 - t) / (tau2 - tau1) if tau2 > tau1 else torch.zeros_like(t, dtype=torch.float32)
        return torch.where(t <= tau1, 1.0, torch.where(t >= tau2, 0.0, ramp)).float()
    if t <= tau1:
        return 1.0
    if t >= tau2:
        return 0.0
    return (tau2 - t) / (tau2 - tau1)


def cads_noise(y: torch.Tensor, gamma, noise_scale: float, *, psi: float = 1.0, rescale: bool = True,
               noise: torch.Tensor | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
    """CADS conditioning: ŷ = √γ·y + s·√(1 − γ)·n (Sadat et al. eq. 3); with `rescale`, ŷ is mapped back to y's
    per-sample mean and std and mixed by ψ: ψ·ŷ_rescaled + (1 − ψ)·ŷ (eq. 4).

    y: [B, ...]; gamma: float or per-sample tensor [B] in [0, 1]; noise: explicit standard-normal noise shaped
    like y (wins over `generator`, a CPU generator). Statistics in float32; returns y's dtype. γ = 1 returns y.
    """
    if noise_scale < 0:
        raise ValueError(f"noise_scale must be ≥ 0, got {noise_scale!r}")
    if not 0.0 <= psi <= 1.0:
        raise ValueError(f"psi must be in [0, 1], got {psi!r}")
    gamma_t = torch.as_tensor(gamma, dtype=torch.float32, device=y.device).reshape(-1, *([1] * (y.ndim - 1)))
    if bool((gamma_t >= 1).all()):
        return y
    if noise is None:
        noise = torch.randn(y.shape, generator=generator, dtype=torch.float32)
    elif noise.shape != y.shape:
        raise ValueError(f"noise must have y's shape {tuple(y.shape)}, got {tuple(noise.shape)}")
    y32, noise = y.float(), noise.to(device=y.device, dtype=torch.float32)
    noised = gamma_t.sqrt() * y32 + noise_scale * (1 - gamma_t).sqrt() * noise
    if rescale:
        dims = tuple(range(1, y.ndim))
        mean_in, std_in = y32.mean(dim=dims, keepdim=True), y32.std(dim=dims, keepdim=True)
        mean_out, std_out = noised.mean(dim=dims, keepdim=True), noised.std(dim=dims, keepdim=True)
        rescaled = (noised - mean_out) / std_out.clamp(min=torch.finfo(torch.float32).tiny) * std_in + mean_in
        noised = psi * rescaled + (1 - psi) * noised
    return noised.to(y.dtype)
