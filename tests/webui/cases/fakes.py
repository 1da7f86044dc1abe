"""Small SD1-shaped / SDXL-shaped models for the real host samplers: a deterministic, cheap, conditioning-dependent
"UNet" behind the host's own model interfaces (A1111's LatentDiffusion-like `apply_model`, Forge's KModel with the
host's own predictor inside a real UnetPatcher), plus the host's conditioning objects for a batch of prompts."""

from __future__ import annotations

import types

import torch

SD1 = dict(context=768, tokens=77, vector=None)
SDXL = dict(context=2048, tokens=77, vector=2816)


def sd_alphas_cumprod() -> torch.Tensor:
    """SD's scaled-linear schedule (β from 0.00085 to 0.012, 1000 steps)."""
    betas = torch.linspace(0.00085**0.5, 0.012**0.5, 1000, dtype=torch.float64) ** 2
    return torch.cumprod(1 - betas, 0).float()


class Net(torch.nn.Module):
    """F(x, t, c): a nonlinear function of the latent, the timestep, the tokens and (SDXL) the whole vector.
    Records the conditioning of every call in `calls`."""

    def __init__(self, shape: dict):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.shape = shape
        self.w_ctx = torch.nn.Parameter(torch.randn(shape["context"], 4, generator=g) / shape["context"] ** 0.5)
        self.w_vec = (
            torch.nn.Parameter(torch.randn(shape["vector"], 4, generator=g) / shape["vector"] ** 0.5)
            if shape["vector"]
            else None
        )
        self.calls: list[dict] = []

    def forward(self, x, t, context, vector=None):
        self.calls.append(
            {
                "t": t.detach().clone(),
                "context": context.detach().clone(),
                "chunks": [0, 1],
                "vector": None if vector is None else vector.detach().clone(),
            }
        )
        h = context.mean(dim=1) @ self.w_ctx
        if vector is not None:
            h = h + vector @ self.w_vec
        ramp = torch.linspace(-1, 1, x.shape[-1])
        return (
            torch.tanh(0.7 * x + (t.float() / 1000)[:, None, None, None]) * 0.8
            + h[:, :, None, None] * ramp[None, None, None, :]
            + 0.1 * x.roll(1, dims=-1)
        )


class A1111Model(torch.nn.Module):
    """Like A1111's loaded checkpoint (`shared.sd_model`): ᾱ table, parameterization, `apply_model(x, t, cond)`."""

    def __init__(self, shape: dict, parameterization: str = "eps"):
        super().__init__()
        self.net = Net(shape)
        self.register_buffer("alphas_cumprod", sd_alphas_cumprod())
        self.alphas_cumprod_original = self.alphas_cumprod.clone()
        self.parameterization = parameterization
        self.is_sdxl = shape["vector"] is not None
        self.cond_stage_key = "txt"
        self.model = types.SimpleNamespace(conditioning_key="crossattn")
        self.sd_checkpoint_info = None

    def apply_model(self, x, t, cond):
        if "c_crossattn" in cond:
            return self.net(x, t, cond["c_crossattn"][0])
        return self.net(x, t, cond["crossattn"], cond["vector"])


def forge_model(shape: dict, prediction_type: str = "epsilon", predictor=None, denoiser=None):
    """Like Forge's loaded checkpoint: `forge_objects.unet`, a real UnetPatcher around a KModel-like module whose
    predictor is Forge's own `Prediction` (or `predictor`, e.g. its PredictionDiscreteFlow). `denoiser(x, σ)`: an
    exact x0 prediction that replaces the network (the same for every conditioning, so CFG leaves it as it is)."""
    from backend.modules.k_prediction import Prediction
    from backend.patcher.unet import UnetPatcher

    class KModel(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.net = Net(shape)
            self.predictor = (
                predictor
                if predictor is not None
                else Prediction(
                    prediction_type=prediction_type, beta_schedule="linear", linear_start=0.00085, linear_end=0.012
                )
            )
            self.diffusion_model = self.net
            self.computation_dtype = torch.float32
            self.storage_dtype = torch.float32

        def apply_model(self, x, t, c_crossattn=None, y=None, transformer_options=None, **_):
            sigma = t
            if denoiser is not None:
                return denoiser(x, sigma)
            xc = self.predictor.calculate_input(sigma, x)
            out = self.net(xc, self.predictor.timestep(sigma).float(), c_crossattn, y)
            self.net.calls[-1]["chunks"] = list((transformer_options or {}).get("cond_or_uncond", [0, 1]))
            return self.predictor.calculate_denoised(sigma, out, x)

        def memory_required(self, input_shape):
            return 0

    kmodel = KModel()
    cpu = torch.device("cpu")
    unet = UnetPatcher(kmodel, load_device=cpu, offload_device=cpu, current_device=cpu)
    model = types.SimpleNamespace(
        forge_objects=types.SimpleNamespace(unet=unet),
        is_sdxl=shape["vector"] is not None,
        cond_stage_key="txt",
        model=types.SimpleNamespace(conditioning_key="crossattn"),
        sd_checkpoint_info=None,
        net=kmodel.net,
        predictor=kmodel.predictor,
    )
    return model


def prompt_cond(shape: dict, index: int):
    """The conditioning of prompt number `index` (a tensor, or SDXL's {crossattn, vector})."""
    g = torch.Generator().manual_seed(1000 + index)
    ctx = torch.randn(shape["tokens"], shape["context"], generator=g)
    if shape["vector"] is None:
        return ctx
    return {"crossattn": ctx, "vector": torch.randn(shape["vector"], generator=g)}


def conds(prompt_parser, shape: dict, prompts: list[int], negatives: list[int], steps: int):
    """The host's (cond, uncond) for one prompt and one negative per image (`MulticondLearnedConditioning` and
    the scheduled uncond list), as `p.c` / `p.uc` hold them."""
    sched = prompt_parser.ScheduledPromptConditioning
    cond = prompt_parser.MulticondLearnedConditioning(
        shape=(len(prompts),),
        batch=[
            [prompt_parser.ComposableScheduledPromptConditioning([sched(steps, prompt_cond(shape, k))], 1.0)]
            for k in prompts
        ],
    )
    uncond = [[sched(steps, prompt_cond(shape, k))] for k in negatives]
    return cond, uncond
