#!/usr/bin/env bash
# Installs the packages (tools/setup.sh), configures and builds amf in ./build with both cores, and
# installs amf's Python package from that build into the project venv .venv.
# CUDA sources compile when nvcc is found (on PATH or in /usr/local/cuda/bin).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
bash tools/setup_python.sh
if ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH="/usr/local/cuda/bin:$PATH"
fi
# The module is built for the venv's python, and LibTorch comes from the venv's torch wheel
# (CMakeLists.txt: AMF_PYTHON defaults to .venv/bin/python, cmake/torch_from_python.cmake).
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DAMF_PYTHON="$(pwd)/.venv/bin/python"
cmake --build build -j "$(nproc)"

# `import amf` in the venv: the package of pyproject.toml, built as a wheel from build/ (above) and
# installed into .venv.
bash tools/install_python_package.sh
