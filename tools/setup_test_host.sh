#!/usr/bin/env bash
# Builds a separate test environment for any ComfyUI checkout, so the whole suite can run against the host a user
# actually runs:   tools/setup_test_host.sh COMFYUI_ROOT VENV
# The venv gets CPU torch 2.13.0 (pinned with torchvision 0.28.0, so pip never fetches a CUDA torch), the host's
# requirements.txt minus its torch/torchaudio lines, the project's requirements-dev.txt and requests, and the
# shims of tools/venv_shims (torchvision op schemas; a torchaudio stand-in where no torchaudio imports).
# Idempotent: a stamp in the venv records what it was built from; a second run with the same inputs does nothing.
# The 0.33.0 snapshot: COMFYUI_ROOT=.host/comfyui-0.33.0 is unpacked from ../shared/hosts/comfyui-0.33.0.tar.gz
# when missing (see `make host-0.33.0`).
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 COMFYUI_ROOT VENV" >&2; exit 2; }
ROOT=$1
VENV=$2
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -f "$ROOT/main.py" ] && [ -f "$ROOT/requirements.txt" ] || {
  echo "$ROOT is not a ComfyUI checkout (no main.py / requirements.txt)" >&2; exit 2; }

STAMP="$VENV/.samplerlab-test-host"
WANT=$(cat "$ROOT/requirements.txt" requirements-dev.txt tools/setup_test_host.sh tools/venv_shims/install.py \
         tools/venv_shims/torchaudio/*.py | sha256sum | cut -c1-16)
if [ -x "$VENV/bin/python" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$WANT" ]; then
  echo "test host environment up to date: $VENV"
  exit 0
fi

[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
PIP="$VENV/bin/python -m pip"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
grep -v -E '^\s*(torch|torchaudio)\s*([#;].*)?$' "$ROOT/requirements.txt" > "$WORK/host-requirements.txt"
printf 'torch==2.13.0\ntorchvision==0.28.0\n' > "$WORK/constraints.txt"
$PIP install -q torch==2.13.0 -c "$WORK/constraints.txt"
$PIP install -q -r "$WORK/host-requirements.txt" -r requirements-dev.txt requests -c "$WORK/constraints.txt"
"$VENV/bin/python" tools/venv_shims/install.py --torchaudio-standin

# The host must import in this venv the way the tests import it (CPU, in-process).
SAMPLERLAB_COMFYUI_ROOT="$ROOT" "$VENV/bin/python" - <<'PYEOF'
import sys
sys.path.insert(0, "tools")
import hostlib
hostlib.import_host()
try:
    from comfyui_version import __version__ as version
except ImportError:
    version = "(unknown version)"
print("ComfyUI", version, "at", hostlib.HOST_DIR, "imports in", sys.prefix)
PYEOF
echo "$WANT" > "$STAMP"
