"""Sampler Lab: sampler science for ComfyUI (EDM Karras σ with ρ, Heun/churn, zero terminal SNR, CFG rescale, CADS)."""
from .nodes import NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS

WEB_DIRECTORY = "./js"

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS", "WEB_DIRECTORY"]
