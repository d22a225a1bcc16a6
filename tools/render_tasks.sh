#!/usr/bin/env bash
# Renders a strip of frames of a noise-free expert episode for every task of the MuJoCo scenes
# into docs/tasks/ (or $1). MuJoCo's offscreen renderer needs a GL context: on a headless machine
# it runs under Xvfb (Mesa software GL), which xvfb-run starts and stops.
# Usage: bash tools/render_tasks.sh [OUT_DIR]   (after a build into build/, or set AMF=path/to/amf)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/tasks}"
amf="${AMF:-build/amf}"
run=()
if [ -z "${DISPLAY:-}" ]; then run=(xvfb-run -a -s "-screen 0 640x480x24"); fi
for env in cupfaucet kitchen; do
  "${run[@]}" "$amf" render --env "$env" --out "$out"
done
