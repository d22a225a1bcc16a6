"""Sweeps and selection on a real Slurm (issue #20): the single-node cluster of
tools/slurm_local.sh, started and stopped by the CTest fixture around these tests (SLURM_CONF
names it). Each test submits real jobs and waits for them; the results must equal one process's."""
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from test_sweep_faults import FILES, ROUNDS_PER_RUN, RUNS, STUDY, SWEEP, reference, saved_rounds  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
pytestmark = pytest.mark.slurm


@pytest.fixture(scope="module", autouse=True)
def cluster():
    conf = os.environ.get("SLURM_CONF")
    if not conf or not Path(conf).exists():
        pytest.fail("SLURM_CONF names no cluster: run these through ctest (fixture slurm_cluster_start)")
    state = subprocess.run(["sinfo", "-h", "-N", "-o", "%t"], capture_output=True, text=True).stdout.split()
    assert state == ["idle"], f"the test node is not idle: {state}"


def job_state(jid):
    out = subprocess.run(["scontrol", "show", "job", str(jid)], capture_output=True, text=True).stdout
    return dict(f.split("=", 1) for f in out.split() if "=" in f).get("JobState", "UNKNOWN")


def wait_for(jid, timeout=240):
    deadline = time.time() + timeout
    while time.time() < deadline:
        state = job_state(jid)
        if state not in ("PENDING", "RUNNING", "CONFIGURING", "COMPLETING"):
            return state
        time.sleep(0.2)
    raise AssertionError(f"job {jid} still {job_state(jid)} after {timeout} s")


def array_states(jid, tasks):
    return [wait_for(f"{jid}_{i}") for i in range(tasks)]


def submit(args, **kw):
    r = subprocess.run(["sbatch", "--parsable"] + args, capture_output=True, text=True, **kw)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip().split(";")[0]


