"""The accordion's parameters: one host-free table (defaults, ranges, steps and tooltips equal to the ComfyUI
nodes', checked by tests/webui/test_params_match_nodes.py), the per-generation settings built from it, their
validation, and their infotext keys."""
from __future__ import annotations

import contextlib
import dataclasses
import math
from typing import Any, Iterator, Mapping

from . import core

SPACINGS = ("trailing", "linspace", "leading")


@dataclasses.dataclass(frozen=True)
class Param:
    """One accordion input: name (also the script-argument and settings field name), the feature it belongs to,
    its label, default, range and tooltip (from the ComfyUI node), and its infotext key."""
    name: str
    feature: str
    label: str
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    tooltip: str = ""

    @property
    def kind(self) -> type:
        return type(self.default)

    @property
    def infotext_key(self) -> str:
        return f"Sampler Lab {self.label}"


_CHURN = "EDM Heun"
_KARRAS = "Karras"
_RESCALE = "CFG rescale"
_CADS = "CADS"
_ZTSNR = "Zero terminal SNR"

PARAMS: tuple[Param, ...] = (
    Param("s_churn", _CHURN, "S_churn", 0.0, 0.0, 1000.0, 0.1,
          "S_churn: total stochasticity. γ_i = min(S_churn/N, √2−1) inside [S_tmin, S_tmax]; 0 = deterministic Heun. "
          "EDM used 40–80 on ImageNet-64; at S_churn ≥ 0.414·N every step is at the cap."),
    Param("s_tmin", _CHURN, "S_tmin", 0.05, 0.0, 5000.0, 0.01,
          "S_tmin: churn only at noise level σ ≥ S_tmin (EDM: 0.05; a flow model's σ is t/(1−t))."),
    Param("s_tmax", _CHURN, "S_tmax", 50.0, 0.0, 5000.0, 0.01,
          "S_tmax: churn only at σ ≤ S_tmax (EDM: 50; use a large value for no upper bound)."),
    Param("s_noise", _CHURN, "S_noise", 1.003, 0.0, 2.0, 0.001,
          "S_noise: std of the added noise relative to √(σ̂²−σ²); slightly above 1 offsets detail loss (EDM: "
          "1.003–1.007)."),
    Param("rho", _KARRAS, "rho", 7.0, 0.01, 100.0, 0.1,
          "ρ of EDM eq. 5 (paper: 7). 1 = uniform in σ; larger = denser steps near σmin."),
    Param("rescale_enabled", _RESCALE, "CFG rescale", False),
    Param("phi", _RESCALE, "CFG rescale phi", 0.7, 0.0, 1.0, 0.01,
          "φ: 0 = plain CFG, 1 = full std matching. Paper: 0.7 with CFG 7.5; 0.5–0.75 works well."),
    Param("cads_enabled", _CADS, "CADS", False),
    Param("noise_scale", _CADS, "CADS noise scale", 0.25, 0.0, 10.0, 0.005,
          "s: std of the noise added to the conditioning where γ = 0 (paper: 0.025–0.25). 0 is not off: where γ < 1 "
          "the conditioning still becomes √γ·y (0 where t ≥ τ2); with rescale that is mapped back to y's mean/std "
          "(ψ = 1: y again, or y's mean where γ = 0). To turn CADS off, switch it off (bypass the node) or set "
          "τ1 = τ2 = 1 (γ = 1 everywhere)."),
    Param("tau1", _CADS, "CADS tau1", 0.6, 0.0, 1.0, 0.01,
          "τ1: below this t (t = 1 pure noise, 0 clean) the conditioning is left clean (γ = 1)."),
    Param("tau2", _CADS, "CADS tau2", 0.9, 0.0, 1.0, 0.01,
          "τ2: above this t the conditioning is fully noised (γ = 0). Needs τ1 ≤ τ2."),
    Param("psi", _CADS, "CADS psi", 1.0, 0.0, 1.0, 0.01,
          "ψ: mix of the rescaled (to y's mean/std) and unrescaled noisy conditioning; 1 = fully rescaled."),
    Param("cads_rescale", _CADS, "CADS rescale", True,
          tooltip="Rescale the noisy conditioning back to the original mean and std (then mixed by ψ)."),
    Param("cads_negative", _CADS, "CADS negative", False,
          tooltip="Also anneal the negative conditioning (the paper anneals the positive)."),
    Param("cads_seed", _CADS, "CADS seed", 0, 0, 0xffffffffffffffff, 1,
          "Extra seed for the CADS noise, mixed with the sampler's seed."),
    Param("ztsnr_enabled", _ZTSNR, "ZTSNR", False),
)
PARAM_BY_NAME = {p.name: p for p in PARAMS}
NUMERIC = tuple(p for p in PARAMS if p.kind in (int, float))


