"""CFG rescale (Lin et al. 2024, Algorithm 2) and CADS (Sadat et al. 2024) against their formulas."""

from __future__ import annotations

import pytest
import torch

import loader

S = loader.core()


def predictions(shape=(3, 4, 8, 8), seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    cond = torch.randn(shape, generator=g) * 1.5 + 0.3
    uncond = cond * 0.8 + 0.4 * torch.randn(shape, generator=g)
    return cond.to(dtype), uncond.to(dtype)


def per_sample_std(x):
    return x.double().flatten(1).std(dim=1)


def test_phi_zero_is_plain_cfg_bit_for_bit():
    cond, uncond = predictions()
    assert torch.equal(S.rescale_cfg(cond, uncond, 7.5, 0.0), uncond + 7.5 * (cond - uncond))


def test_phi_one_matches_the_std_of_cond_per_sample():
    cond, uncond = predictions()
    out = S.rescale_cfg(cond, uncond, 7.5, 1.0)
    guided = uncond + 7.5 * (cond - uncond)
    torch.testing.assert_close(per_sample_std(out), per_sample_std(cond), rtol=1e-5, atol=0)
    assert not torch.allclose(per_sample_std(guided), per_sample_std(cond), rtol=0.1)  # the rescale did something
    ratio = per_sample_std(cond) / per_sample_std(guided)  # eq. 15: a pure per-sample scale
    torch.testing.assert_close(out.double(), guided.double() * ratio.view(-1, 1, 1, 1), rtol=1e-5, atol=1e-6)


def test_phi_mixes_linearly():
    cond, uncond = predictions(dtype=torch.float64)
    guided = uncond + 7.5 * (cond - uncond)
    full = S.rescale_cfg(cond, uncond, 7.5, 1.0)
    torch.testing.assert_close(S.rescale_cfg(cond, uncond, 7.5, 0.7), 0.7 * full + 0.3 * guided)  # eq. 16
    torch.testing.assert_close(
        S.rescale_guided(guided, cond, 0.7), S.rescale_cfg(cond, uncond, 7.5, 0.7), rtol=0, atol=0
    )


def test_samples_are_not_coupled():
    cond, uncond = predictions()
    before = S.rescale_cfg(cond, uncond, 5.0, 0.7)
    cond2, uncond2 = cond.clone(), uncond.clone()
    cond2[1] *= 10
    uncond2[1] += 3
    after = S.rescale_cfg(cond2, uncond2, 5.0, 0.7)
    assert (
        torch.equal(after[0], before[0]) and torch.equal(after[2], before[2]) and not torch.equal(after[1], before[1])
    )


def test_video_tensors_use_all_non_batch_dims():
    cond, uncond = predictions(shape=(2, 4, 5, 6, 6))
    out = S.rescale_cfg(cond, uncond, 6.0, 1.0)
    assert out.shape == cond.shape
    torch.testing.assert_close(per_sample_std(out), per_sample_std(cond), rtol=1e-5, atol=0)
    per_frame = out[:, :, 0].flatten(1).std(dim=1)  # std over one frame is not what was matched
    assert not torch.allclose(per_frame.double(), per_sample_std(cond), rtol=1e-3)


def test_constant_prediction_gives_no_nan():
    cond, uncond = predictions()
    cond[0], uncond[0] = 2.0, 2.0  # guided sample 0 is constant: std 0
    out = S.rescale_cfg(cond, uncond, 7.5, 0.7)
    assert torch.isfinite(out).all() and torch.equal(out[0], torch.full_like(out[0], 2.0))
    guided = torch.zeros(2, 3)
    assert torch.equal(S.rescale_guided(guided, torch.randn(2, 3), 1.0), guided)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_rescale_in_half_precision(dtype):
    cond, uncond = predictions()
    full = S.rescale_cfg(cond, uncond, 7.5, 0.7)
    half = S.rescale_cfg(cond.to(dtype), uncond.to(dtype), 7.5, 0.7)
    assert half.dtype == dtype and torch.isfinite(half).all()
    torch.testing.assert_close(half.float(), full, rtol=0.02, atol=0.05 * full.abs().max().item())


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda c, u: S.rescale_cfg(c, u, 7.5, 1.5), "phi"),
        (lambda c, u: S.rescale_cfg(c, u, 7.5, -0.1), "phi"),
        (lambda c, u: S.rescale_cfg(c, u, 7.5, float("nan")), "phi"),
        (lambda c, u: S.rescale_cfg(c, u[:2], 7.5, 0.5), "shape"),
        (lambda c, u: S.rescale_guided(c, c[..., :4], 0.5), "shape"),
        (lambda c, u: S.rescale_guided(c[0, 0, 0], c[0, 0, 0], 0.5), "dims"),
    ],
)
def test_rescale_refuses_bad_input(call, name):
    cond, uncond = predictions()
    with pytest.raises(ValueError, match=name):
        call(cond, uncond)


