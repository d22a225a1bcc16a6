"""amf: active multi-task fine-tuning -- which tasks should an expert demonstrate next?

The criterion and greedy batch selection of AMF-GP and AMF-NN on numpy arrays or torch CPU
tensors (zero-copy through DLPack), AMF-NN for a torch nn.Module policy
(select_batch_for_policy, loss_gradient_features), HDF5 demonstrations in the robomimic layout,
and the studies of the experiment harness. Arrays may be of any real dtype (float16, bfloat16,
float32, float64, integer, bool) and any memory layout; amf computes in float64, converting
them. Complex, object and string arrays and ragged lists are refused. Bad input raises
ValueError (amf.InvalidArgument), and a wrong Python type TypeError, naming the function and
argument: "select_batch: batch_size must be an integer in [1, 2147483647], got 2.9".

Example::

    import amf
    demos = amf.load_demonstrations("demos.hdf5")
    pool = amf.pool_from_demonstrations(demos)
    result = amf.select_batch(**pool, candidates=cands, targets=targs, batch_size=4)
    result["batch"]          # indices of the candidates to demonstrate next, in pick order
"""
import numpy as np

from . import _arguments
from ._amf import __version__
from ._amf import Error, InvalidArgument, TooLarge, bootstrap_mean_ci, cuda_device_count, mpi_world, write_study_outputs
from ._amf import _criterion, _feature_criterion, _kept_candidate_pairs, _kept_target_steps
from ._amf import load_demonstrations as _load_demonstrations
from ._amf import run_study as _run_study
from ._amf import save_demonstrations as _save_demonstrations
from ._arguments import as_numpy
from .engine import Engine
from .torch_policy import select_batch_for_policy


def __getattr__(name):
    # The loss-gradient features need torch: amf.gradient_features is imported on first use only.
    if name in ("loss_gradient_features", "last_layer_embedding", "gradient_features"):
        import importlib

        module = importlib.import_module(".gradient_features", __name__)
        return module if name == "gradient_features" else getattr(module, name)
    raise AttributeError(f"module 'amf' has no attribute {name!r}")


__all__ = ["criterion", "select_batch", "feature_select_batch", "kept_candidate_pairs", "kept_target_steps", "pool_from_demonstrations", "load_demonstrations", "save_demonstrations",
           "run_study", "cuda_device_count", "Error", "InvalidArgument", "TooLarge", "loss_gradient_features",
           "last_layer_embedding", "select_batch_for_policy", "mpi_world", "Engine"]


# A selection whose estimate exceeds this many seconds stops after its second pass (ValueError
# with the estimate) instead of running for days; time_limit=None runs it anyway.
_TIME_LIMIT = 3600.0

_CONTROL_DOC = """
    progress: None (quiet), True (a line per greedy pass on sys.stderr: pick, elapsed, at least
    how long is left) or a callable taking a dict with "passes_done", "passes", "elapsed_s" and
    "remaining_s" (-1 until known). The call can be stopped with Ctrl-C (KeyboardInterrupt within
    one block of candidates; nothing is returned or written) except with distributed=True.

    time_limit: seconds (default 3600). Once two passes are timed, a selection whose estimate
    (each later pick costs at least the last) exceeds it stops with amf.TooLarge (a ValueError)
    naming the estimate; None or 0 for no limit. A batch whose GP conditioning could not fit this
    machine's memory fails the same way before any work.
"""


