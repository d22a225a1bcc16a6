#!/usr/bin/env python3
"""Per-task breakdown of a committed policy study: where each arm put its demonstrations and what
became of each task, computed from the study's curves.csv and picks.csv.

  .venv/bin/python tools/per_task_tables.py docs/results/NAME     print the breakdown of one study

(scipy, in the project venv, gives the t quantiles; the pairing check alone needs no scipy.)

Works on any nn-study (C++) or amf.policy_study / amf.kitchen_study (Python) result directory:
both write curves.csv (one row per pre-training, arm, seed and round, with a success_TASK column
per task; round 0 is the pre-trained policy before any demonstration) and picks.csv (one row per
demonstration: the round it was picked in and its task). README.md quotes these tables through
tools/readme_tables.py, so the per-task numbers its prose cites cannot drift from the data.

Four parts:
- per (pre-training, arm, task): mean success over seeds at round 0 and after the last round, the
  change paired by seed with its Student-t interval (over every seed, none selected), the
  demonstrations the task got over all seeds, the fewest and most in one seed, and how many in the
  first and the last round of selection;
- per arm, in how many jobs one task took every demonstration, and in how many a task the
  pre-trained policy fails at (success < 0.5 at round 0) was never demonstrated;
- per arm, how many demonstrations it took until every such task had one (whole rounds, median
  and range over jobs): how soon an arm reaches the tasks pre-training skipped;
- the tasks the pre-trained policy already did (success >= 0.5 at round 0) under the arms with
  parameter isolation, where a task's copy changes only once the task is demonstrated: how much
  they moved by the end, split by whether they were demonstrated.
It also checks the pairing every comparison rests on: all arms of one job start from one
pre-trained policy, so their round-0 success must agree task by task.
"""
import argparse
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from intervals import num, t_interval  # noqa: E402
from result_files import read_csv  # noqa: E402

KNOWN = 0.5  # a task the pre-trained policy "already does": success in at least half the episodes


def isolated(arm_config: dict) -> bool:
    """Parameter isolation (one copy per task): the C++ config names the forgetting remedy, the
    Python one has a flag; an arm that says neither has the default of both, isolation (as
    tools/plot_nn_study.py reads it)."""
    if "isolation" in arm_config:
        return bool(arm_config["isolation"])
    return arm_config.get("forgetting", "parameter-isolation") == "parameter-isolation"


class NotAPolicyStudy(ValueError):
    """A result directory without pre-trained policies and tasks (a GP study)."""


