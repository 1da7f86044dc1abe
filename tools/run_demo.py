"""`make demo`: runs the demo workflows (workflows/demo/*.json) through a real ComfyUI server on the weightless demo
model, writes their images to out/demo/ and one comparison sheet, out/demo/sampler_lab_sheet.png, whose numbers are
measured on this run's latents.

The demo model is the exact posterior-mean denoiser of a generated data set (demo/dataset.py), so every difference
on the sheet is the sampler's own. Usage: .venv/bin/python tools/run_demo.py [--out DIR]
"""

from __future__ import annotations

import argparse
import copy
import glob
import json
import os
import shutil
import sys
import time

import hostlib
import loader
from hostserver import REPO_DIR, HostServer
from workflow_api import ui_to_api

S = loader.core()

WORKFLOW_DIR = os.path.join(REPO_DIR, "workflows", "demo")


# ------------------------------------------------------------------------------------------------ prompts


def load_workflows() -> dict[str, dict]:
    out = {}
    for path in sorted(glob.glob(os.path.join(WORKFLOW_DIR, "*.json"))):
        with open(path, encoding="utf-8") as f:
            out[os.path.splitext(os.path.basename(path))[0]] = json.load(f)
    if not out:
        raise SystemExit(f"no demo workflows in {WORKFLOW_DIR}")
    return out


def by_title(api: dict, title: str) -> dict:
    hits = [n for n in api.values() if n.get("_meta", {}).get("title") == title]
    if len(hits) != 1:
        raise KeyError(f"{len(hits)} nodes titled {title!r}")
    return hits[0]


def only(api: dict, keep_titles: list[str]) -> dict:
    """The prompt with only the SaveImage/SaveLatent outputs titled in `keep_titles` (plus what they need)."""
    api = copy.deepcopy(api)
    outputs = {"SaveImage", "SaveLatent", "PreviewImage"}
    for nid in [
        k
        for k, n in api.items()
        if n["class_type"] in outputs and n["_meta"]["title"].removesuffix(" latent") not in keep_titles
    ]:
        del api[nid]
    needed, stack = set(), [k for k, n in api.items() if n["class_type"] in outputs]
    while stack:
        k = stack.pop()
        if k in needed:
            continue
        needed.add(k)
        stack += [
            v[0] for v in api[k]["inputs"].values() if isinstance(v, list) and len(v) == 2 and isinstance(v[0], str)
        ]
    return {k: v for k, v in api.items() if k in needed}


def retarget(api: dict, old: str, new: str) -> dict:
    """Rename the SaveImage/SaveLatent prefixes of output `old` to `new` (title and filename)."""
    for n in api.values():
        t = n["_meta"]["title"]
        if t in (old, old + " latent"):
            n["inputs"]["filename_prefix"] = n["inputs"]["filename_prefix"].replace(old, new)
            n["_meta"]["title"] = t.replace(old, new)
    return api


# ------------------------------------------------------------------------------------------------ metrics


def metrics_tools():
    import torch

    images, labels = hostlib.import_pack().demo.dataset.make_dataset()
    flat = images.reshape(images.shape[0], -1)

    def nearest(x):
        d = torch.cdist(x.reshape(x.shape[0], -1).double(), flat.double())
        dist, idx = d.min(1)
        return idx, dist / flat.shape[1] ** 0.5  # RMS per pixel

    def rms(a, b):
        return ((a - b) ** 2).reshape(a.shape[0], -1).mean(1).sqrt()

    def pairwise(x):
        f = x.reshape(x.shape[0], -1).double()
        d = torch.cdist(f, f) / f.shape[1] ** 0.5
        n = f.shape[0]
        return float(d.sum() / (n * (n - 1)))

    return images, labels, nearest, rms, pairwise


def spacing_text(spacing: str, steps: int) -> str:
    """Timesteps of Lin et al. Table 2 and their σ on the host's default discrete schedule (SD1's scaled-linear β)."""
    table = S.sigmas_from_alphas_cumprod(S.alphas_cumprod(S.make_betas("scaled_linear")))
    ts = S.spacing_timesteps(spacing, steps, len(table)).tolist()
    return f"t = {ts[0]}..{ts[-1]}: sigma {float(table[ts[0]]):.2f} .. {float(table[ts[-1]]):.3f} -> 0"


