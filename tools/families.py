"""Tiny random-weight models of every model family the host has, built from the host's own classes.

No pytest dependency; sits beside hostlib.py and uses it. Each `Family` names the host's `comfy.supported_models`
config class, a tiny unet_config (few layers, small hidden size) and the conditioning and empty latent of the
family's layout; `build_model` makes the config's `get_model` model with every parameter initialised
(`init_every_parameter`) and wraps it in a ModelPatcher, as a checkpoint loader gives it.

    import families
    built, missing = families.host_families()     # names the host has; {name: why not} for the rest
    fam = families.FAMILIES["flux_dev"]
    model = families.build_model(fam)              # fresh; families.cached_model(fam): one per process
    pos, neg = fam.conditioning(1), fam.conditioning(2)
    latent = fam.empty_latent(batch=1)             # {"samples": zeros [B, C, (T,) H, W]}

`run_cell(family, node)` runs one of our nodes on a family and says how it ended (`Outcome`); tests/test_families.py
asserts the cells and tools/make_family_table.py writes the README table "Model families" from them.
"""

from __future__ import annotations

import atexit
import gc
import re
from dataclasses import dataclass

import hostlib

TABLE_START, TABLE_END = "<!-- family-table:start -->", "<!-- family-table:end -->"
NODES = ("KarrasSigmas", "SpacingSigmas", "ZeroTerminalSNR", "HeunChurn", "KSampler", "CFGRescale", "CADS")
STEPS = 2
CFG = 3.0
TOKENS = 8  # text tokens per stream: the layout of a real prompt, few of them


# --------------------------------------------------------------------------------------------------
# conditioning
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stream:
    """One text stream as the model's apply_model receives it: an argument name (`c_crossattn` or a keyword) and,
    where only its first `width` channels are text (SDXL's `y`: pooled CLIP-G, then size embeddings), that width."""

    name: str
    width: int | None = None
    label: str = ""

    @property
    def title(self) -> str:
        return self.label or self.name


@dataclass(frozen=True)
class Family:
    """A model family: the host's config class, a tiny unet_config and the layout of its conditioning and latent."""

    name: str
    title: str  # as the README names it
    config: str  # class name in comfy.supported_models
    unet_config: dict
    latent: tuple[int, ...]  # one sample: (C, H, W) or (C, T, H, W)
    tokens: tuple[tuple[str, tuple[int, ...]], ...]  # (key, shape of one sample): "cond" is the CONDITIONING tensor
    extras: tuple[tuple[str, object], ...] = ()  # constant extras: ("guidance", 3.5), ("width", 1024)…
    streams: tuple[Stream, ...] = (Stream("c_crossattn", label="tokens"),)
    markers: tuple[str, ...] = ()  # state-dict keys the config's model_type reads (SDXL "v_pred", "ztsnr")
    newer: tuple[tuple[str, object], ...] = ()  # keys newer hosts' detection sets; dropped where the host lacks them
    attention_mask: bool = False  # the text encoder gives `attention_mask` (all tokens valid) with the tokens

    def conditioning(self, seed: int = 0, batch: int = 1) -> list:
        """CONDITIONING [[tokens, {extras}]] of this family's text encoder(s), a pure function of `seed`."""
        import torch

        g = torch.Generator().manual_seed(seed)
        tensors = {key: torch.randn(batch, *shape, generator=g) for key, shape in self.tokens}
        cond = tensors.pop("cond")
        if self.attention_mask:
            tensors["attention_mask"] = torch.ones(batch, cond.shape[1], dtype=torch.int64)
        return [[cond, {**tensors, **dict(self.extras)}]]

    def empty_latent(self, batch: int = 1) -> dict:
        """LATENT {"samples": zeros [B, *latent]} as the family's empty-latent node gives."""
        import torch

        return {"samples": torch.zeros(batch, *self.latent)}


