"""Why AMF-NN piles its picks on one task on real Metaworld: the criterion round by round.

  PYTHONPATH=build/python .venv/bin/python tools/metaworld_selection_trace.py \
      [--size paper] [--pretrain skewed] [--seeds 0 1 8] [--noise-variance 10] [--out DIR]

Replays the AMF arm of amf.metaworld_study's jobs with the study's own code
(amf.policy_study._run_arm: the same pre-training, warm start, demonstration seeds, selection copy
and its Adam steps) in its selection-only mode, without the deployed policy's training and
evaluations, which the picks do not depend on. The replayed picks are checked against the published picks.csv of that study
(docs/results/metaworld_fig4_paper by default), so the trace is of the run the README reports.
Each round records the picks, with the task each pick's pseudo-demonstration trajectory showed,
and per candidate task: the criterion J (the greedy's first-step value), the task of the pool
trajectory with its highest importance weight (what a pseudo-demonstration relabels), the
self-normalised importance weights' effective number of trajectories and the weight share on
the candidate's own task's trajectories, the selection copy's mean squared action error on
the task's warm-start demonstration, and how far its action moves when the other tasks' steps are
relabelled with the task. Writes trace.json and trace.csv (one row per seed, round
and task) to --out.
"""
import argparse
import csv
import gzip
import io
import json
import os
import sys
import time

import numpy as np


