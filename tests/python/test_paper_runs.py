"""tools/paper_runs.py carries the paper-sized studies across sessions: `save` copies job
checkpoints into docs/results/checkpoints/, `restore` brings them back, and neither ever replaces
a checkpoint with one that has fewer finished arms; a published study's checkpoints are dropped."""
import importlib.util
import json
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[2] / "tools" / "paper_runs.py"


def load(root, monkeypatch):
    monkeypatch.setenv("AMF_PAPER_RUNS_ROOT", str(root))
    spec = importlib.util.spec_from_file_location("paper_runs", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def job(path, arms):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"fingerprint": "f", "arms": {f"arm{i}": {} for i in range(arms)}}))


def test_status_shows_how_far_an_unfinished_study_has_got(tmp_path, monkeypatch, capsys):
    tool = load(tmp_path, monkeypatch)
    job(tmp_path / "results" / "nn_fig5_kitchen_paper" / "runs" / "job_skewed_seed0.json", 3)
    (tmp_path / "results" / "nn_fig5_kitchen_paper.log").write_text(
        "[amf nn-study] 56/180 arm runs done, 10 s elapsed\n[amf nn-study] 57/180 arm runs done, 20 s elapsed\n")
    tool.status()
    line = next(l for l in capsys.readouterr().out.splitlines() if l.startswith("nn_fig5_kitchen_paper"))
    assert "unfinished" in line and line.endswith("; 57/180 arm runs done"), line
    # With the time left its last line estimates; the study log puts engine lines straight after
    # the progress line, which it redraws in place.
    (tmp_path / "results" / "nn_fig5_kitchen_paper.log").write_text(
        "\r[amf nn-study] 58/180 arm runs done (40 from checkpoints), 30 s elapsed, about 7200 s left   "
        "[2026-12-06 08:25:03.696] [info] amf: AMF-NN session keeps ...\n")
    tool.status()
    line = next(l for l in capsys.readouterr().out.splitlines() if l.startswith("nn_fig5_kitchen_paper"))
    assert line.endswith("; 58/180 arm runs done, about 2.0 h left"), line


def test_save_and_restore_keep_the_checkpoint_with_more_arms(tmp_path, monkeypatch):
    tool = load(tmp_path, monkeypatch)
    runs = tmp_path / "results" / "nn_fig4_kitchen_paper" / "runs"
    saved = tmp_path / "docs" / "results" / "checkpoints" / "nn_fig4_kitchen_paper" / "runs"
    job(runs / "job_skewed_seed0.json", 7)
    job(runs / "job_skewed_seed1.json", 3)
    tool.save()
    assert json.loads((saved / "job_skewed_seed1.json").read_text())["arms"].keys() == {"arm0", "arm1", "arm2"}
    assert "build/amf nn-study --env kitchen --figure fig4 --size paper" in (saved.parent / "command.txt").read_text()

    job(saved / "job_skewed_seed1.json", 5)   # a later session got further
    job(runs / "job_skewed_seed0.json", 2)    # a torn local run must not win over the committed 7
    (runs / "job_skewed_seed2.json").write_text("{not json")
    job(saved / "job_skewed_seed2.json", 1)
    tool.restore()
    arms = {p.name: tool._arms(p) for p in runs.glob("*.json")}
    assert arms == {"job_skewed_seed0.json": 7, "job_skewed_seed1.json": 5, "job_skewed_seed2.json": 1}

    tool.save()  # nothing newer locally: the committed files stay as they are
    assert tool._arms(saved / "job_skewed_seed1.json") == 5


def test_a_published_study_drops_its_checkpoints_and_is_not_restored(tmp_path, monkeypatch):
    tool = load(tmp_path, monkeypatch)
    saved = tmp_path / "docs" / "results" / "checkpoints" / "frankakitchen_fig4_paper" / "jobs"
    job(saved / "job_skewed_seed0.json", 5)
    published = tmp_path / "docs" / "results" / "frankakitchen_fig4_paper"
    published.mkdir(parents=True)
    (published / "summary.json").write_text("{}")
    tool.restore()
    assert not (tmp_path / "results" / "frankakitchen_fig4_paper").exists()
    tool.save()
    assert not saved.parent.exists()

    # Published, but the unfinished Fig. 5 and 6 share its arms: its checkpoints stay and come back.
    source = tmp_path / "docs" / "results" / "checkpoints" / "nn_fig4_kitchen_paper" / "runs"
    job(source / "job_skewed_seed0.json", 7)
    (tmp_path / "docs" / "results" / "nn_fig4_kitchen_paper").mkdir()
    (tmp_path / "docs" / "results" / "nn_fig4_kitchen_paper" / "summary.json").write_text("{}")
    tool.restore()
    assert tool._arms(tmp_path / "results" / "nn_fig4_kitchen_paper" / "runs" / "job_skewed_seed0.json") == 7
    tool.save()
    assert source.is_dir()


