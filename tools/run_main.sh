#!/usr/bin/env bash
# The main job: set up, build, then the AMF-GP study on the 2D integrator with the default
# preset (a few minutes on 2 cores). Extra arguments go to `amf gp-study`, e.g. --preset paper.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/build.sh
./build/amf gp-study --out results/gp_study "$@"
