"""Real Metaworld (v3, pinned in tools/python-requirements.txt): the four-task scene with
Metaworld's scripted experts, and the Fig. 4 protocol end to end at small settings through
`python -m amf.metaworld_study` (files, summary, plots, resume)."""
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from amf.metaworld_scene import TASKS, MetaworldScene

pytestmark = pytest.mark.slow  # every Metaworld placement set costs ~2 s to build


@pytest.fixture(scope="module")
def scene():
    return MetaworldScene()


def test_experts_demonstrate_every_task_deterministically(scene):
    for k, name in enumerate(TASKS):
        demo = scene.demonstrate(k, seed=3, placement_seed=11)
        assert demo["success"], f"{name}: the scripted expert failed"
        assert demo["states"].shape == (len(demo["actions"]), 39) and demo["actions"].shape[1] == 4
        assert 20 < len(demo["actions"]) < 150
        again = scene.demonstrate(k, seed=3, placement_seed=11)
        np.testing.assert_array_equal(demo["states"], again["states"])
        np.testing.assert_array_equal(demo["actions"], again["actions"])
        assert np.all(np.abs(demo["actions"]) <= 1)


def test_success_is_metaworlds_flag_on_held_out_placements(scene):
    import metaworld.policies as P

    expert = P.SawyerFaucetOpenV3Policy()
    assert scene.success(lambda obs, k: expert.get_action(obs), 2, episodes=2, seed=5) == 1.0
    assert scene.success(lambda obs, k: np.zeros(4), 2, episodes=2, seed=5) == 0.0  # standing still never opens it


def test_small_study_end_to_end_and_resume(tmp_path):
    out = str(tmp_path / "mw")
    cmd = [sys.executable, "-m", "amf.metaworld_study", "--out", out, "--seeds", "1", "--budget", "2",
           "--eval-episodes", "1", "--pretrain-demos", "4", "--pretrain-steps", "200", "--steps-per-round", "20",
           "--width", "32", "--depth", "1", "--workers", "2"]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "pre-training skewed" in run.stdout and "uniform, no isolation" in run.stdout
    summary = json.load(open(os.path.join(out, "summary.json")))
    assert summary["config"]["env"] == "metaworld" and len(summary["arms"]) == 6
    curves = open(os.path.join(out, "curves.csv")).read().splitlines()
    assert curves[0].endswith("success_faucet-open-v3,success_faucet-close-v3")
    assert len(curves) - 1 == 2 * 3 * 2  # pretrain x arms x rounds (0 and 2 demos)
    for name in ("success_curves", "auc", "picks"):
        assert os.path.getsize(os.path.join(out, f"{name}.png")) > 1000
    rerun = subprocess.run(cmd + ["--no-plots"], capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert not re.search(r"seed \d+: .* done in", rerun.stdout)  # every arm came from its checkpoint


def test_bad_option_is_named(tmp_path):
    run = subprocess.run([sys.executable, "-m", "amf.metaworld_study", "--out", str(tmp_path), "--budget", "0"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "budget = 0" in run.stderr
