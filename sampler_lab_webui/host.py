"""Host glue for AUTOMATIC1111 1.10 and Forge: host types in, `samplers/` (as `sampler_lab_core`) calls, host types out.

Host modules are imported inside functions, so this package also imports (and its pure parts test) without a host.
A generation's state lives on the processing object `p` as `p.sampler_lab` (a `Run`), the state of its model call in
progress included; host callbacks read it from the denoiser's `p`. Scheduler functions and A1111's denoised /
after-CFG callbacks get no `p`: they read the run being processed (`active()`), which is unambiguous because both
hosts process one generation at a time.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import logging
import sys
from typing import Any, Callable

import torch

from . import core
from .params import Settings, core_refusal

log = logging.getLogger("sampler_lab")

SAMPLER_NAME = "EDM Heun"
SCHEDULERS = {
    "samplerlab_karras": "Sampler Lab Karras",
    "samplerlab_trailing": "Sampler Lab trailing",
    "samplerlab_linspace": "Sampler Lab linspace",
    "samplerlab_leading": "Sampler Lab leading",
}
#: Columns of SDXL's `vector` that are the pooled CLIP embedding (the rest are size/crop embeddings).
POOLED_WIDTH = 1280


@dataclasses.dataclass
class Call:
    """What A1111's three CFG callbacks of one model call share: its CFG denoiser, the images' x and σ, and the
    positive prediction (from the denoised callback)."""

    denoiser: Any
    x: torch.Tensor
    sigma: torch.Tensor
    positive: torch.Tensor | None = None


@dataclasses.dataclass
class Run:
    """One generation: its settings, what was patched (restored after sampling) and A1111's model call in progress
    (for CFG rescale)."""

    settings: Settings
    restore: list[Callable[[], None]] = dataclasses.field(default_factory=list)
    call: Call | None = None


#: The generation being processed: the one reference for the host functions that get no `p`.
_ACTIVE: Run | None = None


@functools.cache
def is_forge() -> bool:
    """Forge has the `backend` package of its own model patcher; A1111 does not. Decided once per process (the host
    does not change under a running web UI), so A1111's model calls do not repeat a failed import."""
    return "backend.sampling.sampling_function" in sys.modules or _has_module("backend.sampling.sampling_function")


@functools.cache
def is_forge_classic() -> bool:
    """Forge Classic (the older Forge line): `ldm_patched`'s model patcher and sampling function, no `backend`. It
    calls on_cfg_denoiser / on_cfg_after_cfg but never on_cfg_denoised, and has no schedule-type list."""
    return not is_forge() and _has_module("ldm_patched.modules.samplers")


def check_feature_available(settings: Settings) -> None:
    """Refuse, by name, a feature this host cannot run: CFG rescale on Forge Classic (A1111's path needs the
    on_cfg_denoised callback Classic never calls; a post-CFG function on its patcher left the booted UI's image
    unchanged, so it is not offered until that is understood)."""
    if settings.rescale_enabled and is_forge_classic():
        raise ValueError(
            "Sampler Lab: 'CFG rescale' is not available on Forge Classic; switch it off (Classic's own "
            "RescaleCFG script does the same job there)."
        )


