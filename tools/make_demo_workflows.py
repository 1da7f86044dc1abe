"""Writes workflows/demo/*.json (ComfyUI UI format, version 0.4) for the weightless demo model.

Run: .venv/bin/python tools/make_demo_workflows.py   (boots the server once to read /object_info, so every node's
sockets and widget order are the host's own). The JSON files are committed; `run_demo.py` only reads them.
"""

from __future__ import annotations

import json
import os

from hostserver import REPO_DIR, HostServer
from workflow_api import Graph

OUT_DIR = os.path.join(REPO_DIR, "workflows", "demo")
with open(os.path.join(REPO_DIR, "demo", "workflow_notes.json"), encoding="utf-8") as f:
    NOTES = json.load(f)  # the Note shown in each demo workflow: what it compares and what to look for
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
    g.node(
        "SaveImage",
        col + 1,
        row,
        title=prefix,
        widgets={"filename_prefix": f"samplerlab_demo/{prefix}"},
        images=(dec, 0),
    )
    if save_latent:
        g.node(
            "SaveLatent",
            col + 1,
            row + 0.6,
            title=prefix + " latent",
            widgets={"filename_prefix": f"samplerlab_demo/latents/{prefix}"},
            samples=latent,
        )


def custom(
    g: Graph,
    model,
    pos,
    neg,
    lat,
    sampler: int,
    sigmas,
    col: int,
    row: float,
    title: str,
    cfg: float = 2.0,
    add_noise: bool = True,
):
    sigmas = sigmas if isinstance(sigmas, tuple) else (sigmas, 0)
    lat = lat if isinstance(lat, tuple) else (lat, 0)
    return g.node(
        "SamplerCustom",
        col,
        row,
        title=title,
        widgets={"add_noise": add_noise, "noise_seed": SEED, "cfg": cfg},
        model=(model, 0),
        positive=(pos, 0),
        negative=(neg, 0),
        sampler=(sampler, 0),
        sigmas=sigmas,
        latent_image=lat,
    )


def schedule_row(
    g: Graph,
    i: int,
    model,
    pos,
    neg,
    lat,
    sampler: int,
    sigmas_type: str,
    sigmas_title: str,
    sigmas_widgets: dict,
    title: str,
    prefix: str,
    cfg: float = 2.0,
):
    """Row i of a comparison: a σ schedule node on `model`, SamplerCustom with `sampler`, decoded and saved."""
    sig = g.node(sigmas_type, 2, 2 * i, title=sigmas_title, widgets=sigmas_widgets, model=(model, 0))
    sampled = custom(g, model, pos, neg, lat, sampler, sig, 3, 2 * i, title, cfg=cfg)
    output(g, (sampled, 0), 4, 2 * i, prefix)


