"""Schedule nodes: Karras σ with ρ (EDM eq. 5), Lin et al. timestep spacing, zero-terminal-SNR rescale."""

from __future__ import annotations

import copy

import comfy.model_sampling

from .. import samplers as S
from .inputs import P, widget, widgets
from .host import check_inputs, form_of, model_classes, model_sampling, noise_level_range, require_discrete

SCHEDULERS = "model/sampling/schedulers"
#: Smallest σmin taken: a float32 latent of order 10 moves in steps of 1e-6, so smaller noise is not representable,
#: and Heun's step down to it multiplies rounding errors by σmax/σmin.
SIGMA_FLOOR = 1e-5
#: What the two nodes that read a model's timestep table take, as their refusals say.
SPACING_FITS = (
    "Lin et al.'s spacing picks among a model's discrete timesteps: the training timesteps of DDPM-style "
    "models (SD1.x, SD2.x, SDXL, Stable Cascade) or the evenly spaced t of a flow model's timestep table "
    "(SD3.5, Flux dev and schnell, Chroma, Qwen-Image, Wan, HunyuanVideo, HiDream, Lumina 2, Z-Image, "
    "LTXV). Use SamplerLabKarrasSigmas for continuous schedules (Cosmos, Cosmos Predict2, SVD, "
    "Stable Audio, a ModelSamplingContinuousEDM patch)."
)
ZERO_SNR_FITS = (
    "Lin et al.'s rescale needs a discrete DDPM schedule with v-prediction (or x0): SD2.x-v, "
    "v-prediction SDXL fine-tunes (NoobAI-style)."
)


class SamplerLabKarrasSigmas:
    DISPLAY_NAME = "Karras Sigmas ρ (Sampler Lab)"
    DESCRIPTION = (
        "Noise levels of Karras et al. 2022 (EDM), eq. 5: σ_i = (σmax^(1/ρ) + i/(N−1)(σmin^(1/ρ) − "
        "σmax^(1/ρ)))^ρ, then σ_N = 0. ρ = 7 is the paper's choice; larger ρ spends more steps at low "
        "noise. With a model connected, σmin/σmax at 0 mean the model's own range. On a flow model (SD3, "
        "Flux, Wan, …) eq. 5 runs over its noise level σ = t/(1−t) (up to σmax 80, as its σ(1) is infinite) "
        "and the output is that model's t; measured more accurate there than karras over t."
    )
    CATEGORY = SCHEDULERS
    SEARCH_ALIASES = ["karras", "edm", "rho", "karras schedule", "sigmas"]
    RETURN_TYPES = ("SIGMAS",)
    FUNCTION = "get_sigmas"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "steps": widget(P.KARRAS_STEPS),
                **widgets(P.SIGMA_MIN, P.SIGMA_MAX, P.RHO),
            },
            "optional": {
                "model": ("MODEL", {"tooltip": "Optional: supplies σmin/σmax where those inputs are 0."}),
            },
        }

    def get_sigmas(self, steps: int, sigma_min: float, sigma_max: float, rho: float, model=None):
        check_inputs(SamplerLabKarrasSigmas, steps=steps, sigma_min=sigma_min, sigma_max=sigma_max, rho=rho)
        if 0 < sigma_min < SIGMA_FLOOR:
            raise ValueError(
                f"input 'sigma_min' = {sigma_min:g} is below {SIGMA_FLOOR:g}: noise that small is below a "
                f"float32 latent's resolution; enter at least {SIGMA_FLOOR:g} (or 0 for the model's own)."
            )
        form = S.VE if model is None else form_of(model_sampling(model))
        if model is not None:
            model_min, model_max = noise_level_range(model)
            sigma_min = sigma_min or model_min
            sigma_max = sigma_max or model_max
        elif sigma_min == 0.0 or sigma_max == 0.0:
            raise ValueError(
                "inputs 'sigma_min'/'sigma_max' are 0, which means 'the model's range', but no 'model' is "
                "connected: connect a model or enter both values (SD1.x: sigma_min 0.0292, sigma_max "
                "14.61)."
            )
        if sigma_min >= sigma_max:
            raise ValueError(
                f"input 'sigma_min' ({sigma_min:g}) is not below 'sigma_max' ({sigma_max:g}); "
                "enter sigma_min < sigma_max."
            )
        return (S.karras_levels(steps, sigma_min, sigma_max, rho, form),)  # a flow model's t of eq. 5's σ


