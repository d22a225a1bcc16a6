"""tools/per_task_tables.py: the per-task breakdown the README's prose cites, on a study small
enough to count by hand, and the pairing check on every committed study."""
from pathlib import Path

import pytest
from tool_modules import load_tool

ROOT = Path(__file__).resolve().parents[2]


def load():
    return load_tool("per_task_tables")


# Two tasks, two seeds, one pre-training. "amf" has parameter isolation (the C++ config's way of
# saying it), "joint" has none; both start from the same pre-trained policy in each seed.
CONFIG = {"arms": [{"label": "amf", "forgetting": "parameter-isolation"}, {"label": "joint", "forgetting": "none"}]}
CURVES = """pretrain,arm,seed,round,demos,success,success_reach,success_push
skewed,amf,0,0,0,0.5,1,0
skewed,amf,0,1,1,0.5,0.5,0.5
skewed,amf,0,2,2,0.75,0.5,1
skewed,amf,1,0,0,0.4,0.8,0
skewed,amf,1,1,1,0.4,0.8,0
skewed,amf,1,2,2,0.6,0.8,0.4
skewed,joint,0,0,0,0.5,1,0
skewed,joint,0,1,1,0.25,0.5,0
skewed,joint,0,2,2,0.5,1,0
skewed,joint,1,0,0,0.4,0.8,0
skewed,joint,1,1,1,0.5,0.6,0.4
skewed,joint,1,2,2,0.5,0.6,0.4
"""
PICKS = """pretrain,arm,seed,round,task
skewed,amf,0,0,reach
skewed,amf,0,1,push
skewed,amf,1,0,push
skewed,amf,1,1,push
skewed,joint,0,0,push
skewed,joint,0,1,reach
skewed,joint,1,0,push
skewed,joint,1,1,push
"""


def study(tmp_path, curves=CURVES, config=CONFIG, picks=PICKS):
    d = tmp_path / "study"
    d.mkdir(exist_ok=True)
    (d / "curves.csv").write_text(curves)
    (d / "picks.csv").write_text(picks)
    return load().PerTaskStudy(d, config)


def test_per_task_rows_are_counted_from_curves_and_picks(tmp_path):
    st = study(tmp_path)
    assert st.tasks == ["reach", "push"] and st.seeds == [0, 1]
    rows = {r[0]: r[1:] for r in st.task_rows("skewed", "amf")}
    # reach: round 0 (1 + 0.8) / 2, end (0.5 + 0.8) / 2; one demonstration, in seed 0's first round.
    assert rows["reach"][:2] == pytest.approx((0.9, 0.65)) and rows["reach"][2:6] == (1, (0, 1), 1, 0)
    assert rows["reach"][6:] == ([1.0, 0.8], [0.5, 0.8])  # per seed: round 0, end
    # push: demonstrated in seed 0's last round and both rounds of seed 1.
    assert rows["push"][:2] == pytest.approx((0.0, 0.7)) and rows["push"][2:6] == (3, (1, 2), 1, 2)
    assert st.single_task_jobs("skewed", "amf") == (1, 2)    # seed 1 picked push alone
    assert st.single_task_jobs("skewed", "joint") == (1, 2)


def test_a_tasks_change_is_paired_over_every_seed_with_a_t_interval():
    # end - start = -0.2, -0.1, -0.3: mean -0.2, sd 0.1, t(0.95, 2) = 2.920, half width 0.169.
    tables = load()
    assert tables.paired_change([0.9, 0.5, 0.8], [0.7, 0.4, 0.5], 0.9) == "-0.20 [-0.37, -0.03] !"
    assert tables.paired_change([0.1, 0.2], [0.1, 0.2], 0.9) == "0.00 [0.00, 0.00]"
    assert tables.paired_change([0.0], [0.5], 0.9) == "+0.50"  # one seed: no interval


def test_isolation_is_read_as_the_plots_read_it():
    tables, plots = load(), load_tool("plot_nn_study")
    for arm in ({"forgetting": "parameter-isolation"}, {"forgetting": "none"}, {"forgetting": "l2"},
                {"isolation": True}, {"isolation": False}, {}):
        assert tables.isolated(arm) == (not plots.shares_weights(arm)), arm
    assert tables.isolated({})  # neither key: the default of both configurations


