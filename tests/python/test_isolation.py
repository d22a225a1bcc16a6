"""Parameter isolation as one nn.Module (amf.isolation): its hook-based factorised features equal
per-sample gradients of all copies (float64, 1e-10), so the loss-gradient kernel between points of
different partitions is exactly zero and, within a partition, equals the single policy's kernel;
fine-tuning on one task leaves the other copies bit-identical."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
import amf  # noqa: E402
from amf.isolation import Standardize, TaskIsolatedPolicy, mlp_policy  # noqa: E402
from torch_reference import explicit_from_factorised, per_sample_gradients  # noqa: E402

DS, DC, DA = 3, 4, 2


def kernel(features):
    return sum((h @ h.T) * (d @ d.T) for _, h, d in features)


def rows(rng, n_per_task):
    tasks = np.repeat(np.eye(DC), n_per_task, axis=0)
    return np.hstack([rng.normal(size=(len(tasks), DS)), tasks]), rng.normal(size=(len(tasks), DA))


def isolated(seed=0):
    torch.manual_seed(seed)
    base = mlp_policy(DS + DC, DA, width=8, depth=2, mean=torch.randn(DS + DC), scale=torch.rand(DS + DC) + 0.5)
    iso = TaskIsolatedPolicy(base, np.eye(DC), task_start=DS).double()
    with torch.no_grad():  # make the copies differ, as they do after fine-tuning
        for p in iso.parameters():
            p.add_(0.1 * torch.randn_like(p))
    return base.double(), iso


def test_features_equal_per_sample_gradients_of_every_copy():
    _, iso = isolated()
    x, a = rows(np.random.default_rng(0), 3)
    f = amf.loss_gradient_features(iso, x, a)
    assert len(f) == DC * 4  # per copy: Linear, LayerNorm, Linear, Linear
    np.testing.assert_allclose(explicit_from_factorised(f), per_sample_gradients(iso, x, a), rtol=1e-10, atol=1e-12)


def test_kernel_is_block_diagonal_and_each_block_is_its_copys_kernel():
    _, iso = isolated()
    x, a = rows(np.random.default_rng(1), 3)
    k = kernel(amf.loss_gradient_features(iso, x, a))
    part = np.repeat(np.arange(DC), 3)
    assert np.all(k[part[:, None] != part[None, :]] == 0.0)  # exactly: the signals there are exact zeros
    for p in range(DC):
        own = part == p
        alone = kernel(amf.loss_gradient_features(iso.copies[p], x[own], a[own]))
        np.testing.assert_allclose(k[np.ix_(own, own)], alone, rtol=1e-12)


def test_one_centre_is_the_plain_policy():
    base, _ = isolated()
    one = TaskIsolatedPolicy(base, np.full((1, DC), 0.25), task_start=DS).double()
    x, a = rows(np.random.default_rng(2), 2)
    np.testing.assert_allclose(one(torch.as_tensor(x)).detach().numpy(), base(torch.as_tensor(x)).detach().numpy(),
                               rtol=0, atol=0)
    np.testing.assert_allclose(kernel(amf.loss_gradient_features(one, x, a)),
                               kernel(amf.loss_gradient_features(base, x, a)), rtol=1e-12)


def test_training_one_task_leaves_the_other_copies_untouched():
    _, iso = isolated()
    before = [torch.cat([p.detach().flatten() for p in c.parameters()]).clone() for c in iso.copies]
    x, a = rows(np.random.default_rng(3), 4)
    mine = x[:, DS + 1] == 1  # task 1 only
    opt = torch.optim.Adam(iso.parameters(), lr=1e-2)
    for _ in range(5):
        loss = ((iso(torch.as_tensor(x[mine])) - torch.as_tensor(a[mine])) ** 2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    after = [torch.cat([p.detach().flatten() for p in c.parameters()]) for c in iso.copies]
    for p in range(DC):
        assert torch.equal(before[p], after[p]) == (p != 1)


def test_standardize_adds_no_parameters_and_bad_shapes_are_named():
    assert list(Standardize(torch.zeros(3), torch.ones(3)).parameters()) == []
    base, iso = isolated()
    with pytest.raises(ValueError, match="centres must be"):
        TaskIsolatedPolicy(base, np.zeros(4), task_start=DS)
    with pytest.raises(ValueError, match="task vectors have 3 entries"):
        iso.partition_of(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="depth 0"):
        mlp_policy(3, 2, width=4, depth=0)


def test_routed_forward_is_the_masked_sum_and_leaves_the_features_alone():
    # route=True runs each row through its own copy when no features are taken (no gradients, or
    # train mode); features (eval mode, gradients on) still come from the masked sum.
    _, iso = isolated()
    routed = TaskIsolatedPolicy(iso.copies[0], np.eye(DC), task_start=DS, route=True).double()
    routed.load_state_dict(iso.state_dict())
    routed.eval()
    x, a = rows(np.random.default_rng(4), 3)
    xt = torch.as_tensor(x)
    with torch.no_grad():
        np.testing.assert_allclose(routed(xt).numpy(), iso(xt).numpy(), rtol=1e-12, atol=1e-14)
    routed.train()
    np.testing.assert_allclose(routed(xt).detach().numpy(), iso(xt).detach().numpy(), rtol=1e-12, atol=1e-14)
    routed.eval()
    np.testing.assert_allclose(kernel(amf.loss_gradient_features(routed, x, a)),
                               kernel(amf.loss_gradient_features(iso, x, a)), rtol=1e-12)


def test_routed_training_leaves_copies_without_rows_untouched_even_after_earlier_steps():
    _, iso = isolated()
    routed = TaskIsolatedPolicy(iso.copies[0], np.eye(DC), task_start=DS, route=True).double()
    x, a = rows(np.random.default_rng(5), 4)
    opt = torch.optim.Adam(routed.parameters(), lr=1e-2)
    for step in range(6):
        mine = x[:, DS + (0 if step < 3 else 1)] == 1  # task 0, then only task 1
        if step == 3:
            before = torch.cat([p.detach().flatten() for p in routed.copies[0].parameters()]).clone()
        loss = ((routed(torch.as_tensor(x[mine])) - torch.as_tensor(a[mine])) ** 2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    after = torch.cat([p.detach().flatten() for p in routed.copies[0].parameters()])
    assert torch.equal(before, after)  # no momentum step for a copy that got no rows


@pytest.mark.parametrize("parameters,projection", [("all", None), ("all", 6), ("head", None)])
def test_copy_by_copy_features_give_the_masked_sums_kernel(parameters, projection):
    _, iso = isolated()
    x, a = rows(np.random.default_rng(6), 3)
    x[:, DS:] = np.repeat(np.eye(DC), 3, axis=0)[[0, 1, 2, 0, 1, 2, 0, 1, 2, 3, 3, 3]]  # copy 3 gets 3 rows
    own = iso.loss_gradient_features(x, a, parameters=parameters, projection=projection, seed=3)
    if parameters == "head":  # every copy's head, not only the copy that runs last
        heads = [f"copies.{p}.{len(iso.copies[p]) - 1}" for p in range(DC)]
        assert len(own) == DC and own.names == heads, own.names
        generic = amf.loss_gradient_features(iso, x, a, parameters=heads)
    else:
        generic = amf.loss_gradient_features(iso, x, a, parameters=parameters, projection=projection, seed=3)
    from amf.gradient_features import feature_gram

    if projection is None:
        np.testing.assert_allclose(feature_gram(own, own), feature_gram(generic, generic), rtol=1e-10, atol=1e-12)
    k = feature_gram(own, own)
    part = iso.partition_of(x[:, DS:]).numpy()
    assert np.all(k[part[:, None] != part[None, :]] == 0.0)
    empty = iso.loss_gradient_features(x[:6], a[:6], parameters=parameters, projection=projection, seed=3)
    assert len(empty) == len(own)  # copy 3 has no rows here: zero terms, the same list


@pytest.mark.parametrize("parameters,projection", [("all", None), ("all", 6), ("head", None)])
def test_grouped_features_give_the_padded_layouts_kernel_and_selection(parameters, projection):
    # groups=True: one term list, each row its own copy's terms; masked by the groups (the
    # kernel between copies is 0) it is the padded layout's kernel, and feature_select_batch with
    # candidate_groups / target_groups gives the padded selection.
    from amf.gradient_features import feature_gram

    _, iso = isolated()
    x, a = rows(np.random.default_rng(7), 3)
    kw = dict(parameters=parameters, projection=projection, seed=3)
    padded = iso.loss_gradient_features(x, a, **kw)
    grouped = iso.loss_gradient_features(x, a, groups=True, **kw)
    assert len(padded) == DC * len(grouped)
    group = iso.feature_groups(x)
    assert group.dtype == np.int64 and list(group) == list(np.repeat(np.arange(DC), 3))
    same = group[:, None] == group[None, :]
    np.testing.assert_allclose(feature_gram(grouped, grouped) * same, feature_gram(padded, padded), rtol=1e-12,
                               atol=1e-14)

    # A selection: 4 candidates (one per copy), 4 targets, pool of 3 trajectories of 4 steps.
    rng = np.random.default_rng(8)
    n, tasks = 12, np.eye(DC)
    S, A = rng.normal(size=(n, DS)), rng.normal(size=(n, DA))
    xs = np.vstack([np.hstack([S, np.tile(t, (n, 1))]) for t in tasks])
    acts = np.tile(A, (DC, 1))
    logp = rng.normal(size=(DC, n))
    args = dict(traj_offsets=np.array([0, 4, 8, 12]), candidate_logp=logp, target_logp=logp[::-1].copy(),
                own_logp=rng.normal(size=n), batch_size=3, noise_variance=0.5, backend="cpu")
    dense = amf.feature_select_batch(candidate_features=iso.loss_gradient_features(xs, acts, **kw),
                                     target_features=iso.loss_gradient_features(xs, acts, **kw), **args)
    g = iso.feature_groups(xs[::n])
    compact = iso.loss_gradient_features(xs, acts, groups=True, **kw)
    sparse = amf.feature_select_batch(candidate_features=compact, target_features=compact, candidate_groups=g,
                                      target_groups=g, **args)
    np.testing.assert_allclose(sparse["J"], dense["J"], rtol=1e-12)
    np.testing.assert_array_equal(sparse["batch"], dense["batch"])
    with pytest.raises(ValueError, match="candidate_groups is given but target_groups is not"):
        amf.feature_select_batch(candidate_features=compact, target_features=compact, candidate_groups=g, **args)


def test_select_batch_for_policy_with_groups_equals_the_padded_layout():
    # select_batch_for_policy uses feature groups for a policy with feature_groups; the same
    # policy without that method gets the padded features: the same J (1e-10) and batch.
    _, iso = isolated(seed=2)

    class Padded(torch.nn.Module):  # the isolated policy, its features padded (no feature_groups)
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            return self.inner(x)

        def loss_gradient_features(self, x, a, **options):
            return self.inner.loss_gradient_features(x, a, **options)

    rng = np.random.default_rng(9)
    tasks = np.eye(DC)
    pool = amf.pool_from_demonstrations([{"task": tasks[i % DC], "states": rng.normal(size=(5, DS)),
                                          "actions": rng.normal(size=(5, DA))} for i in range(6)])
    kw = dict(batch_size=3, noise_variance=0.5, sigma_pi=1.0, backend="cpu", projection=6, seed=1)
    grouped = amf.select_batch_for_policy(iso, pool, tasks, tasks, **kw)
    padded = amf.select_batch_for_policy(Padded(iso), pool, tasks, tasks, **kw)
    np.testing.assert_allclose(grouped["J"], padded["J"], rtol=1e-10)
    np.testing.assert_array_equal(grouped["batch"], padded["batch"])
