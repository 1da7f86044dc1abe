"""Schedules against the papers: EDM eq. 5, Lin et al. Table 1, Algorithm 1 and Table 2."""

from __future__ import annotations

import math

import pytest
import torch

import loader

S = loader.core()


def test_karras_sigmas_follow_eq5():
    sigmas = S.karras_sigmas(10, 0.002, 80.0, 7.0)
    assert sigmas.shape == (11,) and sigmas.dtype == torch.float32
    assert sigmas[0] == torch.tensor(80.0) and sigmas[9] == torch.tensor(0.002) and sigmas[10].item() == 0.0
    assert (sigmas[1:] < sigmas[:-1]).all()
    i = torch.arange(10, dtype=torch.float64)
    eq5 = (80.0 ** (1 / 7) + i / 9 * (0.002 ** (1 / 7) - 80.0 ** (1 / 7))) ** 7
    torch.testing.assert_close(sigmas[:-1].double(), eq5, rtol=1e-6, atol=0)
    uniform = S.karras_sigmas(5, 1.0, 5.0, 1.0)  # ρ = 1: evenly spaced in σ
    torch.testing.assert_close(uniform[:-1], torch.tensor([5.0, 4.0, 3.0, 2.0, 1.0]))
    assert S.karras_sigmas(1, 0.1, 10.0).tolist() == [10.0, 0.0]
    for steps, rho in ((2, 7.0), (3, 0.5), (50, 3.0), (1000, 7.0)):  # ends exact for any rho
        sigmas = S.karras_sigmas(steps, 0.0292, 14.6146, rho)
        assert sigmas[0] == torch.tensor(14.6146) and sigmas[-2] == torch.tensor(0.0292)
        assert (sigmas[1:] < sigmas[:-1]).all()


@pytest.mark.parametrize(
    "sigma_min, sigma_max, rho",
    [
        (0.001, 5000.0, 0.01),
        (0.001, 5000.0, 100.0),
        (1e-30, 1e38, 0.01),
        (1e-30, 1e38, 100.0),
        (1.0, 1.0 + 1e-9, 100.0),
        (float(torch.finfo(torch.float32).tiny), 1e-37, 7.0),
    ],
)
def test_karras_sigmas_stay_finite_and_ordered_at_the_limits(sigma_min, sigma_max, rho):
    """σmax^(1/ρ) overflows float64 at ρ = 0.01 and σmax = 5000: eq. 5 divided through by it stays in [σmin, σmax]."""
    sigmas = S.karras_sigmas(200, sigma_min, sigma_max, rho)
    assert torch.isfinite(sigmas).all() and (sigmas[1:] <= sigmas[:-1]).all()
    assert sigmas[0] == torch.tensor(sigma_max) and sigmas[-2] == torch.tensor(sigma_min) and sigmas[-1] == 0
    assert (sigmas[:-1] >= torch.tensor(sigma_min)).all()
    i = torch.arange(200, dtype=torch.float64)
    if rho == 100.0 and sigma_max < 1e4:  # where eq. 5 itself is computable in float64, the same numbers
        eq5 = (sigma_max ** (1 / rho) + i / 199 * (sigma_min ** (1 / rho) - sigma_max ** (1 / rho))) ** rho
        torch.testing.assert_close(sigmas[:-1].double(), eq5, rtol=1e-6, atol=0)


def test_larger_rho_spends_more_steps_at_low_noise():
    low = [(S.karras_sigmas(20, 0.03, 14.6, rho)[:-1] < 1.0).sum().item() for rho in (1.0, 3.0, 7.0)]
    assert low[0] < low[1] < low[2]


