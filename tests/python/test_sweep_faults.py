"""Sweeps survive faults: a SIGKILLed MPI rank or Slurm array task loses only its unfinished
round, and rerunning finishes exactly the missing work, ending with the files of one
uninterrupted study of the same grid."""
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

STUDY = """
study = "gp"
preset = "default"
[run]
rounds = 4
[selection]
shooting_budget = 48
[env]
episodes_per_task = 1
[report]
bootstrap_resamples = 200
"""
SWEEP = STUDY + """
[sweep]
seeds = 2
k_values = [6, 2]
methods = ["amf", "uniform"]
"""
RUNS = 2 * 2 * 2
ROUNDS_PER_RUN = 4 + 1  # rounds 0..4 are each evaluated once
FILES = ("curves.csv", "picks.csv", "summary_curves.csv", "summary.json", "summary.txt")
MPIRUN = ["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", "2"]


def saved_rounds(out):
    """Rounds the checkpoints and result files of a sweep directory hold."""
    total = 0
    for run in (Path(out) / "runs").glob("*"):
        if (run / "result.json").exists():
            total += ROUNDS_PER_RUN
            continue
        for f in (run / "checkpoints").glob("run_*.json"):
            total += sum(m["next_round"] for m in json.loads(f.read_text())["methods"].values())
    return total


def computed_rounds(stderr):
    return sum(int(n) for n in re.findall(r"(\d+) rounds computed", stderr))


@pytest.fixture(scope="module")
def reference(tmp_path_factory, amf_cli):
    """The same grid as one `amf run` study."""
    d = tmp_path_factory.mktemp("reference")
    study = d / "study.toml"
    study.write_text(STUDY.replace("rounds = 4", 'rounds = 4\nseeds = 2\nk_values = [6, 2]\nmethods = ["amf", "uniform"]'))
    subprocess.run([amf_cli, "run", str(study), "--out", str(d / "out"), "--no-plots"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return d / "out"


def kill_when(proc, out, rounds, victim=None):
    deadline = time.time() + 120
    while saved_rounds(out) < rounds and time.time() < deadline and proc.poll() is None:
        time.sleep(0.01)
    assert proc.poll() is None, "the sweep finished before it could be killed; make it longer"
    os.kill(victim or proc.pid, signal.SIGKILL)
    proc.wait()


def rank_pids(mpirun_pid):
    """The pids of the amf processes mpirun started."""
    out = subprocess.run(["pgrep", "-P", str(mpirun_pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


@pytest.mark.mpi
def test_killed_rank_resumes_to_the_uninterrupted_results(tmp_path, amf_cli, reference):
    config = tmp_path / "sweep.toml"
    config.write_text(SWEEP)
    out = tmp_path / "out"
    cmd = MPIRUN + [amf_cli, "sweep", str(config), "--out", str(out), "--no-plots"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Kill one rank (not mpirun): Open MPI then tears the job down, as a lost node would.
    deadline = time.time() + 30
    while len(rank_pids(proc.pid)) < 2 and time.time() < deadline:
        time.sleep(0.01)
    kill_when(proc, out, 8, victim=rank_pids(proc.pid)[1])
    before = saved_rounds(out)
    assert 0 < before < RUNS * ROUNDS_PER_RUN
    assert not (out / "merged").exists()

    rerun = subprocess.run(cmd, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    # Exactly the missing rounds were computed: nothing saved was redone.
    assert computed_rounds(rerun.stderr) == RUNS * ROUNDS_PER_RUN - before
    for f in FILES:
        assert (out / "merged" / "base" / f).read_bytes() == (reference / f).read_bytes(), f


@pytest.mark.mpi
def test_killed_array_task_is_finished_by_resubmitting_it(tmp_path, amf_cli, reference):
    config = tmp_path / "sweep.toml"
    config.write_text(SWEEP)
    out = tmp_path / "out"
    tools = Path(__file__).resolve().parents[2] / "tools"
    env = dict(os.environ, AMF=amf_cli)
    subprocess.run(["bash", str(tools / "sweep_slurm.sh"), str(config), str(out), "--tasks", "2"], check=True,
                   env=env, stdout=subprocess.DEVNULL)
    array = out / "slurm" / "sweep_array.sbatch"
    assert "#SBATCH --array=0-1" in array.read_text()

    def task(i, **kw):
        return subprocess.Popen(["bash", str(array)], env=dict(env, SLURM_ARRAY_TASK_ID=str(i)),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, **kw)

    assert task(0).wait() == 0
    after_task0 = saved_rounds(out)
    assert after_task0 == RUNS // 2 * ROUNDS_PER_RUN
    t1 = task(1)
    kill_when(t1, out, after_task0 + 3)
    merge = subprocess.run(["bash", str(out / "slurm" / "merge.sbatch")], capture_output=True, text=True)
    assert merge.returncode != 0 and "not complete" in merge.stderr, merge.stderr
    before = saved_rounds(out)

    t1 = task(1)
    _, err = t1.communicate()
    assert t1.returncode == 0, err
    assert computed_rounds(err) == RUNS * ROUNDS_PER_RUN - before
    # Resubmitting a finished task redoes nothing.
    t0 = task(0)
    _, err = t0.communicate()
    assert t0.returncode == 0 and computed_rounds(err) == 0 and "already done" in err
    subprocess.run(["bash", str(out / "slurm" / "merge.sbatch")], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    for f in FILES:
        assert (out / "merged" / "base" / f).read_bytes() == (reference / f).read_bytes(), f


@pytest.mark.slow
def test_two_sweeps_on_one_directory_share_the_runs_and_both_merge(tmp_path, amf_cli, reference):
    # Issue #15 item 6: two shells (or a duplicated array task) on one configuration and directory
    # used to both exit 1, each leaving the runs the other held, and neither merged. Now each skips
    # what the other holds, waits for it once its own runs are done, and both merge.
    config = tmp_path / "sweep.toml"
    config.write_text(SWEEP)
    out = tmp_path / "out"
    cmd = [amf_cli, "sweep", str(config), "--out", str(out), "--no-plots", "--threads", "1"]
    first = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while saved_rounds(out) < 1 and first.poll() is None:  # the first holds a run before the second starts
        time.sleep(0.01)
    second = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    (out1, err1), (out2, err2) = first.communicate(timeout=600), second.communicate(timeout=600)
    assert first.returncode == 0 and second.returncode == 0, err1 + err2
    # The work was shared, not done twice: every round computed once over both processes.
    assert computed_rounds(err1) + computed_rounds(err2) == RUNS * ROUNDS_PER_RUN, err1 + err2
    assert computed_rounds(err1) > 0 and computed_rounds(err2) > 0, err1 + err2
    assert "completed by the process that held it" in err1 + err2
    for f in FILES:
        assert (out / "merged" / "base" / f).read_bytes() == (reference / f).read_bytes(), f
    # --no-wait keeps the old behaviour for scripts that want it: a held run is an exit 1.
    held = out / "runs" / "k2_seed0_amf"
    (held / "result.json").rename(held / "result.moved")
    import fcntl
    with open(held / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        r = subprocess.run(cmd + ["--no-wait"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and "held by other processes (--no-wait)" in r.stderr, r.stderr
