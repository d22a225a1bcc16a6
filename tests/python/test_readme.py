"""Each worked example in README.md (CLI, Python, C++) is the one that is tested."""
import os
import re
import subprocess
import sys
from pathlib import Path

from tool_modules import load_tool

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
    return load_tool("readme_tables")


def test_generated_readme_blocks_match_the_committed_results():
    tables = readme_tables()
    text = (ROOT / "README.md").read_text()
    assert tables.spliced(text) == text, "README.md's generated blocks are stale: run tools/readme_tables.py --write"


def test_a_per_task_block_is_filled_for_the_study_it_names():
    tables = readme_tables()
    name = "nn_fig6_cupfaucet_paper"
    text = f"before\n{tables.begin('per task ' + name)}stale\n{tables.end('per task ' + name)}\nafter\n"
    required = "".join(tables.begin(b) + tables.end(b) for b in ("claims", "isolation cost"))
    filled = tables.spliced(text.replace("before", required))
    assert "stale" not in filled and f"{name} per task: mean success over 10 seeds" in filled
    assert "round 0 agrees between the arms of every job" in filled


INTERVAL = re.compile(r"([+-]?\d+\.\d\d) \[(-?\d+\.\d\d), (-?\d+\.\d\d)\]")


def interval_keys(text):
    return {tuple(f"{float(v):.2f}".replace("-0.00", "0.00") for v in m.groups()) for m in INTERVAL.finditer(text)}


def study_intervals(tables, directory):
    """Every "mean [lo, hi]" one committed study gives: its result texts (summary.txt and the other
    .txt/.json files), its per-task table, and the paired AUC difference of every two of its arms
    (the claims table's rule), so a comparison the prose makes that no table prints is known too."""
    import itertools

    found = set()
    for f in sorted(directory.glob("*.txt")) + sorted(directory.glob("*.json")):
        found |= interval_keys(f.read_text())
    try:
        per_task = tables.per_task_tables.load(directory)
    except (tables.per_task_tables.NotAPolicyStudy, FileNotFoundError, KeyError):
        return found
    found |= interval_keys(tables.per_task_tables.table(per_task))
    st = tables.SuccessStudy(directory.name)
    for pre in st.pretrains():
        arms = [arm for p, arm in st.auc if p == pre]
        for a, b in itertools.permutations(arms, 2):
            ci = st.paired(pre, a, b)
            found |= interval_keys(f"{ci.mean:.2f} [{ci.lo:.2f}, {ci.hi:.2f}]")
    return found


def test_every_interval_the_prose_quotes_is_in_the_results_its_section_cites():
    # A number in the README's prose is copied by hand from a table; this catches one that drifted
    # or was mistyped. Each "mean [lo, hi]" outside code blocks and generated blocks must be one
    # that the claims table or a study its "## " section cites gives (as is or negated: B - A where
    # the table has A - B). A section cites a study by naming its directory or quoting its
    # summary.txt; one that cites none is checked against every study. Checking against the cited
    # studies only keeps a mistyped number from passing by matching an unrelated study's.
    tables = readme_tables()
    results = ROOT / "docs" / "results"
    studies = [d for d in sorted(results.iterdir()) if d.is_dir()]
    given = {d.name: study_intervals(tables, d) for d in studies}
    claims = interval_keys(tables.claims_block())
    text = (ROOT / "README.md").read_text()
    quoted, stray = 0, []
    for section in re.split(r"\n(?=## )", text):
        cited = [d.name for d in studies if re.search(r"\b" + re.escape(d.name) + r"\b", section)
                 or ((d / "summary.txt").is_file() and (d / "summary.txt").read_text() in section)]
        known = claims.union(*(given[name] for name in (cited or given)))
        prose = re.sub(r"```.*?```", "", section, flags=re.S)
        prose = re.sub(r"<!-- generated by.*?<!-- end generated[^>]*-->", "", prose, flags=re.S)
        prose = re.sub(r"\s+", " ", prose)
        for m in INTERVAL.finditer(prose):
            quoted += 1
            mean, lo, hi = map(float, m.groups())
            negated = tuple(f"{v:.2f}".replace("-0.00", "0.00") for v in (-mean, -hi, -lo))
            if interval_keys(m.group(0)) <= known or negated in known:
                continue
            stray.append(f"{section.splitlines()[0][:40]}: ...{prose[max(0, m.start() - 60): m.end()]}")
    assert quoted >= 50, "the README's prose quotes fewer intervals than expected: is the pattern stale?"
    assert not stray, "README intervals found in no result their section cites:\n" + "\n".join(stray)


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


def test_two_studies_pair_by_seed_only_when_an_arm_both_ran_is_equal_in_every_seed():
    tables = readme_tables()

    def study(uniform_curves, amf_auc):
        st = object.__new__(tables.SuccessStudy)
        st.confidence = 0.9
        st.curves = {("skewed", "uniform", s): c for s, c in enumerate(uniform_curves)}
        st.auc = {("skewed", "amf"): dict(enumerate(amf_auc))}
        return st

    same = [[(0, 0.4), (2, 0.6)], [(0, 0.2), (2, 0.8)], [(0, 0.4), (2, 0.4)]]
    a, b = study(same, [0.7, 0.6, 0.5]), study(same, [0.5, 0.5, 0.5])
    ci = tables.paired_across(a, "amf", b, "amf", "skewed")
    assert ci is not None and round(ci.mean, 10) == 0.1
    other = [same[0], [(0, 0.2), (2, 0.7)], same[2]]  # seed 1 started from another policy
    assert tables.paired_across(a, "amf", study(other, [0.5, 0.5, 0.5]), "amf", "skewed") is None
    assert tables.paired_across(a, "amf", study(same, [0.5, 0.5]), "amf", "skewed") is None  # other seeds