@pytest.mark.parametrize(
    "args, name",
    [
        ((0, 0.1, 10.0, 7.0), "steps"),
        ((10, 0.1, 10.0, 0.0), "rho"),
        ((10, 0.1, 10.0, -1.0), "rho"),
        ((10, 0.0, 10.0, 7.0), "sigma_min"),
        ((10, 10.0, 10.0, 7.0), "sigma_max"),
        ((10, 0.1, float("nan"), 7.0), "sigma_max"),
        ((10, float("inf"), 10.0, 7.0), "sigma_min"),
        ((10, 0.1, 10.0, float("inf")), "rho"),
        ((10, 0.1, float("inf"), 7.0), "sigma_max"),
        ((10, 5.0, 1.0, 7.0), "sigma_max"),
        ((10, 1e-40, 10.0, 7.0), "sigma_min"),
        ((10, 0.1, 1e39, 7.0), "sigma_max"),  # not normal float32 numbers
    ],
)
def test_karras_sigmas_refuse_bad_input(args, name):
    with pytest.raises(ValueError, match=name):
        S.karras_sigmas(*args)


@pytest.mark.parametrize(
    "schedule, snr, sqrt_ab",
    [
        ("linear", 4.035993e-05, None),
        ("scaled_linear", 0.004682, 0.068265),
        ("cosine", 2.428735e-09, None),
    ],
)
def test_lin_table1_terminal_snr(schedule, snr, sqrt_ab):
    ab = S.alphas_cumprod(S.make_betas(schedule))
    assert (ab[-1] / (1 - ab[-1])).item() == pytest.approx(snr, rel=1e-3)
    if sqrt_ab is not None:
        assert ab[-1].sqrt().item() == pytest.approx(sqrt_ab, abs=5e-7)


def test_cosine_betas_are_clipped():
    betas = S.make_betas("cosine")
    assert betas.max().item() == pytest.approx(0.999) and (betas > 0).all()
    with pytest.raises(ValueError, match="schedule"):
        S.make_betas("quadratic")
    with pytest.raises(ValueError, match="num_timesteps"):
        S.make_betas("linear", 1)


def test_beta_schedules_follow_their_definitions():
    linear, scaled = S.make_betas("linear", 11), S.make_betas("scaled_linear", 11)
    assert linear.dtype == scaled.dtype == torch.float64 and linear.shape == (11,)
    assert linear[0].item() == pytest.approx(1e-4) and linear[-1].item() == pytest.approx(0.02)
    torch.testing.assert_close(linear.diff(), torch.full((10,), (0.02 - 1e-4) / 10, dtype=torch.float64))
    assert scaled[0].item() == pytest.approx(0.00085) and scaled[-1].item() == pytest.approx(0.012)
    torch.testing.assert_close(
        scaled.sqrt().diff(), torch.full((10,), (0.012**0.5 - 0.00085**0.5) / 10, dtype=torch.float64)
    )
    cosine_ab = S.alphas_cumprod(S.make_betas("cosine", 50))  # ᾱ(t) = f(t)/f(0) wherever β is not clipped
    t = torch.arange(1, 51, dtype=torch.float64) / 50
    f = lambda t: torch.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2
    torch.testing.assert_close(cosine_ab[:-1], (f(t) / f(torch.zeros(1, dtype=torch.float64)))[:-1])


@pytest.mark.parametrize("schedule", ["linear", "scaled_linear"])
def test_zero_terminal_snr_algorithm1(schedule):
    betas = S.make_betas(schedule)
    rescaled = S.rescale_zero_terminal_snr(betas)
    old, new = S.alphas_cumprod(betas).sqrt(), S.alphas_cumprod(rescaled).sqrt()
    assert new[-1].item() == 0.0 and rescaled[-1].item() == 1.0
    assert new[0].item() == pytest.approx(old[0].item(), rel=1e-12)
    # linear in sqrt(ᾱ): new = a·old + b for every t
    slope = (new[0] - new[-1]) / (old[0] - old[-1])
    torch.testing.assert_close(new, slope * (old - old[-1]), rtol=1e-9, atol=1e-12)
    assert (new[1:] <= new[:-1]).all()
    assert math.isinf(S.sigmas_from_alphas_cumprod(S.alphas_cumprod(rescaled))[-1].item())


def test_betas_round_trip_through_alphas_cumprod():
    betas = S.make_betas("scaled_linear")
    torch.testing.assert_close(S.betas_from_alphas_cumprod(S.alphas_cumprod(betas)), betas, rtol=1e-9, atol=1e-12)


