"""Sampler Lab in the real, booted web UIs' pages (AUTOMATIC1111 1.10.1 and Forge Classic: gradio 3.41; Forge:
gradio 4.40), in Debian's Chromium through playwright (tools/webui_browser.py), as a user uses it.

The same booted web UI as test_booted.py (the session fixture `ui` of conftest.py, one host of SAMPLERLAB_BOOT_HOSTS
after the other). Every check is against a reference: the parameter table (labels, defaults, tooltips), the API's
image and infotext for the same settings, the values pasted.
"""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
from booted import (
    CLASSIC_OPTIONS,
    EPS,
    SCHEDULE_HOSTS,
    lab,
    one,
    ours,
    payload,
    same,
    differ,
    infotext,
    skip_unless_booted,
)
from PIL import Image

import loader
from webui_browser import webui_page

pytestmark = skip_unless_booted

TABS = ("txt2img", "img2img")
SEED_MAX = 2**64 - 1
#: The generation settings of booted.payload() as an infotext (no Sampler Lab keys: pasting it resets the accordion).
BASE = (
    "a red apple on a table\nNegative prompt: blurry\nSteps: 2, Sampler: Euler, CFG scale: 7, Seed: 1234, Size: 64x64"
)
#: A value other than the default for every input (on the sliders' steps): pasted, each must come back.
PASTED = dict(
    s_churn=12.5,
    s_tmin=0.5,
    s_tmax=20.0,
    s_noise=1.01,
    rho=5.5,
    rescale_enabled=True,
    phi=0.55,
    cads_enabled=True,
    noise_scale=0.1,
    tau1=0.4,
    tau2=0.8,
    psi=0.75,
    cads_rescale=False,
    cads_negative=True,
    cads_seed=SEED_MAX,
    ztsnr_enabled=True,
)


def _adapter():
    loader.webui()
    from sampler_lab_webui import params, script

    return params, script


@pytest.fixture(scope="session")
def page(ui):
    """The booted web UI's page for this host's tests (the model: the ε checkpoint, which test_booted.py may have
    swapped for the v one; on Forge Classic its schedule option at `Automatic` and CFG on every step, as
    booted.for_host sends them with each request)."""
    options = {"sd_model_checkpoint": EPS}
    if ui.host not in SCHEDULE_HOSTS:  # the options booted.for_host sends with each of its requests there
        options.update(CLASSIC_OPTIONS, k_sched_type="Automatic")
    deadline = time.monotonic() + 300
    # Again until it holds: a change of checkpoint sent while the web UI still loads the one of its config.json at
    # start-up is undone when that load ends.
    while not ui.get("/sdapi/v1/options")["sd_model_checkpoint"].startswith(EPS):
        assert time.monotonic() < deadline, f"{ui.host} keeps its checkpoint; {EPS} wanted"
        ui.post("/sdapi/v1/options", options)
        time.sleep(2)
    ui.post("/sdapi/v1/options", options)
    started = time.monotonic()
    with webui_page(ui.url, ui.tree) as page:
        page.load_seconds = time.monotonic() - started
        yield page


def shown(param, value):
    """`value` as the page shows it in `param`'s input (READ_ACCORDION's `value`)."""
    if param.kind is bool:
        return bool(value)
    if param.kind is int:  # the CADS seed's text box
        return str(value)
    return float(value)


def read(page, tab: str) -> dict:
    """Each input's value by name, as `shown` gives it."""
    params, _ = _adapter()
    inputs = page.inputs(tab)
    return {
        p.name: inputs[p.name]["value"] if p.kind in (bool, int) else float(inputs[p.name]["value"])
        for p in params.PARAMS
    }


#: The host's own inputs that BASE sets, by elem_id, as the page shows them once it is pasted.
BASE_FIELDS = {"steps": "2", "width": "64", "height": "64", "seed": "1234"}


def base_fields(page, tab: str) -> dict:
    return page.page.evaluate(
        "([tab, ids]) => Object.fromEntries(ids.map((id) => "
        "[id, document.querySelector(`#${tab}_${id} input[type=number]`)?.value]))",
        [tab, list(BASE_FIELDS)],
    )


def paste_and_wait(page, tab: str, text: str, expected: dict, timeout: float = 30.0) -> dict:
    """Paste `text` (which starts with BASE) with the host's ↙ button; the accordion's values once they equal
    `expected` and the host's inputs show BASE's settings (or at the timeout)."""
    page.page.evaluate(  # the host's inputs off BASE first, so that the wait below sees this paste's
        "(tab) => { const e = document.querySelector(`#${tab}_steps input[type=number]`); "
        "e.value = '3'; e.dispatchEvent(new Event('input', {bubbles: true})); }",
        tab,
    )
    page.paste(tab, text)
    deadline = time.monotonic() + timeout
    while True:
        values = read(page, tab)
        fields = base_fields(page, tab)
        if (values == expected and fields == BASE_FIELDS) or time.monotonic() > deadline:
            assert fields == BASE_FIELDS, f"the host's inputs did not take the pasted settings: {fields}"
            return values
        page.page.wait_for_timeout(250)


def unavailable_rows(page, tab: str) -> dict[str, str]:
    return {row["id"]: row["note"] for row in page.accordion(tab)["rows"] if row["note"]}


