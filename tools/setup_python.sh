#!/usr/bin/env bash
# The project venv at .venv: Debian's /usr/bin/python3 with --system-site-packages (numpy 1.24,
# scipy, matplotlib, h5py, pytest from Debian), plus the pinned PyPI packages of
# tools/python-requirements.txt, torch 2 among them. CMake builds the Python module for this venv's
# interpreter, runs pytest with it and finds LibTorch inside its torch wheel (tools/build.sh).
# Idempotent: a venv that already satisfies the pins is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv
req=tools/python-requirements.txt
stamp="$venv/.requirements.sha256"
want=$(sha256sum < "$req" | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "[amf setup] python venv up to date ($venv)"
  exit 0
fi
[ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv --system-site-packages "$venv"
echo "[amf setup] installing $req into $venv (torch with its CUDA wheels: a few minutes, ~7 GB)"
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
# The venv must see torch 2 from the wheel, never a Debian python3-torch 1.13 below it.
"$venv/bin/python" -c 'import torch, sys; v = torch.__version__; sys.exit(0 if v.startswith("2.") else f"[amf setup] torch {v} in {torch.__file__}, want 2.x")'
echo "$want" > "$stamp"
