"""The weightless demo: its model is the exact posterior-mean denoiser of the generated data set (in-process, through
the host's own model wrapper, ε and v), the UI → API converter, and every demo workflow on the real server."""

from __future__ import annotations

import glob
import json
import math
import os

import pytest
import torch

import hostlib

REPO_DIR = hostlib.REPO_DIR
WORKFLOWS = sorted(glob.glob(os.path.join(REPO_DIR, "workflows", "demo", "*.json")))


def posterior_mean_bruteforce(
    x: torch.Tensor, sigma: float, images: torch.Tensor, weights: torch.Tensor
) -> torch.Tensor:
    """E[x0 | x0 + σ n = x] for x0 drawn from `images` with probabilities `weights`: the test's own reference,
    one image at a time in float64 (independent of the vectorised `samplers.mixture_posterior_mean`)."""
    x = x.double()
    out = []
    for xb in x:
        logp = []
        for i in range(images.shape[0]):
            w = float(weights[i])
            d2 = float(((xb - images[i].double()) ** 2).sum())
            logp.append(-math.inf if w == 0 else math.log(w) - d2 / (2.0 * sigma * sigma))
        logp = torch.tensor(logp, dtype=torch.float64)
        p = torch.softmax(logp, 0)
        out.append((p[:, None, None, None] * images.double()).sum(0))
    return torch.stack(out)


@pytest.fixture(scope="module")
def pack():
    hostlib.import_host()
    return hostlib.import_pack()


@pytest.fixture(scope="module")
def demo_mod(pack):
    import importlib

    return importlib.import_module(pack.__name__ + ".demo.nodes")


@pytest.fixture(scope="module")
def demo_pkg(pack):
    import importlib

    import workflow_api

    return importlib.import_module(pack.__name__ + ".demo.dataset"), workflow_api


def test_dataset_is_deterministic_and_balanced(demo_pkg):
    dataset, _ = demo_pkg
    images, labels = dataset.make_dataset()
    again, _ = dataset.make_dataset.__wrapped__()  # bypass the cache: same seed, same images
    assert images.shape == (len(dataset.CLASSES) * dataset.PER_CLASS, 3, dataset.SIZE, dataset.SIZE)
    assert images.min() >= -1 and images.max() <= 1
    assert (again == images).all()
    assert labels.bincount().tolist() == [dataset.PER_CLASS] * len(dataset.CLASSES)


@pytest.mark.parametrize("prediction", ["eps", "v_prediction"])
def test_demo_denoiser_is_exact_posterior_mean(demo_mod, demo_pkg, prediction):
    """model.model.apply_model (the host's BaseModel path: input scaling, timestep, ε/v → x0) equals a brute-force
    E[x0 | x] over the data set, per class, unconditional, and for a soft (CADS-noised) class vector."""
    import torch

    dataset, _ = demo_pkg
    images, labels = dataset.make_dataset()
    model = demo_mod.demo_model(prediction)
    ms = model.get_model_object("model_sampling")
    names = [c.__name__ for c in type(ms).__mro__]
    assert "ModelSamplingDiscrete" in names and ("V_PREDICTION" in names) == (prediction == "v_prediction")
    g = torch.Generator().manual_seed(0)
    soft = torch.tensor([0.5, -0.3, 0.2, 0.3])  # as CADS leaves it: read as relu(c)/Σ relu(c)
    conds = {
        "disc": dataset.class_weights("disc"),
        "unconditional": dataset.class_weights("unconditional"),
        "ring": dataset.class_weights("ring"),
        "soft": soft,
    }
    sigmas = torch.tensor([0.03, 0.4, 1.7, 6.0, 14.6])
    for name, c in conds.items():
        probs = c.clamp(min=0) / c.clamp(min=0).sum()
        w = probs[labels] / labels.bincount().double()[labels]
        x0 = images[torch.randint(0, images.shape[0], (len(sigmas),), generator=g)]
        x = x0 + sigmas[:, None, None, None] * torch.randn(x0.shape, generator=g)
        # and a point between two images, where the posterior is not one-hot even at low noise
        x[0] = 0.5 * (images[3] + images[5]) + 0.03 * torch.randn(x[0].shape, generator=g)
        out = model.model.apply_model(x, sigmas, c_crossattn=c.reshape(1, 1, -1).repeat(len(sigmas), 1, 1))
        for r in range(len(sigmas)):
            ref = posterior_mean_bruteforce(x[r : r + 1], float(sigmas[r]), images, w)
            err = (out[r : r + 1].double() - ref).abs().max().item()
            assert err < 2e-5, (prediction, name, float(sigmas[r]), err)
    # the raw model output is the host's ε or v for that D (checked through the host's own conversion)
    xc = ms.calculate_input(sigmas, x)
    raw = model.model.diffusion_model(
        xc,
        ms.timestep(sigmas),
        context=conds["disc"].reshape(1, 1, -1).repeat(len(sigmas), 1, 1),
        transformer_options={demo_mod.SIGMA_KEY: sigmas},
    )
    d = ms.calculate_denoised(sigmas, raw, x)
    expect = model.model.apply_model(x, sigmas, c_crossattn=conds["disc"].reshape(1, 1, -1).repeat(len(sigmas), 1, 1))
    assert torch.allclose(d, expect, atol=1e-5)


