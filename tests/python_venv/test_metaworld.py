"""Real Metaworld (v3, pinned in tools/python-requirements.txt): the four-task scene with
Metaworld's scripted experts, and the Fig. 4 protocol end to end at small settings through
`python -m amf.metaworld_study` (files, summary, plots, resume)."""
import subprocess
import sys

import numpy as np
import pytest
from small_study import check_evaluation_is_pure, check_small_study

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


def test_an_evaluation_does_not_depend_on_earlier_episodes(scene):
    check_evaluation_is_pure(scene)


def test_small_study_end_to_end_and_resume(tmp_path):
    check_small_study("amf.metaworld_study", str(tmp_path / "mw"), "metaworld", "success_faucet-open-v3,success_faucet-close-v3",
                      pretrain_demos=4, timeout=600)


def test_bad_option_is_named(tmp_path):
    run = subprocess.run([sys.executable, "-m", "amf.metaworld_study", "--out", str(tmp_path), "--budget", "0"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "budget = 0" in run.stderr


def test_selection_trace_replays_the_studys_amf_picks(scene):
    # tools/metaworld_selection_trace.py explains published picks only if its replay (the study's
    # _run_arm in its selection-only mode: no deployed policy training or evaluations) makes the
    # study's picks: run the study's full AMF arm at small settings and the replay, and compare.
    import importlib.util
    from pathlib import Path

    from amf import policy_study

    tool_path = Path(__file__).resolve().parents[2] / "tools" / "metaworld_selection_trace.py"
    spec = importlib.util.spec_from_file_location("metaworld_selection_trace", tool_path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    cfg = policy_study.PolicyStudyConfig(width=32, depth=1, budget=4, pretrain_demos=2, pretrain_steps=50,
                                         steps_per_round=10, eval_episodes=1, seeds=1)
    job = {"pretrain": "skewed", "seed": 0}
    job_seed, placement_seed = policy_study.job_seeds(cfg, job)
    pretrained, warm = policy_study.pretrain_job(scene, cfg, job)
    arm = next(a for a in cfg.arms() if a["selector"] == "amf")
    evaluations = policy_study.JobEvaluations(scene, cfg.eval_episodes, 0)
    study = policy_study._run_arm(scene, cfg, arm, pretrained, warm, job, job_seed, placement_seed, evaluations)
    label, rounds = tool.trace_arm(scene, cfg, job, arm["noise_variance"])
    assert label == arm["label"]
    assert len(rounds) == len(study["rounds"]) - 1  # one selection per round after round 0
    uniform = next(a for a in cfg.arms() if a["selector"] == "uniform")
    with pytest.raises(ValueError, match="cannot run without evaluations"):
        policy_study._run_arm(scene, cfg, uniform, pretrained, warm, job, job_seed, placement_seed, None)
    assert [t for rd in rounds for t in rd["batch"]] == [p["task"] for p in study["picks"]]
    first = rounds[0]["tasks"]
    assert [t["task"] for t in first] == scene.task_names and all(t["demonstrations_so_far"] == 0 for t in first)
    for t in first:  # weights are a distribution over the pool; the residual is a squared error
        assert 0.0 <= t["own_task_weight_share"] <= 1.0 and 1.0 <= t["effective_trajectories"] <= len(warm)
        assert t["weighted_squared_residual"] >= 0 and t["label_effect"] >= 0 and np.isfinite(t["J"])
    assert "seed" in tool.summary([{"size": "small", "pretrain": "skewed", "seed": 0, "arm": label,
                                    "picks": [t for rd in rounds for t in rd["batch"]], "matches_published": None,
                                    "rounds": rounds}], scene.task_names)
