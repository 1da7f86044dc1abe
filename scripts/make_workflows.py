"""Writes the example workflows in workflows/ (ComfyUI's UI format, loadable by drag and drop).

Run: .venv/bin/python scripts/make_workflows.py. Each graph is described once below as nodes and links;
the files are what the graph editor itself would save.
"""
from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "workflows"

# type: (linked inputs [(name, type)], outputs [(name, type)])
SLOTS = {
    "CheckpointLoaderSimple": ([], [("MODEL", "MODEL"), ("CLIP", "CLIP"), ("VAE", "VAE")]),
    "CLIPTextEncode": ([("clip", "CLIP")], [("CONDITIONING", "CONDITIONING")]),
    "EmptyLatentImage": ([], [("LATENT", "LATENT")]),
    "KSamplerSelect": ([], [("SAMPLER", "SAMPLER")]),
    "SamplerCustom": ([("model", "MODEL"), ("positive", "CONDITIONING"), ("negative", "CONDITIONING"), ("sampler", "SAMPLER"),
                       ("sigmas", "SIGMAS"), ("latent_image", "LATENT")], [("output", "LATENT"), ("denoised_output", "LATENT")]),
    "KSampler": ([("model", "MODEL"), ("positive", "CONDITIONING"), ("negative", "CONDITIONING"), ("latent_image", "LATENT")],
                 [("LATENT", "LATENT")]),
    "VAEDecode": ([("samples", "LATENT"), ("vae", "VAE")], [("IMAGE", "IMAGE")]),
    "SaveImage": ([("images", "IMAGE")], []),
    "Note": ([], []),
    "SamplerLabKarrasSigmas": ([("model", "MODEL")], [("SIGMAS", "SIGMAS")]),
    "SamplerLabSpacingSigmas": ([("model", "MODEL")], [("SIGMAS", "SIGMAS")]),
    "SamplerLabZeroTerminalSNR": ([("model", "MODEL")], [("MODEL", "MODEL")]),
    "SamplerLabHeunChurn": ([], [("SAMPLER", "SAMPLER")]),
    "SamplerLabKSampler": ([("model", "MODEL"), ("positive", "CONDITIONING"), ("negative", "CONDITIONING"), ("latent_image", "LATENT")],
                           [("LATENT", "LATENT")]),
    "SamplerLabCFGRescale": ([("model", "MODEL")], [("MODEL", "MODEL")]),
    "SamplerLabCADS": ([("model", "MODEL")], [("MODEL", "MODEL")]),
}

SD15 = "v1-5-pruned-emaonly.safetensors"
SDXL = "sd_xl_base_1.0.safetensors"
SD21V = "v2-1_768-ema-pruned.safetensors"
POSITIVE = "a lighthouse on a rocky coast at golden hour, detailed oil painting"
NEGATIVE = "blurry, low quality, watermark"


class Graph:
    def __init__(self) -> None:
        self.nodes: list[dict] = []
        self.links: list[list] = []

    def add(self, type_: str, widgets: list, pos: tuple[int, int], title: str | None = None, size=(320, 130)) -> int:
        inputs, outputs = SLOTS[type_]
        node = {
            "id": len(self.nodes) + 1, "type": type_, "pos": list(pos), "size": list(size), "flags": {},
            "order": len(self.nodes), "mode": 0,
            "inputs": [{"name": n, "type": t, "link": None} for n, t in inputs],
            "outputs": [{"name": n, "type": t, "links": [], "slot_index": i} for i, (n, t) in enumerate(outputs)],
            "properties": {"Node name for S&R": type_},
            "widgets_values": widgets,
        }
        if title:
            node["title"] = title
        if type_ == "Note":
            node["color"], node["bgcolor"] = "#432", "#653"
        self.nodes.append(node)
        return node["id"]

    def link(self, src: int, out_slot: int, dst: int, input_name: str) -> None:
        source, target = self.nodes[src - 1], self.nodes[dst - 1]
        in_slot = next(i for i, s in enumerate(target["inputs"]) if s["name"] == input_name)
        link_id = len(self.links) + 1
        kind = source["outputs"][out_slot]["type"]
        self.links.append([link_id, src, out_slot, dst, in_slot, kind])
        source["outputs"][out_slot]["links"].append(link_id)
        target["inputs"][in_slot]["link"] = link_id

    def save(self, name: str) -> None:
        data = {"last_node_id": len(self.nodes), "last_link_id": len(self.links), "nodes": self.nodes, "links": self.links,
                "groups": [], "config": {}, "extra": {"ds": {"scale": 0.8, "offset": [0, 0]}}, "version": 0.4}
        (OUT / name).write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def text_to_image(g: Graph, ckpt: str, width: int, height: int, batch: int) -> tuple[int, int, int, int]:
    """Checkpoint, prompts and empty latent; returns (checkpoint, positive, negative, latent) node ids."""
    ckpt_id = g.add("CheckpointLoaderSimple", [ckpt], (0, 200), size=(320, 100))
    pos = g.add("CLIPTextEncode", [POSITIVE], (360, 120), title="Positive", size=(400, 160))
    neg = g.add("CLIPTextEncode", [NEGATIVE], (360, 320), title="Negative", size=(400, 160))
    g.link(ckpt_id, 1, pos, "clip")
    g.link(ckpt_id, 1, neg, "clip")
    latent = g.add("EmptyLatentImage", [width, height, batch], (360, 520), size=(320, 110))
    return ckpt_id, pos, neg, latent


