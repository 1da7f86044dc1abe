"""Example workflows on the real ComfyUI server: each file checked against the node contract, converted to API
format and run with tiny test models in place of its model files (checkpoint, or diffusion model, text encoders and
VAE of its family), each of our model patches changing what it gives; bad input refused with the server still
serving. Release 0.1.0's examples (tests/data/workflows_0.1/) still load as 0.1.0 meant them and run."""

from __future__ import annotations

import copy
import importlib
import json
import math
from pathlib import Path

import pytest

from workflow_api import ui_to_api

REPO = Path(__file__).resolve().parent.parent

WORKFLOWS = sorted((REPO / "workflows").glob("*.json"))
TINY_KIND = {
    "v1-5-pruned-emaonly.safetensors": "sd15_eps",
    "sd_xl_base_1.0.safetensors": "sdxl_eps",
    "v2-1_768-ema-pruned.safetensors": "sd15_v",
}
#: the family (tools/families.py) of each model file the workflows load: checkpoints, diffusion models and VAEs
FAMILY_OF_FILE = {
    "sd3.5_large.safetensors": "sd35",
    "flux1-dev.safetensors": "flux_dev",
    "ae.safetensors": "flux_dev",
    "wan2.1_t2v_1.3B_fp16.safetensors": "wan21",
    "wan_2.1_vae.safetensors": "wan21",
    "qwen_image_fp8_e4m3fn.safetensors": "qwen_image",
    "qwen_image_vae.safetensors": "qwen_image",
}
#: the family of each text-encoder loader `type` (TripleCLIPLoader has none: its one recipe is SD3's)
FAMILY_OF_CLIP_TYPE = {"sd3": "sd35", "flux": "flux_dev", "wan": "wan21", "qwen_image": "qwen_image"}
#: small empty latents: the families' tiny models take 16x16 (video: 8x8, 2 latent frames)
TINY_SIZE = {
    "EmptyLatentImage": {"width": 128, "height": 128},
    "EmptySD3LatentImage": {"width": 128, "height": 128},
    "EmptyHunyuanLatentVideo": {"width": 64, "height": 64, "length": 5},
}
#: our model patches: bypassed, each must change what the workflow gives
PATCH_NODES = ("SamplerLabCADS", "SamplerLabCFGRescale", "SamplerLabZeroTerminalSNR")


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


def _swap(node: dict, class_type: str, **inputs) -> None:
    node["class_type"], node["inputs"] = class_type, inputs


def tiny_version(api: dict) -> dict:
    """The same graph with tiny test models for the model files (the checkpoint's own tiny kind for SD1/SDXL/SD2,
    else its family's tiny model, fake text encoder and VAE) and small latents, for a fast run."""
    for node in api.values():
        inputs, kind = node["inputs"], node["class_type"]
        if kind == "CheckpointLoaderSimple" and inputs["ckpt_name"] in TINY_KIND:
            _swap(node, "SamplerLabTestTinyCheckpoint", kind=TINY_KIND[inputs["ckpt_name"]], seed=0)
        elif kind == "CheckpointLoaderSimple":
            _swap(node, "SamplerLabTestFamilyCheckpoint", family=FAMILY_OF_FILE[inputs["ckpt_name"]], seed=0)
        elif kind == "UNETLoader":
            _swap(node, "SamplerLabTestFamilyModel", family=FAMILY_OF_FILE[inputs["unet_name"]], seed=0)
        elif kind in ("CLIPLoader", "DualCLIPLoader", "TripleCLIPLoader"):
            _swap(node, "SamplerLabTestFamilyCLIP", family=FAMILY_OF_CLIP_TYPE[inputs.get("type", "sd3")])
        elif kind == "VAELoader":
            _swap(node, "SamplerLabTestFamilyVAE", family=FAMILY_OF_FILE[inputs["vae_name"]])
        elif kind in ("SaveImage", "SaveAnimatedWEBP"):
            _swap(node, "SamplerLabTestImageStats", images=inputs["images"])
        inputs = node["inputs"]
        inputs.update(TINY_SIZE.get(kind, {}))
        if isinstance(inputs.get("steps"), int):
            inputs["steps"] = min(inputs["steps"], 4)
    return api


def image_stats(server, api: dict) -> list[dict]:
    """Run `api` on the server; the stats of every image it saves."""
    entry = server.run_prompt(api, timeout=120)
    return [
        s
        for node_id, node in api.items()
        if node["class_type"] == "SamplerLabTestImageStats"
        for s in entry["outputs"][node_id]["stats"]
    ]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.stem)
