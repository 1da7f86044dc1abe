"""Writes the example workflows in workflows/ (ComfyUI's UI format, loadable by drag and drop).

Run: .venv/bin/python tools/make_workflows.py   (boots the host once to read /object_info, so every node's sockets
and widget order are the host's own; the builder is tools/workflow_api.Graph, shared with the demo workflows).
"""
from __future__ import annotations

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from hostserver import HostServer  # noqa: E402
from workflow_api import Graph  # noqa: E402

OUT = os.path.join(REPO, "workflows")
SD15 = "v1-5-pruned-emaonly.safetensors"
SDXL = "sd_xl_base_1.0.safetensors"
SD21V = "v2-1_768-ema-pruned.safetensors"
POSITIVE = "a lighthouse on a rocky coast at golden hour, detailed oil painting"
NEGATIVE = "blurry, low quality, watermark"
SEED = 42


def text_to_image(g: Graph, ckpt: str, size: int, batch: int) -> tuple[int, int, int, int]:
    """Checkpoint, prompts and empty latent in the first column; returns (checkpoint, positive, negative, latent)."""
    ckpt_id = g.node("CheckpointLoaderSimple", 0, 0, widgets={"ckpt_name": ckpt})
    pos = g.node("CLIPTextEncode", 0, 1, title="Positive", widgets={"text": POSITIVE}, clip=(ckpt_id, 1))
    neg = g.node("CLIPTextEncode", 0, 2, title="Negative", widgets={"text": NEGATIVE}, clip=(ckpt_id, 1))
    latent = g.node("EmptyLatentImage", 0, 3, widgets={"width": size, "height": size, "batch_size": batch})
    return ckpt_id, pos, neg, latent


def decode_and_save(g: Graph, ckpt: int, samples: int, prefix: str) -> None:
    dec = g.node("VAEDecode", 3, 0, samples=(samples, 0), vae=(ckpt, 2))
    g.node("SaveImage", 4.4, 0, widgets={"filename_prefix": prefix}, images=(dec, 0))


def sampler(g: Graph, type_: str, model: int, pos: int, neg: int, latent: int, row: float = 0, **widgets) -> int:
    """A KSampler-like node (model, positive, negative, latent_image) in the third column."""
    return g.node(type_, 2, row, widgets=widgets, model=(model, 0), positive=(pos, 0), negative=(neg, 0),
                  latent_image=(latent, 0))


def custom_sampler(g: Graph, model: int, pos: int, neg: int, latent: int, sampler_node: int, sigmas: int,
                   cfg: float) -> int:
    return g.node("SamplerCustom", 2, 0, widgets={"noise_seed": SEED, "cfg": cfg}, model=(model, 0), positive=(pos, 0),
                  negative=(neg, 0), sampler=(sampler_node, 0), sigmas=(sigmas, 0), latent_image=(latent, 0))


def karras_sigmas_example(g: Graph, folder: str, name: str, steps: int, sampler_type: str, sampler_widgets: dict,
                          note: str) -> None:
    """SD1.5 text-to-image through SamplerCustom with our Karras σ on the model's range and the given sampler node."""
    ckpt, pos, neg, latent = text_to_image(g, SD15, 512, 1)
    sigmas = g.node("SamplerLabKarrasSigmas", 1, 0,
                    widgets={"steps": steps, "sigma_min": 0.0, "sigma_max": 0.0, "rho": 7.0},
                    model=(ckpt, 0))
    sampler_node = g.node(sampler_type, 1, 3.2, widgets=sampler_widgets)
    out = custom_sampler(g, ckpt, pos, neg, latent, sampler_node, sigmas, 7.0)
    decode_and_save(g, ckpt, out, "samplerlab_" + name)
    g.note(note, 3, 0.6)
    g.save(folder, f"{name}_sd15.json")


def karras_rho(g: Graph, folder: str) -> None:
    karras_sigmas_example(g, folder, "karras_rho", 20, "KSamplerSelect", {"sampler_name": "euler"},
                          "Karras σ schedule (EDM eq. 5) on the model's own σ range (σmin/σmax = 0). Queue with ρ = 1, "
                          "3 and 7 at the same seed: ρ = 7 spends more steps at low noise and gives cleaner fine "
                          "detail at 20 Euler steps; ρ = 1 (uniform in σ) leaves residual noise. The plot on the node "
                          "shows the schedule.")


def heun_churn(g: Graph, folder: str) -> None:
    karras_sigmas_example(g, folder, "heun_churn", 18, "SamplerLabHeunChurn",
                          {"s_churn": 10.0, "s_tmin": 0.05, "s_tmax": 50.0, "s_noise": 1.003},
                          "EDM Algorithm 2: Heun steps with churn. 18 steps cost 35 model evaluations (the last step "
                          "is Euler). Set s_churn to 0 for deterministic Heun; raise it to add fresh noise inside "
                          "[s_tmin, s_tmax], which can fix small errors of earlier steps. Same seed, same image, "
                          "whatever the batch size.")


