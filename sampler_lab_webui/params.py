"""The accordion's parameters: the core's table (`samplers/params.py`) with the labels, features and infotext keys
of the web UIs, the three feature switches, the per-generation settings built from them, and their validation."""

from __future__ import annotations

import contextlib
import dataclasses
import numbers
import re
from typing import Any, Iterator, Mapping

from . import core

P = core.params
#: A text box's integer: the digits 0-9 only (no sign, point, exponent, underscore or other script's digits).
_DIGITS = re.compile(r"[0-9]+")


@dataclasses.dataclass(frozen=True)
class Param:
    """One accordion input: the core's parameter (`core`; None for a feature's on/off switch), the feature it belongs
    to and its label (the infotext key is "Sampler Lab <label>"). name: the script-argument and Settings field name
    (the core's key)."""

    name: str
    feature: str
    label: str
    core: core.Param | None = None

    @property
    def default(self) -> Any:
        return False if self.core is None else self.core.default

    @property
    def kind(self) -> type:
        return type(self.default)

    @property
    def minimum(self) -> float | None:
        return None if self.core is None else self.core.minimum

    @property
    def maximum(self) -> float | None:
        return None if self.core is None else self.core.maximum

    @property
    def step(self) -> float | None:
        return None if self.core is None else self.core.step

    @property
    def tooltip(self) -> str:
        return "" if self.core is None else self.core.tooltip

    @property
    def infotext_key(self) -> str:
        return f"Sampler Lab {self.label}"


CHURN = "EDM Heun"
KARRAS = "Karras"
RESCALE = "CFG rescale"
CADS = "CADS"
ZTSNR = "Zero terminal SNR"


def _from_core(param: core.Param, feature: str, label: str) -> Param:
    return Param(param.key, feature, label, param)


#: The script's arguments, in order (the order API callers pass them positionally; never reorder).
PARAMS: tuple[Param, ...] = (
    _from_core(P.S_CHURN, CHURN, "S_churn"),
    _from_core(P.S_TMIN, CHURN, "S_tmin"),
    _from_core(P.S_TMAX, CHURN, "S_tmax"),
    _from_core(P.S_NOISE, CHURN, "S_noise"),
    _from_core(P.RHO, KARRAS, "rho"),
    Param("rescale_enabled", RESCALE, "CFG rescale"),
    _from_core(P.PHI, RESCALE, "CFG rescale phi"),
    Param("cads_enabled", CADS, "CADS"),
    _from_core(P.NOISE_SCALE, CADS, "CADS noise scale"),
    _from_core(P.TAU1, CADS, "CADS tau1"),
    _from_core(P.TAU2, CADS, "CADS tau2"),
    _from_core(P.PSI, CADS, "CADS psi"),
    _from_core(P.CADS_RESCALE, CADS, "CADS rescale"),
    _from_core(P.CADS_NEGATIVE, CADS, "CADS negative"),
    _from_core(P.CADS_SEED, CADS, "CADS seed"),
    Param("ztsnr_enabled", ZTSNR, "ZTSNR"),
)
PARAM_BY_NAME = {p.name: p for p in PARAMS}
NUMERIC = tuple(p for p in PARAMS if p.kind in (int, float))


@dataclasses.dataclass(frozen=True)
class Settings:
    """One generation's Sampler Lab settings: one field per entry of PARAMS, by name, defaults from the core's table
    (checked when this module loads)."""

    s_churn: float = P.S_CHURN.default
    s_tmin: float = P.S_TMIN.default
    s_tmax: float = P.S_TMAX.default
    s_noise: float = P.S_NOISE.default
    rho: float = P.RHO.default
    rescale_enabled: bool = False
    phi: float = P.PHI.default
    cads_enabled: bool = False
    noise_scale: float = P.NOISE_SCALE.default
    tau1: float = P.TAU1.default
    tau2: float = P.TAU2.default
    psi: float = P.PSI.default
    cads_rescale: bool = P.CADS_RESCALE.default
    cads_negative: bool = P.CADS_NEGATIVE.default
    cads_seed: int = P.CADS_SEED.default
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
    """Exact over the whole range (CADS seed: 0 to 2⁶⁴−1, which no JavaScript number holds: the accordion sends it
    as text): an integer as it is; a string of the digits 0–9 (spaces around it ignored); a float only where it is a
    whole number that a float holds exactly (|x| ≤ 2⁵³). Anything else, or a value outside the range, is refused
    naming the input, never rounded."""
    lo = None if param.minimum is None else int(param.minimum)
    hi = None if param.maximum is None else int(param.maximum)
    span = "a whole number" + (f" from {lo}" if lo is not None else "") + (f" to {hi}" if hi is not None else "")
    number: int | None = None
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        number = int(value)
    elif isinstance(value, str):
        if not _DIGITS.fullmatch(value.strip()):
            raise ValueError(f"Sampler Lab: input '{param.label}' must be {span} in the digits 0-9, got {value!r}")
        number = int(value.strip())
    elif isinstance(value, float) and value.is_integer() and abs(value) <= 2**53:
        number = int(value)
    if number is None:
        raise ValueError(
            f"Sampler Lab: input '{param.label}' must be {span} (above 2^53 as an integer or a string of digits, "
            f"not a float), got {value!r}"
        )
    if (lo is not None and number < lo) or (hi is not None and number > hi):
        raise ValueError(f"Sampler Lab: input '{param.label}' = {number} is out of range; enter {span}.")
    return number


def validate(s: Settings) -> None:
    """Refuse bad input by its name before sampling starts (host callbacks swallow exceptions)."""
    with core_refusal():
        for p in NUMERIC:
            P.PARAMS[p.name].check(getattr(s, p.name), p.label)
        core.check_churn_window(s.s_tmin, s.s_tmax, (PARAM_BY_NAME["s_tmin"].label, PARAM_BY_NAME["s_tmax"].label))
        if s.cads_enabled:
            core.check_cads_window(s.tau1, s.tau2, (PARAM_BY_NAME["tau1"].label, PARAM_BY_NAME["tau2"].label))


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
    on = {CHURN: heun, KARRAS: karras, RESCALE: s.rescale_enabled, CADS: s.cads_enabled, ZTSNR: s.ztsnr_enabled}
    return [p for p in PARAMS if on[p.feature]]


def infotext(s: Settings, *, heun: bool, karras: bool) -> dict[str, Any]:
    """`Sampler Lab …` infotext entries: every parameter in effect whose value is not its default, and the switches
    that are on."""
    return {
        p.infotext_key: getattr(s, p.name)
        for p in used_params(s, heun=heun, karras=karras)
        if getattr(s, p.name) != p.default
    }


def from_infotext(param: Param, fields: Mapping[str, Any]) -> Any:
    """A parameter's value from pasted infotext: its entry, else its default (so a paste resets what it omits)."""
    value = fields.get(param.infotext_key)
    return param.default if value is None else _cast(param, value)


def _check_settings_fields() -> None:
    fields = {f.name: f.default for f in dataclasses.fields(Settings)}
    declared = {p.name: p.default for p in PARAMS}
    if fields != declared:
        raise RuntimeError(f"Settings fields {fields} differ from PARAMS {declared}")


_check_settings_fields()