def test_workflow_runs_on_the_host(path, server, object_info):
    stats = image_stats(server, tiny_version(ui_to_api(json.loads(path.read_text()), object_info)))
    assert stats, path.name
    for s in stats:
        assert s["finite"] and math.isfinite(s["std"]) and s["std"] > 0, (path.name, s)


def bypassed(api: dict, node_id: str) -> dict:
    """`api` with the model patch `node_id` bypassed: its users take its model input."""
    out = {k: v for k, v in api.items() if k != node_id}
    source = api[node_id]["inputs"]["model"]
    for node in out.values():
        for name, value in node["inputs"].items():
            if value == [node_id, 0]:
                node["inputs"][name] = source
    return out


PATCHES = [
    (path, node["id"], node["type"])
    for path in WORKFLOWS
    for node in json.loads(path.read_text())["nodes"]
    if node["type"] in PATCH_NODES
]


@pytest.mark.parametrize("path, node_id, node_type", PATCHES, ids=[f"{p.stem}-{t}" for p, _, t in PATCHES])
def test_each_model_patch_changes_the_output(path, node_id, node_type, server, object_info):
    """The patch acts on that family's model: bypassed, the same seed gives other images."""
    api = tiny_version(ui_to_api(json.loads(path.read_text()), object_info))
    with_patch = [s["sha256"] for s in image_stats(server, api)]
    without = [s["sha256"] for s in image_stats(server, bypassed(api, str(node_id)))]
    assert with_patch and without != with_patch, (path.name, node_type)


def test_bad_input_is_refused_by_name_and_the_server_keeps_serving(server):
    from hostserver import HostPromptError, tiny_txt2img_prompt

    prompt = tiny_txt2img_prompt("sd15_eps", steps=2)
    prompt["cads"] = {
        "class_type": "SamplerLabCADS",
        "inputs": {"model": ["ckpt", 0], "noise_scale": 0.25, "tau1": 0.9, "tau2": 0.5, "psi": 1.0},
    }
    prompt["ksampler"]["inputs"]["model"] = ["cads", 0]
    with pytest.raises(HostPromptError, match="tau1"):
        server.run_prompt(prompt, timeout=60)
    prompt["cads"]["inputs"].update(tau1=0.5, tau2=0.9)
    entry = server.run_prompt(prompt, timeout=60)
    assert entry["outputs"]["stats"]["stats"][0]["finite"]
    karras = tiny_txt2img_prompt("sd15_eps", steps=2)
    karras["sig"] = {
        "class_type": "SamplerLabKarrasSigmas",
        "inputs": {"steps": 4, "sigma_min": 2.0, "sigma_max": 1.0, "rho": 7.0},
    }
    karras["ksampler"] = {
        "class_type": "SamplerCustom",
        "inputs": {
            "model": ["ckpt", 0],
            "add_noise": True,
            "noise_seed": 0,
            "cfg": 5.0,
            "positive": ["pos", 0],
            "negative": ["neg", 0],
            "sampler": ["heun", 0],
            "sigmas": ["sig", 0],
            "latent_image": ["empty", 0],
        },
    }
    karras["heun"] = {
        "class_type": "SamplerLabHeunChurn",
        "inputs": {"s_churn": 0.0, "s_tmin": 0.0, "s_tmax": 100.0, "s_noise": 1.0},
    }
    with pytest.raises(HostPromptError, match="sigma_min"):
        server.run_prompt(karras, timeout=60)
    assert server.alive()


#: Release 0.1.0's example workflows as it shipped them, and the API prompt each gave under 0.1.0's own node
#: definitions: the named input every saved widget value and link was meant for (tools/make_workflows_0_1.py).
WORKFLOWS_0_1 = sorted((REPO / "tests" / "data" / "workflows_0.1").glob("*.json"))
MEANT_0_1 = json.loads((REPO / "tests" / "data" / "workflows_0.1_api.json").read_text(encoding="utf-8"))["workflows"]


def _graph(api: dict) -> dict:
    """{node id: (class_type, {input: value or [source id, slot]})}, without the editor's titles."""
    return {node_id: (node["class_type"], node["inputs"]) for node_id, node in api.items()}


def _links(api: dict) -> dict:
    return {
        (node_id, name): value
        for node_id, node in api.items()
        for name, value in node["inputs"].items()
        if isinstance(value, list)
    }


