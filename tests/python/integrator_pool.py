"""A small demonstration pool for policy-selection tests: noise-free proportional-control
demonstrations of the 2D integrator towards goals on the unit circle at the given angles."""
import numpy as np

import amf


def integrator_pool(angles, horizon=6):
    demos = []
    for angle in angles:
        goal = np.array([np.cos(angle), np.sin(angle)])
        s, states, actions = np.zeros(2), [], []
        for _ in range(horizon):
            act = 0.35 * (goal - s)
            states.append(s.copy())
            actions.append(act)
            s = s + act
        demos.append({"task": goal, "states": np.array(states), "actions": np.array(actions)})
    return amf.pool_from_demonstrations(demos)
