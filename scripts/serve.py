"""Boot the real ComfyUI host (CPU) with this pack loaded, in the foreground, for trying it in a browser.

    .venv/bin/python scripts/serve.py [--port 8188]

Base directory: .host/serve (models, outputs, and custom_nodes/comfyui-sampler-lab linked to this checkout).
"""
from __future__ import annotations

import argparse
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
HOST = os.path.join(REPO, ".host", "ComfyUI")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8188)
    args = parser.parse_args()
    base = os.path.join(REPO, ".host", "serve")
    os.makedirs(os.path.join(base, "custom_nodes"), exist_ok=True)
    link = os.path.join(base, "custom_nodes", "comfyui-sampler-lab")
    if not os.path.islink(link):
        os.symlink(REPO, link)
    os.chdir(HOST)
    print(f"ComfyUI with Sampler Lab at http://127.0.0.1:{args.port} (Ctrl-C to stop)", flush=True)
    os.execv(sys.executable, [sys.executable, "main.py", "--cpu", "--listen", "127.0.0.1", "--port", str(args.port),
                              "--disable-auto-launch", "--database-url", "sqlite:///:memory:", "--base-directory", base,
                              "--preview-method", "auto"])


if __name__ == "__main__":
    main()
