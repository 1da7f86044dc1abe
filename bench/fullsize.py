"""Sampler Lab against the host's own samplers on full-size models, on the device the run finds.

    PYTHONPATH=tools .venv/bin/python bench/fullsize.py [--device auto|cpu|cuda]
        [--dtype auto|float32|float16|bfloat16] [--reps N] [--models sd15,sdxl,wan21] [--steps N] [--quick]

writes bench/results/fullsize_<device>.md, .json (raw numbers) and fullsize_scale_<device>.png (log-log plot).

Models are built from the host's own classes (tools/hostlib.py `fullsize_model`) with random initialised weights:
SD1.5 (ε; v through the host's ModelSamplingDiscrete on the same weights), SDXL base (pooled `y`), and a Wan 2.1
T2V 1.3B-shaped transformer with 5-D latents [B,16,T,H,W] (a few of its 30 layers). `--quick` swaps in tiny models
and tiny latents: it only checks that every path runs (the test suite uses it).

1. End to end, same seed, steps, cfg and schedule, paired and alternated: SamplerLabKSampler against the host's
   KSampler(heun, karras); SamplerLabHeunChurn against the host's `heun` sampler object, both in SamplerCustom.
   Time ratio (median of per-pair ratios), time outside the model calls, peak memory ratio (CUDA:
   max_memory_allocated above what was allocated before the run; CPU: live tensor storages created in the run).
2. Per model call, as a share of one model call (cond + uncond): our CADS wrapper at full strength (γ = 0) and
   where γ = 1, our CFG rescale post-CFG function, and the host's RescaleCFG for reference.
3. Device→host synchronisations per run and per step, ours against the host's heun on the same graph. CUDA:
   torch's own count, the warnings of torch.cuda.set_sync_debug_mode("warn"). CPU (no such thing as a sync): the
   dispatched ops that read a tensor's data to the host on CUDA (`aten._local_scalar_dense` = `.item()` / `bool()`,
   `nonzero`-like ops), seen by a TorchDispatchMode inside the run only; `tolist()` / `.numpy()` dispatch no op on
   the CPU and are not seen there (on CUDA they are).
4. Scale: each cost against batch size (1, 2, 4, 8) and latent side.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

import torch

import hostlib  # tools/, on PYTHONPATH (see the usage above)
from peak_memory import PeakTensorMemory

REPO = Path(__file__).resolve().parent.parent

RESULTS = REPO / "bench" / "results"

# --------------------------------------------------------------------------------------------------
# what runs: model families, full size and quick
# --------------------------------------------------------------------------------------------------

FAMILIES = {
    # kind, latent [C, (T,) H, W] at the size users run, conditioning
    "sd15": dict(kind="sd15_eps", latent=(4, 64, 64), label="SD1.5 UNet, 512 px (latent 4×64×64)"),
    "sdxl": dict(kind="sdxl_eps", latent=(4, 128, 128), label="SDXL base UNet, 1024 px (latent 4×128×128)"),
    "wan21": dict(
        kind="wan21",
        latent=(16, 3, 20, 36),
        layers=2,
        label="Wan 2.1 T2V 1.3B blocks (2 of 30 layers), 9 frames 160×288 (latent 16×3×20×36)",
    ),
}
QUICK = {  # tiny stand-ins: every path runs in seconds; figures mean nothing
    "sd15": dict(kind="sd15_eps", latent=(4, 8, 8), tiny=True, label="tiny SD1.5-shaped UNet (quick)"),
    "sdxl": dict(kind="sdxl_eps", latent=(4, 8, 8), tiny=True, label="tiny SDXL-shaped UNet (quick)"),
    "wan21": dict(
        kind="wan21",
        latent=(16, 2, 4, 4),
        layers=1,
        label="narrow 1-layer Wan 2.1 (quick)",
        overrides=dict(dim=64, ffn_dim=128, num_heads=2, freq_dim=32),
    ),
}


def build_model(spec: dict, dtype: torch.dtype, device: torch.device):
    if spec.get("tiny"):
        model = hostlib.tiny_model(spec["kind"])
        model.model.to(device=device, dtype=dtype)
        return model
    return hostlib.fullsize_model(
        spec["kind"], dtype=dtype, device=device, layers=spec.get("layers"), overrides=spec.get("overrides")
    )


def conditioning(family: str, seed: int, latent: tuple[int, ...]):
    if family == "sd15":
        return hostlib.sd15_conditioning(seed)
    if family == "sdxl":
        return hostlib.sdxl_conditioning(seed, width=latent[-1] * 8, height=latent[-2] * 8)
    return hostlib.wan21_conditioning(seed)


def v_prediction(model):
    """The same weights as a v-prediction model, the way a user gets one: the host's ModelSamplingDiscrete node."""
    import comfy_extras.nodes_model_advanced as adv

    out = adv.ModelSamplingDiscrete().patch(model, "v_prediction", False)
    return out[0] if isinstance(out, tuple) else out.result[0]


