"""How often a scene's scripted expert succeeds under the demonstration noise, per task.

  .venv/bin/python -m amf.expert_rates --scene frankakitchen --episodes 50 --out docs/results/frankakitchen_experts

Every episode is one demonstration exactly as the studies collect it (the scene's action noise on
every step, a perturbed initial state of its own placement seed), so the rate is the one the
studies' demonstrations have. Writes, atomically, episodes.csv (one row per episode: task, seed,
success, steps), summary.json and summary.txt (per task: successes of episodes, steps median and
max); the README quotes summary.txt. Needs the venv of tools/setup_python.sh.
"""
import argparse
import csv
import io
import json
import os
import statistics
import sys
import time

SCENES = {
    "frankakitchen": ("amf.kitchen_scene", "KitchenScene"),
    "metaworld": ("amf.metaworld_scene", "MetaworldScene"),
}


def _scene(name):
    import importlib

    if name not in SCENES:
        raise ValueError(f"scene '{name}' is unknown (choose {', '.join(SCENES)})")
    module, cls = SCENES[name]
    return getattr(importlib.import_module(module), cls)()


def measure(scene, episodes, first_seed=0, progress=None):
    """One row per (task, episode): the expert's demonstration with seed first_seed + e from
    placement seed first_seed + e."""
    rows = []
    for k, task in enumerate(scene.task_names):
        for e in range(episodes):
            seed = first_seed + e
            demo = scene.demonstrate(k, seed=seed, placement_seed=seed)
            rows.append({"task": task, "seed": seed, "success": bool(demo["success"]), "steps": len(demo["actions"])})
            if progress:
                progress(len(rows), episodes * len(scene.task_names))
    return rows


def summarise(scene_name, rows, noise):
    tasks = list(dict.fromkeys(r["task"] for r in rows))
    per_task = []
    for t in tasks:
        mine = [r for r in rows if r["task"] == t]
        steps = [r["steps"] for r in mine]
        per_task.append({"task": t, "episodes": len(mine), "successes": sum(r["success"] for r in mine),
                         "steps_median": statistics.median(steps), "steps_max": max(steps)})
    total = sum(p["successes"] for p in per_task), sum(p["episodes"] for p in per_task)
    lines = [f"{scene_name} scripted experts, action noise std {noise:g} on every step, one placement per episode: "
             f"{total[0]} of {total[1]} episodes succeeded",
             f"  {'task':<20} | successes | steps median / max"]
    lines += [f"  {p['task']:<20} | {p['successes']:>4} / {p['episodes']:<4}| {p['steps_median']:g} / {p['steps_max']}"
              for p in per_task]
    return {"scene": scene_name, "noise_std": noise, "successes": total[0], "episodes": total[1],
            "tasks": per_task}, "\n".join(lines) + "\n"


def _write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m amf.expert_rates", description=__doc__.splitlines()[0])
    ap.add_argument("--scene", required=True, choices=sorted(SCENES))
    ap.add_argument("--episodes", type=int, default=50, help="episodes per task (default 50)")
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    if a.episodes < 1:
        ap.error(f"--episodes {a.episodes} (must be >= 1)")
    scene = _scene(a.scene)
    start = time.time()

    def progress(done, total):
        if done % 10 == 0 or done == total:
            print(f"\r[amf expert-rates] {done}/{total} episodes, {time.time() - start:.0f} s", end="", flush=True)

    rows = measure(scene, a.episodes, a.first_seed, progress)
    print()
    summary, text = summarise(a.scene, rows, getattr(scene, "demo_noise", float("nan")))
    summary["seconds"] = round(time.time() - start)
    os.makedirs(a.out, exist_ok=True)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=["task", "seed", "success", "steps"], lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    _write_atomic(os.path.join(a.out, "episodes.csv"), buf.getvalue())
    _write_atomic(os.path.join(a.out, "summary.json"), json.dumps(summary, indent=2) + "\n")
    _write_atomic(os.path.join(a.out, "summary.txt"), text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
