"""amf.feature_select_batch: explicit and factorised features agree, and match numpy from scratch."""
import numpy as np
import pytest

import amf


def problem(seed=0, R=4, T=3, N=5, K=3):
    rng = np.random.default_rng(seed)
    n = R * T
    return dict(traj_offsets=np.arange(0, n + 1, T), candidate_logp=3 * rng.standard_normal((N, n)),
                target_logp=3 * rng.standard_normal((K, n)), own_logp=3 * rng.standard_normal(n),
                target_probs=np.array([0.5, 0.3, 0.2])), rng


def reference_J(args, cand_emb, targ_emb, noise, clip):
    off, R = args["traj_offsets"], len(args["traj_offsets"]) - 1
    n = off[-1]

    def weights(logp):
        l = np.stack([np.clip(logp[:, off[i]:off[i + 1]], *clip).sum(1) -
                      np.clip(args["own_logp"][off[i]:off[i + 1]], *clip).sum() for i in range(R)], 1)
        e = np.exp(l - l.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)

    Wc, Wt = weights(args["candidate_logp"]), weights(args["target_logp"])
    J = np.zeros(len(Wc))
    for c in range(len(Wc)):
        for i in range(R):
            X = cand_emb[c * n + off[i]:c * n + off[i + 1]]
            A = np.linalg.inv(X @ X.T + noise * np.eye(len(X)))
            for k in range(len(Wt)):
                for j in range(R):
                    Z = targ_emb[k * n + off[j]:k * n + off[j + 1]]
                    v = (Z * Z).sum(1) - np.einsum("zx,xy,zy->z", Z @ X.T, A, Z @ X.T)
                    J[c] += Wc[c, i] * args["target_probs"][k] * Wt[k, j] / (off[j + 1] - off[j]) * np.log(v).sum()
    return J


def test_explicit_embeddings_match_numpy_from_scratch():
    args, rng = problem()
    n = args["traj_offsets"][-1]
    cand, targ = rng.standard_normal((5 * n, 6)), rng.standard_normal((3 * n, 6))
    r = amf.feature_select_batch(**args, candidate_features=cand, target_features=targ, noise_variance=0.3,
                                 clip=(-4, 4), min_weight=0.0)
    np.testing.assert_allclose(r["J"], reference_J(args, cand, targ, 0.3, (-4, 4)), rtol=1e-9)
    assert r["batch"][0] == np.argmin(r["J"])


def factorised_layers(rng, points):
    """A Linear (3 inputs, 2 outputs) and a LayerNorm (2) in the factorised form, random."""
    return [("linear", rng.standard_normal((points, 3)), rng.standard_normal((points, 2))),
            ("layernorm", rng.standard_normal((points, 2)), rng.standard_normal((points, 2)))]


def test_factorised_form_equals_explicit_outer_products():
    args, rng = problem(1)
    n = args["traj_offsets"][-1]
    layers_c, layers_t = factorised_layers(rng, 5 * n), factorised_layers(rng, 3 * n)

    def explicit(layers):
        (_, h, d), (_, x, g) = layers
        weight = np.einsum("po,pi->poi", d, np.hstack([h, np.ones((len(h), 1))])).reshape(len(h), -1)
        return np.hstack([weight, g * x, g])

    a = amf.feature_select_batch(**args, candidate_features=layers_c, target_features=layers_t, batch_size=2)
    b = amf.feature_select_batch(**args, candidate_features=explicit(layers_c), target_features=explicit(layers_t),
                                 batch_size=2)
    np.testing.assert_allclose(a["J"], b["J"], rtol=1e-10)
    np.testing.assert_array_equal(a["batch"], b["batch"])


