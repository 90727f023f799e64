#!/usr/bin/env bash
# Regenerates libs/artifact-inspection/fixtures with each format's own library, in a pinned
# virtualenv under the project's cache (~/.cache/model-ledger/venvs/fixtures).
set -euo pipefail
cd "$(dirname "$0")"
VENV="${HOME:-/root}/.cache/model-ledger/venvs/fixtures"
if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
"$VENV/bin/pip" install -q onnx==1.23.2 safetensors==0.8.0 gguf==0.19.0 numpy==2.4.6
"$VENV/bin/python" make-fixtures.py
