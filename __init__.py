"""Sampler Lab: sampler science for ComfyUI (EDM Karras σ with ρ, Heun/churn, zero terminal SNR, CFG rescale, CADS)."""

from .demo.nodes import DEMO_NODES
from .nodes import NODES

NODE_CLASS_MAPPINGS = {cls.__name__: cls for cls in NODES + DEMO_NODES}
NODE_DISPLAY_NAME_MAPPINGS = {cls.__name__: cls.DISPLAY_NAME for cls in NODES + DEMO_NODES}

WEB_DIRECTORY = "./js"

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS", "WEB_DIRECTORY"]
