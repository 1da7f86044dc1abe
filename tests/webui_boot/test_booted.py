"""Sampler Lab in the real, booted AUTOMATIC1111 1.10.1 / Forge web UIs, through their HTTP API.

Each host of SAMPLERLAB_BOOT_HOSTS (comma-separated: a1111, forge, forge-classic; `make test-webui` sets it) is
set up by tools/setup_webui_boot.sh (unmodified tree, this checkout in extensions/, a random-weight SD1.5
checkpoint) and booted once for the session by tools/webui_server.py; hosts run in turn. Without the variable the
module skips: booting takes minutes. Images are 64×64 with 2–3 steps: enough for each feature to change them.
"""

from __future__ import annotations

import json
import os
import re

import numpy as np
import pytest
from booted import (
    EPS,
    SCHEDULE_HOSTS,
    SCRIPT,
    V,
    differ,
    encode,
    generate,
    lab,
    one,
    ours,
    payload,
    log_since,
    log_size,
    refused,
    same,
    script_info,
    skip_unless_booted,
    xyz_args,
)

pytestmark = skip_unless_booted


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
    """Forge Classic: through its 'Scheduler type' option (which records the name, not the label)."""
    # 3 steps: a 2-step Karras schedule is [σmax, σmin, 0] whatever ρ is
    seven, seven_info = one(ui, results, lab({}, scheduler="samplerlab_karras", steps=3))
    three, three_info = one(ui, results, lab({"rho": 3.0}, scheduler="samplerlab_karras", steps=3))
    hosts_karras, _ = one(ui, results, payload(scheduler="karras", steps=3))
    assert same(seven, hosts_karras), "ρ = 7 over the model's σ range is the host's own Karras schedule"
    assert differ(seven, three) and differ(three, base[0])
    label = "Sampler Lab Karras" if ui.host in SCHEDULE_HOSTS else "samplerlab_karras"
    assert seven_info["Schedule type"] == label and ours(seven_info) == {}
    assert ours(three_info) == {"Sampler Lab rho": "3.0"}
    trailing, trailing_info = one(ui, results, lab({}, scheduler="samplerlab_trailing"))
    assert differ(trailing, base[0])
    label = "Sampler Lab trailing" if ui.host in SCHEDULE_HOSTS else "samplerlab_trailing"
    assert trailing_info["Schedule type"] == label and ours(trailing_info) == {}


def test_cfg_rescale(ui, results, base):
    half, half_info = one(ui, results, lab({"rescale_enabled": True, "phi": 0.5}))
    zero, zero_info = one(ui, results, lab({"rescale_enabled": True, "phi": 0.0}))
    assert differ(half, base[0])
    assert same(zero, base[0]), "φ = 0 is plain CFG"
    assert ours(half_info) == {"Sampler Lab CFG rescale": "True", "Sampler Lab CFG rescale phi": "0.5"}
    assert ours(zero_info) == {"Sampler Lab CFG rescale": "True", "Sampler Lab CFG rescale phi": "0.0"}


#: The host's own CFG rescale per host: its script's title, its arguments switching it on at φ = 0.7 by position
#: (the others keep the UI's defaults), the label the warning names, and the model on which it computes what ours
#: does: both rescale v (ComfyUI's RescaleCFG formula), ours the model's own output, so they agree on a v-prediction
#: model.
HOST_RESCALE = {
    "forge": ("LatentModifier Integrated", {0: True, 9: 0.7}, "LatentModifier's 'Rescale Cfg Phi'", V),
    "forge-classic": ("RescaleCFG", {0: 0.7}, "Rescale CFG", V),
}


def host_script_args(ui, title: str, values: dict[int, object]) -> list:
    """A script's API arguments: its UI defaults (from /sdapi/v1/script-info) with `values` by position."""
    args = [a.get("value") for a in script_info(ui, title)["args"]]
    for index, value in values.items():
        args[index] = value
    return args


