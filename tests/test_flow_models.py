"""Flow models (CONST: x = (1 − t)·x0 + t·n) on the real host: our Heun + churn sampler in SamplerCustom.

The MODEL is the exact denoiser of 16 weighted points in 3-D (`hostlib.exact_flow_model`): its network returns, through
the host's own input scaling and `calculate_denoised`, E[x0 | x] at the exact level of each call.
"""

from __future__ import annotations

import math

import pytest
import torch

POINTS, SAMPLES, STEPS = 16, 2000, 30


@pytest.fixture(scope="module")
def pack(host):
    host.load_builtin_extra_nodes()
    return host.import_pack()


@pytest.fixture(scope="module")
def core(pack):
    return pack.samplers


@pytest.fixture(scope="module")
def points():
    """16 points in 3-D with unequal weights (0.02–0.10), at least 0.24 apart, as [K, 3, 1, 1] latents."""
    g = torch.Generator().manual_seed(0)
    means = torch.randn(POINTS, 3, generator=g, dtype=torch.float64)
    return means.reshape(POINTS, 3, 1, 1), torch.rand(POINTS, generator=g, dtype=torch.float64) + 0.25


@pytest.fixture(scope="module")
def flow_model(host, core, points):
    """ModelType.FLOW on ModelSamplingDiscreteFlow (shift 3), the exact flow denoiser of `points`."""
    exact = core.denoiser_in_form(core.gaussian_mixture_denoiser(*points, 0.0), core.FLOW)
    return host.exact_flow_model(exact, channels=3)


@pytest.fixture(scope="module")
def tiny_flow(host):
    """The tiny SD1-shaped UNet as a flow model (ModelSamplingDiscreteFlow, shift 3), random weights."""
    return host.tiny_model("flow")


def sample(model, sampler, sigmas, latent, cfg=1.0, positive=None, negative=None, seed=3):
    """The host's SamplerCustom path with its own noise; by default cfg 1 (the exact denoiser is used as it is)."""
    import comfy.sample

    cond = [[torch.zeros(1, 1, 8), {}]]
    noise = comfy.sample.prepare_noise(latent, seed)
    return comfy.sample.sample_custom(
        model, noise, cfg, sampler, sigmas, positive or cond, negative or cond, latent, disable_pbar=True, seed=seed
    )


def points_latent(batch):
    return torch.zeros(batch, 3, 1, 1)


def simple_sigmas(model, steps):
    import comfy.samplers

    return comfy.samplers.calculate_sigmas(model.get_model_object("model_sampling"), "simple", steps)


def nearest_point_tv(samples, means, weights):
    """Total variation between the points' weights and the share of samples nearest to each point."""
    nearest = torch.cdist(samples.reshape(len(samples), -1).double(), means.reshape(len(means), -1)).argmin(dim=1)
    share = torch.bincount(nearest, minlength=len(means)).double() / len(samples)
    return 0.5 * (share - weights / weights.sum()).abs().sum().item()


def tv_noise_bound(points, samples, p_fail=1e-6):
    """Exceeded by n independent samples of the true weights with probability < p_fail: E[TV] ≤ ½√((K − 1)/n)
    (Cauchy–Schwarz) plus McDiarmid's √(ln(1/p_fail)/(2n)) (one sample moves TV by at most 1/n)."""
    return 0.5 * math.sqrt((points - 1) / samples) + math.sqrt(math.log(1 / p_fail) / (2 * samples))


def test_the_sampler_sees_the_flow_form_of_const_models(host, pack, flow_model, tiny_flow):
    """`model_form` on the wrapper a host sampler function receives: FLOW for CONST models, VE for v prediction."""
    import comfy.samplers

    seen = []

    def probe(model, x, sigmas, **kwargs):
        seen.append(pack.nodes.host.model_form(model))
        return x

    for model, latent in (
        (flow_model, points_latent(1)),
        (tiny_flow, host.latent(1)["samples"]),
        (host.tiny_model("sd15_v"), host.latent(1)["samples"]),
    ):
        sample(model, comfy.samplers.KSAMPLER(probe), simple_sigmas(model, 2), latent)
    assert seen == [pack.samplers.FLOW, pack.samplers.FLOW, pack.samplers.VE]


