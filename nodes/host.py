"""Small adapters between ComfyUI's objects and the pure-torch core in `samplers/`.

Everything here reads host types (ModelPatcher, model_sampling, the sampler's model wrapper) and
hands plain tensors and callables to `samplers/`.
"""
from __future__ import annotations

import copy
import math
from typing import Callable

import torch

import comfy.model_management
import comfy.model_sampling

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
    if not isinstance(ms,
                      (comfy.model_sampling.ModelSamplingDiscrete, comfy.model_sampling.ModelSamplingDiscreteFlow)) \
            or table is None or table.ndim != 1:
        raise ValueError(f"{node}: input 'model' has a continuous noise schedule ({type(ms).__name__}); this node "
                         f"needs a "
                         "model trained on discrete timesteps (SD1.x, SD2.x, SDXL, or a flow model with discrete "
                         "timesteps). "
                         "Use SamplerLabKarrasSigmas for continuous models.")
    return table


def skip_part(ms, sigma: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """c_skip(σ)·x, the part of D(x; σ) that does not come from the model's output F: D = c_skip·x + c_out·F.

    Every host parameterisation (ε, v, EDM, flow, x0) has this form, so D − c_skip·x = c_out·F is the model's
    own output up to a per-sample factor. c_skip is read off the host's own formula at x = 1, F = 0.
    """
    ones = x.new_ones((x.shape[0],) + (1,) * (x.ndim - 1))
    return ms.calculate_denoised(sigma, torch.zeros_like(ones), ones) * x


def finite_input(name: str, value, lo: float | None = None, hi: float | None = None):
    """`value` if it is a finite number in [lo, hi], else a ValueError naming input `name` and the range it takes."""
    span = f"from {lo:g} to {hi:g}" if lo is not None and hi is not None else \
        f"≥ {lo:g}" if lo is not None else f"≤ {hi:g}" if hi is not None else "finite"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"input '{name}' = {value!r} is not a number; enter a number {span}.")
    if not math.isfinite(value) or (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ValueError(f"input '{name}' = {value!r} is out of range; enter a number {span}.")
    return value


def check_inputs(node_cls, **values) -> None:
    """`finite_input` on each INT/FLOAT input of a node, with the min/max its INPUT_TYPES advertises."""
    spec = node_cls.INPUT_TYPES()
    options = {**spec.get("required", {}), **spec.get("optional", {})}
    for name, value in values.items():
        kind, opts = options[name][0], (options[name][1:] or [{}])[0]
        if kind in ("INT", "FLOAT"):
            finite_input(name, value, opts.get("min"), opts.get("max"))


#: Largest |value| a latent may hold: VAE latents are of order 1–10, and past this a model running in float16
#: (largest value 65504) overflows on the first noise level.
LATENT_LIMIT = 1e4


def check_finite_latent(samples: torch.Tensor, name: str = "latent_image", limit: float | None = LATENT_LIMIT) -> None:
    """Refuse a latent holding NaN, inf or values beyond ±limit before sampling starts."""
    if not torch.isfinite(samples).all():
        raise ValueError(f"input '{name}' holds NaN or inf values; re-encode the image or check the node that made it.")
    if limit is not None and samples.numel() and samples.abs().max().item() > limit:
        raise ValueError(f"input '{name}' holds values up to {samples.abs().max().item():.3g}, beyond ±{limit:g} "
                         "(VAE latents are of order 1–10); re-encode the image or check the node that made it.")


def check_finite_result(samples: torch.Tensor, sigmas: torch.Tensor) -> torch.Tensor:
    """`samples` if finite, else an error that names the schedule: no NaN leaves a sampler silently."""
    if not torch.isfinite(samples).all():
        raise ValueError(f"sampling gave NaN or inf with input 'sigmas' from {sigmas[0].item():.4g} to "
                         f"{sigmas[-1].item():.4g} over {len(sigmas) - 1} steps: the model or the steps overflowed "
                         "float; use a σ range closer to the model's own (or check the model).")
    return samples


_CPU_COPIES: dict[tuple, tuple[torch.nn.Module, torch.nn.Module]] = {}  # key → (original, CPU copy)


def on_cpu(ms: torch.nn.Module) -> torch.nn.Module:
    """A CPU copy of a model_sampling object, for per-call schedule arithmetic without device syncs. Copies are
    kept per object and buffers (the host changes a schedule by registering new buffers, e.g. set_sigmas)."""
    key = (id(ms), *(id(b) for b in ms.buffers()))
    if key not in _CPU_COPIES or _CPU_COPIES[key][0] is not ms:
        if len(_CPU_COPIES) >= 8:
            _CPU_COPIES.clear()
        _CPU_COPIES[key] = (ms, copy.deepcopy(ms).to("cpu"))
    return _CPU_COPIES[key][1]


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
    """The host's sampler-side model as D(x; σ) with σ a 1-D tensor of batch size. Each call first honours the
    host's interrupt (Cancel / POST /interrupt), so a cancelled run stops before its next model call."""
    def denoiser(x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        comfy.model_management.throw_exception_if_processing_interrupted()
        return model_k(x, sigma, **extra_args)
    return denoiser
