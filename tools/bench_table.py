#!/usr/bin/env python3
"""Markdown tables from bench_engine's JSON (Google Benchmark, --benchmark_repetitions=N): the
medians of a run before a change against a run after it (existing rows), and the medians of the
rows only the later run has (batch cost, GEMM bound). Every number in bench/RESULTS.md's tables of
the same date comes from here.

Usage: tools/bench_table.py BEFORE.json AFTER.json
"""
import json
import sys


def medians(path):
    """{benchmark run name: counters and real time of its median aggregate}."""
    with open(path) as f:
        data = json.load(f)
    out = {}
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") == "median":
            out[b["run_name"]] = b
    return out, data["context"]


def seconds(row):
    """The engine's time of a row: its engine_s counter, else its (manual) real time."""
    if "engine_s" in row:
        return row["engine_s"]
    scale = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}[row["time_unit"]]
    return row["real_time"] * scale


def short(name):
    return name.replace("/iterations:1", "").replace("/manual_time", "")


def main(before_path, after_path):
    before, _ = medians(before_path)
    after, context = medians(after_path)
    print(f"Load average at the start of the later run: {context.get('load_avg')}; "
          f"{context.get('num_cpus')} CPUs; medians of {context.get('repetitions', '?')} repetitions.\n")
    print("| benchmark | engine s, before | engine s, after | after / before | speedup vs LibTorch, before | after |")
    print("|---|---|---|---|---|---|")
    for name, row in after.items():
        if name not in before:
            continue
        b, a = seconds(before[name]), seconds(row)
        sb = before[name].get("speedup")
        sa = row.get("speedup")
        fmt = lambda x: f"{x:.2f}x" if x is not None else "—"
        print(f"| {short(name)} | {b:.4g} | {a:.4g} | {a / b:.2f} | {fmt(sb)} | {fmt(sa)} |")
    print()
    print("| batch-cost row (N, D or R, ..., B) | batch of 1, s | batch of B, s | B / 1 | B / 1 recomputing | "
          "B / 1, half budget | same picks | max rel diff batch J |")
    print("|---|---|---|---|---|---|---|---|")
    for name, row in after.items():
        if "cost_ratio" not in row:
            continue
        half = f"{row['cost_ratio_half_budget']:.2f}" if "cost_ratio_half_budget" in row else "—"  # since 2026-12-04
        print(f"| {short(name)} | {row['batch1_s']:.4g} | {row['batchB_s']:.4g} | **{row['cost_ratio']:.2f}** | "
              f"{row['cost_ratio_recompute']:.2f} | {half} | {'yes' if row['same_picks'] == 1 else 'no'} | "
              f"{row['max_rel_diff_batch_J']:.1e} |")
    print()
    for name, row in after.items():
        if "of_gemm_bound" in row:
            print(f"{short(name)}: engine {row['engine_s']:.4g} s, the same multiply-adds as one float64 GEMM "
                  f"{row['gemm_s']:.4g} s ({row['gflops']:.0f} GFLOP/s on {row['threads']:.0f} threads): "
                  f"**{row['of_gemm_bound']:.2f} of the GEMM bound**.")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