_SD_UNET = dict(
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
_SDXL_SIZES = (
    ("width", 1024),
    ("height", 1024),
    ("crop_w", 0),
    ("crop_h", 0),
    ("target_width", 1024),
    ("target_height", 1024),
)
_POOLED = Stream("y", label="pooled y")
_FLUX = dict(
    image_model="flux",
    in_channels=16,
    out_channels=16,
    vec_in_dim=768,
    context_in_dim=4096,
    hidden_size=64,
    mlp_ratio=4.0,
    num_heads=2,
    depth=1,
    depth_single_blocks=1,
    axes_dim=[8, 12, 12],
    theta=10000,
    patch_size=2,
    qkv_bias=True,
)
_LUMINA = dict(
    image_model="lumina2",
    patch_size=2,
    in_channels=16,
    n_layers=1,
    n_refiner_layers=1,
    n_heads=2,
    n_kv_heads=2,
    multiple_of=16,
    qk_norm=True,
    axes_lens=[64, 64, 64],
)
_WAN = dict(
    image_model="wan2.1",
    model_type="t2v",
    patch_size=(1, 2, 2),
    text_len=512,
    in_dim=16,
    dim=64,
    ffn_dim=128,
    freq_dim=256,
    text_dim=4096,
    out_dim=16,
    num_heads=2,
    num_layers=1,
    window_size=(-1, -1),
    qk_norm=True,
    cross_attn_norm=True,
    eps=1e-6,
)
_COSMOS = dict(
    max_img_h=240,
    max_img_w=240,
    max_frames=128,
    in_channels=16,
    out_channels=16,
    patch_spatial=2,
    patch_temporal=1,
    concat_padding_mask=True,
    model_channels=64,
    num_blocks=1,
    num_heads=2,
    crossattn_emb_channels=1024,
    pos_emb_cls="rope3d",
    pos_emb_interpolation="crop",
    use_adaln_lora=True,
    adaln_lora_dim=16,
)

_FAMILY_LIST = [
    Family(
        "sd15",
        "SD1.5",
        "SD15",
        dict(_SD_UNET, adm_in_channels=None, use_linear_in_transformer=False, context_dim=768),
        (4, 16, 16),
        (("cond", (TOKENS, 768)), ("pooled_output", (768,))),
    ),
    Family(
        "sd2_v",
        "SD2 v",
        "SD20",
        dict(_SD_UNET, adm_in_channels=None, use_linear_in_transformer=True, context_dim=1024),
        (4, 16, 16),
        (("cond", (TOKENS, 1024)), ("pooled_output", (1024,))),
        markers=("output_blocks.11.1.transformer_blocks.0.norm1.bias",),
    ),
    Family(
        "sdxl",
        "SDXL",
        "SDXL",
        dict(
            _SD_UNET, num_classes="sequential", adm_in_channels=2816, use_linear_in_transformer=True, context_dim=2048
        ),
        (4, 16, 16),
        (("cond", (TOKENS, 2048)), ("pooled_output", (1280,))),
        _SDXL_SIZES,
        (Stream("c_crossattn", label="tokens"), Stream("y", 1280, "pooled y")),
    ),
    Family(
        "sdxl_v_zsnr",
        "SDXL v + zero SNR (NoobAI-style)",
        "SDXL",
        dict(
            _SD_UNET, num_classes="sequential", adm_in_channels=2816, use_linear_in_transformer=True, context_dim=2048
        ),
        (4, 16, 16),
        (("cond", (TOKENS, 2048)), ("pooled_output", (1280,))),
        _SDXL_SIZES,
        (Stream("c_crossattn", label="tokens"), Stream("y", 1280, "pooled y")),
        markers=("v_pred", "ztsnr"),
    ),
    Family(
        "sd35",
        "SD3.5",
        "SD3",
        dict(
            in_channels=16,
            out_channels=16,
            patch_size=2,
            depth=2,
            input_size=None,
            adm_in_channels=2048,
            pos_embed_scaling_factor=None,
            num_patches=256,
            pos_embed_max_size=16,
            qk_norm="rms",
            x_block_self_attn_layers=[0],
            context_embedder_config={"target": "torch.nn.Linear", "params": {"in_features": 4096, "out_features": 128}},
        ),
        (16, 16, 16),
        (("cond", (TOKENS, 4096)), ("pooled_output", (2048,))),
        streams=(Stream("c_crossattn", label="tokens"), _POOLED),
    ),
    Family(
        "flux_dev",
        "Flux dev",
        "Flux",
        dict(_FLUX, guidance_embed=True),
        (16, 16, 16),
        (("cond", (TOKENS, 4096)), ("pooled_output", (768,))),
        (("guidance", 3.5),),
        (Stream("c_crossattn", label="tokens"), _POOLED),
        newer=(("txt_ids_dims", []),),
    ),
    Family(
        "flux_schnell",
        "Flux schnell",
        "FluxSchnell",
        dict(_FLUX, guidance_embed=False),
        (16, 16, 16),
        (("cond", (TOKENS, 4096)), ("pooled_output", (768,))),
        (),
        (Stream("c_crossattn", label="tokens"), _POOLED),
        newer=(("txt_ids_dims", []),),
    ),
    Family(
        "chroma",
        "Chroma",
        "Chroma",
        dict(
            image_model="chroma",
            in_channels=64,
            out_channels=64,
            context_in_dim=4096,
            hidden_size=64,
            mlp_ratio=4.0,
            num_heads=2,
            depth=1,
            depth_single_blocks=1,
            axes_dim=[8, 12, 12],
            theta=10000,
            patch_size=2,
            qkv_bias=True,
            in_dim=64,
            out_dim=64,
            hidden_dim=32,
            n_layers=1,
        ),
        (16, 16, 16),
        (("cond", (TOKENS, 4096)),),
        (("pooled_output", None),),
        newer=(("txt_ids_dims", []), ("vec_in_dim", None)),
    ),
    Family(
        "qwen_image",
        "Qwen-Image",
        "QwenImage",
        dict(
            image_model="qwen_image",
            patch_size=2,
            in_channels=64,
            out_channels=16,
            num_layers=1,
            attention_head_dim=32,
            num_attention_heads=2,
            joint_attention_dim=3584,
            axes_dims_rope=(8, 12, 12),
        ),
        (16, 1, 16, 16),
        (("cond", (TOKENS, 3584)),),
    ),
    Family(
        "z_image",
        "Z-Image",
        "ZImage",
        dict(
            _LUMINA,
            dim=256,
            n_heads=8,
            n_kv_heads=8,
            cap_feat_dim=2560,
            axes_dims=[8, 12, 12],
            rope_theta=256.0,
            ffn_dim_multiplier=8.0 / 3.0,
            z_image_modulation=True,
            time_scale=1000.0,
        ),
        (16, 16, 16),
        (("cond", (TOKENS, 2560)),),
    ),
    Family(
        "lumina2",
        "Lumina 2",
        "Lumina2",
        dict(_LUMINA, dim=64, cap_feat_dim=2304, axes_dims=[8, 12, 12], rope_theta=10000.0, ffn_dim_multiplier=4.0),
        (16, 16, 16),
        (("cond", (TOKENS, 2304)),),
    ),
    Family("wan21", "Wan 2.1", "WAN21_T2V", dict(_WAN), (16, 2, 8, 8), (("cond", (TOKENS, 4096)),)),
    Family(
        "wan22",
        "Wan 2.2 (5B)",
        "WAN22_T2V",
        dict(_WAN, in_dim=48, out_dim=48),
        (48, 2, 8, 8),
        (("cond", (TOKENS, 4096)),),
    ),
    Family(
        "hunyuan_video",
        "HunyuanVideo",
        "HunyuanVideo",
        dict(
            image_model="hunyuan_video",
            in_channels=16,
            out_channels=16,
            vec_in_dim=768,
            context_in_dim=4096,
            hidden_size=64,
            mlp_ratio=4.0,
            num_heads=2,
            depth=1,
            depth_single_blocks=1,
            axes_dim=[8, 12, 12],
            theta=256,
            patch_size=[1, 2, 2],
            qkv_bias=True,
            guidance_embed=True,
            byt5=False,
            meanflow=False,
            use_cond_type_embedding=False,
            vision_in_dim=None,
        ),
        (16, 2, 8, 8),
        (("cond", (TOKENS, 4096)), ("pooled_output", (768,))),
        (("guidance", 6.0),),
        (Stream("c_crossattn", label="tokens"), _POOLED),
        newer=(("meanflow_sum", False),),
    ),
    Family(
        "ltxv",
        "LTXV",
        "LTXV",
        dict(
            image_model="ltxv",
            in_channels=128,
            cross_attention_dim=64,
            attention_head_dim=32,
            num_attention_heads=2,
            caption_channels=4096,
            num_layers=1,
        ),
        (128, 2, 4, 4),
        (("cond", (TOKENS, 4096)),),
        attention_mask=True,
    ),
    Family(
        "hidream",
        "HiDream",
        "HiDream",
        dict(
            image_model="hidream",
            patch_size=2,
            in_channels=16,
            out_channels=16,
            num_layers=1,
            num_single_layers=1,
            attention_head_dim=32,
            num_attention_heads=2,
            caption_channels=[4096, 4096],
            text_emb_dim=2048,
            num_routed_experts=2,
            num_activated_experts=1,
            axes_dims_rope=(16, 8, 8),
            max_resolution=(128, 128),
            llama_layers=[0, 1],
        ),
        (16, 16, 16),
        (("cond", (TOKENS, 4096)), ("pooled_output", (2048,)), ("conditioning_llama3", (2, TOKENS, 4096))),
        (),
        (
            Stream("c_crossattn", label="T5 tokens"),
            _POOLED,
            Stream("encoder_hidden_states_llama3", label="Llama-3 tokens"),
        ),
    ),
    Family(
        "cosmos",
        "Cosmos 1 (EDM)",
        "CosmosT2V",
        dict(
            _COSMOS,
            image_model="cosmos",
            block_config="FA-CA-MLP",
            block_x_format="THWBD",
            affline_emb_norm=True,
            pos_emb_learnable=False,
            extra_per_block_abs_pos_emb=True,
            extra_per_block_abs_pos_emb_type="learnable",
        ),
        (16, 2, 8, 8),
        (("cond", (TOKENS, 1024)),),
    ),
    Family(
        "cosmos_predict2",
        "Cosmos Predict2",
        "CosmosT2IPredict2",
        dict(
            _COSMOS,
            image_model="cosmos_predict2",
            pos_emb_learnable=True,
            min_fps=1,
            max_fps=30,
            extra_per_block_abs_pos_emb=False,
            rope_enable_fps_modulation=False,
        ),
        (16, 1, 8, 8),
        (("cond", (TOKENS, 1024)),),
    ),
    Family(
        "stable_cascade",
        "Stable Cascade (stage C)",
        "Stable_Cascade_C",
        dict(
            stable_cascade_stage="c",
            c_cond=64,
            c_hidden=[64, 64],
            nhead=[2, 2],
            blocks=[[1, 1], [1, 1]],
            block_repeat=[[1, 1], [1, 1]],
        ),
        (16, 12, 12),
        (("cond", (TOKENS, 1280)), ("pooled_output", (1, 1280))),
        (),
        (Stream("clip_text", label="clip_text tokens"), Stream("clip_text_pooled")),
    ),
]
FAMILIES: dict[str, Family] = {f.name: f for f in _FAMILY_LIST}


# --------------------------------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------------------------------


def missing_reason(family: Family) -> str | None:
    """Why the host cannot build `family` (its config class is not in comfy.supported_models), or None."""
    hostlib.import_host()
    import comfy.supported_models as sm

    if not hasattr(sm, family.config):
        return f"this host's comfy.supported_models has no {family.config}"
    return None


def host_families() -> tuple[list[str], dict[str, str]]:
    """(names of the families this host has, {name: why it is missing} for the others)."""
    built, missing = [], {}
    for name, family in FAMILIES.items():
        reason = missing_reason(family)
        if reason is None:
            built.append(name)
        else:
            missing[name] = reason
    return built, missing


def init_every_parameter(model, seed: int = 0):
    """`hostlib.init_weights`, then everything else a checkpoint would supply: weights and scales of norm layers
    (RMSNorm and the models' own norms) to 1, their biases to 0, any other raw parameter (modulation tables, gates)
    and the network's persistent float buffers (SD3's pos_embed) normal with std 0.02. None is left as the host's
    uninitialised memory or at a constant zero that would cut the output off from the input; the schedule buffers
    of model_sampling are the host's. Deterministic in `seed`; the global RNG state is left untouched."""
    import torch

    nn = torch.nn
    covered = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.GroupNorm, nn.LayerNorm, nn.Embedding)
    hostlib.init_weights(model, seed)
    network = getattr(model, "diffusion_model", model)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed + 1)
        with torch.no_grad():
            for m in network.modules():
                for name, b in m.named_buffers(recurse=False):
                    if name not in m._non_persistent_buffers_set and b.is_floating_point():
                        nn.init.normal_(b, std=0.02)
                if isinstance(m, covered):
                    continue
                is_norm = "norm" in type(m).__name__.lower()
                for name, p in m.named_parameters(recurse=False):
                    if is_norm and name in ("weight", "scale", "gamma", "g"):
                        nn.init.ones_(p)
                    elif is_norm and name in ("bias", "beta", "b"):
                        nn.init.zeros_(p)
                    else:
                        nn.init.normal_(p, std=0.02)
    return model


