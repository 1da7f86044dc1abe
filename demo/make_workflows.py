"""Writes workflows/demo/*.json (ComfyUI UI format, version 0.4) for the weightless demo model.

Run: .venv/bin/python demo/make_workflows.py   (boots the server once to read /object_info, so every node's sockets
and widget order are the host's own). The JSON files are committed; `run_demo.py` only reads them.
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(__file__))), "tools"))
from hostserver import REPO_DIR, HostServer  # noqa: E402
from workflow_api import Graph  # noqa: E402

OUT_DIR = os.path.join(REPO_DIR, "workflows", "demo")
BATCH = 8
SEED = 1


def common(g: Graph, cls: str = "disc", prediction: str = "eps", batch: int = BATCH):
    model = g.node("SamplerLabDemoModel", 0, 0, widgets={"prediction": prediction})
    pos = g.node("SamplerLabDemoClass", 0, 1, title="positive", widgets={"class_name": cls})
    neg = g.node("SamplerLabDemoClass", 0, 2, title="negative", widgets={"class_name": "unconditional"})
    lat = g.node("EmptyLatentImage", 0, 3, widgets={"width": 128, "height": 128, "batch_size": batch})
    return model, pos, neg, lat


def output(g: Graph, latent: tuple[int, int], col: int, row: float, prefix: str, save_latent: bool = True):
    dec = g.node("SamplerLabDemoDecode", col, row, samples=latent, widgets={"scale": 8})
    g.node("SaveImage", col + 1, row, title=prefix, widgets={"filename_prefix": f"samplerlab_demo/{prefix}"},
           images=(dec, 0))
    if save_latent:
        g.node("SaveLatent", col + 1, row + 0.6, title=prefix + " latent",
               widgets={"filename_prefix": f"samplerlab_demo/latents/{prefix}"},
               samples=latent)


def custom(g: Graph, model, pos, neg, lat, sampler: int, sigmas, col: int, row: float, title: str, cfg: float = 2.0,
           add_noise: bool = True):
    sigmas = sigmas if isinstance(sigmas, tuple) else (sigmas, 0)
    lat = lat if isinstance(lat, tuple) else (lat, 0)
    return g.node("SamplerCustom", col, row, title=title,
                  widgets={"add_noise": add_noise, "noise_seed": SEED, "cfg": cfg},
                  model=(model, 0), positive=(pos, 0), negative=(neg, 0), sampler=(sampler, 0), sigmas=sigmas,
                  latent_image=lat)


def build(info: dict):
    os.makedirs(OUT_DIR, exist_ok=True)

    g = Graph(info)
    model, pos, neg, lat = common(g)
    ks = g.node("SamplerLabKSampler", 1, 0, title="EDM KSampler",
                widgets={"seed": SEED, "steps": 16, "cfg": 2.0, "rho": 7.0},
                model=(model, 0), positive=(pos, 0), negative=(neg, 0), latent_image=(lat, 0))
    output(g, (ks, 0), 2, 0, "01_edm_ksampler")
    ds = g.node("SamplerLabDemoDataset", 1, 2.5, widgets={"class_name": "disc", "count": 8, "scale": 8})
    g.node("SaveImage", 2, 2.5, title="01_dataset", widgets={"filename_prefix": "samplerlab_demo/01_dataset"},
           images=(ds, 0))
    g.note("Sampler Lab demo: the EDM recipe (Karras σ, ρ = 7, Heun) on the weightless demo model, the EXACT denoiser "
           "of a generated data set of 320 RGB images, 16×16, in 4 classes (disc, square, stripes, ring).\n\nLook for: "
           "8 discs. An exact denoiser of a finite data set reproduces training images (compare with the data set "
           "preview): every difference you see between samplers is the sampler's own, not a network's.", 3, 0)
    g.save(OUT_DIR, "01_edm_ksampler.json")

    g = Graph(info)
    model, pos, neg, lat = common(g, batch=16)
    euler = g.node("KSamplerSelect", 1, 0, title="Euler", widgets={"sampler_name": "euler"})
    heun = g.node("SamplerLabHeunChurn", 1, 1, title="Heun (no churn)", widgets={"s_churn": 0.0})
    rows = [("Euler, 9 steps (9 NFE)", euler, 9, "02_euler_9nfe"), ("Heun, 5 steps (9 NFE)", heun, 5, "02_heun_9nfe"),
            ("reference: Heun, 100 steps", heun, 100, "02_reference")]
    for i, (title, sampler, steps, prefix) in enumerate(rows):
        sig = g.node("SamplerLabKarrasSigmas", 2, 2 * i, title=f"Karras σ {steps} steps",
                     widgets={"steps": steps, "rho": 7.0},
                     model=(model, 0))
        s = custom(g, model, pos, neg, lat, sampler, sig, 3, 2 * i, title)
        output(g, (s, 0), 4, 2 * i, prefix)
    g.note("Euler vs Heun at equal cost (9 model evaluations): Heun (EDM Algorithm 1) costs 2N−1 evaluations for N "
           "steps. Same seed, same Karras schedule (ρ = 7).\n\nLook for: the Heun row matches the 100-step reference "
           "(the exact ODE solution) on more images than the Euler row; an image that differs landed on a different "
           "training image.", 6, 0)
    g.save(OUT_DIR, "02_euler_vs_heun.json")

    g = Graph(info)
    model, pos, neg, lat = common(g, batch=16)
    euler = g.node("KSamplerSelect", 1, 0, title="Euler", widgets={"sampler_name": "euler"})
    for i, rho in enumerate((1.0, 3.0, 7.0)):
        sig = g.node("SamplerLabKarrasSigmas", 2, 2 * i, title=f"Karras σ ρ = {rho:g}",
                     widgets={"steps": 6, "rho": rho}, model=(model, 0))
        s = custom(g, model, pos, neg, lat, euler, sig, 3, 2 * i, f"Euler 6 steps, ρ = {rho:g}")
        output(g, (s, 0), 4, 2 * i, f"03_rho{rho:g}")
    g.note("Karras ρ (EDM eq. 5): ρ = 1 spaces σ uniformly, ρ = 7 packs steps at low noise. Euler, 6 steps, same seed "
           "and class as the Euler vs Heun workflow, so 02_reference is the exact answer for every row.\n\nLook for: "
           "which images land on another training image than the reference. On this tiny data set the hard part is the "
           "middle of the σ range where the sample picks its training image, so smaller ρ (more steps there) does "
           "better at 6 steps; ρ = 7 is tuned for natural images, where fine detail at low σ matters.", 6, 0)
    g.save(OUT_DIR, "03_karras_rho.json")

    g = Graph(info)
    model, pos, neg, lat = common(g, cls="square")
    for i, churn in enumerate((0.0, 40.0)):
        ks = g.node("SamplerLabKSampler", 1, 2 * i, title=f"EDM KSampler churn {churn:g}",
                    widgets={"seed": SEED, "steps": 12, "cfg": 2.0, "rho": 7.0, "s_churn": churn, "s_tmin": 0.05,
                             "s_tmax": 50.0},
                    model=(model, 0), positive=(pos, 0), negative=(neg, 0), latent_image=(lat, 0))
        output(g, (ks, 0), 2, 2 * i, f"04_churn{churn:g}")
    g.note("Churn (EDM Algorithm 2): S_churn > 0 adds fresh noise at each step (σ → σ̂ = σ(1+γ)) and denoises it "
           "again. Same seed and initial noise in both rows.\n\nLook for: without churn each image is a fixed function "
           "of its initial noise; with churn the trajectories wander and several images change (other training "
           "squares).", 4, 0)
    g.save(OUT_DIR, "04_churn.json")

    g = Graph(info)
    model, pos, neg, lat = common(g, cls="disc", prediction="v_prediction", batch=32)
    resc = g.node("SamplerLabCFGRescale", 1, 2, widgets={"phi": 0.7}, model=(model, 0))
    euler = g.node("KSamplerSelect", 1, 0, title="Euler", widgets={"sampler_name": "euler"})
    sig = g.node("SamplerLabKarrasSigmas", 1, 4, title="Karras σ 12 steps", widgets={"steps": 12, "rho": 7.0},
                 model=(model, 0))
    split = g.node("SplitSigmas", 2, 4, title="split at step 3 (σ ≈ 4.3)", widgets={"step": 3}, sigmas=(sig, 0))
    rows = ((model, "plain CFG", "05_cfg12_plain"), (resc, "CFG rescale φ 0.7", "05_cfg12_rescale"))
    for i, (m, label, prefix) in enumerate(rows):
        hi = custom(g, m, pos, neg, lat, euler, (split, 0), 3, 3 * i, f"{label}, cfg 12", cfg=12.0)
        lo = custom(g, m, pos, neg, (hi, 0), euler, (split, 1), 4, 3 * i, f"{label}, cfg 12 (rest)", cfg=12.0,
                    add_noise=False)
        output(g, (hi, 1), 5, 3 * i, prefix + "_x0mid")
        output(g, (lo, 0), 5, 3 * i + 1.5, prefix)
    g.note("CFG rescale (Lin et al. 2023, Alg. 2) on the v-prediction demo model, CFG 12, Euler 12 steps split after "
           "step 3 (σ ≈ 4.3).\n\nLook for: the x0 prediction there (the '_x0mid' images) over-saturates with plain CFG "
           "(colours clip, the guided prediction overshoots the data range); CFG rescale keeps it in range. An exact "
           "denoiser snaps the final image back onto a training image, so the end results differ in which image, not "
           "in saturation. Change both cfg values to sweep 1 → 15.", 7, 0)
    g.save(OUT_DIR, "05_cfg_rescale.json")

    g = Graph(info)
    model, pos, neg, lat = common(g, cls="disc", batch=32)
    cads = g.node("SamplerLabCADS", 1, 2, widgets={"noise_scale": 0.25, "tau1": 0.6, "tau2": 0.9, "psi": 1.0},
                  model=(model, 0))
    rows = ((model, "no CADS", 1.0, "06_cfg1"), (model, "no CADS", 12.0, "06_nocads"), (cads, "CADS", 12.0, "06_cads"))
    for i, (m, label, cfg, prefix) in enumerate(rows):
        ks = g.node("SamplerLabKSampler", 2, 2 * i, title=f"{label}, cfg {cfg:g}",
                    widgets={"seed": SEED, "steps": 12, "cfg": cfg, "rho": 7.0},
                    model=(m, 0), positive=(pos, 0), negative=(neg, 0), latent_image=(lat, 0))
        output(g, (ks, 0), 3, 2 * i, prefix)
    g.note("CADS (Sadat et al. ICLR 2024) at high CFG (12): the class conditioning is noised at high noise levels and "
           "annealed back to clean. 32 samples each, same seed; the first row is cfg 1 for comparison.\n\nLook for: "
           "without CADS, strong guidance sends several samples to the same training disc (fewer distinct images than "
           "at cfg 1); with CADS more distinct training images are reached (the demo sheet counts them).", 5, 0)
    g.save(OUT_DIR, "06_cads.json")

    g = Graph(info)
    model, pos, neg, lat = common(g, cls="disc", batch=16)
    euler = g.node("KSamplerSelect", 1, 0, title="Euler", widgets={"sampler_name": "euler"})
    for i, spacing in enumerate(("leading", "linspace", "trailing")):
        sig = g.node("SamplerLabSpacingSigmas", 2, 2 * i, title=f"{spacing} spacing",
                     widgets={"steps": 6, "spacing": spacing},
                     model=(model, 0))
        s = custom(g, model, pos, neg, lat, euler, sig, 3, 2 * i, f"Euler, 6 steps, {spacing}")
        output(g, (s, 0), 4, 2 * i, f"07_{spacing}")
    g.note("Timestep spacing (Lin et al. 2023, Table 2) with the model's own 1000 discrete timesteps, 6 Euler "
           "steps.\n\nLook for: leading starts below the top timestep (σ ≈ 5 instead of 14.6) and ends at t = 0; "
           "trailing starts at the last timestep but its last step is coarse (t = 166 → 0); linspace sits between. The "
           "demo prints each schedule.", 6, 0)
    g.save(OUT_DIR, "07_spacing.json")

    g = Graph(info)
    model, pos, neg, lat = common(g, cls="disc", prediction="v_prediction", batch=16)
    zsnr = g.node("SamplerLabZeroTerminalSNR", 1, 2, model=(model, 0))
    resc = g.node("SamplerLabCFGRescale", 1, 3, widgets={"phi": 0.7}, model=(zsnr, 0))
    euler = g.node("KSamplerSelect", 1, 0, title="Euler", widgets={"sampler_name": "euler"})
    rows = ((model, "v-pred, trailing", "08_vpred_trailing"),
            (resc, "v-pred, zero terminal SNR + CFG rescale, trailing", "08_zsnr_trailing"))
    for i, (m, label, prefix) in enumerate(rows):
        sig = g.node("SamplerLabSpacingSigmas", 2, 2 * i, title=f"trailing spacing ({label.split(',')[1].strip()})",
                     widgets={"steps": 10, "spacing": "trailing"}, model=(m, 0))
        smp = custom(g, m, pos, neg, lat, euler, sig, 3, 2 * i, label, cfg=7.5)
        output(g, (smp, 0), 4, 2 * i, prefix)
    g.note("Demo variant of zero_snr_vpred.json (Lin et al. 2023): the v-prediction demo model with its schedule "
           "rescaled to zero terminal SNR, trailing timesteps (the first step starts at the last timestep, σ ≈ 2896 "
           "instead of 14.6), CFG rescale 0.7, CFG 7.5, Euler 10 steps; the first row is the same model without the "
           "rescale.\n\nLook for: both rows give clean discs; with zero terminal SNR the first step sees pure noise "
           "(no leaked signal), so the samples do not inherit the initial noise's low frequencies and several land on "
           "other training images.", 6, 0)
    g.save(OUT_DIR, "08_zero_snr_vpred.json")


def main():
    with HostServer(fixture=False) as srv:
        info = srv.object_info()
    build(info)
    print("wrote", sorted(os.listdir(OUT_DIR)))


if __name__ == "__main__":
    main()
