"""amf: active multi-task fine-tuning -- which tasks should an expert demonstrate next?

The criterion and greedy batch selection of AMF-GP and AMF-NN on numpy arrays or torch CPU
tensors (zero-copy through DLPack), AMF-NN for a torch nn.Module policy
(select_batch_for_policy, loss_gradient_features), HDF5 demonstrations in the robomimic layout,
and the studies of the experiment harness. Arrays may be float32 or float64 and any memory
layout; amf computes in float64. Bad input raises ValueError naming the field.

Example::

    import amf
    demos = amf.load_demonstrations("demos.hdf5")
    pool = amf.pool_from_demonstrations(demos)
    result = amf.select_batch(**pool, candidates=cands, targets=targs, batch_size=4)
    result["batch"]          # indices of the candidates to demonstrate next, in pick order
"""
import numpy as np

from ._amf import __version__
from ._amf import (Error, InvalidArgument, bootstrap_mean_ci, cuda_device_count, load_demonstrations, mpi_world, run_study,
                   save_demonstrations, write_study_outputs)
from ._amf import _criterion, _feature_criterion, _kept_candidate_pairs
from .torch_policy import as_numpy, loss_gradient_features, select_batch_for_policy

__all__ = ["criterion", "select_batch", "feature_select_batch", "kept_candidate_pairs", "pool_from_demonstrations", "load_demonstrations", "save_demonstrations",
           "run_study", "cuda_device_count", "Error", "InvalidArgument", "loss_gradient_features",
           "select_batch_for_policy", "mpi_world"]


def _call(select, pool_states, pool_actions, traj_offsets, pool_tasks, candidates, targets, target_probs,
          state_lengthscale, task_lengthscale, signal_variance, noise_variance, clip, min_weight, batch_size,
          backend, out, distributed=False, session_cache_bytes=None):
    pool_states, pool_actions, traj_offsets, pool_tasks, candidates, targets, target_probs = (
        as_numpy(x, name) for x, name in ((pool_states, "pool_states"), (pool_actions, "pool_actions"),
                                          (traj_offsets, "traj_offsets"), (pool_tasks, "pool_tasks"),
                                          (candidates, "candidates"), (targets, "targets"),
                                          (target_probs, "target_probs")))
    if target_probs is None:
        n_targets = np.asarray(targets).shape[0]
        target_probs = np.full(n_targets, 1.0 / max(n_targets, 1))
    return _criterion(select, pool_states, pool_actions, np.asarray(traj_offsets, dtype=np.int64), pool_tasks,
                      candidates, targets, target_probs, float(state_lengthscale), float(task_lengthscale),
                      float(signal_variance), float(noise_variance), (float(clip[0]), float(clip[1])),
                      float(min_weight), int(batch_size), backend, "" if out is None else str(out),
                      bool(distributed), _cache_bytes(session_cache_bytes))


def _cache_bytes(session_cache_bytes):
    """The engine's BackendOptions::session_cache_bytes: -1 (its default) for None."""
    if session_cache_bytes is None:
        return -1
    if int(session_cache_bytes) < 0:
        raise ValueError(f"session_cache_bytes must be None or >= 0, not {session_cache_bytes}")
    return int(session_cache_bytes)


def criterion(pool_states, pool_actions, traj_offsets, pool_tasks, candidates, targets, target_probs=None, *,
              state_lengthscale=0.5, task_lengthscale=0.5, signal_variance=1.0, noise_variance=1e-2,
              clip=(-10.0, 10.0), min_weight=1e-6, backend="auto"):
    """Score every candidate task with the AMF-GP criterion (no batch).

    Args:
        pool_states: (n_steps, ds) states of every pool trajectory, stacked.
        pool_actions: (n_steps, da) the demonstrated actions.
        traj_offsets: (R + 1,) int: trajectory i owns rows traj_offsets[i]:traj_offsets[i+1].
        pool_tasks: (R, dc) the task each trajectory was demonstrated for.
        candidates: (N, dc) candidate tasks.
        targets: (K, dc) target tasks; target_probs: (K,) their probabilities (default uniform).
        state_lengthscale, task_lengthscale, signal_variance: the GP's RBF kernel on (state, task).
        noise_variance: sigma^2 of the policy likelihood (the one AMF hyperparameter).
        clip: (lo, hi) bounds of each per-step log-probability in the importance weights.
        min_weight: importance weights below this are dropped (0 computes the criterion exactly).
        backend: "auto", "cpu" or "cuda".

    Returns:
        dict with "J" (N,) (smaller is better), "info_gain" (N,), "weights" (N, R) importance
        weights, and "num_target_points".
    """
    return _call(False, pool_states, pool_actions, traj_offsets, pool_tasks, candidates, targets, target_probs,
                 state_lengthscale, task_lengthscale, signal_variance, noise_variance, clip, min_weight, 1, backend,
                 None)


def select_batch(pool_states, pool_actions, traj_offsets, pool_tasks, candidates, targets, target_probs=None, *,
                 batch_size=1, state_lengthscale=0.5, task_lengthscale=0.5, signal_variance=1.0,
                 noise_variance=1e-2, clip=(-10.0, 10.0), min_weight=1e-6, backend="auto", out=None,
                 distributed=False, session_cache_bytes=None):
    """Greedy batch selection: pick batch_size candidates, conditioning on each pick's pseudo-demonstration.

    Takes the arguments of criterion() plus batch_size, and out: a directory to write
    selection.json and scores.csv into (the files `amf select` writes). Returns the dict of
    criterion() plus "batch" (candidate indices in pick order), "batch_J" and
    "pseudo_demo_trajectory".

    distributed=True: under `mpirun -np K python3 script.py`, every rank calls this with the same
    arrays; the candidates are sharded over the ranks (MPI is initialised on first use unless
    mpi4py did it) and every rank returns the single-process result, plus "rank" and "ranks".
    Only rank 0 writes `out`.

    session_cache_bytes: memory the CPU backend may keep so that greedy steps after the first
    update the first pass's cross-covariances instead of recomputing them (incremental
    conditioning; same picks, J within 1e-10). None: a quarter of the physical memory; 0: recompute.
    """
    return _call(True, pool_states, pool_actions, traj_offsets, pool_tasks, candidates, targets, target_probs,
                 state_lengthscale, task_lengthscale, signal_variance, noise_variance, clip, min_weight, batch_size,
                 backend, out, distributed, session_cache_bytes)


