#!/usr/bin/python3
"""Plots of an `amf nn-study` results directory (PNG and SVG beside the CSVs).

Runs with Debian's /usr/bin/python3 on purpose: it sees python3-matplotlib from tools/setup.sh.

  success_curves   success rate against demonstrations collected, mean and CI band, one panel per
                   pre-training distribution (paper Fig. 4 / 6 / 14)
  auc              area under the success curve per arm with its CI (paper Fig. 5)
  picks            how often each arm demonstrated each task (where the budget went)

Uniform and its variants are shades of blue, the other arms palette colours; an arm that shares one
network between tasks (no parameter isolation) is dashed and hatched in every plot. A published
directory (docs/results/NAME, picks.csv gzipped) can be redrawn in place.
"""
import csv
import gzip
import json
import os
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_csv(path):
    """The CSV or, in a published directory (docs/results/), its gzipped copy PATH.gz."""
    if not os.path.exists(path) and os.path.exists(path + ".gz"):
        with gzip.open(path + ".gz", "rt", newline="") as f:
            return list(csv.DictReader(f))
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def save(fig, out, name):
    for ext in ("png", "svg"):
        fig.savefig(f"{out}/{name}.{ext}", dpi=130, bbox_inches="tight")
    plt.close(fig)


PALETTE = ["#d62728", "#ff7f0e", "#9467bd", "#2ca02c", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
BLUES = ["#1f77b4", "#6baed6", "#08519c", "#9ecae1", "#3182bd"]  # uniform and its variants


def shares_weights(arm_config):
    """No parameter isolation: one network for every task. The C++ config names the forgetting
    remedy, the Python one has a flag; an arm that says neither keeps the default, isolation."""
    if "isolation" in arm_config:
        return not arm_config["isolation"]
    return arm_config.get("forgetting", "parameter-isolation") != "parameter-isolation"


def styles(arm_configs):
    """label -> line colour, line style and bar hatch. Uniform and its variants (other batch
    sizes, no isolation) are shades of blue, the other arms palette colours; an arm that shares
    one network between tasks is dashed and its bars hatched, so it reads apart in every plot."""
    out, blue, other = {}, 0, 0
    for arm in arm_configs:
        label = arm["label"]
        if label.startswith("uniform"):
            color, blue = BLUES[blue % len(BLUES)], blue + 1
        else:
            color, other = PALETTE[other % len(PALETTE)], other + 1
        shared = shares_weights(arm)
        out[label] = dict(color=color, ls="--" if shared else "-", hatch="//" if shared else None)
    return out


def record_pretrains(config, rows):
    """The pre-training keys the records use, in the configuration's order. A study that records
    one key per (pre-training, batch size) (amf.mt_study: "skewed b=5") has them by batch size."""
    present = {r["pretrain"] for r in rows}
    keys = [p for p in config["pretrain"] if p in present]
    keys += [f"{p} b={b}" for p in config["pretrain"] for b in config.get("batch_sizes", ()) if f"{p} b={b}" in present]
    return keys or sorted(present)


def main(out):
    summary = read_csv(f"{out}/summary_curves.csv")
    config = json.load(open(f"{out}/summary.json"))["config"]
    arms = [a["label"] for a in config["arms"]]
    look = styles(config["arms"])
    pretrains = record_pretrains(config, summary)
    title = f'{config["env"]} {config["figure"]}'

    fig, axes = plt.subplots(1, len(pretrains), figsize=(5.2 * len(pretrains), 3.8), squeeze=False, sharey=True)
    for ax, pre in zip(axes[0], pretrains):
        for i, arm in enumerate(arms):
            rows = sorted((r for r in summary if r["pretrain"] == pre and r["arm"] == arm), key=lambda r: int(r["round"]))
            if not rows:
                continue
            x = [int(r["demos"]) for r in rows]
            st = look[arm]
            ax.plot(x, [float(r["success_mean"]) for r in rows], label=arm, marker="o", ms=3, color=st["color"],
                    ls=st["ls"])
            ax.fill_between(x, [float(r["success_lo"]) for r in rows], [float(r["success_hi"]) for r in rows],
                            color=st["color"], alpha=0.12)
        ax.set_title(f"{title}: pre-training {pre}")
        ax.set_xlabel("demonstrations collected")
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(f'success rate (mean, {int(100 * config["confidence"])}% CI)')
    axes[0][-1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))  # curves of any level stay visible
    save(fig, out, "success_curves")

    auc = read_csv(f"{out}/auc.csv")
    fig, axes = plt.subplots(1, len(pretrains), figsize=(5.2 * len(pretrains), 3.6), squeeze=False, sharey=True)
    for ax, pre in zip(axes[0], pretrains):
        rows = {r["arm"]: r for r in auc if r["pretrain"] == pre}
        present = [a for a in arms if a in rows]
        means = [float(rows[a]["auc_mean"]) for a in present]
        err = [[m - float(rows[a]["auc_lo"]) for a, m in zip(present, means)],
               [float(rows[a]["auc_hi"]) - m for a, m in zip(present, means)]]
        bars = ax.bar(range(len(present)), means, yerr=err, capsize=3, color=[look[a]["color"] for a in present],
                      alpha=0.8)
        for bar, a in zip(bars, present):
            if look[a]["hatch"]:
                bar.set_hatch(look[a]["hatch"])
                bar.set_edgecolor("white")
        ax.set_xticks(range(len(present)))
        ax.set_xticklabels(present, rotation=30, ha="right", fontsize=8)
        ax.set_title(f"{title}: pre-training {pre}")
        ax.set_ylim(0, 1)
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].set_ylabel("area under the success curve")
    save(fig, out, "auc")

    picks = read_csv(f"{out}/picks.csv")
    tasks = sorted({p["task"] for p in picks})
    if tasks:
        fig, axes = plt.subplots(1, len(pretrains), figsize=(6.0 * len(pretrains), 3.6), squeeze=False, sharey=True)
        for ax, pre in zip(axes[0], pretrains):
            counts = defaultdict(lambda: defaultdict(int))
            for p in picks:
                if p["pretrain"] == pre:
                    counts[p["arm"]][p["task"]] += 1
            width = 0.8 / max(len(arms), 1)
            for i, arm in enumerate(arms):
                hatch = look[arm]["hatch"]
                ax.bar([t + i * width for t in range(len(tasks))], [counts[arm][t] for t in tasks], width,
                       label=arm, color=look[arm]["color"], alpha=0.9, hatch=hatch,
                       edgecolor="white" if hatch else None)
            ax.set_xticks([t + 0.4 - width / 2 for t in range(len(tasks))])
            ax.set_xticklabels(tasks, rotation=20, ha="right", fontsize=8)
            ax.set_title(f"{title}, pre-training {pre}: demonstrations per task", fontsize=10)
        axes[0][0].set_ylabel("demonstrations (all seeds)")
        axes[0][-1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))  # beside the bars, not on them
        save(fig, out, "picks")
    print(f"plots: {out}/{{success_curves,auc,picks}}.{{png,svg}}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: plot_nn_study.py RESULTS_DIR")
    main(sys.argv[1])
