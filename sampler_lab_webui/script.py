"""The A1111/Forge script: one always-visible "Sampler Lab" accordion, infotext, XYZ-plot axes, and the hooks that
validate, patch and restore around each generation. Host and gradio imports happen inside the functions."""

from __future__ import annotations

import contextlib
import html
import logging
from typing import Any, Callable

from . import callbacks, detect, params, rescale, sampler, schedules, ztsnr
from .params import CADS, CHURN, KARRAS, NUMERIC, PARAMS, RESCALE, ZTSNR, Param, Settings
from .run import begin, end, restore, run_of

log = logging.getLogger("sampler_lab")

#: Features whose numeric parameters switch the feature on when an XYZ axis sets them.
_SWITCH = {"CFG rescale": "rescale_enabled", "CADS": "cads_enabled"}
_INFOTEXT_KEYS = frozenset(p.infotext_key for p in PARAMS)
#: The accordion's rows, one per feature, in PARAMS order, and each row's elem_id stem (`sampler_lab_row_<stem>_<tab>`).
_SECTIONS = (CHURN, KARRAS, RESCALE, CADS, ZTSNR)
_ROW_IDS = {CHURN: "churn", KARRAS: "karras", RESCALE: "rescale", CADS: "cads", ZTSNR: "ztsnr"}
#: What each feature does and where it is chosen: its row's hover tooltip, and its switch's (a switch has no tooltip
#: of its own in the core's table). javascript/sampler_lab_hints.js carries them (tools/make_webui_hints.py).
_SECTION_NOTES = {
    CHURN: "Churn of EDM Heun (Karras et al. 2022, Algorithm 2): used only by the 'EDM Heun' sampler (pick it in the "
    "sampler list).",
    KARRAS: "ρ of the 'Sampler Lab Karras' schedule type (pick it in the schedule list); other schedules ignore it.",
    RESCALE: "CFG rescale (Lin et al. 2024, Algorithm 2): the guided prediction's std matched to the conditional "
    "one's, mixed by φ; against over-exposure at high CFG.",
    CADS: "CADS (Sadat et al. 2024): noise on the text conditioning early in sampling (t above τ1), annealed away "
    "towards τ1, for more varied images.",
    ZTSNR: "Zero terminal SNR (Lin et al. 2024): the model's ᾱ table rescaled to zero terminal SNR for this "
    "generation (v-prediction models only).",
}
_TABS = ("txt2img", "img2img")
#: Inputs per line of a row: a feature with more (CADS) has them in lines of this many inside its row.
_PER_LINE = 4
#: An input's narrowest width in CSS pixels (gradio's default is 160): four to a line in the hosts' settings column.
_MIN_WIDTH = 120
#: Integer inputs beyond what a JavaScript number holds exactly (2⁵³) are text boxes, parsed exactly by the adapter.
_EXACT_INT_ABOVE = 2**53


def _tab(is_img2img: bool) -> str:
    return _TABS[1] if is_img2img else _TABS[0]


def elem_id(param: Param, is_img2img: bool) -> str:
    return f"sampler_lab_{param.name}_{_tab(is_img2img)}"


def row_id(feature: str, is_img2img: bool) -> str:
    return f"sampler_lab_row_{_ROW_IDS[feature]}_{_tab(is_img2img)}"


def is_text_box(param: Param) -> bool:
    """An integer input whose range a JavaScript number cannot hold exactly (CADS seed, up to 2⁶⁴−1)."""
    return param.kind is int and (param.maximum or 0) > _EXACT_INT_ABOVE


def tooltips() -> dict[str, str]:
    """Hover text by elem_id stem (`sampler_lab_<stem>_<tab>`): every input's (the core's tooltip; a switch's is its
    feature's note), then every row's (`row_<id>`: its feature's note)."""
    texts = {p.name: p.tooltip or _SECTION_NOTES[p.feature] for p in PARAMS}
    texts.update({f"row_{_ROW_IDS[f]}": _SECTION_NOTES[f] for f in _SECTIONS})
    return texts


