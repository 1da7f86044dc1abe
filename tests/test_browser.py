"""Browser tests of the in-node plots (js/samplerlab_plots.js) on the real host, in headless Chromium.

One ComfyUI server (the session `server` fixture) and one browser page for the module. The page loads
workflows with the frontend's own `app.loadGraphData`, edits widgets the way a user does (clicks on the
canvas widgets, the + buttons of the Vue nodes), and reads back the numbers each plot drew
(`node.samplerLabPlot`, set by the extension at every redraw), which must agree with samplers/.

Needs Chromium at /usr/bin/chromium (or $SAMPLERLAB_CHROMIUM) and the `playwright` package (driver only;
no browser is downloaded). Without them the module is skipped, unless SAMPLERLAB_REQUIRE_BROWSER=1.
SAMPLERLAB_SCREENSHOTS=1 also writes docs/preview_*.png.
"""

from __future__ import annotations

import glob
import json
import math
import os

import pytest

import loader

import browser

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(REPO, "tests", "browser")
PLOT_TYPES = (
    "SamplerLabKarrasSigmas",
    "SamplerLabSpacingSigmas",
    "SamplerLabKSampler",
    "SamplerLabCADS",
    "SamplerLabZeroTerminalSNR",
)
CAP = math.sqrt(2) - 1
XSS = '<img src=x onerror="window.__xss=(window.__xss||0)+1">'


def _require(ok: bool, why: str):
    if not ok:
        if os.environ.get("SAMPLERLAB_REQUIRE_BROWSER") == "1":
            pytest.fail(why)
        pytest.skip(why)


# ------------------------------------------------------------------------------------------------
# Python reference values (samplers/, the science core)
# ------------------------------------------------------------------------------------------------


def _S():
    return loader.core()


def _sd_table():
    S = _S()
    return S.sigmas_from_alphas_cumprod(S.alphas_cumprod(S.make_betas("scaled_linear")))


def _close(js, py, rel=1e-5, abs_=1e-9, what=""):
    py = [float(v) for v in py]
    assert len(js) == len(py), f"{what}: plot has {len(js)} values, Python {len(py)}"
    for i, (a, b) in enumerate(zip(js, py)):
        assert abs(a - b) <= abs_ + rel * abs(b), f"{what}[{i}]: plot {a!r} != Python {b!r}"


def expected_plot(node_type: str, w: dict) -> dict:
    """What the plot of a node with widget values `w` must show, computed with samplers/."""
    import torch

    S = _S()
    table = _sd_table()
    sd_min, sd_max = float(table[0]), float(table[-1])
    if node_type == "SamplerLabKarrasSigmas":
        smin = w["sigma_min"] or sd_min
        smax = w["sigma_max"] or sd_max
        return {"sigmas": S.karras_sigmas(int(w["steps"]), smin, smax, float(w["rho"])).tolist()}
    if node_type == "SamplerLabSpacingSigmas":
        ts = S.spacing_timesteps(w["spacing"], int(w["steps"]), len(table))
        return {
            "sigmas": S.sigmas_for_timesteps(table, torch.as_tensor(ts)).tolist(),
            "timesteps": [int(t) for t in torch.as_tensor(ts).tolist()],
        }
    if node_type == "SamplerLabKSampler":
        sigmas = S.denoise_sigmas(
            lambda n: S.karras_sigmas(n, sd_min, sd_max, float(w["rho"]), dtype=torch.float64),
            int(w["steps"]),
            float(w["denoise"]),
        ).tolist()
        return {"sigmas": sigmas, "gammas": S.churn_gammas(sigmas, w["s_churn"], w["s_tmin"], w["s_tmax"])}
    if node_type == "SamplerLabCADS":
        # γ at the plot's own t (t runs from 1 to 0; checked against linspace below): s·√(1−γ) near γ = 1 is
        # √ of a rounding error otherwise.
        t = torch.tensor(w["_t"], dtype=torch.float64)
        _close(w["_t"], torch.linspace(1.0, 0.0, len(w["_t"]), dtype=torch.float64).tolist(), abs_=1e-12, what="CADS.t")
        assert len(w["_t"]) >= 50 and w["_t"][0] == 1.0 and w["_t"][-1] == 0.0
        gamma = S.cads_gamma(t, float(w["tau1"]), float(w["tau2"])).double()
        return {
            "t": t.tolist(),
            "gamma": gamma.tolist(),
            "noiseStd": (w["noise_scale"] * (1 - gamma).clamp(min=0).sqrt()).tolist(),
        }
    if node_type == "SamplerLabZeroTerminalSNR":
        betas = S.make_betas("scaled_linear")
        return {
            "before": S.alphas_cumprod(betas).sqrt().tolist(),
            "after": S.alphas_cumprod(S.rescale_zero_terminal_snr(betas)).clamp(min=0).sqrt().tolist(),
        }
    raise KeyError(node_type)