# --------------------------------------------------------------------------------------------------
# device plumbing: synchronise, time, memory, sync counting
# --------------------------------------------------------------------------------------------------


class Device:
    def __init__(self, device: torch.device):
        self.device = device
        self.cuda = device.type == "cuda"

    def sync(self) -> None:
        if self.cuda:
            torch.cuda.synchronize(self.device)

    def describe(self) -> str:
        if self.cuda:
            p = torch.cuda.get_device_properties(self.device)
            return f"{p.name} ({p.total_memory / 2**30:.0f} GiB), CUDA {torch.version.cuda}"
        return f"CPU {platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads"


class SyncCountingPeakMemory(PeakTensorMemory):
    """PeakTensorMemory of the CPU storages, also counting the dispatched ops that are a device→host synchronisation
    on CUDA (the CPU stand-in for set_sync_debug_mode). A dispatch mode, active inside the block only."""

    SYNC_OPS = {
        "aten._local_scalar_dense",
        "aten.nonzero",
        "aten.masked_select",
        "aten.unique",
        "aten._unique2",
        "aten.equal",
        "aten.is_nonzero",
        "aten.repeat_interleave.Tensor",
    }

    def __init__(self):
        super().__init__(devices=("cpu",))

    def __enter__(self):
        self.syncs = 0
        return super().__enter__()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if str(func) in self.SYNC_OPS or str(func.overloadpacket) in self.SYNC_OPS:
            self.syncs += 1
        return super().__torch_dispatch__(func, types, args, kwargs)


class Probe:
    """Around one end-to-end run: wall time, time inside the model's forward, model calls, peak memory and
    synchronisations, the latter split into before the first model call (per run) and after (the loop)."""

    def __init__(self, dev: Device, diffusion_model: torch.nn.Module, memory: bool, syncs: bool):
        self.dev, self.net, self.memory, self.count_syncs = dev, diffusion_model, memory, syncs

    def _sync_count(self) -> int:
        if self.dev.cuda:
            return sum("synchroniz" in str(w.message) for w in self._caught)
        return self._mode.syncs if self._mode is not None else 0

    def __enter__(self):
        self.calls, self.in_model, self.at_calls, self._t0 = 0, 0.0, [], None
        self._mode, self._caught, self._stack = None, [], contextlib.ExitStack()

        def pre(module, args, kwargs=None):
            if self.count_syncs:
                self.at_calls.append(self._sync_count())
            self.calls += 1
            if not self.dev.cuda:
                self._t0 = time.perf_counter()

        def post(module, args, out):
            if self._t0 is not None:
                self.in_model += time.perf_counter() - self._t0
                self._t0 = None

        self._hooks = [self.net.register_forward_pre_hook(pre), self.net.register_forward_hook(post)]
        self.dev.sync()
        if self.dev.cuda:
            self.base_memory = torch.cuda.memory_allocated(self.dev.device)
            torch.cuda.reset_peak_memory_stats(self.dev.device)
            if self.count_syncs:
                self._caught = self._stack.enter_context(warnings.catch_warnings(record=True))
                warnings.simplefilter("always")
                torch.cuda.set_sync_debug_mode("warn")
        elif self.memory or self.count_syncs:
            self._mode = self._stack.enter_context(SyncCountingPeakMemory())
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.dev.sync()
        self.wall = time.perf_counter() - self.start
        if self.dev.cuda and self.count_syncs:
            torch.cuda.set_sync_debug_mode(0)
        self.syncs_total = self._sync_count() if self.count_syncs else None
        self._stack.close()
        for h in self._hooks:
            h.remove()
        if self.dev.cuda:
            self.peak = torch.cuda.max_memory_allocated(self.dev.device) - self.base_memory
        else:
            self.peak = self._mode.peak if self._mode is not None and self.memory else None
        return False

    def record(self) -> dict:
        """Syncs: before the first model forward (setup, the first call's wrappers included), between the first and
        the last forward (the loop: per model call = that over calls − 1), after the last (tail)."""
        counts = self.at_calls
        syncs = {}
        if self.syncs_total is not None and counts:
            loop = counts[-1] - counts[0]
            syncs = {
                "syncs_setup": counts[0],
                "syncs_loop": loop,
                "syncs_tail": self.syncs_total - counts[-1],
                "syncs_per_call": loop / max(len(counts) - 1, 1),
                "syncs_total": self.syncs_total,
            }
        return {
            "wall_s": self.wall,
            "in_model_s": self.in_model if not self.dev.cuda else None,
            "model_calls": self.calls,
            "peak_bytes": self.peak,
            **syncs,
        }


