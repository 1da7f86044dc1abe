"""The harness itself: tiny models through the host's own sampling path, and a real server round trip."""

import os
import sys

import pytest
import torch

import hostserver


@pytest.mark.parametrize("kind", ["sd15_eps", "sd15_v", "sdxl_eps", "sdxl_v", "flow"])
def test_tiny_model_samples_finite_through_host_ksampler(host, kind):
    import comfy.model_patcher

    model = host.tiny_model(kind)
    assert isinstance(model, comfy.model_patcher.ModelPatcher)
    pos = host.conditioning_for(kind, 1)
    neg = host.conditioning_for(kind, 2)
    out = host.ksample(model, pos, neg, host.latent(1), seed=3, steps=3, cfg=4.0)
    assert out.shape == (1, 4, 16, 16)
    assert torch.isfinite(out).all()
    assert out.std() > 1e-3
    # deterministic: same seeds, fresh model -> identical latent
    again = host.ksample(host.tiny_model(kind), pos, neg, host.latent(1), seed=3, steps=3, cfg=4.0)
    assert torch.equal(out, again)
    # conditioning matters
    other = host.ksample(model, host.conditioning_for(kind, 7), neg, host.latent(1), seed=3, steps=3, cfg=4.0)
    assert not torch.allclose(out, other)


def test_tiny_model_via_comfy_sample_and_batch(host):
    import comfy.sample

    model = host.tiny_model("sd15_v")
    lat = host.latent(2)["samples"]
    noise = comfy.sample.prepare_noise(lat, 5)
    out = comfy.sample.sample(
        model,
        noise,
        3,
        3.0,
        "dpmpp_2m",
        "normal",
        host.sd15_conditioning(1, batch=2),
        host.sd15_conditioning(2, batch=2),
        lat,
        disable_pbar=True,
        seed=5,
    )
    assert out.shape == (2, 4, 16, 16) and torch.isfinite(out).all()
    assert not torch.allclose(out[0], out[1])


def test_model_sampling_types(host):
    import comfy.model_sampling as ms
    from comfy.model_base import ModelType

    expect = {
        "sd15_eps": (ms.EPS, ModelType.EPS),
        "sd15_v": (ms.V_PREDICTION, ModelType.V_PREDICTION),
        "sdxl_eps": (ms.EPS, ModelType.EPS),
        "sdxl_v": (ms.V_PREDICTION, ModelType.V_PREDICTION),
        "flow": (ms.CONST, ModelType.FLOW),
    }
    for kind, (pred, mtype) in expect.items():
        m = host.tiny_model(kind)
        s = m.get_model_object("model_sampling")
        assert isinstance(s, pred), kind
        assert m.model.model_type == mtype
        if kind == "flow":
            assert isinstance(s, ms.ModelSamplingDiscreteFlow)
        else:
            assert isinstance(s, ms.ModelSamplingDiscrete)
            assert abs(float(s.sigma_max) - 14.6146) < 1e-3 and abs(float(s.sigma_min) - 0.0292) < 1e-3
    import comfy.model_base

    assert isinstance(host.tiny_model("sdxl_eps").model, comfy.model_base.SDXL)


def test_tiny_models_have_initialised_weights(host):
    """comfy.ops layers skip weight init: the harness initialises them, so the output is finite and not constant.
    (How fast the tiny models are is a benchmark matter, never a test's.)"""
    for kind in ("sd15_eps", "sdxl_eps"):
        m = host.tiny_model(kind)
        assert all(torch.isfinite(p).all() for p in m.model.parameters())
        x = torch.randn(1, 4, 16, 16)
        c = host.conditioning_for(kind, 0)
        kw = {}
        if kind.startswith("sdxl"):
            kw["y"] = m.model.encode_adm(pooled_output=c[0][1]["pooled_output"], width=128, height=128)
        with torch.no_grad():
            o = m.model.apply_model(x, torch.tensor([1.0]), c_crossattn=c[0][0], **kw)
        assert torch.isfinite(o).all() and o.std() > 1e-3


def test_fake_clip_and_vae_work_with_host_nodes(host):
    nodes = host.host_nodes()
    model, clip, vae = host.tiny_checkpoint("sd15_eps")
    (pos,) = nodes.CLIPTextEncode().encode(clip, "a cat")
    (pos2,) = nodes.CLIPTextEncode().encode(clip, "a cat")
    assert pos[0][0].shape == (1, 77, 768) and torch.equal(pos[0][0], pos2[0][0])
    (img,) = nodes.VAEDecode().decode(vae, host.latent(1, seed=0))
    assert img.shape == (1, 128, 128, 3) and 0 <= float(img.min()) and float(img.max()) <= 1
    (lat,) = nodes.VAEEncode().encode(vae, img)
    assert lat["samples"].shape == (1, 4, 16, 16)
    # SDXL: CLIPTextEncodeSDXL (a V3 node) puts the size keys in
    from comfy_extras.nodes_clip_sdxl import CLIPTextEncodeSDXL

    _, xclip, _ = host.tiny_checkpoint("sdxl_eps")
    out = CLIPTextEncodeSDXL.execute(xclip, 1024, 1024, 0, 0, 1024, 1024, "g", "l")
    cond = out.result[0] if hasattr(out, "result") else out[0]
    assert cond[0][0].shape == (1, 77, 2048) and cond[0][1]["pooled_output"].shape == (1, 1280)
    assert cond[0][1]["width"] == 1024


