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
