"""Bad and extreme input through the real server (tools/bad_input.py): each case is refused naming its input or gives
finite output; the README's table is what the cases give; cancelling stops our sampler; the server keeps serving."""

from __future__ import annotations

import importlib
import time

import pytest
import torch

import bad_input
import make_bad_input_table
from hostserver import tiny_txt2img_prompt


@pytest.fixture(scope="module")
def results(server):
    """Every case's outcome, also written to out/bad_input/results.json."""
    out = bad_input.run_cases(server)
    make_bad_input_table.write_results(out)
    return out


@pytest.mark.parametrize("case", bad_input.CASES, ids=lambda c: c.id)
def test_case_is_refused_naming_the_input_or_finite(results, case):
    assert bad_input.case_passes(case, results[case.id]), (case.expect, results[case.id])


def test_readme_table_is_what_the_cases_give(results):
    with open(make_bad_input_table.README, encoding="utf-8") as f:
        readme = f.read()
    assert bad_input.readme_table(readme) == bad_input.render_table(results), (
        "README table is stale: run .venv/bin/python tools/make_bad_input_table.py"
    )


def test_server_still_serves_after_the_cases(server, results):
    assert server.alive()
    entry = server.run_prompt(tiny_txt2img_prompt(steps=2))
    assert entry["outputs"]["stats"]["stats"][0]["finite"]


def _denoise_zero_prompt(latent: dict) -> dict:
    p = bad_input.workflow(bad_input.Case("KSampler", "denoise", "0", "finite"))[0]
    p["latent"] = latent
    p["ks"]["inputs"]["latent_image"] = ["latent", 0]
    p["host_ks"] = {
        "class_type": "KSampler",
        "inputs": {
            "model": ["model", 0],
            "seed": 0,
            "steps": 2,
            "cfg": 3.0,
            "sampler_name": "heun",
            "scheduler": "karras",
            "positive": ["pos", 0],
            "negative": ["neg", 0],
            "latent_image": ["latent", 0],
            "denoise": 0.0,
        },
    }
    p["host_stats"] = bad_input._stats("host_ks")
    return p


@pytest.mark.parametrize(
    "latent",
    [
        {"class_type": "EmptyLatentImage", "inputs": {"width": 128, "height": 128, "batch_size": 2}},
        {"class_type": "SamplerLabTestLatent", "inputs": {"value": "0.5", "channels": 3, "size": 16, "batch": 1}},
    ],
)
def test_denoise_zero_returns_what_the_hosts_ksampler_returns(server, latent):
    """Denoise 0: the host's KSampler returns the latent after its channel fix (4 → 3 channels for the demo model)."""
    entry = server.run_prompt(_denoise_zero_prompt(latent))
    ours, theirs = entry["outputs"]["stats"]["stats"][0], entry["outputs"]["host_stats"]["stats"][0]
    assert ours == theirs and ours["shape"][1] == 3


def _interrupt_at(model, calls_before_interrupt: int):
    """A clone of model that sets the host's interrupt flag during its n-th model call; returns it and its calls."""
    import comfy.model_management
    import comfy.patcher_extension

    calls = []

    def count(executor, *args, **kwargs):
        calls.append(1)
        if len(calls) == calls_before_interrupt:
            comfy.model_management.interrupt_current_processing(True)
        return executor(*args, **kwargs)

    m = model.clone()
    m.add_wrapper_with_key(comfy.patcher_extension.WrappersMP.APPLY_MODEL, "test_interrupt", count)
    return m, calls


@pytest.mark.parametrize("kind", ["sd15_eps", "demo"])
@pytest.mark.parametrize("at", [1, 2, 5])
def test_interrupt_stops_our_sampler_within_one_model_call(host, kind, at):
    """The interrupt set during model call k: no call k + 1 starts (a demo model has no host ops that check it)."""
    import comfy.model_management
    import comfy.sample

    pack = host.import_pack()
    if kind == "demo":
        demo = importlib.import_module(pack.__name__ + ".demo.nodes")
        model = demo.demo_model("eps")
        positive = negative = demo.class_conditioning("unconditional")
        latent = torch.zeros(1, 3, 16, 16)
    else:
        model = host.tiny_model(kind)
        positive, negative = host.sd15_conditioning(1), host.sd15_conditioning(2)
        latent = torch.zeros(1, 4, 16, 16)
    model, calls = _interrupt_at(model, at)
    sampler = pack.NODE_CLASS_MAPPINGS["SamplerLabHeunChurn"]().get_sampler(0.0, 0.0, 1e3, 1.0)[0]
    sigmas = pack.samplers.karras_sigmas(10, 0.0292, 14.61)
    noise = comfy.sample.prepare_noise(latent, 0)
    try:
        with pytest.raises(comfy.model_management.InterruptProcessingException):
            comfy.sample.sample_custom(
                model, noise, 3.0, sampler, sigmas, positive, negative, latent, disable_pbar=True, seed=0
            )
    finally:
        comfy.model_management.interrupt_current_processing(False)
    assert len(calls) == at


def _long_prompt(steps: int) -> dict:
    p = bad_input.workflow(bad_input.Case("KSampler", "steps", str(steps), "finite"))[0]
    p["ks"]["inputs"]["steps"] = steps
    return p


def test_cancelling_between_queued_prompts_leaves_the_server_serving(server):
    """Long and short prompts queued together; each long one is cancelled (POST /interrupt) while it runs: it ends
    interrupted, every short one after it runs to a finite result, and a normal prompt runs afterwards."""
    queued = []
    for seed in range(3):
        long_id = server.post_prompt(_long_prompt(5000 + seed))
        short = _long_prompt(2)
        short["ks"]["inputs"]["seed"] = seed
        queued.append((long_id, server.post_prompt(short)))
    for long_id, _ in queued:
        deadline = time.monotonic() + 120
        while not any(item[1] == long_id for item in server.get("/queue")["queue_running"]):
            assert time.monotonic() < deadline, "the long prompt never started"
            time.sleep(0.05)
        time.sleep(0.3)  # inside the sampling loop
        server.post("/interrupt", {})
    for long_id, short_id in queued:
        entry = server.wait(short_id, timeout=120)
        assert entry["outputs"]["stats"]["stats"][0]["finite"]
        status = server.get(f"/history/{long_id}")[long_id]["status"]
        assert status["status_str"] == "error"
        assert any(m[0] == "execution_interrupted" for m in status["messages"])
    assert server.alive()
    assert server.run_prompt(tiny_txt2img_prompt(steps=2))["outputs"]["stats"]["stats"][0]["finite"]
