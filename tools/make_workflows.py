"""Writes the example workflows in workflows/ (ComfyUI's UI format, loadable by drag and drop).

Run: .venv/bin/python tools/make_workflows.py   (boots the host once to read /object_info, so every node's sockets
and widget order are the host's own; the builder is tools/workflow_api.Graph, shared with the demo workflows).
"""

from __future__ import annotations

import os

REPO = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
from hostserver import HostServer  # noqa: E402
from workflow_api import Graph  # noqa: E402

OUT = os.path.join(REPO, "workflows")
SD15 = "v1-5-pruned-emaonly.safetensors"
SDXL = "sd_xl_base_1.0.safetensors"
SD21V = "v2-1_768-ema-pruned.safetensors"
SD35_LARGE = "sd3.5_large.safetensors"  # model and VAE; its text encoders are separate files
FLUX_DEV = "flux1-dev.safetensors"
FLUX_VAE = "ae.safetensors"
CLIP_L = "clip_l.safetensors"
CLIP_G = "clip_g.safetensors"
T5XXL = "t5xxl_fp16.safetensors"
WAN21_T2V_1_3B = "wan2.1_t2v_1.3B_fp16.safetensors"
UMT5_XXL = "umt5_xxl_fp8_e4m3fn_scaled.safetensors"
WAN21_VAE = "wan_2.1_vae.safetensors"
QWEN_IMAGE = "qwen_image_fp8_e4m3fn.safetensors"
QWEN_VL = "qwen_2.5_vl_7b_fp8_scaled.safetensors"
QWEN_IMAGE_VAE = "qwen_image_vae.safetensors"
POSITIVE = "a lighthouse on a rocky coast at golden hour, detailed oil painting"
NEGATIVE = "blurry, low quality, watermark"
VIDEO_POSITIVE = "waves rolling onto a rocky coast below a lighthouse at golden hour, slow aerial tracking shot"
VIDEO_NEGATIVE = "static frame, blurry, low quality, watermark, subtitles, jerky motion, deformed"
CADS_DEFAULTS = {"noise_scale": 0.25, "tau1": 0.6, "tau2": 0.9, "psi": 1.0}
SEED = 42


def text_to_image(g: Graph, ckpt: str, size: int, batch: int) -> tuple[int, int, int, int]:
    """Checkpoint, prompts and empty latent in the first column; returns (checkpoint, positive, negative, latent)."""
    ckpt_id = g.node("CheckpointLoaderSimple", 0, 0, widgets={"ckpt_name": ckpt})
    pos = g.node("CLIPTextEncode", 0, 1, title="Positive", widgets={"text": POSITIVE}, clip=(ckpt_id, 1))
    neg = g.node("CLIPTextEncode", 0, 2, title="Negative", widgets={"text": NEGATIVE}, clip=(ckpt_id, 1))
    latent = g.node("EmptyLatentImage", 0, 3, widgets={"width": size, "height": size, "batch_size": batch})
    return ckpt_id, pos, neg, latent


def split_loaders(g: Graph, unet: str, clip_loader: str, clip_widgets: dict, vae: str) -> tuple[int, int, int]:
    """UNETLoader, a text-encoder loader and VAELoader in the first column, for a family shipped as separate files;
    returns (model, clip, vae)."""
    model = g.node("UNETLoader", 0, 0, widgets={"unet_name": unet, "weight_dtype": "default"})
    clip = g.node(clip_loader, 0, 1, widgets=clip_widgets)
    vae_id = g.node("VAELoader", 0, 2.2, widgets={"vae_name": vae})
    return model, clip, vae_id


def prompts(g: Graph, clip: int, positive: str = POSITIVE, negative: str = NEGATIVE) -> tuple[int, int]:
    """Positive and negative CLIPTextEncode in the second column; returns (positive, negative)."""
    pos = g.node("CLIPTextEncode", 1, 0, title="Positive", widgets={"text": positive}, clip=(clip, 0))
    neg = g.node("CLIPTextEncode", 1, 1.5, title="Negative", widgets={"text": negative}, clip=(clip, 0))
    return pos, neg


def decode_and_save(
    g: Graph, vae: tuple[int, int], samples: int, prefix: str, col: float = 3, saver: str = "SaveImage", **save_widgets
) -> None:
    """VAEDecode with `vae` (node, slot), then the `saver` node."""
    dec = g.node("VAEDecode", col, 0, samples=(samples, 0), vae=vae)
    g.node(saver, col + 1.4, 0, widgets={"filename_prefix": prefix, **save_widgets}, images=(dec, 0))


