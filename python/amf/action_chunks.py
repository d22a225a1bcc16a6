"""Action chunks for the policies that predict several future actions at once (ACT, Diffusion
Policy): each pool step's action row becomes the next `chunk` actions of its own trajectory,
flattened, so that amf.select_batch_for_policy, which compares the policy's output with the
pool's action row, scores the whole chunk the policy predicts.

Steps closer than `chunk` to their trajectory's end repeat its last action (a robot that holds
its final command). LeRobot pads the same way and masks the padded steps out of its loss
(action_is_pad); here they stay in: the Gaussian log-probability of a chunk then also scores
the policy's prediction of holding still at the end, which a deterministic policy makes anyway.
"""
import numpy as np

from . import _arguments


def chunk_pool(pool, chunk):
    """The pool dict (amf.pool_from_demonstrations) with pool_actions replaced by the (n, chunk *
    da) chunks a_t, ..., a_{t + chunk - 1} of each step's own trajectory, time-major (the row
    reshapes to (chunk, da)). The other arrays are returned as they are."""
    fn = "chunk_pool"
    _arguments.record(pool, "pool", ("pool_states", "pool_actions", "traj_offsets", "pool_tasks"), fn=fn)
    chunk = _arguments.integer(chunk, "chunk", 1, 1 << 16, fn=fn)
    actions = np.asarray(_arguments.float_array(pool["pool_actions"], "pool['pool_actions']", fn=fn, ndim=2),
                         dtype=np.float64)
    offsets = _arguments.index_array(pool["traj_offsets"], "pool['traj_offsets']", fn=fn)
    if offsets.ndim != 1 or offsets[0] != 0 or offsets[-1] != len(actions) or np.any(np.diff(offsets) <= 0):
        _arguments.fail(fn, "pool['traj_offsets']", f"increasing from 0 to the {len(actions)} pool steps",
                        np.array2string(offsets, threshold=20))
    steps = np.arange(len(actions))
    last = np.repeat(offsets[1:] - 1, np.diff(offsets))  # each step's trajectory's last step
    rows = np.minimum(steps[:, None] + np.arange(chunk)[None, :], last[:, None])
    return {**pool, "pool_actions": actions[rows].reshape(len(actions), -1)}