def check_plot(node: dict):
    """`node` = {type, widgets: {name: value}, plot: node.samplerLabPlot} as read from the page."""
    plot = node["plot"]
    assert plot, f"{node['type']} #{node['id']} has no plot"
    exp = expected_plot(node["type"], dict(node["widgets"], _t=plot.get("t")))
    for key, values in exp.items():
        if key == "noiseStd":
            # samplers.cads_gamma is float32: compare s²(1−γ), as √(1−γ) magnifies γ's rounding near γ = 1.
            s2 = node["widgets"]["noise_scale"] ** 2
            _close(
                [v * v for v in plot[key]],
                [float(v) ** 2 for v in values],
                abs_=1e-6 * max(s2, 1e-12),
                what="CADS.noiseStd²",
            )
        else:
            _close(plot[key], values, what=f"{node['type']}.{key}")
    # Where the schedule depends on the model, the plot says it shows the SD1.x schedule (and only there).
    model_dependent = node["type"] in (
        "SamplerLabSpacingSigmas",
        "SamplerLabKSampler",
        "SamplerLabZeroTerminalSNR",
    ) or (
        node["type"] == "SamplerLabKarrasSigmas" and 0 in (node["widgets"]["sigma_min"], node["widgets"]["sigma_max"])
    )
    assert any("SD1.x" in n for n in plot["notes"]) == model_dependent, (node["type"], plot["notes"])
    return plot


# ------------------------------------------------------------------------------------------------
# Page helpers
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ui(server):
    _require(browser.sync_playwright is not None, "python package 'playwright' is not installed (make setup)")
    _require(os.path.exists(browser.CHROMIUM), f"no Chromium at {browser.CHROMIUM} (apt-get install chromium)")
    with browser.comfy_page(server.url) as page:
        yield page


def _fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as f:
        return json.load(f)


# ------------------------------------------------------------------------------------------------
# Tests
# ------------------------------------------------------------------------------------------------


def test_every_plot_matches_python(ui):
    ui.load(_fixture("plots.json"))
    plots = ui.plots()
    assert sorted(p["type"] for p in plots) == sorted(PLOT_TYPES)
    for node in plots:
        check_plot(node)
        assert node["pixels"] > 2000, f"{node['type']}: plot canvas is empty"
    ks = ui.plot("SamplerLabKSampler")["plot"]
    # The fixture's churn window cuts the schedule: some steps churn, some don't, none saturated.
    assert 0 < sum(g > 0 for g in ks["gammas"]) < len(ks["gammas"])
    assert not ks["saturated"] and ks["warnings"] == []
    assert ui.our_errors() == []


