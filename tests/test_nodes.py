"""The ComfyUI adapter on the real host, in-process: node contract, schedules, sampler, patches."""

from __future__ import annotations

import math

import pytest
import torch

CONTRACT = {
    "SamplerLabKarrasSigmas": (["steps", "sigma_min", "sigma_max", "rho"], ("SIGMAS",)),
    "SamplerLabSpacingSigmas": (["model", "steps", "spacing"], ("SIGMAS",)),
    "SamplerLabZeroTerminalSNR": (["model"], ("MODEL",)),
    "SamplerLabHeunChurn": (["s_churn", "s_tmin", "s_tmax", "s_noise"], ("SAMPLER",)),
    "SamplerLabCFGRescale": (["model", "phi"], ("MODEL",)),
    "SamplerLabCADS": (["model", "noise_scale", "tau1", "tau2", "psi"], ("MODEL",)),
    "SamplerLabKSampler": (
        [
            "model",
            "seed",
            "steps",
            "cfg",
            "positive",
            "negative",
            "latent_image",
            "denoise",
            "rho",
            "s_churn",
            "s_tmin",
            "s_tmax",
            "s_noise",
        ],
        ("LATENT",),
    ),
}


@pytest.fixture(scope="module")
def pack(host):
    host.load_builtin_extra_nodes()
    return host.import_pack()


@pytest.fixture(scope="module")
def nodes(pack):
    """The pack's node instances by node id."""
    return {name: cls() for name, cls in pack.NODE_CLASS_MAPPINGS.items()}


@pytest.fixture(scope="module")
def core(pack):
    """The pack's science core (samplers/), as the pack imported it."""
    return pack.samplers


def sample_custom(model, sampler, sigmas, latent, seed=3, cfg=5.0, positive=None, negative=None, callback=None):
    """The host's SamplerCustom path with the host's own noise (seeded per batch index)."""
    import comfy.sample
    from hostlib import sd15_conditioning

    positive = positive or sd15_conditioning(1)
    negative = negative or sd15_conditioning(2)
    noise = comfy.sample.prepare_noise(latent["samples"], seed, latent.get("batch_index"))
    return comfy.sample.sample_custom(
        model,
        noise,
        cfg,
        sampler,
        sigmas,
        positive,
        negative,
        latent["samples"],
        callback=callback,
        disable_pbar=True,
        seed=seed,
    )


def model_state(model):
    """What a node must not change on its input model."""
    ms = model.get_model_object("model_sampling")
    return (
        repr(model.model_options),
        dict(model.object_patches),
        repr(model.wrappers),
        ms.sigmas.clone() if hasattr(ms, "sigmas") else None,
    )


def assert_state_equal(before, after):
    assert before[:3] == after[:3]
    if before[3] is not None:
        assert torch.equal(before[3], after[3])


def test_node_contract(pack):
    mappings = pack.NODE_CLASS_MAPPINGS
    assert set(CONTRACT) <= set(mappings)
    for node_id, (required, returns) in CONTRACT.items():
        cls = mappings[node_id]
        spec = cls.INPUT_TYPES()
        assert list(spec["required"]) == required, node_id
        assert cls.RETURN_TYPES == returns, node_id
        assert cls.DESCRIPTION.strip(), node_id
        assert cls.CATEGORY.startswith(("model/sampling", "model/patch")), node_id
        for section in ("required", "optional"):
            for name, (kind, *opts) in spec.get(section, {}).items():
                assert opts and opts[0].get("tooltip"), f"{node_id}.{name} has no tooltip"
                if section == "optional" and not kind.isupper() or kind in ("INT", "FLOAT", "BOOLEAN"):
                    if section == "optional":
                        assert "default" in opts[0], f"{node_id}.{name} optional without default"
        assert node_id in pack.NODE_DISPLAY_NAME_MAPPINGS
    assert pack.WEB_DIRECTORY == "./js"


