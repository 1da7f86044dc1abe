"""Weightless demo model: the exact (posterior-mean) denoiser of a small generated image data set, as a ComfyUI MODEL.

The data set (`dataset.py`, ours, generated) is 320 RGB images of 16×16 in 4 classes. The "latent" is the image
itself (3 channels, identity latent format), so an EmptyLatentImage of 128×128 gives a 3×16×16 latent after the host's
`fix_empty_latent_channels`. The model is a `comfy.model_base.BaseModel` with the host's discrete SD1 noise schedule and
ε or v prediction; its `diffusion_model` computes D(x; σ) = E[x0 | x] exactly from the data set at the exact σ of the
call and returns the output for its prediction type, so every sampler, schedule and patch has its true effect.

Conditioning is a class-probability vector (CONDITIONING tensor [1, 1, K]): a class is one-hot, 'unconditional' is
uniform (every class has the same number of images, so that is the whole set). A vector changed by CADS noise is read
as class probabilities relu(c)/Σ relu(c) (uniform if all ≤ 0).
"""

from __future__ import annotations

import functools

import comfy.latent_formats
import comfy.model_base
import comfy.model_management
import comfy.model_patcher
import comfy.supported_models_base
import torch

from .. import samplers as S
from ..nodes.host import check_inputs
from .dataset import CLASSES, class_weights, make_dataset

DEMO = "model/sampling/sampler_lab/demo"
SIGMA_KEY = "samplerlab_demo_sigma"
PREDICTIONS = {"eps": comfy.model_base.ModelType.EPS, "v_prediction": comfy.model_base.ModelType.V_PREDICTION}
#: Largest IMAGE the decode nodes make (values, i.e. 256 MiB in float32).
MAX_IMAGE_VALUES = 2**26


def require_demo_latent(x: torch.Tensor, name: str) -> None:
    """Refuse a latent the demo model cannot have made, saying which it takes."""
    shape = tuple(make_dataset()[0].shape[1:])
    if x.ndim != 4 or tuple(x.shape[1:]) != shape:
        raise ValueError(
            f"input '{name}' has shape {tuple(x.shape)}; the demo model takes latents of "
            f"{'×'.join(map(str, shape))} (batch × {shape[0]} × {shape[1]} × {shape[2]}): make them with "
            f"an EmptyLatentImage of {8 * shape[1]}×{8 * shape[2]} pixels."
        )


class DemoLatentFormat(comfy.latent_formats.LatentFormat):
    """The latent is the RGB image in [-1, 1]: 3 channels, no scaling, identity previews."""

    scale_factor = 1.0
    latent_channels = 3
    latent_dimensions = 2

    def __init__(self):
        self.latent_rgb_factors = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
        self.latent_rgb_factors_bias = [0.0, 0.0, 0.0]


class DemoModelConfig(comfy.supported_models_base.BASE):
    unet_config = {"disable_unet_model_creation": True}
    unet_extra_config = {}
    latent_format = DemoLatentFormat
    sampling_settings = {}  # the host's default discrete schedule: SD1's linear β, 1000 steps, σ ∈ [0.0292, 14.61]
    memory_usage_factor = 0.01
    supported_inference_dtypes = [torch.float32]


def class_probabilities(context: torch.Tensor | None, batch: int) -> torch.Tensor:
    """[B, K] class probabilities from a conditioning tensor [B, tokens, K] (mean over tokens)."""
    k = len(CLASSES)
    if context is None:
        return torch.full((batch, k), 1.0 / k)
    c = context.float().reshape(context.shape[0], -1, k).mean(1).clamp(min=0.0)
    total = c.sum(1, keepdim=True)
    uniform = torch.full_like(c, 1.0 / k)
    return torch.where(total > 0, c / total.clamp(min=1e-30), uniform)


