"""PyTorch users: AMF-NN selection for a policy held as a torch ``nn.Module``, with no C++.

``select_batch_for_policy`` builds the whole AMF-NN problem (relabelled pool, Gaussian
log-probabilities, loss-gradient features from amf.gradient_features: exact factorised forms for
Linear, convolution, embedding and norm layers on vectors or token sequences, per-sample
gradients through torch.func for anything else, or their seeded projections) and runs the greedy
selection.

Log-probabilities: every policy here is scored as a Gaussian N(a; mu(s, c), sigma_pi^2 I) around
its deterministic output mu = policy(x). What mu is depends on the architecture (the modules of
amf.act_policy, amf.diffusion_policy and amf.image_policy say it for theirs): the action of an
MLP, the flattened action chunk of a chunking transformer (ACT), the denoised mean of a diffusion
policy. The features are the gradient of the policy's training loss: 0.5 |mu - a|^2 by default
(the Gaussian's log-likelihood up to scale), or any loss module given as training_loss (a
diffusion policy's denoising loss at fixed, seeded noise draws and timesteps).

torch is imported lazily: ``import amf`` does not need it.
"""
import math

import numpy as np

from . import _arguments
from ._arguments import as_numpy  # noqa: F401 (it was defined here: torch_policy.as_numpy stays)

POOL_KEYS = ("pool_states", "pool_actions", "traj_offsets", "pool_tasks")
EMBEDDINGS = ("full", "last-layer")
LOGP_ROWS = 4096  # rows per policy call for the log-probabilities


