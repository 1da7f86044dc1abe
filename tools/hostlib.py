"""The real ComfyUI host in this process: import it (CPU mode), load our pack as the host does, build tiny models.

No pytest dependency: used by tests, bench, the demo and the fixture node package alike.

    import hostlib
    hostlib.import_host()                 # comfy importable, CPU mode; idempotent
    pack = hostlib.import_pack()          # repo root loaded as package ``comfyui_sampler_lab``
    m = hostlib.tiny_model("sd15_v")      # comfy.model_patcher.ModelPatcher, like a checkpoint loader gives
    f = hostlib.exact_flow_model(D)       # a flow MODEL whose network is the exact denoiser D(x; t)
    pos = hostlib.sd15_conditioning(1); neg = hostlib.sd15_conditioning(2)
    (out,) = nodes.common_ksampler(m, 0, 4, 5.0, "euler", "karras", pos, neg, hostlib.latent(1))

The host tree is `.host/ComfyUI` unless SAMPLERLAB_COMFYUI_ROOT names another checkout. The server side lives in
`hostserver.py`; tiny models reach a server through `tools/fixture_nodes` (``SamplerLabTestTinyCheckpoint``, a
drop-in for CheckpointLoaderSimple whose CLIP and VAE are cheap deterministic fakes).
"""

from __future__ import annotations

import hashlib
import os
import sys

import loader

TOOLS_DIR = os.path.dirname(os.path.realpath(__file__))
REPO_DIR = os.path.dirname(TOOLS_DIR)
HOST_DIR = os.path.realpath(os.environ.get("SAMPLERLAB_COMFYUI_ROOT") or os.path.join(REPO_DIR, ".host", "ComfyUI"))
FIXTURE_NODES_DIR = os.path.join(TOOLS_DIR, "fixture_nodes")

MODEL_KINDS = ("sd15_eps", "sd15_v", "sdxl_eps", "sdxl_v", "flow")

# --------------------------------------------------------------------------------------------------
# host import
# --------------------------------------------------------------------------------------------------

_HOST_IMPORTED = False


def import_host(cpu: bool = True):
    """Make the host's modules importable in this process (CPU mode, no CLI parsing). Idempotent.

    cpu=False (only honoured by the first call in a process) leaves the host free to pick its GPU, as the benchmark
    `bench/fullsize.py --device cuda` needs. Returns the host's ``comfy.model_management`` module.
    ``sys.modules['nodes']`` is the host's nodes.py.
    """
    global _HOST_IMPORTED
    if HOST_DIR not in sys.path:
        sys.path.insert(0, HOST_DIR)
    if _HOST_IMPORTED:
        import comfy.model_management

        return comfy.model_management
    if "comfy.model_management" not in sys.modules:
        # First import in this process: no argv parsing, CPU only.
        import comfy.options

        comfy.options.enable_args_parsing(False)
        from comfy.cli_args import args

        args.cpu = bool(cpu)
    # The host's nodes.py puts ComfyUI/comfy/ at sys.path[0] (so `import utils` would then find comfy/utils.py);
    # main.py imports the top-level `utils` package first; do the same.
    import utils.install_util
    import utils.extra_config  # noqa: F401
    import folder_paths  # noqa: F401
    import comfy.model_management
    import comfy.utils
    import comfy.model_base
    import comfy.model_patcher
    import comfy.supported_models
    import comfy.sample
    import comfy.samplers
    import comfy.k_diffusion.sampling
    import nodes  # noqa: F401  (host nodes.py)

    _HOST_IMPORTED = True
    return comfy.model_management


def host_nodes():
    """The host's ``nodes`` module (nodes.py of ComfyUI)."""
    import_host()
    import nodes

    return nodes


_EXTRAS_LOADED = False


def load_builtin_extra_nodes():
    """Register the host's comfy_extras nodes (V3 nodes like CLIPTextEncodeSDXL, SamplerCustomAdvanced,
    ModelSamplingDiscrete...) into nodes.NODE_CLASS_MAPPINGS in-process, as the server does at boot.
    Idempotent. Returns the list of comfy_extras files that failed to import (torchaudio ones on CPU)."""
    global _EXTRAS_LOADED
    n = host_nodes()
    if _EXTRAS_LOADED:
        return []
    import asyncio

    failed = asyncio.run(n.init_builtin_extra_nodes())
    _EXTRAS_LOADED = True
    return failed