@pytest.mark.parametrize("kind", ["exact", "tiny_unet"])
def test_without_churn_it_is_the_hosts_heun_on_flow_models(host, pack, flow_model, tiny_flow, kind):
    """S_churn = 0 on flow models (SamplerCustom, the host's `simple` schedule from t = 1): the host's `heun`."""
    import comfy.samplers

    ours = pack.NODE_CLASS_MAPPINGS["SamplerLabHeunChurn"]().get_sampler(0.0, 0.05, 50.0, 1.003)[0]
    theirs = comfy.samplers.sampler_object("heun")
    if kind == "exact":
        model, latent, guidance = flow_model, points_latent(64), {}
    else:
        model, latent = tiny_flow, host.latent(2)["samples"]
        guidance = dict(cfg=5.0, positive=host.sd15_conditioning(1), negative=host.sd15_conditioning(2))
    sigmas = simple_sigmas(model, 3)
    assert sigmas[0].item() == 1.0
    expected = sample(model, theirs, sigmas, latent, **guidance)
    torch.testing.assert_close(
        sample(model, ours, sigmas, latent, **guidance), expected, rtol=1e-5, atol=1e-5 * expected.std().item()
    )


@pytest.mark.parametrize("s_churn", [0.0, 40.0])
def test_churn_keeps_the_data_weights_on_a_flow_model(pack, flow_model, points, s_churn):
    """SamplerLabHeunChurn (S_tmin 0.05, S_tmax 50, S_noise 1) over the host's `simple` schedule of 30 steps from
    t = 1: the samples keep the points' weights within sampling noise (churn noise added the VE way: TV 0.37)."""
    sampler = pack.NODE_CLASS_MAPPINGS["SamplerLabHeunChurn"]().get_sampler(s_churn, 0.05, 50.0, 1.0)[0]
    out = sample(flow_model, sampler, simple_sigmas(flow_model, STEPS), points_latent(SAMPLES))
    assert nearest_point_tv(out, *points) < tv_noise_bound(POINTS, SAMPLES)


def test_karras_nodes_run_eq5_over_the_noise_level_of_a_flow_model(pack, core, flow_model, points):
    """Karras Sigmas and the EDM KSampler on a flow model: eq. 5 over σ = t/(1 − t) from σ(t_min) to 80 (σ(1) is
    infinite), in t; the KSampler samples with exactly that schedule (compared through SamplerCustom)."""
    nodes = pack.NODE_CLASS_MAPPINGS
    ms = flow_model.get_model_object("model_sampling")
    t_min = float(ms.sigma_min)
    (levels,) = nodes["SamplerLabKarrasSigmas"]().get_sigmas(8, 0.0, 0.0, 7.0, flow_model)
    expected = core.karras_sigmas(8, t_min / (1 - t_min), 80.0, 7.0, dtype=torch.float64)
    torch.testing.assert_close(levels.double(), expected / (1 + expected), rtol=1e-6, atol=0)
    (explicit,) = nodes["SamplerLabKarrasSigmas"]().get_sigmas(8, 0.5, 9.0, 7.0, flow_model)  # inputs are σ, not t
    assert explicit[0].item() == pytest.approx(0.9) and explicit[-2].item() == pytest.approx(1 / 3)
    (ve_levels,) = nodes["SamplerLabKarrasSigmas"]().get_sigmas(8, 0.0292, 14.6146, 7.0)  # no model: VE, as before
    assert torch.equal(ve_levels, core.karras_sigmas(8, 0.0292, 14.6146, 7.0))
    cond = [[torch.zeros(1, 1, 8), {}]]
    latent = {"samples": points_latent(4)}
    (out,) = nodes["SamplerLabKSampler"]().sample(
        flow_model, 3, 8, 1.0, cond, cond, latent, 1.0, 7.0, 0.0, 0.05, 50.0, 1.0
    )
    custom = sample(
        flow_model, nodes["SamplerLabHeunChurn"]().get_sampler(0.0, 0.05, 50.0, 1.0)[0], levels, points_latent(4)
    )
    torch.testing.assert_close(out["samples"], custom, rtol=1e-5, atol=1e-6)
