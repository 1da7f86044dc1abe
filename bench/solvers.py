"""Which ODE solver and which schedule, at equal cost, on VE and flow models: the host's samplers against ours.

    PYTHONPATH=tools .venv/bin/python bench/solvers.py      # prints the tables, writes bench/results/solvers.md

Data: x0 ~ Σ_k w_k N(μ_k, s²I) in 64 dims, whose ideal denoiser is exact in either form (`samplers.oracle`), so the
only error left is the solver's and the schedule's. Each solver integrates the probability-flow ODE from the same
start and is scored by the RMSE of its result against a fine-step reference (Heun, 4096 steps; its own error is
checked by halving the steps and printed).
- VE (what ε and v models look like to the host's samplers; EDM's setting): x = x0 + σ·n, start x = σmax·ε,
  Karras σ over [0.002, 80] with ρ = 7 (EDM eq. 5; the host's `karras` is the same schedule).
- Flow (rectified flow, the host's CONST sampling: x = (1 − t)·x0 + t·n): the host's ModelSamplingDiscreteFlow
  with shift 3 (SD3's), schedules `simple`, `beta` and `karras` as the host computes them from that model sampling,
  and `karras σ`: EDM eq. 5 over the noise level σ = t/(1 − t), from σ(t_min) to σmax (80 as in EDM: what the
  pack's Karras nodes do on flow models, or σ of the highest table level below t = 1), mapped back to t. Every run
  starts as the host starts it, x = t_0·ε (pure noise where t_0 = 1); the reference starts at t = 1, so a schedule
  that starts lower pays for the part it skips.
Solvers at equal NFE (denoiser evaluations, counted): the host's euler, heun, dpmpp_2m, ipndm, deis, uni_pc (its
k-diffusion functions, called with the exact denoiser), and ours (`samplers.sample_heun_churn`, S_churn = 0).
Heun-type solvers take (NFE + 1)/2 steps (the last step, to 0, is Euler), the others NFE steps.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import torch

import hostlib  # tools/, on PYTHONPATH (see the usage above)

REPO = Path(__file__).resolve().parent.parent

hostlib.import_host()
import comfy.k_diffusion.sampling as k_sampling  # noqa: E402
import comfy.model_sampling  # noqa: E402
import comfy.samplers  # noqa: E402
from comfy.extra_samplers import uni_pc  # noqa: E402

S = hostlib.import_pack().samplers

SEED, DIM, COMPONENTS, DATA_STD, BATCH = 0, 64, 8, 0.2, 256
VE_SIGMA_MIN, VE_SIGMA_MAX, FLOW_SHIFT = 0.002, 80.0, 3.0
REF_STEPS = 4096
NFES = (9, 19, 39)
HEUN_TYPE = ("heun", "ours: EDM Heun")

Denoiser = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def counted(denoiser: Denoiser) -> tuple[Denoiser, list[int]]:
    calls = [0]

    def model(x: torch.Tensor, sigma: torch.Tensor, **_: object) -> torch.Tensor:
        calls[0] += 1
        return denoiser(x, sigma)

    return model, calls


SOLVERS: dict[str, Callable[[Denoiser, torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "euler": lambda d, x, s: k_sampling.sample_euler(d, x, s, disable=True),
    "heun": lambda d, x, s: k_sampling.sample_heun(d, x, s, disable=True),
    "dpmpp_2m": lambda d, x, s: k_sampling.sample_dpmpp_2m(d, x, s, disable=True),
    "ipndm": lambda d, x, s: k_sampling.sample_ipndm(d, x, s, disable=True),
    "deis": lambda d, x, s: k_sampling.sample_deis(d, x, s, disable=True),
    # the host's UniPC mixes float32 coefficients into its sums: run it in float32
    "uni_pc": lambda d, x, s: uni_pc.sample_unipc(d, x.float(), s.float(), extra_args={}, disable=True).double(),
    "ours: EDM Heun": lambda d, x, s: S.sample_heun_churn(d, x, s),
}


def flow_model_sampling() -> torch.nn.Module:
    ms = comfy.model_sampling.ModelSamplingDiscreteFlow()
    ms.set_parameters(shift=FLOW_SHIFT)
    return ms


def karras_in_sigma(ms: torch.nn.Module, steps: int, sigma_max: float | None) -> torch.Tensor:
    """`samplers.karras_levels` on a flow model sampling: EDM eq. 5 over σ = t/(1 − t), from σ(t_min) to sigma_max
    (None: the pack's choice, `samplers.noise_level_range`: 80 as σ(1) = ∞), mapped back to t."""
    sigma_min, default_max = S.noise_level_range(S.FLOW, float(ms.sigma_min), float(ms.sigma_max))
    return S.karras_levels(steps, sigma_min, sigma_max or default_max, 7.0, S.FLOW, dtype=torch.float64)


def top_sigma_below_one(ms: torch.nn.Module) -> float:
    """σ(t) of the highest table level below t = 1 (≈ 3000 at shift 3)."""
    top = float(ms.sigmas.double()[ms.sigmas < 1][-1])
    return top / (1 - top)


def schedules(form: str) -> dict[str, Callable[[int], torch.Tensor]]:
    if form == "VE":
        return {"karras ρ=7": lambda n: S.karras_sigmas(n, VE_SIGMA_MIN, VE_SIGMA_MAX, 7.0, dtype=torch.float64)}
    ms = flow_model_sampling()
    host = {
        name: (lambda n, name=name: comfy.samplers.calculate_sigmas(ms, name, n).double())
        for name in ("simple", "beta", "karras")
    }
    return {
        **host,
        "karras σ, σmax 80 (ours)": lambda n: karras_in_sigma(ms, n, None),
        "karras σ, σmax of the table": lambda n: karras_in_sigma(ms, n, top_sigma_below_one(ms)),
    }


def problem(form: str) -> tuple[Denoiser, torch.Tensor, Callable[[int], torch.Tensor]]:
    """(exact denoiser in the form's own coordinates, standard normal noise, fine reference schedule)."""
    g = torch.Generator().manual_seed(SEED)
    means = torch.randn(COMPONENTS, DIM, generator=g, dtype=torch.float64)
    weights = torch.rand(COMPONENTS, generator=g, dtype=torch.float64) + 0.5
    noise = torch.randn(BATCH, DIM, generator=g, dtype=torch.float64)
    ve = S.gaussian_mixture_denoiser(means, weights, DATA_STD)
    if form == "VE":
        return ve, noise, lambda n: S.karras_sigmas(n, 1e-5, VE_SIGMA_MAX, 7.0, dtype=torch.float64)
    ms = flow_model_sampling()  # its σ(timestep) is continuous: shifted t uniform in the timestep, from 1 to 0
    return S.denoiser_in_form(ve, S.FLOW), noise, lambda n: ms.sigma(torch.linspace(1000, 0, n + 1)).double()


def rmse(a: torch.Tensor, b: torch.Tensor) -> float:
    return ((a - b) ** 2).mean().sqrt().item()


def measure(form: str) -> tuple[list[dict], float]:
    denoiser, noise, reference_schedule = problem(form)
    fine = reference_schedule(REF_STEPS)
    reference = S.sample_heun_churn(denoiser, noise * fine[0], fine)
    coarse = reference_schedule(REF_STEPS // 2)
    ref_error = rmse(S.sample_heun_churn(denoiser, noise * coarse[0], coarse), reference)
    rows = []
    for schedule_name, schedule in schedules(form).items():
        for nfe in NFES:
            for solver_name, solve in SOLVERS.items():
                steps = (nfe + 1) // 2 if solver_name in HEUN_TYPE else nfe
                model, calls = counted(denoiser)
                levels = schedule(steps)
                out = solve(model, noise * levels[0], levels)  # the host's start: x = σ_0·ε (VE), t_0·ε (flow)
                rows.append(
                    {
                        "schedule": schedule_name,
                        "target_nfe": nfe,
                        "solver": solver_name,
                        "nfe": calls[0],
                        "rmse": rmse(out, reference) if torch.isfinite(out).all() else float("nan"),
                    }
                )
    return rows, ref_error


def table(rows: list[dict]) -> str:
    solvers = list(SOLVERS)
    lines = ["| schedule | NFE | " + " | ".join(solvers) + " | best |", "|---|---:|" + "---:|" * (len(solvers) + 1)]
    for schedule in dict.fromkeys(r["schedule"] for r in rows):
        for nfe in NFES:
            cells = {r["solver"]: r for r in rows if r["schedule"] == schedule and r["target_nfe"] == nfe}
            best = min(cells.values(), key=lambda r: r["rmse"] if r["rmse"] == r["rmse"] else float("inf"))
            shown = [
                f"{cells[s]['rmse']:.2e}" + ("" if cells[s]["nfe"] == nfe else f" ({cells[s]['nfe']})") for s in solvers
            ]
            lines.append(f"| {schedule} | {nfe} | " + " | ".join(shown) + f" | {best['solver']} |")
    return "\n".join(lines)


def main() -> None:
    start = time.perf_counter()
    sections = []
    for form in ("VE", "flow"):
        rows, ref_error = measure(form)
        text = table(rows)
        print(f"== {form} (reference error {ref_error:.1e})\n{text}")
        sections.append((form, ref_error, text))
    seconds = time.perf_counter() - start
    out = REPO / "bench" / "results" / "solvers.md"
    body = "\n\n".join(
        f"## {form}\n\nReference: Heun with {REF_STEPS} steps; its RMSE to the same run with "
        f"{REF_STEPS // 2} steps is {ref_error:.1e}.\n\n{text}"
        for form, ref_error, text in sections
    )
    out.write_text(
        "# ODE solvers and schedules at equal NFE on VE and flow models (exact Gaussian-mixture denoiser)\n\n"
        f"Produced by `PYTHONPATH=tools .venv/bin/python bench/solvers.py` (torch {torch.__version__}, ComfyUI "
        f"{hostlib_version()}, CPU, float64, {seconds:.0f} s). What is compared and how: the docstring of "
        "bench/solvers.py.\n\n"
        f"Data: {COMPONENTS}-component Gaussian mixture in {DIM} dims, means ~ N(0, I), weights ~ U(0.5, 1.5) "
        f"(normalised), component std s = {DATA_STD}; {BATCH} samples, seed {SEED}. Cells: RMSE to the reference "
        "(lower is better); a number in brackets is the NFE the solver really used where it differs from the row's.\n\n"
        f"{body}\n"
    )
    print(f"wrote {out.relative_to(REPO)} ({seconds:.0f} s)")


def hostlib_version() -> str:
    text = (Path(hostlib.HOST_DIR) / "comfyui_version.py").read_text(encoding="utf-8")
    return text.rsplit("__version__ = ", 1)[-1].strip().strip('"')


if __name__ == "__main__":
    main()
