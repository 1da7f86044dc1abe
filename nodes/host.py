"""Small adapters between ComfyUI's objects and the pure-torch core in `samplers/`.

Everything here reads host types (ModelPatcher, model_sampling, the sampler's model wrapper) and
hands plain tensors and callables to `samplers/`.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

import torch

import comfy.model_management
import comfy.model_sampling

from .. import samplers as S


def model_sampling(model) -> Any:
    """The `model_sampling` object (a torch.nn.Module of the host's model_sampling classes) of a MODEL (ModelPatcher),
    patches included."""
    return model.get_model_object("model_sampling")


def sigma_range(model) -> tuple[float, float]:
    """(σmin, σmax) of a MODEL's noise schedule."""
    ms = model_sampling(model)
    return float(ms.sigma_min), float(ms.sigma_max)


#: The host's schedules that hold a table of the model's own timesteps (index = timestep, ascending σ): the training
#: timesteps of DDPM-style models (ModelSamplingDiscrete) and the evenly spaced t of flow models
#: (ModelSamplingDiscreteFlow: 1000, ModelSamplingFlux: 10000). The continuous ones (ModelSamplingContinuousEDM, …V,
#: …CosmosRFlow) hold a σ grid for the host's schedulers, not timesteps.
TIMESTEP_TABLES = (
    comfy.model_sampling.ModelSamplingDiscrete,
    comfy.model_sampling.ModelSamplingDiscreteFlow,
    comfy.model_sampling.ModelSamplingFlux,
)


def model_classes(model) -> str:
    """A MODEL's classes, as refusals name them: its model_base class and its model_sampling class with the host's
    schedule and prediction classes it is built from, e.g. "Flux, model_sampling ModelSampling(ModelSamplingFlux,
    CONST)"."""
    ms = model_sampling(model)
    parts = [base.__name__ for base in type(ms).__bases__ if base.__module__ == comfy.model_sampling.__name__]
    sampling = f"{type(ms).__name__}({', '.join(parts)})" if parts else type(ms).__name__
    return f"{type(getattr(model, 'model', model)).__name__}, model_sampling {sampling}"


def require_discrete(model, fits: str) -> torch.Tensor:
    """The timestep table (index = timestep, ascending σ; `TIMESTEP_TABLES`) of a MODEL, or an error naming input
    `model`, its classes and what `fits` the node asking."""
    ms = model_sampling(model)
    table = getattr(ms, "sigmas", None)
    if not isinstance(ms, TIMESTEP_TABLES) or table is None or table.ndim != 1:
        raise ValueError(
            f"input 'model' ({model_classes(model)}) has a continuous noise schedule, with no table of "
            f"timesteps; {fits}"
        )
    return table


def check_inputs(node_cls, **values) -> None:
    """The core's `check_number` on each INT/FLOAT input of a node, with the min/max its INPUT_TYPES advertises."""
    spec = node_cls.INPUT_TYPES()
    options = {**spec.get("required", {}), **spec.get("optional", {})}
    for name, value in values.items():
        kind, opts = options[name][0], (options[name][1:] or [{}])[0]
        if kind in ("INT", "FLOAT"):
            S.check_number(name, value, opts.get("min"), opts.get("max"))


#: Largest |value| a latent may hold: VAE latents are of order 1–10, and past this a model running in float16
#: (largest value 65504) overflows on the first noise level.
LATENT_LIMIT = 1e4


def check_finite_latent(samples: torch.Tensor, name: str = "latent_image", limit: float | None = LATENT_LIMIT) -> None:
    """Refuse a latent holding NaN, inf or values beyond ±limit before sampling starts."""
    if not torch.isfinite(samples).all():
        raise ValueError(f"input '{name}' holds NaN or inf values; re-encode the image or check the node that made it.")
    if limit is not None and samples.numel() and samples.abs().max().item() > limit:
        raise ValueError(
            f"input '{name}' holds values up to {samples.abs().max().item():.3g}, beyond ±{limit:g} "
            "(VAE latents are of order 1–10); re-encode the image or check the node that made it."
        )


def check_finite_result(samples: torch.Tensor, sigmas: torch.Tensor) -> torch.Tensor:
    """`samples` if finite, else an error that names the schedule: no NaN leaves a sampler silently."""
    if not torch.isfinite(samples).all():
        raise ValueError(
            f"sampling gave NaN or inf with input 'sigmas' from {sigmas[0].item():.4g} to "
            f"{sigmas[-1].item():.4g} over {len(sigmas) - 1} steps: the model or the steps overflowed "
            "float; use a σ range closer to the model's own (or check the model)."
        )
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
    """Diffusion time t ∈ [0, 1] of σ (1 = pure noise, 0 = clean), per sample: `samplers.normalised_time` with the
    model's timestep function and its last timestep (that of σmax) for discrete and flow schedules,
    `samplers.log_sigma_time` for continuous ones."""
    if isinstance(ms, TIMESTEP_TABLES):
        sigma_max = torch.as_tensor(ms.sigma_max, dtype=torch.float32, device=sigma.device).reshape(1)
        return S.normalised_time(ms.timestep, sigma, ms.timestep(sigma_max).float())
    return S.log_sigma_time(sigma, float(ms.sigma_min), float(ms.sigma_max))


def form_of(ms) -> S.ModelForm:
    """The form (EDM eq. 4) of a model_sampling object: `FLOW` for CONST sampling (x = (1 − t)·x0 + t·n: SD3, Flux,
    Wan, …), else `VE` (the host scales ε, v and EDM models to x = x0 + σ·n)."""
    return S.FLOW if isinstance(ms, comfy.model_sampling.CONST) else S.VE


def model_form(model_k) -> S.ModelForm:
    """`form_of` the model behind a host sampler's model wrapper (KSamplerX0Inpaint → guider → BaseModel, as the
    host's own samplers reach it)."""
    return form_of(model_k.inner_model.inner_model.model_sampling)


def noise_level_range(model) -> tuple[float, float]:
    """(σmin, σmax) of a MODEL as noise levels σ for EDM eq. 5 (`samplers.noise_level_range`): VE models' own range;
    flow models' σ(t) = t/(1 − t) of their t range, σmax = 80 (EDM's) where t reaches 1."""
    return S.noise_level_range(form_of(model_sampling(model)), *sigma_range(model))


def denoiser_of(model_k, extra_args: dict) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The host's sampler-side model as D(x; σ) with σ a 1-D tensor of batch size. Each call first honours the
    host's interrupt (Cancel / POST /interrupt), so a cancelled run stops before its next model call."""

    def denoiser(x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        comfy.model_management.throw_exception_if_processing_interrupted()
        return model_k(x, sigma, **extra_args)

    return denoiser