def import_pack():
    """The repo root as the package ``comfyui_sampler_lab`` (`loader.pack`), the way ComfyUI imports a custom node
    folder, with the host imported first; NODE_CLASS_MAPPINGS etc. as the host sees them."""
    import_host()
    return loader.pack()


# --------------------------------------------------------------------------------------------------
# tiny models
# --------------------------------------------------------------------------------------------------


def _unet_config(kind):
    base = dict(
        use_checkpoint=False,
        image_size=32,
        in_channels=4,
        out_channels=4,
        use_spatial_transformer=True,
        legacy=False,
        model_channels=32,
        num_res_blocks=[1, 1],
        channel_mult=[1, 2],
        transformer_depth=[0, 1],
        transformer_depth_middle=1,
        transformer_depth_output=[0, 0, 1, 1],
        use_temporal_attention=False,
        use_temporal_resblock=False,
    )
    if kind.startswith("sdxl"):
        base.update(num_classes="sequential", adm_in_channels=2816, use_linear_in_transformer=True, context_dim=2048)
    else:
        base.update(adm_in_channels=None, use_linear_in_transformer=False, context_dim=768)
    return base


def init_weights(module, seed: int = 0):
    """Deterministically (re)initialise every layer: comfy.ops layers skip init (their memory is garbage).

    Uses torch's default initialisers for Linear/Conv (kaiming-uniform), ones/zeros for norms; the
    global RNG state is left untouched.
    """
    import torch

    nn = torch.nn
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        with torch.no_grad():
            for m in module.modules():
                if isinstance(m, nn.Linear):
                    nn.Linear.reset_parameters(m)
                elif isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
                    nn.modules.conv._ConvNd.reset_parameters(m)
                elif isinstance(m, (nn.GroupNorm, nn.LayerNorm)):
                    if getattr(m, "weight", None) is not None:
                        nn.init.ones_(m.weight)
                    if getattr(m, "bias", None) is not None:
                        nn.init.zeros_(m.bias)
                elif isinstance(m, nn.Embedding):
                    nn.init.normal_(m.weight, std=0.02)
            for name, p in module.named_parameters(recurse=True):
                if not torch.isfinite(p).all():  # anything an unknown layer type left uninitialised
                    nn.init.normal_(p, std=0.02)
    return module


def tiny_model_config(kind: str):
    """The host supported-model config object (comfy.supported_models.SD15 / SDXL) for a tiny kind."""
    import_host()
    import torch
    import comfy.supported_models as sm

    if kind not in MODEL_KINDS:
        raise ValueError(f"unknown tiny model kind {kind!r}; one of {MODEL_KINDS}")
    uc = _unet_config(kind)
    if kind.startswith("sdxl"):
        cfg = sm.SDXL(uc)
    else:
        cfg = sm.SD15(uc)
    if kind == "flow":
        cfg.sampling_settings["shift"] = 3.0
        cfg.sampling_settings["multiplier"] = 1000
    cfg.set_inference_dtype(torch.float32, None)
    return cfg


def _model_type(kind):
    from comfy.model_base import ModelType

    if kind.endswith("_v"):
        return ModelType.V_PREDICTION
    if kind == "flow":
        return ModelType.FLOW
    return ModelType.EPS


def tiny_base_model(kind: str = "sd15_eps", seed: int = 0):
    """The bare comfy.model_base.BaseModel / SDXL (not wrapped), weights initialised from ``seed``."""
    import_host()
    import comfy.model_base as mb

    cfg = tiny_model_config(kind)
    cls = mb.SDXL if kind.startswith("sdxl") else mb.BaseModel
    model = cls(cfg, model_type=_model_type(kind), device=None)
    init_weights(model, seed)
    model.eval()
    return model