def _widgets(api: dict) -> dict:
    return {
        node_id: {name: value for name, value in node["inputs"].items() if not isinstance(value, list)}
        for node_id, node in api.items()
    }


@pytest.fixture(scope="module")
def regenerated_workflows(object_info, tmp_path_factory) -> dict:
    """Today's example workflows as the builder writes them against this host: widgets given by name."""
    folder = tmp_path_factory.mktemp("workflows_now")
    importlib.import_module("make_workflows").build(object_info, str(folder))
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("*.json")}


def test_the_0_1_examples_are_all_there():
    assert [p.stem for p in WORKFLOWS_0_1] == sorted(MEANT_0_1) and len(WORKFLOWS_0_1) == 7


@pytest.mark.parametrize("path", WORKFLOWS_0_1, ids=lambda p: p.stem)
def test_0_1_workflow_loads_as_0_1_meant(path, object_info):
    """A 0.1.0 example, loaded unchanged, gives the prompt it gave under 0.1.0's node definitions: every widget value
    lands on the input it was saved for, every link on its socket, and no input is missing or new."""
    now = _graph(ui_to_api(json.loads(path.read_text(encoding="utf-8")), object_info))
    meant = _graph(MEANT_0_1[path.stem])
    wrong = {node_id: {"now": now.get(node_id), "0.1": meant.get(node_id)} for node_id in {*now, *meant}}
    wrong = {node_id: pair for node_id, pair in wrong.items() if pair["now"] != pair["0.1"]}
    assert not wrong, f"{path.name}: {wrong}"


@pytest.mark.parametrize("path", WORKFLOWS_0_1, ids=lambda p: p.stem)
def test_0_1_workflow_runs_like_todays_example_with_its_settings(path, server, object_info, regenerated_workflows):
    """The 0.1.0 file runs as is (tiny models in place of its model files). Where today's example of the same name is
    the same graph (node ids, types, links), it has the same widget inputs and, set to the 0.1.0 file's settings by
    name (what 0.1.0 meant), gives the same images."""
    old = ui_to_api(json.loads(path.read_text(encoding="utf-8")), object_info)
    ran_old = image_stats(server, tiny_version(copy.deepcopy(old)))
    assert ran_old and all(s["finite"] and s["std"] > 0 for s in ran_old), (path.name, ran_old)
    now = ui_to_api(regenerated_workflows[path.stem], object_info)
    types = [{node_id: node["class_type"] for node_id, node in api.items()} for api in (now, old)]
    if types[0] != types[1] or _links(now) != _links(old):
        pytest.skip(f"today's {path.stem} is another graph than 0.1.0's; the 0.1.0 file ran")
    meant = _widgets(MEANT_0_1[path.stem])
    assert {k: set(w) for k, w in _widgets(now).items()} == {k: set(w) for k, w in meant.items()}, path.name
    for node_id, values in meant.items():
        now[node_id]["inputs"].update(values)
    ran_now = image_stats(server, tiny_version(now))
    assert [s["sha256"] for s in ran_now] == [s["sha256"] for s in ran_old], path.name


def test_host_lists_the_examples_as_templates(server):
    templates = server.get("/workflow_templates")
    ours = [names for pack, names in templates.items() if "sampler_lab" in pack or "sampler-lab" in pack]
    assert ours and sorted(ours[0]) == sorted(p.stem for p in WORKFLOWS)


def _development_host_version() -> str:
    import hostlib

    text = (Path(hostlib.HOST_DIR) / "comfyui_version.py").read_text(encoding="utf-8")
    return text.rsplit("__version__ = ", 1)[-1].strip().strip('"')


@pytest.mark.parametrize(
    "builder, folder", [("tools/make_workflows.py", "workflows"), ("tools/make_demo_workflows.py", "workflows/demo")]
)
def test_committed_workflows_are_what_the_builder_writes(object_info, tmp_path, builder, folder):
    """`make regen` is not due: the builder, run against this host's /object_info, writes the committed files."""
    if _development_host_version() != "0.3.75":
        pytest.skip("the workflows are generated against the development host, ComfyUI 0.3.75 (make regen)")
    importlib.import_module(Path(builder).stem).build(object_info, str(tmp_path))
    committed = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in (REPO / folder).glob("*.json")}
    written = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in tmp_path.glob("*.json")}
    assert sorted(written) == sorted(committed)
    stale = [name for name in written if written[name] != committed[name]]
    assert not stale, f"{folder}: {stale} differ from what {builder} writes; run make regen"
