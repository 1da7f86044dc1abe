"""Test-only ComfyUI custom nodes for the Sampler Lab harness (never shipped with the pack).

HostServer symlinks this directory as custom_nodes/samplerlab_test_fixtures. The nodes wrap
tools/hostlib.py and tools/families.py: a tiny checkpoint (MODEL, CLIP, VAE) that replaces CheckpointLoaderSimple,
tiny models of the families with the text encoder and VAE layouts they have (for UNETLoader, the CLIP loaders and
VAELoader), random conditioning, and output nodes that report tensor statistics into /history
(outputs[node_id]["stats"]).
"""

import hashlib
import importlib.util
import os
import sys

_TOOLS_DIR = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))


def _load_tools(*names: str) -> list:
    """tools/<name>.py for each name, in order: the module of that name where it is that file (tests in-process),
    else a private copy (the server, where tools/ is not on sys.path), bound to its plain name only while the later
    ones load (hostlib imports loader, families imports hostlib)."""
    previous = {name: sys.modules.get(name) for name in names}
    try:
        modules = []
        for name in names:
            path = os.path.join(_TOOLS_DIR, f"{name}.py")
            mod = sys.modules.get(name)
            if mod is None or os.path.realpath(getattr(mod, "__file__", "") or "") != path:
                private = f"samplerlab_test_{name}"
                if private not in sys.modules:
                    spec = importlib.util.spec_from_file_location(private, path)
                    sys.modules[private] = importlib.util.module_from_spec(spec)
                    spec.loader.exec_module(sys.modules[private])
                mod = sys.modules[name] = sys.modules[private]
            modules.append(mod)
        return modules
    finally:
        for name, module in previous.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


_, hostlib, families = _load_tools("loader", "hostlib", "families")

CATEGORY = "sampler_lab/testing"


class SamplerLabTestTinyCheckpoint:
    """Drop-in for CheckpointLoaderSimple: a tiny float32 model plus fake CLIP and VAE."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "kind": (list(hostlib.MODEL_KINDS), {"default": "sd15_eps"}),
                "seed": ("INT", {"default": 0, "min": 0, "max": 0xFFFFFFFF}),
            }
        }

    RETURN_TYPES = ("MODEL", "CLIP", "VAE")
    FUNCTION = "load"
    CATEGORY = CATEGORY

    def load(self, kind, seed):
        return hostlib.tiny_checkpoint(kind, seed)


class SamplerLabTestConditioning:
    """Seeded random CONDITIONING shaped for a tiny model kind (no CLIP needed)."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "kind": (list(hostlib.MODEL_KINDS), {"default": "sd15_eps"}),
                "seed": ("INT", {"default": 0, "min": 0, "max": 0xFFFFFFFF}),
                "batch": ("INT", {"default": 1, "min": 1, "max": 64}),
            }
        }

    RETURN_TYPES = ("CONDITIONING",)
    FUNCTION = "make"
    CATEGORY = CATEGORY

    def make(self, kind, seed, batch):
        return (hostlib.conditioning_for(kind, seed, batch),)


class FamilyCLIP(hostlib.FakeCLIP):
    """Stands in for the text encoder(s) of a family (tools/families.py) under CLIPTextEncode: the family's
    conditioning layout (tokens, pooled vector, attention mask; no guidance or size extras, which other nodes add),
    a pure function of the text."""

    def __init__(self, family):
        super().__init__(family.name)
        self.family = family

    def clone(self):
        c = FamilyCLIP(self.family)
        c.layer_idx = self.layer_idx
        return c

    def tokenize(self, text, return_word_ids=False, **kwargs):
        return {"text": text}

    def encode_from_tokens(self, tokens, return_pooled=False, return_dict=False):
        import torch

        seed = int.from_bytes(hashlib.sha256(self._text_of(tokens).encode("utf-8")).digest()[:8], "little")
        cond, extras = self.family.conditioning(seed)[0]
        encoded = {key: value for key, value in extras.items() if isinstance(value, torch.Tensor)}
        if return_dict:
            return {"cond": cond, **encoded}
        if return_pooled:
            return cond, encoded.get("pooled_output")
        return cond


