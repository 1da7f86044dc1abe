"""The features' parameters, declared once: name, default, range, step and tooltip.

Every host adapter builds its inputs from this table: the ComfyUI nodes' INPUT_TYPES (`nodes/inputs.py`), the web
UIs' accordion, infotext keys and X/Y/Z axes (`sampler_lab_webui/params.py`), the bad-input cases
(`tools/bad_input.py`) and the front end's fallbacks (`js/samplerlab_params.js`, written by
`tools/make_js_params.py`).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Generic, TypeVar

#: Largest seed a host takes (an unsigned 64-bit integer).
SEED_MAX = 0xFFFFFFFFFFFFFFFF
#: Most steps any of the nodes takes.
STEPS_MAX = 10000


T = TypeVar("T", bool, int, float, str)


@dataclasses.dataclass(frozen=True)
class Param(Generic[T]):
    """One parameter of a feature.

    key: unique id (the web UIs' script-argument name); name: the keyword the ComfyUI node and the core take;
    default: a bool, int, float or (with `choices`) str, the type T; minimum/maximum/step: the numeric range;
    rounding: how a host widget rounds the value (None: to the step; False: not at all; a number: to multiples of
    it); advanced: hidden behind a host's "advanced" switch.
    """

    key: str
    name: str
    default: T
    tooltip: str
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    rounding: float | bool | None = None
    advanced: bool = False
    choices: tuple[str, ...] = ()

    @property
    def kind(self) -> type:
        """bool, int, float or str (a choice)."""
        return type(self.default)

    @property
    def numeric(self) -> bool:
        return self.kind in (int, float)

    def check(self, value: float, name: str | None = None) -> float:
        """`check_number` with this parameter's range, naming the input `name` (else its own name)."""
        return check_number(name or self.name, value, self.minimum, self.maximum)


def check_number(name: str, value: float, lo: float | None = None, hi: float | None = None) -> float:
    """`value` if it is a finite number in [lo, hi], else a ValueError naming input `name` and the range it takes."""
    if lo is not None and hi is not None:
        span = f"from {lo:g} to {hi:g}"
    else:
        span = f"≥ {lo:g}" if lo is not None else f"≤ {hi:g}" if hi is not None else "finite"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"input '{name}' = {value!r} is not a number; enter a number {span}.")
    if not math.isfinite(value) or (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ValueError(f"input '{name}' = {value!r} is out of range; enter a number {span}.")
    return value


# ---- EDM (Karras et al. 2022, arXiv:2206.00364): eq. 5 and Algorithm 2 ---------------------------------------------

KARRAS_STEPS = Param(
    "karras_steps",
    "steps",
    20,
    "Number of sampling steps N; the schedule has N+1 entries ending in 0.",
    1,
    STEPS_MAX,
)
SIGMA_MIN = Param(
    "sigma_min",
    "sigma_min",
    0.0,
    "Lowest non-zero noise level σ. 0 = the connected model's (SD1.x: 0.0292; a flow model: σ = t/(1−t) of its "
    "lowest t).",
    0.0,
    5000.0,
    0.001,
    rounding=False,
)
SIGMA_MAX = Param(
    "sigma_max",
    "sigma_max",
    0.0,
    "Highest noise level σ, where sampling starts. 0 = the connected model's (SD1.x: 14.61; a flow model, whose "
    "σ(1) is infinite: 80, EDM's).",
    0.0,
    5000.0,
    0.01,
    rounding=False,
)
RHO = Param(
    "rho",
    "rho",
    7.0,
    "ρ of EDM eq. 5 (paper: 7). 1 = uniform in σ; larger = denser steps near σmin.",
    0.01,
    100.0,
    0.1,
    rounding=False,
)
S_CHURN = Param(
    "s_churn",
    "s_churn",
    0.0,
    "S_churn: total stochasticity. γ_i = min(S_churn/N, √2−1) inside [S_tmin, S_tmax]; 0 = deterministic Heun. "
    "EDM used 40–80 on ImageNet-64; at S_churn ≥ 0.414·N every step is at the cap.",
    0.0,
    1000.0,
    0.1,
    rounding=False,
)
S_TMIN = Param(
    "s_tmin",
    "s_tmin",
    0.05,
    "S_tmin: churn only at noise level σ ≥ S_tmin (EDM: 0.05; a flow model's σ is t/(1−t)).",
    0.0,
    5000.0,
    0.01,
    rounding=False,
    advanced=True,
)
S_TMAX = Param(
    "s_tmax",
    "s_tmax",
    50.0,
    "S_tmax: churn only at σ ≤ S_tmax (EDM: 50; use a large value for no upper bound).",
    0.0,
    5000.0,
    0.01,
    rounding=False,
    advanced=True,
)
S_NOISE = Param(
    "s_noise",
    "s_noise",
    1.003,
    "S_noise: std of the added noise relative to √(σ̂²−σ²); slightly above 1 offsets detail loss (EDM: 1.003–1.007).",
    0.0,
    2.0,
    0.001,
    rounding=False,
    advanced=True,
)
CHURN = (S_CHURN, S_TMIN, S_TMAX, S_NOISE)

HEUN_STEPS = Param("heun_steps", "steps", 20, "Heun steps N; costs 2N−1 model evaluations.", 1, STEPS_MAX)
SEED = Param("seed", "seed", 0, "Seed of the initial noise and of the churn noise.", 0, SEED_MAX)
CFG = Param("cfg", "cfg", 7.0, "Classifier-free guidance scale.", 0.0, 100.0, 0.1, rounding=0.01)
DENOISE = Param(
    "denoise",
    "denoise",
    1.0,
    "Fraction of the schedule to run: 1 = from pure noise, lower keeps more of the input latent.",
    0.0,
    1.0,
    0.01,
)

# ---- Lin et al. 2024 (arXiv:2305.08891): Table 2 and Algorithm 2 ---------------------------------------------------

SPACING_STEPS = Param(
    "spacing_steps",
    "steps",
    10,
    "Number of sampling steps S (at most the model's timesteps, usually 1000).",
    1,
    STEPS_MAX,
)
SPACING = Param(
    "spacing",
    "spacing",
    "trailing",
    "trailing: T−1, T−1−T/S, … (includes the last timestep; recommended). linspace: evenly from T−1 to 0. "
    "leading: (S−1)·T/S … 0 (DDIM/PNDM default; skips the noisiest timesteps).",
    choices=("trailing", "linspace", "leading"),
)
PHI = Param(
    "phi",
    "phi",
    0.7,
    "φ: 0 = plain CFG, 1 = full std matching. Paper: 0.7 with CFG 7.5; 0.5–0.75 works well.",
    0.0,
    1.0,
    0.01,
)

# ---- CADS (Sadat et al. ICLR 2024, arXiv:2310.17347), §3: s of ŷ = √γ(t)·y + s·√(1 − γ(t))·n (eq. 1), τ1 and τ2 of
# the annealing schedule γ(t) (eq. 2), ψ of the mix ŷ_final = ψ·ŷ_rescaled + (1 − ψ)·ŷ (eq. 4) ---------------------

NOISE_SCALE = Param(
    "noise_scale",
    "noise_scale",
    0.25,
    "s: std of the noise added to the conditioning where γ = 0 (paper: 0.025–0.25). 0 is not off: where γ < 1 the "
    "conditioning still becomes √γ·y (0 where t ≥ τ2); with rescale that is mapped back to y's mean/std (ψ = 1: y "
    "again, or y's mean where γ = 0). To turn CADS off, switch it off (bypass the node) or set τ1 = τ2 = 1 (γ = 1 "
    "everywhere).",
    0.0,
    10.0,
    0.005,
)
TAU1 = Param(
    "tau1",
    "tau1",
    0.6,
    "τ1: below this t (t = 1 pure noise, 0 clean) the conditioning is left clean (γ = 1).",
    0.0,
    1.0,
    0.01,
)
TAU2 = Param(
    "tau2", "tau2", 0.9, "τ2: above this t the conditioning is fully noised (γ = 0). Needs τ1 ≤ τ2.", 0.0, 1.0, 0.01
)
PSI = Param(
    "psi",
    "psi",
    1.0,
    "ψ: mix of the rescaled (to y's mean/std) and unrescaled noisy conditioning; 1 = fully rescaled.",
    0.0,
    1.0,
    0.01,
    advanced=True,
)
CADS_RESCALE = Param(
    "cads_rescale",
    "rescale",
    True,
    "Rescale the noisy conditioning back to the original mean and std (then mixed by ψ).",
    advanced=True,
)
CADS_NEGATIVE = Param(
    "cads_negative",
    "apply_to_negative",
    False,
    "Also anneal the negative conditioning (the paper anneals the positive).",
    advanced=True,
)
CADS_SEED = Param(
    "cads_seed",
    "seed",
    0,
    "Extra seed for the CADS noise, mixed with the sampler's seed.",
    0,
    SEED_MAX,
    advanced=True,
)
CADS = (NOISE_SCALE, TAU1, TAU2, PSI, CADS_RESCALE, CADS_NEGATIVE, CADS_SEED)

PARAMS: dict[str, Param[Any]] = {
    p.key: p
    for p in (
        KARRAS_STEPS,
        SIGMA_MIN,
        SIGMA_MAX,
        RHO,
        *CHURN,
        HEUN_STEPS,
        SEED,
        CFG,
        DENOISE,
        SPACING_STEPS,
        SPACING,
        PHI,
        *CADS,
    )
}
