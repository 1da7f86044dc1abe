"""The "Sampler Lab" accordion of the A1111 / Forge adapter, built with the real gradio that AUTOMATIC1111 1.10.1
pins (gradio 3.41.2), and its screenshot for the README (docs/webui_accordion.png). A development tool, not part of
the extension (the web UIs import every .py under scripts/; this file lives in tools/).

Set-up: `make setup` builds the separate, git-ignored venv .host/venv-gradio (tools/setup_gradio_venv.sh: CPU torch
only, A1111 1.10.1's own pins for gradio and its neighbours) when ../shared/hosts has the A1111 tree.

Screenshot (from the dev venv, which has playwright; the browser is the system's chromium, headless;
SAMPLERLAB_CHROMIUM overrides it):

    .venv/bin/python tools/webui_screenshot.py [--out docs/webui_accordion.png] [--width 1000]

This starts `.host/venv-gradio/bin/python tools/webui_screenshot.py --serve PORT` (SAMPLERLAB_GRADIO_PYTHON
overrides the interpreter): a gradio Blocks app on 127.0.0.1 whose content is the adapter's own
`sampler_lab_webui.script.build_ui(gr, is_img2img)` (the body of the Script's `ui()`), once for txt2img and once for
img2img as the web UI does. When the A1111 tree is there (SAMPLERLAB_A1111_ROOT, else .host/stable-diffusion-webui),
the page looks like the web UI's: A1111's own `modules/gradio_extensons.py` is applied to gradio (it adds the
`gradio-<component>` CSS classes the web UI's style.css is written against; `modules.scripts`,
`modules.script_callbacks` and `modules.ui_tempdir` are name-only stand-ins made with the helper of
tests/webui/cases/webui_host.py), with A1111's default theme arguments and its style.css. The tool then opens the
page, clicks the txt2img accordion open and screenshots that accordion.

    .host/venv-gradio/bin/python tools/webui_screenshot.py --dump

prints the gradio version and each component's gradio config (A1111's patches applied as above; txt2img and img2img,
in script-argument order) as JSON; tests/webui/test_webui_gradio.py checks it against sampler_lab_webui/params.py.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import types

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GRADIO_PYTHON = os.environ.get("SAMPLERLAB_GRADIO_PYTHON") or os.path.join(
    REPO, ".host", "venv-gradio", "bin", "python"
)
A1111_ROOT = os.environ.get("SAMPLERLAB_A1111_ROOT") or os.path.join(REPO, ".host", "stable-diffusion-webui")
CHROMIUM = os.environ.get("SAMPLERLAB_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
#: A1111 1.10.1's default theme arguments (modules/shared_gradio_themes.py, theme "Default").
THEME_ARGS = dict(
    font=["Source Sans Pro", "ui-sans-serif", "system-ui", "sans-serif"],
    font_mono=["IBM Plex Mono", "ui-monospace", "Consolas", "monospace"],
)


# --- in the gradio venv -------------------------------------------------------------------------------------------


def _a1111_look() -> str | None:
    """Apply A1111's gradio patches (CSS classes) and return its style.css; None without an A1111 tree."""
    if not os.path.isfile(os.path.join(A1111_ROOT, "modules", "gradio_extensons.py")):
        return None
    sys.path.insert(0, os.path.join(REPO, "tests", "webui", "cases"))
    from webui_host import _module  # the webui tests' stand-in helper

    sys.path.insert(0, os.path.realpath(A1111_ROOT))
    import modules

    callbacks = _module(
        "modules.script_callbacks",
        before_component_callback=lambda *a, **k: None,
        after_component_callback=lambda *a, **k: None,
    )
    _module("modules.scripts", scripts_current=None, script_callbacks=callbacks)
    _module("modules.ui_tempdir", install_ui_tempdir_override=lambda: None)  # temp files of image outputs
    import modules.gradio_extensons  # noqa: F401  (the host's own patches of gradio)

    with open(os.path.join(A1111_ROOT, "style.css"), encoding="utf-8") as f:
        return f.read()


