"""Noise schedules: EDM's Karras σ (Karras et al. 2022, arXiv:2206.00364, eq. 5) and discrete VP schedules with the
fixes of Lin et al. 2024 (arXiv:2305.08891; Algorithm 1: zero terminal SNR; Table 2: timestep spacing), and the
checks every adapter makes on them (steps within the model's timesteps, EDM's churn window), each with one message
naming the input."""

from __future__ import annotations

import math
from typing import Callable

import torch

from .forms import VE, ModelForm


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


def karras_sigmas(
    steps: int, sigma_min: float, sigma_max: float, rho: float = 7.0, *, device=None, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """EDM eq. 5: σ_i = (σmax^(1/ρ) + i/(N−1)·(σmin^(1/ρ) − σmax^(1/ρ)))^ρ for i < N, then σ_N = 0.

    steps: N ≥ 1 (N = 1 gives [σmax, 0]); 0 < sigma_min < sigma_max, both normal numbers of `dtype`; rho > 0.
    Returns [N+1] in `dtype`, computed in float64 as σmax·(1 + i/(N−1)·((σmin/σmax)^(1/ρ) − 1))^ρ, the same formula
    divided through by σmax^(1/ρ), which overflows for small ρ; every σ_i < σ_N lies in [σmin, σmax].
    """
    _require(isinstance(steps, int) and steps >= 1, f"steps must be an integer ≥ 1, got {steps!r}")
    _require(math.isfinite(rho) and rho > 0, f"rho must be a finite number > 0, got {rho!r}")
    limits = torch.finfo(dtype)
    _require(
        math.isfinite(sigma_min) and limits.tiny <= sigma_min,
        f"sigma_min must be a finite number ≥ {limits.tiny:.3g} (the smallest normal {dtype}), got {sigma_min!r}",
    )
    _require(
        math.isfinite(sigma_max) and sigma_min < sigma_max <= limits.max,
        f"sigma_max must be above sigma_min ({sigma_min!r}) and at most {limits.max:.3g} (the largest {dtype}), "
        f"got {sigma_max!r}",
    )
    ramp = torch.linspace(0, 1, steps, dtype=torch.float64) if steps > 1 else torch.zeros(1, dtype=torch.float64)
    ratio = (sigma_min / sigma_max) ** (1 / rho)  # in (0, 1); may underflow to 0 for small ρ, which is harmless
    sigmas = (sigma_max * (1 + ramp * (ratio - 1)) ** rho).clamp(sigma_min, sigma_max)
    sigmas[0] = sigma_max  # exact ends, free of pow rounding
    if steps > 1:
        sigmas[-1] = sigma_min
    return torch.cat([sigmas, sigmas.new_zeros(1)]).to(device=device, dtype=dtype)


def karras_levels(
    steps: int,
    sigma_min: float,
    sigma_max: float,
    rho: float = 7.0,
    form: ModelForm = VE,
    *,
    device=None,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """EDM eq. 5 over the noise level σ, as the model's own levels t_i = t(σ_i) (`forms.py`): VE, σ itself (exactly
    `karras_sigmas`); flow, t = σ/(1 + σ). sigma_min, sigma_max: noise levels σ (`forms.noise_level_range` turns a
    model's level range into them); the last level is 0. Returns [N+1] in `dtype`."""
    sigmas = karras_sigmas(steps, sigma_min, sigma_max, rho, dtype=torch.float64)
    if form is not VE:
        sigmas = torch.tensor([form.level(sigma) for sigma in sigmas.tolist()], dtype=torch.float64)
    return sigmas.to(device=device, dtype=dtype)


#: Longest schedule a partial denoise may ask for (steps/denoise entries): beyond it the request is refused.
MAX_SCHEDULE_STEPS = 100_000


def denoise_total_steps(steps: int, denoise: float) -> int:
    """Length of the full schedule whose last `steps` steps a partial denoise runs: ⌊steps/denoise⌋ (steps at
    denoise = 1), the host KSamplers' rule (ComfyUI, A1111 img2img). denoise ∈ (0, 1]; at most MAX_SCHEDULE_STEPS."""
    _require(isinstance(steps, int) and steps >= 1, f"steps must be an integer ≥ 1, got {steps!r}")
    _require(math.isfinite(denoise) and 0 < denoise <= 1, f"denoise must be in (0, 1], got {denoise!r}")
    total = steps if denoise >= 1 else steps / denoise  # a float: may be inf for a subnormal denoise
    _require(
        total <= MAX_SCHEDULE_STEPS,
        f"denoise {denoise!r} with {steps} steps needs a schedule of {total:.4g} steps, more than "
        f"{MAX_SCHEDULE_STEPS}; "
        f"raise denoise to at least {steps / MAX_SCHEDULE_STEPS:.2g} or use fewer steps",
    )
    return math.floor(total)


def denoise_sigmas(sigmas_of: Callable[[int], torch.Tensor], steps: int, denoise: float) -> torch.Tensor:
    """The schedule of a partial denoise: the last `steps` steps of sigmas_of(denoise_total_steps(steps, denoise)),
    so "denoise 0.5" starts at the same σ as the host's own KSampler. sigmas_of(n) gives n + 1 levels."""
    return sigmas_of(denoise_total_steps(steps, denoise))[-(steps + 1) :]


def make_betas(schedule: str, num_timesteps: int = 1000) -> torch.Tensor:
    """β_1..β_T (float64) of the schedules in Lin et al. Table 1.

    "linear": Ho et al. 2020 (arXiv:2006.11239), 1e-4 … 0.02.
    "scaled_linear": Stable Diffusion, (linspace(√0.00085, √0.012))².
    "cosine": Nichol & Dhariwal 2021 (arXiv:2102.09672), ᾱ(t) = cos²((t/T + s)/(1 + s)·π/2) with s = 0.008, β clipped
    at 0.999.
    """
    _require(
        isinstance(num_timesteps, int) and num_timesteps >= 2,
        f"num_timesteps must be an integer ≥ 2, got {num_timesteps!r}",
    )
    if schedule == "linear":
        return torch.linspace(1e-4, 0.02, num_timesteps, dtype=torch.float64)
    if schedule == "scaled_linear":
        return torch.linspace(0.00085**0.5, 0.012**0.5, num_timesteps, dtype=torch.float64) ** 2
    if schedule == "cosine":
        s = 0.008
        t = torch.arange(num_timesteps + 1, dtype=torch.float64) / num_timesteps
        f = torch.cos((t + s) / (1 + s) * math.pi / 2) ** 2
        return (1 - f[1:] / f[:-1]).clamp(max=0.999)
    raise ValueError(f"schedule must be 'linear', 'scaled_linear' or 'cosine', got {schedule!r}")


def alphas_cumprod(betas: torch.Tensor) -> torch.Tensor:
    """ᾱ_t = Π_{s ≤ t} (1 − β_s)."""
    return torch.cumprod(1 - betas, dim=0)


def betas_from_alphas_cumprod(alphas_cumprod: torch.Tensor) -> torch.Tensor:
    """Inverse of `alphas_cumprod`: β_1 = 1 − ᾱ_1, β_t = 1 − ᾱ_t/ᾱ_{t−1}."""
    return 1 - torch.cat([alphas_cumprod[:1], alphas_cumprod[1:] / alphas_cumprod[:-1]])


def sigmas_from_alphas_cumprod(alphas_cumprod: torch.Tensor) -> torch.Tensor:
    """σ_t = sqrt((1 − ᾱ_t)/ᾱ_t), the noise level of x_t/sqrt(ᾱ_t); ∞ where ᾱ_t = 0 (SNR 0)."""
    return ((1 - alphas_cumprod) / alphas_cumprod) ** 0.5


def rescale_zero_terminal_snr(betas: torch.Tensor) -> torch.Tensor:
    """Lin et al. Algorithm 1: shift sqrt(ᾱ) so the last timestep has ᾱ_T = 0, scale so ᾱ_1 is unchanged.

    Returns new betas (float64); the last β is exactly 1 (SNR(T) = 0).
    """
    sqrt_ab = alphas_cumprod(betas.double()).sqrt()
    first, last = sqrt_ab[0].clone(), sqrt_ab[-1].clone()
    _require(bool(first > last), "betas must make ᾱ decrease from the first to the last timestep")
    sqrt_ab = (sqrt_ab - last) * first / (first - last)
    return betas_from_alphas_cumprod(sqrt_ab**2)


#: Finite stand-in for ᾱ_T = 0 in a zero-terminal-SNR table (σ_T = ∞ is no place to start a sampler): float32's
#: machine epsilon, σ_T = sqrt((1 − ε)/ε) ≈ 2896; the leaked signal sqrt(ᾱ_T) ≈ 3.5e-4 is below what a float16 latent
#: can hold next to unit noise.
ZERO_SNR_ALPHA_CUMPROD = float(torch.finfo(torch.float32).eps)


def zero_terminal_snr_alphas_cumprod(table: torch.Tensor) -> torch.Tensor:
    """A model's ᾱ table (index = timestep) rescaled by Algorithm 1 (`rescale_zero_terminal_snr`), its last entry
    held at ZERO_SNR_ALPHA_CUMPROD so that σ_T is finite. float64."""
    rescaled = alphas_cumprod(rescale_zero_terminal_snr(betas_from_alphas_cumprod(table.double())))
    return rescaled.clamp(min=ZERO_SNR_ALPHA_CUMPROD)


def zero_terminal_snr_sigmas(sigma_table: torch.Tensor) -> torch.Tensor:
    """A model's discrete σ table (index = timestep) at zero terminal SNR: ᾱ_t = 1/(1 + σ_t²) (the inverse of
    `sigmas_from_alphas_cumprod`), then Lin et al. Algorithm 1 (`zero_terminal_snr_alphas_cumprod`, σ_T held finite),
    then σ back from ᾱ. Computed in float64 on the CPU; returns float32 on the table's device."""
    rescaled = zero_terminal_snr_alphas_cumprod(1.0 / (1.0 + sigma_table.double().cpu() ** 2))
    return sigmas_from_alphas_cumprod(rescaled).float().to(sigma_table.device)


def check_steps_within_timesteps(steps: int, num_timesteps: int) -> None:
    """Lin et al. Table 2 picks S distinct timesteps of the model's T: refuse input 'steps' S > T, naming the fix."""
    _require(
        steps <= num_timesteps,
        f"input 'steps' = {steps} is more than the model's {num_timesteps} discrete "
        f"timesteps; use at most {num_timesteps}.",
    )


def _round_half_even(numerator: int, denominator: int) -> int:
    """numerator/denominator (denominator > 0) rounded to the nearest integer, ties to even, in exact integers."""
    q, r = divmod(numerator, denominator)
    return q + (2 * r > denominator or (2 * r == denominator and q % 2 == 1))


def spacing_timesteps(spacing: str, steps: int, num_timesteps: int = 1000) -> torch.Tensor:
    """Sampling timesteps (0-based, descending) of Lin et al. Table 2, T = num_timesteps, S = steps, k = 0 … S−1.

    leading: k·⌊T/S⌋ (DDIM, PNDM); linspace: round(k·(T−1)/(S−1)) (iDDPM);
    trailing: round(T − k·T/S) − 1 (DPM-Solver; always includes the last timestep T−1).
    Exact integer arithmetic, ties rounded to even (as numpy/torch round a .5 they hold exactly), so the result does
    not depend on float rounding. Table 2 counts timesteps from 1; here they are 0-based (shifted by −1).
    """
    _require(
        isinstance(num_timesteps, int) and num_timesteps >= 1,
        f"num_timesteps must be an integer ≥ 1, got {num_timesteps!r}",
    )
    _require(isinstance(steps, int) and steps >= 1, f"steps must be an integer ≥ 1, got {steps!r}")
    check_steps_within_timesteps(steps, num_timesteps)
    T, S = num_timesteps, steps
    if spacing == "leading":
        t = [k * (T // S) for k in range(S)]
    elif spacing == "linspace":
        t = [_round_half_even(k * (T - 1), S - 1) for k in range(S)] if S > 1 else [0]
    elif spacing == "trailing":
        t = [_round_half_even(T * (S - k), S) - 1 for k in range(S)]
    else:
        raise ValueError(f"spacing must be 'leading', 'linspace' or 'trailing', got {spacing!r}")
    return torch.tensor(sorted(t, reverse=True), dtype=torch.long)


def sigmas_for_timesteps(sigma_table: torch.Tensor, timesteps: torch.Tensor) -> torch.Tensor:
    """σ of each timestep from a discrete table (index = timestep), then a final exact 0. float32 [len + 1]."""
    timesteps = torch.as_tensor(timesteps, dtype=torch.long)
    _require(sigma_table.ndim == 1, "sigma_table must be 1-D (one σ per discrete timestep)")
    _require(
        bool(((timesteps >= 0) & (timesteps < len(sigma_table))).all()),
        f"timesteps must lie in [0, {len(sigma_table) - 1}]",
    )
    sigmas = sigma_table[timesteps.to(sigma_table.device)].float()
    return torch.cat([sigmas, sigmas.new_zeros(1)])
