#!/usr/bin/python3
"""Plot of an `amf criterion-gain` results directory (paper appendix H, Fig. 15), PNG and SVG.

Left: each candidate's information gain about the target tasks against the realised gain in
multi-task return from demonstrating it, one colour per seed. Right: both against the goal's
angle, for the first seed, with the pre-trained goals marked: where the criterion sees value,
the demonstration should pay off.
"""
import csv
import json
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(out):
    with open(f"{out}/gain.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    with open(f"{out}/summary.json") as f:
        summary = json.load(f)
    by_seed = defaultdict(list)
    for r in rows:
        by_seed[int(r["seed"])].append(r)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.2))
    for seed, rs in sorted(by_seed.items()):
        rho = summary["seeds"][seed]["spearman_info_gain"]
        ax.scatter([float(r["info_gain"]) for r in rs], [float(r["realised_gain"]) for r in rs], s=14,
                   label=f"seed {seed} (Spearman {rho:.2f})")
    ax.axhline(0, color="#999", lw=0.8)
    ax.set_xlabel("information gain about the targets (criterion)")
    ax.set_ylabel("realised gain in multi-task return")
    ax.set_title(f"k = {summary['config']['k']}: criterion vs realised gain")
    ax.legend(fontsize=7)
    first = sorted(by_seed)[0]
    rs = sorted(by_seed[first], key=lambda r: float(r["angle_deg"]))
    angle = [float(r["angle_deg"]) for r in rs]
    bx.plot(angle, [float(r["realised_gain"]) for r in rs], "o-", color="#d62728", ms=3, label="realised gain")
    bx.set_xlabel("candidate goal angle (degrees)")
    bx.set_ylabel("realised gain", color="#d62728")
    k = summary["config"]["k"]
    for i in range(k):  # the pre-trained goals: the first k of the evaluation tasks
        bx.axvline(360 * i / summary["config"]["num_eval_tasks"], color="#bbb", lw=0.8, ls=":")
    cx = bx.twinx()
    cx.plot(angle, [float(r["info_gain"]) for r in rs], "s-", color="#1f77b4", ms=3, label="information gain")
    cx.set_ylabel("information gain", color="#1f77b4")
    bx.set_title(f"seed {first}: by goal (dotted: pre-trained goals)")
    fig.tight_layout()
    for ext in ("png", "svg"):
        fig.savefig(f"{out}/criterion_gain.{ext}", dpi=120)
    print(f"plot: {out}/criterion_gain.png")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
