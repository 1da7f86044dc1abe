"""CADS (Sadat et al. 2024) on the conditioning of each CFG denoiser call (`on_cfg_denoiser`), seeded per image."""

from __future__ import annotations

import torch

from . import core
from .conds import cond_images, copy_cond, rows
from .detect import is_timesteps_denoiser
from .params import Settings
from .run import run_of


#: Columns of SDXL's `vector` that are the pooled CLIP embedding (the rest are size/crop embeddings).
POOLED_WIDTH = 1280


def normalised_time(denoiser, sigma: torch.Tensor) -> torch.Tensor:
    """t ∈ [0, 1] per row (1 = pure noise): `samplers.normalised_time` with the host's σ → timestep map (the identity
    for DDIM-type denoisers, whose `sigma` holds timesteps) and its last timestep."""
    if is_timesteps_denoiser(denoiser):
        return core.normalised_time(lambda t: t, sigma, len(denoiser.alphas) - 1)
    inner = denoiser.inner_model
    return core.normalised_time(inner.sigma_to_t, sigma, len(inner.sigmas) - 1)


def image_seeds(p, batch: int) -> list[int]:
    """Per-image 63-bit seeds of the batch from the host's per-image seeds (`samplers/seeds.py` scheme)."""
    seeds = list(getattr(p, "seeds", None) or [])[:batch]
    seeds += [getattr(p, "seed", 0) or 0] * (batch - len(seeds))
    return [core.sample_seeds(int(s), None, 1)[0] for s in seeds]


def on_cfg_denoiser(params) -> None:
    """Anneal the conditioning rows of this model call: tokens and SDXL's pooled part of `vector` (never its size
    embeddings). A1111 passes cond rows then uncond rows in `x`/`sigma`; Forge passes the B image rows."""
    denoiser = params.denoiser
    run = run_of(getattr(denoiser, "p", None))
    if run is None or not run.settings.cads_enabled:
        return
    s = run.settings
    batch = rows(params.text_uncond) if params.text_uncond is not None else params.x.shape[0]
    cond_rows = rows(params.text_cond)
    owners = cond_images(denoiser, cond_rows, batch)
    sigma = params.sigma
    if sigma.shape[0] == batch:  # Forge: one σ per image
        cond_sigma = sigma[[i for i, _ in owners]]
        uncond_sigma = sigma
    else:  # A1111: cond rows, then uncond rows
        cond_sigma, uncond_sigma = sigma[:cond_rows], sigma[cond_rows : cond_rows + batch]
    seeds = image_seeds(denoiser.p, batch)
    params.text_cond = _cads(
        params.text_cond, denoiser, cond_sigma, [seeds[i] for i, _ in owners], [j for _, j in owners], False, s
    )
    if s.cads_negative and params.text_uncond is not None:
        params.text_uncond = _cads(params.text_uncond, denoiser, uncond_sigma, seeds, [0] * batch, True, s)


def _cads(cond, denoiser, sigma: torch.Tensor, seeds: list[int], prompts: list[int], negative: bool, s: Settings):
    """CADS on the rows of one conditioning; row k: image seed seeds[k], AND-prompt prompts[k] (`samplers.seeds`
    scheme)."""
    gamma = core.cads_gamma(normalised_time(denoiser, sigma), s.tau1, s.tau2)
    if bool((gamma >= 1).all()):
        return cond
    levels = sigma.float().tolist()

    def anneal(y: torch.Tensor, pooled: bool, width: int | None) -> torch.Tensor:
        streams = [core.cads_stream(negative=negative, pooled=pooled, prompt=j) for j in prompts]
        return core.cads_anneal(
            y,
            gamma,
            core.cads_noise_seeds(seeds, levels, streams, s.cads_seed),
            s.noise_scale,
            psi=s.psi,
            rescale=s.cads_rescale,
            width=width,
        )

    if isinstance(cond, dict):
        out = copy_cond(cond)
        out["crossattn"] = anneal(cond["crossattn"], False, None)
        if "vector" in cond:
            out["vector"] = anneal(cond["vector"], True, POOLED_WIDTH)
        return out
    return anneal(cond, False, None)
