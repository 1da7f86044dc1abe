"""EDM Algorithm 2 and Euler against an analytic oracle: the exact denoiser of a Gaussian mixture."""

from __future__ import annotations

import math

import pytest
import torch

import loader

S = loader.core()

SIGMA_MAX, SIGMA_END, DIM = 80.0, 0.05, 64


@pytest.fixture(scope="module")
def mixture():
    g = torch.Generator().manual_seed(0)
    means = torch.randn(6, DIM, generator=g, dtype=torch.float64)
    weights = torch.rand(6, generator=g, dtype=torch.float64) + 0.5
    return means, weights, 0.2


def start(batch=64, seed=1):
    return torch.randn(batch, DIM, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * SIGMA_MAX


def schedule(steps, rho=7.0):
    """Karras schedule ending at SIGMA_END (no final 0), so every step is a full Heun step of the same ODE."""
    return S.karras_sigmas(steps, SIGMA_END, SIGMA_MAX, rho)[:-1].double()


def rmse(a, b):
    return ((a - b) ** 2).mean().sqrt().item()


def log_density(x, sigma, means, weights, std):
    """log p(x; σ) of the noised mixture Σ w_k N(μ_k, (s² + σ²)I), written out directly."""
    var = std**2 + sigma**2
    sq = ((x[:, None, :] - means[None]) ** 2).sum(-1)
    log_norm = -0.5 * means.shape[1] * torch.log(2 * math.pi * var)
    return torch.logsumexp((weights / weights.sum()).log() + log_norm[:, None] - sq / (2 * var[:, None]), dim=1)


@pytest.mark.parametrize("std", [0.2, 0.0])
def test_mixture_denoiser_satisfies_tweedie(mixture, std):
    """EDM eq. 3: ∇ log p(x; σ) = (D(x; σ) − x)/σ², so D = x + σ²∇ log p, checked with autograd."""
    means, weights, _ = mixture
    denoiser = S.gaussian_mixture_denoiser(means, weights, std)
    sigma = torch.tensor([0.3, 0.7, 1.5, 4.0, 20.0], dtype=torch.float64)
    centre = means[torch.tensor([0, 1, 2, 3, 4])]
    x = centre + sigma[:, None] * torch.randn(5, DIM, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    x.requires_grad_(True)
    (grad,) = torch.autograd.grad(log_density(x, sigma, means, weights, std).sum(), x)
    torch.testing.assert_close(
        denoiser(x.detach(), sigma), x.detach() + sigma[:, None] ** 2 * grad, rtol=1e-9, atol=1e-9
    )


def test_mixture_denoiser_limits(mixture):
    means, weights, _ = mixture
    x = start(4) / 40
    points = S.gaussian_mixture_denoiser(means, weights, 0.0)  # empirical data set: tiny σ snaps to the nearest point
    nearest = means[torch.cdist(x, means).argmin(dim=1)]
    torch.testing.assert_close(points(x, torch.full((4,), 1e-3, dtype=torch.float64)), nearest)
    far = S.gaussian_mixture_denoiser(means, weights, 0.2)(x, torch.full((4,), 1e6, dtype=torch.float64))
    torch.testing.assert_close(far, (weights[:, None] / weights.sum() * means).sum(0).expand(4, DIM), atol=1e-6, rtol=0)
    half = S.gaussian_mixture_denoiser(means, weights, 0.2)(x.half(), torch.ones(4))
    assert half.dtype == torch.float16 and torch.isfinite(half).all()


@pytest.fixture(scope="module")
def reference(mixture):
    """Heun with 2048 steps, checked converged against 1024 (halving) far below the errors measured below."""
    x = start()
    denoiser = S.gaussian_mixture_denoiser(*mixture)
    fine = S.sample_heun_churn(denoiser, x, schedule(1024))
    finer = S.sample_heun_churn(denoiser, x, schedule(2048))
    return x, finer, rmse(fine, finer)


def test_heun_is_second_order_and_euler_first_order(mixture, reference):
    x, ref, ref_error = reference
    denoiser = S.gaussian_mixture_denoiser(*mixture)
    heun = [rmse(S.sample_heun_churn(denoiser, x, schedule(n)), ref) for n in (32, 64, 128)]
    euler = [rmse(S.sample_euler(denoiser, x, schedule(n)), ref) for n in (64, 128, 256)]
    assert ref_error < 0.05 * heun[-1]
    for coarse, fine in zip(heun, heun[1:]):
        assert 3.0 < coarse / fine < 5.5, heun
    for coarse, fine in zip(euler, euler[1:]):
        assert 1.6 < coarse / fine < 2.5, euler
    assert heun[1] < euler[-1]  # 127 evaluations of Heun beat 256 of Euler


def counted(denoiser):
    calls = []

    def wrapped(x, sigma):
        calls.append(sigma.clone())
        return denoiser(x, sigma)

    return wrapped, calls


def test_evaluation_counts_and_sigma_shape(mixture):
    denoiser, calls = counted(S.gaussian_mixture_denoiser(*mixture))
    S.sample_heun_churn(denoiser, start(2), S.karras_sigmas(10, 0.01, 80.0).double())  # ends in 0
    assert len(calls) == 2 * 10 - 1
    assert all(c.shape == (2,) and c.dtype == torch.float64 for c in calls)  # float64 sigmas are kept
    assert calls[-1].tolist() == pytest.approx([0.01, 0.01]) and (calls[-1] > 0).all()  # never called at σ = 0
    calls.clear()
    S.sample_heun_churn(denoiser, start(2), schedule(10))  # 9 steps ending above 0
    assert len(calls) == 2 * 9
    calls.clear()
    S.sample_euler(denoiser, start(2).half(), S.karras_sigmas(10, 0.01, 80.0).half())
    assert len(calls) == 10 and all(c.dtype == torch.float32 for c in calls)  # σ arithmetic in float32 at least
    calls.clear()
    S.sample_euler(denoiser, start(2), S.karras_sigmas(10, 0.01, 80.0))
    assert all(c.dtype == torch.float64 for c in calls)  # and never narrower than x


def test_callback_reports_every_step():
    seen = {}
    for name, sampler in (("heun", S.sample_heun_churn), ("euler", S.sample_euler)):
        seen[name] = []
        sampler(lambda x, sigma: 0.5 * x, torch.ones(2, 3), S.karras_sigmas(5, 0.1, 10.0), callback=seen[name].append)
        assert [s["i"] for s in seen[name]] == list(range(5))
        assert set(seen[name][0]) == {"i", "x", "sigma", "sigma_hat", "denoised"}
        torch.testing.assert_close(seen[name][0]["denoised"], 0.5 * seen[name][0]["x"])


def test_churn_noise_is_injected_at_sigma_hat_with_the_right_std():
    sigmas = S.karras_sigmas(8, 0.02, 80.0, 7.0)
    s_churn, s_tmin, s_tmax, s_noise = 2.0, 0.1, float(sigmas[2]), 1.3  # s_tmax exactly σ_2: bounds are inclusive
    steps, seen = [], []
    # identity denoiser: d = 0, so x moves only by the churn noise, and D sees x̂ at σ̂
    S.sample_heun_churn(
        lambda x, sigma: seen.append((x.clone(), sigma.clone())) or x,
        torch.zeros(16, 4096),
        sigmas,
        s_churn=s_churn,
        s_tmin=s_tmin,
        s_tmax=s_tmax,
        s_noise=s_noise,
        callback=lambda info: steps.append({k: (v.clone() if torch.is_tensor(v) else v) for k, v in info.items()}),
    )
    previous = torch.zeros(16, 4096)
    gammas = []
    for s in steps:
        sigma = s["sigma"].item()
        gamma = min(s_churn / 8, 2**0.5 - 1) if s_tmin <= sigma <= s_tmax else 0.0
        gammas.append(gamma)
        assert s["sigma_hat"].item() == pytest.approx(sigma * (1 + gamma), rel=1e-6)
        assert any(torch.equal(x, s["x"]) and torch.equal(sig, s["sigma_hat"].expand(16)) for x, sig in seen)
        added = s["x"] - previous
        if gamma == 0:
            assert torch.equal(added, torch.zeros_like(added))
        else:
            expected_std = math.sqrt(s["sigma_hat"].item() ** 2 - sigma**2) * s_noise
            assert added.std().item() == pytest.approx(expected_std, rel=0.03)
            assert abs(added.mean().item()) < 0.03 * expected_std
        previous = s["x"]
    assert gammas == [0.0, 0.0, 0.25, 0.25, 0.25, 0.25, 0.25, 0.0]


def test_gamma_is_capped_at_sqrt2_minus_1():
    hats = []
    S.sample_heun_churn(
        lambda x, sigma: x,
        torch.zeros(2, 3),
        S.karras_sigmas(4, 0.1, 10.0),
        s_churn=1000.0,
        callback=lambda info: hats.append((info["sigma_hat"] / info["sigma"]).item()),
    )
    assert hats == pytest.approx([2**0.5] * 4, rel=1e-6)


def gaussian_denoiser(x, sigma):
    """Ideal denoiser of N(0, I) data, elementwise, so a sample's result cannot depend on its batch."""
    sigma = sigma.reshape(-1, *([1] * (x.ndim - 1)))
    return x / (1 + sigma**2)


def test_per_sample_noise_is_independent_of_the_batch():
    x = torch.randn(3, 4, 8, 8, generator=torch.Generator().manual_seed(4)) * 10
    sigmas = S.karras_sigmas(6, 0.01, 10.0)
    run = lambda x, seeds: S.sample_heun_churn(
        gaussian_denoiser, x, sigmas, s_churn=20.0, noise_sampler=S.per_sample_noise_sampler(x, seeds)
    )
    batch = run(x, [5, 6, 7])
    assert torch.equal(batch, run(x, [5, 6, 7]))
    for k, seed in enumerate([5, 6, 7]):
        assert torch.equal(run(x[k : k + 1], [seed])[0], batch[k])
    other = run(x, [5, 9, 7])
    assert not torch.allclose(other[1], batch[1]) and torch.equal(other[0], batch[0])
    assert torch.equal(S.sample_heun_churn(gaussian_denoiser, x, sigmas, s_churn=20.0), run(x, [0, 1, 2]))
    default = S.sample_heun_churn(gaussian_denoiser, x, sigmas, s_churn=20.0)  # seeded, not the global RNG
    torch.manual_seed(123)
    assert torch.equal(default, S.sample_heun_churn(gaussian_denoiser, x, sigmas, s_churn=20.0))
    noise = S.per_sample_noise_sampler(x.double(), [5, 6, 7])(sigmas[0], sigmas[0])
    assert noise.dtype == torch.float64 and noise.shape == x.shape
    with pytest.raises(ValueError, match="seeds"):
        S.per_sample_noise_sampler(x, [1, 2])


@pytest.mark.parametrize(
    "change, name",
    [
        (lambda x, s: (x.index_fill(1, torch.tensor([0]), float("nan")), s), r"\bx\b"),
        (lambda x, s: (x.index_fill(1, torch.tensor([0]), float("inf")), s), r"\bx\b"),
        (lambda x, s: (x, torch.cat([s[:1] * float("inf"), s[1:]])), "sigmas"),
        (lambda x, s: (x, torch.cat([s[:2], s[2:3] * float("nan"), s[3:]])), "sigmas"),
        (lambda x, s: (x, s.flip(0)), "sigmas"),
        (lambda x, s: (x, s[:1]), "sigmas"),
        (lambda x, s: (x, s[None]), "sigmas"),
        (lambda x, s: (x, s - 0.2), "sigmas"),
        (lambda x, s: (x, torch.cat([s[:2], s.new_zeros(2)])), "sigmas"),  # 0 before the end would divide by 0
    ],
)
def test_bad_input_is_refused_before_the_loop(change, name):
    calls = []
    x, sigmas = change(torch.zeros(2, 4), S.karras_sigmas(4, 0.1, 10.0))
    for sampler in (S.sample_heun_churn, S.sample_euler):
        with pytest.raises(ValueError, match=name):
            sampler(lambda x, sigma: calls.append(1) or x, x, sigmas)
    assert not calls


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(s_churn=-1.0), "s_churn"),
        (dict(s_churn=float("nan")), "s_churn"),
        (dict(s_noise=-0.1), "s_noise"),
        (dict(s_tmin=5.0, s_tmax=1.0), "s_tmin"),
        (dict(s_tmin=float("nan")), "s_tmin"),
    ],
)
def test_bad_churn_settings_are_refused(kwargs, name):
    with pytest.raises(ValueError, match=name):
        S.sample_heun_churn(lambda x, sigma: x, torch.zeros(1, 2), S.karras_sigmas(3, 0.1, 10.0), **kwargs)


