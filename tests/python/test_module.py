"""The Python module: against an independent numpy reference, float32 input, the CLI, bad input."""
import csv
import json
import re
import subprocess
import sys

import numpy as np
import pytest

import amf
from conftest import circle, integrator_demos

KW = dict(state_lengthscale=0.5, task_lengthscale=0.5, signal_variance=0.1, noise_variance=0.0025)


def reference_criterion(pool, candidates, targets, probs, ls_s, ls_c, sf2, noise, clip):
    """AMF-GP criterion written the textbook way in numpy (float64, direct inverses, no pruning)."""
    S, A, off, C = pool["pool_states"], pool["pool_actions"], pool["traj_offsets"], pool["pool_tasks"]
    R = len(C)
    traj = np.repeat(np.arange(R), np.diff(off))
    XD = np.hstack([S, C[traj]])

    def k(P, Q):
        ds = ((P[:, None, :2] - Q[None, :, :2]) ** 2).sum(-1)
        dc = ((P[:, None, 2:] - Q[None, :, 2:]) ** 2).sum(-1)
        return sf2 * np.exp(-ds / (2 * ls_s**2) - dc / (2 * ls_c**2))

    def posterior_var(X, P):
        Kinv = np.linalg.inv(k(X, X) + noise * np.eye(len(X)))
        KPX = k(P, X)
        return sf2 - np.einsum("ij,jk,ik->i", KPX, Kinv, KPX)

    Kinv = np.linalg.inv(k(XD, XD) + noise * np.eye(len(XD)))
    alpha = Kinv @ A

    def loglik(P):
        mu = k(P, XD) @ alpha
        v = posterior_var(XD, P) + noise
        lp = -0.5 * (((A - mu) ** 2).sum(1) / v + A.shape[1] * np.log(2 * np.pi * v))
        return np.bincount(traj, weights=np.clip(lp, *clip), minlength=R)

    own = loglik(XD)

    def weights(c):
        l = loglik(np.hstack([S, np.tile(c, (len(S), 1))])) - own
        e = np.exp(l - l.max())
        return e / e.sum()

    relabel = lambda i, c: np.hstack([S[off[i]:off[i + 1]], np.tile(c, (off[i + 1] - off[i], 1))])
    Z, omega = [], []
    for kk, c in enumerate(targets):
        w = weights(c)
        for j in range(R):
            Z.append(relabel(j, c))
            omega += [probs[kk] * w[j] / (off[j + 1] - off[j])] * (off[j + 1] - off[j])
    Z, omega = np.vstack(Z), np.array(omega)
    J = []
    for c in candidates:
        w = weights(c)
        J.append(sum(w[i] * (omega * np.log(posterior_var(np.vstack([XD, relabel(i, c)]), Z))).sum() for i in range(R)))
    return np.array(J)


@pytest.fixture
def small():
    demos = integrator_demos([0.0, 0.6, 2.0], horizon=5)
    return amf.pool_from_demonstrations(demos), circle(7, 0.1), circle(4)


def test_criterion_matches_an_independent_numpy_reference(small):
    pool, cands, targs = small
    r = amf.criterion(**pool, candidates=cands, targets=targs, min_weight=0.0, **KW)
    ref = reference_criterion(pool, cands, targs, np.full(4, 0.25), 0.5, 0.5, 0.1, 0.0025, (-10, 10))
    np.testing.assert_allclose(r["J"], ref, rtol=1e-8)
    assert r["weights"].shape == (7, 3)
    np.testing.assert_allclose(r["weights"].sum(1), 1.0, rtol=1e-12)


def test_float32_inputs_are_computed_in_float64(small):
    pool, cands, targs = small
    pool32 = {k: (v.astype(np.float32) if v.dtype == np.float64 else v) for k, v in pool.items()}
    r32 = amf.criterion(**pool32, candidates=cands.astype(np.float32), targets=targs.astype(np.float32), **KW)
    pool64 = {k: (v.astype(np.float32).astype(np.float64) if v.dtype == np.float64 else v) for k, v in pool.items()}
    r64 = amf.criterion(**pool64, candidates=cands.astype(np.float32).astype(np.float64),
                        targets=targs.astype(np.float32).astype(np.float64), **KW)
    np.testing.assert_array_equal(r32["J"], r64["J"])
    # and close to the unrounded float64 problem
    r = amf.criterion(**pool, candidates=cands, targets=targs, **KW)
    np.testing.assert_allclose(r32["J"], r["J"], rtol=1e-4)


def test_non_contiguous_arrays_are_accepted(small):
    pool, cands, targs = small
    wide = np.repeat(cands, 2, axis=0)[::2]  # a strided view with the same values
    assert not wide.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(amf.criterion(**pool, candidates=wide, targets=targs, **KW)["J"],
                                  amf.criterion(**pool, candidates=cands, targets=targs, **KW)["J"])


