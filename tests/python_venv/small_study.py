"""The Fig. 4 protocol of a Python scene end to end at small settings (`python -m <module>`): files,
summary, plots, and a rerun that resumes every arm from its checkpoint. Shared by the Metaworld and
FrankaKitchen tests."""
import json
import os
import re
import subprocess
import sys


def check_small_study(module, out, env, last_columns, pretrain_demos, timeout):
    cmd = [sys.executable, "-m", module, "--out", out, "--seeds", "1", "--budget", "2",
           "--eval-episodes", "1", "--pretrain-demos", str(pretrain_demos), "--pretrain-steps", "200",
           "--steps-per-round", "20", "--width", "32", "--depth", "1", "--workers", "2"]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "pre-training skewed" in run.stdout and "uniform, no isolation" in run.stdout
    summary = json.load(open(os.path.join(out, "summary.json")))
    arms = len(summary["config"]["arms"])  # amf, uniform, no isolation, rebalance, max-loss
    assert summary["config"]["env"] == env and arms == 5 and len(summary["arms"]) == 2 * arms
    curves = open(os.path.join(out, "curves.csv")).read().splitlines()
    assert curves[0].endswith(last_columns)
    assert len(curves) - 1 == 2 * arms * 2  # pretrain x arms x rounds (0 and 2 demos)
    for name in ("success_curves", "auc", "picks"):
        assert os.path.getsize(os.path.join(out, f"{name}.png")) > 1000
    rerun = subprocess.run(cmd + ["--no-plots"], capture_output=True, text=True, timeout=timeout)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert not re.search(r"seed \d+: .* done in", rerun.stdout)  # every arm came from its checkpoint