def test_double_cfg_rescale_is_named_once(ui, results):
    """With the host's own CFG rescale on as well, the log says so once per generation, naming both; ours alone
    says nothing. A1111 1.10.1 has no CFG rescale of its own."""
    ours_on = {"rescale_enabled": True, "phi": 0.7}
    title, values, label, model = HOST_RESCALE.get(ui.host, (None, None, None, V))
    offset = log_size(ui)
    alone, _ = one(ui, results, lab(ours_on, model=model), fresh=True)
    assert "rescaled twice" not in log_since(ui, offset)
    if title is None:
        assert ui.host == "a1111"
        return
    scripts = {SCRIPT: {"args": [ours_on]}, title: {"args": host_script_args(ui, title, values)}}
    offset = log_size(ui)
    both, _ = one(ui, results, payload(model, alwayson_scripts=scripts), fresh=True)
    warnings = [line for line in log_since(ui, offset).splitlines() if "rescaled twice" in line]
    assert len(warnings) == 1 and label in warnings[0] and "'CFG rescale' (φ = 0.7)" in warnings[0]
    assert differ(both, alone), "the host's own rescale did not apply on top of ours"


@pytest.mark.parametrize("classic_default", [False, True], ids=["cfg-every-step", "host-defaults"])
def test_cfg_rescale_equals_the_hosts_own(ui, results, classic_default):
    """Ours at φ = 0.7 gives the host's own CFG rescale's image where the two compute the same thing (HOST_RESCALE),
    and not the plain image; on Forge Classic also at its default of no CFG on the first step. A1111 1.10.1 has none
    of its own: there ours is checked against the host's CFG at φ = 0 (test_cfg_rescale)."""
    if ui.host not in HOST_RESCALE:
        assert ui.host == "a1111"
        return
    title, values, _, model = HOST_RESCALE[ui.host]
    options = {"sd_model_checkpoint": model}
    if classic_default and ui.host == "forge-classic":
        options["skip_early_cond"] = 0.0
    plain, _ = one(ui, results, payload(model, override_settings=options))
    ours_image, info = one(ui, results, lab({"rescale_enabled": True, "phi": 0.7}, override_settings=options))
    hosts, _ = one(
        ui,
        results,
        payload(
            model, override_settings=options, alwayson_scripts={title: {"args": host_script_args(ui, title, values)}}
        ),
    )
    assert same(ours_image, hosts), f"ours and the host's {title} differ"
    assert int(abs(ours_image - plain).max()) >= (4 if classic_default else 8)
    assert ours(info) == {"Sampler Lab CFG rescale": "True"}, "φ = 0.7 is the default, left out of the infotext"


def settle(ui, results, body: dict) -> None:
    """Run `body` once and forget its image: A1111's first img2img after a checkpoint change differs from the same
    request made next (65 levels measured; the next ones agree to the bit): the host's, not Sampler Lab's."""
    one(ui, results, body, fresh=True)
    results.pop((ui.host, json.dumps(body, sort_keys=True)))


#: The second kinds of sampling pass: img2img from the base image, and txt2img's hires fix (a latent upscale to 80×80
#: and a second pass of 2 steps, with the same sampler and schedule).
PASSES = {
    "img2img": dict(denoising_strength=0.6, steps=3),
    "hires fix": dict(
        enable_hr=True, hr_scale=1.25, hr_upscaler="Latent", hr_second_pass_steps=2, denoising_strength=0.6, steps=3
    ),
}