def test_cads_gamma_schedule():
    assert [S.cads_gamma(t, 0.6, 0.9) for t in (0.0, 0.6, 0.75, 0.9, 1.0)] == pytest.approx([1.0, 1.0, 0.5, 0.0, 0.0])
    assert S.cads_gamma(0.7, 0.6, 0.9) == pytest.approx(2 / 3)
    t = torch.tensor([1.0, 0.8, 0.6, 0.2], dtype=torch.float64)
    gamma = S.cads_gamma(t, 0.5, 0.9)
    assert gamma.shape == t.shape and gamma.dtype == torch.float64
    torch.testing.assert_close(gamma, torch.tensor([0.0, 0.25, 0.75, 1.0], dtype=torch.float64))
    step = S.cads_gamma(torch.tensor([0.49, 0.5, 0.51]), 0.5, 0.5)  # τ1 = τ2: a step
    assert step.tolist() == [1.0, 1.0, 0.0] and S.cads_gamma(0.51, 0.5, 0.5) == 0.0
    for tau1, tau2 in ((0.7, 0.6), (-0.1, 0.5), (0.2, 1.1), (float("nan"), 0.5)):
        with pytest.raises(ValueError, match="tau1"):
            S.cads_gamma(0.5, tau1, tau2)


def embeddings(shape=(3, 77, 32), seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=g) * torch.tensor([0.5, 1.0, 2.0]).view(-1, 1, 1) + torch.tensor(
        [-1.0, 0.0, 3.0]
    ).view(-1, 1, 1)


def test_cads_noise_formula_with_explicit_noise():
    y, noise = embeddings(), embeddings(seed=1)
    gamma = torch.tensor([0.0, 0.3, 0.8])
    out = S.cads_noise(y, gamma, 0.25, rescale=False, noise=noise)
    expected = gamma.view(-1, 1, 1).sqrt() * y + 0.25 * (1 - gamma.view(-1, 1, 1)).sqrt() * noise
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(
        S.cads_noise(y, 0.3, 0.25, rescale=False, noise=noise), 0.3**0.5 * y + 0.25 * 0.7**0.5 * noise
    )


def test_cads_rescale_restores_mean_and_std_per_sample():
    y, noise = embeddings(), torch.randn(3, 77, 32, generator=torch.Generator().manual_seed(1))
    out = S.cads_noise(y, torch.tensor([0.1, 0.5, 0.9]), 1.0, psi=1.0, noise=noise)
    torch.testing.assert_close(out.mean(dim=(1, 2)), y.mean(dim=(1, 2)), rtol=0, atol=1e-5)
    torch.testing.assert_close(out.std(dim=(1, 2)), y.std(dim=(1, 2)), rtol=1e-5, atol=0)
    plain = S.cads_noise(y, torch.tensor([0.1, 0.5, 0.9]), 1.0, rescale=False, noise=noise)
    assert not torch.allclose(plain.mean(dim=(1, 2)), y.mean(dim=(1, 2)), atol=0.1)  # √γ shrinks the mean
    assert not torch.allclose(plain.std(dim=(1, 2)), y.std(dim=(1, 2)), rtol=0.05)
    mixed = S.cads_noise(y, torch.tensor([0.1, 0.5, 0.9]), 1.0, psi=0.4, noise=noise)
    torch.testing.assert_close(mixed, 0.4 * out + 0.6 * plain)


