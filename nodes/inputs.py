"""ComfyUI inputs from the core's parameter table (`samplers/params.py`): only the translation to INPUT_TYPES."""

from __future__ import annotations

from typing import Any

from .. import samplers as S

P = S.params
_KINDS = {bool: "BOOLEAN", int: "INT", float: "FLOAT"}


def widget(param: S.Param, **options: Any) -> tuple:
    """One INPUT_TYPES entry: ("FLOAT", {"default", "min", "max", "step", "tooltip", …}), a BOOLEAN, or a combo
    (the list of choices); `options` adds host-only ones (e.g. control_after_generate)."""
    spec: dict[str, Any] = {"default": param.default}
    if param.numeric:
        spec.update(min=param.minimum, max=param.maximum)
        if param.step is not None:
            spec["step"] = param.step
        if param.rounding is not None:
            spec["round"] = param.rounding
    if param.advanced:
        spec["advanced"] = True
    spec.update(tooltip=param.tooltip, **options)
    return (list(param.choices) if param.choices else _KINDS[param.kind], spec)


def widgets(*params: S.Param) -> dict[str, tuple]:
    """INPUT_TYPES entries of `params`, in order, under their input names."""
    return {p.name: widget(p) for p in params}
