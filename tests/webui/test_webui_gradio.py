"""The Sampler Lab accordion built with the real gradio that A1111 1.10.1 pins (3.41.2), by the adapter's own UI code:
every component's kind, label, default, range, step (sliders and number boxes), precision and elem_id against
sampler_lab_webui/params.py, for txt2img and img2img; one compact row per feature, in PARAMS order, no explanation
under any input (the tooltips are javascript/sampler_lab_hints.js's, for every elem_id); a feature this web UI cannot
run has its inputs disabled and a note with the reason in its row.

It runs in the gradio venv (.host/venv-gradio, or SAMPLERLAB_GRADIO_PYTHON) that `make setup` builds
(tools/setup_gradio_venv.sh) whenever ../shared/hosts has the A1111 tree; it skips only where that tarball is missing,
and fails where the tarball is there but the venv was not built. The accordion is built in that venv's fresh
interpreter by `tools/webui_accordion_dump.py` and compared here.
"""

import json
import os
import subprocess

import pytest

import loader

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.path.join(REPO, "tools", "webui_accordion_dump.py")
GRADIO_PYTHON = os.environ.get("SAMPLERLAB_GRADIO_PYTHON") or os.path.join(
    REPO, ".host", "venv-gradio", "bin", "python"
)
GRADIO_VERSION = "3.41.2"  # A1111 1.10.1's requirements_versions.txt
A1111_TARBALL = os.path.join(REPO, "..", "shared", "hosts", "a1111-1.10.1.tar.gz")


def _params():
    loader.webui()
    from sampler_lab_webui import params

    return params


def _dump(*args: str) -> dict:
    if not os.path.exists(GRADIO_PYTHON):
        where = GRADIO_PYTHON if os.environ.get("SAMPLERLAB_GRADIO_PYTHON") else ".host/venv-gradio"
        if os.path.exists(A1111_TARBALL) or os.environ.get("SAMPLERLAB_GRADIO_PYTHON"):
            pytest.fail(f"no gradio venv ({where}): run `make setup` (tools/setup_gradio_venv.sh)")
        pytest.skip("no ../shared/hosts/a1111-1.10.1.tar.gz: the gradio venv is not built")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(GRADIO_ANALYTICS_ENABLED="False", PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run([GRADIO_PYTHON, TOOL, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"building the accordion with real gradio failed:\n{done.stderr[-6000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def built():
    return _dump()


@pytest.fixture(scope="module")
def built_without_cads():
    """The accordion on a web UI that cannot run CADS (`detect.unavailable` answering for it)."""
    return _dump("--unavailable", "CADS=no conditioning hook <here>")


def test_gradio_is_the_version_a1111_pins(built):
    assert built["gradio"] == GRADIO_VERSION


@pytest.mark.parametrize("tab", ["txt2img", "img2img"])
def test_every_component_matches_the_parameter_table(built, tab):
    params = _params()
    components = built["components"][tab]
    assert [c.get("elem_id") for c in components] == [f"sampler_lab_{p.name}_{tab}" for p in params.PARAMS]
    for config, p in zip(components, params.PARAMS):
        where = f"{tab} {p.name} ({config['type']})"
        assert config["label"] == p.label, where
        assert config.get("info") is None, f"{where}: explanations are hover tooltips, not text under the input"
        assert config["interactive_arg"] is None, where
        if p.kind is bool:
            assert config["type"] == "checkbox" and config["value"] is p.default, where
            continue
        if p.name == "cads_seed":  # up to 2⁶⁴−1: a text box, since a browser's number box rounds beyond 2⁵³
            assert config["type"] == "textbox" and config["value"] == str(p.default), where
            assert (config["lines"], config["max_lines"]) == (1, 1), where
            continue
        assert config["value"] == p.default and type(config["value"]) is p.kind, where
        assert config["type"] in ("slider", "number"), where
        assert (config["minimum"], config["maximum"]) == (p.minimum, p.maximum), where
        assert p.minimum <= config["value"] <= p.maximum, where
        if config["type"] == "slider":
            assert config["step"] == p.step, where
        else:
            assert config["precision"] == (0 if p.kind is int else None), where


@pytest.mark.parametrize("tab", ["txt2img", "img2img"])
def test_number_boxes_step_like_the_parameter_table(built, tab):
    params = _params()
    steps = {c["elem_id"]: c["step"] for c in built["components"][tab] if c["type"] == "number"}
    assert steps == {
        f"sampler_lab_{p.name}_{tab}": p.step for p in params.PARAMS if p.kind is float and p.maximum - p.minimum > 100
    }


@pytest.mark.parametrize("tab", ["txt2img", "img2img"])
def test_one_compact_row_per_feature_in_argument_order(built, tab):
    params = _params()
    assert built[f"accordion_{tab}"] == {"label": "Sampler Lab", "open": False, "elem_id": f"sampler_lab_{tab}"}
    rows = built["rows"][tab]
    features = list(dict.fromkeys(p.feature for p in params.PARAMS))
    assert [r["elem_id"] for r in rows] == [
        f"sampler_lab_row_{stem}_{tab}" for stem in ("churn", "karras", "rescale", "cads", "ztsnr")
    ]
    for row, feature in zip(rows, features):
        assert row["variant"] == "compact" and row["html"] == [], row["elem_id"]
        assert row["inputs"] == [f"sampler_lab_{p.name}_{tab}" for p in params.PARAMS if p.feature == feature]
        assert [len(line) for line in row["lines"]] in ([len(row["inputs"])], [4, 4]), row["lines"]
        assert sum(row["lines"], []) == row["inputs"]
    assert sum((r["inputs"] for r in rows), []) == [c["elem_id"] for c in built["components"][tab]]


def test_every_input_and_row_has_a_tooltip(built):
    loader.webui()
    from sampler_lab_webui import script

    titles = script.tooltips()
    for tab in ("txt2img", "img2img"):
        ids = [c["elem_id"] for c in built["components"][tab]] + [r["elem_id"] for r in built["rows"][tab]]
        assert sorted(f"sampler_lab_{key}_{tab}" for key in titles) == sorted(ids)
    assert all(len(text) > 20 for text in titles.values()), titles


@pytest.mark.parametrize("tab", ["txt2img", "img2img"])
def test_a_feature_this_web_ui_cannot_run_is_disabled_with_its_reason(built_without_cads, tab):
    params = _params()
    components = built_without_cads["components"][tab]
    for config, p in zip(components, params.PARAMS):
        assert config["interactive_arg"] is (False if p.feature == "CADS" else None), p.name
    assert [c["elem_id"] for c in components] == [f"sampler_lab_{p.name}_{tab}" for p in params.PARAMS]
    notes = {r["elem_id"]: r["html"] for r in built_without_cads["rows"][tab]}
    assert notes.pop(f"sampler_lab_row_cads_{tab}") == [
        '<span class="sampler-lab-unavailable" data-reason="no conditioning hook &lt;here&gt;" '
        'title="no conditioning hook &lt;here&gt;">Not available here: no conditioning hook &lt;here&gt;</span>'
    ]
    assert all(html == [] for html in notes.values())