def test_cads_gamma_one_is_the_identity():
    y = embeddings().half()
    assert S.cads_noise(y, 1.0, 5.0, generator=torch.Generator().manual_seed(0)) is y
    out = S.cads_noise(y, torch.tensor([1.0, 0.5, 1.0]), 5.0, generator=torch.Generator().manual_seed(0))
    assert out.dtype == torch.float16 and torch.equal(out[0], y[0]) and torch.equal(out[2], y[2])
    assert not torch.equal(out[1], y[1])
    y = embeddings()  # float32: a round trip through the rescale would not come back bit for bit
    out = S.cads_noise(y, torch.tensor([1.0, 0.5, 1.0]), 5.0, psi=0.5, generator=torch.Generator().manual_seed(0))
    assert torch.equal(out[0], y[0]) and torch.equal(out[2], y[2])


def test_cads_noise_is_reproducible_from_the_generator():
    y = embeddings()
    run = lambda seed: S.cads_noise(y, 0.5, 0.3, generator=torch.Generator().manual_seed(seed))
    assert torch.equal(run(7), run(7)) and not torch.equal(run(7), run(8))
    torch.manual_seed(0)
    first = run(7)
    torch.randn(10)
    assert torch.equal(first, run(7))  # the global RNG plays no part
    explicit = torch.randn(y.shape, generator=torch.Generator().manual_seed(9))
    assert torch.equal(
        S.cads_noise(y, 0.5, 0.3, noise=explicit, generator=torch.Generator().manual_seed(7)),
        S.cads_noise(y, 0.5, 0.3, noise=explicit),
    )  # explicit noise wins


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(gamma=1.5), "gamma"),
        (dict(gamma=torch.tensor([0.5, 0.5])), "gamma"),
        (dict(noise_scale=-1.0), "noise_scale"),
        (dict(psi=2.0), "psi"),
        (dict(noise=torch.zeros(3, 77)), "noise"),
        (dict(generator=None), "generator"),
    ],
)
def test_cads_noise_refuses_bad_input(kwargs, name):
    args = dict(gamma=0.5, noise_scale=0.25, generator=torch.Generator().manual_seed(0)) | kwargs
    with pytest.raises(ValueError, match=name):
        S.cads_noise(embeddings(), **args)


def test_cads_stream_scheme_names_each_part_and_is_stable():
    """The one stream scheme of samplers/seeds.py (item 4): 4·(prompt + 4096·part) + 2·negative + pooled, on every
    host; part 0 (the first token stream and its pooled vector) keeps the numbers of 0.2."""
    assert [S.cads_stream(negative=n, pooled=p) for n in (False, True) for p in (False, True)] == [0, 1, 2, 3]
    assert S.cads_stream(negative=False, pooled=False, prompt=1) == 4  # the second AND-prompt / combined entry
    last = S.cads_stream(negative=True, pooled=True, prompt=S.CADS_PROMPTS - 1, part=3)
    assert last == 2**16 - 1  # call_seed's last stream
    parts = {
        S.cads_stream(negative=n, pooled=p, prompt=j) for n in (False, True) for p in (False, True) for j in range(50)
    }
    assert len(parts) == 200
    for prompt in (-1, S.CADS_PROMPTS):
        with pytest.raises(ValueError, match="prompt"):
            S.cads_stream(negative=False, pooled=False, prompt=prompt)


def test_cads_noise_seeds_mix_the_extra_seed_into_the_sample_seed():
    streams = [S.cads_stream(negative=False, pooled=False), S.cads_stream(negative=True, pooled=True, prompt=1)]
    seeds = S.cads_noise_seeds([123, 456], [14.614641189575195, 0.5], streams, 2**64 - 1)
    assert seeds == [927988500997339030, 3115186187237890407]  # pinned: the scheme must not drift
    assert seeds[0] == S.call_seed(123 ^ (2**63 - 1), 14.614641189575195, 0)  # the extra seed's low 63 bits
    assert S.mixed_seed(123, 0) == 123 and S.mixed_seed(123, 2**63) == 123
    assert S.cads_noise_seeds([123], [0.5], [0], 0) == [S.call_seed(123, 0.5, 0)]
    with pytest.raises(ValueError, match="one sample seed"):
        S.cads_noise_seeds([1, 2], [0.5], [0, 0], 0)


