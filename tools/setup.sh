#!/usr/bin/env bash
# Installs every package amf needs, from Debian's archive only. Idempotent: packages already
# present are skipped, so running it on every README command costs a few seconds.
# Python: the project venv (tools/setup_python.sh) is over Debian's interpreter (/usr/bin/python3)
# and sees these python3-* packages; torch (Python and LibTorch) comes from PyPI into that venv,
# not from Debian (no libtorch-dev, no python3-torch: Debian's is 1.13 and CPU-only).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libeigen3-dev libopenblas-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev libtomlplusplus-dev
  libhdf5-dev
  python3 python3-dev python3-venv python3-numpy python3-matplotlib python3-pytest python3-h5py
  pybind11-dev python3-pybind11 libdlpack-dev
  clang-14 libclang-rt-14-dev
  libopenmpi-dev openmpi-bin
  libmujoco-dev libqhull-dev
  xvfb xauth libglfw3-dev libgl-dev libpng-dev
  slurmctld slurmd slurm-client munge
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "[amf setup] installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "[amf setup] all packages present"
fi
