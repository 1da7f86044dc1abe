"""A random-weight SD1.5 checkpoint for booting the web UIs offline (no checkpoint can be downloaded).

Run it with the A1111 boot venv's python (tools/setup_webui_boot.sh does):

    .host/boot/venv-a1111/bin/python tools/make_random_checkpoint.py --tree .host/boot/a1111 --out .host/boot/models

Instantiates A1111's `configs/v1-inference.yaml` through the tree's own `ldm` package (CLIP-L text model built from
its hub config, not `from_pretrained`), fills every all-zero weight matrix with N(0, 1/fan_in) (`ldm` zero-initialises
each block's last conv / proj_out and the UNet's output conv: such a model predicts ε ≡ 0 and no sampler feature could
change an image), and writes the state dict as fp16 safetensors. Also writes the same weights as a v-prediction
model: a symlink beside it and a `.yaml` with `parameterization: "v"` (A1111 reads a config next to a checkpoint).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

EPS_NAME = "sd15-random-eps.safetensors"
V_NAME = "sd15-random-v.safetensors"
DONE = ".samplerlab-checkpoints"


def build_model(tree: str):
    """LatentDiffusion from the tree's v1 config, random weights, zero-initialised matrices filled."""
    import torch
    import transformers
    from omegaconf import OmegaConf

    sys.path.insert(0, os.path.join(tree, "repositories", "stable-diffusion-stability-ai"))
    from ldm.util import instantiate_from_config

    def from_config(name: str, **_kwargs):
        return transformers.CLIPTextModel(transformers.CLIPTextConfig.from_pretrained(name))

    transformers.CLIPTextModel.from_pretrained = from_config
    import ldm.modules.encoders.modules as encoders

    encoders.CLIPTextModel.from_pretrained = from_config

    torch.manual_seed(0)
    config = OmegaConf.load(os.path.join(tree, "configs", "v1-inference.yaml"))
    model = instantiate_from_config(config.model)
    filled = 0
    with torch.no_grad():
        for name, weight in model.named_parameters():
            if name.endswith("weight") and weight.ndim >= 2 and not weight.any():
                weight.normal_(0.0, (1.0 / weight[0].numel()) ** 0.5)
                filled += 1
    print(f"filled {filled} all-zero weight matrices")
    return model, config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", required=True, help="the A1111 tree (with repositories/)")
    parser.add_argument("--out", required=True, help="folder for the checkpoints")
    args = parser.parse_args()
    os.environ.setdefault("HF_HOME", os.path.join(os.path.dirname(os.path.abspath(args.out)), "hf-home"))
    os.environ["HF_HUB_OFFLINE"] = os.environ["TRANSFORMERS_OFFLINE"] = "1"
    start = time.monotonic()
    import torch
    from omegaconf import OmegaConf
    from safetensors.torch import save_file

    model, config = build_model(args.tree)
    state = {k: v.detach().to(torch.float16).contiguous() for k, v in model.state_dict().items()}
    os.makedirs(args.out, exist_ok=True)
    save_file(state, os.path.join(args.out, EPS_NAME))
    v_path = os.path.join(args.out, V_NAME)
    if os.path.lexists(v_path):
        os.remove(v_path)
    os.symlink(EPS_NAME, v_path)
    config.model.params.parameterization = "v"
    OmegaConf.save(config, os.path.splitext(v_path)[0] + ".yaml")
    open(os.path.join(args.out, DONE), "w").close()
    print(f"wrote {len(state)} tensors to {args.out} in {time.monotonic() - start:.0f} s")


if __name__ == "__main__":
    main()