def _family_input():
    return {"family": (list(families.FAMILIES), {"default": "flux_dev"})}


class SamplerLabTestFamilyModel:
    """Drop-in for UNETLoader: the tiny float32 model of a family (tools/families.py)."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {**_family_input(), "seed": ("INT", {"default": 0, "min": 0, "max": 0xFFFFFFFF})}}

    RETURN_TYPES = ("MODEL",)
    FUNCTION = "load"
    CATEGORY = CATEGORY

    def load(self, family, seed):
        return (families.build_model(families.FAMILIES[family], seed),)


class SamplerLabTestFamilyCLIP:
    """Drop-in for CLIPLoader / DualCLIPLoader / TripleCLIPLoader: a fake text encoder of a family's layout."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": _family_input()}

    RETURN_TYPES = ("CLIP",)
    FUNCTION = "load"
    CATEGORY = CATEGORY

    def load(self, family):
        return (FamilyCLIP(families.FAMILIES[family]),)


class SamplerLabTestFamilyVAE:
    """Drop-in for VAELoader: a fake VAE with a family's latent channels."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": _family_input()}

    RETURN_TYPES = ("VAE",)
    FUNCTION = "load"
    CATEGORY = CATEGORY

    def load(self, family):
        return (hostlib.FakeVAE(families.FAMILIES[family].latent[0]),)


class SamplerLabTestFamilyCheckpoint:
    """Drop-in for CheckpointLoaderSimple with a family's checkpoint: its tiny model, fake text encoder and VAE."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {**_family_input(), "seed": ("INT", {"default": 0, "min": 0, "max": 0xFFFFFFFF})}}

    RETURN_TYPES = ("MODEL", "CLIP", "VAE")
    FUNCTION = "load"
    CATEGORY = CATEGORY

    def load(self, family, seed):
        return (
            SamplerLabTestFamilyModel().load(family, seed)
            + SamplerLabTestFamilyCLIP().load(family)
            + SamplerLabTestFamilyVAE().load(family)
        )


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
        return {"required": {"samples": ("LATENT",)}, "optional": {"include_values": ("BOOLEAN", {"default": False})}}

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
        return {"required": {"images": ("IMAGE",)}, "optional": {"include_values": ("BOOLEAN", {"default": False})}}

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
        return {"required": {"sigmas": ("SIGMAS",)}, "optional": {"include_values": ("BOOLEAN", {"default": False})}}

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
        return {
            "required": {
                "value": ("STRING", {"default": "0"}),
                "channels": ("INT", {"default": 4, "min": 1, "max": 64}),
                "size": ("INT", {"default": 16, "min": 1, "max": 256}),
                "batch": ("INT", {"default": 1, "min": 1, "max": 64}),
            }
        }

    RETURN_TYPES = ("LATENT",)
    FUNCTION = "make"
    CATEGORY = CATEGORY

    def make(self, value, channels, size, batch):
        import torch

        return ({"samples": torch.full((batch, channels, size, size), float(value))},)


NODE_CLASS_MAPPINGS = {
    "SamplerLabTestTinyCheckpoint": SamplerLabTestTinyCheckpoint,
    "SamplerLabTestConditioning": SamplerLabTestConditioning,
    "SamplerLabTestFamilyModel": SamplerLabTestFamilyModel,
    "SamplerLabTestFamilyCLIP": SamplerLabTestFamilyCLIP,
    "SamplerLabTestFamilyVAE": SamplerLabTestFamilyVAE,
    "SamplerLabTestFamilyCheckpoint": SamplerLabTestFamilyCheckpoint,
    "SamplerLabTestLatentStats": SamplerLabTestLatentStats,
    "SamplerLabTestImageStats": SamplerLabTestImageStats,
    "SamplerLabTestSigmasStats": SamplerLabTestSigmasStats,
    "SamplerLabTestNumber": SamplerLabTestNumber,
    "SamplerLabTestLatent": SamplerLabTestLatent,
}
NODE_DISPLAY_NAME_MAPPINGS = {k: k.replace("SamplerLabTest", "Test: ") for k in NODE_CLASS_MAPPINGS}