def test_karras_sigmas_default_to_the_model_range(host, nodes):
    model = host.tiny_model("sd15_eps")
    ms = model.get_model_object("model_sampling")
    (sigmas,) = nodes["SamplerLabKarrasSigmas"].get_sigmas(10, 0.0, 0.0, 7.0, model=model)
    assert sigmas.shape == (11,)
    assert sigmas[0].item() == pytest.approx(float(ms.sigma_max), rel=1e-6)
    assert sigmas[-2].item() == pytest.approx(float(ms.sigma_min), rel=1e-6)
    assert sigmas[-1].item() == 0.0
    (explicit,) = nodes["SamplerLabKarrasSigmas"].get_sigmas(10, 0.1, 5.0, 3.0, model=model)
    assert explicit[0].item() == pytest.approx(5.0) and explicit[-2].item() == pytest.approx(0.1)


@pytest.mark.parametrize(
    "kwargs, word",
    [
        (dict(steps=10, sigma_min=0.0, sigma_max=0.0, rho=7.0), "model"),
        (dict(steps=10, sigma_min=1.0, sigma_max=0.5, rho=7.0), "sigma_min"),
        (dict(steps=10, sigma_min=0.1, sigma_max=10.0, rho=0.0), "rho"),
        (dict(steps=0, sigma_min=0.1, sigma_max=10.0, rho=7.0), "steps"),
    ],
)
def test_karras_sigmas_bad_input_names_the_input(nodes, kwargs, word):
    with pytest.raises(ValueError, match=word):
        nodes["SamplerLabKarrasSigmas"].get_sigmas(**kwargs)


def test_spacing_sigmas_from_the_model_schedule(host, nodes, core):
    model = host.tiny_model("sd15_eps")
    table = model.get_model_object("model_sampling").sigmas
    for spacing, first in (("trailing", 999), ("linspace", 999), ("leading", 900)):
        (sigmas,) = nodes["SamplerLabSpacingSigmas"].get_sigmas(model, 10, spacing)
        assert sigmas.shape == (11,) and sigmas[-1].item() == 0.0
        assert sigmas[0].item() == pytest.approx(table[first].item(), rel=1e-6), spacing
        expected = table[core.spacing_timesteps(spacing, 10, 1000)]
        torch.testing.assert_close(sigmas[:-1], expected.float())
    with pytest.raises(ValueError, match="steps"):
        nodes["SamplerLabSpacingSigmas"].get_sigmas(model, 1001, "trailing")


def test_discrete_only_nodes_refuse_a_continuous_model(host, nodes):
    import comfy_extras.nodes_model_advanced as advanced

    model = host.tiny_model("sd15_v")
    continuous = advanced.ModelSamplingContinuousEDM().patch(model, "v_prediction", 120.0, 0.002)[0]
    with pytest.raises(ValueError, match="model"):
        nodes["SamplerLabSpacingSigmas"].get_sigmas(continuous, 10, "trailing")
    with pytest.raises(ValueError, match="model"):
        nodes["SamplerLabZeroTerminalSNR"].patch(continuous)


def test_zero_terminal_snr_rescales_a_clone(host, nodes, core):
    model = host.tiny_model("sd15_v")
    before = model_state(model)
    (patched,) = nodes["SamplerLabZeroTerminalSNR"].patch(model)
    assert_state_equal(before, model_state(model))
    old = model.get_model_object("model_sampling").sigmas.double()
    new = patched.get_model_object("model_sampling").sigmas.double()
    sqrt_old, sqrt_new = (1 + old**2) ** -0.5, (1 + new**2) ** -0.5
    # Lin et al. Algorithm 1: sqrt(ᾱ) shifted so the last is 0 and scaled so the first is unchanged.
    expected = (sqrt_old - sqrt_old[-1]) * sqrt_old[0] / (sqrt_old[0] - sqrt_old[-1])
    torch.testing.assert_close(sqrt_new[:-1], expected[:-1], rtol=1e-4, atol=1e-7)
    assert math.isfinite(new[-1].item()) and new[-1].item() > 1000.0
    assert sqrt_new[-1].item() < 1e-3
    # It samples: trailing spacing starts at the finite stand-in for σ = ∞ and the result is finite.
    (sigmas,) = nodes["SamplerLabSpacingSigmas"].get_sigmas(patched, 4, "trailing")
    assert sigmas[0].item() == pytest.approx(new[-1].item(), rel=1e-6)
    heun = nodes["SamplerLabHeunChurn"].get_sampler(0.0, 0.0, 1e3, 1.0)[0]
    out = sample_custom(patched, heun, sigmas, host.latent(1))
    assert torch.isfinite(out).all()


