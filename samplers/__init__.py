"""Sampler Lab's science core: pure torch, no host import.

Karras et al. 2022 (EDM, arXiv:2206.00364) eqs. 4–5 and Algorithm 2; Lin et al. 2024 (arXiv:2305.08891) Algorithms
1–2 and Table 2; Sadat et al. ICLR 2024 (CADS, arXiv:2310.17347).
"""

from . import params
from .forms import FINITE_SIGMA_MAX, FLOW, VE, ModelForm, noise_level_range
from .guidance import (
    cads_anneal,
    check_cads_window,
    cads_gamma,
    cads_noise,
    log_sigma_time,
    normalised_time,
    rescale_cfg,
    rescale_guided,
    rescale_guided_output,
    skip_part,
)
from .params import Param, check_number
from .oracle import denoiser_in_form, gaussian_mixture_denoiser, mixture_posterior_mean
from .sampling import check_churn_window, churn_gammas, per_sample_noise_sampler, sample_euler, sample_heun_churn
from .schedules import (
    MAX_SCHEDULE_STEPS,
    ZERO_SNR_ALPHA_CUMPROD,
    alphas_cumprod,
    betas_from_alphas_cumprod,
    check_steps_within_timesteps,
    denoise_sigmas,
    denoise_total_steps,
    karras_levels,
    karras_sigmas,
    make_betas,
    rescale_zero_terminal_snr,
    sigmas_for_timesteps,
    sigmas_from_alphas_cumprod,
    spacing_timesteps,
    zero_terminal_snr_alphas_cumprod,
    zero_terminal_snr_sigmas,
)
from .seeds import CADS_PROMPTS, cads_noise_seeds, cads_stream, call_seed, mixed_seed, sample_seeds, seeded_normal

__all__ = [
    "FINITE_SIGMA_MAX",
    "FLOW",
    "VE",
    "ModelForm",
    "noise_level_range",
    "cads_anneal",
    "check_cads_window",
    "cads_gamma",
    "cads_noise",
    "log_sigma_time",
    "normalised_time",
    "rescale_cfg",
    "rescale_guided",
    "rescale_guided_output",
    "skip_part",
    "params",
    "Param",
    "check_number",
    "denoiser_in_form",
    "gaussian_mixture_denoiser",
    "mixture_posterior_mean",
    "check_churn_window",
    "churn_gammas",
    "per_sample_noise_sampler",
    "sample_euler",
    "sample_heun_churn",
    "MAX_SCHEDULE_STEPS",
    "ZERO_SNR_ALPHA_CUMPROD",
    "alphas_cumprod",
    "betas_from_alphas_cumprod",
    "check_steps_within_timesteps",
    "denoise_sigmas",
    "denoise_total_steps",
    "karras_levels",
    "karras_sigmas",
    "make_betas",
    "rescale_zero_terminal_snr",
    "sigmas_for_timesteps",
    "sigmas_from_alphas_cumprod",
    "spacing_timesteps",
    "zero_terminal_snr_alphas_cumprod",
    "zero_terminal_snr_sigmas",
    "CADS_PROMPTS",
    "cads_noise_seeds",
    "cads_stream",
    "call_seed",
    "mixed_seed",
    "sample_seeds",
    "seeded_normal",
]