def tiny_model(kind: str = "sd15_eps", seed: int = 0):
    """A tiny float32 CPU model as a comfy.model_patcher.ModelPatcher (what CheckpointLoaderSimple gives).

    kinds: sd15_eps, sd15_v (SD1.x shaped: context [B,77,768]); sdxl_eps, sdxl_v (context [B,77,2048],
    pooled [B,1280] + size embeddings -> adm 2816); flow (SD1.x-shaped UNet with ModelSamplingDiscreteFlow,
    shift 3, CONST prediction). Latents are 4-channel. Fresh model each call.
    """
    mm = import_host()
    import comfy.model_patcher

    model = tiny_base_model(kind, seed)
    return comfy.model_patcher.ModelPatcher(
        model, load_device=mm.get_torch_device(), offload_device=mm.unet_offload_device()
    )


EXACT_SIGMA_KEY = "samplerlab_exact_sigma"


def exact_flow_model(denoiser, channels: int = 4, shift: float = 3.0):
    """A flow MODEL (ModelPatcher: ModelType.FLOW, i.e. CONST, on ModelSamplingDiscreteFlow with `shift`) whose
    network is a given exact denoiser, through the host's own conversions.

    denoiser(x, t) -> E[x0 | x] for x = (1 − t)·x0 + t·n as the host's samplers hold it and the levels t [B]. The
    network gets the exact level of each call, undoes the host's input scaling and returns the output that the
    host's `calculate_denoised` turns back into D. Latents: [B, channels, H, W], identity latent format; the
    conditioning is ignored (use cfg = 1).
    """
    mm = import_host()
    import torch
    import comfy.latent_formats
    import comfy.model_base as mb
    import comfy.model_patcher
    import comfy.supported_models_base

    class IdentityLatent(comfy.latent_formats.LatentFormat):
        latent_channels = channels

    class Config(comfy.supported_models_base.BASE):
        unet_config = {"disable_unet_model_creation": True}
        unet_extra_config = {}
        latent_format = IdentityLatent
        sampling_settings = {"shift": shift, "multiplier": 1000}
        memory_usage_factor = 0.01
        supported_inference_dtypes = [torch.float32]

    class Network(torch.nn.Module):
        dtype = torch.float32

        def forward(self, xc, t, transformer_options={}, **kwargs):
            level, ms = transformer_options[EXACT_SIGMA_KEY]
            ones = torch.ones((xc.shape[0],) + (1,) * (xc.ndim - 1), dtype=xc.dtype, device=xc.device)
            x = xc / ms.calculate_input(level, ones)  # the host's input is c_in(σ)·x
            skip = ms.calculate_denoised(level, torch.zeros_like(ones), ones)  # D = c_skip·x + c_out·F
            out = ms.calculate_denoised(level, ones, torch.zeros_like(ones))
            return (denoiser(x, level).to(xc.dtype) - skip * x) / out

    class ExactModel(mb.BaseModel):
        def _apply_model(self, x, t, c_concat=None, c_crossattn=None, control=None, transformer_options={}, **kwargs):
            transformer_options = {**transformer_options, EXACT_SIGMA_KEY: (t.detach().float(), self.model_sampling)}
            return super()._apply_model(x, t, c_concat, c_crossattn, control, transformer_options, **kwargs)

        def get_dtype(self):
            return torch.float32

    model = ExactModel(Config(dict(Config.unet_config)), model_type=mb.ModelType.FLOW, device=None)
    model.diffusion_model = Network()
    return comfy.model_patcher.ModelPatcher(
        model, load_device=mm.get_torch_device(), offload_device=mm.unet_offload_device()
    )


# --------------------------------------------------------------------------------------------------
# full-size models (random weights), for bench/fullsize.py
# --------------------------------------------------------------------------------------------------

FULLSIZE_KINDS = ("sd15_eps", "sd15_v", "sdxl_eps", "sdxl_v", "wan21")