def sampler(
    g: Graph, type_: str, model: int, pos: int, neg: int, latent: int, row: float = 0, col: float = 2, **widgets
) -> int:
    """A KSampler-like node (model, positive, negative, latent_image), by default in the third column."""
    return g.node(
        type_,
        col,
        row,
        widgets=widgets,
        model=(model, 0),
        positive=(pos, 0),
        negative=(neg, 0),
        latent_image=(latent, 0),
    )


def custom_sampler(
    g: Graph, model: int, pos: int, neg: int, latent: int, sampler_node: int, sigmas: int, cfg: float, col: float = 2
) -> int:
    return g.node(
        "SamplerCustom",
        col,
        0,
        widgets={"noise_seed": SEED, "cfg": cfg},
        model=(model, 0),
        positive=(pos, 0),
        negative=(neg, 0),
        sampler=(sampler_node, 0),
        sigmas=(sigmas, 0),
        latent_image=(latent, 0),
    )


def karras_sigmas_example(
    g: Graph, folder: str, name: str, steps: int, sampler_type: str, sampler_widgets: dict, note: str
) -> None:
    """SD1.5 text-to-image through SamplerCustom with our Karras σ on the model's range and the given sampler node."""
    ckpt, pos, neg, latent = text_to_image(g, SD15, 512, 1)
    sigmas = g.node(
        "SamplerLabKarrasSigmas",
        1,
        0,
        widgets={"steps": steps, "sigma_min": 0.0, "sigma_max": 0.0, "rho": 7.0},
        model=(ckpt, 0),
    )
    sampler_node = g.node(sampler_type, 1, 3.2, widgets=sampler_widgets)
    out = custom_sampler(g, ckpt, pos, neg, latent, sampler_node, sigmas, 7.0)
    decode_and_save(g, (ckpt, 2), out, "samplerlab_" + name)
    g.note(note, 3, 0.6)
    g.save(folder, f"{name}_sd15.json")


def karras_rho(g: Graph, folder: str) -> None:
    karras_sigmas_example(
        g,
        folder,
        "karras_rho",
        20,
        "KSamplerSelect",
        {"sampler_name": "euler"},
        "Karras σ schedule (EDM eq. 5) on the model's own σ range (σmin/σmax = 0). Queue with ρ = 1, "
        "3 and 7 at the same seed: ρ = 7 spends more steps at low noise and gives cleaner fine "
        "detail at 20 Euler steps; ρ = 1 (uniform in σ) leaves residual noise. The plot on the node "
        "shows the schedule.",
    )


def heun_churn(g: Graph, folder: str) -> None:
    karras_sigmas_example(
        g,
        folder,
        "heun_churn",
        18,
        "SamplerLabHeunChurn",
        {"s_churn": 10.0, "s_tmin": 0.05, "s_tmax": 50.0, "s_noise": 1.003},
        "EDM Algorithm 2: Heun steps with churn. 18 steps cost 35 model evaluations (the last step "
        "is Euler). Set s_churn to 0 for deterministic Heun; raise it to add fresh noise inside "
        "[s_tmin, s_tmax], which can fix small errors of earlier steps. Same seed, same image, "
        "whatever the batch size.",
    )


def edm_ksampler(g: Graph, folder: str) -> None:
    ckpt, pos, neg, latent = text_to_image(g, SD15, 512, 2)
    ks = sampler(g, "SamplerLabKSampler", ckpt, pos, neg, latent, seed=SEED, steps=18, cfg=7.0)
    decode_and_save(g, (ckpt, 2), ks, "samplerlab_edm_ksampler")
    g.note(
        "The whole EDM recipe in one node: Karras σ with ρ on the model's range, then Heun with churn. Batch of 2: "
        "each image is the one you get with that batch index alone.",
        3,
        0.6,
    )
    g.save(folder, "edm_ksampler_sd15.json")


