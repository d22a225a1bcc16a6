"""Installs amf's wheel into a fresh venv and runs every ```python example of README.md with it.

Usage: python wheel_in_fresh_venv.py WHEEL_DIR BUILD_DIR SOURCE_DIR

Run by CTest (python_wheel_fresh_venv) with the project venv's interpreter. WHEEL_DIR holds the
one wheel tools/build.sh built from this build (tools/install_python_package.sh); the test fails,
saying so, when it is missing or older than the module or the package's sources.

The fresh venv has no system site packages and no amf but the wheel's. torch and numpy are not
downloaded into it (torch 2.10 with its CUDA wheels is ~7 GB): it sees the packages of the
project interpreter's site directories, torch 2.10 and Debian's numpy among them, through a
directory of links to them that leaves out every amf entry (a package, a dist-info, a .pth), so
the project's own amf and build/python stay invisible. The wheel is installed with the fresh
venv's own pip, --no-index and with its dependencies checked (numpy<2 must be satisfied by what is
visible). Each example runs from a directory outside the checkout, with PYTHONPATH cleared, and
then reports where `amf` and every native amf library it loaded came from: all must be inside the
fresh venv's installed package.

What this proves: the wheel is self-contained for this machine (module and project libraries
found through $ORIGIN, no path into the checkout or build/), its metadata installs with a
compatible numpy present, and the README's Python and PyTorch examples run against it. What it
does not prove: installing torch and numpy from PyPI into an empty venv (tools/setup_python.sh
does that for the project venv, pinned), or that the wheel runs on a machine without Debian's
HDF5, OpenMPI, OpenBLAS (and CUDA's libraries where the build had nvcc): it is not manylinux.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Appended to each example: where amf and its native libraries were loaded from.
REPORT = """
import json as _json, os as _os, amf as _amf
_maps = {line.split()[-1] for line in open("/proc/self/maps") if "/libamf" in line or "/_amf." in line}
print("AMF_LOADED " + _json.dumps({"package": _os.path.dirname(_os.path.realpath(_amf.__file__)),
                                   "libraries": sorted(_maps), "version": _amf.__version__}))
"""


def fail(message):
    sys.exit(f"wheel_in_fresh_venv: {message}")


def the_wheel(wheel_dir, build_dir, source_dir):
    wheels = sorted(Path(wheel_dir).glob("amf-*.whl"))
    if len(wheels) != 1:
        fail(f"expected one amf wheel in {wheel_dir}, found {[w.name for w in wheels]}: "
             "tools/build.sh builds it (tools/install_python_package.sh)")
    wheel = wheels[0]
    # The wheel must be at least as new as what it packages, or the test would pass on old code.
    inputs = list(Path(build_dir, "python", "amf").glob("_amf*.so")) + list(Path(source_dir, "python", "amf").glob("*.py"))
    if not inputs:
        fail(f"no module in {build_dir}/python/amf: build first")
    newest = max(inputs, key=lambda p: p.stat().st_mtime)
    if newest.stat().st_mtime > wheel.stat().st_mtime:
        fail(f"{wheel.name} is older than {newest}: rerun tools/install_python_package.sh (or tools/build.sh)")
    return wheel


def site_directories():
    """The project interpreter's site directories, in search order (its venv's, any .pth-added
    ones, Debian's)."""
    dirs = []
    for entry in sys.path:
        p = Path(entry)
        if p.name in ("site-packages", "dist-packages") and p.is_dir() and p.resolve() not in [d.resolve() for d in dirs]:
            dirs.append(p)
    return dirs


def is_amf_entry(name):
    return name == "amf" or name.startswith(("amf-", "amf.", "_amf")) or name.endswith(".pth")


def dependency_view(work):
    """One directory of links per site directory, every entry but amf's; returns them in order."""
    views = []
    for i, site in enumerate(site_directories()):
        view = work / "deps" / str(i)
        view.mkdir(parents=True)
        for entry in site.iterdir():
            if not is_amf_entry(entry.name) and entry.name != "__pycache__":
                (view / entry.name).symlink_to(entry)
        views.append(view)
    return views