def test_zero_terminal_snr_refuses_eps_prediction(host, nodes):
    with pytest.raises(ValueError, match="v-prediction"):
        nodes["SamplerLabZeroTerminalSNR"].patch(host.tiny_model("sd15_eps"))


def counting(model):
    """A clone of model whose diffusion-model calls are counted (list of σ per call)."""
    import comfy.patcher_extension

    calls = []

    def count(executor, x, t, *args, **kwargs):
        calls.append(t.clone())
        return executor(x, t, *args, **kwargs)

    m = model.clone()
    m.add_wrapper_with_key(comfy.patcher_extension.WrappersMP.APPLY_MODEL, "test_count", count)
    return m, calls


def test_heun_churn_sampler_costs_2n_minus_1_calls_and_reports_progress(host, nodes, core):
    model, calls = counting(host.tiny_model("sd15_eps"))
    sigmas = core.karras_sigmas(6, 0.0292, 14.61, 7.0)
    steps_seen = []
    sampler = nodes["SamplerLabHeunChurn"].get_sampler(0.0, 0.05, 50.0, 1.0)[0]
    out = sample_custom(
        model, sampler, sigmas, host.latent(1), callback=lambda i, x0, x, total: steps_seen.append((i, total))
    )
    assert torch.isfinite(out).all()
    assert len(calls) == 2 * 6 - 1
    assert steps_seen == [(i, 6) for i in range(6)]


def test_heun_churn_same_seed_same_result_and_per_sample_noise(host, nodes, core):
    model = host.tiny_model("sd15_eps")
    sigmas = core.karras_sigmas(5, 0.0292, 14.61, 7.0)
    churn = nodes["SamplerLabHeunChurn"].get_sampler(30.0, 0.0, 1e3, 1.0)[0]
    batch = sample_custom(model, churn, sigmas, host.latent(3), seed=11)
    again = sample_custom(model, churn, sigmas, host.latent(3), seed=11)
    assert torch.equal(batch, again)
    plain = sample_custom(
        model, nodes["SamplerLabHeunChurn"].get_sampler(0.0, 0.0, 1e3, 1.0)[0], sigmas, host.latent(3), seed=11
    )
    scale = batch.std().item()
    assert (batch - plain).abs().max().item() > 0.05 * scale  # churn does something
    for k in range(3):
        alone = sample_custom(model, churn, sigmas, {"samples": torch.zeros(1, 4, 16, 16), "batch_index": [k]}, seed=11)
        torch.testing.assert_close(alone[0], batch[k], rtol=1e-4, atol=1e-4 * scale)


def test_heun_churn_refuses_crossed_window_and_nan_latent(host, nodes, core):
    with pytest.raises(ValueError, match="s_tmin"):
        nodes["SamplerLabHeunChurn"].get_sampler(1.0, 5.0, 1.0, 1.0)
    bad = torch.zeros(1, 4, 16, 16)
    bad[0, 1, 2, 3] = float("inf")
    sampler = nodes["SamplerLabHeunChurn"].get_sampler(0.0, 0.0, 1e3, 1.0)[0]
    with pytest.raises(ValueError, match="latent_image"):
        sample_custom(host.tiny_model("sd15_eps"), sampler, core.karras_sigmas(3, 0.03, 14.6), {"samples": bad})


