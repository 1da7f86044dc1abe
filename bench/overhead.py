"""Overhead of Sampler Lab against the host's own code, measured in one run with paired repetitions.

    PYTHONPATH=tools .venv/bin/python bench/overhead.py [--reps N]      # writes bench/results/overhead.md

1. Heun/churn loop: ours (`samplers.sample_heun_churn`) vs the host's `k_diffusion.sampling.sample_heun`, same cheap
   analytic denoiser (ideal denoiser of N(0, I) data), SDXL-size latents 1×4×128×128, 30 Karras steps; time and peak
   live tensor memory.
2. Patches, as a fraction of one model call of the tiny SDXL-shaped test UNet: our CADS wrapper (added to the call),
   our CFG rescale post-CFG function and the host's RescaleCFG function (timed alone).
Ratios are medians over paired repetitions (order alternated). CPU only: the test host runs with --cpu.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch

import hostlib  # tools/, on PYTHONPATH (see the usage above): the real host, tiny models
from peak_memory import PeakTensorMemory

REPO = Path(__file__).resolve().parent.parent


def paired(run_a, run_b, reps: int, sync) -> tuple[float, float, float]:
    """Median time of a, of b and median of per-pair ratios a/b, alternating which goes first."""
    times_a, times_b, ratios = [], [], []
    for r in range(reps):
        pair = {}
        for name, fn in (("a", run_a), ("b", run_b)) if r % 2 == 0 else (("b", run_b), ("a", run_a)):
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
        host = lambda: host_sampling.sample_heun(
            denoiser, x, sigmas, disable=True, s_churn=churn, s_tmin=0.05, s_tmax=50.0, s_noise=1.003
        )
        ours(), host()  # warm-up
        t_ours, t_host, ratio = paired(ours, host, reps, sync)
        peaks = []
        for fn in (ours, host):
            with PeakTensorMemory() as mem:
                fn()
            peaks.append(mem.peak)
        rows.append(
            f"| Heun, S_churn={churn:g}, 1×4×128×128, 30 steps (59 NFE) | {t_ours * 1e3:.1f} ms | "
            f"{t_host * 1e3:.1f} ms | "
            f"{ratio:.3f} | {peaks[0] / 2**20:.1f} MiB | {peaks[1] / 2**20:.1f} MiB | "
            f"{peaks[0] / peaks[1]:.3f} |"
        )
    return rows


def median_time(fn, reps: int) -> float:
    fn()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def patch_costs(nodes, model, size: int, reps: int) -> dict[str, float]:
    """Seconds per call: the tiny UNet (cond + uncond of batch 2 at size×size), each patch alone."""
    import comfy_extras.nodes_model_advanced as host_advanced

    base = model.model
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4, 4, size, size, generator=g) * 14.0
    sigma = torch.full((4,), 14.0)  # t ≈ 1: CADS at full strength
    cond = {"c_crossattn": torch.randn(4, 77, 2048, generator=g), "y": torch.randn(4, 2816, generator=g)}
    options = {"cond_or_uncond": [0, 1]}
    costs = {
        "model": median_time(lambda: base.apply_model(x, sigma, transformer_options=options, **cond), max(5, reps // 5))
    }

    class NoModel:  # the executor CADS hands the annealed conditioning to: here a no-op, so only CADS is timed
        class_obj = base

        def __call__(self, *args, **kwargs):
            return None

    (cads,) = nodes["SamplerLabCADS"]().patch(model, 0.25, 0.6, 0.9, 1.0)[0].wrappers["apply_model"]["samplerlab_cads"]
    cads_at = lambda s: lambda: cads(
        NoModel(), x, torch.full((4,), s), None, cond["c_crossattn"], None, options, y=cond["y"]
    )
    costs["cads"], costs["cads_idle"] = median_time(cads_at(14.0), reps), median_time(cads_at(0.5), reps)

    denoised = base.apply_model(x, sigma, transformer_options=options, **cond)
    positive, negative = denoised[:2], denoised[2:]
    post_args = {
        "denoised": negative + 7.0 * (positive - negative),
        "cond_denoised": positive,
        "uncond_denoised": negative,
        "sigma": sigma[:2],
        "input": x[:2],
        "model": base,
        "cond_scale": 7.0,
    }
    (ours,) = nodes["SamplerLabCFGRescale"]().patch(model, 0.7)[0].model_options["sampler_post_cfg_function"]
    host = host_advanced.RescaleCFG().patch(model, 0.7)[0].model_options["sampler_cfg_function"]
    host_args = {
        "cond": x[:2] - positive,
        "uncond": x[:2] - negative,
        "cond_scale": 7.0,
        "sigma": sigma[:2],
        "input": x[:2],
    }
    costs["rescale"] = median_time(lambda: ours(post_args), reps)
    costs["host_rescale"] = median_time(lambda: host(host_args), reps)
    return costs


def bench_patches(reps: int) -> list[str]:
    """Per-call cost of each patch against one call of the tiny SDXL-shaped test UNet, at two latent sizes."""
    nodes = hostlib.import_pack().NODE_CLASS_MAPPINGS
    model = hostlib.tiny_model("sdxl_eps")
    small, large = patch_costs(nodes, model, 32, reps), patch_costs(nodes, model, 128, reps)
    labels = {
        "cads": "our CADS wrapper at σ = 14 (t ≈ 1, γ = 0: full strength, 2 positive rows noised)",
        "cads_idle": "our CADS wrapper at σ = 0.5 (t ≤ τ1, γ = 1: conditioning left alone)",
        "rescale": "our CFG rescale post-CFG function (φ = 0.7, on top of plain CFG)",
        "host_rescale": "host RescaleCFG cfg function (φ = 0.7, replaces plain CFG)",
    }
    rows = [
        f"| one model call (batch 4 = cond + uncond of 2; tokens 77×2048, y 2816) | {small['model'] * 1e3:.2f} ms "
        f"| — | "
        f"{large['model'] * 1e3:.1f} ms | — |"
    ]
    for key, label in labels.items():
        rows.append(
            f"| {label} | {small[key] * 1e3:.3f} ms | {small[key] / small['model'] * 100:.2f}% | "
            f"{large[key] * 1e3:.3f} ms | {large[key] / large['model'] * 100:.2f}% |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=15)
    args = parser.parse_args()
    hostlib.import_host()
    sync = lambda: None
    torch.manual_seed(0)

    heun = bench_heun("cpu", args.reps, sync)
    patches = bench_patches(max(args.reps, 50))
    device_name = f"CPU, {torch.get_num_threads()} threads"
    text = "\n".join(
        [
            "# Overhead against the host (ComfyUI 0.3.75)",
            "",
            f"Produced by `PYTHONPATH=tools .venv/bin/python bench/overhead.py --reps {args.reps}` on {device_name}, "
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
            "## Patches, per model call, against one call of the tiny SDXL-shaped test UNet",
            "",
            "Latent 4×32×32 (256 px) and 4×128×128 (SDXL's 1024 px); patches timed alone "
            "(medians of at least 50 calls).",
            "",
            "| what | 32×32: time | share of the model call | 128×128: time | share of the model call |",
            "| --- | --- | --- | --- | --- |",
            *patches,
            "",
        ]
    )
    out = REPO / "bench" / "results" / "overhead.md"
    out.write_text(text)
    print(text)
    print(f"wrote {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
