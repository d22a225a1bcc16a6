"""The GPyTorch peer (bench/gpytorch_peer.py) end to end on a small AMF-GP problem: the engine's
export (bench/export_gp_peer.cpp), then J(c) from GPyTorch and the float64 textbook. The engine
must agree with the textbook to 1e-10 (the script itself fails above 1e-8), GPyTorch to 1e-6 (its
hyperparameters pass through softplus constraints, about 1e-8 here)."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_peer(tmp_path, *extra):
    export = os.environ.get("AMF_EXPORT_GP_PEER")
    if not export:
        pytest.fail("AMF_EXPORT_GP_PEER is not set (CTest sets it to the export_gp_peer binary)")
    subprocess.run([export, str(tmp_path), "12", "10", "6", "3"], check=True, capture_output=True, text=True)
    return subprocess.run([sys.executable, str(ROOT / "bench" / "gpytorch_peer.py"), str(tmp_path), *extra],
                          capture_output=True, text=True)


def test_engine_gpytorch_and_textbook_agree(tmp_path):
    out = run_peer(tmp_path, "--timed-pairs", "2", "--device", "cpu")
    assert out.returncode == 0, out.stderr
    rows = re.findall(r"^\| (\d+) \| (\d+) \| (\S+) \| (\S+) \| (\S+) \| (\S+) \| (\S+) \|$", out.stdout, re.M)
    assert len(rows) == 3, out.stdout
    for _, pairs, j_engine, j_gp, j_ref, d_engine, d_gp in rows:
        assert int(pairs) >= 1
        assert abs(float(j_engine) - float(j_ref)) <= 1e-10 * abs(float(j_ref))
        assert float(d_gp) < 1e-6
    assert re.search(r"ms per pair .* \*\*[0-9.]+x\*\*", out.stdout), out.stdout


def test_mismatched_export_is_named(tmp_path):
    export = os.environ.get("AMF_EXPORT_GP_PEER")
    subprocess.run([export, str(tmp_path), "12", "10", "6", "3"], check=True, capture_output=True)
    (tmp_path / "Z.bin").write_bytes((tmp_path / "Z.bin").read_bytes()[:-8 * 3])
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "gpytorch_peer.py"), str(tmp_path)],
                         capture_output=True, text=True)
    assert out.returncode != 0
    assert "do not match meta.json" in out.stderr + out.stdout