def test_every_study_names_its_queue_paper_size_command_and_output(tmp_path, monkeypatch):
    tool = load(tmp_path, monkeypatch)
    names = [s["name"] for s in tool.STUDIES]
    assert len(set(names)) == len(names)
    for s in tool.STUDIES:
        assert s["queue"] in ("a", "b") and f"--out results/{s['name']}" in s["command"] and "--size paper" in s["command"]
        assert s["checkpoints"] == ("runs" if "build/amf" in s["command"] else "jobs")


def test_share_copies_only_arms_shown_equal_into_unbegun_jobs(tmp_path, monkeypatch):
    tool = load(tmp_path, monkeypatch)
    src, dst = (tmp_path / "results" / name / "jobs" for name in ("study_a", "study_b"))

    def write(path, fingerprint, pretrain, seed, arms):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"fingerprint": fingerprint, "job": {"pretrain": pretrain, "seed": seed},
                                    "arms": arms}))

    base = {"uniform": {"rounds": [1]}, "rebalance": {"rounds": [2]}}
    for seed in range(3):
        write(src / f"job_skewed_seed{seed}.json", "A", "skewed", seed, {"amf s2=10": {"rounds": [seed]}, **base})
        write(src / f"job_uniform_seed{seed}.json", "A", "uniform", seed, base)
    # study_b has begun seed 0 (equal baselines, its own AMF arm) and seed 1 (one arm so far).
    write(dst / "job_skewed_seed0.json", "B", "skewed", 0, {"amf s2=1": {"rounds": [9]}, **base})
    write(dst / "job_skewed_seed1.json", "B", "skewed", 1, {"amf s2=1": {"rounds": [8]}})
    assert tool.share("study_a", "study_b") == 1
    copied = json.loads((dst / "job_skewed_seed2.json").read_text())
    assert copied["fingerprint"] == "B" and copied["job"] == {"pretrain": "skewed", "seed": 2}
    assert copied["arms"] == base  # not study_a's own AMF arm, which no common job shows equal
    assert json.loads((dst / "job_skewed_seed1.json").read_text())["arms"] == {"amf s2=1": {"rounds": [8]}}
    assert not (dst / "job_uniform_seed0.json").exists()  # study_b runs no uniform pre-training

    # An arm that differs where both ran it means the studies are not the same computation.
    write(dst / "job_skewed_seed1.json", "B", "skewed", 1, {"uniform": {"rounds": [7]}})
    (dst / "job_skewed_seed2.json").unlink()
    try:
        tool.share("study_a", "study_b")
    except SystemExit as e:
        assert "['uniform'] differ" in str(e)
    else:
        raise AssertionError("share copied arms that differ between the studies")
    assert not (dst / "job_skewed_seed2.json").exists()


def test_share_reads_the_cpp_studies_runs_directory(tmp_path, monkeypatch):
    # `amf nn-study` checkpoints in OUT/runs/ with no "job" key: the pre-training is the file name's.
    # DST's pre-trainings are its command's (fig6: skewed and uniform), not only those it has begun,
    # so its uniform jobs get the arm too; SRC's one-task skews are not DST's and are left out.
    tool = load(tmp_path, monkeypatch)
    src, dst = (tmp_path / "results" / name / "runs" for name in ("nn_fig4_kitchen_paper", "nn_fig6_kitchen_paper"))
    for d in (src, dst):
        d.mkdir(parents=True)
    for pretrain in ("skewed", "uniform", "only-0"):
        for seed in range(2):
            (src / f"job_{pretrain}_seed{seed}.json").write_text(
                json.dumps({"fingerprint": "fig4", "arms": {"uniform": [pretrain, seed]}}))
    (dst / "job_skewed_seed0.json").write_text(json.dumps({"fingerprint": "fig6", "arms": {"uniform": ["skewed", 0]}}))
    assert tool.share("nn_fig4_kitchen_paper", "nn_fig6_kitchen_paper") == 3
    assert json.loads((dst / "job_uniform_seed0.json").read_text()) == {"fingerprint": "fig6",
                                                                        "arms": {"uniform": ["uniform", 0]}}
    assert sorted(p.name for p in dst.iterdir()) == ["job_skewed_seed0.json", "job_skewed_seed1.json",
                                                     "job_uniform_seed0.json", "job_uniform_seed1.json"]