# The architecture of the released checkpoints, as the host's model detection reads them from a state dict.
_SD15_UNET = dict(
    use_checkpoint=False,
    image_size=32,
    in_channels=4,
    out_channels=4,
    use_spatial_transformer=True,
    legacy=False,
    adm_in_channels=None,
    model_channels=320,
    num_res_blocks=[2, 2, 2, 2],
    channel_mult=[1, 2, 4, 4],
    transformer_depth=[1, 1, 1, 1, 1, 1, 0, 0],
    transformer_depth_middle=1,
    transformer_depth_output=[1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0],
    use_linear_in_transformer=False,
    context_dim=768,
    num_heads=8,
    use_temporal_attention=False,
    use_temporal_resblock=False,
)
_SDXL_UNET = dict(
    use_checkpoint=False,
    image_size=32,
    in_channels=4,
    out_channels=4,
    use_spatial_transformer=True,
    legacy=False,
    num_classes="sequential",
    adm_in_channels=2816,
    model_channels=320,
    num_res_blocks=[2, 2, 2],
    channel_mult=[1, 2, 4],
    transformer_depth=[0, 0, 2, 2, 10, 10],
    transformer_depth_middle=10,
    transformer_depth_output=[0, 0, 0, 2, 2, 2, 10, 10, 10],
    use_linear_in_transformer=True,
    context_dim=2048,
    num_head_channels=64,
    use_temporal_attention=False,
    use_temporal_resblock=False,
)
# Wan 2.1 T2V 1.3B block shapes (dim 1536, 12 heads, FFN 8960, T5 context 4096); the layer count is a parameter.
_WAN21_UNET = dict(
    image_model="wan2.1",
    model_type="t2v",
    patch_size=(1, 2, 2),
    text_len=512,
    in_dim=16,
    dim=1536,
    ffn_dim=8960,
    freq_dim=256,
    text_dim=4096,
    out_dim=16,
    num_heads=12,
    num_layers=30,
    window_size=(-1, -1),
    qk_norm=True,
    cross_attn_norm=True,
    eps=1e-6,
)


def fullsize_model(
    kind: str = "sd15_eps",
    dtype=None,
    device=None,
    seed: int = 0,
    layers: int | None = None,
    overrides: dict | None = None,
):
    """A full-size model built from the host's own classes with random (initialised) weights, as a ModelPatcher.

    kinds: sd15_eps / sd15_v (SD1.5 UNet, 860 M parameters), sdxl_eps / sdxl_v (SDXL base UNet, 2.6 G),
    wan21 (Wan 2.1 T2V 1.3B transformer blocks, 5-D latents [B,16,T,H,W]; ``layers`` of its 30, default all).
    dtype: weights and inference dtype (default float32); device: where the weights are built (default: the
    host's torch device). The weights are random: outputs are meaningless, costs are those of the real model.
    overrides: entries replacing the architecture's (e.g. a narrow Wan for a quick test); then it is not full size.
    """
    mm = import_host()
    import torch
    import comfy.model_base as mb
    import comfy.model_patcher
    import comfy.supported_models as sm

    if kind not in FULLSIZE_KINDS:
        raise ValueError(f"unknown full-size model kind {kind!r}; one of {FULLSIZE_KINDS}")
    dtype = torch.float32 if dtype is None else dtype
    device = mm.get_torch_device() if device is None else torch.device(device)
    family = kind.split("_")[0]
    unet = dict({"sd15": _SD15_UNET, "sdxl": _SDXL_UNET, "wan21": _WAN21_UNET}[family])
    if layers is not None and family == "wan21":
        unet["num_layers"] = int(layers)
    unet.update(overrides or {})
    cfg = {"sd15": sm.SD15, "sdxl": sm.SDXL, "wan21": sm.WAN21_T2V}[family](unet)
    cls = {"sd15": mb.BaseModel, "sdxl": mb.SDXL, "wan21": mb.WAN21}[family]
    cfg.set_inference_dtype(dtype, None)
    model_type = mb.ModelType.FLOW if kind == "wan21" else _model_type(kind)
    with torch.device(device):
        model = cls(cfg, model_type=model_type, device=device)
    init_weights(model, seed)
    model.eval()
    return comfy.model_patcher.ModelPatcher(
        model, load_device=mm.get_torch_device(), offload_device=mm.unet_offload_device()
    )