def _markers(family: Family) -> dict:
    """The state-dict entries the config's model_type reads to tell the checkpoint's form (SD2 v: a norm bias of
    std > 0.09; SDXL: the "v_pred" and "ztsnr" keys), as a checkpoint loader passes them."""
    import torch

    g = torch.Generator().manual_seed(0)
    return {key: torch.randn(64, generator=g) for key in family.markers}


def build_model(family: Family, seed: int = 0):
    """A fresh tiny float32 model of `family` as a ModelPatcher: the host config's get_model, every parameter set."""
    mm = hostlib.import_host()
    import torch
    import comfy.model_patcher
    import comfy.supported_models as sm

    reason = missing_reason(family)
    if reason is not None:
        raise LookupError(f"family {family.name}: {reason}")
    newer = dict(family.newer)
    while True:
        config = getattr(sm, family.config)({**family.unet_config, **newer})
        config.set_inference_dtype(torch.float32, None)
        try:
            model = config.get_model(_markers(family), "", device=None)
            break
        except TypeError as e:  # an older host's model class: without the keys it does not take
            unexpected = re.search(r"unexpected keyword argument '(\w+)'", str(e))
            if unexpected is None or unexpected.group(1) not in newer:
                raise
            del newer[unexpected.group(1)]
    init_every_parameter(model, seed)
    model.eval()
    return comfy.model_patcher.ModelPatcher(
        model, load_device=mm.get_torch_device(), offload_device=mm.unet_offload_device()
    )