class PerTaskStudy:
    def __init__(self, directory: Path, config: dict):
        self.name = directory.name
        self.confidence = config.get("confidence", 0.9)
        rows = read_csv(directory, "curves.csv")
        if not rows or "pretrain" not in rows[0] or not any(c.startswith("success_") for c in rows[0]):
            raise NotAPolicyStudy(f"{directory}/curves.csv has no pretrain and success_TASK columns: not a policy study")
        self.tasks = [c[len("success_"):] for c in rows[0] if c.startswith("success_")]
        self.pretrains = list(dict.fromkeys(r["pretrain"] for r in rows))
        self.arms = list(dict.fromkeys(r["arm"] for r in rows))
        self.isolated = {a["label"]: isolated(a) for a in config["arms"]}
        unknown = [a for a in self.arms if a not in self.isolated]
        if unknown:
            raise ValueError(f"{directory}: arms {unknown} of curves.csv are not in summary.json's config")
        # (pretrain, arm, seed) -> {round: [success per task]}
        self.success = defaultdict(dict)
        for r in rows:
            key = (r["pretrain"], r["arm"], int(r["seed"]))
            self.success[key][int(r["round"])] = [float(r["success_" + t]) for t in self.tasks]
        self.seeds = sorted({k[2] for k in self.success})
        # (pretrain, arm, seed) -> [(round, task)]
        self.picks = defaultdict(list)
        for r in read_csv(directory, "picks.csv"):
            self.picks[(r["pretrain"], r["arm"], int(r["seed"]))].append((int(r["round"]), r["task"]))

    def jobs(self, pretrain, arm):
        return [(pretrain, arm, s) for s in self.seeds if (pretrain, arm, s) in self.success]

    def start(self, key):
        return self.success[key][0]

    def end(self, key):
        rounds = self.success[key]
        return rounds[max(rounds)]

    def unpaired_jobs(self):
        """(pre-training, seed) whose arms disagree at round 0: not one pre-trained policy."""
        bad = []
        for pre in self.pretrains:
            for s in self.seeds:
                starts = {tuple(self.success[(pre, a, s)][0]) for a in self.arms if (pre, a, s) in self.success}
                if len(starts) > 1:
                    bad.append((pre, s))
        return bad

    def task_rows(self, pre, arm):
        jobs = self.jobs(pre, arm)
        last = {key: max(rnd for rnd, _ in self.picks[key]) for key in jobs if self.picks[key]}  # last round picked
        for i, task in enumerate(self.tasks):
            start = sum(self.start(k)[i] for k in jobs) / len(jobs)
            end = sum(self.end(k)[i] for k in jobs) / len(jobs)
            picked = [(rnd, key) for key in jobs for rnd, t in self.picks[key] if t == task]
            first_round = sum(1 for rnd, _ in picked if rnd == 0)
            last_round = sum(1 for rnd, key in picked if rnd == last.get(key))
            per_seed = [sum(1 for _, t in self.picks[key] if t == task) for key in jobs]
            starts, ends = [self.start(k)[i] for k in jobs], [self.end(k)[i] for k in jobs]
            yield task, start, end, len(picked), (min(per_seed), max(per_seed)), first_round, last_round, starts, ends

    def single_task_jobs(self, pre, arm):
        jobs = [k for k in self.jobs(pre, arm) if self.picks[k]]
        return sum(1 for k in jobs if len({t for _, t in self.picks[k]}) == 1), len(jobs)

    def neglected(self, pre, arm):
        """Jobs that never demonstrate some task the pre-trained policy fails at (success < KNOWN at
        round 0): (how many such jobs, how many jobs, the end success of each such task)."""
        all_jobs, jobs, ends = self.jobs(pre, arm), set(), []
        for key in all_jobs:
            shown = {t for _, t in self.picks[key]}
            for i, task in enumerate(self.tasks):
                if self.start(key)[i] < KNOWN and task not in shown:
                    jobs.add(key)
                    ends.append(self.end(key)[i])
        return len(jobs), len(all_jobs), ends

    def demonstrations_until_covered(self, pre, arm):
        """For each job with a task its pre-trained policy fails at (success < KNOWN at round 0): the
        demonstrations collected by the end of the round in which the last of those tasks got its
        first one (whole rounds, as success is measured), or None when one never does."""
        counts = []
        for key in self.jobs(pre, arm):
            failed = {t for i, t in enumerate(self.tasks) if self.start(key)[i] < KNOWN}
            if not failed:
                continue
            rounds = sorted({rnd for rnd, _ in self.picks[key]})
            covered = None
            for rnd in rounds:
                shown = {t for r, t in self.picks[key] if r <= rnd}
                if failed <= shown:
                    covered = sum(1 for r, _ in self.picks[key] if r <= rnd)
                    break
            counts.append(covered)
        return counts

    def known_task_changes(self, pretrains):
        """{demonstrated: [end - start]} over (isolated arm, seed, task) with start >= KNOWN."""
        changes = {True: [], False: []}
        for pre in pretrains:
            for arm in self.arms:
                if not self.isolated[arm]:
                    continue
                for key in self.jobs(pre, arm):
                    shown = {t for _, t in self.picks[key]}
                    for i, task in enumerate(self.tasks):
                        if self.start(key)[i] >= KNOWN:
                            changes[task in shown].append(self.end(key)[i] - self.start(key)[i])
        return changes


def paired_change(starts, ends, confidence) -> str:
    """Mean of end - start over seeds with its Student-t interval, marked * above 0 and ! below, as
    the studies' summaries mark paired differences. All seeds of an arm enter, none is selected,
    so the change is not regression to the mean."""
    d = [e - s for s, e in zip(starts, ends)]
    if len(d) < 2:
        return num(d[0], True)
    mean, lo, hi = t_interval(d, confidence)
    mark = " *" if lo > 0 else " !" if hi < 0 else ""
    return f"{num(mean, True)} [{num(lo)}, {num(hi)}]{mark}"


def change_text(deltas) -> str:
    if not deltas:
        return "0 cases"
    mean = sum(deltas) / len(deltas)
    fell = sum(1 for d in deltas if d < 0)
    rose = sum(1 for d in deltas if d > 0)
    return f"{len(deltas)} cases, mean change {num(mean, True)} ({fell} fell, {rose} rose)"


def load(directory: Path) -> PerTaskStudy:
    """The study in DIRECTORY, with the config its summary.json records."""
    return PerTaskStudy(directory, json.loads((directory / "summary.json").read_text())["config"])


