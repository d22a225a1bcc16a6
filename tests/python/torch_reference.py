"""Independent references for the hook-based features: per-sample gradients from a loop of
backward calls, and the explicit embedding a factorised feature list stands for."""
import numpy as np
import torch


def per_sample_gradients(model, x, a):
    """Row i: the gradient of 0.5 |model(x_i) - a_i|^2 over every parameter (zeros where a
    parameter does not take part, e.g. another task's copy)."""
    rows = []
    for i in range(len(x)):
        model.zero_grad()
        (0.5 * ((model(torch.as_tensor(x[i:i + 1])) - torch.as_tensor(a[i:i + 1])) ** 2).sum()).backward()
        rows.append(torch.cat([p.grad.flatten() if p.grad is not None else torch.zeros(p.numel(), dtype=p.dtype)
                               for p in model.parameters()]).numpy().copy())
    model.zero_grad()
    return np.stack(rows)


def explicit_from_factorised(features):
    """[delta (x) h, delta] per Linear (weight row-major, then bias), [delta o xhat, delta] per LayerNorm."""
    blocks = []
    for kind, h, d in features:
        if kind == "linear":
            blocks += [np.einsum("po,pi->poi", d, h).reshape(len(d), -1), d]
        else:
            blocks += [d * h, d]
    return np.hstack(blocks)
