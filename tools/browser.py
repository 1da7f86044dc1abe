"""The browser driver: the real ComfyUI frontend in Debian's headless Chromium, driven by playwright (the driver only;
no browser is downloaded). Used by tests/test_browser.py.

    with comfy_page(server.url) as page:    # Page: load workflows, read our plots, click widgets as a user does
        page.load(workflow)
"""

from __future__ import annotations

import contextlib
import os
from typing import Iterator

try:
    from playwright.sync_api import BrowserContext, sync_playwright
except ImportError:  # pragma: no cover
    BrowserContext = None
    sync_playwright = None

CHROMIUM = os.environ.get("SAMPLERLAB_CHROMIUM", "/usr/bin/chromium")
#: Headless, and quiet on this machine's closed network (no background fetches to Google's hosts).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

READ_PLOTS = """() => app.graph.nodes.filter(n => n.samplerLabPlotWidget).map(n => ({
  id: n.id, type: n.type, title: n.title, size: [n.size[0], n.size[1]],
  widgets: Object.fromEntries(n.widgets.filter(w => w.name !== 'samplerlab_plot').map(w => [w.name, w.value])),
  plot: n.samplerLabPlot ? JSON.parse(JSON.stringify(n.samplerLabPlot)) : null,
  pixels: n.samplerLabPlotWidget.canvas.width > 0 ? n.samplerLabPlotWidget.canvas.toDataURL().length : 0,
  hash: (() => { const c = n.samplerLabPlotWidget.canvas; if (!c.width) return 0;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let h = 0;
    for (let i = 0; i < d.length; i += 7) h = (h * 31 + d[i]) | 0; return h; })(),
}))"""


class Page:
    def __init__(self, page, url):
        self.page = page
        self.url = url
        self.errors: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}\n{getattr(e, 'stack', '')}"))
        page.on(
            "console",
            lambda m: self.errors.append(f"console.{m.type}: {m.text} @ {m.location}")
            if m.type in ("error", "warning")
            else None,
        )

    def eval(self, js, arg=None):
        return self.page.evaluate(js, arg)

    def load(self, workflow: dict):
        self.eval("async (wf) => { await app.loadGraphData(wf, true, false); }", workflow)
        self.settle()

    def settle(self, ms=350):
        """Let requestAnimationFrame, the 200 ms watcher and Vue render."""
        self.page.wait_for_timeout(ms)

    def plots(self, type_=None):
        ps = self.eval(READ_PLOTS)
        return [p for p in ps if type_ is None or p["type"] == type_]

    def plot(self, type_):
        ps = self.plots(type_)
        assert len(ps) == 1, f"expected one {type_}, found {len(ps)}"
        return ps[0]

    def our_errors(self):
        """Errors raised by our extension's code (the frontend's own fetches to comfy.org are blocked and noisy)."""
        ours = (
            "samplerlab_plots.js",
            "samplerlab_math.js",
            "samplerlab_params.js",
            "[Sampler Lab]",
            "SamplerLab.Plots",
        )
        return [e for e in self.errors if any(k in e for k in ours)]

    def show_node(self, node_id, scale=1.0):
        """Scroll the canvas so the node is at the top-left of the view; return its clip rect in page px."""
        return self.eval(
            """([id, scale]) => {
          const n = app.graph.getNodeById(id); const ds = app.canvas.ds; ds.scale = scale;
          ds.offset = [-n.pos[0] + 320 / scale, -n.pos[1] + 160 / scale];
          app.canvas.setDirty(true, true); app.canvas.draw(true, true);
          const r = app.canvas.canvas.getBoundingClientRect(); const th = LiteGraph.NODE_TITLE_HEIGHT;
          return {x: r.left + (n.pos[0] + ds.offset[0]) * scale - 6,
                  y: r.top + (n.pos[1] - th + ds.offset[1]) * scale - 6,
                  width: n.size[0] * scale + 12, height: (n.size[1] + th) * scale + 12};
        }""",
            [node_id, scale],
        )

    def click_widget(self, node_id, widget_name, where="right"):
        """Click a canvas (litegraph) widget of a node, as a user does: 'right' = increment arrow."""
        pt = self.eval(
            """([id, name, where]) => {
          const n = app.graph.getNodeById(id); const w = n.widgets.find(w => w.name === name);
          const ds = app.canvas.ds; const r = app.canvas.canvas.getBoundingClientRect();
          const lx = where === 'right' ? n.size[0] - 20 : n.size[0] / 2;
          const ly = w.y + (w.computedHeight || LiteGraph.NODE_WIDGET_HEIGHT) / 2;
          return {x: r.left + (n.pos[0] + lx + ds.offset[0]) * ds.scale,
                  y: r.top + (n.pos[1] + ly + ds.offset[1]) * ds.scale};
        }""",
            [node_id, widget_name, where],
        )
        self.page.mouse.click(pt["x"], pt["y"])
        self.settle(250)


@contextlib.contextmanager
def only_local_context(url: str, width: int, height: int) -> Iterator[BrowserContext]:
    """Debian's headless Chromium at a `width` × `height` viewport (one device pixel per CSS pixel) in which only `url`
    (and data: / blob: addresses) can be reached; every other request is aborted."""
    with sync_playwright() as p:
        # Playwright gives every launch a fresh temporary profile (it refuses --user-data-dir here).
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = chromium.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
            context.route(
                "**/*",
                lambda route: route.continue_()
                if route.request.url.startswith((url, "data:", "blob:"))
                else route.abort(),
            )
            yield context
        finally:
            chromium.close()


@contextlib.contextmanager
def comfy_page(url: str, width: int = 1400, height: int = 950) -> Iterator[Page]:
    """The frontend at `url` with our extension loaded, classic (litegraph) nodes, only `url` reachable."""
    import requests

    # First-run dialogs (templates browser) would cover the canvas.
    requests.post(url + "/api/settings", json={"Comfy.TutorialCompleted": True}, timeout=10).raise_for_status()
    with only_local_context(url, width, height) as context:
        context.add_init_script("localStorage.setItem('vueNodesBannerDismissed', 'true')")
        page = context.new_page()
        page.goto(url)
        page.wait_for_function(
            "() => window.app?.graph && window.SamplerLabPlots && "
            "window.LiteGraph?.registered_node_types?.SamplerLabKSampler",
            timeout=60000,
        )
        ui = Page(page, url)
        ui.eval("async () => app.extensionManager.setting.set('Comfy.VueNodes.Enabled', false)")
        yield ui
