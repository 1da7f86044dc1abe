"""CFG rescale (Lin et al. eqs. 13–16, Algorithm 2) and CADS (Sadat et al. 2024) against their formulas."""
from __future__ import annotations

import pytest
import torch

import samplers as S


def preds(shape=(3, 4, 8, 8), seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=g) * 2 + 0.5, torch.randn(shape, generator=g)


def test_phi_zero_is_exactly_plain_cfg():
    cond, uncond = preds()
    assert torch.equal(S.rescale_cfg(cond, uncond, 7.5, 0.0), uncond + 7.5 * (cond - uncond))


def test_rescale_follows_eqs_13_to_16_per_sample():
    cond, uncond = preds()
    out = S.rescale_cfg(cond, uncond, 7.5, 0.7)
    for k in range(3):  # one sample at a time, written out as in the paper
        x_cfg = uncond[k] + 7.5 * (cond[k] - uncond[k])
        x_rescaled = x_cfg * cond[k].std() / x_cfg.std()
        torch.testing.assert_close(out[k], 0.7 * x_rescaled + 0.3 * x_cfg)
    full = S.rescale_cfg(cond, uncond, 7.5, 1.0)
    torch.testing.assert_close(full.flatten(1).std(dim=1), cond.flatten(1).std(dim=1))


def test_samples_are_not_coupled_and_any_rank_works():
    cond, uncond = preds((2, 4, 3, 8, 8))  # video [B, C, T, H, W]
    out = S.rescale_cfg(cond, uncond, 5.0, 0.7)
    cond2 = cond.clone()
    cond2[1] *= 10
    torch.testing.assert_close(S.rescale_cfg(cond2, uncond, 5.0, 0.7)[0], out[0])
    torch.testing.assert_close(out.flatten(1).std(dim=1)[0], (0.7 * cond[0].std() + 0.3 * (uncond[0] + 5 * (cond[0] - uncond[0])).std()),
                               rtol=1e-5, atol=0)


def test_constant_prediction_gives_no_nan():
    cond = torch.full((2, 4, 8, 8), 3.0)
    out = S.rescale_cfg(cond, cond.clone(), 7.5, 0.7)
    assert torch.isfinite(out).all() and torch.equal(out, cond)


def test_half_precision_statistics_are_upcast():
    cond, uncond = preds()
    out = S.rescale_cfg(cond.half(), uncond.half(), 7.5, 0.7)
    assert out.dtype == torch.float16 and torch.isfinite(out).all()
    torch.testing.assert_close(out.float(), S.rescale_cfg(cond, uncond, 7.5, 0.7), rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize("call, name", [
    (lambda c, u: S.rescale_cfg(c, u, 7.5, 1.5), "phi"), (lambda c, u: S.rescale_cfg(c, u[:1], 7.5, 0.5), "uncond"),
    (lambda c, u: S.rescale_guided(c, u[:, :1], 0.5), "guided"),
])
def test_bad_input_is_refused(call, name):
    with pytest.raises(ValueError, match=name):
        call(*preds())


def test_cads_gamma_is_piecewise_linear():
    assert S.cads_gamma(0.0, 0.6, 0.9) == 1.0 and S.cads_gamma(0.6, 0.6, 0.9) == 1.0
    assert S.cads_gamma(0.75, 0.6, 0.9) == pytest.approx(0.5)
    assert S.cads_gamma(0.9, 0.6, 0.9) == 0.0 and S.cads_gamma(1.0, 0.6, 0.9) == 0.0
    t = torch.tensor([0.0, 0.6, 0.7, 0.8, 0.9, 1.0])
    torch.testing.assert_close(S.cads_gamma(t, 0.6, 0.9), torch.tensor([1.0, 1.0, 2 / 3, 1 / 3, 0.0, 0.0]))
    torch.testing.assert_close(S.cads_gamma(t, 0.5, 0.5), torch.tensor([1.0, 0.0, 0.0, 0.0, 0.0, 0.0]))
    for tau1, tau2 in ((0.9, 0.6), (-0.1, 0.5), (0.2, 1.1)):
        with pytest.raises(ValueError, match="tau1"):
            S.cads_gamma(0.5, tau1, tau2)


def test_cads_noise_formula_with_explicit_noise():
    y, noise = preds((3, 77, 16))
    gamma = torch.tensor([1.0, 0.5, 0.0])
    out = S.cads_noise(y, gamma, 0.25, rescale=False, noise=noise)
    torch.testing.assert_close(out[0], y[0])
    torch.testing.assert_close(out[1], 0.5 ** 0.5 * y[1] + 0.25 * 0.5 ** 0.5 * noise[1])
    torch.testing.assert_close(out[2], 0.25 * noise[2])
    assert S.cads_noise(y, 1.0, 0.25, noise=noise) is y


def test_cads_rescale_restores_mean_and_std_mixed_by_psi():
    y, noise = preds((2, 77, 16))
    raw = S.cads_noise(y, 0.3, 0.5, rescale=False, noise=noise)
    full = S.cads_noise(y, 0.3, 0.5, psi=1.0, noise=noise)
    torch.testing.assert_close(full.mean(dim=(1, 2)), y.mean(dim=(1, 2)), atol=1e-5, rtol=0)
    torch.testing.assert_close(full.std(dim=(1, 2)), y.std(dim=(1, 2)), rtol=1e-5, atol=0)
    torch.testing.assert_close(S.cads_noise(y, 0.3, 0.5, psi=0.4, noise=noise), 0.4 * full + 0.6 * raw)


def test_cads_noise_from_a_generator_is_reproducible():
    y, _ = preds((2, 77, 16))
    a = S.cads_noise(y, 0.2, 0.25, generator=torch.Generator().manual_seed(4))
    b = S.cads_noise(y, 0.2, 0.25, generator=torch.Generator().manual_seed(4))
    c = S.cads_noise(y, 0.2, 0.25, generator=torch.Generator().manual_seed(5))
    assert torch.equal(a, b) and not torch.allclose(a, c)
    with pytest.raises(ValueError, match="psi"):
        S.cads_noise(y, 0.2, 0.25, psi=2.0)
    with pytest.raises(ValueError, match="noise"):
        S.cads_noise(y, 0.2, 0.25, noise=torch.zeros(1, 2))
