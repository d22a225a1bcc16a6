#!/usr/bin/python3
"""Plots of an `amf nn-study` results directory (PNG and SVG beside the CSVs).

Runs with Debian's /usr/bin/python3 on purpose: it sees python3-matplotlib from tools/setup.sh.

  success_curves   success rate against demonstrations collected, mean and CI band, one panel per
                   pre-training distribution (paper Fig. 4 / 6 / 14)
  auc              area under the success curve per arm with its CI (paper Fig. 5)
  picks            how often each arm demonstrated each task (where the budget went)
"""
import csv
import json
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def save(fig, out, name):
    for ext in ("png", "svg"):
        fig.savefig(f"{out}/{name}.{ext}", dpi=130, bbox_inches="tight")
    plt.close(fig)


def style(arm, index):
    if arm == "uniform":
        return dict(color="#1f77b4", ls="-")
    if arm.startswith("uniform"):  # variants of uniform: the same colour, a dash pattern each
        return dict(color="#1f77b4", ls=["--", ":", "-."][index % 3])
    palette = ["#d62728", "#ff7f0e", "#9467bd", "#2ca02c", "#8c564b", "#e377c2", "#7f7f7f"]
    return dict(color=palette[index % len(palette)], ls="-")


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
    pretrains = record_pretrains(config, summary)
    title = f'{config["env"]} {config["figure"]}'

    fig, axes = plt.subplots(1, len(pretrains), figsize=(5.2 * len(pretrains), 3.8), squeeze=False, sharey=True)
    for ax, pre in zip(axes[0], pretrains):
        for i, arm in enumerate(arms):
            rows = sorted((r for r in summary if r["pretrain"] == pre and r["arm"] == arm), key=lambda r: int(r["round"]))
            if not rows:
                continue
            x = [int(r["demos"]) for r in rows]
            st = style(arm, i)
            ax.plot(x, [float(r["success_mean"]) for r in rows], label=arm, marker="o", ms=3, **st)
            ax.fill_between(x, [float(r["success_lo"]) for r in rows], [float(r["success_hi"]) for r in rows],
                            color=st["color"], alpha=0.12)
        ax.set_title(f"{title}: pre-training {pre}")
        ax.set_xlabel("demonstrations collected")
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(f'success rate (mean, {int(100 * config["confidence"])}% CI)')
    axes[0][-1].legend(fontsize=8, loc="lower right")
    save(fig, out, "success_curves")

    auc = read_csv(f"{out}/auc.csv")
    fig, axes = plt.subplots(1, len(pretrains), figsize=(5.2 * len(pretrains), 3.6), squeeze=False, sharey=True)
    for ax, pre in zip(axes[0], pretrains):
        rows = {r["arm"]: r for r in auc if r["pretrain"] == pre}
        present = [a for a in arms if a in rows]
        means = [float(rows[a]["auc_mean"]) for a in present]
        err = [[m - float(rows[a]["auc_lo"]) for a, m in zip(present, means)],
               [float(rows[a]["auc_hi"]) - m for a, m in zip(present, means)]]
        bars = ax.bar(range(len(present)), means, yerr=err, capsize=3,
                      color=[style(a, i)["color"] for i, a in enumerate(present)], alpha=0.8)
        for bar, (i, a) in zip(bars, enumerate(present)):
            if style(a, i)["ls"] == "--":  # no parameter isolation
                bar.set_hatch("//")
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
                dashed = style(arm, i)["ls"] == "--"
                ax.bar([t + i * width for t in range(len(tasks))], [counts[arm][t] for t in tasks], width,
                       label=arm, color=style(arm, i)["color"], alpha=0.5 if arm.startswith("uniform") else 0.9,
                       hatch="//" if dashed else None, edgecolor="white" if dashed else None)
            ax.set_xticks([t + 0.4 - width / 2 for t in range(len(tasks))])
            ax.set_xticklabels(tasks, rotation=20, ha="right", fontsize=8)
            ax.set_title(f"{title}, pre-training {pre}: demonstrations per task", fontsize=10)
        axes[0][0].set_ylabel("demonstrations (all seeds)")
        axes[0][-1].legend(fontsize=7)
        save(fig, out, "picks")
    print(f"plots: {out}/{{success_curves,auc,picks}}.{{png,svg}}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: plot_nn_study.py RESULTS_DIR")
    main(sys.argv[1])
