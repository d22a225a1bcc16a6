"""The Python Fig. 4 protocol (amf.policy_study) on a toy reach scene: output files in the C++
nn-study formats, deterministic results independent of the process count, resume after a lost
arm recomputing only that arm, configurations and checkpoints validated with the field named."""
import json
import os
import shutil

import pytest

pytest.importorskip("torch")
from amf import policy_study  # noqa: E402
from amf.policy_study import PolicyStudyConfig, run_study  # noqa: E402
from toy_scene import ToyScene  # noqa: E402


def small(**kw):
    cfg = dict(env="toy", seeds=2, budget=4, batch_size=2, eval_episodes=3, pretrain_demos=4, width=16, depth=1,
               pretrain_steps=150, steps_per_round=20, minibatch=64, workers=1, bootstrap_resamples=200,
               noise_variances=(1.0,))
    cfg.update(kw)
    return PolicyStudyConfig(**cfg)


def files(out):
    return {n: open(os.path.join(out, n)).read() for n in
            ("curves.csv", "picks.csv", "summary_curves.csv", "auc.csv", "summary.json", "summary.txt")}


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("toy_study"))
    table = run_study(ToyScene, small(), out)
    return out, table, files(out)


def test_outputs_have_every_round_pick_and_arm(study):
    out, table, f = study
    curves = f["curves.csv"].splitlines()
    assert curves[0] == "pretrain,arm,seed,round,demos,success,success_east,success_north,success_west,success_south"
    assert len(curves) - 1 == 2 * 2 * 5 * 3  # pretrain x seeds x arms x rounds (0, 2, 4 demos)
    assert len(f["picks.csv"].splitlines()) - 1 == 2 * 2 * 5 * 4  # every arm spends the budget
    summary = json.loads(f["summary.json"])
    assert [a["label"] for a in summary["config"]["arms"]] == [
        "amf s2=1", "uniform", "uniform, no isolation", "rebalance (privileged)", "max warm-start loss"]
    assert len(summary["arms"]) == 10
    for row in summary["arms"]:
        assert 0 <= row["auc"]["lo"] <= row["auc"]["mean"] <= row["auc"]["hi"] <= 1
    assert "pre-training skewed" in table and "amf s2=1" in table


def test_plots_are_drawn(study):
    out, _, _ = study
    policy_study.plot(out)
    for name in ("success_curves", "auc", "picks"):
        assert os.path.getsize(os.path.join(out, f"{name}.png")) > 1000


def test_rerun_resumes_and_a_lost_arm_is_recomputed_alone(study, tmp_path, capsys):
    out, _, before = study
    copy = str(tmp_path / "copy")
    shutil.copytree(out, copy)
    capsys.readouterr()
    run_study(ToyScene, small(), copy)
    log = capsys.readouterr().out
    assert "done in" not in log  # nothing recomputed
    assert "4/4 jobs done (4 from checkpoints)" in log and "s left" not in log  # no rate to estimate from
    job = os.path.join(copy, "jobs", "job_skewed_seed1.json")
    saved = json.load(open(job))
    del saved["arms"]["uniform"]  # as if the process died while that arm ran
    json.dump(saved, open(job, "w"))
    run_study(ToyScene, small(), copy)
    log = capsys.readouterr().out
    assert log.count("done in") == 1 and "skewed seed 1: uniform done" in log
    assert "4/4 jobs done (3 from checkpoints)" in log
    assert files(copy) == before  # byte for byte: the recomputed arm is deterministic


