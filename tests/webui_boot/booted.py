"""Requests, answers and image checks for the booted web UI tests (tests/webui_boot; fixtures in its conftest.py)."""

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
#: Hosts whose processing objects and API have a schedule type; Forge Classic chooses one with its global
#: 'Scheduler type' option (`k_sched_type`), which `for_host` sets from a request's `scheduler`.
SCHEDULE_HOSTS = {"a1111", "forge"}
_INFOTEXT_PAIR = re.compile(r'\s*([\w][\w \-/]*):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')

skip_unless_booted = pytest.mark.skipif(
    not HOSTS, reason="booted web UI tests: run `make test-webui` (or set SAMPLERLAB_BOOT_HOSTS=a1111,forge)"
)


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


#: Forge Classic's options for every request: its default 'Ignore negative prompt during early steps' of 0 still
#: skips CFG on the first step (`0 ≤ step/steps ≤ 0`), so a 2-step image barely shows any CFG feature; -1 applies CFG
#: on every step, as A1111 and Forge do. `test_cfg_rescale_equals_the_hosts_own` also runs at Classic's default.
CLASSIC_OPTIONS = {"skip_early_cond": -1.0}


def for_host(host: str, body: dict) -> dict:
    """The request as `host` takes it. Forge's hires fix: its module list. Forge Classic: the schedule is its
    'Scheduler type' option (`k_sched_type`), set on every request (the host keeps an override after the request:
    `Automatic` where none is asked), with CLASSIC_OPTIONS unless the request sets them."""
    if host == "forge" and body.get("enable_hr"):
        # Forge's API leaves the hires pass's module list None, which its hires fix cannot read (HTTP 500): the UI's
        # default choice, sent as the UI sends it
        body = dict(body, hr_additional_modules=body.get("hr_additional_modules") or ["Use same choices"])
    if host in SCHEDULE_HOSTS:
        return body
    body = dict(body)
    scheduler = body.pop("scheduler", None) or "Automatic"
    body["override_settings"] = dict(CLASSIC_OPTIONS, **(body.get("override_settings") or {}), k_sched_type=scheduler)
    return body


def generate(
    ui: WebUIServer, results: dict, body: dict, fresh: bool = False
) -> tuple[list[np.ndarray], list[dict[str, str]]]:
    """The images (uint8 values as int16 arrays) and parsed infotexts of one txt2img request, or img2img where it
    has `init_images` (run again with `fresh`)."""
    key = (ui.host, json.dumps(body, sort_keys=True))
    if fresh or key not in results:
        endpoint = "img2img" if "init_images" in body else "txt2img"
        answer = ui.post(f"/sdapi/v1/{endpoint}", for_host(ui.host, body))
        images = [decode(b) for b in answer["images"]]
        results[key] = images, [infotext(t) for t in json.loads(answer["info"])["infotexts"]]
    return results[key]


def encode(image: np.ndarray) -> str:
    """An RGB array as a base64 PNG (an img2img init image)."""
    buffer = io.BytesIO()
    Image.fromarray(image.astype(np.uint8)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def decode(image: str) -> np.ndarray:
    """A base64 PNG as an int16 RGB array."""
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(image))).convert("RGB"), dtype=np.int16)


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
        ui.post("/sdapi/v1/txt2img", for_host(ui.host, body))
    try:
        return json.dumps(json.loads(error.value.body), ensure_ascii=False)
    except ValueError:
        return error.value.body


def script_info(ui: WebUIServer, title: str, is_img2img: bool = False) -> dict:
    """The API's description of one script (its name is its title in lower case)."""
    return next(
        s for s in ui.get("/sdapi/v1/script-info") if s["name"] == title.lower() and s["is_img2img"] == is_img2img
    )


def xyz_args(ui: WebUIServer, axis: str, values: str) -> list:
    """X/Y/Z script arguments for one X axis (by its label) over `values`: x_type, x_values, x_values_dropdown, y…,
    z…, draw_legend, include_lone_images, include_sub_grids, no_fixed_seeds, vary_seeds_x/y/z, margin_size, csv_mode."""
    xyz = script_info(ui, "x/y/z plot")
    index = next(a for a in xyz["args"] if a["label"] == "X type")["choices"].index(axis)
    return [index, values, [], 0, "", [], 0, "", [], True, True, False, False, False, False, False, 0, False]


def log_size(ui: WebUIServer) -> int:
    """Where the server's log ends now (see `log_since`)."""
    return os.path.getsize(ui.log_path)


def log_since(ui: WebUIServer, offset: int) -> str:
    """What the server logged after `offset` (`log_size`)."""
    with open(ui.log_path, encoding="utf-8", errors="replace") as f:
        f.seek(offset)
        return f.read()