def test_start_shares_only_where_both_studies_have_begun(tmp_path, monkeypatch, capsys):
    tool = load(tmp_path, monkeypatch)
    fig4, fig6 = (tmp_path / "results" / name / "runs" for name in ("nn_fig4_kitchen_paper", "nn_fig6_kitchen_paper"))
    fig4.mkdir(parents=True)
    (fig4 / "job_skewed_seed1.json").write_text(json.dumps({"fingerprint": "fig4", "arms": {"uniform": [1]}}))
    tool.share_where_begun()  # Fig. 6 has not begun: nothing to check against, nothing copied
    assert not fig6.exists()
    fig6.mkdir(parents=True)
    (fig6 / "job_skewed_seed0.json").write_text(json.dumps({"fingerprint": "fig6", "arms": {"dropout": [0]}}))
    tool.share_where_begun()  # begun, but no arm both have run: refused with a message, not an error
    assert "not shared" in capsys.readouterr().out and not (fig6 / "job_skewed_seed1.json").exists()


def test_a_queue_skips_claimed_studies_and_then_takes_the_other_queues(tmp_path, monkeypatch):
    tool = load(tmp_path, monkeypatch)
    ran = tmp_path / "ran.txt"

    def study(queue, name):
        return {"queue": queue, "name": name, "checkpoints": "runs", "share_from": None,
                "command": f"echo {name} >> {ran} && mkdir -p results/{name} && echo {{}} > results/{name}/summary.json"}

    monkeypatch.setattr(tool, "STUDIES", [study("a", "a1"), study("b", "b1"), study("a", "a2"), study("b", "b2")])
    held = tool._claim(tool.STUDIES[2])  # another queue is running a2
    assert held is not None and tool._claim(tool.STUDIES[2]) is None
    assert tool.run_queue("a") == 0
    # a's own first (a2 skipped: claimed), then b's unclaimed ones in their order.
    assert ran.read_text().split() == ["a1", "b1", "b2"]
    held.close()
    assert tool.run_queue("b") == 0  # every other study is finished; a2 is free now
    assert ran.read_text().split() == ["a1", "b1", "b2", "a2"]


def test_a_queue_records_each_process_cpu_time_in_a_ledger_that_save_and_restore_carry(tmp_path, monkeypatch):
    tool = load(tmp_path, monkeypatch)
    name = "nn_fig5_kitchen_paper"
    burn = "python3 -c 'import time; t = time.process_time()\nwhile time.process_time() - t < 0.6: pass'"
    study = {"queue": "a", "name": name, "checkpoints": "runs", "share_from": None,
             "command": f"mkdir -p results/{name}/runs && {burn} && echo {{}} > results/{name}/runs/job_skewed_seed0.json"}
    monkeypatch.setattr(tool, "STUDIES", [study])
    assert tool.run_queue("a") == 0  # the command never writes summary.json: unfinished, as if cut off
    (entry,) = json.loads((tmp_path / "results" / name / "compute.json").read_text())["processes"]
    assert entry["measured"] == "cpu" and 0.5 <= entry["cpu_s"] <= entry["wall_s"] + 0.2
    assert "[paper_runs] " + entry["started"] in (tmp_path / "results" / f"{name}.log").read_text()

    tool.save()
    saved = tmp_path / "docs" / "results" / "checkpoints" / name / "compute.json"
    assert json.loads(saved.read_text())["processes"] == [entry]
    # A later session: its own process on top of the restored ledger; a longer record of the same
    # process (saved while it still ran) replaces the shorter one, never the other way.
    (tmp_path / "results" / name / "compute.json").unlink()
    later = dict(entry, started="2099-01-01 00:00:00", cpu_s=5.0)
    tool._write_ledger(saved, {entry["started"]: entry, later["started"]: later})
    tool.restore()
    ledger = tool._read_ledger(tmp_path / "results" / name / "compute.json")
    assert set(ledger) == {entry["started"], later["started"]}
    shorter = dict(later, cpu_s=1.0)
    assert tool._merge_ledgers(ledger, {later["started"]: shorter})[later["started"]]["cpu_s"] == 5.0
    assert tool.compute_text(ledger).startswith(f"{(entry['cpu_s'] + 5.0) / 3600:.1f} h of one core (CPU time of 2 processes")


