"""Plots the engine-vs-LibTorch sweeps of bench_engine (Google Benchmark JSON) into one figure.

    build/bench/bench_engine --benchmark_filter=sweep --benchmark_repetitions=3 \\
        --benchmark_out=results/bench_sweeps.json --benchmark_out_format=json
    /usr/bin/python3 tools/plot_bench_sweeps.py results/bench_sweeps.json results/bench_sweeps.png

Four panels (AMF-GP in N and in K targets, AMF-NN in N and in M target points): seconds per
criterion evaluation of the engine and of the LibTorch baseline in the same run (log-log), with
the speedup written at each point. With --benchmark_repetitions the points are the medians over
the repetitions (single runs on a shared 2-core VM vary by tens of percent). Also writes the .svg
next to the .png.
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PANELS = [  # (benchmark name prefix, title, x label, x from (args, counters))
    ("sweep-N/", "AMF-GP, in candidates N (R 24, T 20, K 12)", "candidates N", lambda a, c: a[0]),
    ("sweep-M/", "AMF-GP, in target tasks K (N 100, R 24, T 20)", "target tasks K", lambda a, c: a[3]),
    ("nn-sweep-N/", "AMF-NN MLP 4x256, in candidates N (M 4000)", "candidates N", lambda a, c: a[0]),
    ("nn-sweep-M/", "AMF-NN MLP 4x256, in target points M (N 8)", "target points M", lambda a, c: c["M"]),
]


def points(runs):
    """The runs to plot: the per-benchmark medians when the file has repetitions, else every run."""
    medians = [r for r in runs if r.get("run_type") == "aggregate" and r.get("aggregate_name") == "median"]
    return (medians, "median of repetitions") if medians else ([r for r in runs if r.get("run_type") != "aggregate"], "one run")


def main(src, dst):
    with open(src) as f:
        runs, kind = points(json.load(f)["benchmarks"])
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    for ax, (prefix, title, xlabel, xof) in zip(axes.flat, PANELS):
        rows = []
        for r in runs:
            if not r["name"].startswith(prefix) or "libtorch_s" not in r:
                continue
            args = [int(x) for x in r["name"].split("/")[1:] if x.isdigit()]
            rows.append((xof(args, r), r["engine_s"], r["libtorch_s"]))
        if not rows:
            ax.set_visible(False)
            continue
        rows.sort()
        x = [r[0] for r in rows]
        ax.loglog(x, [r[1] for r in rows], "o-", label="amf engine (CPU)")
        ax.loglog(x, [r[2] for r in rows], "s--", label="LibTorch baseline (CPU)")
        for xi, e, t in rows:
            ax.annotate(f"{t / e:.1f}x", (xi, e), textcoords="offset points", xytext=(0, -14), ha="center", fontsize=8)
        ax.set_xticks(x)
        ax.set_xticklabels([f"{v:g}" for v in x])
        ax.minorticks_off()
        ax.margins(x=0.08, y=0.2)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("seconds per evaluation")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"amf selection engine vs LibTorch, same run, 2 threads each, {kind} (speedup under each engine point)",
                 fontsize=11)
    fig.tight_layout()
    fig.savefig(dst, dpi=110)
    fig.savefig(dst.rsplit(".", 1)[0] + ".svg")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