def write_sweep(tmp_path, amf_cli, tasks=2):
    config = tmp_path / "sweep.toml"
    config.write_text(SWEEP)
    out = tmp_path / "out"
    r = subprocess.run(["bash", str(ROOT / "tools" / "sweep_slurm.sh"), str(config), str(out), "--tasks", str(tasks)],
                       env=dict(os.environ, AMF=amf_cli), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return config, out


def assert_merged_equals(out, reference):
    for f in FILES:
        assert (out / "merged" / "base" / f).read_bytes() == (reference / f).read_bytes(), f


def test_array_and_dependent_merge_equal_one_process(tmp_path, amf_cli, reference):
    config = tmp_path / "sweep.toml"
    config.write_text(SWEEP)
    out = tmp_path / "out"
    r = subprocess.run(["bash", str(ROOT / "tools" / "sweep_slurm.sh"), str(config), str(out), "--tasks", "2",
                        "--submit"], env=dict(os.environ, AMF=amf_cli), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    words = r.stdout.split("submitted: array ")[1].split()
    array, merge = words[0].rstrip(","), words[2]
    assert array_states(array, 2) == ["COMPLETED", "COMPLETED"]
    assert wait_for(merge) == "COMPLETED"
    assert_merged_equals(out, reference)


def test_cancelled_task_is_named_by_the_merge_and_finished_by_resubmitting_it(tmp_path, amf_cli, reference):
    config, out = write_sweep(tmp_path, amf_cli)
    array = submit([str(out / "slurm" / "sweep_array.sbatch")])
    # Cancel task 1 once it has saved a round, but before its share is done.
    deadline = time.time() + 120
    while saved_rounds(out) < ROUNDS_PER_RUN + 1 and time.time() < deadline:
        time.sleep(0.05)
    subprocess.run(["scancel", f"{array}_1"], check=True)
    states = array_states(array, 2)
    assert states[1] == "CANCELLED", states
    merge = submit(["--dependency", f"afterany:{array}", str(out / "slurm" / "merge.sbatch")])
    assert wait_for(merge) == "FAILED"
    log = next((out / "slurm").glob(f"amf-sweep-merge_{merge}_*.log")).read_text()
    assert "not complete" in log, log
    before = saved_rounds(out)
    assert before < RUNS * ROUNDS_PER_RUN
    # Resubmitting just that task finishes exactly the missing work.
    again = submit(["--array=1", str(out / "slurm" / "sweep_array.sbatch")])
    assert wait_for(f"{again}_1") == "COMPLETED"
    log = next((out / "slurm").glob(f"amf-sweep_{again}_1.log")).read_text()
    computed = sum(int(w) for w in __import__("re").findall(r"(\d+) rounds computed", log))
    assert computed == RUNS * ROUNDS_PER_RUN - before, log
    merge = submit([str(out / "slurm" / "merge.sbatch")])
    assert wait_for(merge) == "COMPLETED"
    assert_merged_equals(out, reference)


def test_an_invalid_sweep_fails_at_submission(tmp_path, amf_cli):
    config = tmp_path / "bad.toml"
    config.write_text(SWEEP.replace("rounds = 4", "rounds = 4\nbatch_size = 0"))
    before = subprocess.run(["squeue", "-h"], capture_output=True, text=True).stdout
    r = subprocess.run(["bash", str(ROOT / "tools" / "sweep_slurm.sh"), str(config), str(tmp_path / "out"), "--submit"],
                       env=dict(os.environ, AMF=amf_cli), capture_output=True, text=True)
    assert r.returncode == 2 and "run.batch_size" in r.stderr, r.stdout + r.stderr
    assert not (tmp_path / "out" / "slurm").exists()
    assert subprocess.run(["squeue", "-h"], capture_output=True, text=True).stdout == before


def select_args(out):
    return ["select", "--demos", str(EXAMPLES / "demos.h5"), "--candidates", str(EXAMPLES / "candidates.csv"),
            "--targets", str(EXAMPLES / "targets.csv"), "--batch-size", "3", "--out", str(out)]


def test_srun_select_over_two_ranks_equals_one_process(tmp_path, amf_cli):
    # Debian's Open MPI takes its ranks from Slurm through PMIx; --mpi=pmi2 starts ranks that
    # fail in MPI_Init (this Open MPI has no PMI-2 component), so the documented way is pmix.
    single = tmp_path / "single"
    subprocess.run([amf_cli] + select_args(single), check=True, capture_output=True)
    shared = tmp_path / "ranks"
    r = subprocess.run(["srun", "-n", "2", "--mpi=pmix", amf_cli] + select_args(shared), capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("on 2 ranks") == 1  # only rank 0 reports and writes
    a, b = (json.loads((d / "selection.json").read_text()) for d in (single, shared))
    assert a["batch"] == b["batch"]
    assert (single / "scores.csv").read_bytes() == (shared / "scores.csv").read_bytes()


PY_DISTRIBUTED = textwrap.dedent("""
    import json, sys
    import amf
    from conftest import circle, integrator_demos
    pool = amf.pool_from_demonstrations(integrator_demos([0.0, 0.6, 2.0], horizon=5))
    kw = dict(candidates=circle(9, 0.1), targets=circle(4), batch_size=3)
    r = amf.select_batch(**pool, **kw, distributed=True)
    one = amf.select_batch(**pool, **kw)
    print(json.dumps({"rank": r["rank"], "ranks": r["ranks"], "same": r["batch"].tolist() == one["batch"].tolist()
                      and bool((r["J"] == one["J"]).all())}))
""")


def test_python_distributed_under_srun(tmp_path):
    script = tmp_path / "dist.py"
    script.write_text(PY_DISTRIBUTED)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run(["srun", "-n", "2", "--mpi=pmix", sys.executable, str(script)], capture_output=True, text=True,
                       env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    lines = sorted((json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")), key=lambda d: d["rank"])
    assert [(d["rank"], d["ranks"], d["same"]) for d in lines] == [(0, 2, True), (1, 2, True)], r.stdout


def test_each_task_sees_the_gpu_slurm_bound_to_it(amf_cli):
    # The cluster declares two (fake) GPUs: Slurm binds one per task and sets its
    # CUDA_VISIBLE_DEVICES, the list the CUDA runtime enumerates, so each rank's backend uses its
    # own device 0; `amf info` shows what each rank sees.
    r = subprocess.run(["srun", "-n", "2", "--gpus-per-task=1", amf_cli, "info"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    ranks = {l for l in r.stdout.splitlines() if l.startswith("launch:")}
    devices = sorted(l for l in r.stdout.splitlines() if l.startswith("CUDA_VISIBLE_DEVICES:"))
    assert ranks == {"launch: slurm rank 0 of 2", "launch: slurm rank 1 of 2"}, r.stdout
    assert devices == ["CUDA_VISIBLE_DEVICES: 0", "CUDA_VISIBLE_DEVICES: 1"], r.stdout
