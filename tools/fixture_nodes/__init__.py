"""Test-only ComfyUI custom nodes for the Sampler Lab harness (never shipped with the pack).

HostServer symlinks this directory as custom_nodes/samplerlab_test_fixtures. The nodes wrap
tools/hostlib.py: a tiny checkpoint (MODEL, CLIP, VAE) that replaces CheckpointLoaderSimple, random
conditioning, and output nodes that report tensor statistics into /history (outputs[node_id]["stats"]).
"""
import importlib.util
import os
import sys

_HOSTLIB_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(__file__))), "hostlib.py")


def _load_hostlib():
    mod = sys.modules.get("hostlib")
    if mod is not None and os.path.realpath(getattr(mod, "__file__", "")) == _HOSTLIB_PATH:
        return mod
    name = "samplerlab_test_hostlib"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, _HOSTLIB_PATH)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


hostlib = _load_hostlib()

CATEGORY = "sampler_lab/testing"


class SamplerLabTestTinyCheckpoint:
    """Drop-in for CheckpointLoaderSimple: a tiny float32 model plus fake CLIP and VAE."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {
            "kind": (list(hostlib.MODEL_KINDS), {"default": "sd15_eps"}),
            "seed": ("INT", {"default": 0, "min": 0, "max": 0xFFFFFFFF}),
        }}

    RETURN_TYPES = ("MODEL", "CLIP", "VAE")
    FUNCTION = "load"
    CATEGORY = CATEGORY

    def load(self, kind, seed):
        return hostlib.tiny_checkpoint(kind, seed)


class SamplerLabTestConditioning:
    """Seeded random CONDITIONING shaped for a tiny model kind (no CLIP needed)."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {
            "kind": (list(hostlib.MODEL_KINDS), {"default": "sd15_eps"}),
            "seed": ("INT", {"default": 0, "min": 0, "max": 0xFFFFFFFF}),
            "batch": ("INT", {"default": 1, "min": 1, "max": 64}),
        }}

    RETURN_TYPES = ("CONDITIONING",)
    FUNCTION = "make"
    CATEGORY = CATEGORY

    def make(self, kind, seed, batch):
        return (hostlib.conditioning_for(kind, seed, batch),)


def _stats_ui(t, include_values):
    s = hostlib.tensor_stats(t)
    if include_values:
        s["values"] = t.detach().float().cpu().flatten().tolist()
    return {"ui": {"stats": [s]}}


class SamplerLabTestLatentStats:
    """Output node: puts shape/finite/mean/std/min/max/sha256 (and optionally all values) of a LATENT
    into the history entry: outputs[<node id>]["stats"][0]."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"samples": ("LATENT",)},
                "optional": {"include_values": ("BOOLEAN", {"default": False})}}

    RETURN_TYPES = ()
    FUNCTION = "report"
    OUTPUT_NODE = True
    CATEGORY = CATEGORY

    def report(self, samples, include_values=False):
        return _stats_ui(samples["samples"], include_values)


class SamplerLabTestImageStats:
    """Output node: the same statistics for an IMAGE."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"images": ("IMAGE",)},
                "optional": {"include_values": ("BOOLEAN", {"default": False})}}

    RETURN_TYPES = ()
    FUNCTION = "report"
    OUTPUT_NODE = True
    CATEGORY = CATEGORY

    def report(self, images, include_values=False):
        return _stats_ui(images, include_values)


class SamplerLabTestSigmasStats:
    """Output node: the same statistics for SIGMAS."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"sigmas": ("SIGMAS",)},
                "optional": {"include_values": ("BOOLEAN", {"default": False})}}

    RETURN_TYPES = ()
    FUNCTION = "report"
    OUTPUT_NODE = True
    CATEGORY = CATEGORY

    def report(self, sigmas, include_values=False):
        return _stats_ui(sigmas, include_values)


class SamplerLabTestNumber:
    """A FLOAT and an INT from text ("nan", "-inf", "1e30", "18446744073709551616"): linked into a node's number
    input, a value reaches the node unchecked, as from any other node's output (the host checks only widget values
    against min/max). The INT is 0 where the text is not an integer."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"text": ("STRING", {"default": "0"})}}

    RETURN_TYPES = ("FLOAT", "INT")
    FUNCTION = "make"
    CATEGORY = CATEGORY

    def make(self, text):
        return float(text), int(text) if text.strip().lstrip("+-").isdigit() else 0


class SamplerLabTestLatent:
    """A LATENT [batch, channels, size, size] filled with float(value) ("nan", "1e30", …)."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {
            "value": ("STRING", {"default": "0"}),
            "channels": ("INT", {"default": 4, "min": 1, "max": 64}),
            "size": ("INT", {"default": 16, "min": 1, "max": 256}),
            "batch": ("INT", {"default": 1, "min": 1, "max": 64}),
        }}

    RETURN_TYPES = ("LATENT",)
    FUNCTION = "make"
    CATEGORY = CATEGORY

    def make(self, value, channels, size, batch):
        import torch
        return ({"samples": torch.full((batch, channels, size, size), float(value))},)


NODE_CLASS_MAPPINGS = {
    "SamplerLabTestTinyCheckpoint": SamplerLabTestTinyCheckpoint,
    "SamplerLabTestConditioning": SamplerLabTestConditioning,
    "SamplerLabTestLatentStats": SamplerLabTestLatentStats,
    "SamplerLabTestImageStats": SamplerLabTestImageStats,
    "SamplerLabTestSigmasStats": SamplerLabTestSigmasStats,
    "SamplerLabTestNumber": SamplerLabTestNumber,
    "SamplerLabTestLatent": SamplerLabTestLatent,
}
NODE_DISPLAY_NAME_MAPPINGS = {k: k.replace("SamplerLabTest", "Test: ") for k in NODE_CLASS_MAPPINGS}
