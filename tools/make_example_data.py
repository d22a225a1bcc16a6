#!/usr/bin/python3
"""Writes examples/: demos.h5 (6 noisy expert demonstrations of the 2D integrator, all in the top
half of the goal circle), candidates.csv (24 goals on the circle) and targets.csv (the 12
evaluation goals, equal weights). Deterministic; rerun to regenerate."""
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "build" / "python"))
import amf  # noqa: E402

out = pathlib.Path(__file__).resolve().parent.parent / "examples"
rng = np.random.default_rng(7)
demos = []
for angle in np.linspace(0.2, np.pi - 0.2, 6):
    goal = np.array([np.cos(angle), np.sin(angle)])
    s, states, actions = np.zeros(2), [], []
    for _ in range(12):
        a = 0.35 * (goal - s)
        a *= min(1.0, 0.25 / max(np.linalg.norm(a), 1e-12))
        a = a + 0.05 * rng.standard_normal(2)
        states.append(s.copy())
        actions.append(a)
        s = s + a * min(1.0, 0.25 / max(np.linalg.norm(a), 1e-12))
    demos.append({"task": goal, "states": np.array(states), "actions": np.array(actions)})
amf.save_demonstrations(str(out / "demos.h5"), demos)
angles = 2 * np.pi * np.arange(24) / 24
np.savetxt(out / "candidates.csv", np.c_[np.cos(angles), np.sin(angles)], delimiter=",", header="goal_x,goal_y",
           comments="", fmt="%.17g")
angles = 2 * np.pi * np.arange(12) / 12
np.savetxt(out / "targets.csv", np.c_[np.cos(angles), np.sin(angles), np.ones(12)], delimiter=",",
           header="goal_x,goal_y,weight", comments="", fmt="%.17g")
print(f"wrote {out}/demos.h5, candidates.csv, targets.csv")