def decode_and_save(g: Graph, ckpt: int, latent_node: int, prefix: str, x: int = 1220) -> None:
    dec = g.add("VAEDecode", [], (x, 200), size=(200, 50))
    g.link(latent_node, 0, dec, "samples")
    g.link(ckpt, 2, dec, "vae")
    save = g.add("SaveImage", [prefix], (x + 240, 200), size=(400, 440))
    g.link(dec, 0, save, "images")


def wire_sampler(g: Graph, node: int, model: int, pos: int, neg: int, latent: int) -> int:
    """Links a KSampler-like node's model, prompts and latent."""
    g.link(model, 0, node, "model")
    g.link(pos, 0, node, "positive")
    g.link(neg, 0, node, "negative")
    g.link(latent, 0, node, "latent_image")
    return node


def custom_sampler(g: Graph, model: tuple[int, int], pos: int, neg: int, latent: int, sampler: int, sigmas: int,
                   cfg: float, seed: int = 42) -> int:
    node = g.add("SamplerCustom", [True, seed, "fixed", cfg], (820, 200), size=(340, 240))
    g.link(model[0], model[1], node, "model")
    g.link(pos, 0, node, "positive")
    g.link(neg, 0, node, "negative")
    g.link(sampler, 0, node, "sampler")
    g.link(sigmas, 0, node, "sigmas")
    g.link(latent, 0, node, "latent_image")
    return node


def karras_sigmas_example(name: str, steps: int, sampler: tuple[str, list], note: str) -> None:
    """SD1.5 text-to-image through SamplerCustom with our Karras σ on the model's range and the given sampler node."""
    g = Graph()
    ckpt, pos, neg, latent = text_to_image(g, SD15, 512, 512, 1)
    sigmas = g.add("SamplerLabKarrasSigmas", [steps, 0.0, 0.0, 7.0], (820, 480), size=(340, 260))
    g.link(ckpt, 0, sigmas, "model")
    sampler_node = g.add(sampler[0], sampler[1], (820, 780), size=(320, 160))
    out = custom_sampler(g, (ckpt, 0), pos, neg, latent, sampler_node, sigmas, 7.0)
    decode_and_save(g, ckpt, out, "samplerlab_" + name)
    g.add("Note", [note], (0, 360), size=(320, 200))
    g.save(f"{name}_sd15.json")


def karras_rho() -> None:
    karras_sigmas_example("karras_rho", 20, ("KSamplerSelect", ["euler"]),
                          "Karras σ schedule (EDM eq. 5) on the model's own σ range (σmin/σmax = 0). Queue with ρ = 1, 3 and 7 at "
                          "the same seed: ρ = 7 spends more steps at low noise and gives cleaner fine detail at 20 Euler steps; "
                          "ρ = 1 (uniform in σ) leaves residual noise. The plot on the node shows the schedule.")


def heun_churn() -> None:
    karras_sigmas_example("heun_churn", 18, ("SamplerLabHeunChurn", [10.0, 0.05, 50.0, 1.003]),
                          "EDM Algorithm 2: Heun steps with churn. 18 steps cost 35 model evaluations (the last step is Euler). "
                          "Set s_churn to 0 for deterministic Heun; raise it to add fresh noise inside [s_tmin, s_tmax], which can "
                          "fix small errors of earlier steps. Same seed, same image, whatever the batch size.")


def edm_ksampler() -> None:
    g = Graph()
    ckpt, pos, neg, latent = text_to_image(g, SD15, 512, 512, 2)
    ks = g.add("SamplerLabKSampler", [42, "fixed", 18, 7.0, 1.0, 7.0, 0.0, 0.05, 50.0, 1.003], (820, 200), size=(340, 420))
    wire_sampler(g, ks, ckpt, pos, neg, latent)
    decode_and_save(g, ckpt, ks, "samplerlab_edm_ksampler")
    g.add("Note", ["The whole EDM recipe in one node: Karras σ with ρ on the model's range, then Heun with churn. "
                   "Batch of 2: each image is exactly the one you get with that batch index alone."], (0, 360), size=(320, 160))
    g.save("edm_ksampler_sd15.json")