def test_processes_older_than_the_ledger_are_read_from_the_log(tmp_path, monkeypatch):
    tool = load(tmp_path, monkeypatch)
    # The C++ study redraws its progress with "\r" and no newline, so the next header may follow it
    # on the same line; a Python study's process may end after its last progress line, at an engine
    # log line with a timestamp.
    log = ("[paper_runs] 2026-12-05 06:20:01: build/amf nn-study ...\n"
           "\r[amf nn-study] 8/180 arm runs done, 714 s elapsed, about 1 s left   "
           "\r[amf nn-study] 9/180 arm runs done, 734 s elapsed, about 1 s left   "
           "[paper_runs] 2026-12-05 08:48:38 (queue b): build/amf nn-study ...\n"
           "[amf study] 2/20 jobs done, 966 s\n"
           "[2026-12-05 09:10:00.123] [info] amf: AMF-NN session keeps ...\n")
    assert tool._log_segments(log) == {"2026-12-05 06:20:01": 734.0, "2026-12-05 08:48:38": 1282.0}
    study = {"queue": "a", "name": "s", "checkpoints": "jobs", "share_from": None, "command": "true"}
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "s.log").write_text(log)
    measured = {"2026-12-05 08:48:38": {"started": "2026-12-05 08:48:38", "wall_s": 1300.0, "cpu_s": 1250.0,
                                        "measured": "cpu"}}
    ledger = tool._backfill(study, measured)  # the measured process keeps its entry
    assert ledger["2026-12-05 08:48:38"]["measured"] == "cpu"
    # An estimate saved while the process still ran is replaced by the log's longer one.
    early = {"2026-12-05 06:20:01": {"started": "2026-12-05 06:20:01", "wall_s": 100.0, "measured": "log"}}
    assert tool._backfill(study, early)["2026-12-05 06:20:01"]["wall_s"] == 734.0
    assert ledger["2026-12-05 06:20:01"] == {"started": "2026-12-05 06:20:01", "wall_s": 734.0, "measured": "log"}
    text = tool.compute_text(ledger)
    assert text.startswith("about 0.6 h in all: 0.3 h of one core (CPU time of 1 processes")
    assert "0.2 h of wall time in 1 earlier processes" in text


def test_publish_records_the_command_and_the_compute_it_took(tmp_path, monkeypatch):
    tool = load(tmp_path, monkeypatch)
    name = "nn_fig5_kitchen_paper"
    out = tmp_path / "results" / name
    out.mkdir(parents=True)
    (out / "summary.json").write_text(json.dumps({"config": {"arms": [{"label": "amf", "forgetting": "parameter-isolation"},
                                                                  {"label": "uniform", "forgetting": "parameter-isolation"}]}}))
    (out / "summary.txt").write_text("a table\n")
    header = "pretrain,arm,seed,round,demos,success,success_a,success_b\n"
    paired = "skewed,amf,0,0,0,0.5,1,0\nskewed,amf,0,1,2,1,1,1\nskewed,uniform,0,0,0,0.5,1,0\nskewed,uniform,0,1,2,0.5,1,0\n"
    (out / "curves.csv").write_text(header + paired)
    (out / "picks.csv").write_text("pretrain,arm,seed,round,task\nskewed,amf,0,0,b\nskewed,uniform,0,0,a\n")
    tools = tmp_path / "tools"
    tools.mkdir()
    for t in ("publish_results.py", "per_task_tables.py", "result_files.py", "intervals.py"):
        (tools / t).write_text((TOOL.parent / t).read_text())
    tool._write_ledger(out / "compute.json", {"2026-12-05 11:00:00": {"started": "2026-12-05 11:00:00", "wall_s": 7400.0,
                                                                     "cpu_s": 7200.0, "measured": "cpu"}})
    tool.publish(name, note="no arms shared", plot=False, tables=False)
    provenance = json.loads((tmp_path / "docs" / "results" / name / "provenance.json").read_text())
    assert provenance["command"].startswith("nice -n 19 build/amf nn-study --env kitchen --figure fig5 --size paper")
    assert "in 1 processes" in provenance["command"] and "no arms shared" in provenance["command"]
    assert provenance["wall_time_here"].startswith("2.0 h of one core (CPU time of 1 processes, 2.1 h of wall time")
    assert provenance["source_dir"] == f"results/{name}"  # not this machine's path
    assert (tmp_path / "docs" / "results" / name / "compute.json").is_file()
    with pytest.raises(SystemExit, match="has not finished"):
        tool.publish("nn_fig6_kitchen_paper", plot=False, tables=False)
    # Arms of one job that start from different pre-trained policies (round 0 differs) are refused.
    (out / "curves.csv").write_text(header + paired.replace("skewed,uniform,0,0,0,0.5,1,0", "skewed,uniform,0,0,0,0,0,0"))
    with pytest.raises(SystemExit, match="not paired: the arms of skewed seed 0 differ in round-0 success"):
        tool.publish(name, plot=False, tables=False)


