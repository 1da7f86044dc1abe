"""Zero terminal SNR (Lin et al. 2024, Algorithm 1) on the loaded v-prediction model's schedule, undone after the
generation."""

from __future__ import annotations

import logging

import torch

from . import core
from .detect import is_forge, is_forge_classic, is_v_model
from .run import Run

log = logging.getLogger("sampler_lab")


def host_ztsnr_on(sd_model) -> bool:
    """The host's own 'Zero Terminal SNR' noise schedule is on (the option, or Forge Classic's flag on a checkpoint
    saved with a `ztsnr` key)."""
    from modules import shared

    return getattr(shared.opts, "sd_noise_schedule", "Default") == "Zero Terminal SNR" or bool(
        getattr(sd_model, "ztsnr", False)
    )


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
    if is_forge_classic():
        patch_classic_model_sampling(p, run)
    cfg = getattr(sampler, "model_wrap_cfg", None)
    if cfg is not None and isinstance(getattr(cfg, "alphas", None), torch.Tensor):
        old_alphas = cfg.alphas
        cfg.alphas = rescaled
        run.restore.append(lambda: setattr(cfg, "alphas", old_alphas))


def patch_classic_model_sampling(p, run: Run) -> None:
    """Forge Classic: its sampling function maps σ back to the UNet's timestep with the `ldm_patched` model's own σ
    table, which the ᾱ table above does not reach; rescaled too, so each σ of the new schedule meets its own t."""
    model_sampling = p.sd_model.forge_objects.unet.model.model_sampling
    original = model_sampling.sigmas
    model_sampling.set_sigmas(core.zero_terminal_snr_sigmas(original))
    run.restore.append(lambda: model_sampling.set_sigmas(original))


def check_ztsnr(p) -> None:
    """Before sampling: ZTSNR needs a v-prediction model (ε carries no image information at SNR 0, Lin et al. §3.2)."""
    if not is_v_model(p.sd_model):
        raise ValueError(
            "Sampler Lab: 'Zero terminal SNR' is on but the model predicts ε, which carries no "
            "information about the image at zero SNR (Lin et al. §3.2); use a v-prediction model or "
            "switch it off."
        )
    if host_ztsnr_on(p.sd_model):
        log.warning(
            "Sampler Lab: the host's own 'Zero Terminal SNR' noise schedule is also on; Sampler Lab's rescale "
            "is applied to the model's original table."
        )
