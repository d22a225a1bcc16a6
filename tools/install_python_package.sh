#!/usr/bin/env bash
# The Python package into the project venv: builds amf's wheel (pyproject.toml) from the CMake
# build directory build/ that tools/build.sh has just built, into build/dist/, and installs it into
# .venv in place of any earlier amf. Nothing compiles again: scikit-build-core reconfigures build/
# with the options cached there, finds the module target up to date and installs its component.
# Offline: the build backend comes from the venv (--no-build-isolation; scikit-build-core is pinned
# in tools/python-requirements.txt) and the install takes nothing from an index (--no-index), so a
# dependency the venv lacks fails here instead of being downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
pip=("$py" -m pip --disable-pip-version-check -q)
# Until issue #18 a .pth file in the venv put build/python on its path; left there, it would shadow
# the installed package (and a later build/ of this checkout would be what `import amf` loads).
site=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
rm -f "$site/amf.pth"
rm -rf build/dist
"${pip[@]}" wheel --no-deps --no-build-isolation --config-settings=build-dir=build -w build/dist .
wheels=(build/dist/amf-*.whl)
[ ${#wheels[@]} -eq 1 ] || { echo "[amf] expected one wheel in build/dist, found: ${wheels[*]}" >&2; exit 1; }
# Uninstalled first rather than --force-reinstall, which would reinstall numpy too (from no index).
if "$py" -m pip show -q amf >/dev/null 2>&1; then "${pip[@]}" uninstall -y amf; fi
"${pip[@]}" install --no-index "${wheels[0]}"
echo "[amf] installed ${wheels[0]#build/dist/} into $py"