@dataclasses.dataclass(frozen=True)
class Settings:
    """One generation's Sampler Lab settings (script arguments in PARAMS order)."""
    s_churn: float = 0.0
    s_tmin: float = 0.05
    s_tmax: float = 50.0
    s_noise: float = 1.003
    rho: float = 7.0
    rescale_enabled: bool = False
    phi: float = 0.7
    cads_enabled: bool = False
    noise_scale: float = 0.25
    tau1: float = 0.6
    tau2: float = 0.9
    psi: float = 1.0
    cads_rescale: bool = True
    cads_negative: bool = False
    cads_seed: int = 0
    ztsnr_enabled: bool = False

    @classmethod
    def from_args(cls, args: tuple | list, overrides: Mapping[str, Any] | None = None) -> "Settings":
        """Settings from the script's arguments (PARAMS order; missing trailing ones take defaults; API callers may
        also pass one dict of names first: the API fills the positions after it with the UI's defaults, which are
        ignored), then `overrides` (XYZ-plot axes) on top, each cast to its parameter's type."""
        values: dict[str, Any] = {}
        if args and isinstance(args[0], Mapping):
            values.update(args[0])
        else:
            values.update({p.name: v for p, v in zip(PARAMS, args)})
        values.update(overrides or {})
        unknown = sorted(set(values) - set(PARAM_BY_NAME))
        if unknown:
            raise ValueError(f"Sampler Lab: unknown argument(s) {unknown}; known: {[p.name for p in PARAMS]}")
        return cls(**{k: _cast(PARAM_BY_NAME[k], v) for k, v in values.items()})


def _cast(param: Param, value: Any) -> Any:
    if param.kind is bool:
        return value if isinstance(value, bool) else str(value).strip().lower() in ("true", "1", "yes")
    if param.kind is int:
        return _cast_int(param, value)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"Sampler Lab: input '{param.label}' must be a number, got {value!r}") from None


def _cast_int(param: Param, value: Any) -> int:
    """Exact over the whole range (CADS seed: up to 2⁶⁴−1): ints and digit strings as they are; a float only where
    it is a whole number that a float holds exactly (|x| ≤ 2⁵³), else refused rather than rounded."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    with contextlib.suppress(TypeError, ValueError):
        return int(str(value).strip())
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"Sampler Lab: input '{param.label}' must be an integer, got {value!r}") from None
    if not number.is_integer() or abs(number) > 2 ** 53:
        raise ValueError(f"Sampler Lab: input '{param.label}' must be an integer (above 2^53 given as an integer or "
                         f"a string of digits, not a float), got {value!r}")
    return int(number)


def validate(s: Settings) -> None:
    """Refuse bad input by its name before sampling starts (host callbacks swallow exceptions)."""
    for p in NUMERIC:
        value = getattr(s, p.name)
        if not math.isfinite(value) or not p.minimum <= value <= p.maximum:
            raise ValueError(f"Sampler Lab: input '{p.label}' = {value!r} is outside [{p.minimum}, {p.maximum}].")
    with core_refusal():
        core.check_churn_window(s.s_tmin, s.s_tmax, (PARAM_BY_NAME["s_tmin"].label, PARAM_BY_NAME["s_tmax"].label))
    if s.cads_enabled and s.tau1 > s.tau2:
        raise ValueError(f"Sampler Lab: input 'CADS tau1' ({s.tau1}) is above 'CADS tau2' ({s.tau2}); CADS needs 0 ≤ "
                         f"τ1 ≤ τ2 ≤ 1.")


@contextlib.contextmanager
def core_refusal() -> Iterator[None]:
    """A refusal (ValueError) of one of the core's checks, raised again as this adapter's: "Sampler Lab: " first."""
    try:
        yield
    except ValueError as error:
        raise ValueError(f"Sampler Lab: {error}") from None


def used_params(s: Settings, *, heun: bool, karras: bool) -> list[Param]:
    """The parameters in effect for a generation: churn only with the EDM Heun sampler, ρ only with the
    Sampler Lab Karras schedule, the rest only where their feature is switched on."""
    on = {_CHURN: heun, _KARRAS: karras, _RESCALE: s.rescale_enabled, _CADS: s.cads_enabled, _ZTSNR: s.ztsnr_enabled}
    return [p for p in PARAMS if on[p.feature]]


def infotext(s: Settings, *, heun: bool, karras: bool) -> dict[str, Any]:
    """`Sampler Lab …` infotext entries: every parameter in effect whose value is not its default, and the switches
    that are on."""
    return {p.infotext_key: getattr(s, p.name) for p in used_params(s, heun=heun, karras=karras)
            if getattr(s, p.name) != p.default}


def from_infotext(param: Param, fields: Mapping[str, Any]) -> Any:
    """A parameter's value from pasted infotext: its entry, else its default (so a paste resets what it omits)."""
    value = fields.get(param.infotext_key)
    return param.default if value is None else _cast(param, value)
