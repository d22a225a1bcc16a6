"""amf.gradient_features: every exact form against explicit per-sample autograd gradients (a loop
of backward calls, float64, 1e-10 relative) on small models of each kind, the choice of
parameters, and the projected forms against the exact kernel (the Johnson-Lindenstrauss rate,
and the greedy batch of select_batch_for_policy)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import amf  # noqa: E402
from amf.gradient_features import feature_gram, last_layer_embedding, loss_gradient_features  # noqa: E402
from integrator_pool import integrator_pool  # noqa: E402

nn = torch.nn
# torch.func has no batching rule for CPU flash attention yet: it loops, with a warning.
pytestmark = pytest.mark.filterwarnings("ignore:There is a performance drop")


def per_sample_gradients(model, xs, a, names=None):
    """Row p: the gradient of 0.5 |model(x_p) - a_p|^2 over the named trainable parameters (all
    by default), one backward pass per sample."""
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad and (names is None or n in names)]
    rows = []
    for i in range(len(a)):
        out = model(*(x[i:i + 1] for x in xs))
        grads = torch.autograd.grad(0.5 * (out - a[i:i + 1]).pow(2).sum(), [p for _, p in params], allow_unused=True)
        rows.append(torch.cat([(g if g is not None else torch.zeros_like(p)).flatten()
                               for g, (_, p) in zip(grads, params)]).detach().numpy())
    return np.stack(rows)


def expect_exact(model, xs, a, split=4, names=None, **kw):
    """Features of the two halves of the batch (separate calls, as candidates and targets are)
    give the Gram of the explicit per-sample gradients, within 1e-10 of its largest entry."""
    fa = loss_gradient_features(model, tuple(x[:split] for x in xs), a[:split], **kw)
    fb = loss_gradient_features(model, tuple(x[split:] for x in xs), a[split:], **kw)
    ga, gb = per_sample_gradients(model, [x[:split] for x in xs], a[:split], names), \
        per_sample_gradients(model, [x[split:] for x in xs], a[split:], names)
    want = ga @ gb.T
    np.testing.assert_allclose(feature_gram(fa, fb), want, rtol=1e-10, atol=1e-10 * np.abs(want).max())
    np.testing.assert_allclose(np.diag(feature_gram(fa, fa)), (ga ** 2).sum(1), rtol=1e-10)
    return fa


def batch(*shapes, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(*s, generator=g, dtype=torch.float64) for s in shapes]


def test_mlp_vector_forms_and_untouched_grads():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 16), nn.LayerNorm(16), nn.ReLU(inplace=True), nn.Linear(16, 16), nn.Tanh(),
                          nn.Linear(16, 2, bias=False)).double()
    x, a = batch((9, 5), (9, 2))
    f = expect_exact(model, (x,), a)
    assert [k for k, *_ in f] == ["linear", "layernorm", "linear", "linear-no-bias"]
    assert f.names == ["0", "1", "3", "5"]
    assert all(p.grad is None for p in model.parameters())  # the user's .grad is untouched


class EncoderPolicy(nn.Module):
    """Tokens (P, S, 3) -> a transformer encoder block (attention, LayerNorms and a feed-forward
    on the token sequence) -> mean over tokens -> action head."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(3, 8)
        self.block = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        return self.head(self.block(self.embed(x)).mean(1))


def test_transformer_block_token_sequences():
    torch.manual_seed(1)
    model = EncoderPolicy().double().eval()
    x, a = batch((7, 5, 3), (7, 2), seed=1)
    f = expect_exact(model, (x,), a)
    kinds = dict(zip(f.names, (t[0] for t in f)))
    assert f[0][1].shape == (4, 5, 3) and kinds["embed"] == "linear"  # Linear on 5 tokens
    assert kinds["block.linear1"] == kinds["block.linear2"] == "linear"
    assert kinds["block.self_attn"] == kinds["block.self_attn.out_proj"] == "explicit"  # torch.func
    assert kinds["block.norm1.weight"] == "explicit"  # a LayerNorm on tokens: its gain gradient


