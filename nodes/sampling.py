"""Sampler nodes: EDM Algorithm 2 (Heun with churn) as a SAMPLER, and the whole EDM recipe as one KSampler."""

from __future__ import annotations

import inspect
import math

import comfy.model_management
import comfy.sample
import comfy.samplers
import comfy.utils
import latent_preview

from .. import samplers as S
from .inputs import P, widget, widgets
from .host import (
    check_finite_latent,
    check_finite_result,
    check_inputs,
    denoiser_of,
    form_of,
    model_form,
    model_sampling,
    noise_level_range,
)

CHURN_INPUTS = widgets(*P.CHURN)


def heun_churn_sampler_function(
    model,
    x,
    sigmas,
    extra_args=None,
    callback=None,
    disable=None,
    s_churn=0.0,
    s_tmin=0.0,
    s_tmax=math.inf,
    s_noise=1.0,
):
    """A host sampler function: EDM Algorithm 2 with per-sample churn noise seeded by the run's seed, the churn in
    the model's own form (flow models: x = (1 − t)·x0 + t·n)."""
    extra_args = {} if extra_args is None else extra_args
    if getattr(model, "latent_image", None) is not None:  # the host's KSAMPLER keeps the input latent here
        check_finite_latent(model.latent_image)
    check_finite_latent(x, limit=None)  # x = noise scaled to σ0 + the input latent: NaN here comes from the latent
    seeds = S.sample_seeds(extra_args.get("seed"), getattr(model, "noise", None), x.shape[0])
    return check_finite_result(
        S.sample_heun_churn(
            denoiser_of(model, extra_args),
            x,
            sigmas,
            s_churn=s_churn,
            s_tmin=s_tmin,
            s_tmax=s_tmax,
            s_noise=s_noise,
            noise_sampler=S.per_sample_noise_sampler(x, seeds),
            callback=callback,
            form=model_form(model),
        ),
        sigmas,
    )


def heun_churn_sampler(s_churn: float, s_tmin: float, s_tmax: float, s_noise: float) -> comfy.samplers.KSAMPLER:
    check_inputs(SamplerLabHeunChurn, s_churn=s_churn, s_tmin=s_tmin, s_tmax=s_tmax, s_noise=s_noise)
    S.check_churn_window(s_tmin, s_tmax)
    options = {"s_churn": s_churn, "s_tmin": s_tmin, "s_tmax": s_tmax, "s_noise": s_noise}
    return comfy.samplers.KSAMPLER(heun_churn_sampler_function, extra_options=options)


DOWNSCALE_RATIO_KEYS = ("downscale_ratio_spacial", "downscale_ratio_temporal")


def fix_empty_latent(model, latent: dict):
    """The host's `fix_empty_latent_channels` on latent["samples"]. Hosts whose function takes the downscale ratios a
    LATENT may carry (ComfyUI ≥ 0.10) get them, and they leave `latent` (a copy), as the host's KSampler does."""
    params = inspect.signature(comfy.sample.fix_empty_latent_channels).parameters
    if all(key in params for key in DOWNSCALE_RATIO_KEYS):
        ratios = {key: latent.pop(key, None) for key in DOWNSCALE_RATIO_KEYS}
        return comfy.sample.fix_empty_latent_channels(model, latent["samples"], **ratios)
    return comfy.sample.fix_empty_latent_channels(model, latent["samples"])


class SamplerLabHeunChurn:
    DISPLAY_NAME = "Heun + Churn Sampler (Sampler Lab)"
    DESCRIPTION = (
        "EDM's stochastic sampler (Karras et al. 2022, Algorithm 2): each step raises σ_i to σ̂ = "
        "σ_i(1+γ_i) with fresh noise, then takes a 2nd-order Heun step; the step to σ = 0 is Euler. Noise "
        "is seeded per sample, so an image does not change with the batch it runs in. Connect to "
        "SamplerCustom / SamplerCustomAdvanced."
    )
    CATEGORY = "model/sampling/samplers"
    SEARCH_ALIASES = ["edm", "heun", "churn", "stochastic sampler", "karras sampler"]
    RETURN_TYPES = ("SAMPLER",)
    FUNCTION = "get_sampler"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": dict(CHURN_INPUTS)}

    def get_sampler(self, s_churn: float, s_tmin: float, s_tmax: float, s_noise: float):
        return (heun_churn_sampler(s_churn, s_tmin, s_tmax, s_noise),)


class SamplerLabKSampler:
    DISPLAY_NAME = "EDM KSampler (Sampler Lab)"
    DESCRIPTION = (
        "The EDM recipe in one node: Karras σ schedule with ρ (eq. 5) over the model's own σ range, sampled "
        "with Heun and churn (Algorithm 2). Same seed, same image; each image of a batch is the one it "
        "would be alone."
    )
    CATEGORY = "model/sampling"
    SEARCH_ALIASES = ["edm", "karras", "heun", "churn", "edm sampler", "ksampler"]
    RETURN_TYPES = ("LATENT",)
    FUNCTION = "sample"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "model": ("MODEL", {"tooltip": "The diffusion model (ε, v or flow prediction)."}),
                "seed": widget(P.SEED, control_after_generate=True),
                "steps": widget(P.HEUN_STEPS),
                "cfg": widget(P.CFG),
                "positive": ("CONDITIONING", {"tooltip": "What the image should show."}),
                "negative": ("CONDITIONING", {"tooltip": "What the image should not show."}),
                "latent_image": ("LATENT", {"tooltip": "The latent to denoise (an empty latent for text-to-image)."}),
                "denoise": widget(P.DENOISE),
                "rho": widget(P.RHO),
                **CHURN_INPUTS,
            },
        }

    def sample(
        self, model, seed, steps, cfg, positive, negative, latent_image, denoise, rho, s_churn, s_tmin, s_tmax, s_noise
    ):
        check_inputs(
            SamplerLabKSampler,
            seed=seed,
            steps=steps,
            cfg=cfg,
            denoise=denoise,
            rho=rho,
            s_churn=s_churn,
            s_tmin=s_tmin,
            s_tmax=s_tmax,
            s_noise=s_noise,
        )
        latent = latent_image.copy()
        samples = fix_empty_latent(model, latent)
        check_finite_latent(samples)
        if denoise <= 0.0:  # as the host's KSampler: an empty schedule gives the latent after its channel fix
            latent["samples"] = samples.to(comfy.model_management.intermediate_device())
            return (latent,)
        sigma_min, sigma_max = noise_level_range(model)
        form = form_of(model_sampling(model))
        sigmas = S.denoise_sigmas(lambda n: S.karras_levels(n, sigma_min, sigma_max, rho, form), steps, denoise)
        noise = comfy.sample.prepare_noise(samples, seed, latent.get("batch_index"))
        callback = latent_preview.prepare_callback(model, steps)
        latent["samples"] = comfy.sample.sample_custom(
            model,
            noise,
            cfg,
            heun_churn_sampler(s_churn, s_tmin, s_tmax, s_noise),
            sigmas,
            positive,
            negative,
            samples,
            noise_mask=latent.get("noise_mask"),
            callback=callback,
            disable_pbar=not comfy.utils.PROGRESS_BAR_ENABLED,
            seed=seed,
        )
        return (latent,)