def cfg_rescale(g: Graph, folder: str) -> None:
    ckpt, pos, neg, latent = text_to_image(g, SD15, 512, 1)
    rescale = g.node("SamplerLabCFGRescale", 1, 0, widgets={"phi": 0.7}, model=(ckpt, 0))
    ks = sampler(
        g,
        "KSampler",
        rescale,
        pos,
        neg,
        latent,
        seed=SEED,
        steps=25,
        cfg=12.0,
        sampler_name="euler",
        scheduler="karras",
    )
    decode_and_save(g, (ckpt, 2), ks, "samplerlab_cfg_rescale")
    g.note(
        "CFG rescale (Lin et al. Algorithm 2) at CFG 12. Compare phi = 0 (plain CFG: burnt, over-saturated colours) "
        "with phi = 0.7 (the paper's value): the colours come back to the range of the positive prediction.",
        3,
        0.6,
    )
    g.save(folder, "cfg_rescale_sd15.json")


def cads(g: Graph, folder: str) -> None:
    ckpt, pos, neg, latent = text_to_image(g, SDXL, 1024, 4)
    cads_node = g.node(
        "SamplerLabCADS", 1, 0, widgets={"noise_scale": 0.25, "tau1": 0.6, "tau2": 0.9, "psi": 1.0}, model=(ckpt, 0)
    )
    ks = sampler(
        g,
        "KSampler",
        cads_node,
        pos,
        neg,
        latent,
        seed=SEED,
        steps=30,
        cfg=12.0,
        sampler_name="dpmpp_2m",
        scheduler="karras",
    )
    decode_and_save(g, (ckpt, 2), ks, "samplerlab_cads")
    g.note(
        "CADS (Sadat et al. 2024) on SDXL at CFG 12, batch of 4. Bypass the CADS node to compare: without it the "
        "four images look alike (high CFG collapses diversity); with it they differ in composition while following "
        "the prompt. The noise touches the text tokens and SDXL's pooled embedding, never the size embeddings.",
        3,
        0.6,
    )
    g.save(folder, "cads_sdxl.json")


def zero_snr_recipe(g: Graph, folder: str) -> None:
    ckpt, pos, neg, latent = text_to_image(g, SD21V, 768, 1)
    zsnr = g.node("SamplerLabZeroTerminalSNR", 1, 0, model=(ckpt, 0))
    rescale = g.node("SamplerLabCFGRescale", 1, 2.4, widgets={"phi": 0.7}, model=(zsnr, 0))
    sigmas = g.node("SamplerLabSpacingSigmas", 1, 3.0, widgets={"steps": 25, "spacing": "trailing"}, model=(zsnr, 0))
    sampler_node = g.node("KSamplerSelect", 1, 5.8, widgets={"sampler_name": "euler"})
    out = custom_sampler(g, rescale, pos, neg, latent, sampler_node, sigmas, 7.5)
    decode_and_save(g, (ckpt, 2), out, "samplerlab_zero_snr")
    g.note(
        "Lin et al. 2024 recipe for a v-prediction model (SD 2.1-v): schedule rescaled to zero terminal SNR, "
        "trailing timesteps (the first step sees pure noise), CFG rescale 0.7 at CFG 7.5. Try the prompt 'solid "
        "black background': the original schedule gives grey, this one black. Best with a model fine-tuned for zero "
        "SNR; switch spacing to leading to see the brightness bias come back.",
        3,
        0.6,
    )
    g.save(folder, "zero_snr_vpred.json")


def all_features(g: Graph, folder: str) -> None:
    ckpt, pos, neg, latent = text_to_image(g, SDXL, 1024, 2)
    cads_node = g.node(
        "SamplerLabCADS", 1, 0, widgets={"noise_scale": 0.1, "tau1": 0.6, "tau2": 0.9, "psi": 1.0}, model=(ckpt, 0)
    )
    rescale = g.node("SamplerLabCFGRescale", 1, 3.6, widgets={"phi": 0.7}, model=(cads_node, 0))
    ks = sampler(g, "SamplerLabKSampler", rescale, pos, neg, latent, seed=SEED, steps=20, cfg=9.0, s_churn=5.0)
    decode_and_save(g, (ckpt, 2), ks, "samplerlab_all")
    g.note(
        "Everything together on SDXL: CADS for diversity, CFG rescale against over-exposure at CFG 9, and the EDM "
        "KSampler (Karras ρ = 7, Heun with a little churn). Patches chain: CADS wraps the model call, CFG rescale "
        "runs after CFG; any other patch you add still runs.",
        3,
        0.6,
    )
    g.save(folder, "all_features_sdxl.json")