class DemoDenoiser(torch.nn.Module):
    """The `diffusion_model`: reads the exact σ, undoes the input scaling, returns ε or v of the exact denoiser."""

    def __init__(self, model_type: comfy.model_base.ModelType):
        super().__init__()
        images, labels = make_dataset()
        self.images = images.clone()  # [N, 3, H, W] in [-1, 1]
        self.labels = labels.clone()
        self.means64 = images.reshape(images.shape[0], -1).double()
        self.sq_norms = (self.means64**2).sum(1)
        self.counts = torch.bincount(labels, minlength=len(CLASSES)).double()
        self.model_type = model_type
        self.dtype = torch.float32
        self.sigma_data = 1.0

    def denoised(self, x: torch.Tensor, sigma: torch.Tensor, context: torch.Tensor | None) -> torch.Tensor:
        """D(x; σ) per row, with each row's class probabilities from `context`."""
        if self.means64.device != x.device:
            self.means64, self.sq_norms = self.means64.to(x.device), self.sq_norms.to(x.device)
        probs = class_probabilities(context, x.shape[0]).double()
        per_image = probs[:, self.labels] / self.counts[self.labels][None]  # [B, N]: w_i = π_class(i) / n_class(i)
        xf = x.reshape(x.shape[0], -1).double()
        var = (sigma.double().reshape(-1, 1) ** 2).clamp(min=1e-20)  # σ = 0 (never called by samplers): nearest image
        out = S.mixture_posterior_mean(xf, var, self.means64, self.sq_norms, per_image.log().to(x.device))
        return out.reshape(x.shape).float()

    def forward(self, xc, t, context=None, control=None, transformer_options={}, **kwargs):
        require_demo_latent(xc, "latent_image")
        sigma = transformer_options.get(SIGMA_KEY)
        if sigma is None:
            raise RuntimeError("SamplerLab demo model: exact σ missing (call it through the model's apply_model)")
        sigma = sigma.to(xc.device, torch.float32).reshape(-1)
        if sigma.numel() != xc.shape[0]:
            sigma = sigma.repeat(xc.shape[0] // sigma.numel())
        s = sigma.reshape(-1, *([1] * (xc.ndim - 1)))
        sd2 = self.sigma_data**2
        x = xc.float() * (s**2 + sd2) ** 0.5  # undo calculate_input: xc = x / sqrt(σ² + σ_data²)
        d = self.denoised(x, sigma, context)
        if self.model_type == comfy.model_base.ModelType.V_PREDICTION:
            # host: D = x·σd²/(σ²+σd²) − v·σ·σd/sqrt(σ²+σd²)
            return (x * sd2 / (s**2 + sd2) - d) * (s**2 + sd2) ** 0.5 / (s * self.sigma_data)
        return (x - d) / s  # ε: D = x − σ·ε


class DemoModel(comfy.model_base.BaseModel):
    """BaseModel whose diffusion model gets the exact σ of every call (the integer timestep is rounded)."""

    def __init__(self, model_type: comfy.model_base.ModelType, device=None):
        super().__init__(DemoModelConfig({"disable_unet_model_creation": True}), model_type=model_type, device=device)
        self.diffusion_model = DemoDenoiser(model_type)

    def _apply_model(self, x, t, c_concat=None, c_crossattn=None, control=None, transformer_options={}, **kwargs):
        transformer_options = {**transformer_options, SIGMA_KEY: t.detach().float()}
        return super()._apply_model(x, t, c_concat, c_crossattn, control, transformer_options, **kwargs)

    def get_dtype(self):
        return torch.float32


@functools.lru_cache(maxsize=None)
def demo_model(prediction: str = "eps") -> comfy.model_patcher.ModelPatcher:
    """The demo MODEL (a ModelPatcher) for 'eps' or 'v_prediction'."""
    if prediction not in PREDICTIONS:
        raise ValueError(f"input 'prediction' must be one of {list(PREDICTIONS)}, got {prediction!r}")
    load = comfy.model_management.get_torch_device()
    model = DemoModel(PREDICTIONS[prediction], device=load).to(load)
    return comfy.model_patcher.ModelPatcher(
        model, load_device=load, offload_device=comfy.model_management.unet_offload_device()
    )


def class_conditioning(name: str) -> list:
    """CONDITIONING for a class name or 'unconditional': [[tensor [1, 1, K], {}]]."""
    if name != "unconditional" and name not in CLASSES:
        raise ValueError(f"input 'class_name' must be 'unconditional' or one of {list(CLASSES)}, got {name!r}")
    return [[class_weights(name).reshape(1, 1, -1), {}]]


class SamplerLabDemoModel:
    DISPLAY_NAME = "Demo Model (exact denoiser) (Sampler Lab)"
    DESCRIPTION = (
        "Weightless demo model: the exact posterior-mean denoiser of a generated data set of 320 RGB images "
        "(16×16, "
        f"classes {', '.join(CLASSES)}). The latent is the image itself (EmptyLatentImage 128×128 → 16×16). "
        "Discrete SD1 noise schedule; ε or v prediction. Decode with 'Demo Decode'."
    )
    CATEGORY = DEMO
    RETURN_TYPES = ("MODEL",)
    FUNCTION = "load"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "prediction": (
                    list(PREDICTIONS),
                    {
                        "default": "eps",
                        "tooltip": "What the model outputs: ε (noise) or v (Salimans & Ho). "
                        "The denoised result is the same exact D(x; σ).",
                    },
                )
            }
        }

    def load(self, prediction: str):
        return (demo_model(prediction),)


