"""Each worked example in README.md (CLI, Python, C++) is the one that is tested."""
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def example(kind):
    text = (ROOT / "README.md").read_text()
    m = re.search(r"<!-- example: %s -->\s*```\w+\n(.*?)```" % kind, text, re.S)
    assert m, f"README.md has no '<!-- example: {kind} -->' block"
    return m.group(1)


def sandbox(tmp_path, amf_cli):
    """A working directory that looks like the repository root: build/amf and examples/."""
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "amf").symlink_to(amf_cli)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    return tmp_path


def test_cli_example_runs(tmp_path, amf_cli):
    cwd = sandbox(tmp_path, amf_cli)
    subprocess.run(["bash", "-euo", "pipefail", "-c", example("cli")], cwd=cwd, check=True)
    assert (cwd / "next_batch" / "selection.json").exists()
    assert (cwd / "next_batch" / "scores.csv").exists()


# The interpreter pytest runs with (AMF_PYTHON, the project venv): the one the README tells users
# to run, with the venv's torch 2.


def test_python_example_runs(tmp_path, amf_cli):
    cwd = sandbox(tmp_path, amf_cli)
    out = subprocess.run([sys.executable, "-c", example("python")], cwd=cwd, check=True, capture_output=True,
                         text=True, env=dict(os.environ)).stdout
    assert "demonstrate next:" in out


def test_pytorch_example_runs(tmp_path, amf_cli):
    cwd = sandbox(tmp_path, amf_cli)
    out = subprocess.run([sys.executable, "-c", example("pytorch")], cwd=cwd, check=True, capture_output=True,
                         text=True, env=dict(os.environ)).stdout
    assert "demonstrate next:" in out


def test_cpp_example_is_the_tested_consumer():
    assert example("cpp").strip() == (ROOT / "tests" / "consumer" / "main.cpp").read_text().strip()


def test_result_tables_in_the_readme_are_the_committed_result_files():
    # A README number must be traceable to data: each table quoted from docs/results/ is that
    # file's text, byte for byte.
    text = (ROOT / "README.md").read_text()
    for summary in sorted((ROOT / "docs" / "results").glob("*/summary.txt")):
        assert summary.read_text() in text, f"README.md does not quote {summary.relative_to(ROOT)} as committed"


def readme_tables():
    import importlib.util

    spec = importlib.util.spec_from_file_location("readme_tables", ROOT / "tools" / "readme_tables.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_readme_blocks_match_the_committed_results():
    tables = readme_tables()
    text = (ROOT / "README.md").read_text()
    assert tables.spliced(text) == text, "README.md's generated blocks are stale: run tools/readme_tables.py --write"


def test_a_per_task_block_is_filled_for_the_study_it_names():
    tables = readme_tables()
    name = "nn_fig6_cupfaucet_paper"
    text = f"before\n{tables.begin('per task ' + name)}stale\n{tables.end('per task ' + name)}\nafter\n"
    filled = tables.spliced(text.replace("before", tables.begin("claims") + tables.end("claims")))
    assert "stale" not in filled and f"{name} per task: mean success over 10 seeds" in filled
    assert "round 0 agrees between the arms of every job" in filled


def test_claims_script_recomputes_the_studies_own_paired_differences():
    # The claims table recomputes AUC and paired t intervals from the per-seed curves in Python
    # (scipy's t quantile); the C++ study output computed the AMF - uniform ones itself. Equal to
    # 1e-6 (curves.csv holds success rates to 6 significant digits) means both read the same data
    # the same way.
    tables = readme_tables()
    checked = 0
    for directory in sorted((ROOT / "docs" / "results").glob("nn_*")):
        study = tables.SuccessStudy(directory.name)
        reference = next(a["arm"] for a in study.summary["arms"] if "auc_minus_reference" not in a)
        for arm in study.summary["arms"]:
            if "auc_minus_reference" not in arm:
                continue
            mine = study.paired(arm["pretrain"], arm["arm"], reference)
            theirs = arm["auc_minus_reference"]
            for a, b in ((mine.mean, theirs["mean"]), (mine.lo, theirs["lo"]), (mine.hi, theirs["hi"])):
                assert abs(a - b) < 1e-6, (directory.name, arm["pretrain"], arm["arm"], a, b)
            checked += 1
    assert checked >= 6, "no committed nn study to check against"


def test_claims_quote_the_paper_sized_run_once_it_is_published(tmp_path):
    # A published `NAME_paper` study replaces NAME's numbers in the claims table, and the row says
    # which size it quotes. The stand-in paper run is the default one with AMF's success in the
    # kitchen's skewed pre-training shifted up by 0.25 (capped at 1): its AMF - uniform mean moves.
    import csv
    import shutil

    tables = readme_tables()
    results = tmp_path / "results"
    shutil.copytree(ROOT / "docs" / "results" / "nn_fig4_kitchen", results / "nn_fig4_kitchen")
    shutil.copytree(ROOT / "docs" / "results" / "nn_fig4_cupfaucet", results / "nn_fig4_cupfaucet")
    tables.RESULTS = results
    before = tables.success_study("nn_fig4_kitchen").paired("skewed", tables.AMF, "uniform")
    paper = results / "nn_fig4_kitchen_paper"
    shutil.copytree(results / "nn_fig4_kitchen", paper)
    with open(paper / "curves.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        if row["pretrain"] == "skewed" and row["arm"] == tables.AMF:
            row["success"] = repr(min(1.0, float(row["success"]) + 0.25))
    with open(paper / "curves.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    study = tables.success_study("nn_fig4_kitchen")
    assert study.dir == paper
    after = study.paired("skewed", tables.AMF, "uniform")
    assert after.mean > before.mean + 0.05
    rows = []
    tables.fig4_claims(rows)
    primary = next(r for r in rows if r[0] == "5.2, Fig. 4 (primary)")[2]
    assert f"kitchen {after.text()}" in primary and "kitchen 10 seeds, paper size" in primary, primary
    assert "cupfaucet 10 seeds, default size" in primary, primary
