"""Seeded random projections of loss gradients (amf.gradient_features), for layers too large to
keep exactly and for parameters that have no factorised form.

- Linear-like layers (Kronecker structure): the per-sample gradient G = sum_s delta_s [h_s, 1]^T
  is sketched as R_out G R_in^T with Gaussian R_out (k x dout) and R_in (k x (din + 1)), i.e.
  the outer-product factors are projected separately: R_in [h_s, 1] and R_out delta_s. A
  4096 x 4096 layer never forms its 16M-dimensional gradient; its sketch is k x k. Inner products
  are unbiased, with a relative error ~ sqrt(1/k_in + 1/k_out) (the Johnson-Lindenstrauss rate of
  each factor). A side no wider than k is kept exact.
- Any other parameter group: a CountSketch (a sparse Johnson-Lindenstrauss transform: every
  coordinate added with a random sign into one of k buckets) of its explicit per-sample gradient,
  relative error ~ 1/sqrt(k), applied chunk by chunk so that only a chunk of gradients exists.

Every random matrix is drawn from a generator seeded by (seed, the layer's name), so candidate and
target features computed in separate calls are projected alike.
"""
import math
import zlib

import torch

from ._gradient_layers import Explicit, Factor


def _generator(seed, name, salt, device):
    g = torch.Generator(device=device if device.type == "cuda" else "cpu")
    g.manual_seed((int(seed) * 1000003 + zlib.crc32(f"{name}/{salt}".encode())) % (1 << 63))
    return g


def _gaussian(rows, cols, seed, name, salt, like):
    """rows x cols with N(0, 1 / rows) entries: E[(R u) . (R v)] = u . v."""
    g = _generator(seed, name, salt, like.device)
    r = torch.randn(rows, cols, generator=g, dtype=torch.float64, device=g.device)
    return (r / math.sqrt(rows)).to(dtype=like.dtype, device=like.device)


def _project_inputs(f, k, seed):
    """R_in [h_s, 1] (P, S, k), or the inputs themselves (with the 1) when no wider than k."""
    like = f.signals
    width = (f.width if f.index is not None else f.inputs.shape[-1]) + (1 if f.bias else 0)
    if width <= k:
        h = f.dense_inputs()
        return torch.cat([h, torch.ones_like(h[..., :1])], dim=-1) if f.bias else h
    R = _gaussian(k, width, seed, f.name, "in", like)
    if f.index is not None:  # R_in times a one-hot vector: a column of R_in (0 for padding)
        cols = torch.cat([R[:, :f.width], torch.zeros_like(R[:, :1])], dim=1)
        return cols.t()[torch.where(f.index < 0, f.width, f.index)]
    out = f.inputs @ R[:, :f.inputs.shape[-1]].t()
    return out + R[:, -1] if f.bias else out


def project_factor(f, k, seed):
    """The Kronecker sketch of a Factor: a Factor without bias (the bias is folded into the
    projected inputs) on the projected widths, or, on token sequences where the k_out x k_in
    sketch is smaller than its factors, that sketch itself (Explicit)."""
    inputs = _project_inputs(f, k, seed)
    dout = f.signals.shape[-1]
    signals = f.signals if dout <= k else f.signals @ _gaussian(k, dout, seed, f.name, "out", f.signals).t()
    tokens, kin, kout = inputs.shape[1], inputs.shape[-1], signals.shape[-1]
    if tokens > 1 and kin * kout <= tokens * (kin + kout):
        return Explicit(f.name, torch.einsum("pso,psi->poi", signals, inputs).reshape(len(inputs), -1))
    return Factor(f.name, signals, False, inputs=inputs)


class CountSketch:
    """A seeded CountSketch of a D-dimensional group into k buckets (identity when D <= k)."""

    def __init__(self, dim, k, seed, name, device):
        self.dim, self.k = dim, k
        if dim > k:
            g = _generator(seed, name, "sketch", device)
            self.bucket = torch.randint(k, (dim,), generator=g, device=g.device).to(device)
            self.sign = (torch.randint(2, (dim,), generator=g, device=g.device) * 2 - 1).to(device)

    def __call__(self, rows):
        """rows (P, D) -> (P, k)."""
        if self.dim <= self.k:
            return rows
        out = torch.zeros(rows.shape[0], self.k, dtype=rows.dtype, device=rows.device)
        return out.index_add_(1, self.bucket, rows * self.sign.to(rows.dtype))