def cads_flux(g: Graph, folder: str) -> None:
    model, clip, vae = split_loaders(
        g, FLUX_DEV, "DualCLIPLoader", {"clip_name1": CLIP_L, "clip_name2": T5XXL, "type": "flux"}, FLUX_VAE
    )
    pos = g.node("CLIPTextEncode", 1, 0, title="Positive", widgets={"text": POSITIVE}, clip=(clip, 0))
    guided = g.node("FluxGuidance", 1, 1.5, widgets={"guidance": 3.5}, conditioning=(pos, 0))
    neg = g.node("ConditioningZeroOut", 1, 2.2, title="Negative (unused at CFG 1)", conditioning=(pos, 0))
    latent = g.node("EmptySD3LatentImage", 1, 2.8, widgets={"width": 1024, "height": 1024, "batch_size": 4})
    cads_node = g.node("SamplerLabCADS", 2, 0, widgets=CADS_DEFAULTS, model=(model, 0))
    ks = sampler(
        g,
        "KSampler",
        cads_node,
        guided,
        neg,
        latent,
        col=3,
        seed=SEED,
        steps=20,
        cfg=1.0,
        sampler_name="euler",
        scheduler="simple",
    )
    decode_and_save(g, (vae, 0), ks, "samplerlab_cads_flux", col=4)
    g.note(
        "CADS on Flux dev, batch of 4. Flux dev is guidance-distilled: it runs at CFG 1 (one model call per step; "
        "the zeroed negative is never used) and takes its guidance from FluxGuidance (3.5, as in the official "
        "example). Like high CFG, that makes the images of different seeds look alike. CADS anneals noise into "
        "the T5 tokens and Flux's pooled CLIP-L vector while t > 0.6 and leaves the later steps clean, so the "
        "composition varies while the prompt is still followed. Bypass the CADS node to compare; raise "
        "noise_scale for more variety. Files: flux1-dev in models/diffusion_models, clip_l and t5xxl_fp16 in "
        "models/text_encoders, ae in models/vae.",
        4,
        0.6,
    )
    g.save(folder, "cads_flux_dev.json")


def cfg_rescale_cads_sd35(g: Graph, folder: str) -> None:
    ckpt = g.node("CheckpointLoaderSimple", 0, 0, widgets={"ckpt_name": SD35_LARGE})
    clip = g.node("TripleCLIPLoader", 0, 1, widgets={"clip_name1": CLIP_L, "clip_name2": CLIP_G, "clip_name3": T5XXL})
    pos, neg = prompts(g, clip)
    latent = g.node("EmptySD3LatentImage", 1, 3, widgets={"width": 1024, "height": 1024, "batch_size": 2})
    cads_node = g.node("SamplerLabCADS", 2, 0, widgets=CADS_DEFAULTS, model=(ckpt, 0))
    rescale = g.node("SamplerLabCFGRescale", 2, 2.4, widgets={"phi": 0.7}, model=(cads_node, 0))
    ks = sampler(
        g,
        "KSampler",
        rescale,
        pos,
        neg,
        latent,
        col=3,
        seed=SEED,
        steps=28,
        cfg=7.0,
        sampler_name="euler",
        scheduler="sgm_uniform",
    )
    decode_and_save(g, (ckpt, 2), ks, "samplerlab_sd35", col=4)
    g.note(
        "SD3.5 Large at CFG 7, batch of 2 (the official example runs CFG 4). Higher CFG follows the prompt more "
        "closely but over-saturates and makes the seeds look alike. CFG rescale (phi = 0.7, Lin et al.) scales the "
        "guided prediction, here the flow model's velocity, back to the positive one's std; CADS anneals noise "
        "into the CLIP-L/G + T5 tokens and the pooled CLIP vector early in sampling for variety. Bypass either "
        "node to see what it does. Files: sd3.5_large in models/checkpoints (model and VAE; it has no text "
        "encoders), clip_l, clip_g and t5xxl_fp16 in models/text_encoders.",
        4,
        0.6,
    )
    g.save(folder, "cfg_rescale_cads_sd35.json")


