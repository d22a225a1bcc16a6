"""tools/sweep_slurm.sh on the documented sweep (72 runs): the job-array and merge scripts."""
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_slurm_scripts_for_the_documented_sweep(tmp_path, amf_cli):
    out = tmp_path / "sweep"
    r = subprocess.run(["bash", str(ROOT / "tools" / "sweep_slurm.sh"), str(ROOT / "configs" / "sweep.toml"), str(out),
                        "--tasks", "8", "--cpus", "2", "--partition", "gpu"],
                       env=dict(os.environ, AMF=amf_cli), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr  # a long --list once died of SIGPIPE under pipefail
    array = (out / "slurm" / "sweep_array.sbatch").read_text()
    assert "#SBATCH --array=0-7" in array and "#SBATCH --partition=gpu" in array and "72 runs" in array
    assert "--task \"${SLURM_ARRAY_TASK_ID:?set by Slurm}\" --tasks 8" in array
    assert "--merge-only" in (out / "slurm" / "merge.sbatch").read_text()
    bad = subprocess.run(["bash", str(ROOT / "tools" / "sweep_slurm.sh"), str(ROOT / "configs" / "sweep.toml"),
                          str(out), "--tasks", "99"], env=dict(os.environ, AMF=amf_cli), capture_output=True, text=True)
    assert bad.returncode == 2 and "--tasks 99" in bad.stderr
