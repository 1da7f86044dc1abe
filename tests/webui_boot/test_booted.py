"""Sampler Lab in the real, booted AUTOMATIC1111 1.10.1 / Forge web UIs, through their HTTP API.

Each host of SAMPLERLAB_BOOT_HOSTS (comma-separated: a1111, forge, forge-classic; `make test-webui` sets it) is
set up by tools/setup_webui_boot.sh (unmodified tree, this checkout in extensions/, a random-weight SD1.5
checkpoint) and booted once for the session by tools/webui_server.py; hosts run in turn. Without the variable the
module skips: booting takes minutes. Images are 64×64 with 2–3 steps: enough for each feature to change them.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
from typing import Any

import numpy as np
import pytest
from PIL import Image

from webui_server import WebUIError, WebUIServer

HOSTS = [h for h in os.environ.get("SAMPLERLAB_BOOT_HOSTS", "").split(",") if h]
EPS = "sd15-random-eps.safetensors"
V = "sd15-random-v.safetensors"
SCRIPT = "Sampler Lab"
#: Hosts whose processing objects and API have a schedule type (Forge Classic has only a global option).
SCHEDULE_HOSTS = {"a1111", "forge"}
#: Hosts that read a `.yaml` beside a checkpoint (the v-prediction variant); Forge detects the type from the weights.
V_YAML_HOSTS = {"a1111", "forge-classic"}
_INFOTEXT_PAIR = re.compile(r'\s*([\w][\w \-/]*):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')

pytestmark = pytest.mark.skipif(
    not HOSTS, reason="booted web UI tests: run `make test-webui` (or set SAMPLERLAB_BOOT_HOSTS=a1111,forge)"
)


@pytest.fixture(scope="session", params=HOSTS or ["none"])
def ui(request) -> WebUIServer:
    """One booted web UI per host for the session (stopped before the next host boots)."""
    server = WebUIServer(request.param)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def results() -> dict:
    """Answers of txt2img requests by (host, request): a request that several tests make runs once per host."""
    return {}


def payload(model: str = EPS, **fields: Any) -> dict:
    """A tiny txt2img request: 64×64, 2 Euler steps, fixed seed, the given model (kept loaded afterwards)."""
    body = dict(
        prompt="a red apple on a table",
        negative_prompt="blurry",
        width=64,
        height=64,
        steps=2,
        cfg_scale=7.0,
        seed=1234,
        sampler_name="Euler",
        batch_size=1,
        n_iter=1,
        save_images=False,
        send_images=True,
        override_settings={"sd_model_checkpoint": model},
        override_settings_restore_afterwards=False,
    )
    body.update(fields)
    return body


def lab(settings: dict | None = None, **fields: Any) -> dict:
    """A request with Sampler Lab's arguments as one dict of names."""
    return payload(alwayson_scripts={SCRIPT: {"args": [settings or {}]}}, **fields)


def generate(
    ui: WebUIServer, results: dict, body: dict, fresh: bool = False
) -> tuple[list[np.ndarray], list[dict[str, str]]]:
    """The images (uint8 values as int16 arrays) and parsed infotexts of one txt2img request (run again with
    `fresh`)."""
    key = (ui.host, json.dumps(body, sort_keys=True))
    if fresh or key not in results:
        answer = ui.post("/sdapi/v1/txt2img", body)
        images = [
            np.asarray(Image.open(io.BytesIO(base64.b64decode(b))).convert("RGB"), dtype=np.int16)
            for b in answer["images"]
        ]
        results[key] = images, [infotext(t) for t in json.loads(answer["info"])["infotexts"]]
    return results[key]


def one(ui: WebUIServer, results: dict, body: dict, fresh: bool = False) -> tuple[np.ndarray, dict[str, str]]:
    images, infos = generate(ui, results, body, fresh)
    return images[0], infos[0]


def infotext(text: str) -> dict[str, str]:
    """The `key: value` pairs of an infotext's last line (A1111's own pattern)."""
    return {k: v.strip().strip('"') for k, v in _INFOTEXT_PAIR.findall(text.strip().splitlines()[-1])}


def ours(info: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in info.items() if k.startswith("Sampler Lab")}