def karras_heun_wan21(g: Graph, folder: str) -> None:
    model, clip, vae = split_loaders(g, WAN21_T2V_1_3B, "CLIPLoader", {"clip_name": UMT5_XXL, "type": "wan"}, WAN21_VAE)
    shifted = g.node("ModelSamplingSD3", 0, 3, widgets={"shift": 8.0}, model=(model, 0))
    pos, neg = prompts(g, clip, VIDEO_POSITIVE, VIDEO_NEGATIVE)
    # titled: frontend 1.32.9 titles this node by its class name, the host by "Empty HunyuanVideo 1.0 Latent"
    latent = g.node(
        "EmptyHunyuanLatentVideo",
        1,
        3,
        title="Empty Latent Video",
        widgets={"width": 832, "height": 480, "length": 33, "batch_size": 1},
    )
    sigmas = g.node(
        "SamplerLabKarrasSigmas",
        2,
        0,
        widgets={"steps": 15, "sigma_min": 0.0, "sigma_max": 0.0, "rho": 7.0},
        model=(shifted, 0),
    )
    sampler_node = g.node(
        "SamplerLabHeunChurn", 2, 3.2, widgets={"s_churn": 2.0, "s_tmin": 0.05, "s_tmax": 50.0, "s_noise": 1.003}
    )
    out = custom_sampler(g, shifted, pos, neg, latent, sampler_node, sigmas, 6.0, col=3)
    decode_and_save(
        g,
        (vae, 0),
        out,
        "samplerlab_wan21",
        col=4,
        saver="SaveAnimatedWEBP",
        fps=16.0,
        lossless=False,
        quality=90,
        method="default",
    )
    g.note(
        "Wan 2.1 text-to-video 1.3B: 33 frames of 832x480 at 16 fps, shift 8 (ModelSamplingSD3) and CFG 6 as in "
        "the official example. Instead of its 30 uni_pc steps, the EDM recipe through SamplerCustom: Karras sigmas "
        "(rho = 7) on the shifted model's own range, which puts more steps at low noise where detail is made, and "
        "15 Heun steps, 29 model calls. s_churn 2 adds a little fresh noise inside [s_tmin, s_tmax] that can "
        "correct errors of earlier steps; 0 gives deterministic Heun. Files: wan2.1_t2v_1.3B_fp16 in "
        "models/diffusion_models, umt5_xxl_fp8_e4m3fn_scaled in models/text_encoders, wan_2.1_vae in models/vae.",
        4,
        0.6,
    )
    g.save(folder, "karras_heun_wan21_t2v.json")


def cads_qwen_image(g: Graph, folder: str) -> None:
    model, clip, vae = split_loaders(
        g, QWEN_IMAGE, "CLIPLoader", {"clip_name": QWEN_VL, "type": "qwen_image"}, QWEN_IMAGE_VAE
    )
    shifted = g.node("ModelSamplingAuraFlow", 0, 3, widgets={"shift": 3.1}, model=(model, 0))
    pos, neg = prompts(g, clip)
    latent = g.node("EmptySD3LatentImage", 1, 3, widgets={"width": 1328, "height": 1328, "batch_size": 2})
    cads_node = g.node("SamplerLabCADS", 2, 0, widgets=CADS_DEFAULTS, model=(shifted, 0))
    ks = sampler(
        g,
        "KSampler",
        cads_node,
        pos,
        neg,
        latent,
        col=3,
        seed=SEED,
        steps=20,
        cfg=2.5,
        sampler_name="euler",
        scheduler="simple",
    )
    decode_and_save(g, (vae, 0), ks, "samplerlab_cads_qwen_image", col=4)
    g.note(
        "CADS on Qwen-Image, batch of 2, with the official example's settings: shift 3.1 (ModelSamplingAuraFlow), "
        "CFG 2.5, 20 euler steps, 1328x1328. Qwen-Image gives much the same image for every seed; CADS anneals "
        "noise into its Qwen2.5-VL text tokens while t > 0.6 and leaves the later steps clean, so the layout "
        "varies while the prompt is still followed. Bypass the CADS node to compare; raise noise_scale for more "
        "variety. Files: qwen_image_fp8_e4m3fn in models/diffusion_models, qwen_2.5_vl_7b_fp8_scaled in "
        "models/text_encoders, qwen_image_vae in models/vae.",
        4,
        0.6,
    )
    g.save(folder, "cads_qwen_image.json")


def build(info: dict, folder: str = OUT) -> None:
    """Every example workflow into `folder`, from the host's /object_info `info`."""
    for make in (
        karras_rho,
        heun_churn,
        edm_ksampler,
        cfg_rescale,
        cads,
        zero_snr_recipe,
        all_features,
        cads_flux,
        cfg_rescale_cads_sd35,
        karras_heun_wan21,
        cads_qwen_image,
    ):
        make(Graph(info), folder)


def main() -> None:
    with HostServer(fixture=False) as server:
        build(server.object_info())
    print("wrote", sorted(name for name in os.listdir(OUT) if name.endswith(".json")))


if __name__ == "__main__":
    main()