def test_the_accordion_renders_every_input_in_both_tabs(ui, page):
    """All 16 inputs in each tab, in argument order and one row per feature, with the table's labels, defaults and
    hover tooltips; a row that says its feature is unavailable has its inputs disabled and the reason in its titles."""
    params, script = _adapter()
    titles = script.tooltips()
    defaults = {p.name: shown(p, p.default) for p in params.PARAMS}
    for tab in TABS:
        page.open_accordion(tab)
        page.wait_for_titles(tab)
        accordion = page.accordion(tab)
        inputs = {e["id"]: e for e in accordion["inputs"]}
        assert list(inputs) == [f"sampler_lab_{p.name}_{tab}" for p in params.PARAMS], tab
        rows = accordion["rows"]
        assert [r["id"] for r in rows] == [script.row_id(f, tab == "img2img") for f in script._SECTIONS]
        for row, feature in zip(rows, script._SECTIONS):
            members = [p for p in params.PARAMS if p.feature == feature]
            assert row["inputs"] == [f"sampler_lab_{p.name}_{tab}" for p in members], row["id"]
            why = f"\n\nNot available on this web UI: {row['note']}" if row["note"] else ""
            assert row["title"] == titles[f"row_{script._ROW_IDS[feature]}"] + why, row["id"]
            for p in members:
                element = inputs[f"sampler_lab_{p.name}_{tab}"]
                where = f"{ui.host} {tab} {p.name}"
                assert element["label"] == p.label, where
                assert element["visible"], where
                assert element["kind"] == ("checkbox" if p.kind is bool else "text" if p.kind is int else "number")
                assert element["title"] == titles[p.name] + why, where
                assert element["disabled"] is bool(row["note"]), where
        assert read(page, tab) == defaults, tab
    assert [e for e in page.errors if "sampler_lab" in e.lower()] == []


@pytest.mark.parametrize(
    "feature, set_in_the_accordion, settings, recorded",
    [
        (
            "CFG rescale",
            {"rescale_enabled": True, "phi": 0.5},
            {"rescale_enabled": True, "phi": 0.5},
            {"Sampler Lab CFG rescale": "True", "Sampler Lab CFG rescale phi": "0.5"},
        ),
        (
            "CADS",  # the largest seed, typed: a browser's number box would have rounded it to 2⁶⁴ (refused)
            {"cads_enabled": True, "cads_seed": str(SEED_MAX)},
            {"cads_enabled": True, "cads_seed": SEED_MAX},
            {"Sampler Lab CADS": "True", "Sampler Lab CADS seed": str(SEED_MAX)},
        ),
    ],
    ids=["cfg-rescale-phi-0.5", "cads-seed-2^64-1"],
)
def test_values_set_in_the_accordion_reach_the_generation(
    ui, page, results, feature, set_in_the_accordion, settings, recorded
):
    """Ticked and typed in the accordion, Generate pressed: the page's infotext records them, and its image is the
    API's for the same settings (and not the image without them)."""
    params, script = _adapter()
    tab = "txt2img"
    page.open_accordion(tab)
    defaults = {p.name: shown(p, p.default) for p in params.PARAMS}
    assert paste_and_wait(page, tab, BASE, defaults) == defaults, "the base settings, the accordion at its defaults"
    note = unavailable_rows(page, tab).get(script.row_id(feature, False))
    if note:
        pytest.skip(f"{ui.host}: the accordion says {feature} is not available here ({note})")
    for name, value in set_in_the_accordion.items():
        if isinstance(value, bool):
            page.set_checkbox(tab, name, value)
        elif isinstance(value, str):
            page.set_text(tab, name, value)
        else:
            page.set_number(tab, name, value)
    expected = dict(defaults, **{k: shown(params.PARAM_BY_NAME[k], v) for k, v in set_in_the_accordion.items()})
    assert read(page, tab) == expected
    text, png = page.generate(tab)
    info = infotext(text)
    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)
    reference, reference_info = one(ui, results, lab(settings))
    plain, _ = one(ui, results, payload())
    assert ours(info) == ours(reference_info) == recorded
    assert float(info.pop("CFG scale")) == float(reference_info.pop("CFG scale"))  # the page writes 7, the API 7.0
    assert info == reference_info, "the page ran what the API did"
    assert image.shape == reference.shape == (64, 64, 3)
    assert same(image, reference), (
        f"the page's image is not the API's (max diff {int(np.abs(image - reference).max())})"
    )
    assert differ(image, plain), f"{feature} did not change the image"


@pytest.mark.parametrize("tab", TABS)
def test_pasting_an_infotext_restores_every_key(page, tab):
    params, _ = _adapter()
    text = BASE + ", " + ", ".join(f"{params.PARAM_BY_NAME[k].infotext_key}: {v}" for k, v in PASTED.items())
    expected = {k: shown(params.PARAM_BY_NAME[k], v) for k, v in PASTED.items()}
    page.open_accordion(tab)
    assert paste_and_wait(page, tab, text, expected) == expected


@pytest.mark.parametrize("tab", TABS)
def test_pasting_an_infotext_without_them_resets_every_input(page, tab):
    params, _ = _adapter()
    text = BASE + ", " + ", ".join(f"{params.PARAM_BY_NAME[k].infotext_key}: {v}" for k, v in PASTED.items())
    pasted = {k: shown(params.PARAM_BY_NAME[k], v) for k, v in PASTED.items()}
    defaults = {p.name: shown(p, p.default) for p in params.PARAMS}
    page.open_accordion(tab)
    assert paste_and_wait(page, tab, text, pasted) == pasted, "first every input away from its default"
    assert paste_and_wait(page, tab, BASE, defaults) == defaults