def prediction(model) -> str:
    """The prediction form of a MODEL, read from its model_sampling: "ε", "v", "EDM", "x0" or "flow"."""
    import comfy.model_sampling as ms_mod

    ms = model.get_model_object("model_sampling")
    flow = [getattr(ms_mod, name) for name in ("CONST", "COSMOS_RFLOW") if hasattr(ms_mod, name)]
    if isinstance(ms, tuple(flow)):
        return "flow"
    for cls, form in ((ms_mod.EDM, "EDM"), (ms_mod.V_PREDICTION, "v"), (ms_mod.X0, "x0"), (ms_mod.EPS, "ε")):
        if isinstance(ms, cls):
            return form
    return type(ms).__name__


# --------------------------------------------------------------------------------------------------
# cells: one of our nodes on one family
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """How a cell ended: "works", "refused" (a ValueError naming one of the node's inputs) or "wrong" (anything
    else: a crash, NaN, a wrong shape, a CADS that leaves a text stream unchanged), with what was seen."""

    status: str
    detail: str = ""

    @property
    def cell(self) -> str:
        """The README table cell."""
        if self.status == "works":
            return "works"
        if self.status == "refused":
            return f"refused ({short_reason(self.detail)})"
        return f"✗ {self.detail}"


#: Patterns of our nodes' refusal messages → the short reason the table gives.
_SHORT_REASONS = (
    ("predicts ε", "ε prediction"),
    ("is a flow model", "flow schedule"),
    ("continuous noise schedule", "continuous schedule"),
)


