"""Which web UI this is (AUTOMATIC1111, Forge, Forge Classic) and what it offers, each decided once per process (the
host does not change under a running web UI, so no model call repeats an import, failed or not); and what kind of
model and denoiser the host hands over."""

from __future__ import annotations

import functools
import importlib.util
import sys

from . import core
from .params import CADS, RESCALE, ZTSNR, Settings


@functools.cache
def has_module(name: str) -> bool:
    """Whether the host has the module `name` (found, not imported)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


@functools.cache
def is_forge() -> bool:
    """Forge has the `backend` package of its own model patcher; A1111 does not."""
    return "backend.sampling.sampling_function" in sys.modules or has_module("backend.sampling.sampling_function")


@functools.cache
def is_forge_classic() -> bool:
    """Forge Classic (the older Forge line): `ldm_patched`'s model patcher and sampling function, no `backend`. It
    calls on_cfg_denoiser / on_cfg_after_cfg but never on_cfg_denoised, and has no schedule-type list."""
    return not is_forge() and has_module("ldm_patched.modules.samplers")


@functools.cache
def has_scheduler_list() -> bool:
    """The host has A1111 1.10's schedule-type list (`modules.sd_schedulers`)."""
    if not has_module("modules.sd_schedulers"):
        return False
    from modules import sd_schedulers

    return hasattr(sd_schedulers, "schedulers") and hasattr(sd_schedulers, "Scheduler")


@functools.cache
def missing_apis() -> tuple[str, ...]:
    """The host APIs this adapter uses that the host lacks."""
    from modules import script_callbacks, sd_samplers, sd_samplers_kdiffusion

    needed = [
        (script_callbacks, "on_cfg_denoiser"),
        (script_callbacks, "on_cfg_after_cfg"),
        (sd_samplers, "all_samplers_map"),
        (sd_samplers_kdiffusion, "KDiffusionSampler"),
    ]
    return tuple(f"{m.__name__}.{a}" for m, a in needed if not hasattr(m, a))


def check_host() -> None:
    """Refuse a host without the APIs this adapter uses (A1111 < 1.10-style modules, or an unknown fork)."""
    missing = missing_apis()
    if missing:
        raise RuntimeError(
            f"Sampler Lab: unsupported web UI version (missing {', '.join(missing)}); use AUTOMATIC1111 1.10 or Forge."
        )


def unavailable(feature: str) -> str | None:
    """Why `feature` (a section of the accordion: `params.CHURN`, `KARRAS`, `RESCALE`, `CADS`, `ZTSNR`) cannot run on
    this host, in a few words for the accordion and the refusal; None where it runs."""
    return None


def check_feature_available(settings: Settings) -> None:
    """Refuse, by name, a generation asking for a feature this host cannot run (`unavailable`)."""
    asked = {RESCALE: settings.rescale_enabled, CADS: settings.cads_enabled, ZTSNR: settings.ztsnr_enabled}
    for feature, on in asked.items():
        reason = unavailable(feature) if on else None
        if reason:
            raise ValueError(f"Sampler Lab: '{feature}' is not available on this web UI ({reason}); switch it off.")


def model_form(sd_model) -> core.ModelForm:
    """The form (EDM eq. 4) of the loaded model as the host's samplers see it: `FLOW` for rectified-flow models
    (Forge's `const` predictors: Flux, SD3; A1111's SD3), else `VE` (ε and v models, scaled to x = x0 + σ·n)."""
    if is_forge():
        unet_model = getattr(getattr(getattr(sd_model, "forge_objects", None), "unet", None), "model", None)
        prediction = getattr(getattr(unet_model, "predictor", None), "prediction_type", "")
        return core.FLOW if prediction == "const" else core.VE
    return core.FLOW if getattr(sd_model, "is_sd3", False) else core.VE


def is_v_model(sd_model) -> bool:
    """The loaded model predicts v."""
    if is_forge():
        return getattr(sd_model.forge_objects.unet.model.predictor, "prediction_type", "") == "v_prediction"
    return getattr(sd_model, "parameterization", "eps") == "v"


def is_timesteps_denoiser(denoiser) -> bool:
    """A1111's DDIM/PLMS/UniPC denoiser: `sigma` holds timesteps and outputs are ε (Forge converts to σ first). Reads
    the host's module only if already imported (no import per model call)."""
    module = sys.modules.get("modules.sd_samplers_timesteps")
    cls = getattr(module, "CFGDenoiserTimesteps", None)
    return cls is not None and isinstance(denoiser, cls) and not getattr(denoiser, "classic_ddim_eps_estimation", False)