def test_demo_latent_format_previews(demo_mod):
    """3-channel latent: fix_empty_latent_channels crops an empty 4-channel latent; the Latent2RGB previewer works."""
    import comfy.sample
    import latent_preview
    import torch
    from comfy.cli_args import LatentPreviewMethod, args

    model = demo_mod.demo_model("eps")
    fixed = comfy.sample.fix_empty_latent_channels(model, torch.zeros(2, 4, 16, 16))
    assert fixed.shape == (2, 3, 16, 16)
    old = args.preview_method
    args.preview_method = LatentPreviewMethod.Latent2RGB
    try:
        previewer = latent_preview.get_previewer(torch.device("cpu"), model.model.latent_format)
        fmt, img, _ = previewer.decode_latent_to_preview_image("JPEG", torch.rand(2, 3, 16, 16) * 2 - 1)
        assert img.size == (16, 16)
    finally:
        args.preview_method = old


def test_matches_core_mixture_denoiser(demo_mod, demo_pkg, pack):
    import importlib

    import torch

    S = importlib.import_module(pack.__name__ + ".samplers")
    dataset, _ = demo_pkg
    images, labels = dataset.make_dataset()
    keep = labels == dataset.CLASSES.index("square")
    den = S.gaussian_mixture_denoiser(images[keep], torch.full((int(keep.sum()),), 1.0 / int(keep.sum())), 0.0)
    sigmas = torch.tensor([0.05, 0.7, 5.0])
    noise = torch.randn(3, 3, 16, 16, generator=torch.Generator().manual_seed(1))
    x = images[keep][:3] + sigmas[:, None, None, None] * noise
    square = dataset.class_weights("square").reshape(1, 1, -1).repeat(3, 1, 1)
    ours = demo_mod.demo_model("eps").model.apply_model(x, sigmas, c_crossattn=square)
    assert torch.allclose(den(x, sigmas).float(), ours, atol=1e-4)


