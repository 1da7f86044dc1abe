"""The `Sampler Lab Karras` (EDM eq. 5 with this generation's ρ) and Lin et al. spacing schedulers, registered
in the host's schedule-type list (A1111 1.10, Forge) or as values of Forge Classic's global 'Scheduler type' option
(`k_sched_type`, which Classic's `KDiffusionSampler.get_sigmas` reads)."""

from __future__ import annotations

from typing import Any, Callable

import torch

from . import core
from .detect import has_scheduler_list, model_form
from .params import Settings, core_refusal
from .run import active
from .sampler import clear_name_cache

SCHEDULERS = {
    "samplerlab_karras": "Sampler Lab Karras",
    "samplerlab_trailing": "Sampler Lab trailing",
    "samplerlab_linspace": "Sampler Lab linspace",
    "samplerlab_leading": "Sampler Lab leading",
}


def karras_schedule(n: int, sigma_min: float, sigma_max: float, device=None, **_: Any) -> torch.Tensor:
    """EDM eq. 5 with the accordion's ρ over the range the host passes (the model's, unless the user overrides), as
    noise levels σ (`samplers.karras_levels`): on flow models eq. 5 runs over σ = t/(1 − t) up to a finite σmax and
    is mapped back to the model's t. The host passes no handle to the generation: ρ is the active run's."""
    from modules import shared

    run = active()
    rho = run.settings.rho if run is not None else Settings.rho
    form = model_form(shared.sd_model)
    low, high = core.noise_level_range(form, float(sigma_min), float(sigma_max))
    return core.karras_levels(int(n), low, high, rho, form, device=device)


def model_sigmas(inner_model) -> torch.Tensor:
    """The model's discrete σ table: the k-diffusion wrapper's (A1111, Forge), or, where the host passes none (Forge
    Classic), the one that wrapper builds from the loaded model's ᾱ table."""
    if inner_model is not None:
        return inner_model.sigmas.detach().float().cpu()
    from modules import shared

    return core.sigmas_from_alphas_cumprod(shared.sd_model.alphas_cumprod.detach().double().cpu()).float()


def spacing_schedule(spacing: str) -> Callable[..., torch.Tensor]:
    """Lin et al. 2024 Table 2 spacing on the model's discrete σ table (index = timestep)."""

    def schedule(n: int, sigma_min: float = 0.0, sigma_max: float = 0.0, inner_model=None, device=None, **_: Any):
        table = model_sigmas(inner_model)
        with core_refusal():
            core.check_steps_within_timesteps(int(n), len(table))
        return core.sigmas_for_timesteps(table, core.spacing_timesteps(spacing, int(n), len(table))).to(device)

    schedule.__name__ = f"samplerlab_{spacing}"
    return schedule


def schedule_function(name: str) -> Callable[..., torch.Tensor]:
    """The function of the schedule `name` (a key of SCHEDULERS)."""
    return karras_schedule if name == "samplerlab_karras" else spacing_schedule(name.removeprefix("samplerlab_"))


def register_schedulers() -> bool:
    """The four schedules in the host's schedule-type list, or as Forge Classic's 'Scheduler type' values
    (idempotent). False where the host has neither."""
    if not has_scheduler_list():
        return register_classic_schedules()
    from modules import sd_samplers, sd_schedulers

    for name, label in SCHEDULERS.items():
        if name in sd_schedulers.schedulers_map:
            continue
        entry = sd_schedulers.Scheduler(
            name, label, schedule_function(name), need_inner_model=name != "samplerlab_karras"
        )
        sd_schedulers.schedulers.append(entry)
        sd_schedulers.schedulers_map[name] = sd_schedulers.schedulers_map[label] = entry
    clear_name_cache(sd_samplers)
    return True


def register_classic_schedules() -> bool:
    """Forge Classic: the four schedules as values of the `k_sched_type` option (its table of schedule functions,
    which its X/Y/Z 'Schedule type' axis also lists, and the option's choices in Settings)."""
    from modules import sd_samplers_kdiffusion, shared

    functions = getattr(sd_samplers_kdiffusion, "k_diffusion_scheduler", None)
    option = shared.opts.data_labels.get("k_sched_type")
    if functions is None or option is None:
        return False
    choices = option.component_args.get("choices") if isinstance(option.component_args, dict) else None
    for name in SCHEDULERS:
        functions.setdefault(name, schedule_function(name))
        if isinstance(choices, list) and name not in choices:
            choices.append(name)
    return True


def chosen_schedules(p) -> tuple:
    """The schedules of this generation's first and hires pass (Forge Classic: its global option for both)."""
    if not has_scheduler_list():
        from modules import shared

        return (getattr(shared.opts, "k_sched_type", None),)
    return getattr(p, "scheduler", None), getattr(p, "hr_scheduler", None)


def uses_karras(p) -> bool:
    """This generation's first or hires pass uses the `Sampler Lab Karras` schedule (by name or label)."""
    chosen = chosen_schedules(p)
    return "samplerlab_karras" in chosen or SCHEDULERS["samplerlab_karras"] in chosen
