#!/usr/bin/env python3
"""The paper-sized studies (issue #16), run across sessions from committed checkpoints.

  tools/paper_runs.py status    what each study has checkpointed, and whether it is published
  tools/paper_runs.py restore   committed checkpoints (docs/results/checkpoints/) into results/
  tools/paper_runs.py start     restore, share arms (below) where studies allow, then run the unfinished
                                studies in two background queues
  tools/paper_runs.py save      results/'s checkpoints (and compute ledgers) of unfinished studies into
                                docs/results/checkpoints/
  tools/paper_runs.py share SRC DST
                                copies the arms DST's jobs share with SRC's (results/SRC, results/DST)
                                into DST's jobs not yet begun, once the arms both have run agree
  tools/paper_runs.py publish NAME [--note TEXT]
                                a finished study: its plots, docs/results/NAME/ with the command and
                                the compute it took (from its ledger), and the README's tables

A paper-sized study takes hours to a day of one core here, longer than a session, and a session's
processes end with it. Every study checkpoints each finished arm of each (pre-training, seed) job
(`amf nn-study` in OUT/runs/, the Python studies in OUT/jobs/) and a rerun of the same command
resumes, so a session runs `start`, and before it stops `save` and commits the checkpoints; the
next session's `start` picks up there. Two queues, one per core of this kind of machine, each at
nice 19 and one thread, in the order below, the Fig. 4 studies first (they decide the primary
claim); a queue that runs out goes on with the other's studies that neither has claimed. A
finished study (OUT/summary.json) is published with `publish`, then looked at (its PNGs) and
quoted in the README by hand; `save` then drops its checkpoints, unless an unfinished study
shares arms from it.

Shared arms: a study that names a source (`share_from`) gets the source's arms for its jobs not
yet begun once the arms both have run are equal: at `start`, and while a queue runs it, every
minute until it has copied once (so a study begun from scratch gets them after its first job).

The compute each study took is kept in its ledger, OUT/compute.json, saved and restored with its
checkpoints: one entry per process a queue ran, with its wall time and its CPU time (the process
tree's, read from /proc every minute while it runs and from wait4 when it ends, so a session that
stops mid-run loses at most a minute of it). Processes older than the ledger are entered from
results/NAME.log by `save` and `publish`, with their wall time only (measured "log": from the
process's start to its last timestamped or progress line, which misses the work after that line
and counts any time the study was paused).

Standard library only: runs with either Python.
"""
import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(os.environ.get("AMF_PAPER_RUNS_ROOT", Path(__file__).resolve().parent.parent))
CHECKPOINTS = Path("docs/results/checkpoints")
LEDGER_PERIOD_S = 60  # how often a queue rewrites a running study's ledger
# Anywhere in a line: the C++ study redraws its progress line in place ("\r", no newline), so the
# next process's header may follow it on the same line.
_HEADER = re.compile(r"\[paper_runs\] (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)")

_CPP = "nice -n 19 build/amf nn-study --env {env} --figure {figure} --size paper --pretrain {pretrain} --threads {threads} " \
       "--no-plots --out results/{name}"
_PY = "PYTHONPATH=build/python nice -n 19 .venv/bin/python -m amf.{module} --out results/{name} --size paper " \
      "--workers 1 --pretrain {pretrain} --no-plots{extra}"


def _cpp(queue, figure, env, pretrain="skewed uniform", name=None, share_from=None, threads=1):
    """threads: the study's jobs at a time (each job is single-threaded and its results do not
    depend on how many run beside it)."""
    name = name or f"nn_{figure}_{env}_paper"
    return {"queue": queue, "name": name, "checkpoints": "runs", "share_from": share_from,
            "command": _CPP.format(env=env, figure=figure, pretrain=pretrain, name=name, threads=threads)}


def _py(queue, module, name, pretrain="skewed uniform", extra="", share_from=None):
    return {"queue": queue, "name": name, "checkpoints": "jobs", "share_from": share_from,
            "command": _PY.format(module=module, name=name, pretrain=pretrain, extra=extra)}


