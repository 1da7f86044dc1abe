"""EDM Algorithm 2 and Euler against an analytic oracle: the exact denoiser of a Gaussian mixture."""
from __future__ import annotations

import math

import pytest
import torch

import samplers as S

SIGMA_MAX, SIGMA_END = 80.0, 0.05


@pytest.fixture(scope="module")
def mixture():
    g = torch.Generator().manual_seed(0)
    means = torch.randn(5, 16, generator=g, dtype=torch.float64) * 2
    weights = torch.tensor([0.1, 0.2, 0.3, 0.25, 0.15], dtype=torch.float64)
    return means, weights, 0.3


def start(batch=64, dim=16, seed=1):
    return torch.randn(batch, dim, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * SIGMA_MAX


def schedule(steps, rho=7.0):
    """Karras schedule ending at SIGMA_END (no final 0), so every step is a full Heun step of the same ODE."""
    return S.karras_sigmas(steps, SIGMA_END, SIGMA_MAX, rho, dtype=torch.float64)[:-1]


def test_mixture_denoiser_is_the_posterior_mean(mixture):
    means, weights, std = mixture
    denoiser = S.gaussian_mixture_denoiser(means, weights, std)
    x = start(4) / 40
    sigma = torch.tensor([0.1, 0.5, 2.0, 8.0], dtype=torch.float64)
    # Tweedie: E[x0 | x] = x + σ²∇log p_σ(x), p_σ = Σ w_k N(μ_k, (s² + σ²)I), gradient by autograd
    xg = x.clone().requires_grad_(True)
    var = (std ** 2 + sigma ** 2)[:, None]
    log_p = torch.logsumexp(weights.log() - ((xg[:, None, :] - means) ** 2).sum(-1) / (2 * var) - 8 * var.log(), dim=1)
    (grad,) = torch.autograd.grad(log_p.sum(), xg)
    torch.testing.assert_close(denoiser(x, sigma), x + sigma[:, None] ** 2 * grad, rtol=1e-10, atol=1e-10)
    # a data set of points (std = 0): the weighted average of the points, by an explicit loop
    points = S.gaussian_mixture_denoiser(means, weights, 0.0)
    for b in range(4):
        log_lik = torch.stack([w.log() - ((x[b] - m) ** 2).sum() / (2 * sigma[b] ** 2) for m, w in zip(means, weights)])
        lik = (log_lik - log_lik.max()).exp()
        expected = sum(l * m for l, m in zip(lik, means)) / lik.sum()
        torch.testing.assert_close(points(x[b:b + 1], sigma[b:b + 1])[0], expected, rtol=1e-9, atol=1e-9)


def reference(mixture, x):
    """Fine-step Heun solution and an estimate of its own error (it is 4× more accurate than half the steps)."""
    denoiser = S.gaussian_mixture_denoiser(*mixture)
    fine = S.sample_heun_churn(denoiser, x, schedule(1024))
    finer = S.sample_heun_churn(denoiser, x, schedule(2048))
    return finer, rmse(fine, finer) / 3


def rmse(a, b):
    return ((a - b) ** 2).mean().sqrt().item()


def test_heun_is_second_order_and_euler_first_order(mixture):
    x = start()
    ref, ref_error = reference(mixture, x)
    denoiser = S.gaussian_mixture_denoiser(*mixture)
    heun = [rmse(S.sample_heun_churn(denoiser, x, schedule(n)), ref) for n in (32, 64, 128)]
    euler = [rmse(S.sample_euler(denoiser, x, schedule(n)), ref) for n in (128, 256, 512)]
    assert ref_error < 0.01 * min(heun + euler)
    for coarse, fine in zip(heun, heun[1:]):
        assert 3.0 < coarse / fine < 5.5, heun
    for coarse, fine in zip(euler, euler[1:]):
        assert 1.6 < coarse / fine < 2.5, euler


def counted(denoiser):
    calls = []

    def wrapped(x, sigma):
        calls.append(sigma.clone())
        return denoiser(x, sigma)
    return wrapped, calls


def test_evaluation_counts(mixture):
    denoiser, calls = counted(S.gaussian_mixture_denoiser(*mixture))
    S.sample_heun_churn(denoiser, start(2), S.karras_sigmas(10, 0.01, 80.0).double())  # ends in 0
    assert len(calls) == 2 * 10 - 1
    calls.clear()
    S.sample_heun_churn(denoiser, start(2), schedule(10))  # ends above 0
    assert len(calls) == 2 * (10 - 1)
    calls.clear()
    S.sample_euler(denoiser, start(2), S.karras_sigmas(10, 0.01, 80.0).double())
    assert len(calls) == 10
    assert all(c.shape == (2,) for c in calls)


def test_churn_noise_is_injected_at_sigma_hat_with_the_right_std():
    sigmas = S.karras_sigmas(8, 0.02, 80.0, 7.0)
    s_churn, s_tmin, s_tmax, s_noise = 4.0, 0.1, 20.0, 1.3
    steps = []
    x0 = torch.zeros(4096, 32)
    # identity denoiser: d = 0, so each step moves x only by the churn noise
    S.sample_heun_churn(lambda x, sigma: x, x0, sigmas, s_churn=s_churn, s_tmin=s_tmin, s_tmax=s_tmax, s_noise=s_noise,
                        callback=lambda info: steps.append({k: (v.clone() if torch.is_tensor(v) else v) for k, v in info.items()}))
    assert [s["i"] for s in steps] == list(range(8))
    previous = x0
    for s in steps:
        sigma = s["sigma"].item()
        gamma = min(s_churn / 8, 2 ** 0.5 - 1) if s_tmin <= sigma <= s_tmax else 0.0
        assert s["sigma_hat"].item() == pytest.approx(sigma * (1 + gamma), rel=1e-6)
        added = s["x"] - previous
        expected_std = math.sqrt(s["sigma_hat"].item() ** 2 - sigma ** 2) * s_noise
        if gamma == 0:
            assert torch.equal(added, torch.zeros_like(added))
        else:
            assert added.std().item() == pytest.approx(expected_std, rel=0.02)
            assert abs(added.mean().item()) < 0.02 * expected_std
        previous = s["x"]
    assert any(s["sigma_hat"] > s["sigma"] for s in steps) and any(s["sigma_hat"] == s["sigma"] for s in steps)


def test_gamma_is_capped_at_sqrt2_minus_1():
    hats = []
    S.sample_heun_churn(lambda x, sigma: x, torch.zeros(2, 3), S.karras_sigmas(4, 0.1, 10.0), s_churn=1000.0,
                        callback=lambda info: hats.append((info["sigma_hat"] / info["sigma"]).item()))
    assert hats == pytest.approx([2 ** 0.5] * 4, rel=1e-6)


def test_per_sample_noise_is_independent_of_the_batch(mixture):
    denoiser = S.gaussian_mixture_denoiser(*mixture)
    x = start(3)
    sigmas = S.karras_sigmas(6, 0.01, 80.0).double()
    run = lambda x, seeds: S.sample_heun_churn(denoiser, x, sigmas, s_churn=20.0,
                                              noise_sampler=S.per_sample_noise_sampler(x, seeds))
    batch = run(x, [5, 6, 7])
    assert torch.equal(batch, run(x, [5, 6, 7]))
    for k, seed in enumerate([5, 6, 7]):
        torch.testing.assert_close(run(x[k:k + 1], [seed])[0], batch[k], rtol=1e-12, atol=1e-12)
    assert not torch.allclose(run(x, [5, 9, 7])[1], batch[1])
    noise = S.per_sample_noise_sampler(x, [5, 6, 7])(sigmas[0], sigmas[0])
    assert torch.equal(S.per_sample_noise_sampler(x[1:2], [6])(sigmas[0], sigmas[0])[0], noise[1])
    default = S.sample_heun_churn(denoiser, x, sigmas, s_churn=20.0)  # default noise is seeded, not the global RNG
    torch.manual_seed(123)
    assert torch.equal(default, S.sample_heun_churn(denoiser, x, sigmas, s_churn=20.0))
    with pytest.raises(ValueError, match="seeds"):
        S.per_sample_noise_sampler(x, [1, 2])


@pytest.mark.parametrize("change, name", [
    (lambda x, s: (x.index_fill(1, torch.tensor([0]), float("nan")), s), "x"),
    (lambda x, s: (x, torch.cat([s[:1] * float("inf"), s[1:]])), "sigmas"),
    (lambda x, s: (x, s.flip(0)), "sigmas"),
    (lambda x, s: (x, s[:1]), "sigmas"),
])
def test_bad_input_is_refused_before_the_loop(change, name):
    calls = []
    x, sigmas = change(torch.zeros(2, 4), S.karras_sigmas(4, 0.1, 10.0))
    for sampler in (S.sample_heun_churn, S.sample_euler):
        with pytest.raises(ValueError, match=name):
            sampler(lambda x, sigma: calls.append(1) or x, x, sigmas)
    assert not calls


@pytest.mark.parametrize("kwargs, name", [
    (dict(s_churn=-1.0), "s_churn"), (dict(s_noise=-0.1), "s_noise"), (dict(s_tmin=5.0, s_tmax=1.0), "s_tmin"),
])
def test_bad_churn_settings_are_refused(kwargs, name):
    with pytest.raises(ValueError, match=name):
        S.sample_heun_churn(lambda x, sigma: x, torch.zeros(1, 2), S.karras_sigmas(3, 0.1, 10.0), **kwargs)
    with pytest.raises(TypeError, match="x"):
        S.sample_heun_churn(lambda x, sigma: x, torch.zeros(1, 2, dtype=torch.long), S.karras_sigmas(3, 0.1, 10.0))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_stays_close_to_float32(mixture, dtype):
    denoiser = S.gaussian_mixture_denoiser(*mixture)
    x = start(8).float()
    sigmas = S.karras_sigmas(10, 0.01, 80.0)
    full = S.sample_heun_churn(denoiser, x, sigmas, s_churn=5.0)
    half = S.sample_heun_churn(denoiser, x.to(dtype), sigmas, s_churn=5.0)
    assert half.dtype == dtype and torch.isfinite(half).all()
    assert rmse(half.float(), full) < 0.05 * full.std().item()
