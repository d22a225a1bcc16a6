"""Metaworld's multi-task benchmarks as a large task space (amf.metaworld_mt_scene) and the
large-task-space study (python -m amf.metaworld_mt_study) at tiny size: 2 environments x 3
placements, one round, every arm; output files, the picks map, and a rerun that resumes every
(arm, batch size) from its checkpoint."""
import csv
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from amf.metaworld_mt_scene import MetaworldMTScene, benchmark_envs

ENVS = ("reach-v3", "button-press-topdown-v3")


@pytest.fixture(scope="module")
def scene():
    return MetaworldMTScene(envs=ENVS, placements=3, target_placements=2)


def test_the_benchmarks_are_metaworlds():
    assert len(benchmark_envs("mt10")) == 10 and len(benchmark_envs("mt50")) == 50
    assert set(benchmark_envs("mt10")) < set(benchmark_envs("mt50"))


def test_candidates_and_held_out_targets(scene):
    cands, targets = scene.candidate_vectors(), scene.target_vectors()
    assert scene.num_tasks == 6 and cands.shape == (6, 2 + 6) and targets.shape == (4, 8)
    assert scene.task_names[:3] == ["reach-v3/0", "reach-v3/1", "reach-v3/2"]
    np.testing.assert_array_equal(cands[:, :2], np.repeat(np.eye(2), 3, axis=0))  # environment one-hot
    np.testing.assert_array_equal(scene.target_env, [0, 0, 1, 1])  # uniform over environments
    assert np.all(np.abs(cands[:, 2:]) < 1.5)  # positions normalised to about [-1, 1]
    assert len(np.unique(cands[:3, 2:], axis=0)) == 3  # reach's placements differ in their goal
    # held out: no target has a candidate's positions
    assert not any(np.allclose(t, c) for t in targets for c in cands)


def test_experts_demonstrate_deterministically_and_succeed(scene):
    for k in (0, 4):
        demo = scene.demonstrate(k, seed=3)
        assert demo["success"] and demo["states"].shape == (len(demo["actions"]), 39)
        np.testing.assert_array_equal(demo["task"], scene.task_vector(k))
        again = scene.demonstrate(k, seed=3)
        np.testing.assert_array_equal(demo["actions"], again["actions"])


def test_success_is_metaworlds_flag_on_targets(scene):
    import metaworld.policies as P

    expert = P.ENV_POLICY_MAP["reach-v3"]()
    assert scene.target_success(lambda obs, j: expert.get_action(obs), 0)
    assert not scene.target_success(lambda obs, j: np.zeros(4), 0)
    assert scene.success(lambda obs, k: expert.get_action(obs), 1) == 1.0


def test_bad_scene_settings_are_named():
    with pytest.raises(ValueError, match="placements = 51"):
        MetaworldMTScene(envs=ENVS, placements=51)
    with pytest.raises(ValueError, match="not Metaworld v3 environments"):
        MetaworldMTScene(envs=("reach-v3", "fly-v3"))
    with pytest.raises(ValueError, match="held-out"):
        MetaworldMTScene(envs=ENVS, candidate_seed=4, target_seed=4)
    with pytest.raises(IndexError, match="candidate 6 out of range"):
        MetaworldMTScene(envs=ENVS, placements=3).task_vector(6)


def test_tiny_study_end_to_end_and_resume(tmp_path):
    out = str(tmp_path / "mt")
    cmd = [sys.executable, "-m", "amf.metaworld_mt_study", "--out", out, "--size", "tiny"]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    summary = json.load(open(os.path.join(out, "summary.json")))
    arms = [a["label"] for a in summary["config"]["arms"]]
    assert arms == ["amf all", "amf head", "uniform", "uniform over envs", "rebalance (privileged)",
                    "uniform, no isolation", "amf all, no isolation"]
    assert len(summary["arms"]) == len(arms)  # one pre-training kind, one batch size
    curves = list(csv.DictReader(open(os.path.join(out, "curves.csv"))))
    assert [c for c in curves[0] if c.startswith("success_")] == ["success_reach-v3", "success_button-press-topdown-v3"]
    assert len(curves) == len(arms) * 2 and {c["pretrain"] for c in curves} == {"skewed b=2"}  # rounds 0 and 1
    picks = list(csv.DictReader(open(os.path.join(out, "picks.csv"))))
    assert len(picks) == len(arms) * 2
    assert all(re.fullmatch(r"(reach|button-press-topdown)-v3/[0-2]", p["task"]) for p in picks)
    times = list(csv.DictReader(open(os.path.join(out, "selection_times.csv"))))
    assert len(times) == len(arms) and all(float(t["selection_s"]) >= 0 for t in times)
    for name in ("success_curves", "auc", "picks"):
        assert os.path.getsize(os.path.join(out, f"{name}.png")) > 1000
    # The curves are drawn per record key ("skewed b=2"), not per configured pre-training
    # ("skewed", which no record carries: the panels came out empty once).
    from amf.plot_nn_study import record_pretrains

    summary_rows = list(csv.DictReader(open(os.path.join(out, "summary_curves.csv"))))
    assert record_pretrains(summary["config"], summary_rows) == ["skewed b=2"]
    before = open(os.path.join(out, "curves.csv")).read()
    rerun = subprocess.run(cmd + ["--no-plots"], capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert not re.search(r"done in \d+ s \(final", rerun.stdout)  # every arm came from its checkpoint
    assert "1/1 jobs done (1 from checkpoints)" in rerun.stdout and "s left" not in rerun.stdout
    assert open(os.path.join(out, "curves.csv")).read() == before
    # A checkpoint of the earlier layout (one file per seed, every batch size) is resumed too.
    jobs = os.path.join(out, "jobs")
    assert os.listdir(jobs) == ["job_skewed_seed0_b2.json"]
    os.rename(os.path.join(jobs, "job_skewed_seed0_b2.json"), os.path.join(jobs, "job_skewed_seed0.json"))
    rerun = subprocess.run(cmd + ["--no-plots"], capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert not re.search(r"done in \d+ s \(final", rerun.stdout)
    assert open(os.path.join(out, "curves.csv")).read() == before
    # An arm saved from another pre-trained policy (a job resumed on another machine, whose float
    # results differ) is recomputed, alone, and comes out as before.
    [name] = os.listdir(jobs)
    saved = json.load(open(os.path.join(jobs, name)))
    assert all(len(a["pretrained"]) == 40 for a in saved["arms"].values())
    saved["arms"]["uniform b=2"]["pretrained"] = "0" * 40
    json.dump(saved, open(os.path.join(jobs, name), "w"))
    rerun = subprocess.run(cmd + ["--no-plots"], capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert len(re.findall(r"done in \d+ s \(final", rerun.stdout)) == 1
    assert "arm 'uniform b=2' was computed from another pre-trained policy" in rerun.stdout
    assert open(os.path.join(out, "curves.csv")).read() == before


def test_bad_option_is_named(tmp_path):
    run = subprocess.run([sys.executable, "-m", "amf.metaworld_mt_study", "--out", str(tmp_path), "--size", "tiny",
                          "--batch-sizes", "0"], capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "batch_sizes = (0,)" in run.stderr