def test_integer_x_is_a_type_error():
    with pytest.raises(TypeError, match=r"\bx\b"):
        S.sample_heun_churn(lambda x, sigma: x, torch.zeros(1, 2, dtype=torch.long), S.karras_sigmas(3, 0.1, 10.0))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_stays_close_to_float32(mixture, dtype):
    denoiser = S.gaussian_mixture_denoiser(*mixture)
    x = start(8).float()
    sigmas = S.karras_sigmas(10, 0.01, 80.0)
    for sampler, kwargs in ((S.sample_heun_churn, dict(s_churn=5.0)), (S.sample_euler, {})):
        full = sampler(denoiser, x, sigmas, **kwargs)
        half = sampler(denoiser, x.to(dtype), sigmas, **kwargs)
        assert half.dtype == dtype and torch.isfinite(half).all()
        assert rmse(half.float(), full) < 0.05 * full.std().item()


def test_churn_gammas_follow_algorithm_2():
    sigmas = [80.0, 50.0, 10.0, 0.05, 0.04, 0.0]
    cap = math.sqrt(2) - 1
    assert S.churn_gammas(sigmas, 1.0, 0.05, 50.0) == [0.0, 0.2, 0.2, 0.2, 0.0]  # S_churn/N inside [S_tmin, S_tmax]
    assert S.churn_gammas(sigmas, 100.0, 0.0, math.inf) == [cap] * 5
    assert S.churn_gammas(sigmas, 0.0, 0.0, math.inf) == [0.0] * 5


