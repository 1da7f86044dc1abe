"""Guidance and conditioning: CFG rescale (Lin et al. 2024, arXiv:2305.08891: eqs. 13–16, Algorithm 2) and CADS
(Sadat et al. ICLR 2024, arXiv:2310.17347, §3: ŷ of eq. 1, the annealing schedule γ(t) of eq. 2, the rescale of
eq. 3 and the ψ mix of eq. 4); c_skip after Karras et al. 2022 (EDM, arXiv:2206.00364)."""

from __future__ import annotations

import math
from typing import Callable, Sequence, overload

import torch

from .seeds import seeded_normal


def _per_sample(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """A per-sample tensor [B] (or a scalar) shaped [B, 1, …, 1] to broadcast against `like`."""
    return values.reshape(-1, *([1] * (like.ndim - 1)))


def _wide(x: torch.Tensor) -> torch.Tensor:
    """x in float32 if it is a 16-bit float, else as is (statistics lose too much in half precision)."""
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x


def _std_mean(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Unbiased std and mean over all non-batch dims, per sample, shaped [B, 1, …, 1].

    Two plain passes (mean, then squared deviations): several times faster on CPU than torch.std_mean's
    single-pass kernel for a few large rows, with the same two-pass accuracy.
    """
    flat = x.flatten(1)
    mean = flat.mean(dim=1, keepdim=True)
    std = (flat - mean).square().sum(dim=1, keepdim=True).div(max(flat.shape[1] - 1, 1)).sqrt()
    return _per_sample(std, x), _per_sample(mean, x)


def rescale_guided(guided: torch.Tensor, cond: torch.Tensor, phi: float) -> torch.Tensor:
    """Lin et al. eqs. 14–16 on an already guided prediction: φ·guided·σ_pos/σ_cfg + (1 − φ)·guided.

    guided, cond: [B, ...] with at least 2 dims, same shape (images [B,C,H,W], video [B,C,T,H,W], …); σ_pos and σ_cfg
    are the std of `cond` and `guided` over all non-batch dims, per sample, so samples are never coupled.
    phi ∈ [0, 1]; φ = 0 returns `guided` itself. A sample whose guided std is 0 is left unchanged.
    Statistics in float32 or wider; returns guided's dtype.
    """
    if not 0.0 <= phi <= 1.0:
        raise ValueError(f"phi must be in [0, 1], got {phi!r}")
    if guided.shape != cond.shape or guided.ndim < 2:
        raise ValueError(
            f"guided and cond must have the same shape [B, ...] with at least 2 dims, "
            f"got {tuple(guided.shape)} and {tuple(cond.shape)}"
        )
    if phi == 0.0:
        return guided
    std_cfg = _std_mean(_wide(guided))[0]  # eq. 14
    std_pos = _std_mean(_wide(cond))[0].to(std_cfg.dtype)
    factor = torch.where(std_cfg > 0, std_pos / torch.where(std_cfg > 0, std_cfg, 1), 1)  # eq. 15
    factor = phi * factor + (1.0 - phi)  # eq. 16, folded into one factor as in Algorithm 2
    return (_wide(guided) * factor).to(guided.dtype)


def rescale_cfg(cond: torch.Tensor, uncond: torch.Tensor, cond_scale: float, phi: float) -> torch.Tensor:
    """Lin et al. Algorithm 2: x_cfg = uncond + w·(cond − uncond) (eq. 13), then `rescale_guided` (eqs. 14–16).

    Works in whatever prediction space the caller passes (ε, v, x0, flow); φ = 0 is exactly plain CFG.
    """
    if cond.shape != uncond.shape:
        raise ValueError(f"cond and uncond must have the same shape, got {tuple(cond.shape)} and {tuple(uncond.shape)}")
    return rescale_guided(uncond + cond_scale * (cond - uncond), cond, phi)


def skip_part(
    calculate_denoised: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
    sigma: torch.Tensor,
    x: torch.Tensor,
) -> torch.Tensor:
    """c_skip(σ)·x, the part of D(x; σ) = c_skip(σ)·x + c_out(σ)·F that does not come from the network's output F
    (EDM eq. 7; every parameterisation of their Table 1, and ε, v, x0 and flow, has this form).

    calculate_denoised(σ, F, x): the host's own D from a model output (ComfyUI's model_sampling, Forge's predictor);
    c_skip is read off it at x = 1, F = 0, per sample. sigma: [B]; x: [B, ...]; returns x's shape.
    """
    ones = x.new_ones((x.shape[0],) + (1,) * (x.ndim - 1))
    return calculate_denoised(sigma, torch.zeros_like(ones), ones) * x


def rescale_guided_output(guided: torch.Tensor, positive: torch.Tensor, skip: torch.Tensor, phi: float) -> torch.Tensor:
    """Lin et al. Algorithm 2 in the model's own output space, on predictions P = skip + c·F that are affine in the
    network's output F (ε, v or flow velocity): skip + rescale_guided(guided − skip, positive − skip, φ).

    guided, positive: the guided and the positive prediction (e.g. D, with skip = c_skip·x from `skip_part`); the std
    ratio of eq. 15 is blind to the per-sample factor c, so this rescales F itself. φ = 0 returns guided, bit for bit.
    """
    if phi == 0.0:
        return guided
    return skip + rescale_guided(guided - skip, positive - skip, phi)


def normalised_time(
    timestep_of: Callable[[torch.Tensor], torch.Tensor], sigma: torch.Tensor, last_timestep: float | torch.Tensor
) -> torch.Tensor:
    """CADS's t ∈ [0, 1] of each σ (Sadat et al. §3, the t of γ(t); 1 = pure noise, 0 = clean): the model's own
    timestep of σ over its last timestep T, clamped to [0, 1] (t/T for DDPM-style models, σ for flow models).

    timestep_of: the host's σ → timestep map (the identity where the host already holds timesteps). sigma: [B];
    returns float32 [B] on sigma's device. The t of the actual noise level, so img2img and hires passes get theirs.
    """
    t = timestep_of(sigma.float()).float().to(sigma.device)
    return (t / last_timestep).clamp(0.0, 1.0)


def log_sigma_time(sigma: torch.Tensor, sigma_min: float, sigma_max: float) -> torch.Tensor:
    """t ∈ [0, 1] of each σ for a continuous schedule (no timesteps, e.g. EDM's): the position of log σ between
    log σmin (t = 0) and log σmax (t = 1), clamped. sigma: [B]; returns float32 [B]."""
    log_min, log_max = math.log(sigma_min), math.log(sigma_max)
    return ((sigma.float().log() - log_min) / (log_max - log_min)).clamp(0.0, 1.0)


def check_cads_window(tau1: float, tau2: float, names: tuple[str, str] = ("tau1", "tau2")) -> None:
    """CADS anneals between τ1 and τ2 (`cads_gamma`): refuse τ1 > τ2 (or NaN), naming the two inputs as the
    caller's host calls them (`names`)."""
    if not tau1 <= tau2:
        low, high = names
        raise ValueError(f"input '{low}' ({tau1}) is above '{high}' ({tau2}); CADS needs 0 ≤ {low} ≤ {high} ≤ 1.")


@overload
def cads_gamma(t: float, tau1: float, tau2: float) -> float: ...
@overload
def cads_gamma(t: torch.Tensor, tau1: float, tau2: float) -> torch.Tensor: ...
def cads_gamma(t: float | torch.Tensor, tau1: float, tau2: float) -> float | torch.Tensor:
    """CADS annealing schedule (Sadat et al. eq. 2): γ(t) = 1 for t ≤ τ1, (τ2 − t)/(τ2 − τ1) between, 0 for t ≥ τ2.

    t ∈ [0, 1], t = 1 pure noise and t = 0 clean; a float, or a tensor (e.g. per sample [B]) giving a tensor of
    the same shape (float32 or wider). Needs 0 ≤ τ1 ≤ τ2 ≤ 1; τ1 = τ2 is a step from 1 to 0.
    """
    if not 0.0 <= tau1 <= tau2 <= 1.0:
        raise ValueError(f"need 0 ≤ tau1 ≤ tau2 ≤ 1, got tau1={tau1!r}, tau2={tau2!r}")
    if isinstance(t, torch.Tensor):
        t = t.to(torch.promote_types(t.dtype, torch.float32))
        ramp = (tau2 - t) / (tau2 - tau1) if tau2 > tau1 else torch.zeros_like(t)
        return torch.where(t <= tau1, 1.0, torch.where(t >= tau2, 0.0, ramp))
    if t <= tau1:
        return 1.0
    if t >= tau2:
        return 0.0
    return (tau2 - t) / (tau2 - tau1)


def cads_noise(
    y: torch.Tensor,
    gamma: float | torch.Tensor,
    noise_scale: float,
    *,
    psi: float = 1.0,
    rescale: bool = True,
    noise: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """CADS on a conditioning tensor (Sadat et al. §3): ŷ = √γ·y + s·√(1 − γ)·n (eq. 1); with `rescale`,
    ŷ_rescaled = (ŷ − mean ŷ)/std ŷ · σ_in + μ_in per sample (eq. 3; σ_in, μ_in: y's std and mean), and the result
    is the ψ mix ŷ_final = ψ·ŷ_rescaled + (1 − ψ)·ŷ (eq. 4).

    y: [B, ...] with at least 2 dims; gamma ∈ [0, 1], a float or per-sample tensor [B]; noise_scale s ≥ 0;
    psi ∈ [0, 1]. noise: explicit standard-normal noise shaped like y (wins); else drawn from `generator`, a CPU
    generator (one of the two is required: no global RNG). Statistics in float32; returns y's dtype.
    Samples with γ = 1 are returned unchanged, bit for bit.
    """
    if not noise_scale >= 0:
        raise ValueError(f"noise_scale must be ≥ 0, got {noise_scale!r}")
    if not 0.0 <= psi <= 1.0:
        raise ValueError(f"psi must be in [0, 1], got {psi!r}")
    if y.ndim < 2:
        raise ValueError(f"y must be [B, ...] with at least 2 dims, got shape {tuple(y.shape)}")
    gamma = torch.as_tensor(gamma, dtype=torch.float32).reshape(-1)  # checked where it is (a CPU γ: no device sync)
    if not bool(((gamma >= 0) & (gamma <= 1)).all()) or gamma.shape[0] not in (1, y.shape[0]):
        raise ValueError(f"gamma must be in [0, 1], a float or one value per sample ({y.shape[0]})")
    if bool((gamma == 1).all()):
        return y
    all_noised = bool((gamma < 1).all())
    gamma = _per_sample(gamma.to(y.device), y)
    if noise is None:
        if generator is None:
            raise ValueError("pass noise or a generator (cads_noise never draws from the global RNG)")
        noise = torch.randn(y.shape, generator=generator, dtype=torch.float32)
    elif noise.shape != y.shape:
        raise ValueError(f"noise must have y's shape {tuple(y.shape)}, got {tuple(noise.shape)}")
    rows = gamma.reshape(-1, 1)  # per-sample factors against [B, features] views
    y32 = y.reshape(y.shape[0], -1).float()
    noise = noise.reshape(y.shape[0], -1).to(device=y.device, dtype=torch.float32)
    y_hat = rows.sqrt() * y32 + noise_scale * (1 - rows).sqrt() * noise  # eq. 1: ŷ = √γ·y + s·√(1 − γ)·n
    if rescale:  # eq. 3: ŷ_rescaled = (ŷ − mean ŷ)/std ŷ · σ_in + μ_in; eq. 4: ŷ_final = ψ·ŷ_rescaled + (1 − ψ)·ŷ
        std_in, mean_in = _std_mean(y32)
        std_out, mean_out = _std_mean(y_hat)
        y_rescaled = (y_hat - mean_out) / torch.where(std_out > 0, std_out, 1) * std_in + mean_in
        y_hat = psi * y_rescaled + (1 - psi) * y_hat
    y_hat = y_hat.to(y.dtype).reshape(y.shape)
    return y_hat if all_noised else torch.where(gamma == 1, y, y_hat)


def cads_anneal(
    y: torch.Tensor,
    gamma: torch.Tensor,
    noise_seeds: Sequence[int],
    noise_scale: float,
    *,
    psi: float = 1.0,
    rescale: bool = True,
    rows: slice = slice(None),
    width: int | None = None,
) -> torch.Tensor:
    """A copy of the conditioning y [B, ...] whose `rows` get CADS (`cads_noise`, Sadat et al. §3: ŷ = √γ·y +
    s·√(1 − γ)·n of eq. 1, then the rescale and the ψ mix) on their first `width` entries of dim 1 (all if None; e.g.
    the pooled part of SDXL's vector [B, 2816]). gamma: one γ per row of y[rows]; row k's n from a CPU generator
    seeded with noise_seeds[k] (the seeds of `seeds.cads_noise_seeds`). Other rows and entries are left as they are.
    """
    part = y[rows, :width]
    noise = seeded_normal(noise_seeds, part.shape[1:], dtype=y.dtype, device=y.device)
    out = y.clone()
    out[rows, :width] = cads_noise(part, gamma, noise_scale, psi=psi, rescale=rescale, noise=noise)
    return out