class SamplerLabDemoClass:
    DISPLAY_NAME = "Demo Class Conditioning (Sampler Lab)"
    DESCRIPTION = (
        "Conditioning for the demo model: one class of the data set, or 'unconditional' (the whole set) for "
        "the negative."
    )
    CATEGORY = DEMO
    RETURN_TYPES = ("CONDITIONING",)
    FUNCTION = "encode"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "class_name": (
                    ["unconditional", *CLASSES],
                    {
                        "default": CLASSES[0],
                        "tooltip": "The class to sample; 'unconditional' = the whole data set "
                        "(use it as the negative for CFG).",
                    },
                )
            }
        }

    def encode(self, class_name: str):
        return (class_conditioning(class_name),)


class SamplerLabDemoDecode:
    DISPLAY_NAME = "Demo Decode (Sampler Lab)"
    DESCRIPTION = (
        "Demo model latent → IMAGE: the latent is the RGB image in [-1, 1]; upscaled with nearest neighbour "
        "so pixels stay visible."
    )
    CATEGORY = DEMO
    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "decode"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "samples": ("LATENT", {"tooltip": "A latent sampled with the demo model (3 channels)."}),
                "scale": ("INT", {"default": 8, "min": 1, "max": 64, "tooltip": "Nearest-neighbour upscale factor."}),
            }
        }

    def decode(self, samples, scale: int):
        check_inputs(SamplerLabDemoDecode, scale=scale)
        x = samples["samples"]
        require_demo_latent(x, "samples")
        if not torch.isfinite(x).all():
            raise ValueError("input 'samples' holds NaN or inf values; check the node that made the latent.")
        if x.numel() * scale**2 > MAX_IMAGE_VALUES:
            largest = int((MAX_IMAGE_VALUES / x.numel()) ** 0.5)
            gib = x.numel() * scale**2 * 4 / 2**30
            raise ValueError(
                f"input 'scale' = {scale} makes an image of {gib:.2g} GiB "
                f"for {x.shape[0]} images; use a scale of at most {largest} (or fewer images)."
            )
        img = ((x.float() + 1.0) / 2.0).clamp(0.0, 1.0)
        if scale > 1:
            img = torch.nn.functional.interpolate(img, scale_factor=scale, mode="nearest")
        return (img.movedim(1, -1).cpu(),)


class SamplerLabDemoDataset:
    DISPLAY_NAME = "Demo Data Set (Sampler Lab)"
    DESCRIPTION = (
        "The demo data set itself as an IMAGE batch (some images of one class, or of all), to compare samples with."
    )
    CATEGORY = DEMO
    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "images"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "class_name": (
                    ["unconditional", *CLASSES],
                    {"default": "unconditional", "tooltip": "'unconditional' = all classes."},
                ),
                "count": (
                    "INT",
                    {"default": 8, "min": 1, "max": 320, "tooltip": "How many images (evenly spread over the class)."},
                ),
                "scale": ("INT", {"default": 8, "min": 1, "max": 64, "tooltip": "Nearest-neighbour upscale factor."}),
            }
        }

    def images(self, class_name: str, count: int, scale: int):
        check_inputs(SamplerLabDemoDataset, count=count, scale=scale)
        images, labels = make_dataset()
        if class_name != "unconditional":
            images = images[labels == CLASSES.index(class_name)]
        idx = torch.linspace(0, images.shape[0] - 1, min(count, images.shape[0])).round().long()
        return SamplerLabDemoDecode().decode({"samples": images[idx]}, scale)


DEMO_NODES = (SamplerLabDemoModel, SamplerLabDemoClass, SamplerLabDemoDecode, SamplerLabDemoDataset)
