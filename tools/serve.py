"""Boot the real ComfyUI host (CPU) with this pack loaded, in the foreground, for trying it in a browser.

    .venv/bin/python tools/serve.py [--port 8188]

Base directory: .host/serve (models, outputs, and custom_nodes/comfyui_sampler_lab linked to this checkout).
"""

from __future__ import annotations

import argparse
import os

from hostserver import HOST_DIR, PACK_NODE_DIR_NAME, REPO_DIR, command


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8188)
    args = parser.parse_args()
    base = os.path.join(REPO_DIR, ".host", "serve")
    os.makedirs(os.path.join(base, "custom_nodes"), exist_ok=True)
    link = os.path.join(base, "custom_nodes", PACK_NODE_DIR_NAME)
    if not os.path.islink(link):
        os.symlink(REPO_DIR, link)
    os.chdir(HOST_DIR)
    print(f"ComfyUI with Sampler Lab at http://127.0.0.1:{args.port} (Ctrl-C to stop)", flush=True)
    cmd = command(args.port, base)
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    main()
