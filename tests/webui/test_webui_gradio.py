"""The Sampler Lab accordion built with the real gradio that A1111 1.10.1 pins (3.41.2), by the adapter's own UI code:
every component's kind, label, default, range, step (sliders and number boxes), precision, tooltip and elem_id against
sampler_lab_webui/params.py, for txt2img and img2img.

It runs in the gradio venv (.host/venv-gradio, or SAMPLERLAB_GRADIO_PYTHON) that `make setup` builds
(tools/setup_gradio_venv.sh) whenever ../shared/hosts has the A1111 tree; it skips only where that tarball is missing,
and fails where the tarball is there but the venv was not built. The accordion is built in that venv's fresh
interpreter by `tools/webui_screenshot.py --dump` (the same code that renders the screenshot) and compared here.
"""

import json
import os
import subprocess

import pytest

import loader

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.path.join(REPO, "tools", "webui_screenshot.py")
GRADIO_PYTHON = os.environ.get("SAMPLERLAB_GRADIO_PYTHON") or os.path.join(
    REPO, ".host", "venv-gradio", "bin", "python"
)
GRADIO_VERSION = "3.41.2"  # A1111 1.10.1's requirements_versions.txt
A1111_TARBALL = os.path.join(REPO, "..", "shared", "hosts", "a1111-1.10.1.tar.gz")


def _params():
    loader.webui()
    from sampler_lab_webui import params

    return params


@pytest.fixture(scope="module")
def built():
    if not os.path.exists(GRADIO_PYTHON):
        where = GRADIO_PYTHON if os.environ.get("SAMPLERLAB_GRADIO_PYTHON") else ".host/venv-gradio"
        if os.path.exists(A1111_TARBALL) or os.environ.get("SAMPLERLAB_GRADIO_PYTHON"):
            pytest.fail(f"no gradio venv ({where}): run `make setup` (tools/setup_gradio_venv.sh)")
        pytest.skip("no ../shared/hosts/a1111-1.10.1.tar.gz: the gradio venv is not built")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(GRADIO_ANALYTICS_ENABLED="False", PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run(
        [GRADIO_PYTHON, TOOL, "--dump"], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"building the accordion with real gradio failed:\n{done.stderr[-6000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


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
        assert config["value"] == p.default and type(config["value"]) is p.kind, where
        assert config.get("info") == (p.tooltip or None), where
        if p.kind is bool:
            assert config["type"] == "checkbox", where
            continue
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
        f"sampler_lab_{p.name}_{tab}": p.step
        for p in params.PARAMS
        if p.kind is not bool and p.maximum - p.minimum > 100
    }