def policy_studies(results: Path, pattern: str = "*"):
    """Every finished policy study among results/PATTERN/, in name order: the directories with a
    summary.json and learning curves, less the GP studies (NotAPolicyStudy). Anything else wrong
    with one of them raises."""
    for summary in sorted(results.glob(f"{pattern}/summary.json")):
        directory = summary.parent
        if not any((directory / n).is_file() for n in ("curves.csv", "curves.csv.gz")):
            continue  # the criterion-gain studies: no learning curves
        try:
            yield load(directory)
        except NotAPolicyStudy:
            continue


def table(st: PerTaskStudy) -> str:
    confidence = st.confidence
    width = max(len(a) for a in st.arms) + 2
    task_width = max(len(t) for t in st.tasks) + 2
    out = [f"{st.name} per task: mean success over {len(st.seeds)} seeds at round 0 (pre-trained) and at the end, and "
           f"the change with its {confidence:.0%} t CI over seeds; demonstrations over all seeds, fewest-most in one "
           "seed, and in the first / last round of selection"]
    for pre in st.pretrains:
        out.append(f"pre-training {pre}")
        out.append(f"  {'arm':<{width}}| {'task':<{task_width}}| round 0 | end  | end - round 0 (paired)  | demos | "
                   "a seed | first / last round")
        for arm in st.arms:
            for task, start, end, n, (lo, hi), first, last, starts, ends in st.task_rows(pre, arm):
                seed_range = f"{lo}-{hi}" if lo != hi else f"{lo}"
                change = paired_change(starts, ends, confidence)
                out.append(f"  {arm:<{width}}| {task:<{task_width}}| {start:.2f}    | {end:.2f} | {change:<24}| {n:>5} | "
                           f"{seed_range:<6} | {first} / {last}")
    out.append("jobs in which one task took every demonstration:")
    for pre in st.pretrains:
        parts = []
        for arm in st.arms:
            single, jobs = st.single_task_jobs(pre, arm)
            if single:
                parts.append(f"{arm} {single} of {jobs}")
        out.append(f"  pre-training {pre}: " + (", ".join(parts) if parts else "none"))
    out.append(f"jobs that never demonstrate a task done in under {KNOWN:.0%} of the episodes at round 0 "
               "(those tasks' mean success at the end):")
    for pre in st.pretrains:
        parts = []
        for arm in st.arms:
            jobs, total, ends = st.neglected(pre, arm)
            if jobs:
                parts.append(f"{arm} {jobs} of {total} ({sum(ends) / len(ends):.2f})")
        out.append(f"  pre-training {pre}: " + (", ".join(parts) if parts else "none"))
    out.append(f"demonstrations until every task done in under {KNOWN:.0%} of the episodes at round 0 has one (whole "
               "rounds; median and range over the jobs that have such tasks, and the jobs in which one never gets one):")
    for pre in st.pretrains:
        parts = []
        for arm in st.arms:
            counts = st.demonstrations_until_covered(pre, arm)
            covered = sorted(c for c in counts if c is not None)
            if not counts:
                continue
            never = len(counts) - len(covered)
            text = f"{arm} {statistics.median(covered):g} ({covered[0]}-{covered[-1]})" if covered else f"{arm} -"
            parts.append(text + (f", {never} of {len(counts)} never" if never else ""))
        out.append(f"  pre-training {pre}: " + ("; ".join(parts) if parts else "no such tasks"))
    out.append(f"tasks done in at least {KNOWN:.0%} of the episodes at round 0, arms with parameter isolation, "
               "change from round 0 to the end:")
    for label, pretrains in [(f"pre-training {p}", [p]) for p in st.pretrains] + [("both", st.pretrains)]:
        changes = st.known_task_changes(pretrains)
        out.append(f"  {label}: demonstrated {change_text(changes[True])}; never demonstrated "
                   f"{change_text(changes[False])}")
    bad = st.unpaired_jobs()
    out.append("round 0 agrees between the arms of every job (one pre-trained policy per job)" if not bad else
               "NOT PAIRED: arms of one job differ at round 0 in " + ", ".join(f"{p} seed {s}" for p, s in bad))
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("directory", type=Path, help="a study's result directory (curves.csv, picks.csv, summary.json)")
    a = ap.parse_args()
    if not (a.directory / "summary.json").is_file():
        sys.exit(f"{a.directory}: no summary.json (not a finished study directory)")
    try:
        print(table(load(a.directory)), end="")
    except (ValueError, FileNotFoundError) as e:
        sys.exit(str(e))


if __name__ == "__main__":
    main()