def test_known_tasks_count_only_arms_with_parameter_isolation(tmp_path):
    # Known at round 0 (>= 0.5): reach in both seeds. amf demonstrated it in seed 0 (1 -> 0.5) and
    # not in seed 1 (0.8 -> 0.8); the joint arm has no isolation and is left out.
    changes = study(tmp_path).known_task_changes(["skewed"])
    assert changes[True] == pytest.approx([-0.5]) and changes[False] == pytest.approx([0.0])
    # The Python studies' config says it with a flag. With the joint arm counted: its reach was
    # demonstrated in seed 0 (1 -> 1) and not in seed 1 (0.8 -> 0.6, the shared weights moved).
    python_config = {"arms": [{"label": "amf", "isolation": True}, {"label": "joint", "isolation": True}]}
    changes = study(tmp_path, config=python_config).known_task_changes(["skewed"])
    assert changes[True] == pytest.approx([-0.5, 0.0]) and changes[False] == pytest.approx([0.0, -0.2])
    text = load().change_text([-0.5, -0.2, 0.1])
    assert text == "3 cases, mean change -0.20 (2 fell, 1 rose)"


def test_jobs_that_never_demonstrate_a_task_the_policy_fails_at_are_counted(tmp_path):
    # push fails at round 0 in both seeds; every job demonstrates it.
    assert study(tmp_path).neglected("skewed", "amf") == (0, 2, [])
    # amf seed 0 demonstrates reach twice instead: push goes undemonstrated (it ends at 1 there).
    picks = PICKS.replace("skewed,amf,0,1,push", "skewed,amf,0,1,reach")
    assert study(tmp_path, picks=picks).neglected("skewed", "amf") == (1, 2, [1.0])


def test_demonstrations_until_every_failed_task_has_one_count_whole_rounds(tmp_path):
    # push is the failed task in both seeds. amf: seed 0 shows it in round 1 (after 2 demonstrations),
    # seed 1 in round 0 (after 1). joint: round 0 in both.
    st = study(tmp_path)
    assert st.demonstrations_until_covered("skewed", "amf") == [2, 1]
    assert st.demonstrations_until_covered("skewed", "joint") == [1, 1]
    # A round of two demonstrations counts whole; a job that never shows push gives None.
    picks = (PICKS.replace("skewed,amf,0,1,push", "skewed,amf,0,1,reach")
             .replace("skewed,amf,1,1,push", "skewed,amf,1,0,reach"))
    assert study(tmp_path, picks=picks).demonstrations_until_covered("skewed", "amf") == [None, 2]
    text = load().table(study(tmp_path, picks=picks))
    assert "  pre-training skewed: amf 2 (2-2), 1 of 2 never; joint 1 (1-1)\n" in text


def test_arms_of_one_job_that_disagree_at_round_0_are_named(tmp_path):
    assert study(tmp_path).unpaired_jobs() == []
    other = CURVES.replace("skewed,joint,1,0,0,0.4,0.8,0", "skewed,joint,1,0,0,0.3,0.6,0")
    st = study(tmp_path, curves=other)
    assert st.unpaired_jobs() == [("skewed", 1)]
    assert "NOT PAIRED: arms of one job differ at round 0 in skewed seed 1" in load().table(st)


def test_a_gp_study_is_refused_by_name(tmp_path):
    d = tmp_path / "gp"
    d.mkdir()
    (d / "curves.csv").write_text("k,method,seed,round,return\n1,amf,0,0,1.5\n")
    with pytest.raises(ValueError, match="gp/curves.csv has no pretrain and success_TASK columns"):
        load().PerTaskStudy(d, {"arms": []})


# Default-size studies whose isolated and non-isolated arms differ by one evaluation episode at
# round 0 in one job: the same pre-trained policy, run through the isolation wrapper or not
# (README, Fig. 6 at the paper's size). Every other committed study, every paper-sized one among
# them, must be paired exactly.
ONE_EPISODE_APART = {"nn_appg_cupfaucet": [("skewed", 4)], "nn_fig4_cupfaucet": [("skewed", 4)],
                     "nn_fig5_cupfaucet": [("skewed", 4)]}


def test_every_committed_policy_study_is_paired():
    checked = 0
    for st in load().policy_studies(ROOT / "docs" / "results"):
        assert st.unpaired_jobs() == ONE_EPISODE_APART.get(st.name, []), st.name
        checked += 1
    assert checked >= 15


def test_the_isolation_cost_figure_data_is_what_the_committed_studies_give():
    # docs/results/isolation_cost/ (points.csv, summary.txt) must be what tools/plot_isolation_cost.py
    # computes from the committed studies now: a study published later, or a changed table, shows here.
    import csv

    plot = load_tool("plot_isolation_cost")
    rows = plot.points()
    committed = ROOT / "docs" / "results" / "isolation_cost"
    with open(committed / "points.csv", newline="") as f:
        assert [{k: str(v) for k, v in r.items()} for r in rows] == list(csv.DictReader(f)), \
            "run /usr/bin/python3 tools/plot_isolation_cost.py"
    from scipy import stats

    demonstrated = [r for r in rows if r["demos_per_seed"] > 0]
    rho = stats.spearmanr([r["demos_per_seed"] for r in demonstrated], [r["change"] for r in demonstrated]).statistic
    assert plot.summary_text(rows, demonstrated, rho) == (committed / "summary.txt").read_text()
