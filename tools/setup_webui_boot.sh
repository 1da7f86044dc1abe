#!/usr/bin/env bash
# A bootable web UI for tests/webui_boot: tools/setup_webui_boot.sh a1111|forge|forge-classic
#
# From ../shared/hosts/ (its README says how these trees boot offline): unpacks the unmodified host tree and its
# repositories into .host/boot/<host>/, builds .host/boot/venv-<host> from the host's own pinned requirements (three
# changes: setuptools>=77.0.3,<81 for torch 2.13; CPU torch 2.13.0 + torchvision 0.28.0 held by a constraints file;
# clip-anytorch for the openai/CLIP git archive), then the torchvision op-schema shim. Installs this checkout as a
# user's clone would be (a symlink extensions/sampler-lab -> this checkout), lays out the CLIP-L hub cache from
# ComfyUI's tokenizer files (.host/boot/hf-home) and links the random-weight checkpoints of .host/boot/models/
# (tools/make_random_checkpoint.py, run in the A1111 venv) into models/Stable-diffusion/.
# Idempotent: stamps record each step; PyPI is the only network used. Exits 3 when ../shared/hosts/ is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST=${1:?usage: tools/setup_webui_boot.sh a1111|forge|forge-classic}
PY=${PYTHON:-python3.11}
SHARED=../shared/hosts
BOOT=.host/boot
COMFY_TOKENIZER=.host/ComfyUI/comfy
case $HOST in
  a1111) TARBALL=a1111-1.10.1.tar.gz; REPOS=a1111-1.10.1-repositories.tar.gz; REQS=requirements_versions.txt ;;
  forge) TARBALL=forge-dfdcbab.tar.gz; REPOS=forge-dfdcbab-repositories.tar.gz; REQS=requirements_versions.txt ;;
  forge-classic) TARBALL=forge-classic-1f95d717.tar.gz; REPOS=a1111-1.10.1-repositories.tar.gz; REQS=requirements.txt ;;
  *) echo "unknown host '$HOST' (a1111, forge, forge-classic)" >&2; exit 2 ;;
esac
if [ ! -f "$SHARED/$TARBALL" ] || [ ! -f "$SHARED/$REPOS" ]; then
  echo "$SHARED/ has no $TARBALL / $REPOS: the booted web UI tests skip" >&2
  exit 3
fi
TREE=$BOOT/$HOST
VENV=$BOOT/venv-$HOST
mkdir -p "$BOOT"

# 1. The tree, then its repositories on top (Forge Classic takes assets, stablediffusion and generative-models from
#    A1111's repositories tarball, at the commits it pins itself).
if [ ! -f "$TREE/.samplerlab-unpacked" ]; then
  rm -rf "$TREE" && mkdir -p "$TREE"
  tar -xzf "$SHARED/$TARBALL" -C "$TREE" --strip-components=1
  if [ "$HOST" = forge-classic ]; then
    tar -xzf "$SHARED/$REPOS" -C "$TREE" --strip-components=1 \
      stable-diffusion-webui/repositories/stable-diffusion-webui-assets \
      stable-diffusion-webui/repositories/stable-diffusion-stability-ai \
      stable-diffusion-webui/repositories/generative-models
  else
    tar -xzf "$SHARED/$REPOS" -C "$TREE" --strip-components=1
  fi
  touch "$TREE/.samplerlab-unpacked"
  echo "unpacked $TREE"
fi

# 2. The venv from the host's pins with the three changes (stamp: the host's requirements and this script).
STAMP=$VENV/.samplerlab-boot
WANT=$( (cat "$TREE/$REQS"; cat tools/setup_webui_boot.sh) | sha256sum | cut -c1-16)
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
  printf 'torch==2.13.0\ntorchvision==0.28.0\n' > "$WORK/constraints.txt"
  tr -d '\r' < "$TREE/$REQS" | grep -v -i '^setuptools' > "$WORK/requirements.txt"
  printf 'setuptools>=77.0.3,<81\nclip-anytorch==2.6.0\ntorchvision\n' >> "$WORK/requirements.txt"
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  start=$SECONDS
  "$VENV/bin/python" -m pip install -q -r "$WORK/requirements.txt" -c "$WORK/constraints.txt"
  "$VENV/bin/python" tools/venv_shims/install.py
  "$VENV/bin/python" -c "import torch; assert torch.__version__.startswith('2.13.0') and torch.version.cuda is None"
  echo "$WANT" > "$STAMP"
  echo "built $VENV in $((SECONDS - start)) s"
fi

# 3. This checkout as a user's clone in extensions/ (the web UI imports its scripts/*.py).
mkdir -p "$TREE/extensions"
ln -sfn "$(pwd)" "$TREE/extensions/sampler-lab"

# 4. The CLIP-L tokenizer and text config as a hub cache (A1111 and Forge Classic load them at start-up).
SNAP=$BOOT/hf-home/hub/models--openai--clip-vit-large-patch14
REV=0000000000000000000000000000000000000000
if [ ! -f "$SNAP/snapshots/$REV/config.json" ]; then
  mkdir -p "$SNAP/snapshots/$REV" "$SNAP/refs"
  for f in vocab.json merges.txt tokenizer_config.json special_tokens_map.json; do
    cp "$COMFY_TOKENIZER/sd1_tokenizer/$f" "$SNAP/snapshots/$REV/$f"
  done
  cp "$COMFY_TOKENIZER/sd1_clip_config.json" "$SNAP/snapshots/$REV/config.json"
  printf '%s' "$REV" > "$SNAP/refs/main"
fi

# 5. The random-weight checkpoints (ε, and the same weights as v-prediction through a .yaml beside them).
if [ ! -f "$BOOT/models/.samplerlab-checkpoints" ]; then
  [ "$HOST" = a1111 ] || bash tools/setup_webui_boot.sh a1111
  "$BOOT/venv-a1111/bin/python" tools/make_random_checkpoint.py --tree "$BOOT/a1111" --out "$BOOT/models"
fi
mkdir -p "$TREE/models/Stable-diffusion"
for f in "$BOOT"/models/*.safetensors "$BOOT"/models/*.yaml; do
  ln -sfn "$(realpath "$f")" "$TREE/models/Stable-diffusion/$(basename "$f")"
done
echo "web UI ready: $TREE (venv $VENV)"