def select_batch_for_policy(policy, pool, candidates, targets, target_probs=None, *, sigma_pi=0.5,
                            embedding="full", parameters="all", projection=None, seed=0, batch_size=1,
                            noise_variance=1.0, clip=(-50.0, 50.0), min_weight=1e-6, backend="auto",
                            gram_precision="float64", training_loss=None, token_form="auto"):
    """AMF-NN's next batch for a deterministic torch policy f(state, task) -> action.

    pool: the dict of amf.pool_from_demonstrations (pool_states, pool_actions, traj_offsets,
    pool_tasks); candidates (N, dc) and targets (K, dc) tasks. The policy's input is the state
    and the task concatenated. Its likelihood is N(a; f(s, c), sigma_pi^2 I). embedding:
    "full": the loss gradient over `parameters` ("all", "head", the last k layers or a list of
    names; frozen parameters are skipped); "last-layer": the label-free last-layer embedding of
    the paper's Fig. 6 ablation, as the C++ engine's "last-layer" (amf/torch/nn_selection.hpp):
    the action head's input activations h and a constant 1 for the head's bias, k = h . h' + 1
    (amf.gradient_features.last_layer_embedding), no action labels enter it, and `parameters`,
    `projection` and `seed` are not used. The head's loss gradient (what "last-layer" meant in
    Python before it meant the same as in C++) is embedding="full", parameters="head".
    projection, seed and token_form as in amf.gradient_features.loss_gradient_features (here
    token_form defaults to "auto": a convolution's per-sample gradient is handed over materialised
    where that is cheaper than its unfolded patches; the kernel is the same). gram_precision as in
    amf.feature_select_batch.

    training_loss: None (the features are the gradient of 0.5 |policy(x) - a|^2), or a torch
    nn.Module called as training_loss(x, a) that returns one loss per row (P,) and holds the
    policy's parameters (as a submodule), e.g. amf.diffusion_policy.DenoisingLoss: the features
    are its gradient over `parameters` (names as training_loss's own named_parameters give them),
    while the log-probabilities still come from policy(x). Not used by embedding="last-layer".

    Returns the dict of amf.feature_select_batch. The arguments are checked as there, under this
    function's name, before the policy runs.
    """
    import torch

    from . import feature_select_batch, kept_candidate_pairs, kept_target_steps
    from .gradient_features import last_layer_embedding, loss_gradient_features

    fn = "select_batch_for_policy"
    _arguments.torch_module(policy, "policy", fn=fn)
    if training_loss is not None:
        _arguments.torch_module(training_loss, "training_loss", fn=fn)
    _arguments.choice(embedding, "embedding", EMBEDDINGS, fn=fn)
    sigma_pi = _arguments.real(sigma_pi, "sigma_pi", fn=fn, positive=True)
    _arguments.selection_settings(noise_variance, clip, min_weight, batch_size, fn=fn)
    _arguments.text(backend, "backend", fn=fn)
    _arguments.text(gram_precision, "gram_precision", fn=fn)
    target_probs = _arguments.float_array(target_probs, "target_probs", fn=fn, optional=True)
    S, A, offsets, tasks = _pool_arrays(pool, fn)
    own = np.repeat(tasks, np.diff(offsets), axis=0)
    C, T = (_task_rows(x, name, tasks.shape[1], fn) for x, name in ((candidates, "candidates"), (targets, "targets")))
    n, da = A.shape

    def relabel(tasks, points):  # the inputs of points task * n + t: pool step t relabelled with the task
        return np.hstack([S[points % n], tasks[points // n]])

    dtype, device = next(policy.parameters()).dtype, next(policy.parameters()).device
    log_norm = 0.5 * da * math.log(2 * math.pi * sigma_pi ** 2)

    def mean(rows):
        with torch.no_grad():
            return policy(torch.as_tensor(rows, dtype=dtype, device=device)).double().cpu().numpy()

    def logp(x, a):
        # In chunks of rows: an image policy's relabelled pool is (candidates x steps) frames.
        f = np.concatenate([mean(x[i:i + LOGP_ROWS]) for i in range(0, len(x), LOGP_ROWS)])
        if f.shape != a.shape:
            _arguments.fail(fn, "policy", f"a module returning ({len(a)}, {a.shape[1]}) actions like the pool's "
                            "(an action chunk flattened: amf.action_chunks.chunk_pool)", f"shape {f.shape}")
        return -0.5 * ((f - a) ** 2).sum(axis=1) / sigma_pi ** 2 - log_norm

    # With a CUDA engine the candidates' features stay on the policy's device (read in place);
    # the log-probabilities go to the host either way, where the importance weights are formed.
    on_device = backend != "cpu" and device.type == "cuda"

    def features(x, a):
        if embedding == "last-layer":
            return last_layer_embedding(policy, x)
        if training_loss is not None:
            return loss_gradient_features(training_loss, (x, a), a, parameters=parameters, projection=projection,
                                          seed=seed, loss=_given_losses, token_form=token_form, on_device=on_device)
        # A policy may compute its own features (amf.isolation.TaskIsolatedPolicy: copy by copy
        # on each copy's rows, the same kernel as the generic path for a fraction of the cost,
        # each row holding its own copy's terms, with the groups below).
        if own_features:
            grouping = {"groups": True} if grouped else {}
            return policy.loss_gradient_features(x, a, parameters=parameters, projection=projection, seed=seed,
                                                 token_form=token_form, **grouping)
        return loss_gradient_features(policy, x, a, parameters=parameters, projection=projection, seed=seed,
                                      token_form=token_form, on_device=on_device)

    own_features = (embedding != "last-layer" and training_loss is None and not on_device
                    and callable(getattr(policy, "loss_gradient_features", None)))
    grouped = own_features and callable(getattr(policy, "feature_groups", None))

    def logp_relabelled(tasks):
        # (tasks, n), a chunk of relabelled rows at a time: the whole relabelled pool (candidates
        # x pool steps x inputs, 16 GB at 2000 candidates, 10,000 steps and 100 inputs) is never
        # formed. The chunks are logp's own, so the values do not depend on this.
        total = len(tasks) * n
        out = np.empty(total)
        for start in range(0, total, LOGP_ROWS):
            points = np.arange(start, min(start + LOGP_ROWS, total))
            out[points] = logp(relabel(tasks, points), A[points % n])
        return out.reshape(len(tasks), n)

    # The copy each candidate's and target's points route to (from their first relabelled step).
    groups = ((policy.feature_groups(relabel(C, np.arange(len(C)) * n)),
               policy.feature_groups(relabel(T, np.arange(len(T)) * n))) if grouped else (None, None))
    candidate_logp, own_logp = logp_relabelled(C), logp(np.hstack([S, own]), A)
    # Features only for the steps of the (candidate, trajectory) pairs the criterion keeps: the
    # importance weights need the log-probabilities alone, and most pairs are pruned.
    pairs, _ = kept_candidate_pairs(offsets, candidate_logp, own_logp, clip=clip, min_weight=min_weight)
    rows = np.concatenate([c * n + np.arange(offsets[i], offsets[i + 1]) for c, i in pairs])
    feature_rows = np.full(len(C) * n, -1, dtype=np.int64)
    feature_rows[rows] = np.arange(len(rows))
    # The same for the targets: the occupancy keeps the steps of the trajectories whose weight
    # for the target is kept (for a task-isolated policy, about the target's own task's).
    target_logp = logp_relabelled(T)
    steps = kept_target_steps(offsets, target_logp, own_logp, target_probs, clip=clip, min_weight=min_weight)
    target_rows = np.full(len(T) * n, -1, dtype=np.int64)
    target_rows[steps] = np.arange(len(steps))
    return feature_select_batch(offsets, candidate_logp, target_logp, own_logp,
                                features(relabel(C, rows), A[rows % n]), features(relabel(T, steps), A[steps % n]),
                                target_probs,
                                batch_size=batch_size, noise_variance=noise_variance, clip=clip,
                                min_weight=min_weight, backend=backend, gram_precision=gram_precision,
                                candidate_feature_rows=feature_rows, target_feature_rows=target_rows,
                                candidate_groups=groups[0], target_groups=groups[1])


def _given_losses(losses, actions):
    """The loss of a training_loss module is its output: one loss per row already."""
    return losses


def _pool_arrays(pool, fn):
    """The pool dict's arrays, float64 (offsets int64). Checked as far as select_batch_for_policy
    indexes them itself before the engine sees them: the trajectories must tile the steps."""
    _arguments.record(pool, "pool", POOL_KEYS, fn=fn)
    S, A, tasks = (np.asarray(_arguments.float_array(pool[key], f"pool['{key}']", fn=fn, ndim=2), dtype=np.float64)
                   for key in ("pool_states", "pool_actions", "pool_tasks"))
    offsets = _arguments.index_array(pool["traj_offsets"], "pool['traj_offsets']", fn=fn)
    if len(A) != len(S):
        _arguments.fail(fn, "pool['pool_actions']", f"{len(S)} rows like pool['pool_states']", f"shape {A.shape}")
    tiles = (offsets.ndim == 1 and len(offsets) == len(tasks) + 1 and offsets[0] == 0 and offsets[-1] == len(S)
             and bool(np.all(np.diff(offsets) > 0)))
    if not tiles:
        _arguments.fail(fn, "pool['traj_offsets']", f"increasing from 0 to the {len(S)} pool steps, one trajectory "
                        f"per row of pool['pool_tasks'] ({len(tasks)})", np.array2string(offsets, threshold=20))
    return S, A, offsets, tasks


def _task_rows(x, name, dc, fn):
    """Candidates or targets as (rows, dc) float64 (one task may come as a (dc,) vector)."""
    rows = np.atleast_2d(np.asarray(_arguments.float_array(x, name, fn=fn), dtype=np.float64))
    if rows.ndim != 2 or rows.shape[1] != dc:
        _arguments.fail(fn, name, f"(rows, {dc}) tasks like pool['pool_tasks']", f"shape {rows.shape}")
    return rows