def _call(fn, select, pool_states, pool_actions, traj_offsets, pool_tasks, candidates, targets, target_probs,
          state_lengthscale, task_lengthscale, signal_variance, noise_variance, clip, min_weight, batch_size,
          backend, out, distributed=False, session_cache_bytes=None, progress=None, time_limit=_TIME_LIMIT):
    """criterion() and select_batch() (named fn in messages): arguments checked, then the engine."""
    pool_states, pool_actions, pool_tasks, candidates, targets = (
        _arguments.float_array(x, name, fn=fn) for x, name in (
            (pool_states, "pool_states"), (pool_actions, "pool_actions"), (pool_tasks, "pool_tasks"),
            (candidates, "candidates"), (targets, "targets")))
    traj_offsets = _arguments.index_array(traj_offsets, "traj_offsets", fn=fn)
    target_probs = _arguments.float_array(target_probs, "target_probs", fn=fn, optional=True)
    kernel = [_arguments.real(v, name, fn=fn, positive=True) for v, name in (
        (state_lengthscale, "state_lengthscale"), (task_lengthscale, "task_lengthscale"),
        (signal_variance, "signal_variance"))]
    settings = _arguments.selection_settings(noise_variance, clip, min_weight, batch_size, fn=fn)
    out = _arguments.path(out, "out", fn=fn, optional=True)
    return _criterion(select, pool_states, pool_actions, traj_offsets, pool_tasks, candidates, targets,
                      _uniform(targets) if target_probs is None else target_probs, *kernel, *settings,
                      _arguments.text(backend, "backend", fn=fn), "" if out is None else out,
                      _arguments.flag(distributed, "distributed", fn=fn), _cache_bytes(session_cache_bytes, fn),
                      *_control(progress, time_limit, fn))


def _control(progress, time_limit, fn):
    """progress and time_limit as the engine takes them (0 for no limit)."""
    if time_limit is None:
        return progress, 0.0
    return progress, _arguments.real(time_limit, "time_limit", fn=fn, nonnegative=True)


def _engine_handle(engine, fn):
    if engine is None:
        return None
    if not isinstance(engine, Engine):
        _arguments.fail(fn, "engine", "an amf.Engine", _arguments._describe(engine), TypeError)
    return engine._handle


def _uniform(targets):
    """target_probs' default: uniform over the rows of targets (the engine names a 0-d targets)."""
    n = targets.shape[0] if targets.ndim else 1
    return np.full(n, 1.0 / max(n, 1))


def _cache_bytes(session_cache_bytes, fn):
    """The engine's BackendOptions::session_cache_bytes: -1 (its default) for None."""
    limit = _arguments.integer(session_cache_bytes, "session_cache_bytes", 0, _arguments.INT64_MAX, fn=fn,
                               optional=True)
    return -1 if limit is None else limit


def criterion(pool_states, pool_actions, traj_offsets, pool_tasks, candidates, targets, target_probs=None, *,
              state_lengthscale=0.5, task_lengthscale=0.5, signal_variance=1.0, noise_variance=1e-2,
              clip=(-10.0, 10.0), min_weight=1e-6, backend="auto", progress=None, time_limit=_TIME_LIMIT):
    """Score every candidate task with the AMF-GP criterion (no batch).

    Args:
        pool_states: (n_steps, ds) states of every pool trajectory, stacked.
        pool_actions: (n_steps, da) the demonstrated actions.
        traj_offsets: (R + 1,) int: trajectory i owns rows traj_offsets[i]:traj_offsets[i+1]. A
            float array is taken only if every value is a whole number.
        pool_tasks: (R, dc) the task each trajectory was demonstrated for.
        candidates: (N, dc) candidate tasks.
        targets: (K, dc) target tasks; target_probs: (K,) their probabilities (default uniform).
        state_lengthscale, task_lengthscale, signal_variance: the GP's RBF kernel on (state, task).
        noise_variance: sigma^2 of the policy likelihood (the one AMF hyperparameter).
        clip: (lo, hi) bounds of each per-step log-probability in the importance weights:
            exactly two finite numbers, lo < hi.
        min_weight: importance weights below this are dropped (0 computes the criterion exactly).
        backend: "auto", "cpu" or "cuda".

    Returns:
        dict with "J" (N,) (smaller is better), "info_gain" (N,), "weights" (N, R) importance
        weights, and "num_target_points".
    """
    return _call("criterion", False, pool_states, pool_actions, traj_offsets, pool_tasks, candidates, targets,
                 target_probs, state_lengthscale, task_lengthscale, signal_variance, noise_variance, clip, min_weight,
                 1, backend, None, progress=progress, time_limit=time_limit)