def component(gr, param: Param, is_img2img: bool, interactive: bool = True):
    """The gradio input of one parameter, no explanation under it (javascript/sampler_lab_hints.js sets its tooltip):
    checkbox, slider (narrow ranges), text box (integers beyond 2⁵³, which a browser's number box rounds) or number
    box. `interactive=False` where this web UI cannot run its feature."""
    common: dict[str, Any] = dict(label=param.label, elem_id=elem_id(param, is_img2img), min_width=_MIN_WIDTH)
    if not interactive:
        common["interactive"] = False
    if param.kind is bool:
        return gr.Checkbox(value=param.default, scale=1, **common)
    common["scale"] = 2  # twice a checkbox's share of a line: room for the label and a slider's number box
    if is_text_box(param):
        return gr.Textbox(value=str(param.default), lines=1, max_lines=1, **common)
    if (param.maximum or 0) - (param.minimum or 0) <= 100:
        return gr.Slider(minimum=param.minimum, maximum=param.maximum, step=param.step, value=param.default, **common)
    return gr.Number(
        value=param.default,
        minimum=param.minimum,
        maximum=param.maximum,
        step=param.step,
        precision=0 if param.kind is int else None,
        **common,
    )


def unavailable_note(reason: str) -> str:
    """The short note in the row of a feature this web UI cannot run (the reason also as its tooltip)."""
    text = html.escape(reason)
    return (
        f'<span class="sampler-lab-unavailable" data-reason="{text}" title="{text}">Not available here: {text}</span>'
    )


def build_ui(gr, is_img2img: bool, unavailable: Callable[[str], str | None] | None = None) -> list:
    """The accordion: one compact row per feature (a feature with more than `_PER_LINE` inputs has them in lines of
    that many inside its row); its components returned in PARAMS order (the script's argument order).
    `unavailable(feature)` (default `detect.unavailable`): why this web UI cannot run a feature (its row's inputs are
    then disabled and a note says why), or None."""
    unavailable = unavailable or detect.unavailable
    by_name = {}
    with gr.Accordion("Sampler Lab", open=False, elem_id=f"sampler_lab_{_tab(is_img2img)}"):
        for feature in _SECTIONS:
            reason = unavailable(feature)
            inputs = [p for p in PARAMS if p.feature == feature]
            lines = [inputs[i : i + _PER_LINE] for i in range(0, len(inputs), _PER_LINE)]
            with gr.Row(variant="compact", elem_id=row_id(feature, is_img2img)):
                with contextlib.nullcontext() if len(lines) == 1 else gr.Column():
                    for line in lines:
                        with contextlib.nullcontext() if len(lines) == 1 else gr.Row(variant="compact"):
                            for param in line:
                                by_name[param.name] = component(gr, param, is_img2img, interactive=not reason)
                if reason:
                    gr.HTML(unavailable_note(reason), elem_id=f"{row_id(feature, is_img2img)}_unavailable")
    return [by_name[p.name] for p in PARAMS]


def paste_function(param: Param) -> Callable[[dict], Any]:
    """A pasted infotext's value for the parameter's input (its default where the infotext has none); a text box's as
    the exact digits."""
    if is_text_box(param):
        return lambda fields: str(params.from_infotext(param, fields))
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


def add_axes_to_loaded_xyz() -> None:
    """The `[Sampler Lab]` X/Y/Z axes on the X/Y/Z script, if it is loaded (idempotent). Called when this script
    loads (the hosts load their built-in X/Y/Z script first) and again before the UI is built: in API-only mode
    (`--nowebui`) Forge Classic builds the API's script arguments, X/Y/Z's axis list included, before its UI-time
    hook runs."""
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
    if settings.rescale_enabled and (host_rescale := rescale.host_rescale_on(p)):
        log.warning(
            f"Sampler Lab: 'CFG rescale' (φ = {settings.phi}) and the host's own {host_rescale} are both on for "
            "this generation: the guided prediction is rescaled twice. Switch one off."
        )
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
    if detect.is_forge() or detect.is_forge_classic():
        rescale.patch_forge_unet(p, run)
    ztsnr.patch_ztsnr(p, run)


def make_script_class():
    """The host's `scripts.Script` subclass (created here, so this module imports without a host)."""
    import gradio as gr
    from modules import scripts, script_callbacks

    sampler.register_sampler()
    schedules.register_schedulers()
    callbacks.register_callbacks()
    add_axes_to_loaded_xyz()
    script_callbacks.on_before_ui(add_axes_to_loaded_xyz)

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
