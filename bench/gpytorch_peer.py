"""The GPyTorch peer of AMF-GP's posterior variances, run by the GPU check (tools/gpu_check.sh).

    python3 bench/gpytorch_peer.py DIR [--timed-pairs 16] [--device cuda|cpu]

DIR holds what gpu_bench exported (bench/gp_peer_export.hpp): the conditioning set D (the pool,
each step with its own task), the target-occupancy points Z with weights omega, and for a few
candidates c every kept pair (c, i) with its relabelled points X_i(c) and importance weight w_i(c).
For each candidate it computes

    J(c) = sum_i w_i(c) sum_z omega_z log v(z | D + X_i(c))

three ways: the engine's value (from the export), GPyTorch (an ExactGP with amf's kernel and noise
fixed, conditioned on D, then get_fantasy_model(X_i(c)) and the latent predictive variance at Z:
what a GPyTorch user would write), and a float64 textbook (one Cholesky of the joint Gram,
torch.linalg on the CPU). It times GPyTorch per pair on the device and extrapolates to the
engine's pair count, for the ratio against the engine's timed run. Prints a markdown table.
GPyTorch runs with exact Cholesky solves (max_cholesky_size raised, fast_pred_var off), in float64.
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch


def load(dir_, name, cols):
    path = os.path.join(dir_, name)
    a = np.fromfile(path, dtype=np.float64)
    if a.size % cols:
        raise SystemExit(f"{path}: {a.size} doubles do not make rows of {cols}: the files do not match meta.json")
    return torch.from_numpy(a.reshape(-1, cols))


def rbf(a, b, meta):
    ds = meta["state_dim"]
    s = torch.cdist(a[:, :ds], b[:, :ds]) ** 2
    c = torch.cdist(a[:, ds:], b[:, ds:]) ** 2
    return meta["signal_variance"] * torch.exp(-0.5 * s / meta["state_lengthscale"] ** 2
                                               - 0.5 * c / meta["task_lengthscale"] ** 2)


def textbook_pair_J(D, Xq, Z, omega, meta, floor):
    """sum_z omega_z log v(z | D + Xq), one Cholesky of the joint Gram (float64, CPU)."""
    P = torch.cat([D, Xq])
    K = rbf(P, P, meta) + meta["noise_variance"] * torch.eye(P.shape[0], dtype=torch.float64)
    L = torch.linalg.cholesky(K)
    V = torch.linalg.solve_triangular(L, rbf(P, Z, meta), upper=False)
    v = meta["signal_variance"] - (V * V).sum(0)
    return float((omega * torch.log(torch.clamp(v, min=floor))).sum())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--timed-pairs", type=int, default=16)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()
    import gpytorch

    with open(os.path.join(args.dir, "meta.json")) as f:
        meta = json.load(f)
    dx = meta["state_dim"] + meta["task_dim"]
    D, Z = load(args.dir, "pool_X.bin", dx), load(args.dir, "Z.bin", dx)
    omega = torch.from_numpy(np.fromfile(os.path.join(args.dir, "omega.bin"), dtype=np.float64))
    pair_X = load(args.dir, "pair_X.bin", dx)
    if D.shape[0] != meta["n"] or Z.shape[0] != meta["M"] or omega.shape[0] != meta["M"]:
        raise SystemExit(f"{args.dir}: the .bin sizes do not match meta.json (n {meta['n']}, M {meta['M']})")
    if pair_X.shape[0] != sum(p["steps"] for c in meta["candidates"] for p in c["pairs"]):
        raise SystemExit(f"{args.dir}/pair_X.bin: {pair_X.shape[0]} rows do not match meta.json's pairs")
    floor = meta["signal_variance"] * 1e-12 + 1e-300  # tile::variance_floor
    dev = torch.device(args.device)

    class ExactGP(gpytorch.models.ExactGP):
        def __init__(self, x, y, likelihood):
            super().__init__(x, y, likelihood)
            self.mean = gpytorch.means.ZeroMean()
            base = gpytorch.kernels.RBFKernel(ard_num_dims=dx)
            base.lengthscale = torch.tensor([[meta["state_lengthscale"]] * meta["state_dim"]
                                             + [meta["task_lengthscale"]] * meta["task_dim"]])
            self.covar = gpytorch.kernels.ScaleKernel(base)
            self.covar.outputscale = meta["signal_variance"]

        def forward(self, x):
            return gpytorch.distributions.MultivariateNormal(self.mean(x), self.covar(x))

    likelihood = gpytorch.likelihoods.GaussianLikelihood()
    likelihood.noise = meta["noise_variance"]
    model = ExactGP(D.to(dev), torch.zeros(D.shape[0], dtype=torch.float64, device=dev), likelihood)
    model = model.double().to(dev)
    likelihood = likelihood.double().to(dev)
    model.eval()
    likelihood.eval()
    Zd, omega_d = Z.to(dev), omega.to(dev)

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize()

    # Exact Cholesky solves (no CG, no LOVE); linear_operator adds jitter only when a factor fails.
    exact = [gpytorch.settings.max_cholesky_size(10 ** 8), gpytorch.settings.fast_pred_var(False)]
    for s in exact:
        s.__enter__()
    with torch.no_grad():
        model(Zd)  # caches the prediction strategy on D, as fantasy models require

        def gpytorch_pair_J(Xq):
            fantasy = model.get_fantasy_model(Xq.to(dev), torch.zeros(Xq.shape[0], dtype=torch.float64, device=dev))
            v = fantasy(Zd).variance
            return float((omega_d * torch.log(torch.clamp(v, min=floor))).sum())

        rows, row0, all_pairs = [], 0, []
        for cand in meta["candidates"]:
            J_gp = J_ref = 0.0
            for pr in cand["pairs"]:
                Xq = pair_X[row0:row0 + pr["steps"]]
                row0 += pr["steps"]
                all_pairs.append(Xq)
                J_gp += pr["weight"] * gpytorch_pair_J(Xq)
                J_ref += pr["weight"] * textbook_pair_J(D, Xq, Z, omega, meta, floor)
            rows.append((cand["index"], len(cand["pairs"]), cand["J_engine"], J_gp, J_ref))

        timed = [all_pairs[k % len(all_pairs)] for k in range(args.timed_pairs)]
        gpytorch_pair_J(timed[0])  # warm-up
        sync()
        t0 = time.perf_counter()
        for Xq in timed:
            gpytorch_pair_J(Xq)
        sync()
        per_pair = (time.perf_counter() - t0) / len(timed)

    print(f"## GPyTorch {gpytorch.__version__} peer (torch {torch.__version__}, {dev}), float64, exact solves\n")
    print(f"Conditioning set n = {meta['n']}, targets M = {meta['M']}, candidates checked: {len(rows)}.\n")
    print("| candidate | kept pairs | J engine | J GPyTorch | J textbook (float64) | rel diff engine | rel diff GPyTorch |")
    print("|---|---|---|---|---|---|---|")
    worst_e = worst_g = 0.0
    for c, k, je, jg, jr in rows:
        de, dg = abs(je - jr) / abs(jr), abs(jg - jr) / abs(jr)
        worst_e, worst_g = max(worst_e, de), max(worst_g, dg)
        print(f"| {c} | {k} | {je:.12g} | {jg:.12g} | {jr:.12g} | {de:.2e} | {dg:.2e} |")
    total = per_pair * meta["engine_pairs"]
    print(f"\nGPyTorch: {per_pair * 1e3:.3f} ms per pair ({args.timed_pairs} timed), so about {total:.4g} s for the "
          f"{meta['engine_pairs']} kept pairs of the workload; {meta['engine']}: {meta['engine_seconds']:.4g} s for "
          f"all of them (whole criterion: weights, occupancy, pairs): **{total / meta['engine_seconds']:.1f}x**.")
    print(f"\nmax rel diff vs the textbook: engine {worst_e:.2e}, GPyTorch {worst_g:.2e}")
    if not (math.isfinite(worst_e) and worst_e < 1e-8):
        raise SystemExit("the engine's J disagrees with the float64 textbook beyond 1e-8")


if __name__ == "__main__":
    main()