@pytest.mark.parametrize("kind", PASSES)
def test_every_feature_in_img2img_and_hires(ui, results, base, kind):
    """Each feature changes an img2img and a hires-fix image (against its own plain reference: churn EDM Heun's
    without churn, ZTSNR its model's without it) and records itself; CFG rescale at φ = 0 is the plain image; ZTSNR's
    table is restored after."""
    fields = dict(PASSES[kind], **({"init_images": [encode(base[0])]} if kind == "img2img" else {}))
    settle(ui, results, payload(**fields))
    plain, plain_info = one(ui, results, payload(**fields))
    heun, _ = one(ui, results, lab({}, sampler_name="EDM Heun", **fields))
    zero, _ = one(ui, results, lab({"rescale_enabled": True, "phi": 0.0}, **fields))
    assert same(zero, plain), "φ = 0 is plain CFG"
    assert ours(plain_info) == {}
    cases = [
        (
            {"rescale_enabled": True, "phi": 0.5},
            {},
            plain,
            {"Sampler Lab CFG rescale": "True", "Sampler Lab CFG rescale phi": "0.5"},
        ),
        # a window inside the second pass's t ≤ 0.6 (the default τ1 = 0.6 would leave it unannealed, rightly)
        (
            {"cads_enabled": True, "tau1": 0.1, "tau2": 0.5},
            {},
            plain,
            {"Sampler Lab CADS": "True", "Sampler Lab CADS tau1": "0.1", "Sampler Lab CADS tau2": "0.5"},
        ),
        ({"s_churn": 5.0}, {"sampler_name": "EDM Heun"}, heun, {"Sampler Lab S_churn": "5.0"}),
    ]
    for settings, extra, reference, recorded in cases:
        image, info = one(ui, results, lab(settings, **extra, **fields))
        assert differ(image, reference), f"{settings} changed nothing in {kind}"
        assert ours(info) == recorded
    settle(ui, results, payload(V, **fields))
    plain_v, _ = one(ui, results, payload(V, **fields))
    ztsnr, info = one(ui, results, lab({"ztsnr_enabled": True}, model=V, **fields))
    assert differ(ztsnr, plain_v) and ours(info) == {"Sampler Lab ZTSNR": "True"}
    again, _ = one(ui, results, payload(V, **fields), fresh=True)
    assert same(again, plain_v), "the model's ᾱ table is restored after the generation"


def test_positional_and_dict_arguments_agree(ui, results):
    positional = [0.0, 0.05, 50.0, 1.003, 7.0, True, 0.5]  # the accordion's order, the rest left to the API
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


def test_xyz_cells_record_their_own_values(ui, results):
    args = xyz_args(ui, "[Sampler Lab] rho", "3, 7")
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
    plain, plain_info = one(ui, results, lab({}, model=V))
    ztsnr, info = one(ui, results, lab({"ztsnr_enabled": True}, model=V))
    assert differ(plain, ztsnr)
    assert ours(plain_info) == {} and ours(info) == {"Sampler Lab ZTSNR": "True"}
    again, _ = one(ui, results, lab({}, model=V), fresh=True)
    assert same(again, plain), "the model's ᾱ table is restored after the generation"


def test_host_ztsnr_is_named(ui, results):
    """Our ZTSNR with the host's own 'Zero Terminal SNR' noise schedule on: the log names both."""
    body = lab({"ztsnr_enabled": True}, model=V)
    body["override_settings"] = dict(body["override_settings"], sd_noise_schedule="Zero Terminal SNR")
    body["override_settings_restore_afterwards"] = True
    offset = log_size(ui)
    try:
        one(ui, results, body, fresh=True)
    finally:  # Forge Classic keeps an override after the request
        ui.post("/sdapi/v1/options", {"sd_noise_schedule": "Default"})
    assert "the host's own 'Zero Terminal SNR' noise schedule is also on" in log_since(ui, offset)


