"""The `EDM Heun` sampler: EDM Algorithm 2 (`samplers.sample_heun_churn`) registered as a k-diffusion sampler."""

from __future__ import annotations

import torch

from . import core
from .detect import model_form
from .params import Settings
from .run import run_of

SAMPLER_NAME = "EDM Heun"


@torch.no_grad()
def sample_edm_heun(model, x, sigmas, extra_args=None, callback=None, disable=None):
    """A k-diffusion-style sampler function: EDM Algorithm 2 (Karras et al. 2022) via `samplers.sample_heun_churn`,
    the churn in the model's own form (`model_form`).

    Churn parameters come from this generation's accordion (never the global settings); churn noise from the host's
    per-image generators (`p.rng`), so image k is the same alone or in a batch.
    """
    p = model.p
    run = run_of(p)
    s = run.settings if run is not None else Settings()
    extra_args = extra_args or {}
    rng = getattr(p, "rng", None)
    noise = (lambda sigma, sigma_hat: rng.next().to(device=x.device, dtype=x.dtype)) if rng is not None else None
    return core.sample_heun_churn(
        lambda xi, sigma: model(xi, sigma, **extra_args),
        x,
        sigmas.to(x.device),
        s_churn=s.s_churn,
        s_tmin=s.s_tmin,
        s_tmax=s.s_tmax,
        s_noise=s.s_noise,
        noise_sampler=noise,
        callback=callback,
        form=model_form(p.sd_model),
    )


def register_sampler() -> None:
    """`EDM Heun` in the host's sampler list (idempotent), built like the host's own k-diffusion samplers."""
    from modules import sd_samplers, sd_samplers_common, sd_samplers_kdiffusion

    if SAMPLER_NAME in sd_samplers.all_samplers_map:
        return
    data = sd_samplers_common.SamplerData(
        SAMPLER_NAME,
        lambda model: sd_samplers_kdiffusion.KDiffusionSampler(sample_edm_heun, model),
        ["samplerlab_edm_heun"],
        {"second_order": True},
    )
    sd_samplers.all_samplers.append(data)
    sd_samplers.all_samplers_map[SAMPLER_NAME] = data
    getattr(sd_samplers_kdiffusion, "k_diffusion_samplers_map", {})[SAMPLER_NAME] = data
    sd_samplers.set_samplers()
    clear_name_cache(sd_samplers)


def clear_name_cache(sd_samplers) -> None:
    """Forget the host's cached lookups of sampler and schedule names (after adding some)."""
    cache_clear = getattr(getattr(sd_samplers, "get_sampler_and_scheduler", None), "cache_clear", None)
    if cache_clear is not None:
        cache_clear()


def uses_heun(p) -> bool:
    """This generation's first or hires pass uses the `EDM Heun` sampler."""
    return SAMPLER_NAME in (getattr(p, "sampler_name", None), getattr(p, "hr_sampler_name", None))