def test_lin_table2_spacing():
    assert S.spacing_timesteps("leading", 10).tolist() == [900, 800, 700, 600, 500, 400, 300, 200, 100, 0]
    assert S.spacing_timesteps("linspace", 10).tolist() == [999, 888, 777, 666, 555, 444, 333, 222, 111, 0]
    assert S.spacing_timesteps("trailing", 10).tolist() == [999, 899, 799, 699, 599, 499, 399, 299, 199, 99]
    for spacing in ("leading", "linspace", "trailing"):
        for steps in (1, 3, 7, 25, 1000):
            t = S.spacing_timesteps(spacing, steps)
            assert len(t) == steps and t.dtype == torch.long and (t[1:] < t[:-1]).all()
            assert 0 <= t.min() and t.max() <= 999
    assert S.spacing_timesteps("trailing", 1).tolist() == [999]
    # T/S not an integer: the formulas' floor (leading) and round (linspace, trailing) show
    assert S.spacing_timesteps("leading", 3).tolist() == [666, 333, 0]
    assert S.spacing_timesteps("linspace", 3).tolist() == [999, 500, 0]
    assert S.spacing_timesteps("trailing", 3).tolist() == [999, 666, 332]


@pytest.mark.parametrize("spacing, steps", [("trailing", 0), ("trailing", 1001), ("sideways", 10)])
def test_spacing_refuses_bad_input(spacing, steps):
    with pytest.raises(ValueError, match="steps" if spacing != "sideways" else "spacing"):
        S.spacing_timesteps(spacing, steps)


def test_sigmas_for_timesteps_append_zero():
    table = S.sigmas_from_alphas_cumprod(S.alphas_cumprod(S.make_betas("scaled_linear"))).float()
    sigmas = S.sigmas_for_timesteps(table, S.spacing_timesteps("trailing", 4))
    assert sigmas.tolist() == [table[999].item(), table[749].item(), table[499].item(), table[249].item(), 0.0]
    assert sigmas.dtype == torch.float32
    from_list = S.sigmas_for_timesteps(table.double(), [999, 0])
    assert torch.equal(from_list, torch.stack([table[999], table[0], torch.tensor(0.0)]))
    with pytest.raises(ValueError, match="timesteps"):
        S.sigmas_for_timesteps(table, [1000])
    assert sigmas[0].item() == pytest.approx(14.6146, rel=1e-4)  # SD1.x σmax