STUDIES = [
    _cpp("a", "fig4", "kitchen"),
    _cpp("b", "fig4", "cupfaucet"),
    _py("b", "metaworld_study", "metaworld_fig4_paper"),
    _py("a", "kitchen_study", "frankakitchen_fig4_paper"),
    # Metaworld's AMF arm at sigma^2 = 1 and 100 beside the published 10: at the paper's size the
    # kernel's prior variances are 19-62, against 66-150 at the default size where sigma^2 = 10 was
    # chosen (tools/metaworld_kernel_scale.py, two seeds of each pre-training).
    # Its baseline arms are metaworld_fig4_paper's (`share`, checked equal where both ran them).
    _py("b", "metaworld_study", "metaworld_sigma2_paper", "skewed", " --noise-variances 1 100",
        share_from="metaworld_fig4_paper"),
    # Fig. 5's "uniform" (batch 2) and "uniform, no isolation" arms are Fig. 4's: at batch 2 its
    # steps per demonstration give Fig. 4's steps per round (found equal in all ten cupfaucet jobs
    # both had run, 2026-12-05).
    _cpp("a", "fig5", "kitchen", share_from="nn_fig4_kitchen_paper"),
    _cpp("b", "fig5", "cupfaucet", share_from="nn_fig4_cupfaucet_paper"),
    # Fig. 6's uniform arm is Fig. 4's if nothing else differs: `start` shares it once both have run one.
    _cpp("a", "fig6", "kitchen", share_from="nn_fig4_kitchen_paper"),
    _cpp("b", "fig6", "cupfaucet", share_from="nn_fig4_cupfaucet_paper"),
    _cpp("a", "appg", "kitchen"),
    _cpp("b", "appg", "cupfaucet"),
    # App. E: the appe preset pre-trains on each task alone and runs only the arms its claims pair.
    # Kitchen's is the last study left and runs alone, so it takes both cores: two jobs at a time
    # (from 2026-12-06, after 27 of its 200 arm runs at one).
    _cpp("a", "appe", "kitchen", " ".join(f"only-{k}" for k in range(5)), threads=2),
    _cpp("b", "appe", "cupfaucet", " ".join(f"only-{k}" for k in range(4))),
]


def _arms(path):
    """Finished arms in one job checkpoint (0 when unreadable: a torn copy is never preferred)."""
    try:
        return len(json.loads(path.read_text()).get("arms", {}))
    except (OSError, ValueError, AttributeError):
        return 0


def _study(name):
    """The entry of STUDIES with this name, or None."""
    return next((s for s in STUDIES if s["name"] == name), None)


def _local(study):
    """The study's job checkpoints in results/, where it runs."""
    return ROOT / "results" / study["name"] / study["checkpoints"]


def _committed(study):
    """The study's job checkpoints under docs/results/checkpoints/, where sessions keep them."""
    return ROOT / CHECKPOINTS / study["name"] / study["checkpoints"]


def _finished(study):
    return (ROOT / "results" / study["name"] / "summary.json").is_file()


def _published(study):
    return (ROOT / "docs" / "results" / study["name"] / "summary.json").is_file()


def _share_source(study):
    """Whether an unfinished study shares arms from this one: its checkpoints are then kept (and
    restored) after it is published, as `share` reads the arms from them."""
    return any(s["share_from"] == study["name"] and not (_finished(s) or _published(s)) for s in STUDIES)


def _copy_newer(src_dir, dst_dir):
    """Copies each job file of src_dir whose copy in dst_dir is missing or has fewer finished arms."""
    copied = 0
    if not src_dir.is_dir():
        return copied
    dst_dir.mkdir(parents=True, exist_ok=True)
    for src in sorted(src_dir.glob("*.json")):
        dst = dst_dir / src.name
        if not dst.exists() or _arms(dst) < _arms(src):
            tmp = dst.with_suffix(".json.tmp")
            shutil.copyfile(src, tmp)
            os.replace(tmp, dst)  # a study reading the directory never sees half a file
            copied += 1
    return copied


def _ledger(study):
    """The study's compute ledger where it runs (results/NAME/compute.json)."""
    return ROOT / "results" / study["name"] / "compute.json"


def _saved_ledger(study):
    return _committed(study).parent / "compute.json"