def test_cads_anneal_touches_only_its_rows_and_features():
    g = torch.Generator().manual_seed(5)
    vector, tokens = torch.randn(4, 10, generator=g), torch.randn(2, 6, 10, generator=g)  # SDXL-like y and tokens
    gamma, seeds = torch.tensor([0.0, 0.3]), [11, 12]
    out = S.cads_anneal(vector, gamma, seeds, 0.5, psi=0.8, rescale=True, rows=slice(1, 3), width=4)
    expected = S.cads_noise(vector[1:3, :4], gamma, 0.5, psi=0.8, rescale=True, noise=S.seeded_normal(seeds, (4,)))
    assert torch.equal(out[1:3, :4], expected)
    assert torch.equal(out[[0, 3]], vector[[0, 3]]) and torch.equal(out[:, 4:], vector[:, 4:])
    whole = S.cads_anneal(tokens, gamma, seeds, 0.5, psi=0.8)  # all rows, all features
    assert torch.equal(whole, S.cads_noise(tokens, gamma, 0.5, psi=0.8, noise=S.seeded_normal(seeds, (6, 10))))


def _v_denoised(sigma, output, x):
    """D of a v-prediction model (Karras et al. 2022, Table 1 with σ_data = 1): c_skip = 1/(σ² + 1),
    c_out = −σ/√(σ² + 1)."""
    s = sigma.reshape(-1, *([1] * (x.ndim - 1)))
    return x / (s**2 + 1) - output * s / (s**2 + 1).sqrt()


def test_skip_part_reads_c_skip_off_the_hosts_formula():
    x = torch.randn(3, 4, 5, 5, generator=torch.Generator().manual_seed(2))
    sigma = torch.tensor([0.5, 3.0, 14.6])
    torch.testing.assert_close(S.skip_part(_v_denoised, sigma, x), x / (sigma**2 + 1).reshape(-1, 1, 1, 1))


def test_rescale_guided_output_rescales_the_models_own_output():
    """Lin et al. Algorithm 2 on v (not on D): D_cfg → c_skip·x + c_out·rescale(v_cfg, v_pos)."""
    g = torch.Generator().manual_seed(3)
    x, v_pos, v_neg = (torch.randn(2, 4, 6, 6, generator=g) for _ in range(3))
    sigma = torch.tensor([1.5, 7.0])
    v_cfg = v_neg + 6.0 * (v_pos - v_neg)
    skip = S.skip_part(_v_denoised, sigma, x)
    out = S.rescale_guided_output(_v_denoised(sigma, v_cfg, x), _v_denoised(sigma, v_pos, x), skip, 0.7)
    torch.testing.assert_close(out, _v_denoised(sigma, S.rescale_guided(v_cfg, v_pos, 0.7), x), rtol=1e-5, atol=1e-5)
    guided = _v_denoised(sigma, v_cfg, x)
    assert S.rescale_guided_output(guided, guided * 2, skip, 0.0) is guided  # φ = 0: plain CFG, bit for bit


def test_normalised_time_is_the_models_timestep_over_its_last():
    table = torch.linspace(0.03, 14.6, 1000)
    timestep = lambda sigma: (table - sigma.reshape(-1, 1)).abs().argmin(dim=1)
    t = S.normalised_time(timestep, torch.tensor([14.6, table[499].item(), 0.03]), 999)
    assert t.dtype == torch.float32
    torch.testing.assert_close(t, torch.tensor([1.0, 499 / 999, 0.0]))
    clamped = S.normalised_time(lambda s: s, torch.tensor([-5.0, 700.0, 1200.0]), 999)  # timesteps as given
    torch.testing.assert_close(clamped, torch.tensor([0.0, 700 / 999, 1.0]))
    t = S.log_sigma_time(torch.tensor([0.002, 80.0, (0.002 * 80.0) ** 0.5, 1e-5, 1e3]), 0.002, 80.0)
    torch.testing.assert_close(t, torch.tensor([0.0, 1.0, 0.5, 0.0, 1.0]))