def select_batch(pool_states, pool_actions, traj_offsets, pool_tasks, candidates, targets, target_probs=None, *,
                 batch_size=1, state_lengthscale=0.5, task_lengthscale=0.5, signal_variance=1.0,
                 noise_variance=1e-2, clip=(-10.0, 10.0), min_weight=1e-6, backend="auto", out=None,
                 distributed=False, session_cache_bytes=None, progress=None, time_limit=_TIME_LIMIT):
    """Greedy batch selection: pick batch_size candidates, conditioning on each pick's pseudo-demonstration.

    Takes the arguments of criterion() plus batch_size (an int in [1, 2**31 - 1]: the engine's
    int is 32-bit; it may exceed the number of candidates, since after conditioning on a pick the
    same task may still be the most informative and is picked again; time grows about cubically
    in it, bounded by time_limit), and out: a directory (str or os.PathLike) to write selection.json and
    scores.csv into (the files `amf select` writes). Returns the dict of criterion() plus "batch"
    (candidate indices in pick order), "batch_J" and "pseudo_demo_trajectory".

    distributed=True: under `mpirun -np K python3 script.py`, every rank calls this with the same
    arrays; the candidates are sharded over the ranks (MPI is initialised on first use unless
    mpi4py did it) and every rank returns the single-process result, plus "rank" and "ranks".
    Only rank 0 writes `out`.

    session_cache_bytes: memory the CPU backend may keep so that greedy steps after the first
    update the first pass's cross-covariances instead of recomputing them (incremental
    conditioning; same picks, J within 1e-10). None: the smaller of a quarter of the physical memory
    and half of what is still available when the selection starts; 0: recompute.
    An int number of bytes otherwise.
    """
    return _call("select_batch", True, pool_states, pool_actions, traj_offsets, pool_tasks, candidates, targets,
                 target_probs, state_lengthscale, task_lengthscale, signal_variance, noise_variance, clip, min_weight,
                 batch_size, backend, out, distributed, session_cache_bytes, progress, time_limit)


def pool_from_demonstrations(demos):
    """Stack demonstrations (dicts with 'task', 'states', 'actions') into the pool arguments.

    Returns a dict with pool_states, pool_actions, traj_offsets and pool_tasks, ready to be passed
    as keyword arguments to criterion() and select_batch(). Every demonstration must have a (dc,)
    'task', (T, ds) 'states' and (T, da) 'actions' of finite numbers, with the dc, ds and da of
    the first; the one that does not is named (demos[i]['actions']).
    """
    checked = _arguments.demonstrations(demos, "demos", fn="pool_from_demonstrations")
    tasks, states, actions = ([np.asarray(a, dtype=np.float64) for a in part] for part in zip(*checked))
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in states])]).astype(np.int64)
    return {
        "pool_states": np.concatenate(states),
        "pool_actions": np.concatenate(actions),
        "traj_offsets": offsets,
        "pool_tasks": np.stack(tasks),
    }


def kept_candidate_pairs(traj_offsets, candidate_logp, own_logp, *, clip=(-10.0, 10.0), min_weight=1e-6):
    """The (candidate, pool trajectory) pairs whose candidate features AMF-NN reads.

    The importance weights come from the log-probabilities alone (as in feature_select_batch, with
    the same clip and min_weight), so for a large candidate set compute candidate_logp for every
    (candidate, pool step), call this, compute features only for the steps of the returned pairs
    and pass feature_select_batch(..., candidate_feature_rows=...). Returns (pairs, weights):
    pairs an (P, 2) int64 array of (candidate, trajectory), weights their importance weights.
    """
    fn = "kept_candidate_pairs"
    return _kept_candidate_pairs(_arguments.index_array(traj_offsets, "traj_offsets", fn=fn),
                                 _arguments.float_array(candidate_logp, "candidate_logp", fn=fn),
                                 _arguments.float_array(own_logp, "own_logp", fn=fn),
                                 _arguments.clip_pair(clip, "clip", fn=fn),
                                 _arguments.real(min_weight, "min_weight", fn=fn))