#: One request per feature whose image must not depend on the host: the three web UIs load the same weights into
#: different UNet and sampler code, which agree to float rounding. ZTSNR: only where each host's σ → t map is
#: rescaled with its ᾱ table (Forge Classic's `ldm_patched` one too: without it this image was 34 levels off), at 4
#: steps (whole timesteps; at 3 steps, t = 499.5, A1111 and the two Forges were 8 levels apart, not explained: their
#: σ there, logged, differ as the plain 3-step ones below do, which agree within 2 levels: σ_max 2896.309 on both,
#: then A1111 1.771447, 0.031265 and Forge 1.771316, 0.029167).
#: Schedules by name (Forge Classic: its option). Not CADS: its noise seeds take the step's σ as each host computes
#: it (`samplers/seeds.py`), so its noise is per host (images 43–49 levels apart measured). The hosts' σ for the
#: 3-step Euler request differ (A1111 14.61234, 1.615675, 0.031265; the Forges 14.61464, 1.615580, 0.029167).
CROSS_HOST = {
    "plain ε": payload(steps=3),
    "plain v": payload(V, steps=4),
    "EDM Heun, churn": lab({"s_churn": 5.0}, sampler_name="EDM Heun", steps=3),
    "Karras ρ 3": lab({"rho": 3.0}, scheduler="samplerlab_karras", steps=3),
    "trailing": lab({}, scheduler="samplerlab_trailing", steps=3),
    "CFG rescale": lab({"rescale_enabled": True, "phi": 0.5}, steps=3),
    "ZTSNR": lab({"ztsnr_enabled": True}, model=V, steps=4),
}
_REFERENCE = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(__file__))), ".host", "boot", "a1111-reference.npz"
)


def checkpoint_stamp() -> str:
    """Which random checkpoint the images come from (its size and time)."""
    path = os.path.join(os.path.dirname(_REFERENCE), "models", EPS)
    stat = os.stat(path)
    return f"{stat.st_size}-{stat.st_mtime_ns}"


def test_every_feature_gives_a1111s_image(ui, results):
    """Forge and Forge Classic give A1111 1.10.1's image for every feature but CADS (CROSS_HOST; within 2 pixel
    levels). A1111 writes the reference (kept in .host/boot/ for a later session that boots only the others)."""
    images = {name: one(ui, results, body)[0] for name, body in CROSS_HOST.items()}
    if ui.host == "a1111":
        np.savez(_REFERENCE, stamp=checkpoint_stamp(), **{name: image for name, image in images.items()})
        assert differ(images["ZTSNR"], images["plain v"]) and differ(images["CFG rescale"], images["plain ε"])
        return
    if not os.path.exists(_REFERENCE) or str(np.load(_REFERENCE)["stamp"]) != checkpoint_stamp():
        pytest.skip("no A1111 reference for this checkpoint: run a1111 first (make test-webui runs it first)")
    reference = np.load(_REFERENCE)
    far = {name: int(np.abs(image - reference[name]).max()) for name, image in images.items()}
    assert all(level <= 2 for level in far.values()), f"largest difference from A1111's image per feature: {far}"


def readme_api_example() -> dict:
    """The JSON body of the README's curl example."""
    readme = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "README.md")
    with open(readme, encoding="utf-8") as f:
        body = re.search(r"sdapi/v1/txt2img .*? -d '(\{.*?\})'", f.read(), re.S)
    assert body, "README.md has no curl example for /sdapi/v1/txt2img"
    return json.loads(body.group(1))


def test_the_readme_api_example(ui, results):
    """The README's API example as written (smaller and with our checkpoint; Forge Classic: its schedule option, as
    the README says), applying and recording each value it sends."""
    example = readme_api_example()
    body = payload(**dict(example, steps=3))
    image, info = one(ui, results, body)
    plain, _ = one(ui, results, lab({}, sampler_name="EDM Heun", scheduler="samplerlab_karras", steps=3))
    assert differ(image, plain), "the example's Sampler Lab values changed nothing"
    assert info["Sampler"] == "EDM Heun"
    assert ours(info) == {
        "Sampler Lab S_churn": "5.0",
        "Sampler Lab rho": "5.0",
        "Sampler Lab CFG rescale": "True",
        "Sampler Lab CFG rescale phi": "0.5",
    }
