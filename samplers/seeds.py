"""The seed scheme: where every random number of a run comes from, so that image k of a batch is the image that
batch index k gives alone, on any device.

1. Per-sample seed (`sample_seeds`): a 63-bit hash of the run's seed and of that sample's own initial noise. Hosts
   draw the initial noise of sample k from (seed, k) alone, so sample k gets the same seed alone or in a batch.
   Where the noise is all zero (noise disabled) or absent, the batch position k is hashed instead.
2. Per-sample streams (`seeded_normal`): standard-normal noise of sample k comes from a CPU generator seeded with
   that sample's seed only (the churn noise of EDM Algorithm 2 draws its steps in order from one such stream).
3. Per-call seeds (`call_seed`): noise that is fresh at every model call (CADS) uses the hash of the sample's seed,
   the call's σ (as exact float hex) and a stream number naming what the noise is for (e.g. tokens / pooled,
   positive / negative), so two calls or two parts never share noise and a repeated run repeats it exactly.
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
    seed_bytes = (0 if seed is None else int(seed) & (2 ** 64 - 1)).to_bytes(8, "little")
    usable = noise is not None and noise.shape[0] == batch
    seeds = []
    for k in range(batch):
        sample = noise[k].reshape(-1)[:_HASHED_VALUES] if usable else None
        if sample is None or not bool(sample.any()):
            seeds.append(_digest(seed_bytes, b"k", k.to_bytes(8, "little")))
        else:
            seeds.append(_digest(seed_bytes, sample.detach().to("cpu", torch.float32).numpy().tobytes()))
    return seeds


def call_seed(sample_seed: int, sigma: float, stream: int) -> int:
    """A 63-bit seed for one sample, one model call (its σ) and one stream (0 … 65535)."""
    return _digest(int(sample_seed).to_bytes(8, "little"), float(sigma).hex().encode(), stream.to_bytes(2, "little"))


def seeded_normal(seeds: Sequence[int], shape: Sequence[int], generators: Sequence[torch.Generator] | None = None, *,
                  dtype: torch.dtype = torch.float32, device: torch.device | str | None = None) -> torch.Tensor:
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
