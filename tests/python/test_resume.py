"""A study killed with SIGKILL mid-way resumes and ends with the results of an uninterrupted run."""
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

CONFIG = """
study = "gp"
preset = "default"
[run]
seeds = 2
rounds = 4
k_values = [12, 3]
threads = 1
[selection]
shooting_budget = 48
[env]
episodes_per_task = 1
[report]
bootstrap_resamples = 200
"""


def rounds_done(run_dir):
    import json
    total = 0
    for f in Path(run_dir).glob("run_*.json"):
        try:
            total += sum(m["next_round"] for m in json.loads(f.read_text())["methods"].values())
        except (ValueError, KeyError):
            pass  # caught between write and rename cannot happen (atomic), but be safe
    return total


@pytest.mark.slow
def test_sigkill_then_resume_equals_uninterrupted(tmp_path, amf_cli):
    config = tmp_path / "study.toml"
    config.write_text(CONFIG)
    full, killed = tmp_path / "full", tmp_path / "killed"
    subprocess.run([amf_cli, "run", str(config), "--out", str(full), "--no-plots"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    proc = subprocess.Popen([amf_cli, "run", str(config), "--out", str(killed), "--no-plots"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while rounds_done(killed / "runs") < 6 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.01)
    assert proc.poll() is None, "the study finished before it could be killed; make it longer"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (killed / "curves.csv").exists()
    done_before = rounds_done(killed / "runs")
    assert 0 < done_before < 2 * 2 * 3 * 5  # some, not all, rounds were saved

    subprocess.run([amf_cli, "run", str(config), "--out", str(killed), "--no-plots"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for name in ("curves.csv", "picks.csv", "summary_curves.csv"):
        assert sorted((full / name).read_text().splitlines()) == sorted((killed / name).read_text().splitlines()), name