def test_token_sequences_no_bias_layers_and_explicit_parts_equal_their_explicit_gradients():
    # A Linear layer on (points, tokens, width) sequences, one without bias, and two explicit
    # parts (joined side by side): the same scores and batch as the per-sample gradients they
    # stand for (sum over tokens of delta (x) [h, 1]), through the engine's token-pair kernel.
    args, rng = problem(4)
    n = args["traj_offsets"][-1]

    def terms(points):
        return [("linear", 0.5 * rng.standard_normal((points, 3, 2)), 0.5 * rng.standard_normal((points, 3, 2))),
                ("explicit", rng.standard_normal((points, 2))),
                ("linear-no-bias", rng.standard_normal((points, 3)), rng.standard_normal((points, 2))),
                ("explicit", rng.standard_normal((points, 1)))]

    def explicit(t):
        (_, h, d), (_, e1), (_, h2, d2), (_, e2) = t
        tokens = np.einsum("pso,psi->poi", d, np.concatenate([h, np.ones(h.shape[:2] + (1,))], axis=2))
        return np.hstack([tokens.reshape(len(h), -1), np.einsum("po,pi->poi", d2, h2).reshape(len(h), -1), e1, e2])

    tc, tt = terms(5 * n), terms(3 * n)
    kw = dict(batch_size=3, noise_variance=0.4, backend="cpu")
    a = amf.feature_select_batch(**args, candidate_features=tc, target_features=tt, **kw)
    b = amf.feature_select_batch(**args, candidate_features=explicit(tc), target_features=explicit(tt), **kw)
    np.testing.assert_allclose(a["J"], b["J"], rtol=1e-10)
    np.testing.assert_allclose(a["batch_J"], b["batch_J"], rtol=1e-10)
    np.testing.assert_array_equal(a["batch"], b["batch"])


def test_bad_features_are_named():
    args, rng = problem()
    n = args["traj_offsets"][-1]
    with pytest.raises(ValueError, match="candidate_features has 10 points"):
        amf.feature_select_batch(**args, candidate_features=np.zeros((10, 4)), target_features=np.zeros((3 * n, 4)))
    with pytest.raises(ValueError, match="layer kind 'conv'"):
        amf.feature_select_batch(**args, candidate_features=[("conv", np.zeros((5 * n, 2)), np.zeros((5 * n, 2)))],
                                 target_features=np.zeros((3 * n, 4)))


def test_float32_gram_option_stays_close_to_float64_and_is_validated():
    # The CPU backend's float32 candidate-target GEMMs: J within its stated bound (about 1e-8 times
    # max k(z, z) / sigma^2; here the ratio is ~1e2), the same batch.
    args, rng = problem(2)
    n = args["traj_offsets"][-1]
    layers_c, layers_t = factorised_layers(rng, 5 * n), factorised_layers(rng, 3 * n)
    kw = dict(candidate_features=layers_c, target_features=layers_t, batch_size=2, noise_variance=0.3, backend="cpu")
    f64 = amf.feature_select_batch(**args, **kw)
    f32 = amf.feature_select_batch(**args, **kw, gram_precision="float32")
    np.testing.assert_allclose(f32["J"], f64["J"], rtol=1e-5)
    assert not np.array_equal(f32["J"], f64["J"])  # it did compute in float32
    np.testing.assert_array_equal(f32["batch"], f64["batch"])
    with pytest.raises(ValueError, match="gram_precision 'half' is unknown"):
        amf.feature_select_batch(**args, **kw, gram_precision="half")


def test_features_for_kept_pairs_only_give_the_dense_results():
    # kept_candidate_pairs names the pairs from the log-probabilities; features for their steps
    # only (here in reverse order, addressed through candidate_feature_rows) give the same result.
    args, rng = problem(3)
    off, n = args["traj_offsets"], args["traj_offsets"][-1]
    layers_c, layers_t = factorised_layers(rng, 5 * n), factorised_layers(rng, 3 * n)
    kw = dict(target_features=layers_t, batch_size=2, noise_variance=0.3, clip=(-4, 4), min_weight=1e-3, backend="cpu")
    dense = amf.feature_select_batch(**args, candidate_features=layers_c, **kw)
    pairs, weights = amf.kept_candidate_pairs(off, args["candidate_logp"], args["own_logp"], clip=(-4, 4),
                                              min_weight=1e-3)
    R = len(off) - 1
    np.testing.assert_array_equal(weights, dense["weights"].reshape(-1, R)[pairs[:, 0], pairs[:, 1]])
    rows = np.concatenate([c * n + np.arange(off[i], off[i + 1]) for c, i in pairs])[::-1]
    assert len(rows) < 5 * n
    feature_rows = np.full(5 * n, -1, dtype=np.int64)
    feature_rows[rows] = np.arange(len(rows))
    compact = [(kind, h[rows], d[rows]) for kind, h, d in layers_c]
    sparse = amf.feature_select_batch(**args, candidate_features=compact, candidate_feature_rows=feature_rows, **kw)
    for key in ("J", "info_gain", "batch", "batch_J", "pseudo_demo_trajectory"):
        np.testing.assert_array_equal(sparse[key], dense[key])
    missing = feature_rows.copy()
    missing[rows[-1]] = -1
    with pytest.raises(ValueError, match=r"is -1, but candidate \d+ keeps pool trajectory"):
        amf.feature_select_batch(**args, candidate_features=compact, candidate_feature_rows=missing, **kw)


