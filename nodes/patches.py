"""Model patches: CFG rescale (Lin et al. 2023, Algorithm 2) and CADS (Sadat et al. ICLR 2024)."""
from __future__ import annotations

import torch

import comfy.model_base
import comfy.patcher_extension

from .. import samplers as S
from .host import check_inputs, normalised_time, on_cpu, skip_part

PATCHES = "model/patch"
SEEDS_KEY = "samplerlab_sample_seeds"
POOLED_WIDTH = {comfy.model_base.SDXL: 1280, comfy.model_base.SDXLRefiner: 1280}  # pooled CLIP part of `y`


def cfg_rescale_patch(phi: float):
    """A post-CFG function: Algorithm 2 in the model's own output space (ε, v, flow velocity or x0).

    With D = c_skip·x + c_out·F, the model outputs are F = (D − c_skip·x)/c_out; the std ratio of Algorithm 2
    does not see the per-sample factor c_out, so the rescale acts on D − c_skip·x directly.
    """
    def post_cfg(args: dict) -> torch.Tensor:
        guided, positive = args["denoised"], args["cond_denoised"]
        if phi == 0.0:
            return guided
        skip = skip_part(args["model"].model_sampling, args["sigma"], args["input"])
        return skip + S.rescale_guided(guided - skip, positive - skip, phi)
    return post_cfg


class SamplerLabCFGRescale:
    DISPLAY_NAME = "CFG Rescale (Sampler Lab)"
    DESCRIPTION = ("Classifier-free guidance rescale (Lin et al. 2023, Algorithm 2): after CFG, the guided prediction "
                   "is scaled to the per-image std of the positive prediction and mixed back by φ, which stops "
                   "over-exposure at high CFG. Works in the model's own output space (ε, v or flow), per image; chains "
                   "after other CFG patches.")
    CATEGORY = PATCHES
    SEARCH_ALIASES = ["rescale cfg", "cfg rescale", "guidance rescale", "zero snr", "overexposure"]
    RETURN_TYPES = ("MODEL",)
    FUNCTION = "patch"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {
            "model": ("MODEL", {"tooltip": "The model to patch (a patched copy is returned)."}),
            "phi": ("FLOAT", {"default": 0.7, "min": 0.0, "max": 1.0, "step": 0.01,
                              "tooltip": "φ: 0 = plain CFG, 1 = full std matching. Paper: 0.7 with CFG 7.5; 0.5–0.75 "
                                         "works well."}),
        }}

    def patch(self, model, phi: float):
        check_inputs(SamplerLabCFGRescale, phi=phi)
        m = model.clone()
        m.set_model_sampler_post_cfg_function(cfg_rescale_patch(phi))
        return (m,)


def _remember_sample_seeds(executor, noise, latent_image, sampler, sigmas, denoise_mask, callback, disable_pbar, seed,
                           **kwargs):
    """OUTER_SAMPLE wrapper: per-sample seeds of this run, for the CADS noise of each model call."""
    options = executor.class_obj.model_options.setdefault("transformer_options", {})  # the run's own copy
    options[SEEDS_KEY] = S.sample_seeds(seed, noise, noise.shape[0])
    return executor(noise, latent_image, sampler, sigmas, denoise_mask, callback, disable_pbar, seed, **kwargs)


def cads_wrapper(noise_scale: float, tau1: float, tau2: float, psi: float, rescale: bool, targets: tuple[int, ...],
                 seed: int):
    """APPLY_MODEL wrapper adding CADS noise to the conditioning of the chunks in `targets` (0 positive, 1 negative).

    Noise of sample k at a call of level σ: `samplers.call_seed(sample seed k XOR seed, σ, stream)`, stream 2·chunk
    for the tokens and 2·chunk + 1 for SDXL's pooled vector (the seed scheme of `samplers/seeds.py`).
    """
    def call_seeds(sample_seeds_: list[int], sigmas: list[float], stream: int) -> list[int]:
        return [S.call_seed(s ^ seed, sigma, stream) for s, sigma in zip(sample_seeds_, sigmas)]

    def apply_model(executor, x, t, c_concat, c_crossattn, control, transformer_options, **kwargs):
        chunks = transformer_options.get("cond_or_uncond") or [0]
        batch = x.shape[0] // len(chunks)
        sigma = t.tolist()  # the call's one device read: the noise seeds depend on σ; all else is decided on the CPU
        times = normalised_time(on_cpu(executor.class_obj.model_sampling), torch.tensor(sigma))
        gamma = S.cads_gamma(times, tau1, tau2)
        sample_seeds_ = transformer_options.get(SEEDS_KEY)
        if sample_seeds_ is None or len(sample_seeds_) != batch:  # called outside a sampler run: seeds by position
            sample_seeds_ = S.sample_seeds(None, None, batch)
        width = POOLED_WIDTH.get(type(executor.class_obj))
        y = kwargs.get("y")
        tokens = c_crossattn is not None and c_crossattn.shape[0] == x.shape[0]
        pooled = width is not None and y is not None and y.shape[0] == x.shape[0]
        for j, chunk in enumerate(chunks):
            rows = slice(j * batch, (j + 1) * batch)
            if chunk not in targets or not bool((gamma[rows] < 1).any()):
                continue
            sigmas = sigma[rows]
            if tokens:
                c_crossattn = _anneal(c_crossattn, rows, gamma[rows], call_seeds(sample_seeds_, sigmas, 2 * chunk),
                                      noise_scale, psi, rescale)
            if pooled:
                y = _anneal(y, rows, gamma[rows], call_seeds(sample_seeds_, sigmas, 2 * chunk + 1), noise_scale, psi,
                            rescale, width)
        if pooled:
            kwargs["y"] = y
        return executor(x, t, c_concat, c_crossattn, control, transformer_options, **kwargs)
    return apply_model


