"""The host's conditioning in one CFG model call: its rows, its AND-prompts, the image and AND-prompt of each positive
row, and copies that keep the host's type."""

from __future__ import annotations

from typing import Any


def rows(cond) -> int:
    """Rows of a conditioning (a tensor, or SDXL's dict of `crossattn` and `vector`)."""
    return (cond["crossattn"] if isinstance(cond, dict) else cond).shape[0]


def conds_list(denoiser) -> list[list[tuple[int, float]]]:
    """Per image, its AND-prompts as (positive row, weight) at the denoiser's step (the host's own reconstruction)."""
    from modules import prompt_parser

    conds, _ = prompt_parser.reconstruct_multicond_batch(denoiser.sampler.sampler_extra_args["cond"], denoiser.step)
    return conds


def cond_images(denoiser, cond_rows: int, batch: int) -> list[tuple[int, int]]:
    """(image, index within that image's AND-prompts) of each positive conditioning row."""
    if cond_rows == batch:
        return [(i, 0) for i in range(batch)]
    owner = {}
    for image, conds in enumerate(conds_list(denoiser)):
        for j, (row, _weight) in enumerate(conds):
            owner[row] = (image, j)
    return [owner[r] for r in range(cond_rows)]


def copy_cond(cond: dict) -> dict:
    """A shallow copy of a dict conditioning, keeping the host's DictWithShape type and shape."""
    dict_with_shape: Any = type(cond)
    return dict_with_shape(dict(cond), cond.shape) if hasattr(cond, "shape") else dict(cond)
