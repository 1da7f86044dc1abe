"""Overhead of Sampler Lab against the host's own code, measured in one run with paired repetitions.

    .venv/bin/python bench/overhead.py [--reps N]      # writes bench/results/overhead.md

1. Heun/churn loop: ours (`samplers.sample_heun_churn`) vs the host's `k_diffusion.sampling.sample_heun`, same cheap
   analytic denoiser (ideal denoiser of N(0, I) data), SDXL-size latents 1×4×128×128, 30 Karras steps; time and peak
   live tensor memory.
2. Patches, as a fraction of the model call: a whole host sampling run (KSampler path, Euler) of the tiny test UNet
   with and without our CFG rescale, the host's RescaleCFG, and our CADS.
Ratios are medians over paired repetitions (order alternated). CPU only: the test host runs with --cpu.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
import weakref
from pathlib import Path

import torch
from torch.utils._python_dispatch import TorchDispatchMode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
import hostlib  # noqa: E402  (the test harness: imports the real host, builds tiny models)


class PeakTensorMemory(TorchDispatchMode):
    """Peak bytes of tensor storages created inside the block and still alive (any device)."""

    def __enter__(self):
        self.live, self.peak, self.seen = 0, 0, set()
        return super().__enter__()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in out if isinstance(out, (tuple, list)) else (out,):
            if isinstance(t, torch.Tensor):
                storage = t.untyped_storage()
                key = storage.data_ptr()
                if key and key not in self.seen:
                    self.seen.add(key)
                    self.live += storage.nbytes()
                    self.peak = max(self.peak, self.live)
                    weakref.finalize(storage, self._free, key, storage.nbytes())
        return out

    def _free(self, key: int, nbytes: int) -> None:
        self.seen.discard(key)
        self.live -= nbytes


def paired(run_a, run_b, reps: int, sync) -> tuple[float, float, float]:
    """Median time of a, of b and median of per-pair ratios a/b, alternating which goes first."""
    times_a, times_b, ratios = [], [], []
    for r in range(reps):
        pair = {}
        for name, fn in ((("a", run_a), ("b", run_b)) if r % 2 == 0 else (("b", run_b), ("a", run_a))):
            sync()
            start = time.perf_counter()
            fn()
            sync()
            pair[name] = time.perf_counter() - start
        times_a.append(pair["a"])
        times_b.append(pair["b"])
        ratios.append(pair["a"] / pair["b"])
    return statistics.median(times_a), statistics.median(times_b), statistics.median(ratios)


def bench_heun(device: str, reps: int, sync) -> list[str]:
    from comfy.k_diffusion import sampling as host_sampling
    S = hostlib.import_pack().samplers

    x = torch.randn(1, 4, 128, 128, generator=torch.Generator().manual_seed(0)).to(device) * 14.6
    sigmas = S.karras_sigmas(30, 0.0292, 14.6146, 7.0).to(device)

    def denoiser(x, sigma):  # ideal denoiser of N(0, I) data
        return x / (1.0 + sigma.view(-1, 1, 1, 1) ** 2)

    rows = []
    for churn in (0.0, 10.0):
        ours = lambda: S.sample_heun_churn(denoiser, x, sigmas, s_churn=churn, s_tmin=0.05, s_tmax=50.0, s_noise=1.003)
        host = lambda: host_sampling.sample_heun(denoiser, x, sigmas, disable=True, s_churn=churn, s_tmin=0.05, s_tmax=50.0, s_noise=1.003)
        ours(), host()  # warm-up
        t_ours, t_host, ratio = paired(ours, host, reps, sync)
        peaks = []
        for fn in (ours, host):
            with PeakTensorMemory() as mem:
                fn()
            peaks.append(mem.peak)
        rows.append(f"| Heun, S_churn={churn:g}, 1×4×128×128, 30 steps (59 NFE) | {t_ours * 1e3:.1f} ms | {t_host * 1e3:.1f} ms | "
                    f"{ratio:.3f} | {peaks[0] / 2**20:.1f} MiB | {peaks[1] / 2**20:.1f} MiB | {peaks[0] / peaks[1]:.3f} |")
    return rows


def bench_patches(reps: int, sync) -> list[str]:
    import comfy.sample
    import comfy_extras.nodes_model_advanced as host_advanced
    from nodes import NODE_CLASS_MAPPINGS as HOST_NODES  # noqa: F401  (host's nodes module; makes comfy_extras importable)

    pack = hostlib.import_pack()
    nodes = pack.NODE_CLASS_MAPPINGS
    model = hostlib.tiny_model("sd15_eps")
    positive, negative = hostlib.sd15_conditioning(1, batch=2), hostlib.sd15_conditioning(2, batch=2)
    latent = torch.zeros(2, 4, 32, 32)
    noise = torch.randn(latent.shape, generator=torch.Generator().manual_seed(0))
    steps = 10

    def run(m):
        return lambda: comfy.sample.sample(m, noise, steps, 7.0, "euler", "karras", positive, negative, latent,
                                           disable_pbar=True, seed=0)

    variants = {
        "our CFG rescale (φ=0.7)": nodes["SamplerLabCFGRescale"]().patch(model, 0.7)[0],
        "host RescaleCFG (0.7)": host_advanced.RescaleCFG().patch(model, 0.7)[0],
        "our CADS (s=0.25, τ=0.6/0.9)": nodes["SamplerLabCADS"]().patch(model, 0.25, 0.6, 0.9, 1.0)[0],
        "our CADS, all steps noised (τ=0/0.01)": nodes["SamplerLabCADS"]().patch(model, 0.25, 0.0, 0.01, 1.0)[0],
    }
    plain = run(model)
    plain()
    rows = []
    for name, patched in variants.items():
        run(patched)()
        t_patched, t_plain, ratio = paired(run(patched), plain, reps, sync)
        rows.append(f"| {name} | {t_patched * 1e3:.1f} ms | {t_plain * 1e3:.1f} ms | {(ratio - 1) * 100:+.2f}% |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=15)
    args = parser.parse_args()
    hostlib.import_host()
    sync = lambda: None  # noqa: E731  (CPU: work is synchronous)
    torch.manual_seed(0)

    heun = bench_heun("cpu", args.reps, sync)
    patches = bench_patches(args.reps, sync)
    device_name = f"CPU, {torch.get_num_threads()} threads"
    text = "\n".join([
        "# Overhead against the host (ComfyUI 0.3.75)",
        "",
        f"Produced by `.venv/bin/python bench/overhead.py --reps {args.reps}` on {device_name}, "
        f"torch {torch.__version__}. Medians over {args.reps} paired repetitions (order alternated).",
        "",
        "## Heun / churn loop, same analytic denoiser",
        "",
        "| case | ours | host `sample_heun` | time ratio (ours/host) | our peak | host peak | peak ratio |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *heun,
        "",
        "Peak = largest total of live tensor storages created during the run (tracked per op).",
        "",
        "## Patches: whole sampling run of the tiny test UNet (batch 2, 32×32 latent, 10 Euler steps, CFG 7)",
        "",
        "| patch | with patch | without | cost per run |",
        "| --- | --- | --- | --- |",
        *patches,
        "",
    ])
    out = REPO / "bench" / "results" / "overhead.md"
    out.write_text(text)
    print(text)
    print(f"wrote {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
