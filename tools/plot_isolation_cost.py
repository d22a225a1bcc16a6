#!/usr/bin/python3
"""What parameter isolation costs a task the pre-trained policy already does, across the committed
paper-sized policy studies: one point per (study, pre-training, isolated arm, task) whose mean
success at round 0 is at least 0.5, at the demonstrations the task got per seed (x) and its mean
change from round 0 to the end over all seeds, paired by seed, with its 90 % t interval (y).

  /usr/bin/python3 tools/plot_isolation_cost.py [--out docs/results/isolation_cost]

Writes points.csv (the points, from tools/per_task_tables.py's rows) and isolation_cost.png. The
tasks are chosen by their mean over all seeds, not case by case, and every seed of a chosen task
enters its change, so the changes are not regression to the mean of a selected few.
"""
import argparse
import csv
import math
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from scipy import stats  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import per_task_tables  # noqa: E402
from intervals import num, t_interval  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "docs" / "results"
KNOWN = per_task_tables.KNOWN


def points():
    """The published paper-sized policy studies' points (C++ nn-study and the Python ones)."""
    rows = []
    for st in per_task_tables.policy_studies(RESULTS, "*_paper"):
        for pre in st.pretrains:
            for arm in st.arms:
                if not st.isolated[arm]:
                    continue
                for task, start, end, n, _, _, _, starts, ends in st.task_rows(pre, arm):
                    if start < KNOWN:
                        continue
                    mean, lo, hi = t_interval([e - s for s, e in zip(starts, ends)], st.confidence)
                    rows.append({"study": st.name, "pretrain": pre, "arm": arm, "task": task, "round0": round(start, 4),
                                 "demos_per_seed": n / len(starts), "change": round(mean, 4),
                                 "lo": round(lo, 4), "hi": round(hi, 4), "seeds": len(starts)})
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=RESULTS / "isolation_cost")
    a = ap.parse_args()
    rows = points()
    a.out.mkdir(parents=True, exist_ok=True)
    with open(a.out / "points.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    demonstrated = [r for r in rows if r["demos_per_seed"] > 0]
    rho = stats.spearmanr([r["demos_per_seed"] for r in demonstrated], [r["change"] for r in demonstrated])
    fig, ax = plt.subplots(figsize=(8, 4.8))
    studies = sorted({r["study"] for r in rows})
    markers = "osD^vP*X"
    for i, study in enumerate(studies):
        rs = [r for r in rows if r["study"] == study]
        ax.errorbar([r["demos_per_seed"] for r in rs], [r["change"] for r in rs],
                    yerr=[[r["change"] - r["lo"] for r in rs], [r["hi"] - r["change"] for r in rs]],
                    fmt=markers[i % len(markers)], ms=5, capsize=2, lw=0.8, alpha=0.8,
                    label=study.replace("_paper", ""))
    ax.axhline(0, color="#999", lw=0.8)
    ax.set_xlabel("demonstrations of the task per seed (mean over seeds)")
    ax.set_ylabel("end - round 0 success (mean, 90% t CI)")
    ax.set_title(f"Known tasks (round 0 >= {KNOWN}) under parameter isolation, paper size\n"
                 f"demonstrated points: Spearman(demonstrations, change) = {rho.statistic:.2f} (n = {len(demonstrated)})",
                 fontsize=10)
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(a.out / "isolation_cost.png", dpi=130)
    summary = summary_text(rows, demonstrated, rho.statistic)
    (a.out / "summary.txt").write_text(summary)
    print(summary + f"-> {a.out}/points.csv, summary.txt, isolation_cost.png")


BINS = [(0, 2), (2, 4), (4, 6), (6, math.inf)]  # demonstrations per seed, (lo, hi]


def summary_text(rows, demonstrated, rho):
    lines = [f"known tasks (round 0 >= {KNOWN}) under parameter isolation, paper-sized studies: {len(rows)} "
             f"(study, pre-training, arm, task) points, {len(demonstrated)} demonstrated",
             "  demonstrations per seed | points | mean change | below 0 | above 0 (90% t CI)"]
    for lo, hi in BINS:
        g = [r for r in demonstrated if lo < r["demos_per_seed"] <= hi]
        if not g:
            continue
        label = f"more than {lo}" if hi == math.inf else f"{lo}-{hi}" if lo else f"up to {hi}"
        mean = sum(r["change"] for r in g) / len(g)
        lines.append(f"  {label:<24}| {len(g):>6} | {num(mean, True):>11} | {sum(r['hi'] < 0 for r in g):>7} | "
                     f"{sum(r['lo'] > 0 for r in g):>7}")
    never = [r for r in rows if r["demos_per_seed"] == 0]
    if never:
        mean = sum(r["change"] for r in never) / len(never)
        lines.append(f"  never demonstrated      | {len(never):>6} | {num(mean, True):>11} | {sum(r['hi'] < 0 for r in never):>7} | "
                     f"{sum(r['lo'] > 0 for r in never):>7}")
    lines.append(f"  Spearman(demonstrations per seed, change) over the demonstrated points: {rho:.2f} (points share "
                 "seeds and pre-trained policies, so they are not independent)")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
