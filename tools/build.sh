#!/usr/bin/env bash
# Installs the packages (tools/setup.sh), configures and builds amf in ./build with both cores.
# CUDA sources compile when nvcc is found (on PATH or in /usr/local/cuda/bin).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
bash tools/setup_python.sh
if ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH="/usr/local/cuda/bin:$PATH"
fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$(nproc)"

# Make `import amf` work for Debian's python3 (the interpreter the module is built for): a .pth
# file in its site directory points at this checkout's build/python.
site=$(/usr/bin/python3 -c 'import site; print([p for p in site.getsitepackages() if p.startswith("/usr/local")][0])')
mkdir -p "$site"
echo "$(pwd)/build/python" > "$site/amf.pth"