def test_seed_scheme_per_sample_and_per_call():
    noise = torch.randn(3, 4, 8, 8, generator=torch.Generator().manual_seed(0))
    seeds = S.sample_seeds(7, noise, 3)
    assert S.sample_seeds(7, noise[1:2], 1) == seeds[1:2]  # a sample's seed depends on its own noise, not the batch
    assert len(set(seeds)) == 3 and all(0 <= s < 2**63 for s in seeds)
    assert S.sample_seeds(8, noise, 3) != seeds
    assert S.sample_seeds(7, torch.zeros(2, 4), 2) == S.sample_seeds(7, None, 2)  # no noise: by position
    calls = {S.call_seed(seeds[0], sigma, stream) for sigma in (14.6, 3.0) for stream in (0, 1, 2)}
    assert len(calls) == 6 and S.call_seed(seeds[0], 3.0, 1) == S.call_seed(seeds[0], 3.0, 1)
    rows = S.seeded_normal([5, 9, 11], (2, 3))
    assert torch.equal(S.seeded_normal([9], (2, 3))[0], rows[1])
    assert torch.equal(rows[0], torch.randn(2, 3, generator=torch.Generator().manual_seed(5)))
    assert S.seeded_normal([5], (2,), dtype=torch.float16).dtype == torch.float16


