#!/usr/bin/env bash
# The gradio venv (.host/venv-gradio) in which tests/webui/test_webui_gradio.py builds the A1111 / Forge accordion
# with the real gradio that AUTOMATIC1111 1.10.1 pins (3.41.2). Built by `make setup`
# when ../shared/hosts has the A1111 tree (as the other webui tests, it is not needed otherwise).
# CPU torch only, pinned by the constraints file; A1111 1.10.1's own pins for gradio, numpy, fastapi, httpx, httpcore
# and Pillow; the other pins are gradio 3.41.2's contemporaries, without which pip backtracks for many minutes (newer
# huggingface-hub wants newer httpx). Idempotent: a stamp records what the venv was built from.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=.host/venv-gradio
if [ ! -f ../shared/hosts/a1111-1.10.1.tar.gz ]; then
  echo "no ../shared/hosts/a1111-1.10.1.tar.gz: the gradio venv is not built (its test skips)"
  exit 0
fi
CONSTRAINTS=(
  torch==2.13.0 numpy==1.26.2 httpcore==0.15.0 uvicorn==0.23.2 pydantic==1.10.13 websockets==11.0.3
  huggingface-hub==0.26.2 gradio-client==0.5.0 starlette==0.26.1 matplotlib==3.8.2 pandas==2.1.4
  altair==5.1.2 jsonschema==4.19.2 fsspec==2023.9.2
)
PACKAGES=(torch==2.13.0 numpy==1.26.2 gradio==3.41.2 fastapi==0.94.0 httpx==0.24.1 httpcore==0.15.0 Pillow==9.5.0)
STAMP=$VENV/.samplerlab-gradio
WANT=$( (printf '%s\n' "${CONSTRAINTS[@]}" "${PACKAGES[@]}"; cat tools/setup_gradio_venv.sh) | sha256sum | cut -c1-16)
if [ -x "$VENV/bin/python" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$WANT" ]; then
  echo "gradio venv up to date: $VENV"
  exit 0
fi
mkdir -p .host
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
printf '%s\n' "${CONSTRAINTS[@]}" > "$WORK/constraints.txt"
"$VENV/bin/python" -m pip install -q "${PACKAGES[@]}" -c "$WORK/constraints.txt"
echo "$WANT" > "$STAMP"
echo "gradio venv: $VENV"