def test_host_nodes_module_is_the_hosts(host):
    import os

    nodes = sys.modules["nodes"]
    assert os.path.realpath(nodes.__file__) == os.path.realpath(os.path.join(host.HOST_DIR, "nodes.py"))
    assert hasattr(nodes, "common_ksampler") and hasattr(nodes, "NODE_CLASS_MAPPINGS")


def test_server_boots_and_lists_core_nodes(server):
    info = server.object_info("KSampler")
    assert "KSampler" in info
    req = info["KSampler"]["input"]["required"]
    assert "sampler_name" in req and "scheduler" in req
    all_info = server.object_info()
    assert "CheckpointLoaderSimple" in all_info
    assert "SamplerLabTestTinyCheckpoint" in all_info
    assert server.custom_node_imports().get("samplerlab_test_fixtures") is True


@pytest.mark.parametrize("kind", ["sd15_eps", "sdxl_v"])
def test_server_runs_tiny_prompt_end_to_end(server, host, kind):
    prompt = hostserver.tiny_txt2img_prompt(kind, seed=11, steps=3, decode=True)
    prompt["stats"]["inputs"]["include_values"] = True
    entry = server.run_prompt(prompt, timeout=60)
    lat = hostserver.output_stats(entry, "stats")[0]
    assert lat["shape"] == [1, 4, 16, 16] and lat["finite"] and lat["std"] > 1e-3
    img = hostserver.output_stats(entry, "img_stats")[0]
    assert img["shape"] == [1, 128, 128, 3] and img["finite"]
    # the server result equals the same graph run in-process
    nodes = host.host_nodes()
    model, clip, _ = host.tiny_checkpoint(kind)
    (pos,) = nodes.CLIPTextEncode().encode(clip, "a photo")
    (neg,) = nodes.CLIPTextEncode().encode(clip, "")
    local = host.ksample(model, pos, neg, host.latent(1), seed=11, steps=3, cfg=5.0)
    assert torch.allclose(torch.tensor(lat["values"]).reshape(1, 4, 16, 16), local, rtol=1e-4, atol=1e-4)


def test_server_reports_execution_errors(server, host):
    prompt = hostserver.tiny_txt2img_prompt("sd15_eps")
    prompt["ksampler"]["inputs"]["model"] = ["ckpt", 1]  # CLIP where MODEL is expected -> rejected
    with pytest.raises(hostserver.HostPromptError):
        server.run_prompt(prompt)
    bad = hostserver.tiny_txt2img_prompt("sdxl_eps")
    bad["pos"] = {"class_type": "SamplerLabTestConditioning", "inputs": {"kind": "sd15_eps", "seed": 0, "batch": 1}}
    with pytest.raises(hostserver.HostPromptError) as ei:  # 768-wide context into an SDXL UNet -> runtime error
        server.run_prompt(bad)
    assert ei.value.details and ei.value.details.get("node_type") == "KSampler"


def test_builtin_extra_nodes_load_in_process(host):
    failed = host.load_builtin_extra_nodes()
    # only torchaudio-dependent files may fail, and (newer hosts) the one that registers with the running server
    server_only = ("nodes_replacements.py",)  # 0.33: needs PromptServer.instance
    assert not [f for f in failed if "audio" not in f and not f.endswith(server_only)], failed
    nodes = host.host_nodes()
    for name in ("SamplerCustomAdvanced", "KSamplerSelect", "ModelSamplingDiscrete", "CLIPTextEncodeSDXL"):
        assert name in nodes.NODE_CLASS_MAPPINGS, name


def test_import_pack_as_custom_node_package(host):
    pack = host.import_pack()
    assert pack.__name__ == "comfyui_sampler_lab"
    assert isinstance(pack.NODE_CLASS_MAPPINGS, dict) and pack.NODE_CLASS_MAPPINGS
    assert os.path.isfile(os.path.join(os.path.dirname(pack.__file__), pack.WEB_DIRECTORY, "samplerlab_math.js"))
    # importing the pack must not replace the host's nodes.py
    assert os.path.realpath(sys.modules["nodes"].__file__) == os.path.realpath(os.path.join(host.HOST_DIR, "nodes.py"))
    assert host.import_pack() is pack  # idempotent


def test_neither_the_clone_nor_its_parent_is_on_sys_path(host):
    """Only tools/ and bench/ (tests/pytest.ini), never the repo root (whose `samplers`, `nodes` would shadow the
    host's modules) or its parent (every other node pack beside this one in custom_nodes/)."""
    host.import_pack()
    repo = os.path.realpath(host.REPO_DIR)
    paths = {os.path.realpath(p or os.getcwd()) for p in sys.path}
    assert repo not in paths and os.path.dirname(repo) not in paths
    assert os.path.realpath(sys.modules["nodes"].__file__) == os.path.realpath(os.path.join(host.HOST_DIR, "nodes.py"))
