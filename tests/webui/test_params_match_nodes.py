"""The accordion's parameter table (sampler_lab_webui/params.py, host-free) equals the ComfyUI nodes' inputs:
defaults, ranges, steps and tooltips, and the ZTSNR node's finite ᾱ_T."""
import importlib
import os

import pytest

import hostlib

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# (accordion parameter, node class, node input)
PAIRS = [("s_churn", "SamplerLabHeunChurn", "s_churn"), ("s_tmin", "SamplerLabHeunChurn", "s_tmin"),
         ("s_tmax", "SamplerLabHeunChurn", "s_tmax"), ("s_noise", "SamplerLabHeunChurn", "s_noise"),
         ("rho", "SamplerLabKarrasSigmas", "rho"), ("phi", "SamplerLabCFGRescale", "phi"),
         ("noise_scale", "SamplerLabCADS", "noise_scale"), ("tau1", "SamplerLabCADS", "tau1"),
         ("tau2", "SamplerLabCADS", "tau2"), ("psi", "SamplerLabCADS", "psi"),
         ("cads_rescale", "SamplerLabCADS", "rescale"), ("cads_negative", "SamplerLabCADS", "apply_to_negative"),
         ("cads_seed", "SamplerLabCADS", "seed")]


def _adapter_params():
    hostlib.load_package("sampler_lab_webui", os.path.join(REPO, "sampler_lab_webui"))
    return importlib.import_module("sampler_lab_webui.params")


def _node_input(pack, node: str, name: str) -> dict:
    inputs = pack.NODE_CLASS_MAPPINGS[node].INPUT_TYPES()
    spec = {**inputs["required"], **inputs.get("optional", {})}[name]
    return spec[1]


@pytest.mark.parametrize("param, node, name", PAIRS)
def test_parameter_equals_the_node_input(host, param, node, name):
    params = _adapter_params()
    ours = params.PARAM_BY_NAME[param]
    theirs = _node_input(host.import_pack(), node, name)
    assert ours.default == theirs["default"] and ours.tooltip == theirs["tooltip"]
    if ours.kind is not bool:
        assert (ours.minimum, ours.maximum) == (theirs["min"], theirs["max"])
        assert ours.step == theirs.get("step", 1)


def test_every_node_parameter_is_in_the_accordion():
    params = _adapter_params()
    assert {p for p, _, _ in PAIRS} | {"rescale_enabled", "cads_enabled", "ztsnr_enabled"} == set(params.PARAM_BY_NAME)