def test_the_euler_step_does_not_overflow_at_a_tiny_sigma():
    """dx/dσ = (x − D)/σ overflows float32 at σ = 1e-39 with x − D = 1; the step (σ_next/σ − 1)·(x − D) does not."""
    x = torch.ones(2, 3)

    def offset(x, sigma):
        return x - 1

    tiny = torch.tensor([1e-39, 0.0])
    for out in (S.sample_euler(offset, x, tiny), S.sample_heun_churn(offset, x, tiny)):
        torch.testing.assert_close(out, torch.zeros_like(x))
    torch.testing.assert_close(S.sample_euler(offset, x, torch.tensor([1.0, 1e-39, 0.0])), torch.full_like(x, -1.0))


def test_model_forms_follow_edm_eq_4():
    """x = s(t)·(x0 + σ(t)·n): VE is s = 1, σ = t; flow is s = 1 − t, σ = t/(1 − t), t(σ) = σ/(1 + σ)."""
    assert (S.VE.sigma(3.5), S.VE.scale(3.5), S.VE.level(3.5)) == (3.5, 1.0, 3.5)
    assert (S.FLOW.sigma(0.75), S.FLOW.scale(0.75), S.FLOW.level(3.0)) == (3.0, 0.25, 0.75)
    assert (S.FLOW.sigma(1.0), S.FLOW.level(math.inf), S.FLOW.sigma(0.0), S.FLOW.level(0.0)) == (math.inf, 1.0, 0, 0)
    for t in (1e-6, 0.02, 0.5, 0.98, 1 - 1e-9):
        assert S.FLOW.level(S.FLOW.sigma(t)) == pytest.approx(t, rel=1e-12)
        assert S.FLOW.scale(t) * S.FLOW.sigma(t) == pytest.approx(t, rel=1e-6)  # the noise's std in x is t