def _anneal(y: torch.Tensor, rows: slice, gamma: torch.Tensor, seeds: list[int], noise_scale: float, psi: float,
            rescale: bool, width: int | None = None) -> torch.Tensor:
    """A copy of y whose rows (and only their first `width` features) get CADS, row k's noise seeded by seeds[k]."""
    part = y[rows, :width]
    noise = S.seeded_normal(seeds, part.shape[1:], dtype=y.dtype, device=y.device)
    out = y.clone()
    out[rows, :width] = S.cads_noise(part, gamma, noise_scale, psi=psi, rescale=rescale, noise=noise)
    return out


class SamplerLabCADS:
    DISPLAY_NAME = "CADS (Sampler Lab)"
    DESCRIPTION = ("Condition-Annealed Diffusion Sampler (Sadat et al. ICLR 2024): at each model call the conditioning "
                   "becomes √γ(t)·y + s·√(1−γ(t))·n, γ = 0 at high noise (t ≥ τ2), 1 at low noise (t ≤ τ1), linear "
                   "between; optionally rescaled to y's mean/std and mixed by ψ. Restores diversity at high CFG. Noise "
                   "is fresh each step and seeded per image.")
    CATEGORY = PATCHES
    SEARCH_ALIASES = ["cads", "condition annealing", "conditioning noise", "diversity"]
    RETURN_TYPES = ("MODEL",)
    FUNCTION = "patch"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "model": ("MODEL", {"tooltip": "The model to patch (a patched copy is returned)."}),
                "noise_scale": ("FLOAT", {"default": 0.25, "min": 0.0, "max": 10.0, "step": 0.005,
                                          "tooltip": "s: std of the noise added to the conditioning where γ = 0 "
                                                     "(paper: 0.025–0.25)."}),
                "tau1": ("FLOAT", {"default": 0.6, "min": 0.0, "max": 1.0, "step": 0.01,
                                   "tooltip": "τ1: below this t (t = 1 pure noise, 0 clean) the conditioning is left "
                                              "clean (γ = 1)."}),
                "tau2": ("FLOAT", {"default": 0.9, "min": 0.0, "max": 1.0, "step": 0.01,
                                   "tooltip": "τ2: above this t the conditioning is fully noised (γ = 0). Needs τ1 ≤ "
                                              "τ2."}),
                "psi": ("FLOAT", {"default": 1.0, "min": 0.0, "max": 1.0, "step": 0.01, "advanced": True,
                                  "tooltip": "ψ: mix of the rescaled (to y's mean/std) and unrescaled noisy "
                                             "conditioning; 1 = fully rescaled."}),
            },
            "optional": {
                "rescale": ("BOOLEAN", {"default": True, "advanced": True, "tooltip": "Rescale the noisy conditioning "
                                                                                      "back to the original mean and "
                                                                                      "std (then mixed by ψ)."}),
                "apply_to_negative": ("BOOLEAN", {"default": False, "advanced": True, "tooltip": "Also anneal the "
                                                                                                 "negative "
                                                                                                 "conditioning (the "
                                                                                                 "paper anneals the "
                                                                                                 "positive)."}),
                "seed": ("INT",
                         {"default": 0, "min": 0, "max": 0xffffffffffffffff, "advanced": True,
                          "tooltip": "Extra seed for the CADS noise, mixed with the sampler's seed."}),
            },
        }

    def patch(self, model, noise_scale: float, tau1: float, tau2: float, psi: float, rescale: bool = True,
              apply_to_negative: bool = False, seed: int = 0):
        check_inputs(SamplerLabCADS, noise_scale=noise_scale, tau1=tau1, tau2=tau2, psi=psi, seed=seed)
        if tau1 > tau2:
            raise ValueError(f"input 'tau1' ({tau1}) is above 'tau2' ({tau2}); CADS needs 0 ≤ tau1 ≤ tau2 ≤ 1.")
        targets = (0, 1) if apply_to_negative else (0,)
        m = model.clone()
        m.add_wrapper_with_key(comfy.patcher_extension.WrappersMP.OUTER_SAMPLE, "samplerlab_cads",
                               _remember_sample_seeds)
        m.add_wrapper_with_key(comfy.patcher_extension.WrappersMP.APPLY_MODEL, "samplerlab_cads",
                               cads_wrapper(noise_scale, tau1, tau2, psi, rescale, targets, seed & 0x7fffffffffffffff))
        return (m,)