def cfg_rescale() -> None:
    g = Graph()
    ckpt, pos, neg, latent = text_to_image(g, SD15, 512, 512, 1)
    rescale = g.add("SamplerLabCFGRescale", [0.7], (820, 60), size=(320, 80))
    g.link(ckpt, 0, rescale, "model")
    ks = g.add("KSampler", [42, "fixed", 25, 12.0, "euler", "karras", 1.0], (820, 200), size=(320, 270))
    wire_sampler(g, ks, rescale, pos, neg, latent)
    decode_and_save(g, ckpt, ks, "samplerlab_cfg_rescale")
    g.add("Note", ["CFG rescale (Lin et al. Algorithm 2) at CFG 12. Compare phi = 0 (plain CFG: burnt, over-saturated colours) "
                   "with phi = 0.7 (the paper's value): the colours come back to the range of the positive prediction."],
          (0, 360), size=(320, 160))
    g.save("cfg_rescale_sd15.json")


def cads() -> None:
    g = Graph()
    ckpt, pos, neg, latent = text_to_image(g, SDXL, 1024, 1024, 4)
    cads_node = g.add("SamplerLabCADS", [0.25, 0.6, 0.9, 1.0, True, False, 0, "fixed"], (820, 0), size=(320, 240))
    g.link(ckpt, 0, cads_node, "model")
    ks = g.add("KSampler", [42, "fixed", 30, 12.0, "dpmpp_2m", "karras", 1.0], (820, 280), size=(320, 270))
    wire_sampler(g, ks, cads_node, pos, neg, latent)
    decode_and_save(g, ckpt, ks, "samplerlab_cads")
    g.add("Note", ["CADS (Sadat et al. 2024) on SDXL at CFG 12, batch of 4. Bypass the CADS node to compare: without it the "
                   "four images look alike (high CFG collapses diversity); with it they differ in composition while following "
                   "the prompt. The noise touches the text tokens and SDXL's pooled embedding, never the size embeddings."],
          (0, 360), size=(320, 200))
    g.save("cads_sdxl.json")


def zero_snr_recipe() -> None:
    g = Graph()
    ckpt, pos, neg, latent = text_to_image(g, SD21V, 768, 768, 1)
    zsnr = g.add("SamplerLabZeroTerminalSNR", [], (820, 0), size=(300, 50))
    g.link(ckpt, 0, zsnr, "model")
    rescale = g.add("SamplerLabCFGRescale", [0.7], (820, 90), size=(300, 80))
    g.link(zsnr, 0, rescale, "model")
    sigmas = g.add("SamplerLabSpacingSigmas", [25, "trailing"], (820, 480), size=(340, 260))
    g.link(zsnr, 0, sigmas, "model")
    sampler = g.add("KSamplerSelect", ["euler"], (820, 780), size=(300, 60))
    out = custom_sampler(g, (rescale, 0), pos, neg, latent, sampler, sigmas, 7.5)
    decode_and_save(g, ckpt, out, "samplerlab_zero_snr")
    g.add("Note", ["Lin et al. 2023 recipe for a v-prediction model (SD 2.1-v): schedule rescaled to zero terminal SNR, "
                   "trailing timesteps (the first step sees pure noise), CFG rescale 0.7 at CFG 7.5. Try the prompt "
                   "'solid black background': the original schedule gives grey, this one black. Best with a model "
                   "fine-tuned for zero SNR; switch spacing to leading to see the brightness bias come back."],
          (0, 360), size=(320, 220))
    g.save("zero_snr_vpred.json")


def all_features() -> None:
    g = Graph()
    ckpt, pos, neg, latent = text_to_image(g, SDXL, 1024, 1024, 2)
    cads_node = g.add("SamplerLabCADS", [0.1, 0.6, 0.9, 1.0, True, False, 0, "fixed"], (820, -300), size=(320, 240))
    g.link(ckpt, 0, cads_node, "model")
    rescale = g.add("SamplerLabCFGRescale", [0.7], (820, -30), size=(320, 80))
    g.link(cads_node, 0, rescale, "model")
    ks = g.add("SamplerLabKSampler", [42, "fixed", 20, 9.0, 1.0, 7.0, 5.0, 0.05, 50.0, 1.003], (820, 200), size=(340, 420))
    wire_sampler(g, ks, rescale, pos, neg, latent)
    decode_and_save(g, ckpt, ks, "samplerlab_all")
    g.add("Note", ["Everything together on SDXL: CADS for diversity, CFG rescale against over-exposure at CFG 9, and the EDM "
                   "KSampler (Karras ρ = 7, Heun with a little churn). Patches chain: CADS wraps the model call, CFG rescale "
                   "runs after CFG; any other patch you add still runs."], (0, 360), size=(320, 200))
    g.save("all_features_sdxl.json")


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    for make in (karras_rho, heun_churn, edm_ksampler, cfg_rescale, cads, zero_snr_recipe, all_features):
        make()
    print("wrote", sorted(p.name for p in OUT.glob("*.json")))