# --------------------------------------------------------------------------------------------------
# 1 + 3. end to end
# --------------------------------------------------------------------------------------------------


def e2e_runners(pack, model, family: str, latent_shape: tuple[int, ...], steps: int, cfg: float, seed: int):
    """{comparison: (ours, host)}: callables running one whole sampling, same seed/steps/cfg/schedule."""
    import comfy.samplers
    import comfy_extras.nodes_custom_sampler as custom

    host = hostlib.host_nodes()
    nodes = pack.NODE_CLASS_MAPPINGS
    positive, negative = conditioning(family, 1, latent_shape), conditioning(family, 2, latent_shape)
    latent = {"samples": torch.zeros(1, *latent_shape)}
    sigmas = comfy.samplers.calculate_sigmas(model.get_model_object("model_sampling"), "karras", steps).cpu()
    ours_sampler = nodes["SamplerLabHeunChurn"]().get_sampler(0.0, 0.05, 50.0, 1.003)[0]
    host_sampler = comfy.samplers.sampler_object("heun")

    def custom_run(sampler):
        return lambda: custom.SamplerCustom.execute(model, True, seed, cfg, positive, negative, sampler, sigmas, latent)

    return {
        "ksampler": (
            lambda: nodes["SamplerLabKSampler"]().sample(
                model, seed, steps, cfg, positive, negative, latent, 1.0, 7.0, 0.0, 0.05, 50.0, 1.003
            ),
            lambda: host.common_ksampler(model, seed, steps, cfg, "heun", "karras", positive, negative, latent),
        ),
        "samplercustom": (custom_run(ours_sampler), custom_run(host_sampler)),
    }


def bench_e2e(
    dev: Device,
    pack,
    model,
    family: str,
    latent_shape,
    steps: int,
    reps: int,
    probe_in_timing: bool,
    warm_up: bool = True,
):
    """Paired, alternated runs of each comparison. probe_in_timing: memory and sync counting ride along in the timed
    runs (CPU, where a run is minutes: the tracker's per-op cost is the same on both sides); else separate runs."""
    net = model.model.diffusion_model
    out = {}
    warm = e2e_runners(pack, model, family, tuple(latent_shape[:-2]) + (8, 8), 1, 7.0, 0)
    for name, (ours, host) in e2e_runners(pack, model, family, latent_shape, steps, 7.0, 0).items():
        if warm_up:
            warm[name][0](), warm[name][1]()  # one-time allocations and caches out of the way, on an 8×8 latent
        pairs = []
        for r in range(reps):
            pair = {}
            for side, fn in (("ours", ours), ("host", host)) if r % 2 == 0 else (("host", host), ("ours", ours)):
                with Probe(dev, net, memory=probe_in_timing, syncs=probe_in_timing) as p:
                    fn()
                pair[side] = p.record()
                print(f"  e2e {family} {name} rep {r} {side}: {p.wall:.2f} s, {p.calls} calls", flush=True)
            pairs.append(pair)
        probes = {}
        if probe_in_timing:
            probes = {side: pairs[0][side] for side in ("ours", "host")}
        else:
            for side, fn in (("ours", ours), ("host", host)):
                with Probe(dev, net, memory=True, syncs=True) as p:
                    fn()
                probes[side] = p.record()
        out[name] = summarise_e2e(pairs, probes, steps)
    return out


def summarise_e2e(pairs: list[dict], probes: dict, steps: int) -> dict:
    ratio = statistics.median(p["ours"]["wall_s"] / p["host"]["wall_s"] for p in pairs)
    med = lambda side, key: statistics.median(p[side][key] for p in pairs) if pairs[0][side][key] is not None else None
    res = {
        "pairs": pairs,
        "probes": probes,
        "steps": steps,
        "time_ratio": ratio,
        "ours_s": med("ours", "wall_s"),
        "host_s": med("host", "wall_s"),
        "calls": {side: pairs[0][side]["model_calls"] for side in ("ours", "host")},
    }
    if pairs[0]["ours"]["in_model_s"] is not None:
        res["outside_ours_s"] = statistics.median(p["ours"]["wall_s"] - p["ours"]["in_model_s"] for p in pairs)
        res["outside_host_s"] = statistics.median(p["host"]["wall_s"] - p["host"]["in_model_s"] for p in pairs)
        res["in_model_ratio"] = statistics.median(p["ours"]["in_model_s"] / p["host"]["in_model_s"] for p in pairs)
    if probes["ours"]["peak_bytes"] and probes["host"]["peak_bytes"]:
        res["peak_ours"], res["peak_host"] = probes["ours"]["peak_bytes"], probes["host"]["peak_bytes"]
        res["peak_ratio"] = res["peak_ours"] / res["peak_host"]
    for side in ("ours", "host"):
        res[f"syncs_{side}"] = {k: v for k, v in probes[side].items() if k.startswith("syncs_")}
    return res