def ksampler(nodes, model, latent, seed=5, steps=4, denoise=1.0, rho=7.0, s_churn=10.0):
    from hostlib import sd15_conditioning

    return nodes["SamplerLabKSampler"].sample(
        model,
        seed,
        steps,
        5.0,
        sd15_conditioning(1),
        sd15_conditioning(2),
        latent,
        denoise,
        rho,
        s_churn,
        0.0,
        1e3,
        1.0,
    )[0]["samples"]


def test_ksampler_is_karras_plus_heun_churn_and_reproducible(host, nodes, core):
    model = host.tiny_model("sd15_eps")
    out = ksampler(nodes, model, host.latent(2))
    assert torch.equal(out, ksampler(nodes, model, host.latent(2)))
    ms = model.get_model_object("model_sampling")
    sigmas = core.karras_sigmas(4, float(ms.sigma_min), float(ms.sigma_max), 7.0)
    manual = sample_custom(
        model, nodes["SamplerLabHeunChurn"].get_sampler(10.0, 0.0, 1e3, 1.0)[0], sigmas, host.latent(2), seed=5
    )
    assert torch.equal(out, manual)
    alone = ksampler(nodes, model, {"samples": torch.zeros(1, 4, 16, 16), "batch_index": [1]})
    torch.testing.assert_close(alone[0], out[1], rtol=1e-4, atol=1e-4 * out.std().item())
    assert not torch.allclose(out, ksampler(nodes, model, host.latent(2), rho=1.0))


@pytest.mark.parametrize("denoise", [1.0, 0.5, 0.3])
def test_ksampler_matches_the_hosts_heun_karras_with_churn_off(host, nodes, denoise):
    """With S_churn = 0 the EDM KSampler is the host's KSampler with heun + karras (ρ = 7), partial denoise included."""
    from hostlib import ksample, sd15_conditioning

    model = host.tiny_model("sd15_eps")
    start = host.latent(2, seed=4)
    ours = ksampler(nodes, model, start, steps=4, denoise=denoise, s_churn=0.0)
    theirs = ksample(
        model,
        sd15_conditioning(1),
        sd15_conditioning(2),
        start,
        seed=5,
        steps=4,
        cfg=5.0,
        sampler_name="heun",
        scheduler="karras",
        denoise=denoise,
    )
    torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-4 * theirs.std().item())
    assert not torch.allclose(ours, start["samples"])


def test_ksampler_denoise_zero_and_bad_latent(host, nodes):
    model = host.tiny_model("sd15_eps")
    start = host.latent(1, seed=4)
    assert torch.equal(ksampler(nodes, model, start, denoise=0.0), start["samples"])
    bad = torch.zeros(1, 4, 16, 16)
    bad[0, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="latent_image"):
        ksampler(nodes, model, {"samples": bad})


def post_cfg_args(model, batch=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, 4, 8, 8, generator=g) * 3
    sigma = torch.tensor([0.5, 2.0, 9.0][:batch])
    cond, uncond = torch.randn(batch, 4, 8, 8, generator=g), torch.randn(batch, 4, 8, 8, generator=g) * 0.5
    guided = uncond + 7.0 * (cond - uncond)
    return {
        "denoised": guided,
        "cond_denoised": cond,
        "uncond_denoised": uncond,
        "sigma": sigma,
        "input": x,
        "cond_scale": 7.0,
        "model": model.model,
    }


def native(kind, x, sigma, denoised):
    """The model's own output for a denoised prediction, from the textbook formulas (x = x0 + σε, ComfyUI's scaling)."""
    s = sigma.view(-1, 1, 1, 1)
    if kind == "sd15_v":  # D = x/(σ²+1) − v·σ/sqrt(σ²+1)
        return (x / (s**2 + 1) - denoised) * (s**2 + 1) ** 0.5 / s
    return (x - denoised) / s  # ε for eps models; flow velocity ε − x0 for CONST (x = (1−σ)x0 + σε)