def test_greedy_batch_and_its_files(small, tmp_path):
    pool, cands, targs = small
    r = amf.select_batch(**pool, candidates=cands, targets=targs, batch_size=3, out=tmp_path, **KW)
    assert len(set(r["batch"].tolist())) == 3
    assert r["batch"][0] == np.argmin(r["J"])
    sel = json.loads((tmp_path / "selection.json").read_text())
    assert [b["candidate"] for b in sel["batch"]] == r["batch"].tolist()


def test_module_equals_cli_on_the_same_files(tmp_path, amf_cli):
    demos = integrator_demos([0.0, 0.4, 0.9, 1.5], horizon=6)
    amf.save_demonstrations(str(tmp_path / "demos.h5"), demos)
    cands, targs = circle(16, 0.05), circle(12)
    np.savetxt(tmp_path / "cands.csv", cands, delimiter=",", header="gx,gy", comments="")
    np.savetxt(tmp_path / "targs.csv", np.c_[targs, np.arange(1, 13)], delimiter=",", header="gx,gy,weight",
               comments="")
    subprocess.run([amf_cli, "select", "--demos", str(tmp_path / "demos.h5"), "--candidates",
                    str(tmp_path / "cands.csv"), "--targets", str(tmp_path / "targs.csv"), "--batch-size", "3",
                    "--state-lengthscale", "0.5", "--task-lengthscale", "0.5", "--signal-variance", "0.1",
                    "--noise-variance", "0.0025", "--out", str(tmp_path / "cli")], check=True)
    loaded = amf.pool_from_demonstrations(amf.load_demonstrations(str(tmp_path / "demos.h5")))
    probs = np.arange(1, 13) / np.arange(1, 13).sum()
    r = amf.select_batch(**loaded, candidates=np.loadtxt(tmp_path / "cands.csv", delimiter=",", skiprows=1),
                         targets=targs, target_probs=probs, batch_size=3, **KW)
    sel = json.loads((tmp_path / "cli" / "selection.json").read_text())
    assert [b["candidate"] for b in sel["batch"]] == r["batch"].tolist()
    np.testing.assert_allclose([b["J"] for b in sel["batch"]], r["batch_J"], rtol=1e-12)
    with open(tmp_path / "cli" / "scores.csv") as f:
        rows = list(csv.DictReader(f))
    np.testing.assert_allclose([float(x["J"]) for x in rows], r["J"], rtol=1e-12)
    np.testing.assert_allclose([float(x["info_gain"]) for x in rows], r["info_gain"], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("change, field", [
    (lambda a: a.update(noise_variance=-1.0), "noise_variance"),
    (lambda a: a.update(state_lengthscale=0.0), "state_lengthscale"),
    (lambda a: a.update(candidates=np.zeros((0, 2))), "candidate set is empty"),
    (lambda a: a.update(targets=np.zeros((0, 2)), target_probs=np.zeros(0)), "target set is empty"),
    (lambda a: a.update(candidates=np.full((3, 2), np.nan)), "candidates[0][0]"),
    (lambda a: a.update(pool_actions=a["pool_actions"][:-1]), "pool_actions has shape"),
    (lambda a: a.update(pool_states=a["pool_states"][:, 0]), "pool_states must be a 2-D array"),
    (lambda a: a.update(traj_offsets=np.array([0, 5, 5, 15])), "trajectory 1 has 0 steps"),
    (lambda a: a.update(target_probs=np.array([0.5, 0.6, 0.0, 0.0])), "target_probs sum"),
])
def test_bad_input_raises_value_error_naming_the_field(small, change, field):
    pool, cands, targs = small
    args = dict(pool, candidates=cands, targets=targs, target_probs=np.full(4, 0.25), **KW)
    change(args)
    with pytest.raises(ValueError, match=re.escape(field)):
        amf.criterion(**args)


OOM_SCRIPT = """
import resource, sys
import numpy as np
import amf
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))  # 3 GiB of address space
n = 32000  # one trajectory per step: the pool's 32000 x 32000 Gram is 7812 MiB
rng = np.random.default_rng(0)
try:
    amf.select_batch(rng.standard_normal((n, 2)), rng.standard_normal((n, 2)), np.arange(n + 1),
                     rng.standard_normal((n, 2)), rng.standard_normal((4, 2)), rng.standard_normal((2, 2)),
                     backend="cpu")
except MemoryError as e:
    print("MemoryError:", e)
"""


def test_a_pool_too_large_for_memory_says_how_large(tmp_path):
    # issue #15, item 8: this once ended in "MemoryError: std::bad_alloc" with no size.
    script = tmp_path / "oom.py"
    script.write_text(OOM_SCRIPT)
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert "MemoryError:" in r.stdout and "32000 x 32000 Gram alone takes 7812 MiB" in r.stdout, r.stdout + r.stderr
