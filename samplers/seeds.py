"""The seed scheme: where every random number of a run comes from, so that image k of a batch is the image that
batch index k gives alone, on any device.

1. Per-sample seed (`sample_seeds`): a 63-bit hash of the run's seed and of that sample's own initial noise. Hosts
   draw the initial noise of sample k from (seed, k) alone, so sample k gets the same seed alone or in a batch.
   Where the noise is all zero (noise disabled) or absent, the batch position k is hashed instead.
2. Per-sample streams (`seeded_normal`): standard-normal noise of sample k comes from a CPU generator seeded with
   that sample's seed only (the churn noise of EDM Algorithm 2, Karras et al. 2022, arXiv:2206.00364, draws its
   steps in order from one such stream).
3. Per-call seeds (`call_seed`): noise that is fresh at every model call (CADS) uses the hash of the sample's seed,
   the call's σ (as exact float hex) and a stream number naming what the noise is for, so two calls or two parts
   never share noise and a repeated run repeats it exactly.
4. CADS (`cads_noise_seeds`): conditioning row k of a call at level σ draws its noise (Sadat et al. ICLR 2024,
   arXiv:2310.17347: the n of eq. 1, ŷ = √γ·y + s·√(1 − γ)·n) from `call_seed(mixed_seed(sample seed k, CADS seed),
   σ, stream)`, with one stream scheme on every host (`cads_stream`):

       stream = 4·(prompt + 4096·part) + 2·negative + pooled

   prompt: the index of the conditioning entry within the positive (or negative) conditioning, 0 … 4095 (ComfyUI:
   the entries of a combined CONDITIONING, in order; A1111 / Forge: the AND-prompts of the prompt); negative: 1 for
   the negative conditioning, else 0; pooled: 1 for a pooled text embedding (SDXL's, SD3's, Flux's `y`, Stable
   Cascade's `clip_text_pooled`, …), 0 for text tokens; part: which of a model's text streams of that kind, 0 … 3:
   0 for the main one (`c_crossattn`, the only one of SD1.x/SDXL), 1 for a second token stream (HiDream's Llama-3,
   HunyuanDiT's mT5, …). So positive tokens 0, positive pooled 1, negative tokens 2, negative pooled 3, the second
   prompt's tokens 4, …, the first prompt's second token stream 16384: the same sample seed, σ and part give the
   same noise in ComfyUI and in the web UIs (which anneal part 0 only).
"""

from __future__ import annotations

import hashlib
from typing import Sequence

import torch

_SEED_BITS = 63
#: How much of a sample's initial noise is hashed into its seed (enough to tell samples apart, cheap to read).
_HASHED_VALUES = 4096


def _digest(*parts: bytes) -> int:
    h = hashlib.blake2b(digest_size=8)
    for part in parts:
        h.update(part)
    return int.from_bytes(h.digest(), "little") >> (64 - _SEED_BITS)


def sample_seeds(seed: int | None, noise: torch.Tensor | None, batch: int) -> list[int]:
    """One 63-bit seed per sample, from the run's seed (None = 0, any int) and sample k's initial noise noise[k]."""
    seed_bytes = (0 if seed is None else int(seed) & (2**64 - 1)).to_bytes(8, "little")
    usable = noise if noise is not None and noise.shape[0] == batch else None
    seeds = []
    for k in range(batch):
        sample = usable[k].reshape(-1)[:_HASHED_VALUES] if usable is not None else None
        if sample is None or not bool(sample.any()):
            seeds.append(_digest(seed_bytes, b"k", k.to_bytes(8, "little")))
        else:
            seeds.append(_digest(seed_bytes, sample.detach().to("cpu", torch.float32).numpy().tobytes()))
    return seeds


def call_seed(sample_seed: int, sigma: float, stream: int) -> int:
    """A 63-bit seed for one sample, one model call (its σ) and one stream (0 … 65535)."""
    return _digest(int(sample_seed).to_bytes(8, "little"), float(sigma).hex().encode(), stream.to_bytes(2, "little"))


def mixed_seed(sample_seed: int, extra_seed: int) -> int:
    """A sample's seed with a user's extra seed mixed in (CADS's `seed` input): sample_seed XOR the extra seed's low 63
    bits, so extra seed 0 keeps the sample's seed and any int (0 … 2⁶⁴ − 1 from a widget) works."""
    return int(sample_seed) ^ (int(extra_seed) & (2**_SEED_BITS - 1))


#: Text streams of one kind (tokens or pooled) per model, and prompts, that the CADS stream scheme tells apart in
#: call_seed's 16-bit stream: 4 parts × 4096 prompts × 4 (tokens/pooled × positive/negative).
CADS_PARTS = 4
CADS_PROMPTS = 2**16 // (4 * CADS_PARTS)


def cads_stream(*, negative: bool, pooled: bool, prompt: int = 0, part: int = 0) -> int:
    """The `call_seed` stream of CADS noise for one part of the conditioning: 4·(prompt + CADS_PROMPTS·part) +
    2·negative + pooled (the scheme of this module's docstring, item 4; part 0 is the scheme of one token and one
    pooled stream per prompt). prompt: 0 … CADS_PROMPTS − 1; part: 0 … CADS_PARTS − 1."""
    if not 0 <= prompt < CADS_PROMPTS:
        raise ValueError(f"prompt must be in [0, {CADS_PROMPTS - 1}], got {prompt!r}")
    if not 0 <= part < CADS_PARTS:
        raise ValueError(f"part must be in [0, {CADS_PARTS - 1}], got {part!r}")
    return 4 * (prompt + CADS_PROMPTS * part) + 2 * bool(negative) + bool(pooled)


def cads_noise_seeds(
    sample_seeds: Sequence[int], sigmas: Sequence[float], streams: Sequence[int], extra_seed: int
) -> list[int]:
    """Seeds of the CADS noise of a call's conditioning rows, row k: call_seed(mixed_seed(sample_seeds[k],
    extra_seed), sigmas[k], streams[k]) (σ: the row's noise level; streams from `cads_stream`)."""
    if not len(sample_seeds) == len(sigmas) == len(streams):
        raise ValueError(
            f"need one sample seed, σ and stream per row, got {len(sample_seeds)}, {len(sigmas)} and {len(streams)}"
        )
    return [
        call_seed(mixed_seed(seed, extra_seed), sigma, stream)
        for seed, sigma, stream in zip(sample_seeds, sigmas, streams)
    ]


def seeded_normal(
    seeds: Sequence[int],
    shape: Sequence[int],
    generators: Sequence[torch.Generator] | None = None,
    *,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Standard-normal noise [len(seeds), *shape]; row k from a CPU generator seeded with seeds[k].

    generators: CPU generators to continue instead (one per row; `seeds` then only gives the count). Drawn in
    float32 on the CPU, so the values do not depend on the device or dtype they are returned in.
    """
    gens = generators if generators is not None else [torch.Generator().manual_seed(int(s)) for s in seeds]
    if len(gens) != len(seeds):
        raise ValueError(f"need one generator per seed ({len(seeds)}), got {len(gens)}")
    noise = torch.empty((len(seeds), *shape), dtype=torch.float32)
    for row, generator in zip(noise, gens):
        row.normal_(generator=generator)
    return noise.to(device=device, dtype=dtype)