def test_transformer_features_through_the_engine_equal_its_explicit_gradients():
    # The token-pair kernel in the engine's criterion and greedy batch: 2 candidates and 2
    # targets relabelling 2 trajectories of 3 steps (12 points each), J and picks as with the
    # explicit per-sample gradients.
    torch.manual_seed(11)
    model = EncoderPolicy().double().eval()
    xc, xt, ac, at = batch((12, 4, 3), (12, 4, 3), (12, 2), (12, 2), seed=11)
    rng = np.random.default_rng(11)
    args = dict(traj_offsets=np.array([0, 3, 6]), candidate_logp=rng.standard_normal((2, 6)),
                target_logp=rng.standard_normal((2, 6)), own_logp=rng.standard_normal(6), batch_size=2,
                noise_variance=0.3, clip=(-5.0, 5.0), min_weight=0.0, backend="cpu")
    got = amf.feature_select_batch(candidate_features=loss_gradient_features(model, xc, ac),
                                   target_features=loss_gradient_features(model, xt, at), **args)
    want = amf.feature_select_batch(candidate_features=per_sample_gradients(model, [xc], ac),
                                    target_features=per_sample_gradients(model, [xt], at), **args)
    np.testing.assert_allclose(got["J"], want["J"], rtol=1e-10)
    np.testing.assert_array_equal(got["batch"], want["batch"])


class ConvPolicy(nn.Module):
    """Images (P, 2, 6, 6): a strided Conv2d, a depthwise circular-padded Conv2d, a dilated
    reflect-padded Conv1d over the flattened rows, a bias-free Conv1d, a Linear head."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(2, 4, 3, stride=2, padding=1)
        self.depthwise = nn.Conv2d(4, 4, 3, groups=4, padding="same", padding_mode="circular")
        self.c3 = nn.Conv1d(4, 3, 3, dilation=2, padding="same", padding_mode="reflect")
        self.c4 = nn.Conv1d(3, 2, 2, stride=2, bias=False)
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        h = torch.tanh(self.depthwise(torch.relu(self.c1(x))))
        h = torch.tanh(self.c4(torch.tanh(self.c3(h.flatten(2)))))
        return self.head(h.flatten(1))


def test_conv1d_and_conv2d_through_unfolded_patches():
    torch.manual_seed(2)
    model = ConvPolicy().double()
    x, a = batch((7, 2, 6, 6), (7, 2), seed=2)
    f = expect_exact(model, (x,), a)
    kinds = dict(zip(f.names, (t[0] for t in f)))
    assert kinds == {"c1": "linear", "depthwise.weight": "explicit", "depthwise.bias": "explicit", "c3": "linear",
                     "c4": "linear-no-bias", "head": "linear"}
    assert f[0][1].shape == (4, 9, 18)  # 3 x 3 output positions, 2 channels x 3 x 3 patches


class TokenPolicy(nn.Module):
    """Token ids (P, 5) -> Embedding (padding 0) -> RMSNorm -> GroupNorm over channels ->
    BatchNorm (eval) -> a bias-free head."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(11, 6, padding_idx=0)
        self.rms = nn.RMSNorm(6)
        self.group = nn.GroupNorm(2, 6)
        self.bn = nn.BatchNorm1d(6)
        self.head = nn.Linear(30, 2, bias=False)

    def forward(self, ids):
        h = self.rms(self.embed(ids)).transpose(1, 2)
        return self.head(torch.tanh(self.bn(self.group(h))).flatten(1))


def test_embedding_rmsnorm_groupnorm_batchnorm():
    torch.manual_seed(3)
    model = TokenPolicy().double().eval()
    with torch.no_grad():  # non-trivial gains and running statistics
        for m in (model.rms, model.group, model.bn):
            m.weight.uniform_(0.5, 1.5)
        model.group.bias.uniform_(-0.5, 0.5)
        model.bn.running_mean.uniform_(-0.2, 0.2)
        model.bn.running_var.uniform_(0.5, 2.0)
    ids = torch.randint(0, 11, (8, 5), generator=torch.Generator().manual_seed(3))
    ids[0, :2] = 0  # padding tokens get no gradient
    (a,) = batch((8, 2), seed=3)
    f = expect_exact(model, (ids,), a)
    assert [k for k, *_ in f][:1] == ["linear-no-bias"] and f[0][1].shape == (4, 5, 11)  # one-hot tokens


