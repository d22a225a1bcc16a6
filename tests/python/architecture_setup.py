"""Small problems for the real-architecture tests: integrator pools (tests/python/integrator_pool)
as action chunks or as camera frames of scenes/cupfaucet.xml, and a short Adam fit of a policy
on some of the pool's tasks, so that it does those well and the others badly."""
import numpy as np
import torch

from integrator_pool import integrator_pool

FRAME = 32  # frame side at test size (the benchmark uses 64)


def circle_tasks(angles):
    angles = np.asarray(angles, dtype=np.float64)
    return np.stack([np.cos(angles), np.sin(angles)], axis=1)


def hand_positions(states):
    """The integrator's plane (states in the unit disc) mapped onto the table of the cupfaucet
    scene in front of the cup: x in [-0.2, 0.2] m, y in [0.3, 0.7] m, 0.12 m above the table."""
    s = np.asarray(states, dtype=np.float64)
    return np.stack([0.2 * s[:, 0], 0.5 + 0.2 * s[:, 1], np.full(len(s), 0.12)], axis=1)


def frame_pool(pool, camera):
    """The pool with each state replaced by the camera frame of the hand there, flattened."""
    frames = camera.frames(hand_positions(pool["pool_states"]))
    return {**pool, "pool_states": frames.reshape(len(frames), -1).astype(np.float64)}


def fit(policy, pool, tasks_kept, steps=300, lr=3e-3, loss=None, seed=0):
    """Adam on the pool's trajectories of the tasks in tasks_kept (row indices of pool_tasks):
    loss(policy, x, a) -> scalar, default the mean squared error of policy(x). Returns the
    policy, in eval mode."""
    torch.manual_seed(seed)
    offsets = pool["traj_offsets"]
    steps_of = np.concatenate([np.arange(offsets[i], offsets[i + 1]) for i in tasks_kept])
    own = np.repeat(pool["pool_tasks"], np.diff(offsets), axis=0)
    dtype = next(policy.parameters()).dtype
    x = torch.as_tensor(np.hstack([pool["pool_states"], own])[steps_of], dtype=dtype)
    a = torch.as_tensor(pool["pool_actions"][steps_of], dtype=dtype)
    if loss is None:
        def loss(p, x, a):
            return 0.5 * (p(x) - a).pow(2).sum(1).mean()
    optimiser = torch.optim.Adam(policy.parameters(), lr=lr)
    policy.train()
    for _ in range(steps):
        optimiser.zero_grad()
        loss(policy, x, a).backward()
        optimiser.step()
    return policy.eval()