def short_reason(message: str) -> str:
    for pattern, short in _SHORT_REASONS:
        if pattern in message:
            return short
    return message.split(";")[0][:60]


class _Wrong(Exception):
    """A cell's output is wrong (NaN, wrong shape, CADS leaving a stream unchanged)."""


_MODELS: dict[str, object] = {}


def cached_model(family: Family):
    """One model per family per process (our nodes never change the model they get: they return patched copies);
    freed at exit by `free_cached_models`."""
    if family.name not in _MODELS:
        _MODELS[family.name] = build_model(family)
    return _MODELS[family.name]


@atexit.register
def free_cached_models() -> None:
    """Free the models `cached_model` holds, and the cycles they are in, while the host's modules are whole: at exit,
    before the interpreter clears module globals. Left to that teardown, a ModelPatcher's __del__ runs after
    comfy.model_patcher's globals are None and prints "Exception ignored in ModelPatcher.__del__ … 'NoneType' object
    has no attribute 'ON_DETACH'"."""
    _MODELS.clear()
    gc.collect()


def _nodes() -> dict:
    """Our node classes by id without the "SamplerLab" prefix, as the host loads the pack."""
    pack = hostlib.import_pack()
    return {name.removeprefix("SamplerLab"): cls for name, cls in pack.NODE_CLASS_MAPPINGS.items()}


def _input_names(node_cls) -> set[str]:
    spec = node_cls.INPUT_TYPES()
    return {*spec.get("required", {}), *spec.get("optional", {})}


