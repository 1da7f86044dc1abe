"""Sampler Lab's science core: pure torch, no host import.

Karras et al. 2022 (EDM) eq. 5 and Algorithm 2; Lin et al. 2024 Algorithms 1–2 and Table 2; Sadat et al. 2024 (CADS).
"""
from .guidance import cads_gamma, cads_noise, rescale_cfg, rescale_guided
from .oracle import gaussian_mixture_denoiser, mixture_posterior_mean
from .sampling import churn_gammas, per_sample_noise_sampler, sample_euler, sample_heun_churn
from .schedules import (MAX_SCHEDULE_STEPS, alphas_cumprod, betas_from_alphas_cumprod, denoise_sigmas,
                        denoise_total_steps, karras_sigmas, make_betas, rescale_zero_terminal_snr, sigmas_for_timesteps,
                        sigmas_from_alphas_cumprod, spacing_timesteps, ZERO_SNR_ALPHA_CUMPROD,
                        zero_terminal_snr_alphas_cumprod)
from .seeds import call_seed, sample_seeds, seeded_normal

__all__ = [
    "MAX_SCHEDULE_STEPS", "alphas_cumprod", "betas_from_alphas_cumprod", "cads_gamma", "cads_noise", "call_seed",
    "churn_gammas", "denoise_sigmas", "denoise_total_steps", "gaussian_mixture_denoiser", "karras_sigmas", "make_betas",
    "mixture_posterior_mean", "per_sample_noise_sampler", "rescale_cfg", "rescale_guided", "rescale_zero_terminal_snr",
    "sample_euler", "sample_heun_churn", "sample_seeds", "seeded_normal", "sigmas_for_timesteps",
    "sigmas_from_alphas_cumprod", "spacing_timesteps", "ZERO_SNR_ALPHA_CUMPROD", "zero_terminal_snr_alphas_cumprod",
]
