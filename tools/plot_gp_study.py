#!/usr/bin/python3
"""Plots of an `amf gp-study` results directory (PNG and SVG beside the CSVs).

Runs with Debian's /usr/bin/python3 on purpose: it sees python3-matplotlib from tools/setup.sh.

  curves_k12, curves_k6   return and policy entropy per round, mean and CI band (paper Fig. 3 left)
  final_return_vs_k       final return against the number of pre-trained tasks k (Fig. 3 middle)
  curves_all_k            return curves for every k (App. D)
  task_circle             where each method's demonstrations went, for a skewed k
"""
import csv
import math
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLORS = {"amf": "#d62728", "uniform": "#1f77b4", "rebalance": "#7f7f7f"}
LABELS = {"amf": "AMF-GP", "uniform": "Uniform", "rebalance": "Rebalancing (privileged)"}


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def save(fig, out, name):
    fig.tight_layout()
    for ext in ("png", "svg"):
        fig.savefig(f"{out}/{name}.{ext}", dpi=130)
    plt.close(fig)


def curves(summary):
    """(k, method) -> sorted list of (round, row)."""
    c = defaultdict(list)
    for r in summary:
        c[(int(r["k"]), r["method"])].append((int(r["round"]), r))
    for v in c.values():
        v.sort()
    return c


def band(ax, rows, key, method):
    x = [r for r, _ in rows]
    m = [float(row[f"{key}_mean"]) for _, row in rows]
    lo = [float(row[f"{key}_lo"]) for _, row in rows]
    hi = [float(row[f"{key}_hi"]) for _, row in rows]
    ax.plot(x, m, color=COLORS.get(method), label=LABELS.get(method, method), lw=2)
    ax.fill_between(x, lo, hi, color=COLORS.get(method), alpha=0.2)


def main(out):
    summary = read_csv(f"{out}/summary_curves.csv")
    picks = read_csv(f"{out}/picks.csv")
    c = curves(summary)
    ks = sorted({k for k, _ in c}, reverse=True)
    methods = list(dict.fromkeys(m for _, m in c))

    for k in (12, 6):
        if k not in ks:
            continue
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
        for m in methods:
            band(axes[0], c[(k, m)], "return", m)
            band(axes[1], c[(k, m)], "entropy", m)
        axes[0].set(title=f"Multi-task return, pre-trained on {k}/12 tasks", xlabel="round", ylabel="return")
        axes[1].set(title=f"Policy entropy on target occupancy ({k}/12)", xlabel="round", ylabel="entropy (nats)")
        axes[0].legend()
        save(fig, out, f"curves_k{k}")

    fig, ax = plt.subplots(figsize=(6, 4))
    for m in methods:
        finals = [c[(k, m)][-1][1] for k in ks]
        mean = [float(r["return_mean"]) for r in finals]
        lo = [float(r["return_mean"]) - float(r["return_lo"]) for r in finals]
        hi = [float(r["return_hi"]) - float(r["return_mean"]) for r in finals]
        ax.errorbar(ks, mean, yerr=[lo, hi], color=COLORS.get(m), label=LABELS.get(m, m), marker="o", capsize=3)
    ax.set(title="Final multi-task return vs pre-training skew", xlabel="tasks demonstrated in pre-training (k)",
           ylabel="final return (90% CI)")
    ax.invert_xaxis()
    ax.legend()
    save(fig, out, "final_return_vs_k")

    cols = min(4, len(ks))
    rows_n = math.ceil(len(ks) / cols)
    fig, axes = plt.subplots(rows_n, cols, figsize=(3.2 * cols, 2.6 * rows_n), squeeze=False, sharey=True)
    for ax, k in zip(axes.flat, ks):
        for m in methods:
            band(ax, c[(k, m)], "return", m)
        ax.set_title(f"{k}/12 tasks", fontsize=9)
    for ax in list(axes.flat)[len(ks):]:
        ax.axis("off")
    axes[0][0].legend(fontsize=7)
    save(fig, out, "curves_all_k")

    skewed = [k for k in ks if k <= 6]
    k = max(skewed) if skewed else min(ks)
    fig, axes = plt.subplots(1, len(methods), figsize=(3.6 * len(methods), 3.8), squeeze=False)
    for ax, m in zip(axes[0], methods):
        t = [i * 2 * math.pi / 200 for i in range(201)]
        ax.plot([math.cos(a) for a in t], [math.sin(a) for a in t], color="#cccccc", lw=1)
        for i in range(12):
            a = 2 * math.pi * i / 12
            pre = i < k
            ax.plot(math.cos(a), math.sin(a), marker="s", ms=9, color="black" if pre else "white",
                    markeredgecolor="black", zorder=3)
        angles = [float(p["angle"]) for p in picks if int(p["k"]) == k and p["method"] == m]
        radii = [1.08 + 0.04 * (i % 6) for i in range(len(angles))]
        ax.scatter([r * math.cos(a) for r, a in zip(radii, angles)], [r * math.sin(a) for r, a in zip(radii, angles)],
                   s=10, color=COLORS.get(m), alpha=0.6)
        ax.set_title(f"{LABELS.get(m, m)}: {len(angles)} demos", fontsize=10)
        ax.set_aspect("equal")
        ax.set_xlim(-1.4, 1.4)
        ax.set_ylim(-1.4, 1.4)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"Demonstrated tasks, pre-trained on {k}/12 (black squares); all seeds and rounds")
    save(fig, out, "task_circle")
    print(f"plots: {out}/{{curves_k12,curves_k6,final_return_vs_k,curves_all_k,task_circle}}.{{png,svg}}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: plot_gp_study.py RESULTS_DIR")
    main(sys.argv[1])
