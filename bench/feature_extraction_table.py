"""The markdown table of bench/RESULTS.md's feature-extraction section, from the CSV that
bench/feature_extraction.py writes (one row per architecture, form and batch size).

    .venv/bin/python bench/feature_extraction_table.py bench/results/feature_extraction.csv
"""
import csv
import sys

NAMES = {"act": "ACT-style transformer", "diffusion": "diffusion U-Net (4 fixed draws)", "image": "CNN on 64x64 frames"}


def table(rows):
    lines = ["| architecture (parameters) | form | points | s (median) | points/s | peak MiB | load (1 min) |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        name = f"{NAMES.get(r['architecture'], r['architecture'])} ({int(r['parameters']):,})"
        lines.append(f"| {name} | {r['form']} | {r['points']} | {float(r['seconds_median']):.3g} | "
                     f"{float(r['points_per_second']):.3g} | {float(r['peak_memory_mib']):.0f} | {r['load_1min']} |")
    kinds = sorted({(r["device"], r["memory_kind"], r["threads"], r["repeats"]) for r in rows})
    notes = [f"device {d}, {t} torch threads, median of {n} calls; peak memory: {k}" for d, k, t, n in kinds]
    return "\n".join(lines + [""] + notes)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: feature_extraction_table.py RESULTS.csv")
    with open(sys.argv[1], newline="") as f:
        print(table(list(csv.DictReader(f))))


if __name__ == "__main__":
    main()
