"""Sampler Lab: sampler science for ComfyUI (EDM Karras σ with ρ, Heun/churn, zero terminal SNR, CFG rescale, CADS)."""
from .demo.nodes import DEMO_DISPLAY_NAMES, DEMO_NODES
from .nodes import NODE_CLASS_MAPPINGS as _NODES, NODE_DISPLAY_NAME_MAPPINGS as _NAMES

NODE_CLASS_MAPPINGS = {**_NODES, **DEMO_NODES}
NODE_DISPLAY_NAME_MAPPINGS = {**_NAMES, **DEMO_DISPLAY_NAMES}

WEB_DIRECTORY = "./js"

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS", "WEB_DIRECTORY"]
