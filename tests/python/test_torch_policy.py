"""PyTorch users: the hook-based factorised features of an nn.Module against per-sample gradients
from a loop of backward calls (float64, 1e-10), torch tensors accepted zero-copy, and the
policy-level selection against the explicit per-sample-gradient embedding (1e-9)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
import amf  # noqa: E402
from torch_reference import explicit_from_factorised, per_sample_gradients  # noqa: E402
from integrator_pool import integrator_pool  # noqa: E402


def policy(din=5, dout=2, width=16, seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(din, width), torch.nn.LayerNorm(width), torch.nn.ReLU(),
                               torch.nn.Linear(width, width), torch.nn.Tanh(), torch.nn.Linear(width, dout)).double()


def test_factorised_features_equal_per_sample_gradients():
    model = policy()
    rng = np.random.default_rng(1)
    x, a = rng.normal(size=(9, 5)), rng.normal(size=(9, 2))
    features = amf.loss_gradient_features(model, x, a)
    assert [k for k, _, _ in features] == ["linear", "layernorm", "linear", "linear"]
    assert all(p.grad is None for p in model.parameters())  # the user's .grad is untouched
    np.testing.assert_allclose(explicit_from_factorised(features), per_sample_gradients(model, x, a),
                               rtol=1e-10, atol=1e-12)


def test_wrong_action_shapes_are_named():
    with pytest.raises(ValueError, match="shape"):
        amf.loss_gradient_features(policy(), np.zeros((3, 5)), np.zeros((3, 3)))


def test_policy_selection_equals_the_explicit_gradient_embedding_and_takes_tensors():
    model = policy(din=4, dout=2, width=8, seed=3)
    pool = integrator_pool((0.3, 1.2, 2.0))
    angles = np.linspace(0, 2 * np.pi, 7, endpoint=False)
    tasks = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    kw = dict(sigma_pi=0.5, batch_size=2, noise_variance=0.5, backend="cpu")
    got = amf.select_batch_for_policy(model, pool, tasks, tasks, **kw)
    # Tensors in place of arrays: the same result.
    as_tensors = {k: torch.as_tensor(v) for k, v in pool.items()}
    t = amf.select_batch_for_policy(model, as_tensors, torch.as_tensor(tasks), torch.as_tensor(tasks), **kw)
    assert list(t["batch"]) == list(got["batch"])
    np.testing.assert_array_equal(t["J"], got["J"])
    # The same problem with explicit per-sample gradients as embeddings.
    S, A, off = pool["pool_states"], pool["pool_actions"], pool["traj_offsets"]
    n = len(S)
    x = np.vstack([np.hstack([S, np.repeat(c[None], n, 0)]) for c in tasks])
    a = np.tile(A, (len(tasks), 1))
    emb = per_sample_gradients(model, x, a)
    with torch.no_grad():
        f = model(torch.as_tensor(x)).numpy()
    logp = (-0.5 * ((f - a) ** 2).sum(1) / 0.25 - np.log(2 * np.pi * 0.25)).reshape(len(tasks), n)
    own_x = np.hstack([S, np.repeat(pool["pool_tasks"], np.diff(off), axis=0)])
    with torch.no_grad():
        fo = model(torch.as_tensor(own_x)).numpy()
    own = -0.5 * ((fo - A) ** 2).sum(1) / 0.25 - np.log(2 * np.pi * 0.25)
    ref = amf.feature_select_batch(off, logp, logp, own, emb, emb, batch_size=2, noise_variance=0.5,
                                   clip=(-50.0, 50.0), backend="cpu")
    np.testing.assert_allclose(got["J"], ref["J"], rtol=1e-9)
    assert list(got["batch"]) == list(ref["batch"])
    # The head's gradient alone (parameters="head"), and the label-free last-layer embedding: the
    # head's input and a 1 for its bias (k = h . h' + 1, as the C++ "last-layer").
    head = amf.feature_select_batch(off, logp, logp, own, emb[:, -18:], emb[:, -18:], batch_size=2, noise_variance=0.5,
                                    clip=(-50.0, 50.0), backend="cpu")
    np.testing.assert_allclose(amf.select_batch_for_policy(model, pool, tasks, tasks, parameters="head",
                                                           **kw)["J"], head["J"], rtol=1e-9)
    with torch.no_grad():
        h = torch.tanh(model[3](torch.relu(model[1](model[0](torch.as_tensor(x)))))).numpy()
    last_layer = np.hstack([h, np.ones((len(h), 1))])
    ablation = amf.feature_select_batch(off, logp, logp, own, last_layer, last_layer, batch_size=2,
                                        noise_variance=0.5, clip=(-50.0, 50.0), backend="cpu")
    np.testing.assert_allclose(amf.select_batch_for_policy(model, pool, tasks, tasks, embedding="last-layer",
                                                           **kw)["J"], ablation["J"], rtol=1e-9)
    with pytest.raises(ValueError, match="embedding"):
        amf.select_batch_for_policy(model, pool, tasks, tasks, embedding="penultimate", **kw)


def test_cuda_tensors_are_refused_with_the_fix():
    class FakeCuda:
        device = type("D", (), {"type": "cuda"})()

        def __dlpack__(self):
            raise AssertionError("not reached")

    with pytest.raises(ValueError, match=r"candidates.cpu\(\)"):
        amf.as_numpy(FakeCuda(), "candidates")
