"""Loose Python types (issue #15, item 5): every public function names a bad argument and what it
must be ("<function>: <argument> must be ..., got ...") instead of converting it silently, or
failing with pybind's whole signature, a KeyError or an unpack error."""
import re

import numpy as np
import pytest

import amf
from conftest import circle, integrator_demos

try:
    import torch
except ImportError:  # the numpy-only checks still run
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="needs torch")


@pytest.fixture
def gp():
    """criterion()/select_batch() arguments of a small AMF-GP problem."""
    pool = amf.pool_from_demonstrations(integrator_demos([0.0, 0.6, 2.0], horizon=5))
    return dict(pool, candidates=circle(7, 0.1), targets=circle(4), signal_variance=0.1, noise_variance=0.0025)


@pytest.fixture
def nn():
    """feature_select_batch() arguments of a small AMF-NN problem (4 trajectories of 3 steps)."""
    rng = np.random.default_rng(0)
    n = 12
    return dict(traj_offsets=np.arange(0, n + 1, 3), candidate_logp=rng.standard_normal((5, n)),
                target_logp=rng.standard_normal((3, n)), own_logp=rng.standard_normal(n),
                candidate_features=rng.standard_normal((5 * n, 4)), target_features=rng.standard_normal((3 * n, 4)))


def refused(error, *fragments):
    """pytest.raises for error whose message holds every fragment (not pybind's signature dump)."""
    return pytest.raises(error, match="".join(f"(?=[\\s\\S]*{re.escape(f)})" for f in fragments))


def test_complex_numpy_array_is_refused_not_cast(gp):
    # It was cast with a ComplexWarning, the imaginary part dropped.
    with refused(TypeError, "select_batch: candidates must be", "complex128"):
        amf.select_batch(**dict(gp, candidates=gp["candidates"] + 1j))


@needs_torch
def test_complex_torch_tensor_is_refused_not_cast(gp):
    with refused(TypeError, "criterion: targets must be", "complex128"):
        amf.criterion(**dict(gp, targets=torch.tensor(gp["targets"] + 0.5j)))


@pytest.mark.parametrize("batch_size", [2.9, True, "2"])
def test_batch_size_must_be_a_real_int(gp, batch_size):
    # 2.9, True and "2" became 2, 1 and 2.
    with refused(TypeError, "select_batch: batch_size must be an integer in [1, 2147483647], got " + repr(batch_size)):
        amf.select_batch(**gp, batch_size=batch_size)


def test_batch_size_beyond_the_engines_int_is_named(gp):
    # It was pybind's TypeError with the full _criterion signature.
    with refused(ValueError, "select_batch: batch_size must be in [1, 2147483647], got 2147483648"):
        amf.select_batch(**gp, batch_size=2**31)


def test_clip_with_an_extra_value_is_refused(gp):
    with refused(ValueError, "select_batch: clip must be a (lo, hi) pair", "got length 3"):
        amf.select_batch(**gp, clip=(-10, 10, 99))


def test_clip_none_is_named(gp):
    # It was "'NoneType' object is not subscriptable".
    with refused(TypeError, "criterion: clip must be a (lo, hi) pair", "got None"):
        amf.criterion(**gp, clip=None)


def test_fractional_traj_offsets_are_refused_not_truncated(gp):
    offsets = gp["traj_offsets"].astype(float)
    offsets[1] += 0.5
    with refused(ValueError, "criterion: traj_offsets must be whole numbers", "got 5.5 at [1]"):
        amf.criterion(**dict(gp, traj_offsets=offsets))


def test_object_array_is_refused(gp):
    # An object array of floats was converted element by element.
    with refused(TypeError, "select_batch: pool_tasks must be an array of real numbers", "dtype object"):
        amf.select_batch(**dict(gp, pool_tasks=gp["pool_tasks"].astype(object)))


def test_ragged_list_is_named(gp):
    # It was pybind's TypeError with the full _criterion signature.
    with refused(ValueError, "select_batch: candidates must be a rectangular array"):
        amf.select_batch(**dict(gp, candidates=[[1.0, 0.0], [1.0]]))


def test_string_array_is_refused(gp):
    with refused(TypeError, "criterion: candidates must be an array of real numbers", "dtype <U"):
        amf.criterion(**dict(gp, candidates=gp["candidates"].astype(str)))


@needs_torch
def test_bfloat16_tensors_are_computed_in_float64(gp):
    # DLPack cannot carry bfloat16: it was "RuntimeError: Unsupported dtype in DLTensor."
    cands = torch.tensor(gp["candidates"], dtype=torch.bfloat16)
    got = amf.criterion(**dict(gp, candidates=cands))
    want = amf.criterion(**dict(gp, candidates=cands.double().numpy()))
    np.testing.assert_array_equal(got["J"], want["J"])


