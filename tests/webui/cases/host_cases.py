"""Sampler Lab through the real sampler, scheduler and CFG code of one web UI host, in a fresh interpreter.

Run by tests/webui/test_webui_hosts.py through run_cases.py (`pytest --noconftest host_cases.py`) with
SAMPLERLAB_WEBUI_KIND ("a1111" or "forge") and SAMPLERLAB_WEBUI_ROOT (the host tree).
"""

from __future__ import annotations

import logging
import os
import sys
import types

import pytest
import torch

import fakes  # this folder is on sys.path as the test module's own (pytest's rootdir-relative import)
import loader
import webui_host

KIND = os.environ["SAMPLERLAB_WEBUI_KIND"]
HOST = webui_host.load(KIND, os.environ["SAMPLERLAB_WEBUI_ROOT"])
FORGE = KIND == "forge"

import importlib.util  # noqa: E402

# The host imports the entry file by its path, with the extension's folder first on sys.path (it then imports
# `sampler_lab_webui` by name); here the adapter is loaded first by its unique name, then the entry file by its path.
loader.webui()
_spec = importlib.util.spec_from_file_location(
    "sampler_lab_entry", os.path.join(webui_host.REPO, "scripts", "sampler_lab.py")
)
_ENTRY = importlib.util.module_from_spec(_spec)
# The entry needs the host's modules.scripts (which needs the full UI); a stand-in base class stands for it.
sys.modules.setdefault("modules.scripts", types.ModuleType("modules.scripts"))
sys.modules["modules.scripts"].Script = type("Script", (), {})
sys.modules["modules.scripts"].AlwaysVisible = object()
sys.modules["modules.scripts"].scripts_data = []
_spec.loader.exec_module(_ENTRY)

from sampler_lab_webui import core, detect, params, sampler, schedules, script  # noqa: E402
from sampler_lab_webui import run as runs  # noqa: E402
from sampler_lab_webui.params import Settings  # noqa: E402

STEPS = 6
#: The processing objects of the test running, whose generations the `_reset` fixture ends.
_MADE: list = []


def make_model(shape=fakes.SD1, v=False):
    model = (
        fakes.forge_model(shape, "v_prediction" if v else "epsilon")
        if FORGE
        else fakes.A1111Model(shape, "v" if v else "eps")
    )
    HOST.use_model(model)
    return model


def net_of(model):
    return model.net


def make_p(model, seeds, sampler="EDM Heun", scheduler="Automatic", settings=Settings(), steps=STEPS, cfg=5.0):
    p = types.SimpleNamespace(
        seeds=list(seeds),
        seed=seeds[0],
        all_seeds=list(seeds),
        iteration=0,
        batch_size=len(seeds),
        sampler_name=sampler,
        scheduler=scheduler,
        hr_scheduler=None,
        hr_sampler_name=None,
        is_hr_pass=False,
        steps=steps,
        cfg_scale=cfg,
        hr_cfg=cfg,
        eta=None,
        s_churn=0.0,
        s_tmin=0.0,
        s_tmax=float("inf"),
        s_noise=1.0,
        s_min_uncond=0.0,
        extra_generation_params={},
        sampler_noise_scheduler_override=None,
        image_cfg_scale=None,
        scripts=None,
        refiner_checkpoint_info=None,
        refiner_switch_at=None,
        sd_model=model,
        denoising_strength=1.0,
        extra_network_data={},
        sampler=None,
        mask=None,
        nmask=None,
    )
    p.rng = HOST.rng.ImageRNG((4, 8, 8), p.seeds)
    _MADE.append(p)
    script.prepare(p, tuple(getattr(settings, q.name) for q in params.PARAMS))
    return p


def run(model, seeds, prompts=None, negatives=None, shape=fakes.SD1, **kwargs):
    """One txt2img pass through the host's own sampler object; returns (p, latents)."""
    p = make_p(model, seeds, **kwargs)
    prompts = prompts or [s % 7 for s in seeds]
    negatives = negatives or [100 + s % 5 for s in seeds]
    c, uc = fakes.conds(HOST.prompt_parser, shape, prompts, negatives, p.steps)
    p.sampler = HOST.sd_samplers.create_sampler(p.sampler_name, model)
    x = p.rng.next()
    script.before_every_sampling(p)
    try:
        image_cond = torch.zeros(len(seeds), 5, 1, 1)
        samples = p.sampler.sample(p, x, c, uc, image_conditioning=image_cond)
    finally:
        runs.end(p)
    return p, samples