def pool_from_demonstrations(demos):
    """Stack demonstrations (dicts with 'task', 'states', 'actions') into the pool arguments.

    Returns a dict with pool_states, pool_actions, traj_offsets and pool_tasks, ready to be passed
    as keyword arguments to criterion() and select_batch().
    """
    if not demos:
        raise ValueError("pool_from_demonstrations: no demonstrations")
    states = [np.asarray(d["states"], dtype=np.float64) for d in demos]
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in states])]).astype(np.int64)
    return {
        "pool_states": np.concatenate(states),
        "pool_actions": np.concatenate([np.asarray(d["actions"], dtype=np.float64) for d in demos]),
        "traj_offsets": offsets,
        "pool_tasks": np.stack([np.asarray(d["task"], dtype=np.float64) for d in demos]),
    }


def kept_candidate_pairs(traj_offsets, candidate_logp, own_logp, *, clip=(-10.0, 10.0), min_weight=1e-6):
    """The (candidate, pool trajectory) pairs whose candidate features AMF-NN reads.

    The importance weights come from the log-probabilities alone (as in feature_select_batch, with
    the same clip and min_weight), so for a large candidate set compute candidate_logp for every
    (candidate, pool step), call this, compute features only for the steps of the returned pairs
    and pass feature_select_batch(..., candidate_feature_rows=...). Returns (pairs, weights):
    pairs an (P, 2) int64 array of (candidate, trajectory), weights their importance weights.
    """
    return _kept_candidate_pairs(np.asarray(as_numpy(traj_offsets, "traj_offsets"), dtype=np.int64),
                                 as_numpy(candidate_logp, "candidate_logp"), as_numpy(own_logp, "own_logp"),
                                 (float(clip[0]), float(clip[1])), float(min_weight))


def feature_select_batch(traj_offsets, candidate_logp, target_logp, own_logp, candidate_features, target_features,
                         target_probs=None, *, batch_size=1, noise_variance=1e-2, clip=(-10.0, 10.0),
                         min_weight=1e-6, backend="auto", gram_precision="float64", candidate_feature_rows=None,
                         session_cache_bytes=None):
    """AMF-NN selection from your own policy's log-probabilities and loss-gradient features.

    For every candidate c (and target k) and every pool step t relabelled with that task, give
    the policy's log-probability of the logged action (candidate_logp (N, n), target_logp (K, n);
    own_logp (n,) under each step's own task) and the features of the point (s_t, c) with label
    a_t: either explicit embeddings, an (N n, D) array with row c * n + t, or the factorised form
    of an MLP, a list of ("linear" | "layernorm", inputs, signals) with one row per point (layer
    inputs or normalised inputs, and the loss gradient at the layer's output), so no per-sample
    gradient is ever materialised. batch_size=1 gives the plain criterion.

    gram_precision "float32" runs the candidate-target Gram GEMMs of the CPU backend in float32
    (about 1.5-2x faster; everything after them stays float64). Its relative error in J grows
    with max k(z, z) / noise_variance, measured up to about 1e-8 times that ratio, so float64 is
    the default; the CUDA backend computes in float64 either way.

    candidate_feature_rows (optional, (N n,) int64): for large candidate sets, the row of
    candidate_features holding (s_t, c) at index c * n + t, or -1 where no features were computed;
    every step of every pair kept_candidate_pairs returns needs a row (a missing one is named).

    session_cache_bytes: as in select_batch() (incremental conditioning's memory budget).

    Returns the dict of select_batch(): "J", "info_gain", "weights", "batch", "batch_J",
    "pseudo_demo_trajectory".
    """
    traj_offsets, candidate_logp, target_logp, own_logp, target_probs = (
        as_numpy(x, name) for x, name in ((traj_offsets, "traj_offsets"), (candidate_logp, "candidate_logp"),
                                          (target_logp, "target_logp"), (own_logp, "own_logp"),
                                          (target_probs, "target_probs")))

    def features(f, name):
        if isinstance(f, (list, tuple)):
            return [(kind, as_numpy(h, name), as_numpy(d, name)) for kind, h, d in f]
        return as_numpy(f, name)

    candidate_features = features(candidate_features, "candidate_features")
    target_features = features(target_features, "target_features")
    if target_probs is None:
        n_targets = np.asarray(target_logp).shape[0]
        target_probs = np.full(n_targets, 1.0 / max(n_targets, 1))
    return _feature_criterion(True, np.asarray(traj_offsets, dtype=np.int64), candidate_logp, target_logp, own_logp,
                              target_probs, candidate_features, target_features, float(noise_variance),
                              (float(clip[0]), float(clip[1])), float(min_weight), int(batch_size), backend,
                              gram_precision,
                              None if candidate_feature_rows is None else
                              np.asarray(as_numpy(candidate_feature_rows, "candidate_feature_rows"), dtype=np.int64),
                              _cache_bytes(session_cache_bytes))
