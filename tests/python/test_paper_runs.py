"""tools/paper_runs.py carries the paper-sized studies across sessions: `save` copies job
checkpoints into docs/results/checkpoints/, `restore` brings them back, and neither ever replaces
a checkpoint with one that has fewer finished arms; a published study's checkpoints are dropped."""
import importlib.util
import json
from pathlib import Path

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
    saved = tmp_path / "docs" / "results" / "checkpoints" / "metaworld_fig4_paper" / "jobs"
    job(saved / "job_skewed_seed0.json", 5)
    published = tmp_path / "docs" / "results" / "metaworld_fig4_paper"
    published.mkdir(parents=True)
    (published / "summary.json").write_text("{}")
    tool.restore()
    assert not (tmp_path / "results" / "metaworld_fig4_paper").exists()
    tool.save()
    assert not saved.parent.exists()


def test_every_study_names_its_queue_paper_size_command_and_output(tmp_path, monkeypatch):
    tool = load(tmp_path, monkeypatch)
    names = [s["name"] for s in tool.STUDIES]
    assert len(set(names)) == len(names)
    for s in tool.STUDIES:
        assert s["queue"] in ("a", "b") and f"--out results/{s['name']}" in s["command"] and "--size paper" in s["command"]
        assert s["checkpoints"] == ("runs" if "build/amf" in s["command"] else "jobs")