def wan21_conditioning(seed: int = 0, batch: int = 1, tokens: int = 512):
    """CONDITIONING like the host's Wan text encoder (UMT5-XXL) gives: cond [B, tokens, 4096]."""
    import torch

    return [[torch.randn(batch, tokens, 4096, generator=_gen(seed)), {}]]


def _gen(seed):
    import torch

    g = torch.Generator(device="cpu")
    g.manual_seed(int(seed) & 0xFFFFFFFFFFFFFFFF)
    return g


def sd15_conditioning(seed: int = 0, batch: int = 1, tokens: int = 77):
    """CONDITIONING like the host's CLIPTextEncode gives with an SD1.x CLIP: [[cond[B,77,768], {pooled_output}]]."""
    import torch

    g = _gen(seed)
    cond = torch.randn(batch, tokens, 768, generator=g)
    pooled = torch.randn(batch, 768, generator=g)
    return [[cond, {"pooled_output": pooled}]]


def sdxl_conditioning(seed: int = 0, batch: int = 1, width: int = 1024, height: int = 1024, tokens: int = 77):
    """CONDITIONING like the host's CLIPTextEncodeSDXL gives: cond [B,77,2048], pooled_output [B,1280], sizes."""
    import torch

    g = _gen(seed)
    cond = torch.randn(batch, tokens, 2048, generator=g)
    pooled = torch.randn(batch, 1280, generator=g)
    return [
        [
            cond,
            {
                "pooled_output": pooled,
                "width": width,
                "height": height,
                "crop_w": 0,
                "crop_h": 0,
                "target_width": width,
                "target_height": height,
            },
        ]
    ]


def conditioning_for(kind: str, seed: int = 0, batch: int = 1):
    """The conditioning builder that fits a tiny model kind."""
    return sdxl_conditioning(seed, batch) if kind.startswith("sdxl") else sd15_conditioning(seed, batch)


def latent(batch: int = 1, h: int = 16, w: int = 16, seed=None, channels: int = 4):
    """A LATENT dict {"samples": [B,C,h,w]}; zeros (like EmptyLatentImage) unless ``seed`` is given (randn)."""
    import torch

    if seed is None:
        s = torch.zeros(batch, channels, h, w)
    else:
        s = torch.randn(batch, channels, h, w, generator=_gen(seed))
    return {"samples": s}


def ksample(
    model,
    positive,
    negative,
    latent_dict,
    seed=0,
    steps=4,
    cfg=5.0,
    sampler_name="euler",
    scheduler="karras",
    denoise=1.0,
):
    """Run the host's own KSampler path (nodes.common_ksampler); returns the output samples tensor."""
    n = host_nodes()
    (out,) = n.common_ksampler(
        model, seed, steps, cfg, sampler_name, scheduler, positive, negative, latent_dict, denoise=denoise
    )
    return out["samples"]


# --------------------------------------------------------------------------------------------------
# fake CLIP / VAE for the tiny checkpoint (deterministic, cheap, duck-typed to what host nodes call)
# --------------------------------------------------------------------------------------------------


def _text_seed(text):
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little")


