#!/usr/bin/env python3
"""Copy a finished study's results into docs/results/<name>/ so the README can quote them.

  tools/publish_results.py SRC DST --command "build/amf nn-study ..." --wall "25 min on 2 cores"

What is copied: the tables and summaries (summary.txt, summary.json, every CSV) and the PNG plots
(make them first: tools/plot_nn_study.py or tools/plot_gp_study.py). SVGs and the per-job
checkpoints (runs/) stay behind: the PNGs show the same, and the checkpoints are only for resuming.
A CSV over 100 kB is stored gzipped (per-seed curves of the GP paper preset are 650 kB plain), so
the per-seed data behind every interval stays in the repository. provenance.json records the
command that made the results, how long it took here, and the commit it ran on, so a number in the
README leads to the run that produced it.

Standard library only: runs with either Python.
"""
import argparse
import gzip
import json
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

GZIP_ABOVE_BYTES = 100_000


def git_commit(repo: Path) -> str:
    """HEAD, with "-dirty" when tracked files differ from it (the run may have used those edits)."""
    try:
        git = ["git", "-C", str(repo)]
        head = subprocess.run(git + ["rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(git + ["status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True,
                               check=True).stdout.strip()
        return head + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def publish(src: Path, dst: Path, command: str, wall: str, source_dir: str = "") -> list:
    """source_dir: how provenance.json names SRC (default: SRC as given)."""
    if not (src / "summary.json").is_file() or not (src / "summary.txt").is_file():
        sys.exit(f"publish_results: {src} has no summary.json/summary.txt: is the study finished?")
    dst.mkdir(parents=True, exist_ok=True)
    for old in dst.iterdir():  # a republished run replaces the old files, never mixes with them
        if old.is_file():
            old.unlink()
    written = []
    for f in sorted(src.iterdir()):
        if not f.is_file() or f.suffix not in (".txt", ".json", ".csv", ".png"):
            continue
        if f.suffix == ".csv" and f.stat().st_size > GZIP_ABOVE_BYTES:
            target = dst / (f.name + ".gz")
            # mtime=0: the same data always gives the same bytes (no spurious diffs on republish)
            with f.open("rb") as fin, gzip.GzipFile(target, "wb", compresslevel=9, mtime=0) as fout:
                shutil.copyfileobj(fin, fout)
        else:
            target = dst / f.name
            shutil.copyfile(f, target)
        written.append(target.name)
    provenance = {
        "command": command,
        "wall_time_here": wall,
        "published": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        "commit": git_commit(Path(__file__).resolve().parent.parent),
        "source_dir": source_dir or str(src),
    }
    (dst / "provenance.json").write_text(json.dumps(provenance, indent=2) + "\n")
    return written + ["provenance.json"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src", type=Path)
    ap.add_argument("dst", type=Path)
    ap.add_argument("--command", required=True, help="the command that produced SRC")
    ap.add_argument("--wall", required=True, help="how long it took here, in words")
    a = ap.parse_args()
    files = publish(a.src, a.dst, a.command, a.wall)
    print(f"published {len(files)} files to {a.dst}: {', '.join(files)}")


if __name__ == "__main__":
    main()
