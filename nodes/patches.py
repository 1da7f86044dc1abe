"""Model patches: CFG rescale (Lin et al. 2024, Algorithm 2) and CADS (Sadat et al. ICLR 2024)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import torch

import comfy.patcher_extension

from .. import samplers as S
from .inputs import P, widget, widgets
from .host import check_inputs, normalised_time, on_cpu

PATCHES = "model/patch"
SEEDS_KEY = "samplerlab_sample_seeds"
PROMPTS_KEY = "samplerlab_prompt_index"  # uuid of a conditioning entry → its index in its CONDITIONING list


def cfg_rescale_patch(phi: float):
    """A post-CFG function: Algorithm 2 in the model's own output space (ε, v, flow velocity or x0).

    With D = c_skip·x + c_out·F, the model outputs are F = (D − c_skip·x)/c_out; the std ratio of Algorithm 2
    does not see the per-sample factor c_out, so the rescale acts on D − c_skip·x directly.
    """

    def post_cfg(args: dict) -> torch.Tensor:
        guided, positive = args["denoised"], args["cond_denoised"]
        if phi == 0.0:
            return guided
        skip = S.skip_part(args["model"].model_sampling.calculate_denoised, args["sigma"], args["input"])
        return S.rescale_guided_output(guided, positive, skip, phi)

    return post_cfg


class SamplerLabCFGRescale:
    DISPLAY_NAME = "CFG Rescale (Sampler Lab)"
    DESCRIPTION = (
        "Classifier-free guidance rescale (Lin et al. 2024, Algorithm 2): after CFG, the guided prediction "
        "is scaled to the per-image std of the positive prediction and mixed back by φ, which stops "
        "over-exposure at high CFG. Works in the model's own output space (ε, v or flow), per image; chains "
        "after other CFG patches."
    )
    CATEGORY = PATCHES
    SEARCH_ALIASES = ["rescale cfg", "cfg rescale", "guidance rescale", "zero snr", "overexposure"]
    RETURN_TYPES = ("MODEL",)
    FUNCTION = "patch"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "model": ("MODEL", {"tooltip": "The model to patch (a patched copy is returned)."}),
                "phi": widget(P.PHI),
            }
        }

    def patch(self, model, phi: float):
        check_inputs(SamplerLabCFGRescale, phi=phi)
        m = model.clone()
        m.set_model_sampler_post_cfg_function(cfg_rescale_patch(phi))
        return (m,)


@dataclass(frozen=True)
class TextInput:
    """A conditioning kwarg of the model call that holds text, for CADS: text tokens [B, T, D] or a pooled text
    vector [B, D] (`pooled`); `part`: which token stream of the model it is (0 the main one, 1 a second encoder's),
    for its own noise stream (`samplers.cads_stream`); `end`: where the text ends along dim 1, for inputs that append
    non-text to it (SDXL's `y`: 1280 pooled CLIP-G features, then size/crop embeddings; Stable Audio's tokens: then
    the seconds embeddings, so −2: all but the last two); None = all of it."""

    pooled: bool
    part: int = 0
    end: int | None = None


TOKENS, SECOND_TOKENS, POOLED = TextInput(False), TextInput(False, part=1), TextInput(True)

#: What each conditioning kwarg that the host's model_base classes pass their model (`extra_conds` of ComfyUI 0.3.75
#: and 0.33.0) is, for CADS: a TextInput, or None for what is not text (never annealed). c_concat is never touched.
CADS_INPUTS: dict[str, TextInput | None] = {
    "c_crossattn": TOKENS,  # the text encoder's tokens: CLIP, T5, umt5, Llama, Qwen, Gemma, … (exceptions below)
    "clip_text": TOKENS,  # Stable Cascade C
    "encoder_hidden_states_llama3": SECOND_TOKENS,  # HiDream (c_crossattn: T5)
    "encoder_hidden_states_t5": SECOND_TOKENS,  # HunyuanDiT's mT5 (c_crossattn: CLIP)
    "txt_byt5": SECOND_TOKENS,  # HunyuanImage 2.1, HunyuanVideo 1.5: the ByT5 glyph text
    "lyric_embed": SECOND_TOKENS,  # ACE-Step 1.5: the lyrics
    "context_pose": SECOND_TOKENS,  # Wan Animate 2: the pose video's prompt
    "clip_text_pooled": POOLED,  # Stable Cascade C, Lumina 2 (NewBie)
    # `y` is class-specific (below): pooled text, or class labels, noise levels, fps, … Not text:
    **dict.fromkeys(
        (
            # guidance and strengths
            "guidance",
            "conditioning_scale",
            "lyrics_strength",
            "vace_strength",
            "pose_strength",
            "reference_strength",
            "audio_inject_scale",
            # size, time and frame embeddings
            "image_meta_size",
            "c_size",
            "c_ar",
            "sca",
            "crp",
            "ofs",
            "fps",
            "frame_rate",
            "global_embed",
            "num_video_frames",
            "guiding_frame_index",
            "degrade_sigma",
            "disable_time_r",
            # images, latents and image embeddings
            "ref_latents",
            "ref_latents_method",
            "reference_latent",
            "ref_latent",
            "image_cond",
            "clip_img",
            "clip_fea",
            "clip_fea_pose",
            "clip_fea_ref",
            "siglip_feats",
            "time_context",
            "effnet",
            "time_dim_concat",
            "time_dim_replace",
            "context_latents",
            "vace_context",
            "camera_conditions",
            "face_pixel_values",
            "pose_latents",
            "reference_motion",
            "control_video",
            "sam_latents",
            "ref_mask_latents",
            "ref_mask_flag",
            "condition",
            "lq_latent",
            "local_add_cond",
            "embeds",
            "ref_pixel_values",
            "ref_image_grid_thw",
            "ref_patches",
            "ref_contexts",
            # audio
            "audio_embed",
            "speaker_embeds",
            "refer_audio",
            "ref_audio",
            "audio_codes",
            "is_covers",
            "replace_with_null_embeds",
            # masks, token ids (no embedding to anneal), layouts
            "attention_mask",
            "text_embedding_mask",
            "text_embedding_mask_t5",
            "denoise_mask",
            "audio_denoise_mask",
            "num_tokens",
            "vinput_mask",
            "lyric_token_idx",
            "t5xxl_ids",
            "t5xxl_weights",
            "input_ids",
            "position_ids",
            "token_types",
            "ar_len",
            "keyframe_idxs",
            "guide_attention_entries",
            "generated_keyframes",
            "latent_shapes",
            "minimax_payload",
            "trellis2_coords",
            "trellis2_coord_counts",
            "trellis2_generation_mode",
            "trellis2_shape_slat",
            "trellis2_proj_feats",
            "trellis2_model_frame",
            # the ControlNet's own text: the ControlNet has read it before the model call
            "crossattn_controlnet",
        ),
        None,
    ),
}

#: Per model_base class, by name (found along the model's class hierarchy, so SDXL_instructpix2pix is SDXL's), what
#: differs from CADS_INPUTS.
CADS_CLASS_INPUTS: dict[str, dict[str, TextInput | None]] = {
    "SDXL": {"y": TextInput(True, end=1280)},  # pooled CLIP-G, then size and crop embeddings
    "SDXLRefiner": {"y": TextInput(True, end=1280)},  # pooled CLIP-G, then size, crop and aesthetic embeddings
    **dict.fromkeys(("SD3", "Flux", "HunyuanVideo", "HiDream", "Kandinsky5"), {"y": POOLED}),  # y = pooled_output
    "StableCascade_B": {"clip": POOLED},  # the pooled CLIP text
    "StableAudio1": {"c_crossattn": TextInput(False, end=-2)},  # then seconds_start and seconds_total embeddings
    "StableAudio3": {"c_crossattn": TextInput(False, end=-1)},  # then the seconds_total embedding
    "SD21UNCLIP": {"y": None},  # the image embedding and its noise level
    "SD_X4Upscaler": {"y": None},  # the noise level
    "Lotus": {"y": None},  # the task embedding
    "SVD_img2vid": {"y": None, "c_crossattn": None},  # fps/motion/augmentation; the CLIP-vision image embedding
    "Stable_Zero123": {"c_crossattn": None},  # the image embedding with the camera pose
    **dict.fromkeys(("Hunyuan3Dv2", "Hunyuan3Dv2_1", "TripoSplat", "Trellis2"), {"c_crossattn": None}),  # image tokens
}

UNKNOWN_INPUT = object()  # cads_role of a kwarg the tables do not know
_WARNED: set[tuple[str, str | None]] = set()  # (model class, kwarg or None: no text at all) said once


def cads_role(model_cls: type, key: str) -> TextInput | None | object:
    """What conditioning kwarg `key` of a `model_cls` model call is: a TextInput, None (not text) or UNKNOWN_INPUT."""
    for cls in model_cls.__mro__:
        overrides = CADS_CLASS_INPUTS.get(cls.__name__, {})
        if key in overrides:
            return overrides[key]
    return CADS_INPUTS.get(key, UNKNOWN_INPUT)


def cads_text_inputs(model_cls: type, conds: dict, rows: int) -> list[tuple[str, TextInput]]:
    """The text inputs among a model call's conditioning `conds` (kwarg → value) whose tensors have the call's `rows`;
    each such tensor the tables do not know is named once per process (a warning) and left alone."""
    found = []
    for key, value in conds.items():
        if not (isinstance(value, torch.Tensor) and value.ndim >= 1 and value.shape[0] == rows):
            continue
        role = cads_role(model_cls, key)
        if role is UNKNOWN_INPUT:
            if (model_cls.__name__, key) not in _WARNED:
                _WARNED.add((model_cls.__name__, key))
                logging.warning(
                    f"CADS (Sampler Lab): a {model_cls.__name__} model gets conditioning input '{key}' "
                    f"(shape {list(value.shape)}), which CADS does not know (nodes/patches.py "
                    "CADS_INPUTS); CADS leaves it unchanged, so if it is text it is not annealed."
                )
        elif isinstance(role, TextInput):
            found.append((key, role))
    if not found and (model_cls.__name__, None) not in _WARNED:
        _WARNED.add((model_cls.__name__, None))
        logging.warning(
            f"CADS (Sampler Lab): a {model_cls.__name__} model gets no text input CADS can anneal "
            f"(inputs: {', '.join(sorted(conds)) or 'none'}); CADS does nothing on this model."
        )
    return found


def _remember_sample_seeds(
    executor, noise, latent_image, sampler, sigmas, denoise_mask, callback, disable_pbar, seed, **kwargs
):
    """OUTER_SAMPLE wrapper: per-sample seeds of this run and the index of each conditioning entry in its list (the
    prompt of the CADS stream scheme, `samplers.cads_stream`), for the CADS noise of each model call."""
    options = executor.class_obj.model_options.setdefault("transformer_options", {})  # the run's own copy
    options[SEEDS_KEY] = S.sample_seeds(seed, noise, noise.shape[0])
    options[PROMPTS_KEY] = {
        entry["uuid"]: j
        for entries in (getattr(executor.class_obj, "conds", None) or {}).values()
        for j, entry in enumerate(entries)
        if "uuid" in entry
    }
    return executor(noise, latent_image, sampler, sigmas, denoise_mask, callback, disable_pbar, seed, **kwargs)


def cads_wrapper(
    noise_scale: float, tau1: float, tau2: float, psi: float, rescale: bool, targets: tuple[int, ...], seed: int
):
    """APPLY_MODEL wrapper adding CADS noise to the text inputs (`cads_text_inputs`) of the chunks in `targets`
    (0 positive, 1 negative).

    Noise of sample k at a call of level σ: `samplers.cads_noise_seeds` (sample seed k mixed with `seed`, σ, and the
    stream `samplers.cads_stream` of the input's kind and part and its entry's index in the CONDITIONING list).
    """

    def noise_seeds(
        sample_seeds_: list[int], sigmas: list[float], negative: bool, text: TextInput, prompt: int
    ) -> list[int]:
        stream = S.cads_stream(negative=negative, pooled=text.pooled, prompt=prompt, part=text.part)
        return S.cads_noise_seeds(sample_seeds_, sigmas, [stream] * len(sigmas), seed)

    def apply_model(executor, x, t, c_concat, c_crossattn, control, transformer_options, **kwargs):
        chunks = transformer_options.get("cond_or_uncond") or [0]
        batch = x.shape[0] // len(chunks)
        conds = {"c_crossattn": c_crossattn, **kwargs}
        texts = cads_text_inputs(type(executor.class_obj), conds, x.shape[0])
        sigma = t.tolist()  # the call's one device read: the noise seeds depend on σ; all else is decided on the CPU
        times = normalised_time(on_cpu(executor.class_obj.model_sampling), torch.tensor(sigma))
        gamma = S.cads_gamma(times, tau1, tau2)
        sample_seeds_ = transformer_options.get(SEEDS_KEY)
        if sample_seeds_ is None or len(sample_seeds_) != batch:  # called outside a sampler run: seeds by position
            sample_seeds_ = S.sample_seeds(None, None, batch)
        uuids = transformer_options.get("uuids") or [None] * len(chunks)
        prompt_index = transformer_options.get(PROMPTS_KEY) or {}
        for j, chunk in enumerate(chunks):
            rows = slice(j * batch, (j + 1) * batch)
            if chunk not in targets or not bool((gamma[rows] < 1).any()):
                continue
            sigmas, negative, prompt = sigma[rows], chunk == 1, prompt_index.get(uuids[j], 0)
            for key, text in texts:
                conds[key] = S.cads_anneal(
                    conds[key],
                    gamma[rows],
                    noise_seeds(sample_seeds_, sigmas, negative, text, prompt),
                    noise_scale,
                    psi=psi,
                    rescale=rescale,
                    rows=rows,
                    width=text.end,
                )
        c_crossattn = conds.pop("c_crossattn")
        return executor(x, t, c_concat, c_crossattn, control, transformer_options, **conds)

    return apply_model


class SamplerLabCADS:
    DISPLAY_NAME = "CADS (Sampler Lab)"
    DESCRIPTION = (
        "Condition-Annealed Diffusion Sampler (Sadat et al. ICLR 2024): at each model call each text input "
        "y (the tokens of every text encoder and the pooled text vectors; never guidance, size embeddings "
        "or image inputs) becomes √γ(t)·y + s·√(1−γ(t))·n, γ = 0 at high noise (t ≥ τ2), 1 at low noise "
        "(t ≤ τ1), linear between; optionally rescaled to y's mean/std and mixed by ψ. Restores diversity "
        "at high CFG. Noise is fresh each step and seeded per image."
    )
    CATEGORY = PATCHES
    SEARCH_ALIASES = ["cads", "condition annealing", "conditioning noise", "diversity"]
    RETURN_TYPES = ("MODEL",)
    FUNCTION = "patch"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "model": ("MODEL", {"tooltip": "The model to patch (a patched copy is returned)."}),
                **widgets(P.NOISE_SCALE, P.TAU1, P.TAU2, P.PSI),
            },
            "optional": widgets(P.CADS_RESCALE, P.CADS_NEGATIVE, P.CADS_SEED),
        }

    def patch(
        self,
        model,
        noise_scale: float,
        tau1: float,
        tau2: float,
        psi: float,
        rescale: bool = True,
        apply_to_negative: bool = False,
        seed: int = 0,
    ):
        check_inputs(SamplerLabCADS, noise_scale=noise_scale, tau1=tau1, tau2=tau2, psi=psi, seed=seed)
        S.check_cads_window(tau1, tau2)
        targets = (0, 1) if apply_to_negative else (0,)
        m = model.clone()
        m.add_wrapper_with_key(
            comfy.patcher_extension.WrappersMP.OUTER_SAMPLE, "samplerlab_cads", _remember_sample_seeds
        )
        m.add_wrapper_with_key(
            comfy.patcher_extension.WrappersMP.APPLY_MODEL,
            "samplerlab_cads",
            cads_wrapper(noise_scale, tau1, tau2, psi, rescale, targets, seed),
        )
        return (m,)
