"""The real sampler, scheduler and callback modules of an A1111 1.10.1 or Forge tree in this (fresh) interpreter.

Stand-ins only for what needs a running UI or model weights: `modules.shared` (options, state, the loaded model),
`modules.devices`, name-only `gradio` / `fastapi`, and name-only modules for the image, VAE-preview and checkpoint
code that the sampler modules import but these tests never reach (`images`, `sd_vae_approx`, `sd_vae_taesd`,
`sd_models`, `extensions`, Forge's `main_entry`). Everything else —
`sd_samplers*`, `sd_schedulers`, `script_callbacks`, `sd_samplers_cfg_denoiser`, `prompt_parser`, `rng`, k-diffusion,
Forge's `backend/` sampling function, predictor and model patcher — is the host's own code.

    host = webui_host.load("a1111", ROOT)   # or "forge"
    host.use_model(FakeModel(...))           # shared.sd_model
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import os
import sys
import types

import torch

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

OPTIONS = dict(
    randn_source="CPU",
    eta_noise_seed_delta=0,
    always_discard_next_to_last_sigma=False,
    use_old_karras_scheduler_sigmas=False,
    sigma_min=0.0,
    sigma_max=0.0,
    rho=0.0,
    sgm_noise_multiplier=False,
    skip_early_cond=0.0,
    s_min_uncond_all=False,
    pad_cond_uncond=False,
    pad_cond_uncond_v0=False,
    batch_cond_uncond=True,
    live_preview_content="Prompt",
    live_previews_enable=False,
    show_progress_every_n_steps=0,
    enable_quantization=False,
    s_churn=0.0,
    s_tmin=0.0,
    s_tmax=0.0,
    s_noise=1.0,
    eta_ancestral=1.0,
    eta_ddim=0.0,
    hide_samplers=[],
    no_dpmpp_sde_batch_determinism=False,
    img2img_extra_noise=0.0,
    refiner_switch_by_sample_steps=False,
    sd_noise_schedule="Default",
    use_downcasted_alpha_bar=False,
    img2img_fix_steps=False,
    beta_dist_alpha=0.6,
    beta_dist_beta=0.6,
    show_progress_type="Approx cheap",
    forge_try_reproduce="None",
)


class Options:
    """`shared.opts`: the settings the sampler modules read, with the web UI's defaults; unknown names fail."""

    def __init__(self):
        object.__setattr__(self, "data", dict(OPTIONS))

    def __getattr__(self, name):
        try:
            return self.data[name]
        except KeyError:
            raise AttributeError(f"stand-in opts has no {name!r}") from None

    def __setattr__(self, name, value):
        self.data[name] = value


def _module(name: str, **attrs) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent and parent in sys.modules:
        setattr(sys.modules[parent], child, module)
    return module


class _Tqdm:
    def update(self, *_):
        pass


class Host:
    """The loaded host: its modules by short name, and the stand-in `shared`."""

    def __init__(self, kind: str, root: str):
        self.kind, self.root = kind, root
        self.shared = sys.modules["modules.shared"]

    def __getattr__(self, name):
        return importlib.import_module(f"modules.{name}")

    def use_model(self, model) -> None:
        self.shared.sd_model = model


def _stand_ins(kind: str) -> None:
    _module("gradio", Blocks=type("Blocks", (), {}))
    _module("fastapi", FastAPI=type("FastAPI", (), {}))
    import modules  # the host's package

    cpu = torch.device("cpu")
    state = types.SimpleNamespace(
        interrupted=False,
        skipped=False,
        sampling_step=0,
        sampling_steps=0,
        job="",
        current_latent=None,
        nextjob=lambda: None,
    )
    _module(
        "modules.shared",
        opts=Options(),
        state=state,
        sd_model=None,
        device=cpu,
        total_tqdm=_Tqdm(),
        parallel_processing_allowed=True,
        cmd_opts=types.SimpleNamespace(),
    )
    _module(
        "modules.devices",
        cpu=cpu,
        device=cpu,
        dtype=torch.float32,
        dtype_vae=torch.float32,
        dtype_unet=torch.float32,
        torch_gc=lambda: None,
        autocast=lambda *a, **k: _Null(),
        without_autocast=lambda *a, **k: _Null(),
        test_for_nans=lambda *a, **k: None,
    )
    for name in ("images", "sd_vae_approx", "sd_vae_taesd", "sd_models", "extra_networks"):
        _module(f"modules.{name}")
    _module("modules.extensions", find_extension=lambda filename: None, extensions=[])  # callbacks name their extension
    if kind == "forge":
        # Forge vendors k_diffusion as a namespace package at its root; the PyPI k-diffusion (for A1111) in this
        # venv would shadow it, so the vendored one is bound first, as in a Forge install (which has no PyPI copy).
        path = os.path.join(os.path.dirname(modules.__path__[0]), "k_diffusion")
        spec = importlib.machinery.ModuleSpec("k_diffusion", None, is_package=True)
        spec.submodule_search_locations = [path]
        sys.modules["k_diffusion"] = importlib.util.module_from_spec(spec)
        import modules_forge  # noqa: F401  (the host's package)

        _module("modules_forge.main_entry")
    del modules


class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *_):
        return False


def load(kind: str, root: str) -> Host:
    """Import the host at `root` ("a1111" or "forge") in this process; idempotent within a process."""
    root = os.path.realpath(root)
    for path in [root, os.path.join(root, "packages_3rdparty")] if kind == "forge" else [root]:
        if path not in sys.path:
            sys.path.insert(0, path)
    if "modules.shared" not in sys.modules:
        argv, sys.argv = sys.argv, [sys.argv[0], "--always-cpu"]  # Forge's backend parses argv: its CPU mode
        try:
            _stand_ins(kind)
            for name in (
                "script_callbacks",
                "sd_samplers",
                "sd_schedulers",
                "sd_samplers_kdiffusion",
                "sd_samplers_timesteps",
                "sd_samplers_cfg_denoiser",
                "prompt_parser",
                "rng",
            ):
                importlib.import_module(f"modules.{name}")
            if kind == "forge":
                for name in (
                    "backend.sampling.sampling_function",
                    "backend.patcher.unet",
                    "backend.modules.k_prediction",
                ):
                    importlib.import_module(name)
        finally:
            sys.argv = argv
    return Host(kind, root)