def bench_patch_syncs(dev: Device, pack, model, family: str, latent_shape, steps: int) -> dict:
    """Synchronisations the patches add: the host's KSampler(heun) on the plain model, with our CADS, with our CFG
    rescale. Counted in one run each; counts do not depend on the latent size."""
    host = hostlib.host_nodes()
    nodes = pack.NODE_CLASS_MAPPINGS
    positive, negative = conditioning(family, 1, latent_shape), conditioning(family, 2, latent_shape)
    latent = {"samples": torch.zeros(1, *latent_shape)}
    variants = {
        "plain": model,
        "cads": nodes["SamplerLabCADS"]().patch(model, 0.25, 0.6, 0.9, 1.0)[0],
        "cfg_rescale": nodes["SamplerLabCFGRescale"]().patch(model, 0.7)[0],
    }
    out = {}
    for name, m in variants.items():
        with Probe(dev, model.model.diffusion_model, memory=False, syncs=True) as p:
            host.common_ksampler(m, 0, steps, 7.0, "heun", "karras", positive, negative, latent)
        out[name] = p.record()
    return out


# --------------------------------------------------------------------------------------------------
# 2 + 4. per model call
# --------------------------------------------------------------------------------------------------


def timed(dev: Device, fn, reps: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        dev.sync()
        start = time.perf_counter()
        fn()
        dev.sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def call_inputs(model, family: str, batch: int, latent_shape, dev: Device, dtype: torch.dtype, sigma: float):
    """What the host hands apply_model for cond + uncond of `batch` images: x, t, conditioning kwargs."""
    g = torch.Generator().manual_seed(0)
    rows = 2 * batch
    x = (torch.randn(rows, *latent_shape, generator=g) * sigma).to(dev.device, dtype)
    t = torch.full((rows,), sigma, device=dev.device)
    if family == "sd15":
        kwargs = {"c_crossattn": torch.randn(rows, 77, 768, generator=g)}
    elif family == "sdxl":
        kwargs = {"c_crossattn": torch.randn(rows, 77, 2048, generator=g), "y": torch.randn(rows, 2816, generator=g)}
    else:
        kwargs = {"c_crossattn": torch.randn(rows, 512, 4096, generator=g)}
    kwargs = {k: v.to(dev.device, dtype) for k, v in kwargs.items()}
    return x, t, kwargs


def levels(pack, model) -> tuple[float, float]:
    """σ where CADS (τ1 = 0.6, τ2 = 0.9) is at full strength (σmax: t = 1, γ = 0) and the largest schedule σ where it
    leaves the conditioning alone (γ = 1), found with the pack's own normalised time."""
    normalised_time = sys.modules[pack.__name__ + ".nodes.host"].normalised_time
    ms = model.get_model_object("model_sampling")
    for p in [i / 100 for i in range(30, 100)]:
        sigma = float(ms.percent_to_sigma(p))
        if float(normalised_time(ms, torch.tensor([sigma]))[0]) <= 0.6:
            return float(ms.sigma_max), sigma
    raise RuntimeError("no σ with γ = 1 in the schedule")


def patch_costs(
    dev: Device, pack, model, family: str, batch: int, latent_shape, dtype: torch.dtype, reps: int, unet_reps: int
) -> dict:
    """Seconds per call: the model (cond + uncond of `batch`), our CADS (γ = 0, γ = 1), our CFG rescale, the host's
    RescaleCFG. unet_reps = 0 skips the model call."""
    import comfy_extras.nodes_model_advanced as host_advanced

    base = model.model
    nodes = pack.NODE_CLASS_MAPPINGS
    full, idle = levels(pack, model)
    x, t, kwargs = call_inputs(model, family, batch, latent_shape, dev, dtype, full)
    options = {"cond_or_uncond": [0, 1]}
    costs = {}
    if unet_reps:
        with torch.no_grad():
            call = lambda: base.apply_model(x, t, transformer_options=options, **kwargs)
            costs["model"] = timed(dev, call, unet_reps, warmup=1 if dev.cuda else 0)

    class NoModel:  # CADS hands the annealed conditioning to this executor: a no-op, so only CADS is timed
        class_obj = base

        def __call__(self, *args, **kw):
            return None

    cads_model = nodes["SamplerLabCADS"]().patch(model, 0.25, 0.6, 0.9, 1.0)[0]
    (cads,) = cads_model.wrappers["apply_model"]["samplerlab_cads"]
    extra = {"y": kwargs["y"]} if "y" in kwargs else {}
    cads_at = lambda s: lambda: cads(
        NoModel(), x, torch.full_like(t, s), None, kwargs["c_crossattn"], None, options, **extra
    )
    costs["cads"], costs["cads_idle"] = timed(dev, cads_at(full), reps), timed(dev, cads_at(idle), reps)

    g = torch.Generator().manual_seed(1)
    positive = (torch.randn(batch, *latent_shape, generator=g)).to(dev.device, dtype)
    negative = (torch.randn(batch, *latent_shape, generator=g)).to(dev.device, dtype)
    post_args = {
        "denoised": negative + 7.0 * (positive - negative),
        "cond_denoised": positive,
        "uncond_denoised": negative,
        "sigma": t[:batch],
        "input": x[:batch],
        "model": base,
        "cond_scale": 7.0,
    }
    (ours,) = nodes["SamplerLabCFGRescale"]().patch(model, 0.7)[0].model_options["sampler_post_cfg_function"]
    host_fn = host_advanced.RescaleCFG().patch(model, 0.7)
    host_fn = (host_fn[0] if isinstance(host_fn, tuple) else host_fn.result[0]).model_options["sampler_cfg_function"]
    host_args = {
        "cond": x[:batch] - positive,
        "uncond": x[:batch] - negative,
        "cond_scale": 7.0,
        "sigma": t[:batch],
        "input": x[:batch],
    }
    costs["rescale"] = timed(dev, lambda: ours(post_args), reps)
    costs["host_rescale"] = timed(dev, lambda: host_fn(host_args), reps)
    return costs


# --------------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------------


def fmt_s(s: float | None) -> str:
    if s is None:
        return "—"
    return f"{s:.2f} s" if s >= 1 else f"{s * 1e3:.3g} ms" if s >= 1e-3 else f"{s * 1e6:.3g} µs"


def fmt_b(b) -> str:
    return "—" if not b else f"{b / 2**20:.1f} MiB"


def verdict(value: float | None, target: float) -> str:
    return "—" if value is None else ("met" if value <= target else "missed")


def report(meta: dict, results: dict) -> str:
    dev = meta["device_type"]
    sync_note = (
        'CUDA `set_sync_debug_mode("warn")` warnings'
        if dev == "cuda"
        else "CPU stand-in: dispatched ops that synchronise on CUDA (`_local_scalar_dense` = `.item()`/`bool()`, "
        "`nonzero`-like); `tolist()`/`.numpy()` dispatch nothing on the CPU and are not counted — no real "
        "device→host sync exists on a CPU run"
    )
    lines = [
        f"# Full-size models against the host ({meta['device_type'].upper()})",
        "",
        "Produced by " + "; ".join(f"`{run['command']}` ({run['when']})" for run in meta.get("runs", [meta])) + ".",
        "",
        f"- machine: {meta['machine']}",
        f"- device: {meta['device']}",
        f"- dtype: {meta['dtype']}",
        f"- torch {meta['torch']}, ComfyUI {meta['host']}, Python {meta['python']}",
        *(
            f"- repetitions ({', '.join(run['models'])}): {run['reps']} paired end-to-end repetitions per comparison "
            f"(order alternated, median of per-pair ratios); per-call patch timings: median of {run['patch_reps']} "
            f"calls; model call: median of {run['unet_reps']}."
            for run in meta.get("runs", [meta])
            if "reps" in run
        ),
        "- weights: random (initialised), full architecture of the released checkpoints unless the row says otherwise; "
        "outputs are meaningless, costs are the real model's.",
    ]
    if meta.get("quick"):
        lines += ["- **--quick**: tiny models and latents; a smoke test of the pipeline, not figures to quote."]
    if meta.get("notes"):
        lines += [f"- {n}" for n in meta["notes"]]
    lines += [
        "",
        "## 1. End to end: ours against the host's heun (target: time and peak ratio ≤ 1.00)",
        "",
        "| model | latent end to end | comparison | steps (model calls ours/host) | ours | host | time ratio | "
        "outside the model: ours / host | peak ours | peak host | peak ratio | verdict |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    names = {
        "ksampler": "SamplerLabKSampler vs KSampler(heun, karras)",
        "samplercustom": "SamplerLabHeunChurn vs `heun` in SamplerCustom",
    }
    for fam, r in results.items():
        for comp, e in r.get("e2e", {}).items():
            outside = f"{fmt_s(e['outside_ours_s'])} / {fmt_s(e['outside_host_s'])}" if "outside_ours_s" in e else "—"
            peak = e.get("peak_ratio")
            ok = "met" if e["time_ratio"] <= 1.0 and (peak is None or peak <= 1.0) else "missed"
            size = "×".join(str(v) for v in r.get("e2e_latent", r["latent"]))
            calls = f"{e['calls']['ours']}/{e['calls']['host']}"
            lines.append(
                f"| {r['label']} | {size} | {names[comp]} | {e['steps']} ({calls}) | "
                f"{fmt_s(e['ours_s'])} | {fmt_s(e['host_s'])} | {e['time_ratio']:.3f} | {outside} | "
                f"{fmt_b(e.get('peak_ours'))} | {fmt_b(e.get('peak_host'))} | "
                f"{'—' if peak is None else f'{peak:.3f}'} | {ok} |"
            )
    lines += [
        "",
        "Outside the model = wall time minus time inside the diffusion model's forward (CPU only): what the "
        "sampler, the CFG function and the host's plumbing cost. Peak: "
        + (
            "`max_memory_allocated` above the memory allocated before the run."
            if dev == "cuda"
            else "largest total of live tensor storages created during the run (weights excluded), tracked per op."
        ),
        "",
        "## 2. Per model call: patches as a share of one model call (cond + uncond)",
        "",
        "Targets: CADS ≤ 1 %, CFG rescale ≤ 0.5 % (SD1.5 512 px and SDXL 1024 px).",
        "",
        "| model | batch | one model call | CADS γ = 0 (full) | share | CADS γ = 1 | share | CFG rescale (ours) "
        "| share | host RescaleCFG | share | verdict CADS / rescale |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for fam, r in results.items():
        for label, c in r.get("per_call", {}).items():
            m = c.get("model")
            share = lambda k: f"{c[k] / m * 100:.3g} %" if m else "—"
            v = (
                f"{verdict(max(c['cads'], c['cads_idle']) / m * 100, 1.0)} / {verdict(c['rescale'] / m * 100, 0.5)}"
                if m
                else "—"
            )
            lines.append(
                f"| {label} | {c['batch']} | {fmt_s(m)} | {fmt_s(c['cads'])} | {share('cads')} | "
                f"{fmt_s(c['cads_idle'])} | {share('cads_idle')} | "
                f"{fmt_s(c['rescale'])} | {share('rescale')} | "
                f"{fmt_s(c['host_rescale'])} | {share('host_rescale')} | {v} |"
            )
    lines += [
        "",
        f"## 3. Device→host synchronisations ({sync_note})",
        "",
        "Counted in one run each. Setup = before the first model forward (the first call's model wrappers "
        "included); per model call = between the first and the last forward, over the calls between (Heun: 2 "
        "calls a step); tail = after the last forward (once per run). Target: 0 added per step beyond the host's "
        "own.",
        "",
        "| model | run | model calls | setup | per model call | tail | added per model call vs host |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]

    def sync_row(label, run, rec, ref):
        if not rec.get("syncs_total") and rec.get("syncs_total") != 0:
            return None
        added = "—" if ref is None else f"{rec['syncs_per_call'] - ref['syncs_per_call']:+.2f}"
        return (
            f"| {label} | {run} | {rec.get('model_calls', '')} | {rec['syncs_setup']} | "
            f"{rec['syncs_per_call']:.2f} | "
            f"{rec['syncs_tail']} | {added} |"
        )

    for fam, r in results.items():
        for comp, e in r.get("e2e", {}).items():
            o = dict(e["syncs_ours"], model_calls=e["calls"]["ours"])
            h = dict(e["syncs_host"], model_calls=e["calls"]["host"])
            for row in (
                sync_row(r["label"], "ours: " + names[comp].split(" vs ")[0], o, h),
                sync_row(r["label"], "host: " + names[comp].split(" vs ")[1], h, None),
            ):
                if row:
                    lines.append(row)
        ps = r.get("patch_syncs")
        if ps:
            for name in ("plain", "cads", "cfg_rescale"):
                what = "alone" if name == "plain" else "+ our " + name.replace("_", " ")
                row = sync_row(
                    r["label"] + " (latent 8×8)",
                    f"host KSampler(heun) {what}",
                    ps[name],
                    None if name == "plain" else ps["plain"],
                )
                if row:
                    lines.append(row)
    lines += [
        "",
        "## 4. Scale: cost per model call against batch size and latent side",
        "",
        f"![log-log plot](fullsize_scale_{dev}.png)",
        "",
        "| model shape | batch | latent | one model call | CADS γ = 0 | CADS γ = 1 | CFG rescale | CADS share | "
        "rescale share |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for fam, r in results.items():
        for row in r.get("scale", []):
            m = row.get("model")
            pct = lambda key: f"{row[key] / m * 100:.3g} %" if m else "—"
            lines.append(
                f"| {fam} | {row['batch']} | {row['side']}×{row['side']} | {fmt_s(m)} | "
                f"{fmt_s(row['cads'])} | "
                f"{fmt_s(row['cads_idle'])} | {fmt_s(row['rescale'])} | {pct('cads')} | {pct('rescale')} |"
            )
    lines += [
        "",
        "A '—' model call was not timed at that size in this run (on CPU by default only batch 1 and 2 at "
        "the smallest side and batch 1 at 64; choose with --scale-unet); the patch costs were.",
    ]
    return "\n".join(lines) + "\n"


def plot(results: dict, path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    if not any(r.get("scale") for r in results.values()):
        return False
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    styles = {
        "model": ("one model call", "k"),
        "cads": ("CADS γ=0", "tab:red"),
        "cads_idle": ("CADS γ=1", "tab:orange"),
        "rescale": ("CFG rescale", "tab:blue"),
    }
    marks = {"sd15": "o-", "sdxl": "s--", "wan21": "^:"}
    for fam, r in results.items():
        rows = r.get("scale", [])
        if not rows:
            continue
        side0 = max(rows, key=lambda row: sum(1 for o in rows if o["side"] == row["side"]))["side"]
        for ax, key_x, fixed in ((axes[0], "batch", ("side", side0)), (axes[1], "side", ("batch", 1))):
            sel = sorted((row for row in rows if row[fixed[0]] == fixed[1]), key=lambda row: row[key_x])
            for key, (label, color) in styles.items():
                pts = [(row[key_x], row[key]) for row in sel if row.get(key)]
                if len(pts) >= 1:
                    ax.loglog(*zip(*pts), marks.get(fam, "o-"), color=color, label=f"{fam}: {label}")
    axes[0].set_xlabel("batch size (images; the call is cond + uncond)")
    axes[1].set_xlabel("latent side (latent is side × side)")
    for ax in axes:
        ax.set_ylabel("seconds per model call")
        ax.grid(True, which="both", alpha=0.3)
    axes[1].legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


# --------------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------------


def resolve(args) -> tuple[torch.device, torch.dtype]:
    if args.device == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        device = torch.device(args.device)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise SystemExit("--device cuda: torch sees no CUDA device")
    if args.dtype == "auto":
        dtype = torch.float16 if device.type == "cuda" else torch.float32
    else:
        dtype = getattr(torch, args.dtype)
    return device, dtype


def host_version() -> str:
    try:
        import comfyui_version

        return comfyui_version.__version__
    except Exception:
        return "unknown"


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--dtype", default="auto", choices=("auto", "float32", "float16", "bfloat16"))
    parser.add_argument("--reps", type=int, default=None, help="paired end-to-end repetitions (default: 5 CUDA, 1 CPU)")
    parser.add_argument("--steps", type=int, default=None, help="Heun steps end to end (default: 4 CUDA, 2 CPU)")
    parser.add_argument("--models", default="sd15,sdxl,wan21", help="comma list of sd15, sdxl, wan21")
    parser.add_argument(
        "--e2e", default=None, help="models to run end to end (default: all on CUDA, sd15,wan21 on CPU)"
    )
    parser.add_argument("--scale", default=None, help="models to scale (default: sd15,sdxl)")
    parser.add_argument(
        "--scale-unet",
        default=None,
        help="batch×side points where the model call itself is timed for the scale table, e.g. "
        "1x32,2x32 (default CUDA: every point; CPU: 1x32,2x32,1x64)",
    )
    parser.add_argument(
        "--e2e-side",
        type=int,
        default=None,
        help="latent side end to end for the image models (default: the user's size on CUDA, 32 on CPU)",
    )
    parser.add_argument(
        "--unet-reps", type=int, default=None, help="model calls timed per size (default 10 CUDA, 2 CPU)"
    )
    parser.add_argument("--merge", action="store_true", help="keep the other models' results already in the .json")
    parser.add_argument("--quick", action="store_true", help="tiny models: checks every path, figures mean nothing")
    parser.add_argument("--out", default=str(RESULTS), help="results folder")
    args = parser.parse_args(argv)

    device, dtype = resolve(args)
    dev = Device(device)
    hostlib.import_host(cpu=device.type == "cpu")
    hostlib.load_builtin_extra_nodes()
    pack = hostlib.import_pack()
    cuda = dev.cuda
    reps = args.reps or (5 if cuda else (1 if args.quick else 2))
    steps = args.steps or (4 if cuda else 2)
    patch_reps = 200 if cuda else (3 if args.quick else 30)
    unet_reps = args.unet_reps or (10 if cuda else (1 if args.quick else 2))
    specs = QUICK if args.quick else FAMILIES
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    e2e = set((args.e2e or ("sd15,sdxl,wan21" if cuda or args.quick else "sd15,wan21")).split(","))
    scale_models = set((args.scale or "sd15,sdxl").split(","))
    batches, sides = ((1, 2), (8,)) if args.quick else ((1, 2, 4, 8), (32, 64, 96, 128))
    if args.scale_unet:
        scale_unet = {tuple(int(v) for v in p.split("x")) for p in args.scale_unet.split(",")}
    elif cuda or args.quick:
        scale_unet = {(b, s) for b in batches for s in sides}
    else:
        scale_unet = {(1, 32), (2, 32), (1, 64)}
    notes = []
    if not cuda:
        notes.append("CPU run: no CUDA figures exist in this file; section 3 counts the CPU stand-in for syncs.")

    results: dict = {}
    for fam in models:
        spec = specs[fam]
        print(f"== {spec['label']}: building", flush=True)
        t0 = time.perf_counter()
        model = build_model(spec, dtype, device)
        print(f"   built in {time.perf_counter() - t0:.1f} s", flush=True)
        latent = spec["latent"]
        r = results[fam] = {"label": spec["label"], "latent": list(latent)}
        # 2. per model call at the size users run (SD1.5 also as v-prediction: same weights, through the host's
        # ModelSamplingDiscrete)
        per_call = r["per_call"] = {}
        c = patch_costs(dev, pack, model, fam, 1, latent, dtype, patch_reps, unet_reps)
        per_call[f"{spec['label']}{', ε' if fam != 'wan21' else ', flow'}"] = {"batch": 1, **c}
        print(f"   per call: {c}", flush=True)
        if fam == "sd15" and not args.quick:
            cv = patch_costs(dev, pack, v_prediction(model), fam, 1, latent, dtype, patch_reps, 0)
            cv["model"] = c.get("model")
            per_call[f"{spec['label']}, v (model call: the ε row's, same weights)"] = {"batch": 1, **cv}
        # 1 + 3. end to end
        if fam in e2e:
            e2e_latent = latent
            if fam != "wan21" and (args.e2e_side or (not cuda and not args.quick)):
                side = args.e2e_side or 32
                e2e_latent = (latent[0], side, side)
            r["e2e_latent"] = list(e2e_latent)
            r["e2e"] = bench_e2e(
                dev, pack, model, fam, e2e_latent, steps, reps, probe_in_timing=not cuda, warm_up=not args.quick
            )
            small = tuple(latent[:-2]) + (8, 8)
            r["patch_syncs"] = bench_patch_syncs(dev, pack, model, fam, small, 2)
            r["patch_sync_steps"] = 2
        # 4. scale (image models)
        if fam in scale_models and fam != "wan21":
            rows = r["scale"] = []
            for b in batches:
                for s in sides:
                    shape = (latent[0], s, s)
                    n_unet = unet_reps if (b, s) in scale_unet else 0
                    if (b, s) == (1, latent[-1]) and "model" in c:
                        n_unet = 0
                    cs = patch_costs(dev, pack, model, fam, b, shape, dtype, max(5, patch_reps // 2), n_unet)
                    if (b, s) == (1, latent[-1]) and "model" in c:
                        cs["model"] = c["model"]
                    rows.append({"batch": b, "side": s, **cs})
                    print(f"   scale b={b} side={s}: {cs}", flush=True)
        del model
        import comfy.model_management

        comfy.model_management.cleanup_models()
        comfy.model_management.soft_empty_cache()
        import gc

        gc.collect()

    meta = {
        "command": "PYTHONPATH=tools .venv/bin/python bench/fullsize.py "
        + " ".join(sys.argv[1:] if argv is None else argv),
        "when": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.system()} {platform.machine()}, {__import__('os').cpu_count()} logical CPUs",
        "device": dev.describe(),
        "device_type": device.type,
        "dtype": str(dtype).replace("torch.", ""),
        "torch": torch.__version__,
        "host": host_version(),
        "python": platform.python_version(),
        "reps": reps,
        "patch_reps": patch_reps,
        "unet_reps": unet_reps,
        "steps": steps,
        "quick": args.quick,
        "notes": notes,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"fullsize_{device.type}" + ("_quick" if args.quick else "")
    meta["runs"] = [
        {
            "command": meta["command"],
            "when": meta["when"],
            "models": models,
            "reps": reps,
            "patch_reps": patch_reps,
            "unet_reps": unet_reps,
        }
    ]
    if args.merge and (out / f"{stem}.json").exists():
        old = json.loads((out / f"{stem}.json").read_text())
        results = {**{k: v for k, v in old["results"].items() if k not in results}, **results}
        meta["runs"] = [run for run in old["meta"].get("runs", []) if set(run["models"]) - set(models)] + meta["runs"]
        meta["notes"] = list(dict.fromkeys(old["meta"].get("notes", []) + notes))
    (out / f"{stem}.json").write_text(json.dumps({"meta": meta, "results": results}, indent=1, default=str))
    text = report(meta, results)
    png = f"fullsize_scale_{device.type}{'_quick' if args.quick else ''}.png"
    if plot(results, out / png):
        text = text.replace(f"fullsize_scale_{device.type}.png", png)
    (out / f"{stem}.md").write_text(text)
    print(text)
    return {"meta": meta, "results": results}


if __name__ == "__main__":
    main()