def kept_target_steps(traj_offsets, target_logp, own_logp, target_probs=None, *, clip=(-10.0, 10.0),
                      min_weight=1e-6):
    """The (target, pool step) points whose target features AMF-NN reads, as indices k * n + t.

    The target occupancy keeps every step of the pool trajectories whose importance weight for
    target k (from target_logp and own_logp, with the same clip and min_weight as
    feature_select_batch) is kept, for targets of nonzero probability. Compute target features
    for these steps only and pass feature_select_batch(..., target_feature_rows=...): a
    task-isolated policy's targets keep about their own task's trajectories. Returns an int64
    array, ascending.
    """
    fn = "kept_target_steps"
    target_logp = _arguments.float_array(target_logp, "target_logp", fn=fn)
    return _kept_target_steps(_arguments.index_array(traj_offsets, "traj_offsets", fn=fn), target_logp,
                              _arguments.float_array(own_logp, "own_logp", fn=fn),
                              _uniform(target_logp) if target_probs is None else
                              _arguments.float_array(target_probs, "target_probs", fn=fn),
                              _arguments.clip_pair(clip, "clip", fn=fn), _arguments.real(min_weight, "min_weight", fn=fn))


def feature_select_batch(traj_offsets, candidate_logp, target_logp, own_logp, candidate_features, target_features,
                         target_probs=None, *, batch_size=1, noise_variance=1e-2, clip=(-10.0, 10.0),
                         min_weight=1e-6, backend="auto", gram_precision="float64", candidate_feature_rows=None,
                         target_feature_rows=None, candidate_groups=None, target_groups=None, session_cache_bytes=None,
                         progress=None, time_limit=_TIME_LIMIT, engine=None, distributed=False):
    """AMF-NN selection from your own policy's log-probabilities and loss-gradient features.

    For every candidate c (and target k) and every pool step t relabelled with that task, give
    the policy's log-probability of the logged action (candidate_logp (N, n), target_logp (K, n);
    own_logp (n,) under each step's own task) and the features of the point (s_t, c) with label
    a_t: either explicit embeddings, an (N n, D) array with row c * n + t, or a list of terms
    whose kernels add up (amf.loss_gradient_features returns them for any torch model): the
    factorised form of a layer, ("linear" | "linear-no-bias" | "layernorm", inputs, signals) with
    one row per point (layer inputs or normalised inputs, and the loss gradient at the layer's
    output; a Linear layer's may be (points, tokens, width) token sequences), so no per-sample
    gradient is ever materialised, and ("explicit", embedding) parts. batch_size=1 gives the plain
    criterion; like select_batch()'s it is an int in [1, 2**31 - 1].

    gram_precision "float32" runs the candidate-target Gram GEMMs of the CPU backend in float32
    (about 1.5-2x faster; everything after them stays float64). Its relative error in J grows
    with max k(z, z) / noise_variance, measured up to about 1e-8 times that ratio, so float64 is
    the default; the CUDA backend computes in float64 either way.

    candidate_feature_rows (optional, (N n,) int, or floats that are whole numbers): for large
    candidate sets, the row of candidate_features holding (s_t, c) at index c * n + t, or -1 where
    no features were computed; every step of every pair kept_candidate_pairs returns needs a row
    (a missing one is named). target_feature_rows (optional, (K n,)): the same for
    target_features, whose rows then need only cover the points kept_target_steps returns.

    candidate_groups (N,) and target_groups (K,) (optional, both or neither, ints >= 0): for a
    policy whose tasks own disjoint parameters (parameter isolation, one copy per group): the
    kernel between points of different groups is then exactly 0, so each row of the features
    need only hold its own copy's terms, one term list for all copies (the padded layout, every
    copy's terms on every row with zeros outside the copy, gives the same criterion at P times
    the memory and Gram work for P copies). Every backend masks the Grams between groups.

    session_cache_bytes, progress, time_limit: as in select_batch().

    Arrays are read where they lie, without a copy: numpy arrays and CPU tensors of float32 or
    float64 (float32 is widened exactly inside the engine, whose arithmetic is float64), and torch
    CUDA tensors through DLPack. With a CUDA engine the candidate features stay on the device; the
    log-probabilities and the target features are copied to the host (the importance weights and
    the targets' prior variances are formed there); on a CPU engine every CUDA tensor is copied.

    engine: an amf.Engine to run on (its backend is kept between calls); `backend` and
    `session_cache_bytes` are then the engine's.

    distributed=True: as in select_batch(), under `mpirun -np K python3 script.py` every rank calls
    this with the same arguments; the candidates are sharded over the ranks, each rank scores its
    shard with its own session (CPU, or CUDA with one device per rank on a node with several), and
    every rank returns the single-process result, plus "rank" and "ranks". progress and Ctrl-C
    are not offered then (mpirun forwards SIGINT to every rank).

    Returns the dict of select_batch(): "J", "info_gain", "weights", "batch", "batch_J",
    "pseudo_demo_trajectory".
    """
    fn = "feature_select_batch"
    candidate_logp, target_logp, own_logp = (
        _arguments.device_float_array(x, name, fn=fn) for x, name in (
            (candidate_logp, "candidate_logp"), (target_logp, "target_logp"), (own_logp, "own_logp")))
    target_probs = _arguments.float_array(target_probs, "target_probs", fn=fn, optional=True)
    candidate_features, target_features = (_arguments.features(f, name, fn=fn) for f, name in (
        (candidate_features, "candidate_features"), (target_features, "target_features")))
    rows = _arguments.index_array(candidate_feature_rows, "candidate_feature_rows", fn=fn, optional=True)
    target_rows = _arguments.index_array(target_feature_rows, "target_feature_rows", fn=fn, optional=True)
    groups = [_arguments.index_array(g, name, fn=fn, optional=True)
              for g, name in ((candidate_groups, "candidate_groups"), (target_groups, "target_groups"))]
    return _feature_criterion(True, _arguments.index_array(traj_offsets, "traj_offsets", fn=fn), candidate_logp,
                              target_logp, own_logp, _uniform(target_logp) if target_probs is None else target_probs,
                              candidate_features, target_features,
                              *_arguments.selection_settings(noise_variance, clip, min_weight, batch_size, fn=fn),
                              _arguments.text(backend, "backend", fn=fn),
                              _arguments.text(gram_precision, "gram_precision", fn=fn), rows, target_rows, *groups,
                              _cache_bytes(session_cache_bytes, fn), *_control(progress, time_limit, fn),
                              engine=_engine_handle(engine, fn),
                              distributed=_arguments.flag(distributed, "distributed", fn=fn))


