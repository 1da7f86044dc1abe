"""Example workflows on the real ComfyUI server: each file checked against the node contract, converted to API
format and run with the tiny test models in place of the checkpoint; bad input refused with the server still serving."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from workflow_api import ui_to_api

REPO = Path(__file__).resolve().parent.parent

WORKFLOWS = sorted((REPO / "workflows").glob("*.json"))
TINY_KIND = {"v1-5-pruned-emaonly.safetensors": "sd15_eps", "sd_xl_base_1.0.safetensors": "sdxl_eps",
             "v2-1_768-ema-pruned.safetensors": "sd15_v"}


@pytest.fixture(scope="module")
def object_info(server):
    return server.object_info()


def test_there_are_example_workflows_for_every_node(host):
    used = {node["type"] for path in WORKFLOWS for node in json.loads(path.read_text())["nodes"]}
    pack_nodes = {cls.__name__ for cls in host.import_pack().nodes.NODES}  # the shipped nodes (not the demo's)
    assert len(pack_nodes) == 7 and pack_nodes <= used, pack_nodes - used
    for path in WORKFLOWS:
        nodes = json.loads(path.read_text())["nodes"]
        assert any(n["type"] == "Note" and n["widgets_values"][0].strip() for n in nodes), path.name


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.stem)
def test_workflow_matches_the_node_contract(path, object_info):
    ui = json.loads(path.read_text())
    nodes = {n["id"]: n for n in ui["nodes"]}
    assert ui["last_node_id"] >= max(nodes) and ui["last_link_id"] >= max(link[0] for link in ui["links"])
    for link_id, src, src_slot, dst, dst_slot, kind in ui["links"]:
        out = nodes[src]["outputs"][src_slot]
        inp = nodes[dst]["inputs"][dst_slot]
        assert link_id in out["links"] and inp["link"] == link_id
        assert out["type"] == inp["type"] == kind
        if nodes[src]["type"] in object_info:
            assert object_info[nodes[src]["type"]]["output"][src_slot] == kind
    for node in ui["nodes"]:
        if node["type"] == "Note":
            continue
        info = object_info[node["type"]]
        declared = {**info["input"]["required"], **info["input"].get("optional", {})}
        for inp in node["inputs"]:
            assert inp["name"] in declared, f"{path.name}: {node['type']} has no input {inp['name']}"
    api = ui_to_api(ui, object_info)
    for node_id, node in api.items():  # every required input is given, by a link or a widget value
        missing = set(object_info[node["class_type"]]["input"]["required"]) - set(node["inputs"])
        assert not missing, f"{path.name}: node {node_id} ({node['class_type']}) lacks {missing}"


def tiny_version(api: dict) -> dict:
    """The same graph with the tiny test checkpoint and small images, for a fast run."""
    for node in api.values():
        inputs = node["inputs"]
        if node["class_type"] == "CheckpointLoaderSimple":
            node["class_type"] = "SamplerLabTestTinyCheckpoint"
            node["inputs"] = {"kind": TINY_KIND[inputs["ckpt_name"]], "seed": 0}
        elif node["class_type"] == "EmptyLatentImage":
            inputs.update(width=128, height=128)
        elif node["class_type"] == "SaveImage":
            node["class_type"] = "SamplerLabTestImageStats"
            node["inputs"] = {"images": inputs["images"]}
        for key in ("steps",):
            if key in inputs and isinstance(inputs[key], int):
                inputs[key] = min(inputs[key], 4)
    return api


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.stem)
def test_workflow_runs_on_the_host(path, server, object_info):
    api = tiny_version(ui_to_api(json.loads(path.read_text()), object_info))
    entry = server.run_prompt(api, timeout=120)
    stats = [s for node_id, node in api.items() if node["class_type"] == "SamplerLabTestImageStats"
             for s in entry["outputs"][node_id]["stats"]]
    assert stats, path.name
    for s in stats:
        assert s["finite"] and math.isfinite(s["std"]) and s["std"] > 0, (path.name, s)


def test_bad_input_is_refused_by_name_and_the_server_keeps_serving(server):
    from hostserver import HostPromptError, tiny_txt2img_prompt
    prompt = tiny_txt2img_prompt("sd15_eps", steps=2)
    prompt["cads"] = {"class_type": "SamplerLabCADS", "inputs": {"model": ["ckpt", 0], "noise_scale": 0.25, "tau1": 0.9,
                                                                 "tau2": 0.5, "psi": 1.0}}
    prompt["ksampler"]["inputs"]["model"] = ["cads", 0]
    with pytest.raises(HostPromptError, match="tau1"):
        server.run_prompt(prompt, timeout=60)
    prompt["cads"]["inputs"].update(tau1=0.5, tau2=0.9)
    entry = server.run_prompt(prompt, timeout=60)
    assert entry["outputs"]["stats"]["stats"][0]["finite"]
    karras = tiny_txt2img_prompt("sd15_eps", steps=2)
    karras["sig"] = {"class_type": "SamplerLabKarrasSigmas", "inputs": {"steps": 4, "sigma_min": 2.0, "sigma_max": 1.0,
                                                                        "rho": 7.0}}
    karras["ksampler"] = {"class_type": "SamplerCustom", "inputs": {
        "model": ["ckpt", 0], "add_noise": True, "noise_seed": 0, "cfg": 5.0, "positive": ["pos", 0],
        "negative": ["neg", 0],
        "sampler": ["heun", 0], "sigmas": ["sig", 0], "latent_image": ["empty", 0]}}
    karras["heun"] = {"class_type": "SamplerLabHeunChurn", "inputs": {"s_churn": 0.0, "s_tmin": 0.0, "s_tmax": 100.0,
                                                                      "s_noise": 1.0}}
    with pytest.raises(HostPromptError, match="sigma_min"):
        server.run_prompt(karras, timeout=60)
    assert server.alive()


def test_host_lists_the_examples_as_templates(server):
    templates = server.get("/workflow_templates")
    ours = [names for pack, names in templates.items() if "sampler_lab" in pack or "sampler-lab" in pack]
    assert ours and sorted(ours[0]) == sorted(p.stem for p in WORKFLOWS)


def _load_script(path: Path):
    """A builder script as a module of its own (demo/ is no package on sys.path)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"samplerlab_{path.parent.name}_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _development_host_version() -> str:
    import hostlib

    text = (Path(hostlib.HOST_DIR) / "comfyui_version.py").read_text(encoding="utf-8")
    return text.rsplit("__version__ = ", 1)[-1].strip().strip('"')


@pytest.mark.parametrize("builder, folder", [("tools/make_workflows.py", "workflows"),
                                             ("demo/make_workflows.py", "workflows/demo")])
def test_committed_workflows_are_what_the_builder_writes(object_info, tmp_path, builder, folder):
    """`make regen` is not due: the builder, run against this host's /object_info, writes the committed files."""
    if _development_host_version() != "0.3.75":
        pytest.skip("the workflows are generated against the development host, ComfyUI 0.3.75 (make regen)")
    _load_script(REPO / builder).build(object_info, str(tmp_path))
    committed = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in (REPO / folder).glob("*.json")}
    written = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in tmp_path.glob("*.json")}
    assert sorted(written) == sorted(committed)
    stale = [name for name in written if written[name] != committed[name]]
    assert not stale, f"{folder}: {stale} differ from what {builder} writes; run make regen"