def _has_module(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def check_host() -> None:
    """Refuse a host without the APIs this adapter uses (A1111 < 1.10-style modules, or an unknown fork)."""
    from modules import script_callbacks, sd_samplers, sd_samplers_kdiffusion

    needed = [
        (script_callbacks, "on_cfg_denoiser"),
        (script_callbacks, "on_cfg_after_cfg"),
        (sd_samplers, "all_samplers_map"),
        (sd_samplers_kdiffusion, "KDiffusionSampler"),
    ]
    missing = [f"{m.__name__}.{a}" for m, a in needed if not hasattr(m, a)]
    if missing:
        raise RuntimeError(
            f"Sampler Lab: unsupported web UI version (missing {', '.join(missing)}); use AUTOMATIC1111 1.10 or Forge."
        )


def run_of(p) -> Run | None:
    return getattr(p, "sampler_lab", None)


def active() -> Run | None:
    return _ACTIVE


def begin(p, settings: Settings) -> Run:
    global _ACTIVE
    p.sampler_lab = _ACTIVE = Run(settings)
    return _ACTIVE


def restore(p) -> None:
    """Undo the patches of the last pass, newest first (idempotent)."""
    run = run_of(p)
    while run is not None and run.restore:
        run.restore.pop()()


def end(p) -> None:
    """Undo every patch of the generation and forget it."""
    global _ACTIVE
    restore(p)
    if _ACTIVE is run_of(p):
        _ACTIVE = None


# ----------------------------------------------------------------------------------------------------------------
# EDM Heun sampler
# ----------------------------------------------------------------------------------------------------------------


def model_form(sd_model) -> core.ModelForm:
    """The form (EDM eq. 4) of the loaded model as the host's samplers see it: `FLOW` for rectified-flow models
    (Forge's `const` predictors: Flux, SD3; A1111's SD3), else `VE` (ε and v models, scaled to x = x0 + σ·n)."""
    if is_forge():
        unet_model = getattr(getattr(getattr(sd_model, "forge_objects", None), "unet", None), "model", None)
        prediction = getattr(getattr(unet_model, "predictor", None), "prediction_type", "")
        return core.FLOW if prediction == "const" else core.VE
    return core.FLOW if getattr(sd_model, "is_sd3", False) else core.VE


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
    _clear_name_cache(sd_samplers)


def _clear_name_cache(sd_samplers) -> None:
    cache_clear = getattr(getattr(sd_samplers, "get_sampler_and_scheduler", None), "cache_clear", None)
    if cache_clear is not None:
        cache_clear()


# ----------------------------------------------------------------------------------------------------------------
# schedules
# ----------------------------------------------------------------------------------------------------------------


def karras_schedule(n: int, sigma_min: float, sigma_max: float, device=None, **_: Any) -> torch.Tensor:
    """EDM eq. 5 with the accordion's ρ over the range the host passes (the model's, unless the user overrides), as
    noise levels σ (`samplers.karras_levels`): on flow models eq. 5 runs over σ = t/(1 − t) up to a finite σmax and
    is mapped back to the model's t."""
    from modules import shared

    run = active()
    rho = run.settings.rho if run is not None else Settings.rho
    form = model_form(shared.sd_model)
    low, high = core.noise_level_range(form, float(sigma_min), float(sigma_max))
    return core.karras_levels(int(n), low, high, rho, form, device=device)


def spacing_schedule(spacing: str) -> Callable[..., torch.Tensor]:
    """Lin et al. 2024 Table 2 spacing on the model's discrete σ table (index = timestep)."""

    def schedule(n: int, sigma_min: float = 0.0, sigma_max: float = 0.0, inner_model=None, device=None, **_: Any):
        table = inner_model.sigmas.detach().float().cpu()
        with core_refusal():
            core.check_steps_within_timesteps(int(n), len(table))
        return core.sigmas_for_timesteps(table, core.spacing_timesteps(spacing, int(n), len(table))).to(device)

    schedule.__name__ = f"samplerlab_{spacing}"
    return schedule


def schedule_function(name: str) -> Callable[..., torch.Tensor]:
    return karras_schedule if name == "samplerlab_karras" else spacing_schedule(name.removeprefix("samplerlab_"))


def has_scheduler_list() -> bool:
    from modules import sd_schedulers

    return hasattr(sd_schedulers, "schedulers") and hasattr(sd_schedulers, "Scheduler")


def register_schedulers() -> bool:
    """The four schedules in the host's schedule-type list (idempotent). False where the host has none."""
    if not _has_module("modules.sd_schedulers") or not has_scheduler_list():
        return False
    from modules import sd_samplers, sd_schedulers

    for name, label in SCHEDULERS.items():
        if name in sd_schedulers.schedulers_map:
            continue
        entry = sd_schedulers.Scheduler(
            name, label, schedule_function(name), need_inner_model=name != "samplerlab_karras"
        )
        sd_schedulers.schedulers.append(entry)
        sd_schedulers.schedulers_map[name] = sd_schedulers.schedulers_map[label] = entry
    _clear_name_cache(sd_samplers)
    return True


def uses_karras(p) -> bool:
    return "samplerlab_karras" in (getattr(p, "scheduler", None), getattr(p, "hr_scheduler", None)) or SCHEDULERS[
        "samplerlab_karras"
    ] in (getattr(p, "scheduler", None), getattr(p, "hr_scheduler", None))


def uses_heun(p) -> bool:
    return SAMPLER_NAME in (getattr(p, "sampler_name", None), getattr(p, "hr_sampler_name", None))


# ----------------------------------------------------------------------------------------------------------------
# per-call conditioning rows, time and seeds (both hosts)
# ----------------------------------------------------------------------------------------------------------------


def _rows(cond) -> int:
    return (cond["crossattn"] if isinstance(cond, dict) else cond).shape[0]


def _cond_images(denoiser, cond_rows: int, batch: int) -> list[tuple[int, int]]:
    """(image, index within that image's AND-prompts) of each positive conditioning row."""
    if cond_rows == batch:
        return [(i, 0) for i in range(batch)]
    from modules import prompt_parser

    conds_list, _ = prompt_parser.reconstruct_multicond_batch(
        denoiser.sampler.sampler_extra_args["cond"], denoiser.step
    )
    owner = {}
    for image, conds in enumerate(conds_list):
        for j, (row, _weight) in enumerate(conds):
            owner[row] = (image, j)
    return [owner[r] for r in range(cond_rows)]


def _is_timesteps_denoiser(denoiser) -> bool:
    """A1111's DDIM/PLMS/UniPC denoiser: `sigma` holds timesteps and outputs are ε (Forge converts to σ first)."""
    module = sys.modules.get("modules.sd_samplers_timesteps")
    cls = getattr(module, "CFGDenoiserTimesteps", None)
    return cls is not None and isinstance(denoiser, cls) and not getattr(denoiser, "classic_ddim_eps_estimation", False)


def normalised_time(denoiser, sigma: torch.Tensor) -> torch.Tensor:
    """t ∈ [0, 1] per row (1 = pure noise): `samplers.normalised_time` with the host's σ → timestep map (the identity
    for DDIM-type denoisers, whose `sigma` holds timesteps) and its last timestep."""
    if _is_timesteps_denoiser(denoiser):
        return core.normalised_time(lambda t: t, sigma, len(denoiser.alphas) - 1)
    inner = denoiser.inner_model
    return core.normalised_time(inner.sigma_to_t, sigma, len(inner.sigmas) - 1)


def image_seeds(p, batch: int) -> list[int]:
    """Per-image 63-bit seeds of the batch from the host's per-image seeds (`samplers/seeds.py` scheme)."""
    seeds = list(getattr(p, "seeds", None) or [])[:batch]
    seeds += [getattr(p, "seed", 0) or 0] * (batch - len(seeds))
    return [core.sample_seeds(int(s), None, 1)[0] for s in seeds]


# ----------------------------------------------------------------------------------------------------------------
# CADS (Sadat et al. ICLR 2024) through on_cfg_denoiser, both hosts
# ----------------------------------------------------------------------------------------------------------------


def cads_on_cfg_denoiser(params) -> None:
    """Anneal the conditioning rows of this model call: tokens and SDXL's pooled part of `vector` (never its size
    embeddings). A1111 passes cond rows then uncond rows in `x`/`sigma`; Forge passes the B image rows."""
    denoiser = params.denoiser
    run = run_of(getattr(denoiser, "p", None))
    if run is None or not run.settings.cads_enabled:
        return
    s = run.settings
    batch = _rows(params.text_uncond) if params.text_uncond is not None else params.x.shape[0]
    cond_rows = _rows(params.text_cond)
    owners = _cond_images(denoiser, cond_rows, batch)
    sigma = params.sigma
    if sigma.shape[0] == batch:  # Forge: one σ per image
        cond_sigma = sigma[[i for i, _ in owners]]
        uncond_sigma = sigma
    else:  # A1111: cond rows, then uncond rows
        cond_sigma, uncond_sigma = sigma[:cond_rows], sigma[cond_rows : cond_rows + batch]
    seeds = image_seeds(denoiser.p, batch)
    params.text_cond = _cads(
        params.text_cond, denoiser, cond_sigma, [seeds[i] for i, _ in owners], [j for _, j in owners], False, s
    )
    if s.cads_negative and params.text_uncond is not None:
        params.text_uncond = _cads(params.text_uncond, denoiser, uncond_sigma, seeds, [0] * batch, True, s)


def _cads(cond, denoiser, sigma: torch.Tensor, seeds: list[int], prompts: list[int], negative: bool, s: Settings):
    """CADS on the rows of one conditioning; row k: image seed seeds[k], AND-prompt prompts[k] (`samplers.seeds`
    scheme)."""
    gamma = core.cads_gamma(normalised_time(denoiser, sigma), s.tau1, s.tau2)
    if bool((gamma >= 1).all()):
        return cond
    levels = sigma.float().tolist()

    def anneal(y: torch.Tensor, pooled: bool, width: int | None) -> torch.Tensor:
        streams = [core.cads_stream(negative=negative, pooled=pooled, prompt=j) for j in prompts]
        return core.cads_anneal(
            y,
            gamma,
            core.cads_noise_seeds(seeds, levels, streams, s.cads_seed),
            s.noise_scale,
            psi=s.psi,
            rescale=s.cads_rescale,
            width=width,
        )

    if isinstance(cond, dict):
        out = _copy_cond(cond)
        out["crossattn"] = anneal(cond["crossattn"], False, None)
        if "vector" in cond:
            out["vector"] = anneal(cond["vector"], True, POOLED_WIDTH)
        return out
    return anneal(cond, False, None)


def _copy_cond(cond: dict) -> dict:
    """A shallow copy of a dict conditioning, keeping the host's DictWithShape type and shape."""
    dict_with_shape: Any = type(cond)
    return dict_with_shape(dict(cond), cond.shape) if hasattr(cond, "shape") else dict(cond)


# ----------------------------------------------------------------------------------------------------------------
# CFG rescale (Lin et al. 2024, Algorithm 2) in the model's own output space
# ----------------------------------------------------------------------------------------------------------------


def rescale_on_cfg_denoiser(params) -> None:
    """A1111: remember the denoiser, x and σ of the images (the uncond rows of x_in are the sampler's x) on the run,
    for the denoised and after-CFG callbacks of this call."""
    denoiser = params.denoiser
    run = run_of(getattr(denoiser, "p", None))
    if run is None or not run.settings.rescale_enabled or is_forge() or is_forge_classic():
        return
    batch = _rows(params.text_uncond)
    run.call = Call(denoiser, params.x[-batch:], params.sigma[-batch:])


def rescale_on_cfg_denoised(params) -> None:
    """A1111: the positive prediction of each image, combined from x_out by the host's own rule at scale 1."""
    run = active()
    call = run.call if run is not None else None
    if call is None:
        return
    from modules import prompt_parser

    denoiser = call.denoiser
    conds_list, _ = prompt_parser.reconstruct_multicond_batch(
        denoiser.sampler.sampler_extra_args["cond"], denoiser.step
    )
    call.positive = denoiser.combine_denoised(params.x, conds_list, params.x[-call.x.shape[0] :], 1.0)


def skip_factor(denoiser, sigma: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """c such that guided − c·x is the model's own output (ε or v) up to a per-image factor.

    k-diffusion wrappers: D = c_skip·x + c_out·F with the host's scalings (c_skip = 1 for ε, σd²/(σ²+σd²) for v).
    A1111's DDIM-type denoisers work in ε: for v models ε = √ᾱ·v + √(1−ᾱ)·x, so c = √(1−ᾱ_t); for ε models 0.
    """
    shape = (-1,) + (1,) * (like.ndim - 1)
    if _is_timesteps_denoiser(denoiser):
        from modules import shared

        if getattr(shared.sd_model, "parameterization", "eps") != "v":
            return torch.zeros_like(sigma, dtype=like.dtype).reshape(shape)
        alphas = denoiser.alphas.to(sigma.device)[sigma.round().long()]
        return (1 - alphas).sqrt().to(like.dtype).reshape(shape)
    scalings = denoiser.inner_model.get_scalings(sigma)
    c_skip = scalings[0] if len(scalings) == 3 else torch.ones_like(sigma)
    return torch.as_tensor(c_skip, device=like.device).to(like.dtype).reshape(shape)


def rescale_on_cfg_after_cfg(params) -> None:
    """A1111: φ-rescale of the guided prediction (`samplers.rescale_guided_output`); masked img2img keeps its known
    region."""
    run = active()
    call = run.call if run is not None else None
    if run is None or call is None or call.positive is None:
        return
    run.call = None
    denoiser = call.denoiser
    skip = skip_factor(denoiser, call.sigma, params.x) * call.x
    out = core.rescale_guided_output(params.x, call.positive, skip, run.settings.phi)
    if denoiser.mask is not None and not denoiser.mask_before_denoising:
        out = out * denoiser.nmask + denoiser.init_latent * denoiser.mask
    params.x = out


def forge_post_cfg(phi: float) -> Callable[[dict], torch.Tensor]:
    """Forge: a post-CFG function of the model patcher, `samplers.rescale_guided_output` with c_skip read off the
    predictor's own formula (`samplers.skip_part`)."""

    def post_cfg(args: dict) -> torch.Tensor:
        skip = core.skip_part(args["model"].predictor.calculate_denoised, args["sigma"], args["input"])
        return core.rescale_guided_output(args["denoised"], args["cond_denoised"], skip, phi)

    return post_cfg


def patch_forge_unet(p, run: Run) -> None:
    """Forge: CFG rescale as a post-CFG function on a clone of this pass's UNet patcher."""
    if not run.settings.rescale_enabled:
        return
    unet = p.sd_model.forge_objects.unet.clone()
    unet.set_model_sampler_post_cfg_function(forge_post_cfg(run.settings.phi))
    p.sd_model.forge_objects.unet = unet


# ----------------------------------------------------------------------------------------------------------------
# zero terminal SNR (Lin et al. 2024, Algorithm 1)
# ----------------------------------------------------------------------------------------------------------------


def is_v_model(sd_model) -> bool:
    if is_forge():
        return getattr(sd_model.forge_objects.unet.model.predictor, "prediction_type", "") == "v_prediction"
    return getattr(sd_model, "parameterization", "eps") == "v"


def host_ztsnr_on() -> bool:
    from modules import shared

    return getattr(shared.opts, "sd_noise_schedule", "Default") == "Zero Terminal SNR"


def patch_ztsnr(p, run: Run) -> None:
    """Patch the model's ᾱ table (and the sampler's σ table built from it) for this pass; `end()` restores it."""
    if not run.settings.ztsnr_enabled:
        return
    if is_forge():
        predictor = p.sd_model.forge_objects.unet.model.predictor
        original = predictor.sigmas
        predictor.set_sigmas(core.zero_terminal_snr_sigmas(original))
        run.restore.append(lambda: predictor.set_sigmas(original))
        return
    sd_model = p.sd_model
    original = sd_model.alphas_cumprod
    base = getattr(sd_model, "alphas_cumprod_original", None)
    rescaled = core.zero_terminal_snr_alphas_cumprod((base if base is not None else original).cpu())
    rescaled = rescaled.to(original.device, original.dtype)
    sd_model.alphas_cumprod = rescaled
    run.restore.append(lambda: setattr(sd_model, "alphas_cumprod", original))
    sampler = getattr(p, "sampler", None)
    wrap = getattr(sampler, "model_wrap", None)
    if wrap is not None and isinstance(getattr(wrap, "sigmas", None), torch.Tensor) and hasattr(wrap, "log_sigmas"):
        old_sigmas, old_log = wrap.sigmas, wrap.log_sigmas
        sigmas = core.sigmas_from_alphas_cumprod(rescaled.double().cpu()).to(old_sigmas.device, old_sigmas.dtype)
        wrap.register_buffer("sigmas", sigmas)
        wrap.register_buffer("log_sigmas", sigmas.log())

        def restore_sigmas() -> None:
            wrap.register_buffer("sigmas", old_sigmas)
            wrap.register_buffer("log_sigmas", old_log)

        run.restore.append(restore_sigmas)
    cfg = getattr(sampler, "model_wrap_cfg", None)
    if cfg is not None and isinstance(getattr(cfg, "alphas", None), torch.Tensor):
        old_alphas = cfg.alphas
        cfg.alphas = rescaled
        run.restore.append(lambda: setattr(cfg, "alphas", old_alphas))


def check_ztsnr(p) -> None:
    """Before sampling: ZTSNR needs a v-prediction model (ε carries no image information at SNR 0, Lin et al. §3.2)."""
    if not is_v_model(p.sd_model):
        raise ValueError(
            "Sampler Lab: 'Zero terminal SNR' is on but the model predicts ε, which carries no "
            "information about the image at zero SNR (Lin et al. §3.2); use a v-prediction model or "
            "switch it off."
        )
    if host_ztsnr_on():
        log.warning(
            "Sampler Lab: the host's own 'Zero Terminal SNR' noise schedule is also on; Sampler Lab's rescale "
            "is applied to the model's original table."
        )


def register_callbacks() -> None:
    """The CFG callbacks (every host calls on_cfg_denoiser / on_cfg_after_cfg; Forge and Forge Classic never call
    on_cfg_denoised). Forge Classic's (A1111 1.8-era) registration takes no `name`."""
    from modules import script_callbacks

    named = "name" in inspect.signature(script_callbacks.on_cfg_denoiser).parameters
    rescale = "sampler_lab_cfg_rescale"
    for register, callback, name in (
        (script_callbacks.on_cfg_denoiser, cads_on_cfg_denoiser, "sampler_lab_cads"),
        (script_callbacks.on_cfg_denoiser, rescale_on_cfg_denoiser, rescale),
        (script_callbacks.on_cfg_denoised, rescale_on_cfg_denoised, rescale),
        (script_callbacks.on_cfg_after_cfg, rescale_on_cfg_after_cfg, rescale),
    ):
        if named:
            register(callback, name=name)
        else:
            register(callback)