class SamplerLabSpacingSigmas:
    DISPLAY_NAME = "Timestep Spacing Sigmas (Sampler Lab)"
    DESCRIPTION = (
        "σ at the timesteps that Lin et al. 2024 (Table 2) call leading, linspace or trailing, taken from "
        "the model's discrete schedule, then 0. Trailing always starts at the last timestep, as a "
        "zero-terminal-SNR model needs."
    )
    CATEGORY = SCHEDULERS
    SEARCH_ALIASES = ["trailing", "leading", "linspace", "timestep spacing", "zero snr schedule"]
    RETURN_TYPES = ("SIGMAS",)
    FUNCTION = "get_sigmas"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "model": (
                    "MODEL",
                    {
                        "tooltip": "A model with a timestep table: DDPM-style (SD1.x, SD2.x, SDXL…) or "
                        "a flow model's (SD3.5, Flux, Wan…); not a continuous EDM schedule."
                    },
                ),
                **widgets(P.SPACING_STEPS, P.SPACING),
            },
        }

    def get_sigmas(self, model, steps: int, spacing: str):
        check_inputs(SamplerLabSpacingSigmas, steps=steps)
        table = require_discrete(model, SPACING_FITS).float().cpu()
        S.check_steps_within_timesteps(steps, len(table))
        return (S.sigmas_for_timesteps(table, S.spacing_timesteps(spacing, steps, len(table))),)


class SamplerLabZeroTerminalSNR:
    DISPLAY_NAME = "Zero Terminal SNR (Sampler Lab)"
    DESCRIPTION = (
        "Rescales the model's discrete noise schedule to zero terminal SNR (Lin et al. 2024, Algorithm 1): "
        "sqrt(ᾱ) "
        "shifted and scaled so the first timestep keeps its value and the last reaches 0. Only for "
        "v-prediction "
        "(or x0) models: ε-prediction cannot denoise pure noise. σ at the last timestep is held finite "
        f"(ᾱ_T = {S.ZERO_SNR_ALPHA_CUMPROD:.3g}) so samplers can start there. Returns a patched copy; the "
        f"input model is untouched."
    )
    CATEGORY = "model/patch"
    SEARCH_ALIASES = ["zsnr", "zero snr", "zero terminal snr", "snr rescale", "v-prediction"]
    RETURN_TYPES = ("MODEL",)
    FUNCTION = "patch"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "model": (
                    "MODEL",
                    {"tooltip": "A v-prediction model with a discrete schedule, e.g. SD2.x-v or a zero-SNR fine-tune."},
                )
            }
        }

    def patch(self, model):
        ms = model_sampling(model)
        table = require_discrete(model, ZERO_SNR_FITS)
        if not isinstance(ms, comfy.model_sampling.ModelSamplingDiscrete):  # a flow model's timestep table
            raise ValueError(
                f"input 'model' ({model_classes(model)}) is a flow model, whose schedule already ends at "
                f"pure noise (t = 1): it needs no zero-terminal-SNR rescale. {ZERO_SNR_FITS}"
            )
        if isinstance(ms, comfy.model_sampling.EPS) and not isinstance(
            ms, (comfy.model_sampling.V_PREDICTION, comfy.model_sampling.X0)
        ):
            raise ValueError(
                "input 'model' predicts ε, which carries no information about the image at zero SNR (Lin "
                "et al. §3.2); use a v-prediction model, or put a ModelSamplingDiscrete node set to "
                "v_prediction before this one if the checkpoint is v-prediction."
            )
        patched = copy.deepcopy(ms)
        patched.set_sigmas(S.zero_terminal_snr_sigmas(table))
        m = model.clone()
        m.add_object_patch("model_sampling", patched)
        return (m,)
