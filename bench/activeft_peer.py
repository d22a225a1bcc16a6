"""amf and activeft (the peer) on the same problem: explicit embeddings of N candidates and K targets.

The correspondence (docs/activeft.md): amf's AMF-NN criterion with one pool trajectory of one
step (so every importance weight is 1) and uniform target probabilities has
    info_gain(c) = 1/K sum_k 1/2 ln( k(z_k,z_k) / v(z_k | y_c) ),   J(c) = 1/K sum_k ln k(z_k,z_k) - 2 info_gain(c)
with k = phi^T phi and y_c = f(c) + noise of variance sigma^2. activeft's MMITL computes
1/K sum_k -1/2 ln(1 - corr(f(c), f(z_k))^2) with NO noise on the candidate; given the kernel
k'(a, b) = k(a, b) + sigma^2 [a and b are the same candidate], its f(c) is amf's y_c and the two
agree exactly. Used by tests/python_venv/test_activeft.py and bench/bench_activeft.py.
"""
import contextlib
import sys
import types

import numpy as np
import torch


def _wandb_for_activeft():
    # activeft's mm_itl.py does `import wandb` at module level and calls wandb.log({max_mi, min_mi})
    # in every compute(): logging only, nothing it returns depends on it. wandb 0.31 pulls ~25
    # packages (pydantic, protobuf, opentelemetry, ...) into the venv, so it is not installed; a
    # no-op `log` stands in. Where a real wandb is installed, a disabled run makes its log a no-op.
    try:
        import wandb
    except ImportError:
        stub = types.ModuleType("wandb")
        stub.log = lambda *args, **kwargs: None
        stub.run = None
        sys.modules["wandb"] = stub
        return
    if wandb.run is None:
        wandb.init(mode="disabled")


_wandb_for_activeft()
from activeft.acquisition_functions.mm_itl import MMITL  # noqa: E402  (after the wandb shim)

import amf  # noqa: E402


class NoisyObservationKernel(torch.nn.Module):
    """activeft model (ModelWithKernel) whose process is amf's observation y = f + noise on candidates.

    Each input row is [phi (D), id]: id = candidate index + 1 for candidates, 0 for targets.
    k'(a, b) = phi_a . phi_b + sigma^2 [id_a == id_b > 0]: a candidate's private noise is part of
    its value, a target stays noise-free (amf's v(z | X) is the variance of f at the target).
    """

    def __init__(self, noise_variance):
        super().__init__()
        self.noise_variance = float(noise_variance)
        # activeft reads the device from next(model.parameters()); the kernel has no parameters.
        self.device_anchor = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64), requires_grad=False)

    def forward(self, x):
        return x[:, :-1]

    def kernel(self, x1, x2):
        k = x1[:, :-1] @ x2[:, :-1].T
        if x1 is x2:  # the one call activeft makes (the joint data against itself): add to the diagonal
            k.diagonal().add_(self.noise_variance * (x1[:, -1] > 0).to(k.dtype))
        else:
            same = (x1[:, -1:] == x2[:, -1].unsqueeze(0)) & (x1[:, -1:] > 0)
            k = k + self.noise_variance * same.to(k.dtype)
        return k


def activeft_inputs(candidates, targets):
    """(data, target) float64 tensors of rows [phi, id] for NoisyObservationKernel."""
    c = np.asarray(candidates, dtype=np.float64)
    z = np.asarray(targets, dtype=np.float64)
    data = np.hstack([c, np.arange(1, len(c) + 1, dtype=np.float64)[:, None]])
    target = np.hstack([z, np.zeros((len(z), 1))])
    return torch.from_numpy(data), torch.from_numpy(target)


def conditioning_noise_std(candidates, noise_variance):
    # activeft conditions the joint covariance on each pick with noise noise_std^2. amf's noise is
    # already inside k', so the exact value is 0 -- but then the pick's own posterior variance is
    # 0 and activeft divides by it: 0/0 = NaN, which torch.argmax takes as the largest value, so
    # it re-picks that candidate and fails to invert a zero variance. A jitter of 1e-12 relative to
    # the largest prior variance keeps it positive and moves every other value by ~1e-12 relative.
    c = np.asarray(candidates, dtype=np.float64)
    return float(np.sqrt(1e-12 * (np.max(np.sum(c * c, axis=1)) + noise_variance)))


@contextlib.contextmanager
def float64_default():
    """activeft makes some tensors with torch's default dtype (torch.eye in from_embeddings,
    torch.tensor(values) in select): under the float32 default the embedding path fails on float64
    input and select returns float32 values. amf computes in float64; so does activeft in here."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(old)


def make_mmitl(candidates, targets, noise_variance):
    """(acquisition function, model, data) for activeft on this problem."""
    data, target = activeft_inputs(candidates, targets)
    # mini_batch_size > N: one mini batch, i.e. plain greedy over all candidates (activeft's default
    # of 1000 would select hierarchically from shuffled mini batches, a different algorithm).
    acq = MMITL(target=target, noise_std=conditioning_noise_std(candidates, noise_variance),
                mini_batch_size=len(data) + 1)
    return acq, NoisyObservationKernel(noise_variance), data


def activeft_scores(candidates, targets, noise_variance):
    """activeft's MMITL value of every candidate before any pick, (N,) numpy."""
    acq, model, data = make_mmitl(candidates, targets, noise_variance)
    with float64_default():
        return acq.compute(acq.initialize(model, data, None)).numpy()


def activeft_select(candidates, targets, noise_variance, batch_size):
    """activeft's greedy batch through its public select(): (indices in pick order, MMITL value at each pick)."""
    acq, model, data = make_mmitl(candidates, targets, noise_variance)
    with float64_default():
        idx, values = acq.select(batch_size, model, data)
    return idx.numpy(), values.numpy()


def amf_select(candidates, targets, noise_variance, batch_size, backend="cpu"):
    """amf's feature_select_batch on one pool trajectory of one step with uniform target probabilities."""
    n_cand, n_targ = len(candidates), len(targets)
    # Every log-probability 0: with a single trajectory the importance weights are 1 regardless.
    return amf.feature_select_batch(np.array([0, 1]), np.zeros((n_cand, 1)), np.zeros((n_targ, 1)), np.zeros(1),
                                    candidates, targets, batch_size=batch_size, noise_variance=noise_variance,
                                    backend=backend)