@pytest.fixture(autouse=True)
def _reset():
    HOST.shared.opts.data.update(webui_host.OPTIONS)
    yield
    while _MADE:
        runs.end(_MADE.pop())
    assert runs.active() is None


# ------------------------------------------------------------------------------------------------------------
# registration
# ------------------------------------------------------------------------------------------------------------


def test_sampler_and_schedulers_registered():
    assert "EDM Heun" in HOST.sd_samplers.visible_sampler_names()
    names = {s.name for s in HOST.sd_schedulers.schedulers}
    assert set(schedules.SCHEDULERS) <= names
    assert HOST.sd_samplers.get_sampler_and_scheduler("EDM Heun", "samplerlab_trailing") == (
        "EDM Heun",
        "Sampler Lab trailing",
    )


def test_host_is_detected_once_per_process():
    detected = (detect.is_forge, detect.is_forge_classic, detect.has_scheduler_list, detect.missing_apis)
    assert [f() for f in detected] == [FORGE, False, True, ()]
    assert [f() for f in detected] == [FORGE, False, True, ()]
    assert [f.cache_info().misses for f in detected] == [1, 1, 1, 1]  # no import (failed or not) per call


def test_core_loaded_under_unique_name():
    assert "sampler_lab_core" in sys.modules and core.__name__ == "sampler_lab_core"
    assert "samplers" not in sys.modules, "a top-level `samplers` module would clash with other extensions"
    assert not any(n == "nodes" or n.startswith("nodes.") for n in sys.modules)
    assert _ENTRY.SamplerLabScript.__mro__[1] is sys.modules["modules.scripts"].Script


# ------------------------------------------------------------------------------------------------------------
# EDM Heun
# ------------------------------------------------------------------------------------------------------------


def test_edm_heun_without_churn_equals_the_hosts_heun():
    model = make_model()
    _, ours = run(model, [5, 6], sampler="EDM Heun", scheduler="Karras")
    _, theirs = run(model, [5, 6], sampler="Heun", scheduler="Karras")
    assert torch.isfinite(ours).all()
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-5)