@pytest.mark.parametrize("spacing", ["leading", "linspace", "trailing"])
def test_spacing_is_exact_for_every_step_count(spacing):
    """Against exact rationals (Python's round of a Fraction: nearest, ties to even) for every S ≤ T, two T."""
    from fractions import Fraction

    for T in (1000, 37):
        for S_ in range(1, T + 1):
            if spacing == "leading":
                ref = [k * (T // S_) for k in range(S_)]
            elif spacing == "linspace":
                ref = [round(Fraction(k * (T - 1), max(S_ - 1, 1))) for k in range(S_)]
            else:
                ref = [round(T - Fraction(k * T, S_)) - 1 for k in range(S_)]
            assert S.spacing_timesteps(spacing, S_, T).tolist() == sorted(ref, reverse=True), (spacing, T, S_)


def test_denoise_takes_the_tail_of_a_longer_schedule_and_is_bounded():
    full = lambda n: S.karras_sigmas(n, 0.03, 14.6, 7.0)
    assert torch.equal(S.denoise_sigmas(full, 6, 1.0), full(6))
    assert torch.equal(S.denoise_sigmas(full, 4, 0.5), full(8)[-5:])
    assert S.denoise_total_steps(10, 0.33) == 30 and S.denoise_total_steps(7, 0.999) == 7
    assert S.denoise_total_steps(10, 10 / S.MAX_SCHEDULE_STEPS) == S.MAX_SCHEDULE_STEPS
    for denoise in (0.0, -0.5, 1.5, float("nan"), float("inf"), 1e-300, 5e-324, 10 / S.MAX_SCHEDULE_STEPS * 0.999):
        with pytest.raises(ValueError, match="denoise"):
            S.denoise_total_steps(10, denoise)


def test_zero_terminal_snr_sigmas_go_through_alphas_cumprod():
    table = S.sigmas_from_alphas_cumprod(S.alphas_cumprod(S.make_betas("scaled_linear"))).float()
    rescaled = S.zero_terminal_snr_sigmas(table)
    expected = S.sigmas_from_alphas_cumprod(S.zero_terminal_snr_alphas_cumprod(1 / (1 + table.double() ** 2)))
    assert rescaled.dtype == torch.float32 and torch.equal(rescaled, expected.float())
    assert rescaled[0].item() == pytest.approx(table[0].item(), rel=1e-5)  # Algorithm 1 keeps ᾱ_1
    top = ((1 - S.ZERO_SNR_ALPHA_CUMPROD) / S.ZERO_SNR_ALPHA_CUMPROD) ** 0.5
    assert rescaled[-1].item() == pytest.approx(top, rel=1e-6) and (rescaled[1:] > rescaled[:-1]).all()


def test_shared_checks_name_the_input_and_the_fix():
    S.check_steps_within_timesteps(1000, 1000)
    with pytest.raises(ValueError) as error:
        S.check_steps_within_timesteps(10000, 1000)
    assert str(error.value) == (
        "input 'steps' = 10000 is more than the model's 1000 discrete timesteps; use at most 1000."
    )
    with pytest.raises(ValueError, match="input 'steps' = 1001 is more than the model's 1000"):
        S.spacing_timesteps("trailing", 1001)
    S.check_churn_window(0.7, 0.7)
    with pytest.raises(ValueError) as error:
        S.check_churn_window(5000.0, 50.0)
    assert str(error.value) == "input 's_tmin' (5000.0) is above 's_tmax' (50.0); churn needs s_tmin ≤ s_tmax."
    with pytest.raises(ValueError, match="input 'S_tmin' \\(nan\\) is above 'S_tmax' \\(1.0\\); churn needs S_tmin"):
        S.check_churn_window(math.nan, 1.0, ("S_tmin", "S_tmax"))


def test_karras_levels_are_eq5_over_sigma_in_the_models_own_levels():
    """VE: exactly karras_sigmas. Flow: t_i = σ_i/(1 + σ_i) of eq. 5's σ_i, so σ(t_i) = t_i/(1 − t_i) is eq. 5."""
    assert torch.equal(S.karras_levels(12, 0.0292, 14.6146, 7.0), S.karras_sigmas(12, 0.0292, 14.6146, 7.0))
    sigma_min, sigma_max = S.noise_level_range(S.FLOW, 1e-3, 1.0)
    assert sigma_min == pytest.approx(1e-3 / (1 - 1e-3)) and sigma_max == S.FINITE_SIGMA_MAX  # σ(1) = ∞ → 80
    levels = S.karras_levels(20, sigma_min, sigma_max, 7.0, S.FLOW, dtype=torch.float64)
    eq5 = S.karras_sigmas(20, sigma_min, sigma_max, 7.0, dtype=torch.float64)
    torch.testing.assert_close(levels[:-1] / (1 - levels[:-1]), eq5[:-1], rtol=1e-12, atol=0)
    assert levels[-1] == 0 and levels[0] == pytest.approx(80 / 81) and bool((levels[1:] < levels[:-1]).all())
    # the host's karras over t puts 12 of 20 steps below t = 0.1; eq. 5 over σ puts fewer there
    assert int((levels[:-1] < 0.1).sum()) < int((S.karras_sigmas(20, 1e-3, 1.0, 7.0)[:-1] < 0.1).sum())


def test_noise_level_range_keeps_a_finite_top_and_ve_as_is():
    assert S.noise_level_range(S.VE, 0.0292, 14.6146) == (0.0292, 14.6146)
    assert S.noise_level_range(S.FLOW, 0.5, 0.9) == pytest.approx((1.0, 9.0))