def _adapter_script() -> types.ModuleType:
    """`sampler_lab_webui.script` (the package by its unique name, as scripts/sampler_lab.py imports it; without its
    host-bound class)."""
    import loader

    loader.webui()
    from sampler_lab_webui import script

    return script


def build(gr, css: str | None):
    """(Blocks, {"txt2img": components, "img2img": components}) built by the adapter's own UI code."""
    script = _adapter_script()
    built = {}
    with gr.Blocks(
        theme=gr.themes.Default(**THEME_ARGS), css=css, analytics_enabled=False, title="Sampler Lab accordion"
    ) as demo:
        for tab, is_img2img in (("txt2img", False), ("img2img", True)):
            with gr.Row(elem_id=f"{tab}_settings_row"):
                with gr.Column(elem_id=f"{tab}_settings"):
                    built[tab] = script.build_ui(gr, is_img2img)
    return demo, built


def dump() -> None:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    css = _a1111_look()
    _, built = build(gr, css)
    out = {
        "gradio": gr.__version__,
        "a1111_look": css is not None,
        "components": {
            tab: [
                dict(
                    c.get_config(),
                    type=c.get_block_name(),
                    **({"precision": c.precision} if hasattr(c, "precision") else {}),
                )
                for c in components
            ]
            for tab, components in built.items()
        },
    }
    print(json.dumps(out, default=repr))


def serve(port: int) -> None:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    css = _a1111_look()
    demo, _ = build(gr, css)
    print(f"gradio {gr.__version__}, A1111 look: {css is not None}", flush=True)
    demo.launch(
        server_name="127.0.0.1", server_port=port, share=False, inbrowser=False, quiet=True, prevent_thread_lock=False
    )


# --- in the dev venv ----------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, server: subprocess.Popen, timeout: float = 180) -> None:
    import urllib.request

    end = time.time() + timeout
    while time.time() < end:
        if server.poll() is not None:
            raise SystemExit(f"the gradio app exited ({server.returncode})")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"no gradio app at {url} after {timeout:.0f} s")


def screenshot(out: str, width: int) -> None:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM:
        raise SystemExit("no chromium: install Debian's chromium or set SAMPLERLAB_CHROMIUM")
    if not os.path.exists(GRADIO_PYTHON):
        raise SystemExit(f"no gradio venv at {GRADIO_PYTHON}: set it up as this file's docstring says")
    port = _free_port()
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", PYTHONDONTWRITEBYTECODE="1")
    server = subprocess.Popen([GRADIO_PYTHON, os.path.abspath(__file__), "--serve", str(port)], cwd=REPO, env=env)
    try:
        url = f"http://127.0.0.1:{port}/"
        _wait(url, server)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM,
                headless=True,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                ],
            )
            page = browser.new_page(viewport={"width": width, "height": 1200}, device_scale_factor=1)
            page.goto(url, wait_until="domcontentloaded")
            accordion = page.locator("#sampler_lab_txt2img")
            accordion.wait_for(state="visible", timeout=120_000)
            accordion.locator(".label-wrap").first.click()
            page.locator("#sampler_lab_cads_seed_txt2img").wait_for(state="visible", timeout=30_000)
            page.mouse.move(0, 0)
            page.wait_for_timeout(800)  # the accordion's opening transition
            os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
            accordion.screenshot(path=out, animations="disabled")
            browser.close()
        print(f"wrote {out}")
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(REPO, "docs", "webui_accordion.png"))
    parser.add_argument("--width", type=int, default=1000, help="browser width in CSS pixels")
    parser.add_argument("--serve", type=int, metavar="PORT", help="(gradio venv) serve the accordion on PORT")
    parser.add_argument("--dump", action="store_true", help="(gradio venv) print the components' config as JSON")
    args = parser.parse_args()
    if args.dump:
        dump()
    elif args.serve:
        serve(args.serve)
    else:
        screenshot(args.out, args.width)


if __name__ == "__main__":
    main()