def test_edm_heun_churn_from_the_accordion_not_global_settings():
    model = make_model()
    HOST.shared.opts.s_churn = 80.0  # the global setting the host's own Heun reads; ours must ignore it
    _, plain = run(model, [5], scheduler="Karras")
    _, churned = run(model, [5], scheduler="Karras", settings=Settings(s_churn=10.0))
    _, heun = run(model, [5], sampler="Heun", scheduler="Karras")
    HOST.shared.opts.s_churn = 0.0
    _, heun0 = run(model, [5], sampler="Heun", scheduler="Karras")
    torch.testing.assert_close(plain, heun0, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(heun, heun0, atol=1e-4), "the global S_churn should change the host's Heun"
    assert not torch.allclose(churned, plain, atol=1e-4)


def test_edm_heun_image_is_the_same_alone_or_in_a_batch():
    model = make_model()
    settings = Settings(s_churn=20.0, s_tmin=0.0, s_tmax=1000.0)
    _, batch = run(model, [11, 12, 13], settings=settings, scheduler="samplerlab_karras")
    _, alone = run(model, [12], settings=settings, scheduler="samplerlab_karras")
    torch.testing.assert_close(batch[1:2], alone, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(batch[0], batch[1])


def _nearest_point_tv(samples: torch.Tensor, points: torch.Tensor, weights: torch.Tensor) -> float:
    """Total variation between the points' weights and the share of samples nearest to each point."""
    nearest = torch.cdist(samples.reshape(len(samples), -1).double(), points.reshape(len(points), -1)).argmin(dim=1)
    share = torch.bincount(nearest, minlength=len(points)).double() / len(samples)
    return 0.5 * (share - weights / weights.sum()).abs().sum().item()


def test_edm_heun_churn_keeps_the_data_weights_on_a_flow_model(monkeypatch):
    """Forge's real PredictionDiscreteFlow (shift 3) around the exact x0 of 8 points: churned EDM Heun through the
    host's sampler lands on the points with their true weights (TV within the sampling noise of n images), as the
    churn-free run does; churn added the VE way (the old behaviour) is off by more than that. A1111 runs flow models
    only as SD3 (`is_sd3`, a loader of full checkpoints): there the form is read off that flag."""
    import math

    if not FORGE:
        assert detect.model_form(types.SimpleNamespace(is_sd3=True)) is core.FLOW
        assert detect.model_form(make_model()) is core.VE and detect.model_form(make_model(v=True)) is core.VE
        return
    from backend.modules.k_prediction import PredictionDiscreteFlow

    g = torch.Generator().manual_seed(0)
    points = torch.randn(8, 4, 8, 8, generator=g, dtype=torch.float64) * torch.linspace(0.5, 2.0, 8).reshape(8, 1, 1, 1)
    weights = torch.linspace(1.0, 3.0, 8, dtype=torch.float64)
    exact = core.denoiser_in_form(core.gaussian_mixture_denoiser(points, weights, 0.0), core.FLOW)
    text = dict(context=8, tokens=1, vector=None)  # the exact denoiser reads no prompt: a small one keeps CFG cheap
    model = fakes.forge_model(text, predictor=PredictionDiscreteFlow(shift=3.0), denoiser=exact)
    HOST.use_model(model)
    assert detect.model_form(model) is core.FLOW
    n, churn = 256, Settings(s_churn=20.0, s_tmin=0.05, s_tmax=50.0, s_noise=1.0)
    bound = 0.5 * math.sqrt(7 / n) + math.sqrt(math.log(1e6) / (2 * n))  # E[TV] bound plus McDiarmid, p < 1e-6
    seeds = list(range(n))
    tv = {
        name: _nearest_point_tv(
            run(model, seeds, shape=text, settings=settings, scheduler="Simple", steps=16)[1], points, weights
        )
        for name, settings in (("plain", Settings()), ("churn", churn))
    }
    # Churn added as x + √(σ̂² − σ²)·ε on the flow state:
    monkeypatch.setattr(sampler, "model_form", lambda sd_model: core.VE)
    tv["ve churn"] = _nearest_point_tv(
        run(model, seeds, shape=text, settings=churn, scheduler="Simple", steps=16)[1], points, weights
    )
    assert tv["plain"] <= bound and tv["churn"] <= bound, (tv, bound)
    assert tv["ve churn"] > bound, (tv, bound)


# ------------------------------------------------------------------------------------------------------------
# schedules
# ------------------------------------------------------------------------------------------------------------


def _sigmas(model, scheduler, settings=Settings(), steps=STEPS):
    p = make_p(model, [1], sampler="Euler", scheduler=scheduler, settings=settings, steps=steps)
    p.sampler = HOST.sd_samplers.create_sampler("Euler", model)
    try:
        return p.sampler, p.sampler.get_sigmas(p, steps)
    finally:
        runs.end(p)


def test_karras_schedule_uses_the_accordion_rho_on_the_models_range():
    model = make_model()
    sampler, host_karras = _sigmas(model, "Karras")
    _, ours = _sigmas(model, "samplerlab_karras")
    torch.testing.assert_close(ours, host_karras, rtol=1e-5, atol=1e-5)  # ρ = 7 is the host's Karras
    _, rho3 = _sigmas(model, "samplerlab_karras", Settings(rho=3.0))
    table = sampler.model_wrap.sigmas
    assert rho3[0] == pytest.approx(float(table[-1]), rel=1e-5) and rho3[-2] == pytest.approx(float(table[0]), rel=1e-5)
    assert not torch.allclose(rho3, host_karras)


@pytest.mark.parametrize(
    "spacing, expected",
    [
        ("trailing", [999, 832, 666, 499, 332, 166]),
        ("linspace", [999, 799, 599, 400, 200, 0]),
        ("leading", [830, 664, 498, 332, 166, 0]),
    ],
)
def test_spacing_schedules_hit_lin_table_2_timesteps(spacing, expected):
    model = make_model()
    sampler, sigmas = _sigmas(model, f"samplerlab_{spacing}")
    assert sigmas[-1] == 0
    timesteps = sampler.model_wrap.sigma_to_t(sigmas[:-1]).round().long().tolist()
    assert timesteps == expected


def test_spacing_refuses_more_steps_than_timesteps_naming_the_input():
    with pytest.raises(
        ValueError,
        match="^Sampler Lab: input 'steps' = 1001 is more than the model's 1000 discrete timesteps; use at most 1000.$",
    ):
        _sigmas(make_model(), "samplerlab_trailing", steps=1001)


# ------------------------------------------------------------------------------------------------------------
# CFG rescale through the host's CFG denoiser
# ------------------------------------------------------------------------------------------------------------


def _one_call(model, p, sampler_name, x, sigma, c, uc, cfg):
    p.sampler = HOST.sd_samplers.create_sampler(sampler_name, model)
    sampler = p.sampler
    sampler.initialize(p)
    sampler.model_wrap_cfg.steps = sampler.model_wrap_cfg.total_steps = 10
    sampler.sampler_extra_args = {
        "cond": c,
        "uncond": uc,
        "cond_scale": cfg,
        "s_min_uncond": 0.0,
        "image_cond": torch.zeros(x.shape[0], 5, 1, 1),
    }
    script.before_every_sampling(p)
    if FORGE:
        from backend.sampling.sampling_function import sampling_prepare

        sampling_prepare(model.forge_objects.unet, x)
    return sampler.model_wrap_cfg(x, sigma, **sampler.sampler_extra_args)


def _reference_predictions(model, x, sigma, shape, prompts, negatives, v):
    """D of the positive and negative prompt for each image, computed directly from the net (no host code)."""

    def denoised(k):
        c = [fakes.prompt_cond(shape, j) for j in k]
        ctx = torch.stack([ci["crossattn"] if isinstance(ci, dict) else ci for ci in c])
        vec = torch.stack([ci["vector"] for ci in c]) if shape["vector"] else None
        s = sigma.reshape(-1, 1, 1, 1)
        t = HOST_T(model, sigma)
        f = model.net(x / (s**2 + 1).sqrt(), t, ctx, vec)
        return (x / (s**2 + 1) - f * s / (s**2 + 1).sqrt()) if v else x - f * s

    return denoised(prompts), denoised(negatives)


def HOST_T(model, sigma):
    """The timestep the host feeds the network for σ (Forge's predictor quantises it, k-diffusion interpolates)."""
    if FORGE:
        return model.predictor.timestep(sigma).float()
    import k_diffusion.external

    return k_diffusion.external.CompVisDenoiser(model).sigma_to_t(sigma).float()


@pytest.mark.parametrize("v", [False, True], ids=["eps", "v"])
@pytest.mark.parametrize("phi", [0.0, 0.7])
def test_cfg_rescale_k_diffusion_in_the_models_output_space(v, phi):
    shape = fakes.SD1
    model = make_model(shape, v=v)
    seeds, prompts, negatives = [3, 4], [0, 1], [100, 101]
    p = make_p(model, seeds, sampler="Euler", settings=Settings(rescale_enabled=True, phi=phi))
    c, uc = fakes.conds(HOST.prompt_parser, shape, prompts, negatives, 10)
    x = torch.randn(2, 4, 8, 8, generator=torch.Generator().manual_seed(7)) * 3
    sigma = torch.tensor([3.0, 3.0])
    try:
        out = _one_call(model, p, "Euler", x, sigma, c, uc, 6.0)
    finally:
        runs.end(p)
    pos, neg = _reference_predictions(model, x, sigma, shape, prompts, negatives, v)
    guided = neg + 6.0 * (pos - neg)
    c_skip = (1 / (sigma**2 + 1) if v else torch.ones(2)).reshape(-1, 1, 1, 1)
    own_pos, own_guided = pos - c_skip * x, guided - c_skip * x  # c_out·(model output)
    ratio = own_pos.flatten(1).std(1) / own_guided.flatten(1).std(1)
    expected = c_skip * x + own_guided * (phi * ratio.reshape(-1, 1, 1, 1) + 1 - phi)
    torch.testing.assert_close(out, expected, rtol=2e-4, atol=2e-4)


@pytest.mark.parametrize("v", [False, True], ids=["eps", "v"])
def test_cfg_rescale_ddim_in_the_models_output_space(v):
    shape = fakes.SD1
    model = make_model(shape, v=v)
    phi, cfg = 0.7, 6.0
    p = make_p(model, [3, 4], sampler="DDIM", settings=Settings(rescale_enabled=True, phi=phi))
    c, uc = fakes.conds(HOST.prompt_parser, shape, [0, 1], [100, 101], 10)
    x = torch.randn(2, 4, 8, 8, generator=torch.Generator().manual_seed(7))
    t = torch.tensor([700.0, 700.0])
    try:
        out = _one_call(model, p, "DDIM", x, t, c, uc, cfg)
    finally:
        runs.end(p)
    a = fakes.sd_alphas_cumprod()[700]
    ctx = lambda ks: torch.stack([fakes.prompt_cond(shape, k) for k in ks])
    # The network's input: A1111's DDIM feeds x_t itself; Forge rescales x_t to σ-space and back (c_in·x·√(σ²+1)).
    f_pos, f_neg = model.net(x, t, ctx([0, 1])), model.net(x, t, ctx([100, 101]))  # the model's own ε or v
    guided = f_neg + cfg * (f_pos - f_neg)
    ratio = (f_pos.flatten(1).std(1) / guided.flatten(1).std(1)).reshape(-1, 1, 1, 1)
    rescaled = guided * (phi * ratio + 1 - phi)
    expected = a.sqrt() * rescaled + (1 - a).sqrt() * x if v else rescaled  # the ε the DDIM step uses
    torch.testing.assert_close(out, expected, rtol=5e-4, atol=5e-4)


# ------------------------------------------------------------------------------------------------------------
# CADS
# ------------------------------------------------------------------------------------------------------------


def _cads_calls(seeds, prompts, sigma, negative=False):
    shape = fakes.SDXL
    model = make_model(shape)
    settings = Settings(cads_enabled=True, cads_negative=negative, tau1=0.3, tau2=0.8, noise_scale=0.5)
    p = make_p(model, seeds, sampler="Euler", settings=settings)
    c, uc = fakes.conds(HOST.prompt_parser, shape, prompts, [100 + k for k in prompts], 10)
    x = torch.zeros(len(seeds), 4, 8, 8)
    net = net_of(model)
    net.calls.clear()
    try:
        _one_call(model, p, "Euler", x, torch.full((len(seeds),), sigma), c, uc, 5.0)
    finally:
        runs.end(p)
    call = net.calls[-1]
    n = len(seeds)
    return call, [fakes.prompt_cond(shape, k) for k in prompts], [fakes.prompt_cond(shape, 100 + k) for k in prompts], n


def _rows(call, n):
    """(positive rows, negative rows) of the model call, in the order the host batched them (A1111: cond rows
    first; Forge: the order of its `cond_or_uncond` list)."""
    first = call["chunks"].index(0)
    return slice(first * n, (first + 1) * n), slice((1 - first) * n, (2 - first) * n)


def test_cads_anneals_tokens_and_pooled_part_never_size_embeddings():
    call, pos, neg, n = _cads_calls([21, 22], [0, 1], sigma=14.0)
    t = call["t"][0] / 999
    gamma = core.cads_gamma(float(t), 0.3, 0.8)
    assert gamma < 0.5
    prow, nrow = _rows(call, n)
    original_vec = torch.stack([c["vector"] for c in pos])
    original_ctx = torch.stack([c["crossattn"] for c in pos])
    assert torch.equal(call["vector"][prow, 1280:], original_vec[:, 1280:]), "size embeddings must stay untouched"
    assert not torch.allclose(call["vector"][prow, :1280], original_vec[:, :1280])
    assert not torch.allclose(call["context"][prow], original_ctx)
    assert torch.equal(call["context"][nrow], torch.stack([c["crossattn"] for c in neg])), "negative left clean"
    # The reference: the core's CADS with the documented seed scheme, t from the host's own timestep of σ.
    seeds = [core.sample_seeds(s, None, 1)[0] for s in (21, 22)]
    noise = core.seeded_normal([core.call_seed(s, 14.0, 0) for s in seeds], original_ctx.shape[1:])
    expected = core.cads_noise(original_ctx, torch.full((2,), gamma), 0.5, psi=1.0, rescale=True, noise=noise)
    torch.testing.assert_close(call["context"][prow], expected, rtol=1e-4, atol=1e-4)


def test_cads_gives_each_and_prompt_its_own_stream():
    """The stream scheme of samplers/seeds.py: AND-prompt j is prompt j (ComfyUI: entry j of a combined CONDITIONING),
    so the same prompt twice gets two noises, the first the one it gets alone."""
    shape, parser = fakes.SDXL, HOST.prompt_parser
    model = make_model(shape)
    p = make_p(model, [21], sampler="Euler", settings=Settings(cads_enabled=True, tau1=0.3, tau2=0.8, noise_scale=0.5))
    clean = fakes.prompt_cond(shape, 0)
    same = parser.ComposableScheduledPromptConditioning([parser.ScheduledPromptConditioning(10, clean)], 1.0)
    c = parser.MulticondLearnedConditioning(shape=(1,), batch=[[same, same]])  # "same AND same"
    uc = [[parser.ScheduledPromptConditioning(10, fakes.prompt_cond(shape, 100))]]
    net = net_of(model)
    net.calls.clear()
    try:
        _one_call(model, p, "Euler", torch.zeros(1, 4, 8, 8), torch.full((1,), 14.0), c, uc, 5.0)
    finally:
        runs.end(p)
    rows = torch.cat([call["context"] for call in net.calls])  # every conditioning row the network saw
    gamma = core.cads_gamma(float(net.calls[-1]["t"][0] / 999), 0.3, 0.8)
    seed = core.sample_seeds(21, None, 1)[0]
    for j in (0, 1):
        noise = core.seeded_normal([core.call_seed(seed, 14.0, 4 * j)], clean["crossattn"].shape)  # stream 4·j
        expected = core.cads_noise(clean["crossattn"][None], gamma, 0.5, noise=noise)[0]
        assert sum(torch.allclose(row, expected, rtol=1e-4, atol=1e-4) for row in rows) == 1, f"AND-prompt {j}"


def test_cads_leaves_low_noise_calls_clean_and_is_batch_invariant():
    call, pos, _, n = _cads_calls([21, 22], [0, 1], sigma=0.1)
    assert torch.equal(call["context"][_rows(call, n)[0]], torch.stack([c["crossattn"] for c in pos]))
    batch, _, _, _ = _cads_calls([21, 22, 23], [0, 1, 2], sigma=14.0, negative=True)
    alone, _, _, _ = _cads_calls([22], [1], sigma=14.0, negative=True)
    (bp, bn), (ap, an) = _rows(batch, 3), _rows(alone, 1)
    for key in ("context", "vector"):
        torch.testing.assert_close(batch[key][bp][1:2], alone[key][ap])
        torch.testing.assert_close(batch[key][bn][1:2], alone[key][an])  # the negative row (apply to negative)


# ------------------------------------------------------------------------------------------------------------
# zero terminal SNR
# ------------------------------------------------------------------------------------------------------------


def _table(model, sampler):
    return model.predictor.sigmas if FORGE else sampler.model_wrap.sigmas


def test_ztsnr_patches_the_table_for_the_run_and_restores_it():
    model = make_model(v=True)
    p = make_p(model, [1], sampler="Euler", settings=Settings(ztsnr_enabled=True))
    p.sampler = HOST.sd_samplers.create_sampler("Euler", model)
    before = _table(model, p.sampler).clone()
    script.before_every_sampling(p)
    patched = _table(model, p.sampler).clone()
    sigmas = p.sampler.get_sigmas(p, STEPS)
    runs.end(p)
    expected_top = ((1 - core.ZERO_SNR_ALPHA_CUMPROD) / core.ZERO_SNR_ALPHA_CUMPROD) ** 0.5
    assert float(patched[-1]) == pytest.approx(expected_top, rel=1e-4)
    assert float(sigmas[0]) == pytest.approx(expected_top, rel=1e-4)
    assert float(patched[0]) == pytest.approx(float(before[0]), rel=1e-4)  # Algorithm 1 keeps ᾱ_1
    assert torch.equal(_table(model, p.sampler), before)
    if not FORGE:
        assert torch.equal(model.alphas_cumprod, model.alphas_cumprod_original)


def test_ztsnr_refuses_eps_models_and_warns_about_the_hosts_own(caplog):
    model = make_model(v=False)
    with pytest.raises(ValueError, match="Zero terminal SNR"):
        make_p(model, [1], settings=Settings(ztsnr_enabled=True))
    HOST.shared.opts.sd_noise_schedule = "Zero Terminal SNR"
    with caplog.at_level(logging.WARNING, logger="sampler_lab"):
        make_p(make_model(v=True), [1], settings=Settings(ztsnr_enabled=True))
    assert "also on" in caplog.text


# ------------------------------------------------------------------------------------------------------------
# validation, infotext, XYZ, API arguments
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings, name",
    [
        (Settings(cads_enabled=True, tau1=0.9, tau2=0.5), "CADS tau1"),
        (Settings(rescale_enabled=True, phi=1.5), "CFG rescale phi"),
        (Settings(s_tmin=5.0, s_tmax=1.0), "S_tmin"),
    ],
)
def test_bad_input_stops_the_generation_naming_the_input(settings, name):
    model = make_model()
    p = types.SimpleNamespace(sd_model=model, extra_generation_params={}, scheduler="Automatic", sampler_name="Euler")
    script_obj = _ENTRY.SamplerLabScript()
    script_obj.process(p, *(getattr(settings, q.name) for q in params.PARAMS))
    with pytest.raises(ValueError, match=name):
        p.sample()


def test_infotext_round_trip():
    settings = Settings(
        s_churn=12.5,
        rho=5.0,
        rescale_enabled=True,
        phi=0.55,
        cads_enabled=True,
        tau1=0.4,
        cads_negative=True,
        cads_seed=77,
    )
    fields = params.infotext(settings, heun=True, karras=True)
    assert all(k.startswith("Sampler Lab ") for k in fields) and "Sampler Lab S_tmin" not in fields
    # As the host writes and reads an infotext line: "key: value" pairs joined by ", ".
    line = ", ".join(f"{k}: {v}" for k, v in fields.items())
    parsed = dict(part.split(": ", 1) for part in line.split(", "))
    # The pasted values fill the accordion's inputs (the CADS seed's text box gets digits), which come back as the
    # script's arguments.
    restored = Settings.from_args([script.paste_function(q)(parsed) for q in params.PARAMS])
    assert restored == settings
    assert Settings.from_args([script.paste_function(q)({}) for q in params.PARAMS]) == Settings()


def test_xyz_axes_apply_per_cell():
    class AxisOption:
        def __init__(self, label, type_, apply):
            self.label, self.type, self.apply = label, type_, apply

    xyz = types.SimpleNamespace(AxisOption=AxisOption, axis_options=[])
    script.add_xyz_axes(xyz)
    script.add_xyz_axes(xyz)
    labels = [a.label for a in xyz.axis_options]
    assert len(labels) == len(params.NUMERIC) == len(set(labels))
    axis = next(a for a in xyz.axis_options if a.label == "[Sampler Lab] CFG rescale phi")
    p = types.SimpleNamespace()
    axis.apply(p, axis.type("0.3"), None)
    s = Settings.from_args((), p.sampler_lab_xyz)
    assert s.phi == 0.3 and s.rescale_enabled


def test_api_arguments_by_name_or_position():
    assert Settings.from_args([{"phi": 0.2, "rescale_enabled": True}]) == Settings(phi=0.2, rescale_enabled=True)
    assert Settings.from_args([5.0]) == Settings(s_churn=5.0)
    with pytest.raises(ValueError, match="unknown"):
        Settings.from_args([{"nope": 1}])