def _finite(t, shape, what: str):
    import torch

    if tuple(t.shape) != tuple(shape):
        raise _Wrong(f"{what} has shape {list(t.shape)}, not {list(shape)}")
    if not torch.isfinite(t).all():
        raise _Wrong(f"{what} holds NaN/inf")
    return t


def _sample_custom(model, sampler, sigmas, family: Family, seed: int = 0):
    import comfy.sample

    latent = family.empty_latent()["samples"]
    noise = comfy.sample.prepare_noise(latent, seed)
    return comfy.sample.sample_custom(
        model,
        noise,
        CFG,
        sampler,
        sigmas,
        family.conditioning(1),
        family.conditioning(2),
        latent,
        disable_pbar=True,
        seed=seed,
    )


def _ksample(model, family: Family, seed: int = 0):
    return hostlib.ksample(
        model,
        family.conditioning(1),
        family.conditioning(2),
        family.empty_latent(),
        seed=seed,
        steps=STEPS,
        cfg=CFG,
        sampler_name="euler",
        scheduler="simple",
    )


def _recorder(model, streams: tuple[Stream, ...]):
    """A clone of `model` recording, per diffusion-model call, the text streams it receives and the chunk order."""
    import comfy.patcher_extension

    calls = []

    def record(executor, x, t, c_concat, c_crossattn, control, transformer_options, **kwargs):
        seen = {"c_crossattn": c_crossattn, **kwargs}
        calls.append(
            {
                "chunks": list(transformer_options.get("cond_or_uncond") or [0]),
                **{s.name: seen[s.name].clone() if seen.get(s.name) is not None else None for s in streams},
            }
        )
        return executor(x, t, c_concat, c_crossattn, control, transformer_options, **kwargs)

    m = model.clone()
    m.add_wrapper_with_key(comfy.patcher_extension.WrappersMP.APPLY_MODEL, "samplerlab_families_record", record)
    return m, calls


def _positive(call: dict, tensor):
    batch = tensor.shape[0] // len(call["chunks"])
    j = call["chunks"].index(0)
    return tensor[j * batch : (j + 1) * batch]


def _check_cads(family: Family, model, patched) -> None:
    """At the first (noisiest) model call, every text stream of the positive must differ from the plain run's."""
    import torch

    plain, plain_calls = _recorder(model, family.streams)
    cads, cads_calls = _recorder(patched, family.streams)
    _ksample(plain, family)
    _finite(_ksample(cads, family), family.empty_latent()["samples"].shape, "output")
    first, ref = cads_calls[0], plain_calls[0]
    unchanged = []
    for s in family.streams:
        if ref[s.name] is None:
            raise _Wrong(f"the model never received {s.name}")
        a, b = _positive(first, first[s.name]), _positive(ref, ref[s.name])
        if s.width is not None:
            a, b = a[..., : s.width], b[..., : s.width]
        if torch.allclose(a, b):
            unchanged.append(s.title)
    if unchanged:
        raise _Wrong(f"CADS leaves {' and '.join(unchanged)} unchanged")