def _read_ledger(path):
    """{start time: entry} (empty when missing or unreadable)."""
    try:
        return {e["started"]: e for e in json.loads(path.read_text())["processes"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _seconds(entry):
    return entry.get("cpu_s", entry.get("wall_s", 0.0))


def _merge_ledgers(*ledgers):
    """The union of the processes, by start time; of two records of the same process the longer
    (a later save of a process that was still running)."""
    merged = {}
    for ledger in ledgers:
        for started, entry in ledger.items():
            if started not in merged or _seconds(entry) > _seconds(merged[started]):
                merged[started] = entry
    return merged


def _write_ledger(path, ledger):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"processes": [ledger[k] for k in sorted(ledger)]}, indent=1) + "\n")
    os.replace(tmp, path)


def _log_segments(text):
    """Wall seconds of each process in a study's log, by its "[paper_runs] START" header: the
    longest of the studies' "X s elapsed" (the Python studies' older "jobs done, X s") and the
    last timestamped log line's distance from the header (a process killed between progress
    lines leaves only that)."""
    heads = list(_HEADER.finditer(text))
    segments = {}
    for i, head in enumerate(heads):
        body = text[head.end():heads[i + 1].start() if i + 1 < len(heads) else len(text)]
        start = time.mktime(time.strptime(head.group(1), "%Y-%m-%d %H:%M:%S"))
        seconds = [float(x) for x in re.findall(r"(\d+(?:\.\d+)?) s elapsed", body)]
        seconds += [float(x) for x in re.findall(r"jobs done, (\d+(?:\.\d+)?) s", body)]
        stamps = re.findall(r"(?:^|\r)\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)[.\]]", body, re.M)
        if stamps:
            seconds.append(time.mktime(time.strptime(stamps[-1], "%Y-%m-%d %H:%M:%S")) - start)
        segments[head.group(1)] = max(seconds, default=0.0)
    return segments


def _backfill(study, ledger):
    """Enters the processes of results/NAME.log that the ledger lacks (those run before it existed)."""
    log = ROOT / "results" / f"{study['name']}.log"
    if not log.is_file():
        return ledger
    # A measured entry is never replaced by its log's estimate; an earlier estimate of a process
    # that ran on after it was saved is (the merge keeps the longer).
    found = {started: {"started": started, "wall_s": round(wall, 1), "measured": "log"}
             for started, wall in _log_segments(log.read_text(errors="replace")).items()
             if ledger.get(started, {}).get("measured", "log") == "log"}
    return _merge_ledgers(ledger, found)


def _full_ledger(study):
    """Everything known of a study's compute: its ledger where it runs, the saved one, and the
    processes its log shows that neither has."""
    return _backfill(study, _merge_ledgers(_read_ledger(_ledger(study)), _read_ledger(_saved_ledger(study))))