def test_widget_edits_redraw_the_plot(ui):
    ui.load(_fixture("plots.json"))
    ui.show_node(ui.plot("SamplerLabKarrasSigmas")["id"])
    before = ui.plot("SamplerLabKarrasSigmas")
    ui.click_widget(before["id"], "steps", "right")  # the increment arrow of the canvas widget
    after = ui.plot("SamplerLabKarrasSigmas")
    assert after["widgets"]["steps"] == before["widgets"]["steps"] + 1
    assert len(after["plot"]["sigmas"]) == len(before["plot"]["sigmas"]) + 1
    assert after["plot"]["draws"] > before["plot"]["draws"]
    assert after["hash"] != before["hash"], "the canvas pixels did not change"
    check_plot(after)
    # Both σ set: no model range involved, no SD note.
    ui.eval(
        """(id) => { const w = app.graph.getNodeById(id).widgets.find(w => w.name === 'sigma_max');
               w.value = 20; w.callback?.(20); }""",
        before["id"],
    )
    explicit = ui.plot("SamplerLabKarrasSigmas")
    assert explicit["plot"]["sigmas"][0] == pytest.approx(20) and not explicit["plot"]["sdSchedule"]
    check_plot(explicit)

    # KSampler: churn saturates at S_churn >= (sqrt2 - 1) * steps: a visible warning, every γ in the window at the cap.
    ks = ui.plot("SamplerLabKSampler")
    ui.show_node(ks["id"])
    # node ids: numbers in older frontends, strings in newer ones (1.49+)
    caption = "() => app.graph.getNodeById(%s).samplerLabPlotWidget.caption.textContent" % json.dumps(ks["id"])
    assert "saturates" not in ui.eval(caption)
    steps = ks["widgets"]["steps"]
    ui.eval(
        """([id, v]) => { const w = app.graph.getNodeById(id).widgets.find(w => w.name === 's_churn');
               w.value = v; w.callback?.(v); }""",
        [ks["id"], math.ceil(CAP * steps * 10) / 10],
    )  # the widget rounds to its 0.1 step
    ui.settle(150)
    sat = ui.plot("SamplerLabKSampler")
    assert sat["plot"]["saturated"], (sat["widgets"], sat["plot"])
    assert any("saturates" in w for w in sat["plot"]["warnings"])
    assert "saturates" in ui.eval(caption)
    inside = [g for g, s in zip(sat["plot"]["gammas"], sat["plot"]["sigmas"]) if 0.2 <= s <= 4]
    assert inside and all(abs(g - CAP) < 1e-12 for g in inside)
    assert sat["hash"] != ks["hash"]
    check_plot(sat)
    # Just below the threshold (0.1 below): no warning, γ below the cap.
    ui.eval(
        """([id, v]) => { const w = app.graph.getNodeById(id).widgets.find(w => w.name === 's_churn');
               w.value = v; w.callback?.(v); }""",
        [ks["id"], math.floor(CAP * steps * 10) / 10],
    )
    ui.settle(150)
    below = ui.plot("SamplerLabKSampler")
    assert not below["plot"]["saturated"] and below["plot"]["warnings"] == []
    assert 0 < max(below["plot"]["gammas"]) < CAP
    check_plot(below)

    # A combo edit, and a change that fires no callback (e.g. an undo or a linked primitive) both redraw.
    sp = ui.plot("SamplerLabSpacingSigmas")
    ui.eval(
        """(id) => { const w = app.graph.getNodeById(id).widgets.find(w => w.name === 'spacing');
               w.value = 'leading'; w.callback?.('leading');
               app.graph.getNodeById(id).widgets.find(w => w.name === 'steps').value = 9; }""",
        sp["id"],
    )
    ui.settle(450)
    sp2 = ui.plot("SamplerLabSpacingSigmas")
    assert sp2["widgets"]["spacing"] == "leading" and sp2["plot"]["timesteps"][0] == 8 * (1000 // 9)
    check_plot(sp2)
    cads = ui.plot("SamplerLabCADS")
    ui.eval(
        """(id) => { const n = app.graph.getNodeById(id); n.widgets.find(w => w.name === 'tau1').value = 0.1;
               n.widgets.find(w => w.name === 'noise_scale').value = 1.5; }""",
        cads["id"],
    )
    ui.settle(450)
    cads2 = ui.plot("SamplerLabCADS")
    assert cads2["plot"]["tau1"] == 0.1 and cads2["plot"]["noiseStd"][0] == pytest.approx(1.5)
    check_plot(cads2)
    assert ui.our_errors() == []


def test_plots_are_not_saved(ui):
    wf = _fixture("plots.json")
    ui.load(wf)
    saved = ui.eval("() => app.graph.serialize()")
    text = json.dumps(saved)
    assert "samplerlab_plot" not in text and "samplerLab" not in text
    by_id = {n["id"]: n for n in wf["nodes"]}
    for node in saved["nodes"]:
        # widgets_values in the node's own order, nothing added (a null hole or an extra entry would shift them)
        assert node["widgets_values"] == by_id[node["id"]]["widgets_values"], node["type"]
        assert "samplerLab" not in json.dumps(node.get("properties", {}))
    assert len(text) < len(json.dumps(wf)) * 1.2
    # The prompt sent to the server carries only the node's inputs.
    prompt = ui.eval("async () => (await app.graphToPrompt()).output")
    for node in ui.plots():
        inputs = set(prompt[str(node["id"])]["inputs"])
        assert "samplerlab_plot" not in inputs
        assert inputs <= set(node["widgets"]) | {"model", "positive", "negative", "latent_image"}


def test_plots_survive_reload_and_resize(ui):
    ui.load(_fixture("plots.json"))
    ui.eval("""() => { const n = app.graph.nodes.find(n => n.type === 'SamplerLabKarrasSigmas');
               const w = n.widgets.find(w => w.name === 'rho'); w.value = 3.5; w.callback?.(3.5); }""")
    saved = ui.eval("() => app.graph.serialize()")
    ui.eval("() => app.graph.clear()")
    ui.settle(100)
    assert ui.plots() == []
    ui.load(saved)
    plots = ui.plots()
    assert sorted(p["type"] for p in plots) == sorted(PLOT_TYPES)
    karras = ui.plot("SamplerLabKarrasSigmas")
    assert karras["plot"]["rho"] == 3.5
    for node in plots:
        check_plot(node)

    # Resize: the plot follows the node's size and redraws at the new size.
    ui.show_node(karras["id"])
    ui.settle(200)
    small = ui.plot("SamplerLabKarrasSigmas")
    ui.eval(
        """(id) => { const n = app.graph.getNodeById(id); n.setSize([n.size[0] + 240, n.size[1] + 160]);
               app.canvas.setDirty(true, true); }""",
        karras["id"],
    )
    ui.settle(500)
    big = ui.plot("SamplerLabKarrasSigmas")
    assert big["plot"]["width"] > small["plot"]["width"] + 200
    assert big["plot"]["height"] > small["plot"]["height"] + 100
    assert big["plot"]["draws"] > small["plot"]["draws"]
    dom = ui.eval(
        """(id) => { const c = app.graph.getNodeById(id).samplerLabPlotWidget.canvas;
                      const r = c.getBoundingClientRect(); return [r.width, r.height, c.width]; }""",
        karras["id"],
    )
    assert dom[0] == pytest.approx(big["plot"]["width"], abs=2) and dom[2] >= dom[0]
    check_plot(big)
    assert ui.our_errors() == []


def test_example_workflows(ui):
    files = sorted(
        glob.glob(os.path.join(REPO, "workflows", "*.json")) + glob.glob(os.path.join(REPO, "workflows", "*", "*.json"))
    )
    seen = set()
    for path in files:
        with open(path, encoding="utf-8") as f:
            wf = json.load(f)
        if "nodes" not in wf:
            continue  # API-format prompt, not a UI workflow
        expected = [n for n in wf["nodes"] if n["type"] in PLOT_TYPES]
        if not expected:
            continue
        ui.load(wf)
        ui.eval("() => app.extensionManager?.dialog?.closeDialog?.()")
        plots = ui.plots()
        assert len(plots) == len(expected), os.path.basename(path)
        for node in plots:
            check_plot(node)
            seen.add(node["type"])
    if not files:
        pytest.skip("no workflows/ in this checkout")
    assert seen, "no example workflow holds a plotted node"
    assert ui.our_errors() == []


def test_every_workflow_converts_as_the_frontend_does(ui, server):
    """tools/workflow_api.ui_to_api (used by the workflow tests, the demo and make_workflows) against the frontend's
    own graphToPrompt, for every example and demo workflow."""
    from workflow_api import ui_to_api

    info = server.object_info()
    files = sorted(
        glob.glob(os.path.join(REPO, "workflows", "*.json")) + glob.glob(os.path.join(REPO, "workflows", "*", "*.json"))
    )
    assert files
    for path in files:
        with open(path, encoding="utf-8") as f:
            wf = json.load(f)
        ui.load(wf)
        ui.eval("() => app.extensionManager?.dialog?.closeDialog?.()")
        frontend = ui.eval("async () => (await app.graphToPrompt()).output")
        ours = ui_to_api(wf, info)
        assert {str(k): v for k, v in frontend.items()} == ours, os.path.relpath(path, REPO)
    assert ui.our_errors() == []


def _xss_workflow():
    wf = _fixture("plots.json")
    for n in wf["nodes"]:
        n["title"] = XSS + " " + n["type"]
        if n["type"] == "SamplerLabSpacingSigmas":
            n["widgets_values"][1] = XSS  # a combo value that is not in the list
    last = max(n["id"] for n in wf["nodes"])
    wf["nodes"].append(
        {
            "id": last + 1,
            "type": "Note",
            "pos": [900, 700],
            "size": [300, 120],
            "flags": {},
            "order": last,
            "mode": 0,
            "properties": {"text": ""},
            "widgets_values": [XSS + " note text"],
            "title": XSS,
        }
    )
    wf["nodes"].append(
        {
            "id": last + 2,
            "type": "MarkdownNote",
            "pos": [1250, 700],
            "size": [300, 120],
            "flags": {},
            "order": last + 1,
            "mode": 0,
            "properties": {},
            "widgets_values": [XSS + " *markdown*"],
            "title": XSS,
        }
    )
    for n in wf["nodes"]:
        n.setdefault("properties", {})["Node name for S&R"] = XSS
    wf["groups"] = [{"title": XSS, "bounding": [0, 0, 1400, 1300], "color": "#3f789e", "font_size": 24}]
    wf["last_node_id"] = last + 2
    return wf


@pytest.mark.parametrize("vue", [False, True], ids=["classic", "vue-nodes"])
def test_workflow_text_is_never_html(ui, vue):
    try:
        if vue:
            ui.eval("async () => app.extensionManager.setting.set('Comfy.VueNodes.Enabled', true)")
        ui.eval("() => { delete window.__xss; }")
        ui.load(_xss_workflow())
        ui.settle(600)
        plots = ui.plots()
        assert len(plots) == len(PLOT_TYPES)
        spacing = ui.plot("SamplerLabSpacingSigmas")
        assert spacing["widgets"]["spacing"] == XSS and XSS in spacing["plot"]["title"]  # shown, as text
        assert ui.eval("() => window.__xss") is None, "workflow text ran as HTML"
        # The one place where the frontend itself turns workflow text into HTML is the MarkdownNote (Vue nodes mode),
        # by design and sanitized: an image there is allowed as long as no handler attribute survived.
        assert (
            ui.eval("""() => [...document.querySelectorAll('*')].some(e => [...e.attributes].some(
                            a => a.name.startsWith('on') && a.value.includes('__xss')))""")
            is False
        )
        imgs = ui.eval("""() => [...document.querySelectorAll('img[src="x"], img[onerror]')]
            .filter(e => !(e.closest('.comfy-markdown-content')
                           && ![...e.attributes].some(a => a.name.startsWith('on'))))
            .map(e => {
            const path = [];
            for (let p = e; p && path.length < 6; p = p.parentElement) path.push(p.tagName + '.' + p.className);
            return e.outerHTML + ' in ' + path.join(' < '); })""")
        assert imgs == []
        # Our own DOM holds no element but the canvas and the text caption.
        assert ui.eval("""() => [...document.querySelectorAll('.samplerlab-plot *')].every(e => e.tagName === 'CANVAS'
                            || (e.className === 'samplerlab-plot-caption' && e.children.length === 0))""")
        assert ui.our_errors() == []
    finally:
        ui.eval("async () => app.extensionManager.setting.set('Comfy.VueNodes.Enabled', false)")
        ui.settle(300)


def test_vue_nodes_mode(ui):
    has = ui.eval(
        "() => !!app.extensionManager.setting.get && "
        "app.extensionManager.setting.get('Comfy.VueNodes.Enabled') !== undefined"
    )
    assert has, "this frontend has no Comfy.VueNodes.Enabled setting"
    ui.load(_fixture("plots.json"))
    try:
        ui.eval("async () => app.extensionManager.setting.set('Comfy.VueNodes.Enabled', true)")
        ui.page.wait_for_selector("[data-node-id] .samplerlab-plot", timeout=10000)
        ui.settle(500)
        info = ui.eval("""() => [...document.querySelectorAll('.samplerlab-plot')].map(e => {
            const r = e.getBoundingClientRect();
            return {type: e.dataset.samplerlabNode, node: e.closest('[data-node-id]')?.dataset.nodeId ?? null,
                    w: r.width, h: r.height, visible: !!e.offsetParent};
        })""")
        assert sorted(i["type"] for i in info) == sorted(PLOT_TYPES)
        for i in info:
            assert i["node"] is not None and i["visible"] and i["w"] > 100 and i["h"] > 100, i
        for node in ui.plots():
            assert node["pixels"] > 2000
            check_plot(node)

        # Edit with the Vue widget's own + button: the plot follows.
        karras = ui.plot("SamplerLabKarrasSigmas")
        steps_row = ui.page.locator(f'[data-node-id="{karras["id"]}"] .lg-node-widget').filter(has_text="steps").first
        ui.show_node(karras["id"])
        ui.settle(300)
        # the + button: PrimeVue's in older frontends, data-testid="increment" in newer ones (1.49+)
        steps_row.locator('[data-pc-section="incrementbutton"], [data-testid="increment"]').first.click(timeout=5000)
        ui.settle(400)
        after = ui.plot("SamplerLabKarrasSigmas")
        assert after["widgets"]["steps"] == karras["widgets"]["steps"] + 1
        assert len(after["plot"]["sigmas"]) == len(karras["plot"]["sigmas"]) + 1
        assert after["hash"] != karras["hash"]
        check_plot(after)
        # Resize the Vue node with its corner handle: the plot follows.
        box = ui.page.locator(f'[data-node-id="{karras["id"]}"]').bounding_box()
        ui.page.mouse.move(box["x"] + box["width"] - 3, box["y"] + box["height"] - 3)
        ui.page.mouse.down()
        ui.page.mouse.move(box["x"] + box["width"] + 150, box["y"] + box["height"] + 80, steps=8)
        ui.page.mouse.up()
        ui.settle(500)
        grown = ui.plot("SamplerLabKarrasSigmas")
        assert grown["plot"]["width"] > after["plot"]["width"] + 100, (grown["plot"]["width"], after["plot"]["width"])
        assert grown["plot"]["height"] > after["plot"]["height"] + 40, (
            grown["plot"]["height"],
            after["plot"]["height"],
        )
        assert grown["plot"]["draws"] > after["plot"]["draws"]
        check_plot(grown)
        if os.environ.get("SAMPLERLAB_SCREENSHOTS") == "1":
            ui.page.locator(f'[data-node-id="{karras["id"]}"]').screenshot(
                path=os.path.join(REPO, "docs", "preview_vue_nodes.png")
            )
        assert ui.our_errors() == []
    finally:
        ui.eval("async () => app.extensionManager.setting.set('Comfy.VueNodes.Enabled', false)")
        ui.settle(300)
    # Back in classic mode the plots are still drawn.
    for node in ui.plots():
        assert node["pixels"] > 2000


SHOTS = {
    "SamplerLabKarrasSigmas": "preview_karras.png",
    "SamplerLabSpacingSigmas": "preview_spacing.png",
    "SamplerLabKSampler": "preview_ksampler.png",
    "SamplerLabCADS": "preview_cads.png",
    "SamplerLabZeroTerminalSNR": "preview_ztsnr.png",
}


def test_screenshots(ui, tmp_path):
    """A screenshot of every preview renders (into docs/ with SAMPLERLAB_SCREENSHOTS=1, else a temporary folder)."""
    folder = os.path.join(REPO, "docs") if os.environ.get("SAMPLERLAB_SCREENSHOTS") == "1" else str(tmp_path)
    wf = _fixture("plots.json")
    for n in wf["nodes"]:  # show the churn window and saturation on the KSampler
        if n["type"] == "SamplerLabKSampler":
            n["widgets_values"][4] = 1.0
            n["widgets_values"][6] = 7.0
    ui.load(wf)
    ui.eval("""() => { for (const n of app.graph.nodes) {
                         const m = n.computeSize(); n.setSize([Math.max(380, m[0]), m[1]]); } }""")
    for node in ui.plots():
        clip = ui.show_node(node["id"])
        ui.eval("() => { app.canvas.deselectAll?.(); }")
        ui.settle(400)
        ui.page.screenshot(path=os.path.join(folder, SHOTS[node["type"]]), clip=clip)
    for name in SHOTS.values():
        with open(os.path.join(folder, name), "rb") as f:
            png = f.read()
        assert png.startswith(b"\x89PNG") and len(png) > 10_000, name
