"""The A1111/Forge script: one always-visible "Sampler Lab" accordion, infotext, XYZ-plot axes, and the hooks that
validate, patch and restore around each generation. Host and gradio imports happen inside the functions."""

from __future__ import annotations

import logging
from typing import Any, Callable

from . import callbacks, detect, params, rescale, sampler, schedules, ztsnr
from .params import NUMERIC, PARAMS, Param, Settings
from .run import begin, end, restore, run_of

log = logging.getLogger("sampler_lab")

#: Features whose numeric parameters switch the feature on when an XYZ axis sets them.
_SWITCH = {"CFG rescale": "rescale_enabled", "CADS": "cads_enabled"}
_INFOTEXT_KEYS = frozenset(p.infotext_key for p in PARAMS)
_SECTIONS = ("EDM Heun", "Karras", "CFG rescale", "CADS", "Zero terminal SNR")
_SECTION_NOTES = {
    "EDM Heun": "Churn of the `EDM Heun` sampler (pick it in the sampler list).",
    "Karras": "ρ of the `Sampler Lab Karras` schedule type (pick it in the schedule list).",
    "Zero terminal SNR": "Rescale the model's ᾱ table to zero terminal SNR for this generation (v-prediction models "
    "only).",
}


def component(gr, param: Param, is_img2img: bool):
    """The gradio input of one parameter: checkbox, slider (narrow ranges) or number box."""
    elem_id = f"sampler_lab_{param.name}_{'img2img' if is_img2img else 'txt2img'}"
    if param.kind is bool:
        return gr.Checkbox(label=param.label, value=param.default, elem_id=elem_id, info=param.tooltip or None)
    if (param.maximum or 0) - (param.minimum or 0) <= 100:
        return gr.Slider(
            label=param.label,
            minimum=param.minimum,
            maximum=param.maximum,
            step=param.step,
            value=param.default,
            elem_id=elem_id,
            info=param.tooltip,
        )
    return gr.Number(
        label=param.label,
        value=param.default,
        minimum=param.minimum,
        maximum=param.maximum,
        step=param.step,
        precision=0 if param.kind is int else None,
        elem_id=elem_id,
        info=param.tooltip,
    )


def build_ui(gr, is_img2img: bool) -> list:
    """The accordion's components in PARAMS order (the script's argument order)."""
    by_name = {}
    with gr.Accordion("Sampler Lab", open=False, elem_id=f"sampler_lab_{'img2img' if is_img2img else 'txt2img'}"):
        for section in _SECTIONS:
            with gr.Group():
                gr.Markdown(f"**{section}**" + (f" — {_SECTION_NOTES[section]}" if section in _SECTION_NOTES else ""))
                with gr.Row():
                    for param in (p for p in PARAMS if p.feature == section):
                        by_name[param.name] = component(gr, param, is_img2img)
    return [by_name[p.name] for p in PARAMS]


def paste_function(param: Param) -> Callable[[dict], Any]:
    return lambda fields: params.from_infotext(param, fields)


def xyz_apply(param: Param) -> Callable[[Any, Any, Any], None]:
    """An XYZ-plot apply function: this cell's value (and the feature's switch) as an override on its own p copy."""

    def apply(p, value, _values) -> None:
        overrides = dict(getattr(p, "sampler_lab_xyz", None) or {})
        overrides[param.name] = value
        if param.feature in _SWITCH:
            overrides[_SWITCH[param.feature]] = True
        p.sampler_lab_xyz = overrides

    return apply


def add_xyz_axes(xyz) -> None:
    """One axis per numeric parameter on the XYZ-plot script module (idempotent)."""
    known = {getattr(a, "label", None) for a in xyz.axis_options}
    for param in NUMERIC:
        label = f"[Sampler Lab] {param.label}"
        if label not in known:
            xyz.axis_options.append(xyz.AxisOption(label, param.kind, xyz_apply(param)))


def find_xyz_module():
    from modules import scripts

    for data in scripts.scripts_data:
        if data.script_class.__module__ in ("xyz_grid.py", "xyz_grid"):
            return data.module
    return None


def _on_before_ui() -> None:
    xyz = find_xyz_module()
    if xyz is not None:
        add_xyz_axes(xyz)


def refuse(p, error: Exception) -> None:
    """Stop the generation with `error` before sampling: the hosts swallow exceptions raised by script hooks, but not
    those raised by `p.sample`, which runs right after them."""

    def sample(*_args, **_kwargs):
        raise error

    p.sample = sample
    log.error(str(error))


def prepare(p, args: tuple) -> None:
    """Settings of this generation (script arguments, XYZ overrides), validated; patches that act from the start."""
    settings = Settings.from_args(args, getattr(p, "sampler_lab_xyz", None))
    params.validate(settings)
    detect.check_host()
    detect.check_feature_available(settings)
    if settings.ztsnr_enabled:
        ztsnr.check_ztsnr(p)
    begin(p, settings)
    # A dict of p's own: X/Y/Z cells are shallow copies of one p and would share (and keep each other's) entries.
    p.extra_generation_params = {k: v for k, v in p.extra_generation_params.items() if k not in _INFOTEXT_KEYS}
    p.extra_generation_params.update(
        params.infotext(settings, heun=sampler.uses_heun(p), karras=schedules.uses_karras(p))
    )


def before_every_sampling(p) -> None:
    """Each pass (first and hires): patches on this pass's model objects; the previous pass's are undone first."""
    run = run_of(p)
    if run is None:
        return
    restore(p)
    if detect.is_forge():
        rescale.patch_forge_unet(p, run)
    ztsnr.patch_ztsnr(p, run)


def make_script_class():
    """The host's `scripts.Script` subclass (created here, so this module imports without a host)."""
    import gradio as gr
    from modules import scripts, script_callbacks

    sampler.register_sampler()
    schedules.register_schedulers()
    callbacks.register_callbacks()
    script_callbacks.on_before_ui(_on_before_ui)

    class SamplerLabScript(scripts.Script):
        sorting_priority = 15

        def title(self):
            return "Sampler Lab"

        def show(self, is_img2img):
            return scripts.AlwaysVisible

        def ui(self, is_img2img):
            components = build_ui(gr, is_img2img)
            self.infotext_fields = [(c, paste_function(p)) for c, p in zip(components, PARAMS)]
            self.paste_field_names = [p.infotext_key for p in PARAMS]
            return components

        def process(self, p, *args):
            try:
                prepare(p, args)
            except (ValueError, RuntimeError) as error:
                refuse(p, error)

        def process_before_every_sampling(self, p, *args, **kwargs):
            before_every_sampling(p)

        def post_sample(self, p, ps, *args):
            restore(p)

        def postprocess(self, p, processed, *args):
            end(p)

    return SamplerLabScript