def clean_environment():
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PYTHONUSERBASE")}
    env["PYTHONNOUSERSITE"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def run(cmd, cwd, env, what):
    t0 = time.monotonic()
    r = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"{what} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    print(f"{what}: {time.monotonic() - t0:.1f} s", flush=True)
    return r.stdout


def readme_examples(source_dir):
    blocks = re.findall(r"```python\n(.*?)```", Path(source_dir, "README.md").read_text(), re.S)
    if len(blocks) < 2 or not any("import torch" in b for b in blocks):
        fail(f"README.md has {len(blocks)} ```python blocks; expected the Python and the PyTorch example")
    return blocks


def check_loaded(report, package_dir, wheel_version, source_dir, build_dir):
    loaded = json.loads(report)
    if Path(loaded["package"]) != package_dir:
        fail(f"`import amf` loaded {loaded['package']}, not the installed {package_dir}")
    names = {Path(lib).name for lib in loaded["libraries"]}
    outside = [lib for lib in loaded["libraries"] if not Path(lib).is_relative_to(package_dir)]
    if outside or not {"libamf.so.0", "libamf_engine.so.0"} <= names:
        fail(f"amf's native libraries must all come from {package_dir}: {loaded['libraries']}")
    for tree in (source_dir, build_dir):
        if any(Path(lib).is_relative_to(tree) for lib in loaded["libraries"]):
            fail(f"a library was loaded from {tree}: {loaded['libraries']}")
    if loaded["version"] != wheel_version:
        fail(f"amf.__version__ {loaded['version']} != the wheel's {wheel_version}")


def main(wheel_dir, build_dir, source_dir):
    source_dir, build_dir = Path(source_dir).resolve(), Path(build_dir).resolve()
    wheel = the_wheel(wheel_dir, build_dir, source_dir)
    # Outside the checkout and build/, so that a path into either is a failure to report.
    work = Path(tempfile.mkdtemp(prefix="amf_wheel_venv_")).resolve()
    try:
        check(wheel, build_dir, source_dir, work)
    except BaseException:
        print(f"(the fresh venv is kept in {work})")
        raise
    shutil.rmtree(work)


def check(wheel, build_dir, source_dir, work):
    wheel_version = wheel.name.split("-")[1]
    env = clean_environment()

    venv = work / "venv"
    run([sys.executable, "-m", "venv", venv], work, env, "fresh venv")
    python = venv / "bin" / "python"
    purelib = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], work, env,
                       "its site directory").strip())
    views = dependency_view(work)
    (purelib / "_project_dependencies.pth").write_text("".join(f"{v}\n" for v in views))
    run([python, "-c", "import torch, numpy\ntry:\n    import amf\nexcept ImportError:\n    pass\n"
                       "else:\n    raise SystemExit('amf is importable before the wheel is installed')"],
        work, env, "torch and numpy visible, amf not")
    run([python, "-m", "pip", "install", "--no-index", wheel], work, env, f"pip install --no-index {wheel.name}")
    package_dir = (purelib / "amf").resolve()

    # The README's examples read examples/... relative to the repository root: a directory outside
    # the checkout that links only examples/.
    cwd = work / "cwd"
    cwd.mkdir()
    (cwd / "examples").symlink_to(source_dir / "examples")
    for i, example in enumerate(readme_examples(source_dir)):
        out = run([python, "-c", example + REPORT], cwd, env, f"README python example {i + 1}")
        reports = [line[len("AMF_LOADED "):] for line in out.splitlines() if line.startswith("AMF_LOADED ")]
        if not reports:
            fail(f"example {i + 1} printed no report:\n{out}")
        check_loaded(reports[-1], package_dir, wheel_version, source_dir, build_dir)
        print("\n".join(line for line in out.splitlines() if not line.startswith("AMF_LOADED ")))
    print(f"ok: {wheel.name} in a fresh venv ({package_dir}) runs the README's Python examples")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        fail(__doc__.splitlines()[2])
    main(*sys.argv[1:])