def _tree_cpu_seconds(pid):
    """CPU seconds of a running process and its descendants (their children reaped so far included)."""
    tick = os.sysconf("SC_CLK_TCK")
    parent, cpu = {}, {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        parent[int(d.name)] = int(fields[1])
        cpu[int(d.name)] = sum(int(x) for x in fields[11:15]) / tick  # utime, stime, cutime, cstime
    tree, frontier = {pid}, [pid]
    while frontier:
        p = frontier.pop()
        kids = [c for c, pp in parent.items() if pp == p and c not in tree]
        tree.update(kids)
        frontier += kids
    return sum(cpu.get(p, 0.0) for p in tree)


def _run_measured(study, command, started, queue, log_file, every_minute=lambda: None):
    """Runs one study process, keeping its ledger entry up to date and calling every_minute while
    it runs; returns its exit status."""
    proc = subprocess.Popen(["bash", "-c", command], cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT)
    t0 = time.monotonic()
    entry = {"started": started, "queue": queue, "wall_s": 0.0, "cpu_s": 0.0, "measured": "cpu"}
    last_write = None
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        now = time.monotonic()
        entry["wall_s"] = round(now - t0, 1)
        if pid:
            entry["cpu_s"] = round(max(entry["cpu_s"], usage.ru_utime + usage.ru_stime), 1)
            proc.returncode = os.waitstatus_to_exitcode(status)
        elif last_write is None or now - last_write >= LEDGER_PERIOD_S:
            entry["cpu_s"] = round(max(entry["cpu_s"], _tree_cpu_seconds(proc.pid)), 1)
        if pid or last_write is None or now - last_write >= LEDGER_PERIOD_S:
            _write_ledger(_ledger(study), _merge_ledgers(_read_ledger(_ledger(study)), {started: entry}))
            last_write = now
            if not pid:
                try:
                    every_minute()
                except Exception as e:  # a side task must not end the queue while its study runs on
                    print(f"[paper_runs] {study['name']}: {type(e).__name__}: {e}", flush=True)
        if pid:
            return proc.returncode
        time.sleep(1)


def compute_text(ledger):
    """The compute a study took, in words, for its provenance and the README."""
    measured = [e for e in ledger.values() if e.get("measured") == "cpu"]
    logged = [e for e in ledger.values() if e.get("measured") != "cpu"]
    dates = sorted({k[:10] for k in ledger})
    parts = []
    if measured:
        cpu, wall = sum(e["cpu_s"] for e in measured), sum(e["wall_s"] for e in measured)
        parts.append(f"{cpu / 3600:.1f} h of one core (CPU time of {len(measured)} processes, "
                     f"{wall / 3600:.1f} h of wall time at nice 19 beside another study)")
    if logged:
        wall = sum(e["wall_s"] for e in logged)
        parts.append(f"{wall / 3600:.1f} h of wall time in {len(logged)} earlier processes, from their logs "
                     f"(each from its start to its last timestamped or progress line, at nice 19 beside another study)")
    if not parts:
        return "not recorded"
    span = dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"
    total = sum(_seconds(e) for e in ledger.values()) / 3600
    text = " + ".join(parts) + f", {span}; measured by tools/paper_runs.py"
    return f"about {total:.1f} h in all: {text}" if measured and logged else text


def _count(directory):
    """(job files, finished arms) in a checkpoint directory."""
    files = list(directory.glob("*.json")) if directory.is_dir() else []
    return len(files), sum(_arms(f) for f in files)


def _progress(study):
    """The study's last progress line in its log ("57/180 arm runs done" from nn-study, "19/20 jobs
    done" from the Python studies, with the time left the line estimates), or "" before the first."""
    log = ROOT / "results" / f"{study['name']}.log"
    if not log.is_file():
        return ""
    found = re.findall(r"(\d+)/(\d+) (arm runs|jobs) done(?: \(\d+ from checkpoints\))?"
                       r"(?:, \d+ s elapsed(?:, about (\d+) s left)?)?", log.read_text(errors="replace"))
    if not found:
        return ""
    done, total, unit, left = found[-1]
    return f"{done}/{total} {unit} done" + (f", about {int(left) / 3600:.1f} h left" if left else "")


def status():
    for s in STUDIES:
        (lj, la), (sj, sa) = _count(_local(s)), _count(_committed(s))
        state = "published" if _published(s) else "finished, not published" if _finished(s) else "running" if _running(s) \
            else "unfinished" if la or sa else "not started"
        ledger = _full_ledger(s)
        hours = sum(_seconds(e) for e in ledger.values()) / 3600
        progress = f"; {_progress(s)}" if state in ("running", "unfinished") and _progress(s) else ""
        print(f"{s['name']:28s} queue {s['queue']}  {state:24s} results/: {la} arms in {lj} jobs; "
              f"committed: {sa} arms in {sj} jobs; {hours:.1f} h so far{progress}")


def restore():
    for s in STUDIES:
        if _published(s) and not _share_source(s):
            continue
        n = _copy_newer(_committed(s), _local(s))
        if n:
            print(f"restored {n} job checkpoints of {s['name']}")
        saved = _read_ledger(_saved_ledger(s))
        if saved:
            _write_ledger(_ledger(s), _merge_ledgers(_read_ledger(_ledger(s)), saved))


def save():
    for s in STUDIES:
        saved = _committed(s).parent
        if _published(s) and not _share_source(s):
            if saved.exists():
                shutil.rmtree(saved)
                print(f"dropped the checkpoints of {s['name']} (published)")
            continue
        n = _copy_newer(_local(s), _committed(s))
        if n:
            (saved / "command.txt").write_text(s["command"] + "\n")
            print(f"saved {n} job checkpoints of {s['name']}")
        if saved.exists():
            ledger = _full_ledger(s)
            if ledger:
                _write_ledger(_saved_ledger(s), ledger)


def _load(path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _pretrainings(study):
    """The pre-trainings a study's command names (--pretrain A B ...)."""
    match = re.search(r"--pretrain((?: [^-\s]\S*)+)", study["command"])
    return set(match.group(1).split()) if match else set()


def _pretraining(file_name):
    match = re.fullmatch(r"job_(.+)_seed\d+\.json", file_name)
    return match.group(1) if match else None


class NothingShownYet(SystemExit):
    """`share` found no arm both studies have run: it may succeed once DST has run more."""


def share(src_name, dst_name):
    """Gives DST's unbegun jobs the arms SRC has already run for the same (pre-training, seed).

    An arm is a function of its job and its label alone only while the two studies agree on
    everything but their arm lists (e.g. metaworld_sigma2_paper adds AMF arms at other sigma^2
    beside metaworld_fig4_paper's baselines). That is checked, not assumed: every arm label both
    studies have finished for a common job must be equal there (the same JSON value), and there
    must be at least one such arm; only the labels so shown are copied, and only into jobs of the
    pre-trainings DST has begun (SRC may run more). Jobs DST has begun keep their files
    (a running study rewrites its current job's file from memory); a copied file carries DST's
    fingerprint, so DST resumes from it and runs the arms it lacks."""
    src_dir, dst_dir = (ROOT / "results" / name / (_study(name) or {"checkpoints": "jobs"})["checkpoints"]
                        for name in (src_name, dst_name))
    src = {p.name: _load(p) for p in sorted(src_dir.glob("*.json"))}
    dst = {p.name: _load(p) for p in sorted(dst_dir.glob("*.json"))}
    common = [name for name in dst if dst[name] and src.get(name)]
    shown, differ = set(), set()
    for name in common:
        for label, arm in dst[name].get("arms", {}).items():
            if label in src[name].get("arms", {}):
                (shown if src[name]["arms"][label] == arm else differ).add(label)
    if differ:
        raise SystemExit(f"share {src_name} -> {dst_name}: arms {sorted(differ)} differ between jobs both have run: "
                         "the studies are not the same computation")
    if not shown:
        raise NothingShownYet(f"share {src_name} -> {dst_name}: no arm has run in both for a common job, so nothing "
                              "shows the arms are the same")
    fingerprints = {d.get("fingerprint") for d in dst.values() if d}
    if len(fingerprints) != 1:
        raise SystemExit(f"share {src_name} -> {dst_name}: {dst_dir} holds {len(fingerprints)} fingerprints")
    fingerprint = fingerprints.pop()
    # Only the pre-trainings DST runs: its command's --pretrain where it is one of STUDIES, else
    # those its begun jobs show. SRC may run more. Both the C++ and the Python studies name a
    # job's file job_<pre-training>_seed<seed>.json.
    study = _study(dst_name)
    pretrainings = _pretrainings(study) if study else set()
    pretrainings = pretrainings or {_pretraining(name) for name, d in dst.items() if d}
    copied = 0
    for name, job in src.items():
        if name in dst or not job or _pretraining(name) not in pretrainings:
            continue
        arms = {label: arm for label, arm in job.get("arms", {}).items() if label in shown}
        if arms:
            tmp = dst_dir / f"{name}.tmp"
            copy = {"fingerprint": fingerprint, "arms": arms}
            if "job" in job:  # the Python studies' files also name their job
                copy["job"] = job["job"]
            tmp.write_text(json.dumps(copy) + "\n")
            os.replace(tmp, dst_dir / name)
            copied += 1
    print(f"share {src_name} -> {dst_name}: arms {sorted(shown)} (equal wherever both ran them, in {len(common)} jobs both have begun) copied "
          f"into {copied} jobs")
    return copied


def _running(study):
    """Whether a process writes this root's results/NAME: its command names `--out results/NAME`
    and it runs in ROOT (the output path is relative). Without the second test, a copy of this
    tool under another root (the tests') waited for the real queue's study of the same name."""
    pattern = re.compile(rf"--out results/{re.escape(study['name'])}( |$)")
    out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True).stdout
    root = ROOT.resolve()
    for line in out.splitlines():
        pid, _, args = line.strip().partition(" ")
        if not pattern.search(args) or "paper_runs.py" in args:
            continue
        try:
            if Path(os.readlink(f"/proc/{pid}/cwd")).resolve() == root:
                return True
        except FileNotFoundError:  # ended since ps listed it
            continue
        except OSError:  # another user's process: its directory cannot be read, assume it is ours
            return True
    return False


def _claim(study):
    """An exclusive, non-blocking lock on results/NAME.lock, held while a queue runs the study (and
    released by the kernel when its process ends), or None when another queue holds it."""
    import fcntl

    path = ROOT / "results" / f"{study['name']}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    f = path.open("a")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        return None
    return f


def _sharer(study):
    """For a study that names a source: a callable that tries `share` until it has copied once or
    found the arms differ. A study that has not begun has nothing to check equal, so a study
    started from scratch gets the shared arms for its later jobs once its first job has run them
    (a running study reads a job's checkpoint when it begins that job)."""
    pending = bool(study["share_from"])

    def attempt():
        nonlocal pending
        if not pending or not any(_local(study).glob("*.json")):
            return
        try:
            share(study["share_from"], study["name"])
            pending = False
        except NothingShownYet:
            pass  # try again next minute
        except SystemExit as e:
            print(f"[paper_runs] not shared: {e}", flush=True)
            pending = False

    return attempt


def lowest_priority_group():
    """Puts this process's session in the lowest-priority CPU group, for what it runs after.

    With the kernel's autogroup scheduling (on by default on desktop and many cloud kernels) each
    session is its own group and groups share the CPU equally, whatever the niceness inside them:
    a queue's study at nice 19 took 61-67 % of a core beside the 2-core CI build (2026-12-05). The
    group's own niceness (/proc/self/autogroup) is what yields; a kernel without autogroup has
    no such file, and plain nice is then enough."""
    try:
        Path("/proc/self/autogroup").write_text("19")
        return True
    except OSError:
        return False


def run_queue(queue):
    """Runs the unfinished studies one after the other, each in the foreground: the queue's own
    first, then, once they are done, the other queue's that no queue has claimed, so a core whose
    queue ran out takes work from the other instead of idling (the queues' lengths are estimates)."""
    order = [s for s in STUDIES if s["queue"] == queue] + [s for s in STUDIES if s["queue"] != queue]
    for s in order:
        if _finished(s) or _published(s):
            continue
        claim = _claim(s)
        if claim is None:  # the other queue runs it
            continue
        with claim:
            while _running(s):  # started by hand or by an older queue: wait for it, do not race it
                time.sleep(60)
            if _finished(s):
                continue
            log = ROOT / "results" / f"{s['name']}.log"
            started = time.strftime("%Y-%m-%d %H:%M:%S")
            with log.open("a") as f:
                f.write(f"\n[paper_runs] {started} (queue {queue}): {s['command']}\n")
                f.flush()
                rc = _run_measured(s, s["command"], started, queue, f, _sharer(s))
        if rc != 0:
            print(f"[paper_runs] queue {queue}: {s['name']} exited with {rc} (see {log}); the queue stops", flush=True)
            return rc
    return 0


def _load_tool(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PLOTTER = "/usr/bin/python3"  # Debian's, with python3-matplotlib (tools/plot_nn_study.py says why)


def _refuse_unpaired(name, out):
    """Every paired difference assumes that all arms of a job start from one pre-trained policy, so
    their round-0 success agrees task by task; arms resumed on another machine may not (see
    docs/results/checkpoints/README.md). A study that breaks this is not published."""
    unpaired = _load_tool("per_task_tables").load(out).unpaired_jobs()
    if unpaired:
        jobs = ", ".join(f"{pre} seed {seed}" for pre, seed in unpaired)
        raise SystemExit(f"publish: {name} is not paired: the arms of {jobs} differ in round-0 success, so they "
                         "started from different pre-trained policies; recompute those jobs' arms before publishing")


def publish(name, note="", plot=True, tables=True):
    """Publishes a finished study into docs/results/NAME/ with its command and measured compute,
    then regenerates the README's tables. What stays by hand: looking at the plots, quoting the
    summary in the README, and the prose."""
    study = _study(name)
    if study is None:
        raise SystemExit(f"publish: '{name}' is not one of the studies ({', '.join(s['name'] for s in STUDIES)})")
    out = ROOT / "results" / name
    if not (out / "summary.json").is_file():
        raise SystemExit(f"publish: {out}/summary.json is missing: the study has not finished")
    _refuse_unpaired(name, out)
    plot_command = f"{PLOTTER} tools/plot_nn_study.py results/{name}"
    if plot:
        subprocess.run(plot_command.split(), cwd=ROOT, check=True)
    ledger = _full_ledger(study)
    _write_ledger(_ledger(study), ledger)
    command = (f"{study['command']} (run by tools/paper_runs.py in {len(ledger)} processes, each resuming from the job "
               f"checkpoints{'; ' + note if note else ''}); {plot_command}")
    files = _load_tool("publish_results").publish(out, ROOT / "docs" / "results" / name, command, compute_text(ledger),
                                                  source_dir=f"results/{name}")
    print(f"published {len(files)} files to docs/results/{name}: {', '.join(files)}")
    if tables:
        # The cross-study figure reads every published study, this one now included.
        subprocess.run([PLOTTER, "tools/plot_isolation_cost.py"], cwd=ROOT, check=True)
        subprocess.run([PLOTTER, "tools/readme_tables.py", "--write"], cwd=ROOT, check=True)
    print(f"by hand now: look at docs/results/{name}/*.png; quote its summary.txt in the README with the prose "
          f"its numbers need (per-task numbers from a `<!-- generated by tools/readme_tables.py: per task {name} -->` "
          f"... `<!-- end generated: per task {name} -->` block, which readme_tables.py --write fills), and update "
          f"the Sizes paragraph; then `tools/paper_runs.py save` and commit")
    return files


def share_where_begun():
    """`share` for each unfinished study that names a source, where both have begun; a study whose
    arms turn out not to be the source's (or whose source is gone) just runs them itself."""
    for s in STUDIES:
        if not s["share_from"] or _finished(s) or _published(s) or not _local(s).is_dir():
            continue
        try:
            share(s["share_from"], s["name"])
        except SystemExit as e:
            print(f"[paper_runs] not shared: {e}")


def start():
    restore()
    share_where_begun()
    (ROOT / "results").mkdir(exist_ok=True)
    for q in sorted({s["queue"] for s in STUDIES}):
        log = ROOT / "results" / f"paper_runs_queue_{q}.log"
        with log.open("a") as f:
            subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "_queue", q], cwd=ROOT, stdout=f,
                             stderr=subprocess.STDOUT, start_new_session=True)
        print(f"queue {q} started (log {log.relative_to(ROOT)})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("action", choices=["status", "restore", "start", "save", "share", "publish", "_queue"])
    ap.add_argument("names", nargs="*", help="_queue: the queue; share: SRC DST; publish: NAME")
    ap.add_argument("--note", default="", help="publish: what else the provenance's command should say "
                    "(e.g. arms copied by share)")
    a = ap.parse_args()
    if a.action == "_queue":
        # Here, not in run_queue: `start` gives each queue a session of its own, and the group's
        # priority is the whole session's (a test calling run_queue must not lower its caller's).
        lowest_priority_group()
        sys.exit(run_queue(*a.names))
    if a.action == "publish":
        if len(a.names) != 1:
            ap.error("publish takes one study name")
        publish(a.names[0], a.note)
        return
    if a.action == "share":
        if len(a.names) != 2:
            ap.error("share takes two study names: SRC DST")
        share(*a.names)
        return
    {"status": status, "restore": restore, "start": start, "save": save}[a.action]()


if __name__ == "__main__":
    main()