def test_a_queue_shares_arms_into_its_running_study_once_the_first_job_shows_them_equal(tmp_path, monkeypatch):
    tool = load(tmp_path, monkeypatch)
    monkeypatch.setattr(tool, "LEDGER_PERIOD_S", 0.2)
    src = tmp_path / "results" / "fig4" / "runs"
    src.mkdir(parents=True)
    (src.parent / "summary.json").write_text("{}")
    for seed in range(3):
        (src / f"job_skewed_seed{seed}.json").write_text(json.dumps({"fingerprint": "A", "arms": {"uniform": [seed],
                                                                                             "amf s2=100": [seed]}}))
    # The study begins from scratch: its first job runs the arm (as the source did), then it goes on.
    (tmp_path / "first_job.json").write_text(json.dumps({"fingerprint": "B", "arms": {"uniform": [0], "amf B=1": [9]}}))
    command = "mkdir -p results/fig5/runs && sleep 0.5 && cp first_job.json results/fig5/runs/job_skewed_seed0.json && sleep 2"
    monkeypatch.setattr(tool, "STUDIES", [
        {"queue": "b", "name": "fig4", "checkpoints": "runs", "share_from": None, "command": "true"},
        {"queue": "a", "name": "fig5", "checkpoints": "runs", "share_from": "fig4", "command": command}])
    assert tool._share_source(tool.STUDIES[0])  # its checkpoints are kept while fig5 may need them
    assert tool.run_queue("a") == 0
    dst = tmp_path / "results" / "fig5" / "runs"
    for seed in (1, 2):
        assert json.loads((dst / f"job_skewed_seed{seed}.json").read_text()) == {"fingerprint": "B", "arms": {"uniform": [seed]}}
    assert json.loads((dst / "job_skewed_seed0.json").read_text())["arms"]["amf B=1"] == [9]  # its own, untouched


def test_a_queue_puts_its_session_in_the_lowest_priority_group(tmp_path, monkeypatch):
    # In a session of its own (as `start` runs each queue), so that this test's session keeps its
    # priority; where the kernel has autogroup scheduling the group's niceness must become 19.
    # run_queue itself leaves its caller's session alone (the other tests call it in-process).
    import subprocess
    import sys

    if Path("/proc/self/autogroup").exists():
        before = Path("/proc/self/autogroup").read_text()
        monkeypatch.setattr(tool := load(tmp_path, monkeypatch), "STUDIES", [])
        assert tool.run_queue("a") == 0 and Path("/proc/self/autogroup").read_text() == before

    script = (f"import importlib.util, os, sys; os.environ['AMF_PAPER_RUNS_ROOT'] = {str(tmp_path)!r}\n"
              f"spec = importlib.util.spec_from_file_location('paper_runs', {str(TOOL)!r})\n"
              "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
              "done = m.lowest_priority_group()\n"
              "print(done, open('/proc/self/autogroup').read().split()[-1] if done else '')")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, start_new_session=True)
    assert out.returncode == 0, out.stderr
    done, *nice = out.stdout.split()
    import os

    assert done == ("True" if os.access("/proc/self/autogroup", os.W_OK) else "False")
    if done == "True":
        assert nice == ["19"]


def test_a_study_runs_only_where_its_process_runs_in_this_root(tmp_path, monkeypatch):
    # The study's --out is relative: the same command in another directory (the real queues', while
    # these tests ran beside them) writes elsewhere, and a queue here must not wait for it.
    import subprocess
    import sys

    tool = load(tmp_path, monkeypatch)
    study = {"name": "nn_fig5_kitchen_paper"}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    sleeper = [sys.executable, "-c", "import time; time.sleep(30)", "--out", "results/nn_fig5_kitchen_paper"]
    proc = subprocess.Popen(sleeper, cwd=elsewhere)
    try:
        assert not tool._running(study)
    finally:
        proc.kill()
        proc.wait()
    proc = subprocess.Popen(sleeper, cwd=tmp_path)
    try:
        assert tool._running(study)
    finally:
        proc.kill()
        proc.wait()