@pytest.mark.parametrize("std", [0.2, 0.0])
def test_flow_denoiser_is_the_posterior_mean_of_the_flow_state(mixture, std):
    """E[x0 | (1 − t)·x0 + t·n = x], written out: given component k, x ~ N((1 − t)μ_k, ((1 − t)²s² + t²)I) and
    E[x0 | x, k] = μ_k + (1 − t)s²(x − (1 − t)μ_k)/((1 − t)²s² + t²); t = 1 gives the data mean."""
    means, weights, _ = mixture
    t = torch.tensor([0.05, 0.3, 0.7, 0.95, 1.0], dtype=torch.float64)
    n = torch.randn(5, DIM, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    x = (1 - t[:, None]) * means[:5] + t[:, None] * n
    a, var = (1 - t)[:, None, None], ((1 - t) ** 2 * std**2 + t**2)[:, None, None]
    resid = x[:, None, :] - a * means[None]  # [B, K, D]
    r = torch.softmax((weights / weights.sum()).log() - (resid**2).sum(-1) / (2 * var[..., 0]), dim=1)
    expected = (r[..., None] * (means[None] + a * std**2 * resid / var)).sum(1)
    flow = S.denoiser_in_form(S.gaussian_mixture_denoiser(means, weights, std), S.FLOW)
    torch.testing.assert_close(flow(x, t), expected, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(flow(x[-1:], t[-1]), (weights[:, None] / weights.sum() * means).sum(0, keepdim=True))
    ve, sigma = S.gaussian_mixture_denoiser(means, weights, std), torch.tensor([0.3, 1.0, 4.0, 20.0, 80.0])
    assert torch.equal(S.denoiser_in_form(ve, S.VE)(x, sigma), ve(x, sigma))


def flow_levels(steps, shift=3.0):
    """t from 1 to 0 shifted as SD3's time_snr_shift, t' = shift·t/(1 + (shift − 1)·t): the host's `simple` schedule
    over ModelSamplingDiscreteFlow(shift 3) to within its 1/1000 grid, first level exactly 1."""
    t = torch.linspace(1.0, 0.0, steps + 1, dtype=torch.float64)
    return shift * t / (1 + (shift - 1) * t)


def test_flow_churn_keeps_the_state_on_the_flow_marginal():
    """One data point μ: the flow ODE keeps x = (1 − t)μ + t·n exactly, and churn (line 6 in x̃ = x/s) must give
    x̂ = (1 − t̂)μ + t̂·n' at t̂ = t(σ(t)(1 + γ)): mean (1 − t̂)μ, std t̂ (the VE rule would keep the mean (1 − t)μ
    and give std √(t² + σ̂² − σ²), beyond 1 where σ̂ is large)."""
    mu = torch.full((1, 2048), 3.0, dtype=torch.float64)
    flow = S.denoiser_in_form(S.gaussian_mixture_denoiser(mu, torch.ones(1, dtype=torch.float64), 0.0), S.FLOW)
    levels, seen = flow_levels(8), []
    x = torch.randn(16, 2048, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    S.sample_heun_churn(
        flow,
        x,
        levels,
        s_churn=2.0,
        s_tmin=0.05,
        s_tmax=50.0,
        form=S.FLOW,
        callback=lambda info: seen.append((info["x"].clone(), info["sigma"].item(), info["sigma_hat"].item())),
    )
    assert [t for _, t, _ in seen][:2] == [1.0, pytest.approx(21 / 22)]  # σ = ∞, then σ = 21: churn from i = 1
    for x_hat, t, t_hat in seen:
        sigma_hat = S.FLOW.sigma(t) * (1.25 if t < 1 else 1.0)  # γ = S_churn/N = 0.25 except at σ = ∞
        assert t_hat == pytest.approx(S.FLOW.level(sigma_hat), rel=1e-12)
        noise = (x_hat - (1 - t_hat) * mu) / t_hat
        assert abs(noise.mean().item()) < 0.03 and noise.std().item() == pytest.approx(1.0, abs=0.015)


def nearest_point_tv(samples, means, weights):
    """Total variation between the weights of the data points and the share of samples nearest to each."""
    nearest = torch.cdist(samples.reshape(len(samples), -1).double(), means.reshape(len(means), -1)).argmin(dim=1)
    share = torch.bincount(nearest, minlength=len(means)).double() / len(samples)
    return 0.5 * (share - weights / weights.sum()).abs().sum().item()


def tv_noise_bound(points, samples, p_fail=1e-6):
    """A bound that n independent samples of the true weights exceed with probability < p_fail: E[TV] ≤ ½√((K − 1)/n)
    (Cauchy–Schwarz on Σ_k E|share_k − w_k| ≤ Σ_k √(w_k(1 − w_k)/n)) plus McDiarmid's √(ln(1/p_fail)/(2n)) (one
    sample moves TV by at most 1/n)."""
    return 0.5 * math.sqrt((points - 1) / samples) + math.sqrt(math.log(1 / p_fail) / (2 * samples))


@pytest.fixture(scope="module")
def points():
    """16 points in 3-D with unequal weights (0.02–0.10), at least 0.24 apart."""
    g = torch.Generator().manual_seed(0)
    return torch.randn(16, 3, generator=g, dtype=torch.float64), torch.rand(16, generator=g, dtype=torch.float64) + 0.25


@pytest.mark.parametrize("form", [S.VE, S.FLOW], ids=["VE", "flow"])
@pytest.mark.parametrize("s_churn", [0.0, 40.0])
def test_churn_keeps_the_data_weights(points, form, s_churn):
    """The exact denoiser of 16 weighted points, 30 Heun steps, EDM's window S_tmin = 0.05, S_tmax = 50: samples are
    spread over the points by their weights within sampling noise, with and without churn, in either form (VE: the
    Karras schedule from σ = 80; flow: t from 1 with shift 3). Churn the VE way on the flow model gave TV 0.37."""
    means, weights = points
    n, g = 2000, torch.Generator().manual_seed(1)
    noise = torch.randn(n, 3, generator=g, dtype=torch.float64)
    oracle = S.gaussian_mixture_denoiser(means, weights, 0.0)
    if form is S.FLOW:
        denoiser, levels, x = S.denoiser_in_form(oracle, S.FLOW), flow_levels(30), noise
    else:
        denoiser, levels, x = oracle, S.karras_sigmas(30, 0.002, 80.0).double(), 80.0 * noise
    out = S.sample_heun_churn(
        denoiser,
        x,
        levels,
        s_churn=s_churn,
        s_tmin=0.05,
        s_tmax=50.0,
        s_noise=1.0,
        form=form,
        noise_sampler=lambda sigma, sigma_hat: torch.randn(x.shape, generator=g, dtype=x.dtype),
    )
    assert nearest_point_tv(out, means, weights) < tv_noise_bound(len(means), n)


def test_the_form_acts_only_through_churn(points):
    """Without churn (or where σ = ∞, flow's t = 1, even with S_tmax = ∞) the form changes nothing: the flow path is
    the VE path bit for bit (that is the host's `heun` on flow models: tests/test_flow_models.py)."""
    means, weights = points
    flow = S.denoiser_in_form(S.gaussian_mixture_denoiser(means, weights, 0.0), S.FLOW)
    x = torch.randn(64, 3, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    levels = flow_levels(10)
    plain = S.sample_heun_churn(flow, x, levels)
    assert torch.equal(S.sample_heun_churn(flow, x, levels, form=S.FLOW), plain)
    window = dict(s_churn=40.0, s_tmin=60.0, s_tmax=math.inf)  # only t = 1 is inside: σ = ∞ ≥ 60
    assert torch.equal(S.sample_heun_churn(flow, x, levels, form=S.FLOW, **window), plain)
