"""Registration of the CFG callbacks with the host's `script_callbacks`."""

from __future__ import annotations

import inspect

from . import cads, rescale


def register_callbacks() -> None:
    """The CFG callbacks (every host calls on_cfg_denoiser / on_cfg_after_cfg; Forge and Forge Classic never call
    on_cfg_denoised). Forge Classic's (A1111 1.8-era) registration takes no `name`."""
    from modules import script_callbacks

    named = "name" in inspect.signature(script_callbacks.on_cfg_denoiser).parameters
    rescale_name = "sampler_lab_cfg_rescale"
    for register, callback, name in (
        (script_callbacks.on_cfg_denoiser, cads.on_cfg_denoiser, "sampler_lab_cads"),
        (script_callbacks.on_cfg_denoiser, rescale.on_cfg_denoiser, rescale_name),
        (script_callbacks.on_cfg_denoised, rescale.on_cfg_denoised, rescale_name),
        (script_callbacks.on_cfg_after_cfg, rescale.on_cfg_after_cfg, rescale_name),
    ):
        if named:
            register(callback, name=name)
        else:
            register(callback)
