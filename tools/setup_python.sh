#!/usr/bin/env bash
# The Python environment for the Metaworld study and the activeft peer: a venv at .venv over
# Debian's /usr/bin/python3 (--system-site-packages: it sees python3-numpy, python3-torch,
# python3-matplotlib and the amf module's .pth), with the pinned PyPI packages of
# tools/python-requirements.txt, then those of tools/python-requirements-nodeps.txt without their
# declared dependencies (see that file). Idempotent: a venv that already satisfies the pins is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv
req=tools/python-requirements.txt
req_nodeps=tools/python-requirements-nodeps.txt
stamp="$venv/.requirements.sha256"
want=$(cat "$req" "$req_nodeps" | sha256sum | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "[amf setup] python venv up to date ($venv)"
  exit 0
fi
[ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv --system-site-packages "$venv"
echo "[amf setup] installing $req into $venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
echo "[amf setup] installing $req_nodeps into $venv (--no-deps)"
"$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps -r "$req_nodeps"
echo "$want" > "$stamp"