def published_picks(path, pretrain, label):
    """{seed: [task name per pick]} of one arm in a study's picks.csv (or .csv.gz)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        rows = list(csv.DictReader(io.StringIO(f.read())))
    picks = {}
    for r in rows:
        if r["pretrain"] == pretrain and r["arm"] == label:
            picks.setdefault(int(r["seed"]), []).append(r["task"])
    return picks


def relabelled_errors(selection, part, pool, tasks, own):
    """From one pass of each task's copy over the pool relabelled with that task, f_k(s, c_k):
    residuals (K, trajectories), the mean over each trajectory's steps of |f_k(s, c_k) - a|^2 with
    its logged actions; and label effects (K,), the mean over the other tasks' steps of
    |f_k(s, c_k) - f_i(s, c_i)|^2, how far the copy's action moves when such a step is relabelled
    with task k. Where that is small a relabelled trajectory is about as likely under k as under
    its own task (log-ratio near 0, as k's own trajectory has), so it can take as much of k's
    weight."""
    import torch

    S, A = pool["pool_states"], pool["pool_actions"]
    offsets = np.asarray(pool["traj_offsets"])
    step_task = np.repeat(own, np.diff(offsets))
    with torch.no_grad():
        acts = np.stack([selection.copies[part[k]](torch.as_tensor(np.hstack([S, np.tile(c, (len(S), 1))]),
                                                                   dtype=torch.float32)).numpy()
                         for k, c in enumerate(tasks)])
    own_act = acts[step_task, np.arange(len(S))]
    residuals = np.empty((len(tasks), len(offsets) - 1))
    effects = np.empty(len(tasks))
    for k in range(len(tasks)):
        err = ((acts[k] - A) ** 2).sum(axis=1)
        residuals[k] = [err[offsets[i]:offsets[i + 1]].mean() for i in range(len(offsets) - 1)]
        effects[k] = float(((acts[k] - own_act) ** 2).sum(axis=1)[step_task != k].mean())
    return residuals, effects


def trace_arm(scene, cfg, job, noise_variance):
    """The AMF arm of one job, selection only: its label and a list of rounds, each with the
    per-task record. It runs amf.policy_study._run_arm itself, in its selection-only mode (no
    deployed policy training or evaluations, most of an arm's cost), and records the criterion
    through its observer."""
    from amf.policy_study import _run_arm, job_seeds, pretrain_job, warm_start_losses

    K = scene.num_tasks
    tasks = np.stack([scene.task_vector(k) for k in range(K)])
    label = f"amf s2={noise_variance:g}"
    arm = next((a for a in cfg.arms() if a["label"] == label), None)
    if arm is None:
        raise SystemExit(f"the study has no arm '{label}' (its arms: {[a['label'] for a in cfg.arms()]})")
    job_seed, placement_seed = job_seeds(cfg, job)
    pretrained, warm = pretrain_job(scene, cfg, job)
    rounds = []

    def observe(r, selection, pool, demos, result):
        part = selection.partition_of(tasks).tolist()
        # The pool's trajectories are the demonstrations in order; each shows the task it holds.
        own = [int(np.argmin(np.abs(tasks - d["task"]).sum(axis=1))) for d in demos]
        losses = warm_start_losses(selection, warm, tasks, part)
        weights = np.asarray(result["weights"])
        residuals, moves = relabelled_errors(selection, part, pool, tasks, own)
        per_task = []
        for k in range(K):
            w = weights[k]
            total = float(w.sum())
            # Its pseudo-demonstration if picked: the highest-weight pool trajectory, relabelled.
            pseudo = int(np.argmax(w)) if total > 0 else -1
            per_task.append({
                "task": scene.task_names[k], "J": float(result["J"][k]),
                "pseudo_demo_task": scene.task_names[own[pseudo]] if pseudo >= 0 else "",
                "pseudo_demo_is_warm_start": bool(0 <= pseudo < len(warm)),
                "effective_trajectories": float(total ** 2 / (w ** 2).sum()) if total > 0 else 0.0,
                "own_task_weight_share": float(w[[i for i, t in enumerate(own) if t == k]].sum() / total)
                if total > 0 else 0.0,
                # The loss gradient is the residual times df/dtheta, so k(z, z) grows with it: where
                # the weights put a task's points, is the selection copy's error large or small?
                "weighted_squared_residual": float(w @ residuals[k] / total) if total > 0 else 0.0,
                "selection_warm_start_loss": losses[k],
                "label_effect": float(moves[k]),
                "demonstrations_so_far": own[len(warm):].count(k),
            })
        pseudo_tasks = [scene.task_names[own[int(i)]] for i in result["pseudo_demo_trajectory"]]
        rounds.append({"round": r, "pool_trajectories": len(demos),
                       "batch": [scene.task_names[int(k)] for k in result["batch"]],
                       "batch_J": [float(v) for v in result["batch_J"]], "batch_pseudo_demo_tasks": pseudo_tasks,
                       "tasks": per_task})

    _run_arm(scene, cfg, arm, pretrained, warm, job, job_seed, placement_seed, None, observe=observe)
    return label, rounds


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="paper", choices=["default", "paper"])
    ap.add_argument("--pretrain", default="skewed", choices=["skewed", "uniform"])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 8])
    ap.add_argument("--noise-variance", type=float, default=10.0)
    ap.add_argument("--published", default="docs/results/metaworld_fig4_paper/picks.csv",
                    help="picks.csv the replay must match ('' to skip the check)")
    ap.add_argument("--out", default="results/metaworld_selection_trace")
    a = ap.parse_args(argv)

    import torch

    from amf.metaworld_scene import MetaworldScene
    from amf.metaworld_study import preset

    torch.set_num_threads(1)  # as the study's jobs: the picks must not depend on the thread count
    cfg = preset(a.size)
    scene = MetaworldScene()
    traces, rows = [], []
    for seed in a.seeds:
        start = time.time()
        label, rounds = trace_arm(scene, cfg, {"pretrain": a.pretrain, "seed": seed}, a.noise_variance)
        picks = [t for rd in rounds for t in rd["batch"]]
        matches = None
        if a.published:
            expected = published_picks(a.published, a.pretrain, label).get(seed)
            if expected is None:
                raise SystemExit(f"{a.published}: no picks of '{label}', {a.pretrain}, seed {seed} to check against")
            matches = expected == picks
            if not matches:
                raise SystemExit(f"seed {seed}: the replay's picks {picks} differ from {a.published}'s {expected}")
        traces.append({"size": a.size, "pretrain": a.pretrain, "seed": seed, "arm": label, "picks": picks,
                       "matches_published": matches, "rounds": rounds})
        for rd in rounds:
            for t in rd["tasks"]:
                rows.append({"seed": seed, "round": rd["round"], **t, "picked": rd["batch"].count(t["task"])})
        counts = {name: picks.count(name) for name in scene.task_names}
        print(f"seed {seed}: {counts} (replay matches published: {matches}; {time.time() - start:.0f} s)", flush=True)
    os.makedirs(a.out, exist_ok=True)
    for name, text in (("trace.json", json.dumps(traces, indent=1)),
                       ("trace.csv", _csv(rows)),
                       ("summary.txt", summary(traces, scene.task_names))):
        tmp = os.path.join(a.out, name + ".tmp")
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, os.path.join(a.out, name))
    return 0


def summary(traces, task_names):
    """Per seed and task: picks; while the task is undemonstrated and after its first pick, the
    mean over rounds of its weights' share on its own trajectories and of the squared residual
    where its weights lie; the selection copy's loss on its warm start at round 0; and how many
    of the arm's picks relabel a trajectory of this task as their pseudo-demonstration."""
    def mean(values):
        return f"{np.mean(values):.2f}" if values else "-"

    t0 = traces[0]
    lines = [f"AMF-NN's criterion round by round on real Metaworld ({t0['size']} size, {t0['pretrain']} pre-training, "
             f"{t0['arm']}); replayed picks equal the published ones: "
             f"{all(t['matches_published'] for t in traces) if t0['matches_published'] is not None else 'not checked'}",
             "  own share: the importance weights' share on the task's own trajectories (mean over rounds);",
             "  residual: the selection copy's squared action error where those weights lie; undemonstrated | after",
             "  its first pick. warm loss: the copy's error on the task's own warm start, round 0. label: how far",
             "  the copy's action moves when another task's step is relabelled with this task, round 0. pseudo:",
             "  picks whose pseudo-demonstration relabels a trajectory of this task.",
             f"  {'seed':>4}  {'task':16s} {'picks':>5}  {'own share':>11}  {'residual':>11}  {'warm loss':>9}  "
             f"{'label':>5}  {'pseudo':>6}"]
    for t in traces:
        pseudo = [name for rd in t["rounds"] for name in rd["batch_pseudo_demo_tasks"]]
        for k, name in enumerate(task_names):
            before = [rd["tasks"][k] for rd in t["rounds"] if rd["tasks"][k]["demonstrations_so_far"] == 0]
            after = [rd["tasks"][k] for rd in t["rounds"] if rd["tasks"][k]["demonstrations_so_far"] > 0]
            share = f"{mean([x['own_task_weight_share'] for x in before])} | {mean([x['own_task_weight_share'] for x in after])}"
            res = (f"{mean([x['weighted_squared_residual'] for x in before])} | "
                   f"{mean([x['weighted_squared_residual'] for x in after])}")
            lines.append(f"  {t['seed']:>4}  {name:16s} {t['picks'].count(name):>5}  {share:>11}  {res:>11}  "
                         f"{t['rounds'][0]['tasks'][k]['selection_warm_start_loss']:>9.2f}  "
                         f"{t['rounds'][0]['tasks'][k]['label_effect']:>5.2f}  {pseudo.count(name):>6}")
        ess = [x["effective_trajectories"] for rd in t["rounds"] for x in rd["tasks"]]
        lines.append(f"  {t['seed']:>4}  effective trajectories per candidate: median {np.median(ess):.1f} of "
                     f"{t['rounds'][0]['pool_trajectories']}-{t['rounds'][-1]['pool_trajectories']} in the pool")
    return "\n".join(lines) + "\n"


def _csv(rows):
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


if __name__ == "__main__":
    sys.exit(main())