def edm_ksampler(g: Graph, folder: str) -> None:
    ckpt, pos, neg, latent = text_to_image(g, SD15, 512, 2)
    ks = sampler(g, "SamplerLabKSampler", ckpt, pos, neg, latent, seed=SEED, steps=18, cfg=7.0)
    decode_and_save(g, ckpt, ks, "samplerlab_edm_ksampler")
    g.note("The whole EDM recipe in one node: Karras σ with ρ on the model's range, then Heun with churn. Batch of 2: "
           "each image is the one you get with that batch index alone.", 3, 0.6)
    g.save(folder, "edm_ksampler_sd15.json")


def cfg_rescale(g: Graph, folder: str) -> None:
    ckpt, pos, neg, latent = text_to_image(g, SD15, 512, 1)
    rescale = g.node("SamplerLabCFGRescale", 1, 0, widgets={"phi": 0.7}, model=(ckpt, 0))
    ks = sampler(g, "KSampler", rescale, pos, neg, latent, seed=SEED, steps=25, cfg=12.0, sampler_name="euler",
                 scheduler="karras")
    decode_and_save(g, ckpt, ks, "samplerlab_cfg_rescale")
    g.note("CFG rescale (Lin et al. Algorithm 2) at CFG 12. Compare phi = 0 (plain CFG: burnt, over-saturated colours) "
           "with phi = 0.7 (the paper's value): the colours come back to the range of the positive prediction.", 3, 0.6)
    g.save(folder, "cfg_rescale_sd15.json")


def cads(g: Graph, folder: str) -> None:
    ckpt, pos, neg, latent = text_to_image(g, SDXL, 1024, 4)
    cads_node = g.node("SamplerLabCADS", 1, 0, widgets={"noise_scale": 0.25, "tau1": 0.6, "tau2": 0.9, "psi": 1.0},
                       model=(ckpt, 0))
    ks = sampler(g, "KSampler", cads_node, pos, neg, latent, seed=SEED, steps=30, cfg=12.0, sampler_name="dpmpp_2m",
                 scheduler="karras")
    decode_and_save(g, ckpt, ks, "samplerlab_cads")
    g.note("CADS (Sadat et al. 2024) on SDXL at CFG 12, batch of 4. Bypass the CADS node to compare: without it the "
           "four images look alike (high CFG collapses diversity); with it they differ in composition while following "
           "the prompt. The noise touches the text tokens and SDXL's pooled embedding, never the size embeddings.", 3,
           0.6)
    g.save(folder, "cads_sdxl.json")


def zero_snr_recipe(g: Graph, folder: str) -> None:
    ckpt, pos, neg, latent = text_to_image(g, SD21V, 768, 1)
    zsnr = g.node("SamplerLabZeroTerminalSNR", 1, 0, model=(ckpt, 0))
    rescale = g.node("SamplerLabCFGRescale", 1, 2.4, widgets={"phi": 0.7}, model=(zsnr, 0))
    sigmas = g.node("SamplerLabSpacingSigmas", 1, 3.0, widgets={"steps": 25, "spacing": "trailing"}, model=(zsnr, 0))
    sampler_node = g.node("KSamplerSelect", 1, 5.8, widgets={"sampler_name": "euler"})
    out = custom_sampler(g, rescale, pos, neg, latent, sampler_node, sigmas, 7.5)
    decode_and_save(g, ckpt, out, "samplerlab_zero_snr")
    g.note("Lin et al. 2023 recipe for a v-prediction model (SD 2.1-v): schedule rescaled to zero terminal SNR, "
           "trailing timesteps (the first step sees pure noise), CFG rescale 0.7 at CFG 7.5. Try the prompt 'solid "
           "black background': the original schedule gives grey, this one black. Best with a model fine-tuned for zero "
           "SNR; switch spacing to leading to see the brightness bias come back.", 3, 0.6)
    g.save(folder, "zero_snr_vpred.json")


def all_features(g: Graph, folder: str) -> None:
    ckpt, pos, neg, latent = text_to_image(g, SDXL, 1024, 2)
    cads_node = g.node("SamplerLabCADS", 1, 0, widgets={"noise_scale": 0.1, "tau1": 0.6, "tau2": 0.9, "psi": 1.0},
                       model=(ckpt, 0))
    rescale = g.node("SamplerLabCFGRescale", 1, 3.6, widgets={"phi": 0.7}, model=(cads_node, 0))
    ks = sampler(g, "SamplerLabKSampler", rescale, pos, neg, latent, seed=SEED, steps=20, cfg=9.0, s_churn=5.0)
    decode_and_save(g, ckpt, ks, "samplerlab_all")
    g.note("Everything together on SDXL: CADS for diversity, CFG rescale against over-exposure at CFG 9, and the EDM "
           "KSampler (Karras ρ = 7, Heun with a little churn). Patches chain: CADS wraps the model call, CFG rescale "
           "runs after CFG; any other patch you add still runs.", 3, 0.6)
    g.save(folder, "all_features_sdxl.json")


def build(info: dict, folder: str = OUT) -> None:
    """Every example workflow into `folder`, from the host's /object_info `info`."""
    for make in (karras_rho, heun_churn, edm_ksampler, cfg_rescale, cads, zero_snr_recipe, all_features):
        make(Graph(info), folder)


def main() -> None:
    with HostServer(fixture=False) as server:
        build(server.object_info())
    print("wrote", sorted(name for name in os.listdir(OUT) if name.endswith(".json")))


if __name__ == "__main__":
    main()
