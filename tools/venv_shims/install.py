"""Installs the test environment's import shims into the running interpreter's site-packages.

Run it with the venv's own python (tools/setup_host.sh and tools/setup_test_host.sh do):

    <venv>/bin/python tools/venv_shims/install.py [--torchaudio-standin]

- always: ``_samplerlab_tv_schemas`` (+ a .pth that imports it at start-up). PyPI's torchvision is a CUDA build;
  beside CPU torch its import fails on two missing op schemas (torchvision::nms, ::qnms). The module defines them
  (CPU torch only) before torchvision loads, in every process of the venv.
- with --torchaudio-standin, and only where ``import torchaudio`` fails: the ``torchaudio`` stand-in package of
  this folder (import-only; calling anything in it raises). Newer hosts import torchaudio from ``import nodes``;
  no PyPI torchaudio build loads beside CPU torch 2.13. The tests use no audio.

These shims belong to test environments only; the pack never imports them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import sysconfig

HERE = os.path.dirname(os.path.abspath(__file__))

TV_SCHEMAS = """\
import torch
if torch.version.cuda is None:
    _lib = torch.library.Library("torchvision", "DEF")
    for _name in ("nms", "qnms"):
        _lib.define(_name + "(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
"""


def _imports(module: str) -> bool:
    return (
        subprocess.run(
            [sys.executable, "-c", f"import {module}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        ).returncode
        == 0
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--torchaudio-standin",
        action="store_true",
        help="install the torchaudio stand-in where the real torchaudio does not import",
    )
    args = ap.parse_args(argv)
    site = sysconfig.get_paths()["purelib"]
    with open(os.path.join(site, "_samplerlab_tv_schemas.py"), "w") as f:
        f.write(TV_SCHEMAS)
    with open(os.path.join(site, "_samplerlab_tv_schemas.pth"), "w") as f:
        f.write("import _samplerlab_tv_schemas\n")
    if args.torchaudio_standin:
        target = os.path.join(site, "torchaudio")
        marker = os.path.join(target, "_samplerlab_standin.py")
        if os.path.exists(marker) or not _imports("torchaudio"):
            # a broken real torchaudio (e.g. a build for another torch) would shadow the stand-in: replace it
            subprocess.run(
                [sys.executable, "-m", "pip", "uninstall", "-q", "-y", "torchaudio"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(os.path.join(HERE, "torchaudio"), target)
            print("torchaudio stand-in installed in", site)
    return 0


if __name__ == "__main__":
    sys.exit(main())