def test_target_features_for_kept_steps_only_give_the_dense_results():
    # kept_target_steps names the target occupancy's points from the log-probabilities; target
    # features for those points only (reversed, through target_feature_rows) give the same result.
    args, rng = problem(3)
    del args["target_probs"]
    n = args["traj_offsets"][-1]
    layers_c, layers_t = factorised_layers(rng, 5 * n), factorised_layers(rng, 3 * n)
    kw = dict(candidate_features=layers_c, batch_size=2, noise_variance=0.3, clip=(-4, 4), min_weight=0.05,
              backend="cpu")
    probs = np.array([0.5, 0.0, 0.5])
    dense = amf.feature_select_batch(**args, target_features=layers_t, target_probs=probs, **kw)
    steps = amf.kept_target_steps(args["traj_offsets"], args["target_logp"], args["own_logp"], probs, clip=(-4, 4),
                                  min_weight=0.05)
    assert steps.dtype == np.int64 and np.all(np.diff(steps) > 0)
    assert len(steps) == dense["num_target_points"] < 3 * n
    assert not np.any(steps // n == 1)  # the target of probability 0 keeps nothing
    rows = steps[::-1]
    target_rows = np.full(3 * n, -1, dtype=np.int64)
    target_rows[rows] = np.arange(len(rows))
    compact = [(kind, h[rows], d[rows]) for kind, h, d in layers_t]
    sparse = amf.feature_select_batch(**args, target_features=compact, target_probs=probs,
                                      target_feature_rows=target_rows, **kw)
    for key in ("J", "info_gain", "batch", "batch_J", "pseudo_demo_trajectory"):
        np.testing.assert_array_equal(sparse[key], dense[key])
    missing = target_rows.copy()
    missing[rows[-1]] = -1
    with pytest.raises(ValueError, match=r"target_feature_rows\[\d+\] is -1, but target \d+ keeps pool step"):
        amf.feature_select_batch(**args, target_features=compact, target_probs=probs, target_feature_rows=missing,
                                 **kw)
    with pytest.raises(ValueError, match=r"or give target_feature_rows"):
        amf.feature_select_batch(**args, target_features=compact, target_probs=probs, **kw)


def test_incremental_conditioning_budget_gives_the_recomputed_batch():
    # session_cache_bytes: the default keeps the first pass's blocks and updates them per pick;
    # 0 recomputes every step. Same picks, the picks' J within 1e-10.
    args, rng = problem(3)
    n = args["traj_offsets"][-1]
    kw = dict(candidate_features=factorised_layers(rng, 5 * n), target_features=factorised_layers(rng, 3 * n),
              batch_size=4, noise_variance=0.3, backend="cpu")
    kept = amf.feature_select_batch(**args, **kw)
    fresh = amf.feature_select_batch(**args, **kw, session_cache_bytes=0)
    np.testing.assert_array_equal(kept["batch"], fresh["batch"])
    np.testing.assert_allclose(kept["batch_J"], fresh["batch_J"], rtol=1e-10)
    with pytest.raises(ValueError, match="session_cache_bytes must be None or >= 0"):
        amf.feature_select_batch(**args, **kw, session_cache_bytes=-5)