def test_saved_arms_of_another_pretraining_are_recomputed(study, tmp_path, capsys):
    # A job resumed on another machine or build pre-trains a slightly different policy: its saved
    # arms are kept only when they record this pre-training or, saved before that record, match
    # its round 0.
    out, _, before = study
    copy = str(tmp_path / "copy")
    shutil.copytree(out, copy)
    job = os.path.join(copy, "jobs", "job_skewed_seed1.json")
    saved = json.load(open(job))
    arms = saved["arms"]
    ids = {arm["pretrained"] for arm in arms.values()}
    assert len(ids) == 1 and len(next(iter(ids))) == 40
    arms["uniform"]["pretrained"] = "0" * 40  # from another pre-training: recomputed
    del arms["rebalance (privileged)"]["pretrained"]  # older, with another round 0: recomputed
    arms["rebalance (privileged)"]["rounds"][0]["task_success"][0] += 0.5
    del arms["amf s2=1"]["pretrained"]  # older, same round 0: kept
    json.dump(saved, open(job, "w"))
    capsys.readouterr()
    run_study(ToyScene, small(), copy)
    log = capsys.readouterr().out
    assert log.count("done in") == 2 and "skewed seed 1: uniform done" in log
    assert "arm 'rebalance (privileged)' was computed from another pre-trained policy" in log
    assert files(copy) == before  # the recomputed arms are the same computation
    after = json.load(open(job))["arms"]
    assert {arm["pretrained"] for arm in after.values()} == ids


def test_two_processes_give_the_same_results(study, tmp_path):
    _, _, before = study
    run_study(ToyScene, small(workers=2), str(tmp_path))
    assert files(str(tmp_path))["curves.csv"] == before["curves.csv"]


def test_checkpoints_of_another_configuration_are_refused(study, tmp_path):
    out, _, _ = study
    copy = str(tmp_path / "copy")
    shutil.copytree(out, copy)
    with pytest.raises(ValueError, match="another configuration"):
        run_study(ToyScene, small(budget=6), copy)


@pytest.mark.parametrize("field,value,message", [
    ("budget", 0, "budget = 0"), ("noise_variances", (), "noise_variances"), ("pretrain", ("both",), "pretrain"),
    ("learning_rate", -1.0, "learning_rate"), ("confidence", 1.5, "confidence")])