def test_ui_to_api_converter(demo_pkg):
    _, wa = demo_pkg
    info = {
        "Loader": {
            "input": {"required": {"name": [["a", "b"], {}]}},
            "input_order": {"required": ["name"]},
            "output": ["MODEL"],
            "output_name": ["MODEL"],
        },
        "Sampler": {
            "input": {
                "required": {
                    "model": ["MODEL", {}],
                    "seed": ["INT", {"control_after_generate": True}],
                    "steps": ["INT", {}],
                    "cfg": ["FLOAT", {}],
                    "name": [["x", "y"], {}],
                },
                "optional": {"flag": ["BOOLEAN", {}], "extra": ["LATENT", {}]},
            },
            "input_order": {"required": ["model", "seed", "steps", "cfg", "name"], "optional": ["flag", "extra"]},
            "output": ["LATENT"],
            "output_name": ["LATENT"],
        },
    }
    ui = {
        "nodes": [
            {
                "id": 1,
                "type": "Loader",
                "mode": 0,
                "inputs": [],
                "outputs": [{"name": "MODEL", "type": "MODEL", "links": [1]}],
                "widgets_values": ["b"],
            },
            {
                "id": 2,
                "type": "Reroute",
                "mode": 0,
                "inputs": [{"name": "", "type": "*", "link": 1}],
                "outputs": [{"name": "", "type": "MODEL", "links": [2]}],
            },
            {
                "id": 3,
                "type": "Sampler",
                "mode": 0,
                "title": "my sampler",
                "inputs": [
                    {"name": "model", "type": "MODEL", "link": 2},
                    {"name": "steps", "type": "INT", "link": 3, "widget": {"name": "steps"}},
                ],
                "outputs": [{"name": "LATENT", "type": "LATENT", "links": []}],
                "widgets_values": [42, "randomize", 10, 7.5, "y", True],
            },
            {
                "id": 4,
                "type": "PrimitiveNode",
                "mode": 0,
                "inputs": [],
                "outputs": [{"name": "INT", "type": "INT", "links": [3]}],
                "widgets_values": [25, "fixed"],
            },
            {"id": 5, "type": "Note", "mode": 0, "inputs": [], "outputs": [], "widgets_values": ["hello"]},
            {
                "id": 6,
                "type": "Sampler",
                "mode": 2,
                "inputs": [],
                "outputs": [],
                "widgets_values": [0, "fixed", 1, 1.0, "x", False],
            },
        ],
        "links": [[1, 1, 0, 2, 0, "MODEL"], [2, 2, 0, 3, 0, "MODEL"], [3, 4, 0, 3, 1, "INT"]],
        "version": 0.4,
    }
    api = wa.ui_to_api(ui, info)
    assert api == {
        "1": {"class_type": "Loader", "inputs": {"name": "b"}, "_meta": {"title": "Loader"}},
        "3": {
            "class_type": "Sampler",
            "inputs": {"model": ["1", 0], "seed": 42, "steps": 25, "cfg": 7.5, "name": "y", "flag": True},
            "_meta": {"title": "my sampler"},
        },
    }
    with pytest.raises(wa.WorkflowError):
        wa.ui_to_api({"nodes": [{"id": 1, "type": "Nope", "mode": 0}], "links": []}, info)


def test_demo_workflows_are_ui_format_with_a_note():
    assert len(WORKFLOWS) >= 6
    for path in WORKFLOWS:
        with open(path, encoding="utf-8") as f:
            wf = json.load(f)
        assert wf["version"] == 0.4 and wf["links"], path
        for n in wf["nodes"]:
            assert {"id", "type", "pos", "size", "widgets_values", "inputs", "outputs"} <= set(n), (path, n.get("id"))
        assert any(n["type"] == "Note" and n["widgets_values"][0].strip() for n in wf["nodes"]), path


def test_demo_workflows_run_on_server(server, demo_pkg):
    import torch
    from safetensors.torch import load_file

    _, wa = demo_pkg
    info = server.object_info()
    for path in WORKFLOWS:
        with open(path, encoding="utf-8") as f:
            api = wa.ui_to_api(json.load(f), info)
        entry = server.run_prompt(api, timeout=120)
        images = [img for out in entry["outputs"].values() for img in out.get("images", [])]
        latents = [lat for out in entry["outputs"].values() for lat in out.get("latents", [])]
        assert images, path
        for lat in latents:
            t = load_file(os.path.join(server.base_dir, "output", lat["subfolder"], lat["filename"]))["latent_tensor"]
            assert t.shape[1:] == (3, 16, 16) and torch.isfinite(t).all(), (path, lat["filename"])
            assert t.abs().max() < 1.5 or "x0mid" in lat["filename"], (path, lat["filename"], float(t.abs().max()))
        for img in images:
            if img.get("type") == "output":
                from PIL import Image

                im = Image.open(os.path.join(server.base_dir, "output", img["subfolder"], img["filename"]))
                assert im.size == (128, 128), (path, img["filename"])