# ------------------------------------------------------------------------------------------------ sheet


def make_sheet(sections, path: str, footer: str):
    """sections: [(title, [(label, [segment, ...], text)])], segment = (images [B,3,h,w] in [-1,1], caption)."""
    from PIL import Image, ImageDraw, ImageFont

    def font(size, bold=False):
        for name in (
            ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"),
            "/usr/share/fonts/truetype/dejavu/" + ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"),
        ):
            try:
                return ImageFont.truetype(name, size)
            except OSError:
                pass
        try:
            return ImageFont.load_default(size=size)
        except TypeError:
            return ImageFont.load_default()

    f_title, f_head, f_text = font(22, True), font(17, True), font(14)
    scale, pad, label_w = 4, 3, 250
    thumb = 16 * scale
    row_h = thumb + 26
    width = 0
    for _, rows in sections:
        for _, segs, text in rows:
            text_w = max(f_text.getlength(line) for line in text.split("\n")) + 30
            width = max(width, label_w + sum(s[0].shape[0] * (thumb + pad) + 12 for s in segs) + int(text_w))
    height = 60 + sum(34 + len(rows) * row_h for _, rows in sections) + 40
    sheet = Image.new("RGB", (width, height), (250, 250, 248))
    draw = ImageDraw.Draw(sheet)
    draw.text(
        (12, 14),
        "Sampler Lab - weightless demo: exact denoiser of a 320-image generated data set (16x16 RGB)",
        font=f_title,
        fill=(20, 20, 20),
    )
    y = 60
    for title, rows in sections:
        draw.text((12, y + 6), title, font=f_head, fill=(30, 60, 120))
        y += 34
        for label, segs, text in rows:
            draw.multiline_text((12, y + 6), label, font=f_text, fill=(20, 20, 20), spacing=3)
            x = label_w
            for imgs, caption in segs:
                arr = ((imgs.float().clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()
                for a in arr:
                    sheet.paste(Image.fromarray(a).resize((thumb, thumb), Image.NEAREST), (x, y))
                    x += thumb + pad
                if caption:
                    draw.text(
                        (x - imgs.shape[0] * (thumb + pad), y + thumb + 2), caption, font=f_text, fill=(90, 30, 30)
                    )
                x += 12
            draw.multiline_text((x + 6, y + 4), text, font=f_text, fill=(90, 30, 30), spacing=3)
            y += row_h
    draw.text((12, height - 30), footer, font=f_text, fill=(80, 80, 80))
    sheet.save(path)


# ------------------------------------------------------------------------------------------------ main


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(REPO_DIR, "out", "demo"), help="output folder (default out/demo)")
    args = ap.parse_args(argv)
    t_start = time.monotonic()
    import torch
    from safetensors.torch import load_file

    out_dir = os.path.abspath(args.out)
    workflows = load_workflows()
    for sub in [*workflows, "sheet_variants"]:  # only what an earlier run wrote
        shutil.rmtree(os.path.join(out_dir, sub), ignore_errors=True)
    os.makedirs(out_dir, exist_ok=True)
    latents: dict[str, torch.Tensor] = {}
    n_prompts = 0

    print(
        f"Sampler Lab demo: booting ComfyUI ({os.path.relpath(os.path.join(REPO_DIR, '.host', 'ComfyUI'))}) on "
        f"127.0.0.1 …",
        flush=True,
    )
    with HostServer(fixture=False) as srv:
        print(f"  server up in {srv.boot_seconds:.1f} s at {srv.url}", flush=True)
        info = srv.object_info()

        def run(api, folder):
            nonlocal n_prompts
            entry = srv.run_prompt(api, timeout=300)
            n_prompts += 1
            dest = os.path.join(out_dir, folder)
            os.makedirs(dest, exist_ok=True)
            for p in srv.output_files(entry, "images"):
                shutil.copy(p, os.path.join(dest, os.path.basename(p)))
            for p in srv.output_files(entry, "latents"):
                name = os.path.basename(p).rsplit("_", 2)[0]  # <prefix>_00001_.latent
                latents[name] = load_file(p)["latent_tensor"].float()

        # 1. every demo workflow as saved (UI format → API format → /prompt)
        apis = {}
        for name, wf in workflows.items():
            t = time.monotonic()
            apis[name] = ui_to_api(wf, info)
            run(apis[name], name)
            print(f"  workflow {name}: {time.monotonic() - t:.1f} s", flush=True)

        # 2. variants for the sheet (same graphs, inputs changed)
        t = time.monotonic()
        for nfe, (e_steps, h_steps) in {5: (5, 3), 13: (13, 7), 19: (19, 10)}.items():
            api = only(apis["02_euler_vs_heun"], ["02_euler_9nfe", "02_heun_9nfe"])
            by_title(api, "Karras σ 9 steps")["inputs"]["steps"] = e_steps
            by_title(api, "Karras σ 5 steps")["inputs"]["steps"] = h_steps
            retarget(retarget(api, "02_euler_9nfe", f"02_euler_{nfe}nfe"), "02_heun_9nfe", f"02_heun_{nfe}nfe")
            run(api, "sheet_variants")
        for cfg in (1.0, 3.0, 7.0, 15.0):
            api = copy.deepcopy(apis["05_cfg_rescale"])
            for label, prefix in (("plain CFG", "05_cfg12_plain"), ("CFG rescale φ 0.7", "05_cfg12_rescale")):
                by_title(api, f"{label}, cfg 12")["inputs"]["cfg"] = cfg
                by_title(api, f"{label}, cfg 12 (rest)")["inputs"]["cfg"] = cfg
                for suffix in ("", "_x0mid"):
                    retarget(api, prefix + suffix, prefix.replace("cfg12", f"cfg{cfg:g}") + suffix)
            run(api, "sheet_variants")
        print(f"  sheet variants: {time.monotonic() - t:.1f} s", flush=True)
    t_server = time.monotonic() - t_start

    # 3. numbers and the sheet
    images, labels, nearest, rms, pairwise = metrics_tools()
    L = latents
    ref = L["02_reference"]
    ref_idx, _ = nearest(ref)

    def vs_ref(x):
        idx, _ = nearest(x)
        return float(rms(x, ref).mean()), int((idx != ref_idx).sum())

    def fmt_ref(x):
        e, n = vs_ref(x)
        return f"RMS error vs exact {e:.4f}\n{n}/{x.shape[0]} on another training image"

    def fmt_div(x):
        idx, d = nearest(x)
        return (
            f"mean pairwise dist {pairwise(x):.3f}\n{len(set(idx.tolist()))} distinct training images, "
            f"off-data {float(d.mean()):.3f}"
        )

    def fmt_ref_named(x):
        e, n = vs_ref(x)
        return f"{n}/{x.shape[0]} on another image than the exact ODE"

    def clipped(x):
        return float((x.abs() > 1.0).float().mean() * 100)

    ds_idx = torch.cat([torch.nonzero(labels == k)[:2, 0] for k in range(int(labels.max()) + 1)])
    changed_by_churn = int((nearest(L["04_churn40"])[0] != nearest(L["04_churn0"])[0]).sum())
    sections = [
        (
            "The data set (ours, generated: demo/dataset.py) - 4 classes x 80 images; the model is its exact denoiser",
            [
                (
                    "training images\n(2 per class)",
                    [(images[ds_idx], "")],
                    "disc, square, stripes, ring\nclass 'disc' is sampled below",
                )
            ],
        ),
        (
            "Euler vs Heun at equal cost (NFE = model evaluations), Karras rho 7, cfg 2, same seed; "
            "16 samples, 8 shown",
            [("exact: Heun 100 steps", [(ref[:8], "")], "reference (ODE solution)")]
            + [
                (
                    f"{s} {nfe} NFE" + (f"\n({(nfe + 1) // 2} steps)" if s == "Heun" else f"\n({nfe} steps)"),
                    [(L[f"02_{s.lower()}_{nfe}nfe"][:8], "")],
                    fmt_ref(L[f"02_{s.lower()}_{nfe}nfe"]),
                )
                for nfe in (5, 9, 13, 19)
                for s in ("Euler", "Heun")
            ],
        ),
        (
            "Karras rho (EDM eq. 5): Euler 6 steps, same seed and reference as above",
            [(f"rho = {r}", [(L[f"03_rho{r}"][:8], "")], fmt_ref(L[f"03_rho{r}"])) for r in (1, 3, 7)],
        ),
        (
            "Churn (EDM Alg. 2): S_churn 0 vs 40, Heun 12 steps, class 'square', same seed",
            [
                (
                    f"S_churn = {c}",
                    [(L[f"04_churn{c}"], "")],
                    (f"{changed_by_churn}/8 changed by churn\n" if c else "\n")
                    + fmt_div(L[f"04_churn{c}"]).split("\n")[1],
                )
                for c in (0, 40)
            ],
        ),
        (
            "CFG 1 -> 15: x0 prediction at sigma ~ 4.3 (after 3 of 12 steps), plain CFG (left) vs CFG rescale phi 0.7 "
            "(right), v-pred",
            [
                (
                    f"cfg {c:g}",
                    [(L[f"05_cfg{c:g}_plain_x0mid"][:4], ""), (L[f"05_cfg{c:g}_rescale_x0mid"][:4], "")],
                    f"clipped px at sigma~4.3: plain {clipped(L[f'05_cfg{c:g}_plain_x0mid']):.1f}%  rescale "
                    f"{clipped(L[f'05_cfg{c:g}_rescale_x0mid']):.1f}%\n"
                    f"max |x0|: plain {float(L[f'05_cfg{c:g}_plain_x0mid'].abs().max()):.2f}  rescale "
                    f"{float(L[f'05_cfg{c:g}_rescale_x0mid'].abs().max()):.2f}\nfinal samples (snap to data): max |x| "
                    f"{max(float(L[f'05_cfg{c:g}_{kind}'].abs().max()) for kind in ('plain', 'rescale')):.2f}",
                )
                for c in (1.0, 3.0, 7.0, 12.0, 15.0)
            ],
        ),
        (
            "CADS (s 0.25, tau 0.6/0.9) at cfg 12: diversity of 32 samples (8 shown), class 'disc', same seed",
            [
                (label, [(L[k][:8], "")], fmt_div(L[k]))
                for label, k in (
                    ("cfg 1 (no guidance)", "06_cfg1"),
                    ("cfg 12, no CADS", "06_nocads"),
                    ("cfg 12, CADS", "06_cads"),
                )
            ],
        ),
        (
            "Timestep spacing (Lin et al. Table 2), Euler 6 steps on the model's 1000 discrete steps; "
            "16 samples, 8 shown",
            [
                (s, [(L[f"07_{s}"][:8], "")], spacing_text(s, 6) + "\n" + fmt_ref_named(L[f"07_{s}"]))
                for s in ("leading", "linspace", "trailing")
            ],
        ),
        (
            "Zero terminal SNR (Lin et al. Alg. 1), v-prediction, trailing 10 steps, cfg 7.5; 16 samples, 8 shown",
            [
                (
                    "v-pred, trailing",
                    [(L["08_vpred_trailing"][:8], "")],
                    "sigma_max 14.6\n" + fmt_div(L["08_vpred_trailing"]).split("\n")[1],
                ),
                (
                    "+ zero terminal SNR\n+ CFG rescale 0.7",
                    [(L["08_zsnr_trailing"][:8], "")],
                    f"first step at sigma ~ 2896 (pure "
                    f"noise)\n{int((nearest(L['08_zsnr_trailing'])[0] != nearest(L['08_vpred_trailing'])[0]).sum())}"
                    f"/16 land on another training image; " + fmt_div(L["08_zsnr_trailing"]).split("\n")[1],
                ),
            ],
        ),
    ]
    sheet_path = os.path.join(out_dir, "sampler_lab_sheet.png")
    elapsed = time.monotonic() - t_start
    make_sheet(
        sections,
        sheet_path,
        f"Numbers measured on this run ({n_prompts} prompts through ComfyUI 0.3.75, "
        f"{elapsed:.0f} s). RMS on [-1, 1] pixels; 'off-data' = RMS distance to the nearest training image.",
    )
    n_png = len(glob.glob(os.path.join(out_dir, "**", "*.png"), recursive=True))
    print(
        f"\nSampler Lab demo done in {time.monotonic() - t_start:.1f} s (server part {t_server:.1f} s, {n_prompts} "
        f"prompts)."
    )
    print(f"  images of every demo workflow: {os.path.relpath(out_dir)}/<workflow>/ ({n_png} PNG files)")
    print(f"  comparison sheet:              {os.path.relpath(sheet_path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