class FakeCLIP:
    """Stands in for comfy.sd.CLIP: CLIPTextEncode / CLIPTextEncodeSDXL / CLIPSetLastLayer work with it.

    The conditioning is a pure function of the text (seeded random), shaped for ``kind``.
    """

    def __init__(self, kind="sd15_eps"):
        self.kind = kind
        self.layer_idx = None

    def clone(self):
        c = FakeCLIP(self.kind)
        c.layer_idx = self.layer_idx
        return c

    def clip_layer(self, layer_idx):
        self.layer_idx = layer_idx

    def set_clip_options(self, *a, **k):
        pass

    def reset_clip_options(self):
        pass

    def tokenize(self, text, return_word_ids=False, **kwargs):
        # Same keys as the real tokenizers (SD1: "l"; SDXL: "g" and "l"); the "tokens" are the text itself.
        if self.kind.startswith("sdxl"):
            return {"g": text, "l": text}
        return {"l": text}

    def _text_of(self, tokens):
        if isinstance(tokens, dict):
            if "text" in tokens:
                return str(tokens["text"])
            return "|".join(f"{k}={self._text_of(v)}" for k, v in sorted(tokens.items()))
        return str(tokens)

    def encode_from_tokens(self, tokens, return_pooled=False, return_dict=False):
        c = conditioning_for(self.kind, _text_seed(self._text_of(tokens) + f"|layer={self.layer_idx}"))
        cond, extra = c[0][0], c[0][1]
        pooled = extra["pooled_output"]
        if return_dict:
            return {"cond": cond, "pooled_output": pooled}
        if return_pooled:
            return cond, pooled
        return cond

    def encode_from_tokens_scheduled(self, tokens, unprojected=False, add_dict={}, show_pbar=True):
        d = self.encode_from_tokens(tokens, return_dict=True)
        cond = d.pop("cond")
        d.update(add_dict)
        return [[cond, d]]

    def encode(self, text):
        return self.encode_from_tokens(self.tokenize(text))

    def get_sd(self):
        return {}

    def load_model(self):
        return None


class FakeVAE:
    """Stands in for comfy.sd.VAE (8x spatial, `latent_channels`-channel latent): VAEDecode / VAEEncode work with it.

    decode: fixed C->3 projection, nearest 8x upsample, sigmoid -> IMAGE [B,H,W,3] in (0,1); a video latent
    [B,C,T,H,W] frame by frame -> [B,T,H,W,3] (one image per latent frame).
    encode: 8x8 average pool, fixed 3->C projection of (x-0.5).
    """

    downscale_ratio = 8
    upscale_ratio = 8
    output_channels = 3

    def __init__(self, latent_channels: int = 4):
        import torch

        g = _gen(1234)
        self.latent_channels = latent_channels
        self.w_dec = torch.randn(3, latent_channels, generator=g) * 0.5
        self.w_enc = torch.randn(latent_channels, 3, generator=g) * 0.5

    def spacial_compression_decode(self):
        return 8

    def spacial_compression_encode(self):
        return 8

    def temporal_compression_decode(self):
        return None

    def decode(self, samples, vae_options={}):
        import torch

        if samples.ndim == 5:
            frames = self.decode(samples.movedim(2, 1).flatten(0, 1))
            return frames.reshape(samples.shape[0], samples.shape[2], *frames.shape[1:])
        x = torch.einsum("oc,bchw->bohw", self.w_dec, samples.float().cpu())
        x = torch.nn.functional.interpolate(x, scale_factor=8, mode="nearest")
        return torch.sigmoid(x).movedim(1, -1).contiguous()

    def decode_tiled(self, samples, *a, **k):
        return self.decode(samples)

    def encode(self, pixels):
        import torch

        x = pixels[..., :3].float().cpu().movedim(-1, 1) - 0.5
        x = torch.nn.functional.avg_pool2d(x, 8)
        return torch.einsum("oc,bchw->bohw", self.w_enc, x)

    def encode_tiled(self, pixels, *a, **k):
        return self.encode(pixels)

    def get_sd(self):
        return {}


def tiny_checkpoint(kind: str = "sd15_eps", seed: int = 0):
    """(MODEL, CLIP, VAE) like CheckpointLoaderSimple: tiny ModelPatcher + FakeCLIP + FakeVAE."""
    return tiny_model(kind, seed), FakeCLIP(kind), FakeVAE()


def tensor_stats(t):
    """JSON-able summary of a tensor: shape, finite, mean, std, min, max, sha256 of the float32 bytes."""
    import torch

    t = t.detach().float().cpu().contiguous()
    finite = bool(torch.isfinite(t).all())
    return {
        "shape": list(t.shape),
        "finite": finite,
        "mean": float(t.mean()) if t.numel() else 0.0,
        "std": float(t.std()) if t.numel() > 1 else 0.0,
        "min": float(t.min()) if t.numel() else 0.0,
        "max": float(t.max()) if t.numel() else 0.0,
        "sha256": hashlib.sha256(t.numpy().tobytes()).hexdigest(),
    }
