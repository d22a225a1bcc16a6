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


def check_evaluation_is_pure(scene):
    """amf.policy_study.JobEvaluations reuses the success rate of a copy no round changed: that is
    exact only if an evaluation depends on nothing the scene did before. Evaluate task 1 with a
    fixed nonlinear policy, then other tasks and a demonstration, then task 1 again: the policy
    must see the same observations, to the bit."""
    import numpy as np

    weights = np.random.default_rng(0).standard_normal((scene.action_dim, scene.state_dim)) * 0.3

    def evaluate(k):
        seen = []

        def act(obs, task):
            seen.append(np.array(obs, dtype=np.float64))
            return np.tanh(weights @ obs)

        return scene.success(act, k, 2, 123), np.array(seen)

    first = evaluate(1)
    evaluate(0)
    scene.demonstrate(2, seed=5)
    evaluate(2)
    again = evaluate(1)
    assert first[0] == again[0]
    np.testing.assert_array_equal(first[1], again[1])