def _run(family: Family, node: str, cls) -> None:
    import torch

    model = cached_model(family)
    shape = family.empty_latent()["samples"].shape
    n = cls()
    if node == "KarrasSigmas":
        (sigmas,) = n.get_sigmas(STEPS, 0.0, 0.0, 7.0, model)
        _finite(sigmas, (STEPS + 1,), "sigmas")
    elif node == "SpacingSigmas":
        (sigmas,) = n.get_sigmas(model, STEPS, "trailing")
        _finite(sigmas, (STEPS + 1,), "sigmas")
        if not bool((sigmas[:-1] > sigmas[1:]).all()) or sigmas[-1].item() != 0.0:
            raise _Wrong(f"sigmas {sigmas.tolist()} do not fall to 0")
    elif node == "ZeroTerminalSNR":
        (patched,) = n.patch(model)
        _finite(_ksample(patched, family), shape, "output")
    elif node == "HeunChurn":
        (sigmas,) = _nodes()["KarrasSigmas"]().get_sigmas(STEPS, 0.0, 0.0, 7.0, model)
        churned = _finite(_sample_custom(model, n.get_sampler(1.0, 0.0, 1e3, 1.0)[0], sigmas, family), shape, "output")
        plain = _sample_custom(model, n.get_sampler(0.0, 0.0, 1e3, 1.0)[0], sigmas, family)
        if torch.equal(churned, plain):
            raise _Wrong("S_churn = 1 gives what S_churn = 0 gives: no churn noise was added")
        import comfy.samplers

        host_heun = _sample_custom(model, comfy.samplers.sampler_object("heun"), sigmas, family)
        # float32 rounding of x − D, amplified by the 2nd-order correction across a large σ ratio (σmax 4519 → 0.03
        # on the zero-SNR model), differs between our Euler step and the host's by up to ~6e-4 of the largest value
        if not torch.allclose(plain, host_heun, rtol=0, atol=1e-3 * max(host_heun.abs().max().item(), 1.0)):
            raise _Wrong("S_churn = 0 differs from the host's heun on the same schedule")
    elif node == "KSampler":
        (out,) = n.sample(
            model,
            0,
            STEPS,
            CFG,
            family.conditioning(1),
            family.conditioning(2),
            family.empty_latent(),
            1.0,
            7.0,
            1.0,
            0.05,
            50.0,
            1.003,
        )
        _finite(out["samples"], shape, "output")
    elif node == "CFGRescale":
        (patched,) = n.patch(model, 0.7)
        _finite(_ksample(patched, family), shape, "output")
    elif node == "CADS":
        (patched,) = n.patch(model, 0.25, 0.6, 0.9, 1.0)
        _check_cads(family, model, patched)
    else:
        raise KeyError(node)


def run_cell(family: Family, node: str) -> Outcome:
    """Run our node `node` (a name of NODES) on `family` against the real host in-process and say how it ended."""
    cls = _nodes()[node]
    try:
        _run(family, node, cls)
    except _Wrong as e:
        return Outcome("wrong", str(e))
    except ValueError as e:
        message = str(e)
        if any(f"'{name}'" in message for name in _input_names(cls)):
            return Outcome("refused", message)
        return Outcome("wrong", f"ValueError not naming an input: {message[:120]}")
    except Exception as e:
        return Outcome("wrong", f"{type(e).__name__}: {str(e).splitlines()[0][:120] if str(e) else ''}")
    return Outcome("works")


def run_cells(names: list[str] | None = None) -> dict[tuple[str, str], Outcome]:
    """Every (family, node) cell of the families this host has (or of `names`)."""
    built, _ = host_families()
    return {(name, node): run_cell(FAMILIES[name], node) for name in (names or built) for node in NODES}


# --------------------------------------------------------------------------------------------------
# the README table
# --------------------------------------------------------------------------------------------------

_NODE_TITLES = {
    "KarrasSigmas": "Karras σ",
    "SpacingSigmas": "Spacing",
    "ZeroTerminalSNR": "Zero SNR",
    "HeunChurn": "Heun + churn",
    "KSampler": "EDM KSampler",
    "CFGRescale": "CFG Rescale",
    "CADS": "CADS",
}


def render_table(outcomes: dict[tuple[str, str], Outcome], forms: dict[str, str], missing: dict[str, str]) -> str:
    """The markdown table of family × node (families in FAMILIES order), then the missing families, if any."""
    names = [n for n in FAMILIES if any(key[0] == n for key in outcomes)]
    lines = [
        "| family | prediction | " + " | ".join(_NODE_TITLES[n] for n in NODES) + " |",
        "| --- | --- | " + " | ".join("---" for _ in NODES) + " |",
    ]
    for name in names:
        cells = " | ".join(outcomes[(name, node)].cell.replace("|", "\\|") for node in NODES)
        lines.append(f"| {FAMILIES[name].title} | {forms[name]} | {cells} |")
    for name, reason in missing.items():
        lines.append(f"\nNot on this host: {FAMILIES[name].title} ({reason}).")
    return "\n".join(lines)


def readme_table(readme: str) -> str:
    """The text between the family-table markers of README.md (each marker on its own line)."""
    if readme.count(TABLE_START) != 1 or readme.count(TABLE_END) != 1:
        raise ValueError(f"README.md needs one {TABLE_START} and one {TABLE_END} marker")
    return readme[readme.index(TABLE_START) + len(TABLE_START) : readme.index(TABLE_END)].strip("\n")


def with_table(readme: str, table: str) -> str:
    """README text with `table` between the family-table markers."""
    readme_table(readme)
    start = readme.index(TABLE_START) + len(TABLE_START)
    return readme[:start] + "\n" + table + "\n" + readme[readme.index(TABLE_END) :]