def load_demonstrations(path, obs_keys=()):
    """Read an HDF5 demonstrations file (robomimic layout) as a list of dicts with 'task' (dc,),
    'states' (T, ds) and 'actions' (T, da) float64 arrays. Raises ValueError naming the file and
    field for a malformed file.

    path: str or os.PathLike; obs_keys: a list of the observation keys whose arrays make the
    states, concatenated in that order (default: all of them, sorted)."""
    fn = "load_demonstrations"
    return _load_demonstrations(_arguments.path(path, "path", fn=fn), _arguments.strings(obs_keys, "obs_keys", fn=fn))


def save_demonstrations(path, demos, obs_key="state"):
    """Write demonstrations (dicts with 'task', 'states', 'actions') to HDF5 in the robomimic layout,
    atomically.

    Each is checked first as in pool_from_demonstrations(), NaN and inf included, so that no file
    is written that load_demonstrations() would refuse: the offender is named (demos[i]['states'])."""
    fn = "save_demonstrations"
    checked = _arguments.demonstrations(demos, "demos", fn=fn)
    _save_demonstrations(_arguments.path(path, "path", fn=fn), [dict(zip(_arguments.DEMO_KEYS, d)) for d in checked],
                         _arguments.text(obs_key, "obs_key", fn=fn))


def run_study(config, out=""):
    """Run (or resume) the study a TOML configuration file describes; returns the summary table.

    config: the file (str or os.PathLike); out: the results directory, "" or None for the
    configuration's out_dir."""
    fn = "run_study"
    return _run_study(_arguments.path(config, "config", fn=fn), _arguments.path(out, "out", fn=fn, optional=True) or "")


for _f in (criterion, select_batch, feature_select_batch):
    _f.__doc__ += _CONTROL_DOC