def test_frozen_backbone_bias_only_layers_and_shared_layers():
    torch.manual_seed(4)
    shared = nn.Linear(6, 6)

    class Policy(nn.Module):
        def __init__(self):
            super().__init__()
            self.backbone = nn.Sequential(nn.Linear(4, 6), nn.Tanh())
            self.shared, self.adapter, self.head = shared, nn.Linear(6, 6), nn.Linear(6, 2)

        def forward(self, x):
            h = self.backbone(x)
            h = torch.tanh(self.shared(torch.tanh(self.shared(h))))  # one layer, run twice
            return self.head(torch.tanh(self.adapter(h)))

    model = Policy().double()
    model.backbone.requires_grad_(False)
    model.adapter.weight.requires_grad_(False)  # BitFit-style: only its bias is trained
    x, a = batch((8, 4), (8, 2), seed=4)
    f = expect_exact(model, (x,), a)
    assert f.names == ["shared", "adapter.bias", "head"]
    assert f[0][1].shape == (4, 2, 6)  # both calls of the shared layer are its tokens


def test_parameter_choices():
    torch.manual_seed(5)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 2)).double()
    x, a = batch((8, 4), (8, 2), seed=5)
    assert expect_exact(model, (x,), a, names={"4.weight", "4.bias"}, parameters="head").names == ["4"]
    assert expect_exact(model, (x,), a, names={"2.weight", "2.bias", "4.weight", "4.bias"}, parameters=2).names \
        == ["2", "4"]
    f = expect_exact(model, (x,), a, names={"0.bias", "2.weight", "2.bias"}, parameters=["0.bias", "2"])
    assert f.names == ["0.bias", "2"]
    with pytest.raises(ValueError, match="'nope'"):
        loss_gradient_features(model, x, a, parameters=["nope"])


def test_models_that_mix_samples_or_shapes_are_refused():
    class Centred(nn.Module):  # subtracts the batch mean: a sample's gradient depends on the others
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 2)

        def forward(self, x):
            return self.lin(x - x.mean(0))

    x, a = batch((6, 3), (6, 2))
    with pytest.raises(ValueError, match="mixes the samples"):
        loss_gradient_features(Centred().double(), x, a)
    with pytest.raises(ValueError, match="call model.eval"):
        loss_gradient_features(nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2)).double(), x, a)
    with pytest.raises(ValueError, match="shape"):
        loss_gradient_features(nn.Linear(3, 3).double(), x, a)


def test_last_layer_embedding_is_the_heads_input_and_a_one_for_its_bias():
    torch.manual_seed(6)
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2)).double()
    (x,) = batch((4, 3))
    ones = np.ones((4, 1))
    with torch.no_grad():
        want = torch.tanh(model[0](x)).numpy()
    # k = h . h' + 1, as the C++ engine's label-free "last-layer" embedding.
    np.testing.assert_array_equal(last_layer_embedding(model, x), np.hstack([want, ones]))
    np.testing.assert_array_equal(last_layer_embedding(model, x, bias=False), want)
    np.testing.assert_array_equal(amf.last_layer_embedding(model, x, layer="0"), np.hstack([x.numpy(), ones]))
    no_bias = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2, bias=False)).double()
    with torch.no_grad():
        want = torch.tanh(no_bias[0](x)).numpy()
    np.testing.assert_array_equal(last_layer_embedding(no_bias, x), want)
    np.testing.assert_array_equal(last_layer_embedding(no_bias, x, bias=True), np.hstack([want, ones]))
    with pytest.raises(TypeError, match="bias"):
        last_layer_embedding(model, x, bias=1)


def relative_error(approx, exact):
    return np.linalg.norm(approx - exact) / np.linalg.norm(exact)


def mean_errors(model, x, a, dims, seeds, **kw):
    exact = feature_gram(*(loss_gradient_features(model, x, a, **kw),) * 2)
    return [np.mean([relative_error(feature_gram(*(loss_gradient_features(model, x, a, projection=k, seed=s, **kw),)
                                                  * 2), exact) for s in seeds]) for k in dims]


def test_kronecker_projection_follows_the_jl_rate():
    # One 96 x 96 layer on vectors, then one on sequences of 3 tokens: projecting both factors to
    # k, the kernel's relative error falls as 1/sqrt(k) (log-log slope -1/2, a little steeper at
    # small k where the product of the two factors' errors, ~1/k, still counts). Measured: 0.78,
    # 0.48, 0.32, 0.22 (vectors) and 0.61, 0.35, 0.24, 0.16 (tokens) at k = 12, 24, 48, 95.
    torch.manual_seed(7)
    dims = [12, 24, 48, 95]
    for shape in ((30, 96), (30, 3, 96)):
        model = nn.Sequential(nn.Linear(96, 96)).double()
        x, a = batch(shape, shape[:-1] + (96,), seed=7)
        errors = mean_errors(model, x, a, dims, range(6))
        slope = np.polyfit(np.log(dims), np.log(errors), 1)[0]
        assert -0.75 < slope < -0.4, (shape, errors, slope)


