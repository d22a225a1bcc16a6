"""amf.expert_rates: the per-task success table of a scene's scripted expert (the README quotes
the committed FrankaKitchen one) counts what the scene's demonstrations report."""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from amf import expert_rates  # noqa: E402
from toy_scene import ToyScene  # noqa: E402


def test_measure_replays_the_studies_demonstrations_and_summarises_them():
    scene = ToyScene()
    rows = expert_rates.measure(scene, episodes=3)
    assert [r["task"] for r in rows] == [t for t in scene.task_names for _ in range(3)]
    again = scene.demonstrate(1, seed=2, placement_seed=2)  # row (north, episode 2)
    assert rows[5]["success"] == again["success"] and rows[5]["steps"] == len(again["actions"])
    summary, text = expert_rates.summarise("toy", rows, 0.1)
    assert summary["episodes"] == 12 and summary["successes"] == sum(r["success"] for r in rows)
    assert [t["task"] for t in summary["tasks"]] == scene.task_names
    assert f"{summary['successes']} of 12 episodes succeeded" in text


def test_command_writes_its_files(tmp_path, monkeypatch):
    monkeypatch.setitem(expert_rates.SCENES, "toy", ("toy_scene", "ToyScene"))
    assert expert_rates.main(["--scene", "toy", "--episodes", "2", "--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["episodes"] == 8
    assert len((tmp_path / "episodes.csv").read_text().splitlines()) == 1 + 8
    assert (tmp_path / "summary.txt").read_text().startswith("toy scripted experts")