def test_demonstration_without_actions_is_named():
    # It was KeyError: 'actions'.
    demos = integrator_demos([0.0, 1.0])
    del demos[1]["actions"]
    with refused(ValueError, "pool_from_demonstrations: demos[1] must be a dict with", "got one without 'actions'"):
        amf.pool_from_demonstrations(demos)


def test_save_demonstrations_refuses_a_non_dict_by_index(tmp_path):
    # It was TypeError: 'int' object is not iterable.
    with refused(TypeError, "save_demonstrations: demos[0] must be a dict", "got 5"):
        amf.save_demonstrations(str(tmp_path / "d.h5"), [5])


def test_factorised_layer_with_two_elements_is_named(nn):
    # It was "ValueError: not enough values to unpack (expected 3, got 2)".
    layer = ("linear", np.zeros((60, 2)), np.zeros((60, 2)))
    with refused(ValueError, "feature_select_batch: candidate_features[1] must be a (kind, inputs, signals) triple",
                 "got length 2"):
        amf.feature_select_batch(**dict(nn, candidate_features=[layer, layer[:2]]))


# Beyond the reproductions of the issue: the other checks, each once.

def test_save_demonstrations_refuses_nan_before_writing(tmp_path):
    # The file was written, and load_demonstrations refused it.
    demos = integrator_demos([0.0, 1.0])
    demos[1]["states"][2, 1] = np.inf
    path = tmp_path / "d.h5"
    with refused(ValueError, "save_demonstrations: demos[1]['states'] must be finite, got inf at [2, 1]"):
        amf.save_demonstrations(str(path), demos)
    assert not path.exists()


def test_save_demonstrations_names_a_missing_key(tmp_path):
    demos = integrator_demos([0.0])
    del demos[0]["task"]
    with refused(ValueError, "save_demonstrations: demos[0] must be a dict with", "got one without 'task'"):
        amf.save_demonstrations(str(tmp_path / "d.h5"), demos)


def test_unknown_layer_kind_names_the_element(nn):
    layer = ("linear", np.zeros((60, 2)), np.zeros((60, 2)))
    with refused(ValueError, "candidate_features[1][0] must be 'linear' or 'linear-no-bias' or 'layernorm' or 'explicit', got layer kind 'conv'"):
        amf.feature_select_batch(**dict(nn, candidate_features=[layer, ("conv",) + layer[1:]]))


@pytest.mark.parametrize("change, error, fragment", [
    (dict(noise_variance="0.01"), TypeError, "noise_variance must be a finite number > 0, got '0.01'"),
    (dict(noise_variance=float("nan")), ValueError, "noise_variance must be a finite number > 0, got nan"),
    (dict(min_weight=True), TypeError, "min_weight must be a finite number, got True"),
    (dict(clip=(10, -10)), ValueError, "clip must be a (lo, hi) pair of finite numbers with lo < hi, got (10.0, -1"),
    (dict(clip=(-np.inf, 10)), ValueError, "clip[0] must be a finite number, got -inf"),
    (dict(backend=5), TypeError, "backend must be a string, got 5"),
    (dict(out=5), TypeError, "out must be None or a path"),
    (dict(distributed="no"), TypeError, "distributed must be True or False, got 'no'"),
    (dict(session_cache_bytes=1.5), TypeError, "session_cache_bytes must be None or an integer >= 0"),
    (dict(traj_offsets=np.array([True, False])), TypeError, "traj_offsets must be an integer array, got dtype bool"),
], ids=["noise_variance-str", "noise_variance-nan", "min_weight-bool", "clip-reversed", "clip-inf", "backend-int",
        "out-int", "distributed-str", "session_cache_bytes-float", "traj_offsets-bool"])