def test_bad_configurations_name_the_field(field, value, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        run_study(ToyScene, small(**{field: value}), str(tmp_path))


def _writer_inputs():
    spec = {"env": "toy", "figure": "fig4", "task_names": ["a", "b"], "pretrain": ["uniform"],
            "arm_labels": ["amf", "uniform"], "budget": 4, "seeds": 2, "bootstrap_resamples": 100,
            "confidence": 0.9, "config_json": json.dumps({"env": "toy"})}
    rounds, picks = [], []
    for seed in (0, 1):
        for arm, curve in (("amf", [(0, 0.0), (2, 0.5), (4, 1.0)]), ("uniform", [(0, 0.0), (2, 0.0), (4, 0.5)])):
            for r, (demos, success) in enumerate(curve):
                rounds.append({"pretrain": "uniform", "arm": arm, "seed": seed, "round": r, "demos": demos,
                               "success": success, "task_success": [success, success]})
            picks.append({"pretrain": "uniform", "arm": arm, "seed": seed, "round": 0, "task": "a"})
    return spec, rounds, picks


def test_the_shared_writer_gives_the_normalised_trapezoid_auc(tmp_path):
    import amf
    spec, rounds, picks = _writer_inputs()
    table = amf.write_study_outputs(spec, rounds, picks, str(tmp_path))
    auc = {line.split(",")[1].strip('"'): float(line.split(",")[2])
           for line in open(tmp_path / "auc.csv").read().splitlines()[1:]}
    assert auc["amf"] == pytest.approx((0.5 + 1.5) / 4)
    assert auc["uniform"] == pytest.approx((0.0 + 0.5) / 4)
    summary = json.load(open(tmp_path / "summary.json"))
    assert summary["reference_arm"] == "uniform" and summary["config"] == {"env": "toy"}
    diff = next(a for a in summary["arms"] if a["arm"] == "amf")["auc_minus_reference"]
    # Two seeds that agree exactly give a zero-width interval, which is no evidence: no star.
    assert diff["mean"] == pytest.approx(0.5 - 0.125) and not diff["better_beyond_ci"] and not diff["worse_beyond_ci"]
    assert "AUC - uniform (paired)" in table


@pytest.mark.parametrize("mutate, message", [
    (lambda s, r, p: s.pop("budget"), "spec has no 'budget'"),
    (lambda s, r, p: r[3].update(task_success=[1.0]), r"round record 3 has 1 task successes for 2 task names"),
    (lambda s, r, p: r[0].update(seed="zero"), r"rounds\[0\]\['seed'\] has the wrong type \(str\)"),
    (lambda s, r, p: p.__setitem__(1, 7), r"picks\[1\] is not a dict"),
    (lambda s, r, p: s.update(config_json="{"), "config_json is not JSON")])
def test_the_shared_writer_names_bad_records(mutate, message, tmp_path):
    import amf
    spec, rounds, picks = _writer_inputs()
    mutate(spec, rounds, picks)
    with pytest.raises(ValueError, match=message):
        amf.write_study_outputs(spec, rounds, picks, str(tmp_path))
    assert not os.path.exists(tmp_path / "curves.csv"), "nothing is written from bad input"


def test_more_seeds_or_one_pretraining_kind_reuse_the_directory(study, tmp_path, capsys):
    out, _, before = study
    copy = str(tmp_path / "copy")
    shutil.copytree(out, copy)
    capsys.readouterr()
    run_study(ToyScene, small(seeds=3, pretrain=("skewed",)), copy)
    log = capsys.readouterr().out
    assert log.count("done in") == 5 and log.count("skewed seed 2:") == 5  # only the new job's five arms
    curves = open(os.path.join(copy, "curves.csv")).read().splitlines()
    old = [line for line in before["curves.csv"].splitlines()[1:] if line.startswith("skewed,")]
    assert curves[1:1 + len(old)] == old  # seeds 0 and 1 come back unchanged from their checkpoints


def test_a_second_study_in_the_same_directory_is_refused(tmp_path):
    import fcntl

    os.makedirs(tmp_path / "jobs")
    with open(tmp_path / ".study.lock", "w") as held:  # as a running study holds it
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(RuntimeError, match="another study is running"):
            run_study(ToyScene, small(), str(tmp_path))
    run_study(ToyScene, small(seeds=1, pretrain=("skewed",)), str(tmp_path))  # released: runs


def test_top_tasks_takes_the_highest_scores_and_breaks_ties_at_random():
    import numpy as np

    rng = np.random.default_rng(0)
    assert policy_study.top_tasks([0.1, 0.9, 0.5, 0.2], 2, rng) == [1, 2]
    assert policy_study.top_tasks([0.3, 0.1], 3, rng) == [0, 1, 0]  # cycles past the task count
    firsts = {policy_study.top_tasks([1.0, 1.0, 0.0], 1, np.random.default_rng(s))[0] for s in range(20)}
    assert firsts == {0, 1}


def test_baseline_arms_pick_what_they_promise(study):
    # Rebalancing demonstrates, each round, tasks the deployed policy failed most at the last
    # evaluation; max-loss a task whose warm-start demonstration the selection copy imitates worst.
    out, _, f = study
    import csv
    import io

    curves = list(csv.DictReader(io.StringIO(f["curves.csv"])))
    picks = list(csv.DictReader(io.StringIO(f["picks.csv"])))
    names = [c[len("success_"):] for c in curves[0] if c.startswith("success_")]
    checked = 0
    for row in picks:
        if row["arm"] != "rebalance (privileged)":
            continue
        before = next(c for c in curves if c["arm"] == row["arm"] and c["pretrain"] == row["pretrain"]
                      and c["seed"] == row["seed"] and c["round"] == row["round"])
        success = {n: float(before["success_" + n]) for n in names}
        assert success[row["task"]] == min(success.values()), (row, success)
        checked += 1
    assert checked == 2 * 2 * 4
    assert any(r["arm"] == "max warm-start loss" for r in picks)


def test_warm_start_losses_rank_an_unseen_task_above_a_learnt_one():
    import numpy as np
    import torch

    class Copies(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.copies = torch.nn.ModuleList([torch.nn.Linear(3, 1, bias=False)])
            with torch.no_grad():
                self.copies[0].weight.copy_(torch.tensor([[1.0, 0.0, 0.0]]))  # action = first state coordinate

    states = np.array([[1.0, 2.0], [3.0, 4.0]])
    learnt = {"task": 0, "states": states, "actions": states[:, :1]}
    unseen = {"task": 1, "states": states, "actions": -states[:, :1]}
    losses = policy_study.warm_start_losses(Copies(), [learnt, unseen], np.array([[0.0], [1.0]]), [0, 0])
    assert losses[0] == 0.0 and losses[1] == (4.0 + 36.0) / 2


class CountingScene(ToyScene):
    calls = 0

    def success(self, act, k, episodes, seed):
        CountingScene.calls += 1
        return super().success(act, k, episodes, seed)


def test_remembered_evaluations_equal_recomputed_ones(study, tmp_path, monkeypatch):
    # JobEvaluations reuses the success rate of a copy no round has changed (round 0 in every arm,
    # a task-isolated copy before its task is picked); evaluating every task every round instead
    # must give the same files byte for byte, with more scene evaluations.
    _, _, remembered = study
    CountingScene.calls = 0
    run_study(CountingScene, small(), str(tmp_path / "remembered"))
    reused = CountingScene.calls

    class Recompute(policy_study.JobEvaluations):
        def success(self, act, k, acting):
            self.computed += 1
            return self.scene.success(act, k, self.episodes, self.seed)

    monkeypatch.setattr(policy_study, "JobEvaluations", Recompute)
    CountingScene.calls = 0
    run_study(CountingScene, small(), str(tmp_path / "recomputed"))
    everything = CountingScene.calls
    assert files(str(tmp_path / "recomputed")) == remembered
    assert everything == 2 * 2 * 5 * 3 * 4  # pretrain x seeds x arms x rounds x tasks
    # Round 0 is shared by the five arms of a job (4 x 4 evaluations saved), and more where a
    # task's copy was still the pre-trained one.
    assert reused <= everything - 2 * 2 * 4 * 4


def test_a_copy_is_remembered_by_its_parameters():
    import torch

    class Fixed:
        calls = 0

        def success(self, act, k, episodes, seed):
            Fixed.calls += 1
            return float(k) / 10

    evaluations = policy_study.JobEvaluations(Fixed(), 3, 7)
    copy = torch.nn.Linear(2, 2)
    assert evaluations.success(None, 1, copy) == 0.1 and evaluations.success(None, 1, copy) == 0.1
    assert evaluations.success(None, 2, copy) == 0.2 and Fixed.calls == 2  # the task is part of the key
    with torch.no_grad():
        copy.weight[0, 0] += 1e-7  # one changed parameter is a new copy
    evaluations.success(None, 1, copy)
    assert Fixed.calls == 3 and evaluations.computed == 3


def test_the_time_left_counts_only_the_jobs_this_process_computed():
    progress = policy_study.JobProgress(total=20, done=3, restored=2, elapsed=10.0)
    assert progress.seconds_left() == 10.0 / 1 * 17
    assert progress.line() == "3/20 jobs done (2 from checkpoints), 10 s elapsed, about 170 s left"
    assert policy_study.JobProgress(total=4, done=2, restored=2, elapsed=0.1).seconds_left() is None
    fresh = policy_study.JobProgress(total=4, done=1, elapsed=30.0)
    assert fresh.line() == "1/4 jobs done, 30 s elapsed, about 90 s left"
