"""The "Sampler Lab" accordion of the A1111 / Forge adapter built with the real gradio that AUTOMATIC1111 1.10.1 pins
(gradio 3.41.2), by the adapter's own `sampler_lab_webui.script.build_ui` (the body of the Script's `ui()`), dumped
as JSON for tests/webui/test_webui_gradio.py. A development tool, not part of the extension.

    .host/venv-gradio/bin/python tools/webui_accordion_dump.py [--unavailable FEATURE=REASON ...]

prints the gradio version and, for txt2img and img2img, each input's gradio config in script-argument order and the
accordion's rows (each row's elem_id, the elem_ids of the inputs in it, and its other blocks' HTML), built with
`unavailable(feature)` answering REASON for each FEATURE given (None otherwise: every feature available).

`make setup` builds the separate, git-ignored venv .host/venv-gradio (tools/setup_gradio_venv.sh: CPU torch only,
A1111 1.10.1's pins for gradio and its neighbours) when ../shared/hosts has the A1111 tree. When that tree is there
(SAMPLERLAB_A1111_ROOT, else .host/stable-diffusion-webui), A1111's own `modules/gradio_extensons.py` is applied to
gradio first, as in the web UI (the `gradio-<component>` CSS classes; `modules.scripts`, `modules.script_callbacks`
and `modules.ui_tempdir` are name-only stand-ins made with the helper of tests/webui/cases/webui_host.py).
Screenshots of the accordion in the real web UIs: tools/webui_screenshot.py.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import types

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
A1111_ROOT = os.environ.get("SAMPLERLAB_A1111_ROOT") or os.path.join(REPO, ".host", "stable-diffusion-webui")


def _a1111_patches() -> bool:
    """Apply A1111's gradio patches; False without an A1111 tree."""
    if not os.path.isfile(os.path.join(A1111_ROOT, "modules", "gradio_extensons.py")):
        return False
    sys.path.insert(0, os.path.join(REPO, "tests", "webui", "cases"))
    from webui_host import _module  # the webui tests' stand-in helper

    sys.path.insert(0, os.path.realpath(A1111_ROOT))
    import modules  # noqa: F401

    callbacks = _module(
        "modules.script_callbacks",
        before_component_callback=lambda *a, **k: None,
        after_component_callback=lambda *a, **k: None,
    )
    _module("modules.scripts", scripts_current=None, script_callbacks=callbacks)
    _module("modules.ui_tempdir", install_ui_tempdir_override=lambda: None)  # temp files of image outputs
    import modules.gradio_extensons  # noqa: F401  (the host's own patches of gradio)

    return True


def _adapter_script() -> types.ModuleType:
    """`sampler_lab_webui.script` (the package by its unique name, as scripts/sampler_lab.py imports it; without its
    host-bound class)."""
    sys.path.insert(0, os.path.join(REPO, "tools"))
    import loader

    loader.webui()
    from sampler_lab_webui import script

    return script


def _leaves(gr, block) -> list:
    """The components inside a block, depth first (DOM order)."""
    children = getattr(block, "children", None)
    if children is None or not isinstance(block, gr.blocks.BlockContext):
        return [block]
    return [leaf for child in children for leaf in _leaves(gr, child)]


def _rows(gr, accordion) -> list[dict]:
    rows = []
    for row in accordion.children:
        assert isinstance(row, gr.Row), f"the accordion holds {type(row).__name__}, not only rows"
        leaves = _leaves(gr, row)
        lines = [c for c in row.children if isinstance(c, gr.Column)]
        rows.append(
            dict(
                elem_id=row.elem_id,
                variant=getattr(row, "variant", None),
                inputs=[c.elem_id for c in leaves if not isinstance(c, gr.HTML)],
                lines=[[c.elem_id for c in line.children] for line in (lines[0].children if lines else [row])],
                html=[c.value for c in leaves if isinstance(c, gr.HTML)],
            )
        )
    return rows


def dump(unavailable: dict[str, str]) -> None:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    patched = _a1111_patches()
    script = _adapter_script()
    out: dict = {"gradio": gr.__version__, "a1111_look": patched, "components": {}, "rows": {}}
    with gr.Blocks(analytics_enabled=False) as demo:
        for tab, is_img2img in (("txt2img", False), ("img2img", True)):
            components = script.build_ui(gr, is_img2img, unavailable=unavailable.get)
            accordion = demo.children[-1]
            out["accordion_" + tab] = dict(label=accordion.label, open=accordion.open, elem_id=accordion.elem_id)
            out["rows"][tab] = _rows(gr, accordion)
            out["components"][tab] = [
                dict(
                    c.get_config(),
                    type=c.get_block_name(),
                    interactive_arg=c.interactive,
                    **({"precision": c.precision} if hasattr(c, "precision") else {}),
                )
                for c in components
            ]
    print(json.dumps(out, default=repr))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unavailable", action="append", default=[], metavar="FEATURE=REASON")
    args = parser.parse_args()
    dump(dict(item.split("=", 1) for item in args.unavailable))


if __name__ == "__main__":
    main()