def test_select_batch_names_each_argument(gp, change, error, fragment, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # out=5 was a directory "5" here
    with refused(error, "select_batch: " + fragment):
        amf.select_batch(**dict(gp, **change))


def test_kept_candidate_pairs_checks_clip_and_offsets(nn):
    args = (nn["traj_offsets"], nn["candidate_logp"], nn["own_logp"])
    with refused(TypeError, "kept_candidate_pairs: clip must be a (lo, hi) pair", "got None"):
        amf.kept_candidate_pairs(*args, clip=None)
    with refused(ValueError, "kept_candidate_pairs: traj_offsets must be whole numbers", "got 2.5 at [1]"):
        amf.kept_candidate_pairs(np.array([0, 2.5, 12]), *args[1:])


def test_feature_select_batch_checks_its_scalars_and_rows(nn):
    with refused(TypeError, "feature_select_batch: batch_size must be an integer", "got 2.9"):
        amf.feature_select_batch(**nn, batch_size=2.9)
    with refused(TypeError, "feature_select_batch: gram_precision must be a string"):
        amf.feature_select_batch(**nn, gram_precision=32)
    with refused(ValueError, "feature_select_batch: candidate_feature_rows must be whole numbers", "got 0.5 at [0]"):
        amf.feature_select_batch(**nn, candidate_feature_rows=np.full(60, 0.5))


def test_load_demonstrations_and_run_study_name_their_arguments(tmp_path):
    with refused(TypeError, "load_demonstrations: path must be a path (str or os.PathLike), got 5"):
        amf.load_demonstrations(5)
    with refused(TypeError, "load_demonstrations: obs_keys must be a list of strings, got 'state'"):
        amf.load_demonstrations(str(tmp_path / "d.h5"), obs_keys="state")
    with refused(TypeError, "run_study: config must be a path"):
        amf.run_study(None)


def test_pool_from_demonstrations_names_mismatched_and_empty_input():
    demos = integrator_demos([0.0, 1.0])
    demos[1]["task"] = np.zeros(3)
    with refused(ValueError, "pool_from_demonstrations: demos[1]['task'] must be 2 wide like demos[0]['task']"):
        amf.pool_from_demonstrations(demos)
    with refused(ValueError, "pool_from_demonstrations: demos must be a non-empty list", "got an empty list"):
        amf.pool_from_demonstrations([])
    with refused(TypeError, "pool_from_demonstrations: demos must be a non-empty list", "got a value of type dict"):
        amf.pool_from_demonstrations(integrator_demos([0.0])[0])


def policy_problem():
    torch.manual_seed(0)
    policy = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2)).double()
    return policy, amf.pool_from_demonstrations(integrator_demos([0.0, 1.0, 2.0], horizon=4))


@needs_torch
def test_select_batch_for_policy_names_its_arguments():
    policy, pool = policy_problem()
    cands, targs = circle(5), circle(3)
    fn = "select_batch_for_policy: "
    with refused(ValueError, fn + "pool must be a dict with", "got one without 'traj_offsets'"):
        amf.select_batch_for_policy(policy, {k: v for k, v in pool.items() if k != "traj_offsets"}, cands, targs)
    with refused(TypeError, fn + "sigma_pi must be a finite number > 0, got True"):
        amf.select_batch_for_policy(policy, pool, cands, targs, sigma_pi=True)
    with refused(ValueError, fn + "clip must be a (lo, hi) pair", "got length 3"):
        amf.select_batch_for_policy(policy, pool, cands, targs, clip=(-50, 50, 0))
    with refused(ValueError, fn + "candidates must be (rows, 2) tasks", "got shape (5, 3)"):
        amf.select_batch_for_policy(policy, pool, np.zeros((5, 3)), targs)
    with refused(ValueError, fn + "pool['traj_offsets'] must be increasing from 0 to the 12 pool steps"):
        amf.select_batch_for_policy(policy, dict(pool, traj_offsets=np.array([0, 4, 4, 12])), cands, targs)
    with refused(TypeError, fn + "policy must be a torch.nn.Module"):
        amf.select_batch_for_policy(lambda x: x, pool, cands, targs)


@needs_torch
def test_loss_gradient_features_refuses_complex_inputs():
    policy, _ = policy_problem()
    with refused(TypeError, "loss_gradient_features: inputs must be an array of real numbers", "complex"):
        amf.loss_gradient_features(policy, np.zeros((3, 4), dtype=complex), np.zeros((3, 2)))


@needs_torch
def test_valid_loose_forms_still_work(gp, tmp_path):
    # numpy integers, 0-d tensors, clip as a list or array, whole-number float offsets, float16
    # arrays and a pathlib out are taken as before.
    base = amf.select_batch(**gp, batch_size=2)
    loose = dict(gp, traj_offsets=gp["traj_offsets"].astype(float),
                 noise_variance=torch.tensor(0.0025, dtype=torch.float64))
    same = amf.select_batch(**loose, batch_size=np.int32(2), clip=np.array([-10.0, 10.0]), out=tmp_path)
    np.testing.assert_array_equal(same["batch"], base["batch"])
    assert (tmp_path / "selection.json").exists()
    half = amf.criterion(**dict(gp, candidates=gp["candidates"].astype(np.float16)), clip=[-10, 10])
    np.testing.assert_array_equal(half["J"], amf.criterion(**dict(
        gp, candidates=gp["candidates"].astype(np.float16).astype(float)))["J"])


def test_demonstration_files_may_be_pathlib_paths(tmp_path):
    # as select_batch's out could already be
    amf.save_demonstrations(tmp_path / "d.h5", integrator_demos([0.0]))
    assert len(amf.load_demonstrations(tmp_path / "d.h5", obs_keys=["state"])) == 1
