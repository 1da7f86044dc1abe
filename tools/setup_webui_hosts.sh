#!/usr/bin/env bash
# Test environment for the AUTOMATIC1111 / Forge adapter (tests/webui): unpacks the host source trees of
# ../shared/hosts/ into .host/ (when the tarballs are there) and builds .host/venv-webui with the PyPI packages their
# sampler, scheduler and callback modules import. A separate venv, not .venv: k-diffusion 0.1.1.post1 pulls
# dctorch, which pins numpy < 2 (A1111 1.10.1 itself pins numpy 1.26.2), while the ComfyUI side runs numpy 2.
# CPU torch 2.13.0 and torchvision 0.28.0 are pinned by a constraints file, so pip never fetches a CUDA torch.
# Idempotent: a stamp records what the venv was built from; a second run with the same inputs only re-checks trees.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
SHARED=../shared/hosts
VENV=.host/venv-webui
mkdir -p .host

unpack() {  # unpack TARBALL TREE: the tree from ../shared/hosts/TARBALL, once
  local tarball=$SHARED/$1 tree=.host/$2
  if [ -f "$tarball" ] && [ ! -d "$tree/modules" ]; then
    rm -rf "$tree" && tar -xzf "$tarball" -C .host
    echo "unpacked $tree"
  fi
}
unpack a1111-1.10.1.tar.gz stable-diffusion-webui
unpack forge-dfdcbab.tar.gz stable-diffusion-webui-forge
if [ ! -d .host/stable-diffusion-webui/modules ] && [ ! -d .host/stable-diffusion-webui-forge/modules ]; then
  echo "no A1111/Forge trees (../shared/hosts/ has no tarballs): the webui tests will skip"
  exit 0
fi

# Versions: the hosts' own pins where they have them (A1111 1.10.1 / Forge requirements_versions.txt).
PACKAGES=(
  torch==2.13.0 torchvision==0.28.0 numpy==1.26.2 pytest==8.4.2
  lark==1.1.2 torchdiffeq==0.2.3 torchsde==0.2.6 scipy==1.13.1 scikit-image==0.21.0
  jsonmerge==1.8.0 clean-fid==0.1.35 clip-anytorch==2.6.0 dctorch==0.1.2 "setuptools<81" safetensors==0.4.2
  Pillow==9.5.0 tqdm==4.66.1 psutil==5.9.5 einops==0.4.1
  diffusers==0.31.0 huggingface-hub==0.26.2 transformers==4.46.1 sentencepiece==0.2.0
)
STAMP=$VENV/.samplerlab-webui
WANT=$( (printf '%s\n' "${PACKAGES[@]}"; cat tools/setup_webui_hosts.sh) | sha256sum | cut -c1-16)
if [ -x "$VENV/bin/python" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$WANT" ]; then
  echo "webui test environment up to date: $VENV"
  exit 0
fi
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
printf 'torch==2.13.0\ntorchvision==0.28.0\n' > "$WORK/constraints.txt"
"$VENV/bin/python" -m pip install -q "${PACKAGES[@]}" -c "$WORK/constraints.txt"
# Without its training-only requirements (accelerate, wandb), which the hosts' samplers never import.
"$VENV/bin/python" -m pip install -q --no-deps k-diffusion==0.1.1.post1
# torchvision's op schemas for CPU torch (see tools/venv_shims/install.py).
"$VENV/bin/python" tools/venv_shims/install.py
echo "$WANT" > "$STAMP"
echo "webui test environment: $VENV"