def from_native(kind, x, sigma, output):
    s = sigma.view(-1, 1, 1, 1)
    if kind == "sd15_v":
        return x / (s**2 + 1) - output * s / (s**2 + 1) ** 0.5
    return x - output * s


@pytest.mark.parametrize("kind", ["sd15_eps", "sd15_v", "flow"])
def test_cfg_rescale_works_in_the_model_prediction_space(host, nodes, core, kind):
    model = host.tiny_model(kind)
    before = model_state(model)
    (patched,) = nodes["SamplerLabCFGRescale"].patch(model, 0.7)
    assert_state_equal(before, model_state(model))
    (post_cfg,) = patched.model_options["sampler_post_cfg_function"]
    args = post_cfg_args(model)
    x, sigma = args["input"], args["sigma"]
    expected = from_native(
        kind,
        x,
        sigma,
        core.rescale_cfg(
            native(kind, x, sigma, args["cond_denoised"]), native(kind, x, sigma, args["uncond_denoised"]), 7.0, 0.7
        ),
    )
    torch.testing.assert_close(post_cfg(args), expected, rtol=1e-5, atol=1e-5)
    # per sample: changing sample 2 leaves samples 0 and 1 alone
    other = dict(args, cond_denoised=args["cond_denoised"].clone())
    other["cond_denoised"][2] *= 5
    torch.testing.assert_close(post_cfg(other)[:2], post_cfg(args)[:2])


def test_cfg_rescale_phi_zero_is_plain_cfg_and_chains(host, nodes):
    model = host.tiny_model("sd15_eps")
    from hostlib import ksample, sd15_conditioning

    pos, neg = sd15_conditioning(1), sd15_conditioning(2)
    plain = ksample(model, pos, neg, host.latent(2), seed=1, cfg=9.0)
    assert torch.equal(
        ksample(nodes["SamplerLabCFGRescale"].patch(model, 0.0)[0], pos, neg, host.latent(2), seed=1, cfg=9.0), plain
    )
    rescaled = ksample(nodes["SamplerLabCFGRescale"].patch(model, 1.0)[0], pos, neg, host.latent(2), seed=1, cfg=9.0)
    assert torch.isfinite(rescaled).all() and not torch.allclose(rescaled, plain)
    seen = []
    other = model.clone()
    other.set_model_sampler_post_cfg_function(lambda args: seen.append(1) or args["denoised"])
    (chained,) = nodes["SamplerLabCFGRescale"].patch(other, 1.0)
    assert len(chained.model_options["sampler_post_cfg_function"]) == 2
    torch.testing.assert_close(ksample(chained, pos, neg, host.latent(2), seed=1, cfg=9.0), rescaled)
    assert seen


def recorder(model):
    """A clone whose diffusion-model inputs (after any earlier wrappers) are recorded per call."""
    import comfy.patcher_extension

    calls = []

    def record(executor, x, t, c_concat, c_crossattn, control, transformer_options, **kwargs):
        calls.append(
            {
                "sigma": t.clone(),
                "c": c_crossattn.clone(),
                "y": kwargs.get("y").clone() if kwargs.get("y") is not None else None,
                "chunks": list(transformer_options["cond_or_uncond"]),
            }
        )
        return executor(x, t, c_concat, c_crossattn, control, transformer_options, **kwargs)

    m = model.clone()
    m.add_wrapper_with_key(comfy.patcher_extension.WrappersMP.APPLY_MODEL, "test_record", record)
    return m, calls


def cads_run(host, nodes, model, batch=2, latent=None, seed=7, **options):
    opts = dict(noise_scale=0.25, tau1=0.5, tau2=0.8, psi=1.0)
    opts.update(options)
    (patched,) = nodes["SamplerLabCADS"].patch(model, **opts)
    patched, calls = recorder(patched)
    pos, neg = host.sdxl_conditioning(1), host.sdxl_conditioning(2)
    out = host.ksample(patched, pos, neg, latent or host.latent(batch), seed=seed, steps=6, cfg=5.0)
    return out, calls, pos, neg


