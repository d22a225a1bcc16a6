"""Plots of an amf.metaworld_mt_study results directory: the shared success curves and AUC bars
(amf.plot_nn_study), and picks.png/svg redrawn as what a task space of hundreds of candidates
needs: per arm and batch size, a map of environments (rows) x placements (columns) coloured by
how often it was demonstrated over all seeds."""
import csv
import json
import os

import numpy as np


def pick_counts(out):
    """{(record pre-training key, arm): (E, P) counts} and the environment names, from picks.csv,
    curves.csv's success_<env> columns and the configuration's placements."""
    config = json.load(open(os.path.join(out, "summary.json")))["config"]
    with open(os.path.join(out, "curves.csv"), newline="") as f:
        envs = [c[len("success_"):] for c in next(csv.reader(f)) if c.startswith("success_")]
    counts = {}
    with open(os.path.join(out, "picks.csv"), newline="") as f:
        for row in csv.DictReader(f):
            env, placement = row["task"].rsplit("/", 1)
            grid = counts.setdefault((row["pretrain"], row["arm"]), np.zeros((len(envs), config["placements"])))
            grid[envs.index(env), int(placement)] += 1
    return counts, envs


def plot(out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plot_nn_study import main as shared_plots

    shared_plots(out)
    config = json.load(open(os.path.join(out, "summary.json")))["config"]
    counts, envs = pick_counts(out)
    keys = [f"{p} b={b}" for p in config["pretrain"] for b in config["batch_sizes"]]
    arms = [a["label"] for a in config["arms"]]
    top = max([g.max() for g in counts.values()] + [1])
    fig, axes = plt.subplots(len(keys), len(arms), figsize=(2.6 * len(arms), 0.25 * len(envs) * len(keys) + 1.5),
                             squeeze=False, gridspec_kw={"hspace": 0.45})
    for row, key in zip(axes, keys):
        for ax, arm in zip(row, arms):
            grid = counts.get((key, arm), np.zeros((len(envs), config["placements"])))
            image = ax.imshow(grid, aspect="auto", cmap="Greys", vmin=0, vmax=top, interpolation="nearest")
            ax.set_title(f"{arm}\n{key}: {int(grid.sum())} demos", fontsize=7)
            ax.set_xlabel("placement", fontsize=7)
            ax.set_yticks(range(len(envs)))
            ax.set_yticklabels(envs if ax is row[0] else [], fontsize=6)
            ax.tick_params(axis="x", labelsize=6)
    fig.colorbar(image, ax=axes, shrink=0.6, label="demonstrations (all seeds)")
    for ext in ("png", "svg"):
        fig.savefig(os.path.join(out, f"picks.{ext}"), dpi=130, bbox_inches="tight")
    plt.close(fig)
    print(f"plots: {out}/picks.{{png,svg}} redrawn as environment x placement maps")
