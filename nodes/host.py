"""Small adapters between ComfyUI's objects and the pure-torch core in `samplers/`.

Everything here reads host types (ModelPatcher, model_sampling, the sampler's model wrapper) and
hands plain tensors and callables to `samplers/`.
"""
from __future__ import annotations

import math
from typing import Callable

import torch

import comfy.model_sampling

#: Finite stand-in for the σ of a zero-terminal-SNR timestep (ᾱ_T = 0 means σ = ∞, which no sampler can
#: start from). ᾱ_T is raised to float32's machine epsilon, σ_T = sqrt((1 − ε)/ε) ≈ 2896: the leaked
#: signal sqrt(ᾱ_T) ≈ 3.5e-4 is below what a float16 latent can hold next to unit noise.
ZERO_SNR_ALPHA_CUMPROD = float(torch.finfo(torch.float32).eps)


def model_sampling(model) -> torch.nn.Module:
    """The `model_sampling` object of a MODEL (ModelPatcher), patches included."""
    return model.get_model_object("model_sampling")


def sigma_range(model) -> tuple[float, float]:
    """(σmin, σmax) of a MODEL's noise schedule."""
    ms = model_sampling(model)
    return float(ms.sigma_min), float(ms.sigma_max)


def require_discrete(model, node: str) -> torch.Tensor:
    """The discrete σ table (index = timestep, ascending σ) of a MODEL, or a clear error naming `model`."""
    ms = model_sampling(model)
    table = getattr(ms, "sigmas", None)
    if not isinstance(ms, (comfy.model_sampling.ModelSamplingDiscrete, comfy.model_sampling.ModelSamplingDiscreteFlow)) \
            or table is None or table.ndim != 1:
        raise ValueError(f"{node}: input 'model' has a continuous noise schedule ({type(ms).__name__}); this node needs a "
                         "model trained on discrete timesteps (SD1.x, SD2.x, SDXL, or a flow model with discrete timesteps). "
                         "Use SamplerLabKarrasSigmas for continuous models.")
    return table


def skip_part(ms, sigma: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """c_skip(σ)·x, the part of D(x; σ) that does not come from the model's output F: D = c_skip·x + c_out·F.

    Every host parameterisation (ε, v, EDM, flow, x0) has this form, so D − c_skip·x = c_out·F is the model's
    own output up to a per-sample factor. c_skip is read off the host's own formula at x = 1, F = 0.
    """
    ones = x.new_ones((x.shape[0],) + (1,) * (x.ndim - 1))
    return ms.calculate_denoised(sigma, torch.zeros_like(ones), ones) * x


def check_finite_latent(samples: torch.Tensor, name: str = "latent_image") -> None:
    """Refuse a latent holding NaN or inf before sampling starts."""
    if not torch.isfinite(samples).all():
        raise ValueError(f"input '{name}' holds NaN or inf values; re-encode the image or check the node that made it.")


def normalised_time(ms, sigma: torch.Tensor) -> torch.Tensor:
    """Diffusion time t ∈ [0, 1] of σ (1 = pure noise, 0 = clean), per sample.

    Discrete and flow schedules: the model's own timestep over its last timestep (t/T for DDPM-style
    models, σ for flow models). Continuous schedules: position of log σ between log σmin and log σmax.
    """
    sigma = sigma.float()
    if isinstance(ms, (comfy.model_sampling.ModelSamplingDiscrete, comfy.model_sampling.ModelSamplingDiscreteFlow,
                       comfy.model_sampling.ModelSamplingFlux)):
        t_max = ms.timestep(torch.as_tensor(ms.sigma_max, dtype=torch.float32, device=sigma.device).reshape(1)).float()
        t = ms.timestep(sigma).float() / t_max
    else:
        log_min, log_max = math.log(float(ms.sigma_min)), math.log(float(ms.sigma_max))
        t = (sigma.log() - log_min) / (log_max - log_min)
    return t.clamp(0.0, 1.0)


def denoiser_of(model_k, extra_args: dict) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The host's sampler-side model as D(x; σ) with σ a 1-D tensor of batch size."""
    return lambda x, sigma: model_k(x, sigma, **extra_args)