def same(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal within one pixel level (CPU float noise)."""
    return int(np.abs(a - b).max()) <= 1


def differ(a: np.ndarray, b: np.ndarray) -> bool:
    return int(np.abs(a - b).max()) >= 8


def refused(ui: WebUIServer, body: dict) -> str:
    """The error text of a request the web UI must refuse."""
    with pytest.raises(WebUIError) as error:
        ui.post("/sdapi/v1/txt2img", body)
    try:
        return json.dumps(json.loads(error.value.body), ensure_ascii=False)
    except ValueError:
        return error.value.body


@pytest.fixture(scope="session")
def base(ui, results) -> tuple[np.ndarray, dict[str, str]]:
    """Euler, the host's default schedule, no Sampler Lab arguments."""
    return one(ui, results, payload())


def test_the_extension_is_loaded(ui):
    assert "EDM Heun" in [s["name"] for s in ui.get("/sdapi/v1/samplers")]
    if ui.host in SCHEDULE_HOSTS:
        schedulers = {s["name"]: s["label"] for s in ui.get("/sdapi/v1/schedulers")}
        assert {
            k: schedulers.get(k)
            for k in ("samplerlab_karras", "samplerlab_trailing", "samplerlab_linspace", "samplerlab_leading")
        } == {
            "samplerlab_karras": "Sampler Lab Karras",
            "samplerlab_trailing": "Sampler Lab trailing",
            "samplerlab_linspace": "Sampler Lab linspace",
            "samplerlab_leading": "Sampler Lab leading",
        }
    scripts = [s for s in ui.get("/sdapi/v1/script-info") if s["name"] == SCRIPT.lower()]
    assert {(s["is_img2img"], s["is_alwayson"]) for s in scripts} == {(False, True), (True, True)}
    assert all(len(s["args"]) == 16 for s in scripts)


def test_parameters_of_features_not_in_use_change_and_record_nothing(ui, results, base):
    """Churn without EDM Heun, ρ without its schedule, φ and CADS values with their switches off."""
    image, info = one(ui, results, lab({"s_churn": 5.0, "rho": 3.0, "phi": 0.5, "noise_scale": 1.0, "cads_seed": 5}))
    assert same(image, base[0]) and ours(info) == {} and ours(base[1]) == {}


def test_edm_heun_churn(ui, results, base):
    plain, plain_info = one(ui, results, lab({}, sampler_name="EDM Heun"))
    churned, info = one(ui, results, lab({"s_churn": 5.0}, sampler_name="EDM Heun"))
    assert differ(plain, churned) and differ(plain, base[0])
    assert plain_info["Sampler"] == info["Sampler"] == "EDM Heun"
    assert ours(plain_info) == {} and ours(info) == {"Sampler Lab S_churn": "5.0"}


def test_karras_rho_and_spacing_schedules(ui, results, base):
    if ui.host not in SCHEDULE_HOSTS:
        pytest.skip(f"{ui.host} has no schedule-type list")
    # 3 steps: a 2-step Karras schedule is [σmax, σmin, 0] whatever ρ is
    seven, seven_info = one(ui, results, lab({}, scheduler="samplerlab_karras", steps=3))
    three, three_info = one(ui, results, lab({"rho": 3.0}, scheduler="samplerlab_karras", steps=3))
    hosts_karras, _ = one(ui, results, payload(scheduler="karras", steps=3))
    assert same(seven, hosts_karras), "ρ = 7 over the model's σ range is the host's own Karras schedule"
    assert differ(seven, three) and differ(three, base[0])
    assert seven_info["Schedule type"] == "Sampler Lab Karras" and ours(seven_info) == {}
    assert ours(three_info) == {"Sampler Lab rho": "3.0"}
    trailing, trailing_info = one(ui, results, lab({}, scheduler="samplerlab_trailing"))
    assert differ(trailing, base[0])
    assert trailing_info["Schedule type"] == "Sampler Lab trailing" and ours(trailing_info) == {}


def test_cfg_rescale(ui, results, base):
    if ui.host == "forge-classic":  # not offered there yet: refused by name, the server serving on
        assert "'CFG rescale' is not available on Forge Classic" in refused(
            ui, lab({"rescale_enabled": True, "phi": 0.5})
        )
        return
    half, half_info = one(ui, results, lab({"rescale_enabled": True, "phi": 0.5}))
    zero, zero_info = one(ui, results, lab({"rescale_enabled": True, "phi": 0.0}))
    assert differ(half, base[0])
    assert same(zero, base[0]), "φ = 0 is plain CFG"
    assert ours(half_info) == {"Sampler Lab CFG rescale": "True", "Sampler Lab CFG rescale phi": "0.5"}
    assert ours(zero_info) == {"Sampler Lab CFG rescale": "True", "Sampler Lab CFG rescale phi": "0.0"}


def test_positional_and_dict_arguments_agree(ui, results):
    positional = [0.0, 0.05, 50.0, 1.003, 7.0, True, 0.5]  # the accordion's order, the rest left to the API
    if ui.host == "forge-classic":  # CFG rescale is refused there: both forms must say so alike
        by_name = refused(ui, lab({"rescale_enabled": True, "phi": 0.5}))
        assert refused(ui, payload(alwayson_scripts={SCRIPT: {"args": positional}})) == by_name
        return
    by_position, position_info = one(ui, results, payload(alwayson_scripts={SCRIPT: {"args": positional}}))
    by_name, name_info = one(ui, results, lab({"rescale_enabled": True, "phi": 0.5}))
    assert same(by_position, by_name)
    assert (
        ours(position_info)
        == ours(name_info)
        == {"Sampler Lab CFG rescale": "True", "Sampler Lab CFG rescale phi": "0.5"}
    )


def test_cads_with_seeds_beyond_2_53(ui, results, base):
    seeded, info = one(ui, results, lab({"cads_enabled": True, "cads_seed": 2**53 + 1}))
    neighbour, neighbour_info = one(ui, results, lab({"cads_enabled": True, "cads_seed": 2**53}))
    assert differ(seeded, base[0]) and differ(seeded, neighbour)
    assert ours(info) == {"Sampler Lab CADS": "True", "Sampler Lab CADS seed": str(2**53 + 1)}
    assert ours(neighbour_info) == {"Sampler Lab CADS": "True", "Sampler Lab CADS seed": str(2**53)}


def xyz_axis(ui: WebUIServer, label: str) -> int:
    """The index of an X/Y/Z axis type in txt2img's list."""
    xyz = next(s for s in ui.get("/sdapi/v1/script-info") if s["name"] == "x/y/z plot" and not s["is_img2img"])
    return next(a for a in xyz["args"] if a["label"] == "X type")["choices"].index(label)


def test_xyz_cells_record_their_own_values(ui, results):
    if ui.host not in SCHEDULE_HOSTS:
        pytest.skip(f"{ui.host} has no schedule-type list")
    # x_type, x_values, x_values_dropdown, y…, z…, draw_legend, include_lone_images, include_sub_grids,
    # no_fixed_seeds, vary_seeds_x/y/z, margin_size, csv_mode
    args = [
        xyz_axis(ui, "[Sampler Lab] rho"),
        "3, 7",
        [],
        0,
        "",
        [],
        0,
        "",
        [],
        True,
        True,
        False,
        False,
        False,
        False,
        False,
        0,
        False,
    ]
    images, infos = generate(
        ui, results, payload(scheduler="samplerlab_karras", steps=3, script_name="x/y/z plot", script_args=args)
    )
    assert len(images) == 3, "the grid and its two cells"
    assert ours(infos[1]) == {"Sampler Lab rho": "3.0"} and ours(infos[2]) == {}
    for cell, rho in zip(images[1:], (3.0, 7.0)):
        alone, _ = one(ui, results, lab({} if rho == 7.0 else {"rho": rho}, scheduler="samplerlab_karras", steps=3))
        assert same(cell, alone), f"the ρ = {rho} cell is not the same settings run alone"


@pytest.mark.parametrize(
    "settings, name",
    [
        ({"cads_enabled": True, "tau1": 0.9, "tau2": 0.5}, "'CADS tau1'"),
        ({"rescale_enabled": True, "phi": 1.5}, "'CFG rescale phi'"),
        ({"s_tmin": 10.0, "s_tmax": 1.0}, "S_tmin"),
        ({"cads_seed": 2**64}, "'CADS seed'"),
        ({"cads_seed": 1.5}, "'CADS seed'"),
        ({"rho_typo": 3.0}, "rho_typo"),
        ({"ztsnr_enabled": True}, "'Zero terminal SNR' is on but the model predicts ε"),
    ],
)
def test_bad_input_is_refused_by_name(ui, settings, name):
    assert name in refused(ui, lab(settings))


def test_the_server_serves_after_refusals(ui, results, base):
    refused(ui, lab({"rescale_enabled": True, "phi": -1.0}))
    image, info = one(ui, results, payload(), fresh=True)
    assert same(image, base[0]) and ours(info) == {}


def test_batch_image_is_its_seed_alone(ui, results):
    settings = {"s_churn": 5.0, "cads_enabled": True}
    batch, infos = generate(ui, results, lab(settings, sampler_name="EDM Heun", batch_size=2, seed=4321))
    alone, alone_info = one(ui, results, lab(settings, sampler_name="EDM Heun", seed=4322))
    assert len(batch) == 2 and differ(batch[0], batch[1])
    assert same(batch[1], alone) and ours(infos[1]) == ours(alone_info) != {}


def test_ztsnr_on_a_v_model(ui, results):
    """Last: it loads the v-prediction checkpoint (same weights, `parameterization: "v"` beside them)."""
    if ui.host not in V_YAML_HOSTS:
        pytest.skip(f"{ui.host} reads no .yaml beside a checkpoint: no v-prediction model from random weights")
    plain, plain_info = one(ui, results, lab({}, model=V))
    ztsnr, info = one(ui, results, lab({"ztsnr_enabled": True}, model=V))
    assert differ(plain, ztsnr)
    assert ours(plain_info) == {} and ours(info) == {"Sampler Lab ZTSNR": "True"}
    again, _ = one(ui, results, lab({}, model=V), fresh=True)
    assert same(again, plain), "the model's ᾱ table is restored after the generation"
