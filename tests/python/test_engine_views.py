"""Arrays read where they lie (float32/float64 numpy, DLPack tensors) and the reusable amf.Engine.

float32 inputs are widened exactly inside the engine, so they give the float64 result of their
widened values bit for bit; CUDA tensors stay on the device for the CUDA backend (checked where a
device is present: tests/python/test_engine_views.py::test_cuda_tensors_*).
"""
import numpy as np
import pytest

import amf
from amf import _feature_criterion

torch = pytest.importorskip("torch")


def problem(seed=0, R=5, T=3, N=6, K=2):
    rng = np.random.default_rng(seed)
    n = R * T
    return dict(
        traj_offsets=np.arange(0, n + 1, T),
        candidate_logp=rng.normal(size=(N, n)) - 1.0,
        target_logp=rng.normal(size=(K, n)) - 1.0,
        own_logp=rng.normal(size=n) - 1.0,
        candidate_features=[("linear", rng.normal(size=(N * n, 4)), rng.normal(size=(N * n, 3))),
                            ("layernorm", rng.normal(size=(N * n, 3)), rng.normal(size=(N * n, 3)))],
        target_features=[("linear", rng.normal(size=(K * n, 4)), rng.normal(size=(K * n, 3))),
                         ("layernorm", rng.normal(size=(K * n, 3)), rng.normal(size=(K * n, 3)))],
    )


def mapped(p, f):
    out = dict(p)
    for key in ("candidate_logp", "target_logp", "own_logp"):
        out[key] = f(p[key])
    for key in ("candidate_features", "target_features"):
        out[key] = [(kind, f(a), f(b)) for kind, a, b in p[key]]
    return out


def select(p, **kw):
    return amf.feature_select_batch(**p, batch_size=3, backend="cpu", **kw)


def test_float32_arrays_give_their_widened_float64_result_exactly():
    p = problem()
    p32 = mapped(p, lambda a: a.astype(np.float32))
    widened = mapped(p32, lambda a: a.astype(np.float64))
    r32, rw, r64 = select(p32), select(widened), select(p)
    np.testing.assert_array_equal(r32["J"], rw["J"])
    np.testing.assert_array_equal(r32["batch"], rw["batch"])
    # Against the unrounded inputs: only their float32 rounding (6e-8 relative per value).
    assert np.max(np.abs(r32["J"] - r64["J"]) / np.abs(r64["J"])) < 1e-6
    np.testing.assert_array_equal(r32["batch"], r64["batch"])


def test_strided_and_other_dtype_arrays_are_converted_and_give_the_same_result():
    p = problem(1)
    wide = mapped(p, lambda a: np.repeat(a, 2, axis=-1))
    strided = mapped(wide, lambda a: a[..., ::2])  # unit-stride rows are gone: a compact copy is made
    assert not strided["candidate_logp"].flags.c_contiguous
    np.testing.assert_array_equal(select(strided)["J"], select(p)["J"])
    as_long_double = mapped(p, lambda a: a.astype(np.longdouble))
    np.testing.assert_allclose(select(as_long_double)["J"], select(p)["J"], rtol=1e-15)


def test_tensors_through_dlpack_are_read_in_place():
    # Straight to the compiled entry, so the tensors reach it through __dlpack__ (amf's Python
    # layer hands CPU tensors over as numpy views, also without a copy).
    p = problem(2)
    t = mapped(p, lambda a: torch.from_numpy(a).float())
    args = lambda q: (True, q["traj_offsets"], q["candidate_logp"], q["target_logp"], q["own_logp"],
                      np.full(2, 0.5), q["candidate_features"], q["target_features"])
    terms = lambda q, key: [(kind, a, b, 1) for kind, a, b in q[key]]
    settings = (1e-2, (-10.0, 10.0), 1e-6, 3, "cpu")
    from_tensors = _feature_criterion(*args(dict(t, candidate_features=terms(t, "candidate_features"),
                                                  target_features=terms(t, "target_features"))), *settings)
    n32 = mapped(p, lambda a: a.astype(np.float32))
    from_numpy = _feature_criterion(*args(dict(n32, candidate_features=terms(n32, "candidate_features"),
                                                target_features=terms(n32, "target_features"))), *settings)
    np.testing.assert_array_equal(from_tensors["J"], from_numpy["J"])
    # What DLPack cannot hand over as rows of float32/float64 is named.
    half = dict(t, candidate_logp=t["candidate_logp"].half(), candidate_features=terms(t, "candidate_features"),
                target_features=terms(t, "target_features"))
    with pytest.raises(amf.InvalidArgument, match="candidate_logp .* must hold float32 or float64"):
        _feature_criterion(*args(half), *settings)
    transposed = dict(half, candidate_logp=t["candidate_logp"].T.contiguous().T)
    with pytest.raises(amf.InvalidArgument, match="candidate_logp .*rows are not contiguous"):
        _feature_criterion(*args(transposed), *settings)


def test_an_engine_is_reused_and_gives_the_one_call_result():
    p = problem(3)
    engine = amf.Engine("cpu")
    assert engine.backend == "cpu"
    first, second = engine.feature_select_batch(**p, batch_size=3), engine.feature_select_batch(**p, batch_size=3)
    np.testing.assert_array_equal(first["J"], second["J"])
    np.testing.assert_array_equal(first["J"], select(p)["J"])
    with pytest.raises(TypeError, match="engine"):
        amf.feature_select_batch(**p, engine="cpu")
    with pytest.raises(TypeError, match="cuda_stream"):
        amf.Engine("cpu", cuda_stream="default")
    if amf.cuda_device_count() == 0:
        with pytest.raises(amf.Error, match="backend 'cuda' is not available"):
            amf.Engine("cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (the GPU check runs it)")
def test_cuda_tensors_give_the_host_result():
    p = problem(4)
    on_device = mapped(p, lambda a: torch.from_numpy(a).cuda())
    host = select(p)
    for backend in ("cpu", "cuda"):
        engine = amf.Engine(backend, cuda_stream=torch.cuda.current_stream())
        got = engine.feature_select_batch(**on_device, batch_size=3)
        np.testing.assert_allclose(got["J"], host["J"], rtol=1e-9)
        np.testing.assert_array_equal(got["batch"], host["batch"])


def test_features_of_a_cpu_model_are_host_arrays_even_when_asked_to_stay_on_the_device():
    model = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2)).double()
    x, a = torch.randn(7, 3, dtype=torch.float64), torch.randn(7, 2, dtype=torch.float64)
    default, kept = amf.loss_gradient_features(model, x, a), amf.loss_gradient_features(model, x, a, on_device=True)
    for d, k in zip(default, kept):
        assert d[0] == k[0]
        for u, v in zip(d[1:], k[1:]):
            assert isinstance(v, np.ndarray)
            np.testing.assert_array_equal(u, v)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (the GPU check runs it)")
def test_features_of_a_cuda_model_stay_on_its_device_and_select_as_on_the_host():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.Tanh(), torch.nn.Linear(16, 2)).cuda()
    x, a = torch.randn(40, 3, device="cuda"), torch.randn(40, 2, device="cuda")
    terms = amf.loss_gradient_features(model, x, a, on_device=True)
    assert all(t.is_cuda for term in terms for t in term[1:])
