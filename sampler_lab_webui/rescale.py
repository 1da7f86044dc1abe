"""CFG rescale (Lin et al. 2024, Algorithm 2) in the model's output space: A1111's three CFG callbacks, or a
post-CFG function on the patched UNet of Forge and Forge Classic."""

from __future__ import annotations

from typing import Callable

import torch

from . import core
from .conds import conds_list, rows
from .detect import is_forge, is_forge_classic, is_timesteps_denoiser
from .run import Call, Run, active, run_of


#: The hosts' own CFG rescale scripts: (script title, the host's label, whether this generation's arguments of that
#: script switch it on, given the host's options).
HOST_RESCALES: tuple[tuple[str, str, Callable[[list, object], bool]], ...] = (
    # Forge Classic (and Forge Neo): the built-in RescaleCFG slider, applied from 0.05 while its option shows it
    ("RescaleCFG", "Rescale CFG", lambda args, opts: getattr(opts, "show_rescale_cfg", True) and args[0] >= 0.05),
    # Forge: the built-in LatentModifier, when enabled with a non-zero 'Rescale Cfg Phi' (its tenth argument)
    ("LatentModifier Integrated", "LatentModifier's 'Rescale Cfg Phi'", lambda args, _: bool(args[0]) and args[9] != 0),
)


def host_rescale_on(p) -> str | None:
    """The label of the host's own CFG rescale where this generation also switches it on, else None."""
    from modules import shared

    for script in getattr(getattr(p, "scripts", None), "alwayson_scripts", None) or []:
        for title, label, is_on in HOST_RESCALES:
            if script.title() != title:
                continue
            try:
                if is_on(list(p.script_args[script.args_from : script.args_to]), shared.opts):
                    return label
            except (IndexError, TypeError, ValueError):
                continue
    return None


def on_cfg_denoiser(params) -> None:
    """A1111: remember the denoiser, x and σ of the images (the uncond rows of x_in are the sampler's x) on the run,
    for the denoised and after-CFG callbacks of this call."""
    denoiser = params.denoiser
    run = run_of(getattr(denoiser, "p", None))
    if run is None or not run.settings.rescale_enabled or is_forge() or is_forge_classic():
        return
    batch = rows(params.text_uncond)
    run.call = Call(denoiser, params.x[-batch:], params.sigma[-batch:])


def on_cfg_denoised(params) -> None:
    """A1111: the positive prediction of each image, combined from x_out by the host's own rule at scale 1, on the
    active run's call (the host passes no handle to the generation)."""
    run = active()
    call = run.call if run is not None else None
    if call is None:
        return
    denoiser = call.denoiser
    call.positive = denoiser.combine_denoised(params.x, conds_list(denoiser), params.x[-call.x.shape[0] :], 1.0)


def skip_factor(denoiser, sigma: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """c such that guided − c·x is the model's own output (ε or v) up to a per-image factor.

    k-diffusion wrappers: D = c_skip·x + c_out·F with the host's scalings (c_skip = 1 for ε, σd²/(σ²+σd²) for v).
    A1111's DDIM-type denoisers work in ε: for v models ε = √ᾱ·v + √(1−ᾱ)·x, so c = √(1−ᾱ_t); for ε models 0.
    """
    shape = (-1,) + (1,) * (like.ndim - 1)
    if is_timesteps_denoiser(denoiser):
        from modules import shared

        if getattr(shared.sd_model, "parameterization", "eps") != "v":
            return torch.zeros_like(sigma, dtype=like.dtype).reshape(shape)
        alphas = denoiser.alphas.to(sigma.device)[sigma.round().long()]
        return (1 - alphas).sqrt().to(like.dtype).reshape(shape)
    scalings = denoiser.inner_model.get_scalings(sigma)
    c_skip = scalings[0] if len(scalings) == 3 else torch.ones_like(sigma)
    return torch.as_tensor(c_skip, device=like.device).to(like.dtype).reshape(shape)


def on_cfg_after_cfg(params) -> None:
    """A1111: φ-rescale of the guided prediction (`samplers.rescale_guided_output`) of the active run's call (the
    host passes no handle to the generation); masked img2img keeps its known region."""
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


def predictor_of(model):
    """The object holding the host's D-from-output formula: Forge's `predictor`, Forge Classic's (ComfyUI-style)
    `model_sampling`."""
    return model.predictor if hasattr(model, "predictor") else model.model_sampling


def forge_post_cfg(phi: float) -> Callable[[dict], torch.Tensor]:
    """Forge and Forge Classic: a post-CFG function of the model patcher, `samplers.rescale_guided_output` with
    c_skip read off the model's own formula (`samplers.skip_part`)."""

    def post_cfg(args: dict) -> torch.Tensor:
        skip = core.skip_part(predictor_of(args["model"]).calculate_denoised, args["sigma"], args["input"])
        return core.rescale_guided_output(args["denoised"], args["cond_denoised"], skip, phi)

    return post_cfg


def patch_forge_unet(p, run: Run) -> None:
    """Forge and Forge Classic: CFG rescale as a post-CFG function on a clone of this pass's UNet patcher (both call
    the patcher's post-CFG functions from their sampling function on every model call)."""
    if not run.settings.rescale_enabled:
        return
    unet = p.sd_model.forge_objects.unet.clone()
    unet.set_model_sampler_post_cfg_function(forge_post_cfg(run.settings.phi))
    p.sd_model.forge_objects.unet = unet