def build(info: dict, folder: str = OUT_DIR):
    """Every demo workflow into `folder`, from the host's /object_info `info`."""
    os.makedirs(folder, exist_ok=True)

    g = Graph(info)
    model, pos, neg, lat = common(g)
    ks = g.node(
        "SamplerLabKSampler",
        1,
        0,
        title="EDM KSampler",
        widgets={"seed": SEED, "steps": 16, "cfg": 2.0, "rho": 7.0},
        model=(model, 0),
        positive=(pos, 0),
        negative=(neg, 0),
        latent_image=(lat, 0),
    )
    output(g, (ks, 0), 2, 0, "01_edm_ksampler")
    ds = g.node("SamplerLabDemoDataset", 1, 2.5, widgets={"class_name": "disc", "count": 8, "scale": 8})
    g.node(
        "SaveImage",
        2,
        2.5,
        title="01_dataset",
        widgets={"filename_prefix": "samplerlab_demo/01_dataset"},
        images=(ds, 0),
    )
    g.note(NOTES["01_edm_ksampler"], 3, 0)
    g.save(folder, "01_edm_ksampler.json")

    g = Graph(info)
    model, pos, neg, lat = common(g, batch=16)
    euler = g.node("KSamplerSelect", 1, 0, title="Euler", widgets={"sampler_name": "euler"})
    heun = g.node("SamplerLabHeunChurn", 1, 1, title="Heun (no churn)", widgets={"s_churn": 0.0})
    rows = [
        ("Euler, 9 steps (9 NFE)", euler, 9, "02_euler_9nfe"),
        ("Heun, 5 steps (9 NFE)", heun, 5, "02_heun_9nfe"),
        ("reference: Heun, 100 steps", heun, 100, "02_reference"),
    ]
    for i, (title, sampler, steps, prefix) in enumerate(rows):
        schedule_row(
            g,
            i,
            model,
            pos,
            neg,
            lat,
            sampler,
            "SamplerLabKarrasSigmas",
            f"Karras σ {steps} steps",
            {"steps": steps, "rho": 7.0},
            title,
            prefix,
        )
    g.note(NOTES["02_euler_vs_heun"], 6, 0)
    g.save(folder, "02_euler_vs_heun.json")

    g = Graph(info)
    model, pos, neg, lat = common(g, batch=16)
    euler = g.node("KSamplerSelect", 1, 0, title="Euler", widgets={"sampler_name": "euler"})
    for i, rho in enumerate((1.0, 3.0, 7.0)):
        schedule_row(
            g,
            i,
            model,
            pos,
            neg,
            lat,
            euler,
            "SamplerLabKarrasSigmas",
            f"Karras σ ρ = {rho:g}",
            {"steps": 6, "rho": rho},
            f"Euler 6 steps, ρ = {rho:g}",
            f"03_rho{rho:g}",
        )
    g.note(NOTES["03_karras_rho"], 6, 0)
    g.save(folder, "03_karras_rho.json")

    g = Graph(info)
    model, pos, neg, lat = common(g, cls="square")
    for i, churn in enumerate((0.0, 40.0)):
        ks = g.node(
            "SamplerLabKSampler",
            1,
            2 * i,
            title=f"EDM KSampler churn {churn:g}",
            widgets={
                "seed": SEED,
                "steps": 12,
                "cfg": 2.0,
                "rho": 7.0,
                "s_churn": churn,
                "s_tmin": 0.05,
                "s_tmax": 50.0,
            },
            model=(model, 0),
            positive=(pos, 0),
            negative=(neg, 0),
            latent_image=(lat, 0),
        )
        output(g, (ks, 0), 2, 2 * i, f"04_churn{churn:g}")
    g.note(NOTES["04_churn"], 4, 0)
    g.save(folder, "04_churn.json")

    g = Graph(info)
    model, pos, neg, lat = common(g, cls="disc", prediction="v_prediction", batch=32)
    resc = g.node("SamplerLabCFGRescale", 1, 2, widgets={"phi": 0.7}, model=(model, 0))
    euler = g.node("KSamplerSelect", 1, 0, title="Euler", widgets={"sampler_name": "euler"})
    sig = g.node(
        "SamplerLabKarrasSigmas", 1, 4, title="Karras σ 12 steps", widgets={"steps": 12, "rho": 7.0}, model=(model, 0)
    )
    split = g.node("SplitSigmas", 2, 4, title="split at step 3 (σ ≈ 4.3)", widgets={"step": 3}, sigmas=(sig, 0))
    rows = ((model, "plain CFG", "05_cfg12_plain"), (resc, "CFG rescale φ 0.7", "05_cfg12_rescale"))
    for i, (m, label, prefix) in enumerate(rows):
        hi = custom(g, m, pos, neg, lat, euler, (split, 0), 3, 3 * i, f"{label}, cfg 12", cfg=12.0)
        lo = custom(
            g, m, pos, neg, (hi, 0), euler, (split, 1), 4, 3 * i, f"{label}, cfg 12 (rest)", cfg=12.0, add_noise=False
        )
        output(g, (hi, 1), 5, 3 * i, prefix + "_x0mid")
        output(g, (lo, 0), 5, 3 * i + 1.5, prefix)
    g.note(NOTES["05_cfg_rescale"], 7, 0)
    g.save(folder, "05_cfg_rescale.json")

    g = Graph(info)
    model, pos, neg, lat = common(g, cls="disc", batch=32)
    cads = g.node(
        "SamplerLabCADS", 1, 2, widgets={"noise_scale": 0.25, "tau1": 0.6, "tau2": 0.9, "psi": 1.0}, model=(model, 0)
    )
    rows = ((model, "no CADS", 1.0, "06_cfg1"), (model, "no CADS", 12.0, "06_nocads"), (cads, "CADS", 12.0, "06_cads"))
    for i, (m, label, cfg, prefix) in enumerate(rows):
        ks = g.node(
            "SamplerLabKSampler",
            2,
            2 * i,
            title=f"{label}, cfg {cfg:g}",
            widgets={"seed": SEED, "steps": 12, "cfg": cfg, "rho": 7.0},
            model=(m, 0),
            positive=(pos, 0),
            negative=(neg, 0),
            latent_image=(lat, 0),
        )
        output(g, (ks, 0), 3, 2 * i, prefix)
    g.note(NOTES["06_cads"], 5, 0)
    g.save(folder, "06_cads.json")

    g = Graph(info)
    model, pos, neg, lat = common(g, cls="disc", batch=16)
    euler = g.node("KSamplerSelect", 1, 0, title="Euler", widgets={"sampler_name": "euler"})
    for i, spacing in enumerate(("leading", "linspace", "trailing")):
        schedule_row(
            g,
            i,
            model,
            pos,
            neg,
            lat,
            euler,
            "SamplerLabSpacingSigmas",
            f"{spacing} spacing",
            {"steps": 6, "spacing": spacing},
            f"Euler, 6 steps, {spacing}",
            f"07_{spacing}",
        )
    g.note(NOTES["07_spacing"], 6, 0)
    g.save(folder, "07_spacing.json")

    g = Graph(info)
    model, pos, neg, lat = common(g, cls="disc", prediction="v_prediction", batch=16)
    zsnr = g.node("SamplerLabZeroTerminalSNR", 1, 2, model=(model, 0))
    resc = g.node("SamplerLabCFGRescale", 1, 3, widgets={"phi": 0.7}, model=(zsnr, 0))
    euler = g.node("KSamplerSelect", 1, 0, title="Euler", widgets={"sampler_name": "euler"})
    rows = (
        (model, "v-pred, trailing", "08_vpred_trailing"),
        (resc, "v-pred, zero terminal SNR + CFG rescale, trailing", "08_zsnr_trailing"),
    )
    for i, (m, label, prefix) in enumerate(rows):
        schedule_row(
            g,
            i,
            m,
            pos,
            neg,
            lat,
            euler,
            "SamplerLabSpacingSigmas",
            f"trailing spacing ({label.split(',')[1].strip()})",
            {"steps": 10, "spacing": "trailing"},
            label,
            prefix,
            cfg=7.5,
        )
    g.note(NOTES["08_zero_snr_vpred"], 6, 0)
    g.save(folder, "08_zero_snr_vpred.json")


def main():
    with HostServer(fixture=False) as srv:
        info = srv.object_info()
    build(info)
    print("wrote", sorted(os.listdir(OUT_DIR)))


if __name__ == "__main__":
    main()