class Bilinear(nn.Module):
    """a = tanh(x^T W_i x) per output i: no factorised form, so torch.func and a CountSketch."""

    def __init__(self):
        super().__init__()
        self.W = nn.Parameter(torch.randn(2, 24, 24) / 24)

    def forward(self, x):
        return torch.tanh(torch.einsum("pi,oij,pj->po", x, self.W, x))


def test_countsketch_of_per_sample_gradients_follows_the_jl_rate():
    torch.manual_seed(8)
    model = Bilinear().double()
    x, a = batch((20, 24), (20, 2), seed=8)
    expect_exact(model, (x,), a, split=10)
    dims = [16, 64, 256]  # measured errors 0.76, 0.35, 0.17: slope -0.53
    errors = mean_errors(model, x, a, dims, range(6))
    slope = np.polyfit(np.log(dims), np.log(errors), 1)[0]
    assert -0.65 < slope < -0.4, (errors, slope)


def test_projection_is_seeded_and_a_projected_embedding_equals_its_one_hot_projection():
    from amf._gradient_layers import Factor
    from amf._gradient_projection import project_factor

    torch.manual_seed(9)
    model = nn.Sequential(nn.Linear(40, 40), nn.Tanh(), nn.Linear(40, 2)).double()
    x, a = batch((5, 40), (5, 2))
    f1, f2 = (loss_gradient_features(model, x, a, projection={"0": 8}, seed=3) for _ in range(2))
    for t1, t2 in zip(f1, f2):
        for u, v in zip(t1[1:], t2[1:]):
            np.testing.assert_array_equal(u, v)
    assert f1[0][1].shape == (5, 8) and f1[0][0] == "linear-no-bias" and f1[1][0] == "linear"  # only "0"
    other = loss_gradient_features(model, x, a, projection={"0": 8}, seed=4)
    assert not np.array_equal(other[0][1], f1[0][1])
    index = torch.tensor([[1, 5, -1], [7, 7, 0]])
    signals = torch.randn(2, 3, 4, dtype=torch.float64)
    by_index = project_factor(Factor("e", signals, False, index=index, width=30), 6, seed=1)
    one_hot = Factor("e", signals, False, index=index, width=30).dense_inputs()
    dense = project_factor(Factor("e", signals, False, inputs=one_hot), 6, seed=1)
    np.testing.assert_allclose(by_index.values if hasattr(by_index, "values") else by_index.inputs,
                               dense.values if hasattr(dense, "values") else dense.inputs, rtol=1e-15)


@pytest.mark.slow
def test_projected_greedy_batch_agrees_with_the_exact_one():
    # A fixed problem (6 candidate goals, batch of 2) whose exact picks are clear (the runner-up's
    # J trails by 40% of the spread of J): at k = 96 (both hidden factors of the 128 x 128 layer
    # projected) every projection seed gives the exact batch.
    torch.manual_seed(0)
    policy = nn.Sequential(nn.Linear(4, 128), nn.Tanh(), nn.Linear(128, 128), nn.Tanh(), nn.Linear(128, 2)).double()
    pool = integrator_pool((0.3, 1.2, 2.0, 3.1, 4.4))
    angles = np.linspace(0, 2 * np.pi, 6, endpoint=False)
    tasks = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    kw = dict(sigma_pi=0.5, batch_size=2, noise_variance=0.5, backend="cpu")
    exact = amf.select_batch_for_policy(policy, pool, tasks, tasks, **kw)
    J = np.sort(exact["J"])
    assert (J[1] - J[0]) / (J[-1] - J[0]) > 0.3
    for seed in range(4):
        projected = amf.select_batch_for_policy(policy, pool, tasks, tasks, projection=96, seed=seed, **kw)
        assert list(projected["batch"]) == list(exact["batch"]), seed
        assert relative_error(projected["J"], exact["J"]) < 0.2