def rows_of(call, chunk):
    batch = call["c"].shape[0] // len(call["chunks"])
    return [r for r in range(call["c"].shape[0]) if call["chunks"][r // batch] == chunk]


def test_cads_noises_positive_tokens_and_pooled_only_at_high_noise(host, nodes, core):
    model = host.tiny_model("sdxl_eps")
    before = model_state(model)
    out, calls, pos, neg = cads_run(host, nodes, model)
    assert_state_equal(before, model_state(model))
    assert torch.isfinite(out).all()
    _, plain_calls, _, _ = cads_run(host, nodes, model, tau1=1.0, tau2=1.0)  # γ = 1 everywhere: no CADS
    ms = model.get_model_object("model_sampling")
    noised = clean = 0
    for call, plain in zip(calls, plain_calls):
        t = (ms.timestep(call["sigma"]).float() / 999.0)[0].item()
        gamma = core.cads_gamma(t, 0.5, 0.8)
        pos_rows, neg_rows = rows_of(call, 0), rows_of(call, 1)
        assert torch.equal(call["c"][neg_rows], plain["c"][neg_rows])  # negative untouched
        assert torch.equal(call["y"][:, 1280:], plain["y"][:, 1280:])  # size embeddings untouched
        if gamma >= 1.0:
            clean += 1
            assert torch.equal(call["c"], plain["c"]) and torch.equal(call["y"], plain["y"])
        else:
            noised += 1
            assert not torch.allclose(call["c"][pos_rows], plain["c"][pos_rows])
            assert not torch.allclose(call["y"][pos_rows, :1280], plain["y"][pos_rows, :1280])
            c = call["c"][pos_rows].double()  # rescaled (ψ = 1) to the clean tokens' per-sample mean/std
            ref = plain["c"][pos_rows].double()
            torch.testing.assert_close(c.mean(dim=(1, 2)), ref.mean(dim=(1, 2)), atol=1e-4, rtol=0)
            torch.testing.assert_close(c.std(dim=(1, 2)), ref.std(dim=(1, 2)), rtol=1e-4, atol=0)
    assert noised >= 2 and clean >= 2
    deltas = [
        call["c"] - plain["c"] for call, plain in zip(calls, plain_calls) if not torch.equal(call["c"], plain["c"])
    ]
    assert not torch.allclose(deltas[0], deltas[1])  # fresh noise at each call


def test_cads_without_rescale_follows_the_formula(host, nodes):
    model = host.tiny_model("sdxl_eps")
    ms = model.get_model_object("model_sampling")
    _, calls, _, _ = cads_run(host, nodes, model, batch=1, tau1=0.0, tau2=0.01, rescale=False, noise_scale=0.5)
    checked = 0
    for call in calls:  # γ = 0 wherever t ≥ τ2: ŷ = s·n with n standard normal
        if (ms.timestep(call["sigma"]).float() / 999.0)[0].item() >= 0.01:
            noise = call["c"][rows_of(call, 0)] / 0.5
            assert abs(noise.mean().item()) < 0.02 and abs(noise.std().item() - 1.0) < 0.02
            checked += 1
    assert checked >= 3


def test_cads_noise_is_per_sample_and_reproducible(host, nodes):
    model = host.tiny_model("sdxl_eps")
    batch_out, batch_calls, _, _ = cads_run(host, nodes, model, batch=3, seed=9)
    again, _, _, _ = cads_run(host, nodes, model, batch=3, seed=9)
    assert torch.equal(batch_out, again)
    alone_out, alone_calls, _, _ = cads_run(
        host, nodes, model, latent={"samples": torch.zeros(1, 4, 16, 16), "batch_index": [2]}, seed=9
    )
    for call, single in zip(batch_calls, alone_calls):
        torch.testing.assert_close(single["c"][rows_of(single, 0)][0], call["c"][rows_of(call, 0)][2])
    torch.testing.assert_close(alone_out[0], batch_out[2], rtol=1e-4, atol=1e-4 * batch_out.std().item())


def test_cads_gives_each_entry_of_a_combined_conditioning_its_own_stream(host, nodes):
    """The stream scheme of samplers/seeds.py: entry j of a combined CONDITIONING is prompt j (the web UIs' AND-prompt
    j), so entry 0 gets the noise the conditioning gets alone and entry 1, though equal to it, gets other noise."""
    model = host.tiny_model("sdxl_eps")
    pos, neg = host.sdxl_conditioning(1), host.sdxl_conditioning(2)
    runs = []
    for positive in (pos, pos + pos):  # the host's ConditioningCombine is this concatenation
        patched, calls = recorder(nodes["SamplerLabCADS"].patch(model, 0.25, 0.5, 0.8, 1.0)[0])
        host.ksample(patched, positive, neg, host.latent(1), seed=7, steps=6, cfg=5.0)
        runs.append({call["sigma"][0].item(): call for call in calls if call["chunks"].count(0) == len(positive)})
    alone, combined = runs
    noised = [sigma for sigma in alone if not torch.equal(alone[sigma]["c"][rows_of(alone[sigma], 0)], pos[0][0])]
    assert len(noised) >= 2 and set(noised) <= set(combined)
    for sigma in noised:  # the host may batch the two entries in either order
        entries = combined[sigma]["c"][rows_of(combined[sigma], 0)]
        same = [torch.allclose(entry, alone[sigma]["c"][rows_of(alone[sigma], 0)][0]) for entry in entries]
        assert sorted(same) == [False, True], same


def test_cads_options_and_bad_input(host, nodes):
    model = host.tiny_model("sdxl_eps")
    _, calls, _, _ = cads_run(host, nodes, model, apply_to_negative=True)
    _, plain_calls, _, _ = cads_run(host, nodes, model, tau1=1.0, tau2=1.0)
    assert any(not torch.equal(c["c"][rows_of(c, 1)], p["c"][rows_of(p, 1)]) for c, p in zip(calls, plain_calls))
    with pytest.raises(ValueError, match="tau1"):
        nodes["SamplerLabCADS"].patch(model, 0.25, 0.9, 0.6, 1.0)


def test_ksampler_reports_progress_through_the_host_hook(host, nodes, monkeypatch):
    import comfy.utils

    # Newer hosts (0.33) throttle the hook to one call per 100 ms between the first and the last step.
    monkeypatch.setattr(comfy.utils, "PROGRESS_THROTTLE_MIN_INTERVAL", 0.0, raising=False)
    seen = []
    previous = comfy.utils.PROGRESS_BAR_HOOK
    comfy.utils.set_progress_bar_global_hook(lambda value, total, preview, node_id=None: seen.append((value, total)))
    try:
        ksampler(nodes, host.tiny_model("sd15_eps"), host.latent(1), steps=5)
    finally:
        comfy.utils.set_progress_bar_global_hook(previous)
    assert seen[-5:] == [(i, 5) for i in range(1, 6)]


def test_model_sampling_on_cpu_follows_buffer_changes(host):
    """CADS computes γ(t) on a CPU copy of model_sampling (no device sync per call); the copy follows the original."""
    import importlib

    on_cpu = importlib.import_module(host.import_pack().__name__ + ".nodes.host").on_cpu
    ms = host.tiny_model("sd15_eps").get_model_object("model_sampling")
    first = on_cpu(ms)
    assert first is not ms and all(b.device.type == "cpu" for b in first.buffers())
    assert torch.equal(first.sigmas, ms.sigmas) and on_cpu(ms) is first
    ms = __import__("copy").deepcopy(ms)
    ms.set_sigmas(ms.sigmas * 2)  # the host's way to change a schedule: new buffers, so a new copy
    assert on_cpu(ms) is not first and torch.equal(on_cpu(ms).sigmas, ms.sigmas)
