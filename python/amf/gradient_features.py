"""Loss-gradient features of any PyTorch policy, in the forms the AMF-NN engine takes.

The embedding of a sample (x, a) is phi = grad_theta loss(f_theta(x), a) over the chosen
parameters (default loss 0.5 |f(x) - a|^2), and the engine's kernel is k = phi . phi'.
``loss_gradient_features`` computes it from one forward and one backward pass with hooks.

Exact forms (float64-exact; no per-sample gradient of a large layer is formed):

- ``nn.Linear`` on a batch of vectors: ("linear", h, delta), k += (delta . delta')(h . h' + 1);
  on token sequences (inputs (P, S, d), e.g. inside a transformer): the per-sample gradient is a
  sum over tokens, so the kernel is a sum over token pairs; ("linear", h (P, S, din),
  delta (P, S, dout)). Without bias, or with a frozen bias: "linear-no-bias".
- ``nn.Conv1d`` / ``nn.Conv2d``: a Linear layer on the unfolded patches (each output position a
  token), any stride, dilation, padding and padding mode. Grouped convolutions (groups > 1,
  e.g. depthwise) are handed over as their per-group gradients, materialised (they are small).
- ``nn.Embedding``: a Linear layer without bias on one-hot tokens (padding_idx gets none).
  The one-hot inputs are num_embeddings wide: use a projection for large vocabularies.
- ``nn.LayerNorm`` over vectors: ("layernorm", xhat, delta); on sequences, ``nn.RMSNorm``,
  ``nn.GroupNorm`` and ``nn.BatchNorm*`` in eval mode: their gain and shift gradients, explicit
  (channel-sized, materialised).
- Bias-only parameters (a Linear or convolution whose weight is frozen): their gradient
  sum_s delta_s, explicit.
- Any other trainable parameter (nn.MultiheadAttention's packed projections, custom modules,
  a module that never runs its own forward): exact per-sample gradients through torch.func
  (vmap of grad), explicit, or a seeded CountSketch of them when projected.

Projected forms (``projection=k``): each Linear-like layer's outer-product factors are projected
separately by seeded Gaussian matrices (Kronecker structure: a k x k sketch of the gradient,
never formed), other parameter groups are CountSketched to k dimensions; norm gradients stay
exact. The relative kernel error follows the Johnson-Lindenstrauss rate, ~1/sqrt(k).

``last_layer_embedding`` is the label-free ablation of the paper: the input of the last layer
(the penultimate activation) and a constant 1 for its bias, k = h . h' + 1, as the C++ engine's
"last-layer" embedding. ``feature_gram`` is the engine's kernel on these forms in numpy.

torch is imported when this module is: ``import amf`` does not import it.
"""
import numpy as np
import torch

from . import _arguments
from ._gradient_layers import Explicit, Factor, NormPair, cheaper_materialised, form_of, materialise_factor
from ._gradient_projection import CountSketch, project_factor
from ._gradient_selection import RunOrder, choose, module_of, ordered_units, projection_for, trainable_units
from ._per_sample_gradients import flatten, per_sample_gradient_chunks


TOKEN_FORMS = ("factorised", "materialised", "auto")


class FeatureTerms(list):
    """The feature terms (a list, as amf.feature_select_batch takes it) with ``names``: the layer
    or parameter group of each term."""

    def __init__(self, terms, names):
        super().__init__(terms)
        self.names = list(names)


def squared_error(outputs, actions):
    """The default loss, per sample: 0.5 |f(x) - a|^2 (the Gaussian policy's log-likelihood up
    to scale)."""
    if not torch.is_tensor(outputs) or outputs.shape != actions.shape:
        shape = tuple(outputs.shape) if torch.is_tensor(outputs) else type(outputs).__name__
        raise ValueError(f"the model returns actions of shape {shape}, the actions given are {tuple(actions.shape)} "
                         "(pass loss=... for other outputs)")
    return 0.5 * (outputs - actions).pow(2).reshape(len(actions), -1).sum(1)


def loss_gradient_features(model, inputs, actions, *, parameters="all", projection=None, seed=0, loss=None,
                           chunk_size=64, check=True, token_form="factorised", on_device=False):
    """Loss-gradient features of every sample (inputs[p], actions[p]) for amf.feature_select_batch.

    model: a torch.nn.Module called as model(*inputs) (model(inputs) for one tensor); put it in
    eval mode first if it has dropout or batch norm, since each sample's gradient must not depend
    on the others. inputs: a tensor or array, or a tuple of them, each with the samples on the
    first axis (floating ones are converted to the model's dtype, integer ones such as token ids
    are kept); actions: (P, ...) targets. loss: per-sample losses loss(outputs, actions) -> (P,)
    (default 0.5 |outputs - actions|^2 summed per sample).

    parameters: which trainable parameters (requires_grad; frozen ones are always skipped) the
    embedding covers: "all", "head" (the last layer to run: the action head), an int k (the last
    k layers with parameters, in the order they run), or a list of module or parameter names.

    projection: None (exact forms, see the module docstring), an int k (every layer projected to
    k dimensions per factor, seeded by `seed` and the layer's name, so separate calls agree), or
    a dict from module names to an int or None with an optional "default".

    chunk_size: samples per vmap call for parameters without a factorised form (memory:
    chunk_size x their size). check: compare the first sample's gradient norm from the hooks with
    a separate backward pass of that sample alone (catches models that mix the samples of a
    batch, e.g. attention over the batch axis, or train-mode dropout); float64 within 1e-6.

    token_form: how a Linear-like layer on token sequences (a convolution's patches, a
    transformer's tokens) is handed over when it is not projected: "factorised" (inputs and
    signals per token; the engine sums over token pairs), "materialised" (its per-sample gradient,
    an "explicit" term) or "auto" (materialised where that is cheaper for the engine: convolutions
    on images, not wide layers on a few tokens; amf._gradient_layers.cheaper_materialised). The
    kernel is the same either way.

    on_device: features of a model on a CUDA device stay there, as tensors in the model's dtype,
    for a CUDA engine to read in place (amf.Engine("cuda"); float32 is widened exactly there);
    on a CPU model, and by default, they are float64 numpy arrays.

    Returns a FeatureTerms list of ("linear" | "linear-no-bias", inputs, signals),
    ("layernorm", xhat, signals) and ("explicit", embedding) terms, with one row per sample, in
    the order the layers run; .names names each term's layer.
    """
    fn = "loss_gradient_features"
    model = _arguments.torch_module(model, "model", fn=fn)
    xs, a = _model_arguments(model, inputs, actions, fn)
    loss = squared_error if loss is None else loss
    chunk_size = _arguments.integer(chunk_size, "chunk_size", 1, 1 << 20, fn=fn)
    seed = _arguments.integer(seed, "seed", 0, _arguments.INT64_MAX, fn=fn)
    token_form = _arguments.choice(token_form, "token_form", TOKEN_FORMS, fn=fn)
    units = trainable_units(model)
    if not units:
        raise ValueError(f"{fn}: the model has no trainable parameters")

    calls, losses, order = _hooked_forward(model, units, xs, a, loss)
    chosen = choose(units, ordered_units(units, order), parameters, fn=fn)
    hooked = [u for u in chosen if calls.get(u)]
    signals = _signals(losses, [c for u in hooked for c in calls[u]])

    groups = {u: [n for n, _ in module_of(model, u).named_parameters(recurse=False) if n in chosen[u]]
              for u in chosen if u not in hooked}
    sketches = {u: projection_for(projection, u, fn=fn) for u in groups}
    per_sample = _per_sample_groups(model, groups, sketches, xs, a, loss, chunk_size, seed) if groups else {}
    exact, names = [], []
    for unit in chosen:
        module = module_of(model, unit)
        if unit in hooked:
            unit_calls = [(saved, signals[id(out)]) for saved, out in calls[unit]]
            terms = form_of(module)[1](unit, module, chosen[unit], unit_calls, len(a))
        else:
            terms = [per_sample[unit]]
        exact += [(unit, t) for t in terms]
    if check:
        _check_first_sample(model, xs, a, loss, chosen, hooked, [t for u, t in exact if u in hooked], fn)

    out = []
    for unit, term in exact:
        k = projection_for(projection, unit, fn=fn)
        if isinstance(term, Factor) and k is not None:
            term = project_factor(term, k, seed)
        elif isinstance(term, Factor) and (token_form == "materialised" and term.signals.shape[1] > 1
                                           or token_form == "auto" and cheaper_materialised(term)):
            term = materialise_factor(term)
        out.append(_as_numpy_term(term, on_device))
        names.append(term.name)
    return FeatureTerms(out, names)


def last_layer_embedding(model, inputs, layer=None, bias=None):
    """The label-free last-layer embedding (the paper's Fig. 6 ablation): the input h of `layer`
    (a module name; default the last module with trainable parameters to run, the action head)
    for every sample, flattened, and a last column of ones for the layer's bias, so that
    k = h . h' + 1 as in the C++ engine's "last-layer" embedding (amf/torch/nn_selection.hpp).
    bias: None adds the column when the layer has a trainable `bias` parameter; True or False
    forces it. (P, D) or (P, D + 1) float64; pass it to amf.feature_select_batch as explicit
    features."""
    fn = "last_layer_embedding"
    model = _arguments.torch_module(model, "model", fn=fn)
    if bias is not None and not isinstance(bias, bool):
        raise TypeError(f"{fn}: bias must be None, True or False, got {type(bias).__name__}")
    xs, _ = _model_arguments(model, inputs, None, fn)
    units = trainable_units(model)
    seen = {}

    def saver(name):
        def hook(module, args):
            if name not in seen and args and torch.is_tensor(args[0]):
                seen[name] = args[0].detach()
        return hook

    targets = [layer] if layer is not None else list(units)
    handles = [module_of(model, n).register_forward_pre_hook(saver(n)) for n in targets]
    try:
        with torch.no_grad():
            model(*xs)
    finally:
        for h in handles:
            h.remove()
    if not seen:
        raise ValueError(f"{fn}: {'module ' + repr(layer) if layer else 'no module with trainable parameters'} "
                         "did not run in the forward pass")
    name = layer if layer is not None else max(seen, key=list(seen).index)
    h = seen[name].reshape(len(xs[0]), -1).detach().cpu().double().numpy()
    if bias is None:
        bias = "bias" in units.get(name, {})
    return np.hstack([h, np.ones((len(h), 1))]) if bias else h


def feature_gram(a, b):
    """The engine's kernel k(a_i, b_j) between two feature lists of the same form (or explicit
    arrays), in numpy, float64: for inspection and tests (the engine never forms it whole)."""
    if not isinstance(a, (list, tuple)):
        a, b = [("explicit", a)], [("explicit", b)]
    K = 0.0
    for ta, tb in zip(a, b, strict=True):
        if ta[0] == "explicit":
            K = K + np.asarray(ta[1]) @ np.asarray(tb[1]).T
        elif ta[0] == "layernorm":
            K = K + (ta[2] * ta[1]) @ (tb[2] * tb[1]).T + ta[2] @ tb[2].T
        else:
            ha, da, hb, db = (x if x.ndim == 3 else x[:, None] for x in (ta[1], ta[2], tb[1], tb[2]))
            bias = 1.0 if ta[0] == "linear" else 0.0
            hh, dd = np.einsum("psi,qti->pqst", ha, hb), np.einsum("psi,qti->pqst", da, db)
            K = K + (dd * (hh + bias)).sum(axis=(2, 3))
    return K


def _model_arguments(model, inputs, actions, fn):
    """The model's inputs as a tuple of tensors on its device (floating ones in its dtype), and
    the actions in its dtype."""
    param = next((p for p in model.parameters() if p.is_floating_point()), None)
    dtype = param.dtype if param is not None else torch.get_default_dtype()
    device = param.device if param is not None else torch.device("cpu")

    def tensor(x, name):
        t = torch.as_tensor(_arguments.tensor_or_array(x, name, fn=fn), device=device)
        return t.to(dtype) if t.is_floating_point() else t

    many = isinstance(inputs, (tuple, list))
    xs = tuple(tensor(x, f"inputs[{i}]") for i, x in enumerate(inputs)) if many else (tensor(inputs, "inputs"),)
    a = None if actions is None else tensor(actions, "actions").to(dtype)
    for i, x in enumerate(xs):
        if x.dim() == 0 or (a is not None and len(x) != len(a)):
            _arguments.fail(fn, f"inputs[{i}]" if many else "inputs", f"samples on the first axis like actions "
                            f"({len(a) if a is not None else 'P'})", f"shape {tuple(x.shape)}")
    return xs, a


def _hooked_forward(model, units, xs, a, loss):
    """One forward pass with hooks on every module that has an exact form: {unit: [(saved,
    output)]} for each call, the per-sample losses, and the run order of all modules."""
    calls = {}

    def recorder(name, save):
        def hook(module, args, output):
            calls.setdefault(name, []).append((save(module, args[0]), output))
            # Later in-place operations (ReLU(inplace=True), x += ...) act on a copy, so the
            # gradient taken at `output` is the one at this layer's output.
            return output.clone()
        return hook

    handles = []
    for name in units:
        module = module_of(model, name)
        form = form_of(module)
        if form is not None:
            handles.append(module.register_forward_hook(recorder(name, form[0])))
    order = RunOrder(model)
    try:
        with torch.enable_grad():
            losses = loss(model(*xs), a)
    finally:
        order.remove()
        for h in handles:
            h.remove()
    if not torch.is_tensor(losses) or losses.shape != (len(a),):
        raise ValueError(f"loss must return one loss per sample ({len(a)},), got "
                         f"{tuple(losses.shape) if torch.is_tensor(losses) else type(losses).__name__}")
    return calls, losses, order.order


def _signals(losses, calls):
    """{id(output): gradient of the summed loss at it}: each sample's own loss gradient, since a
    sample's loss depends on its own row only. Outputs outside the graph get zeros."""
    outputs = [out for _, out in calls]
    live = [o for o in outputs if o.requires_grad]
    grads = torch.autograd.grad(losses.sum(), live, allow_unused=True) if live else []
    found = {id(o): g for o, g in zip(live, grads)}
    return {id(o): (found.get(id(o)) if found.get(id(o)) is not None else torch.zeros_like(o)).detach()
            for o in outputs}


def _per_sample_groups(model, groups, sketches, xs, a, loss, chunk, seed):
    """{unit: Explicit} for the units without a factorised form: their per-sample gradients from
    one vmap pass per chunk of samples (torch.func), exact or CountSketched to the unit's k."""
    full = {u: [f"{u}.{n}" if u else n for n in locals_] for u, locals_ in groups.items()}
    rows = {u: [] for u in groups}
    sketch = {}
    for grads in per_sample_gradient_chunks(model, xs, a, loss, [n for names in full.values() for n in names], chunk):
        for unit, names in full.items():
            g = flatten(grads, names).detach()
            if sketches[unit] is not None:
                sketch.setdefault(unit, CountSketch(g.shape[1], sketches[unit], seed, unit, g.device))
                g = sketch[unit](g)
            rows[unit].append(g)
    return {u: Explicit(u or "<model>", torch.cat(r)) for u, r in rows.items()}


def _term_self_kernel(term, row):
    """k(x_row, x_row) of one exact term, in torch."""
    if isinstance(term, Explicit):
        return term.values[row].pow(2).sum()
    if isinstance(term, NormPair):
        return (term.signals[row] * term.xhat[row]).pow(2).sum() + term.signals[row].pow(2).sum()
    h, d = term.dense_inputs()[row], term.signals[row]
    return ((d @ d.t()) * (h @ h.t() + (1.0 if term.bias else 0.0))).sum()


def _check_first_sample(model, xs, a, loss, chosen, hooked, terms, fn):
    if not terms:
        return
    params = [getattr(module_of(model, u), n) for u in hooked for n in chosen[u]]
    with torch.enable_grad():
        alone = loss(model(*(x[:1] for x in xs)), a[:1]).sum()
        grads = torch.autograd.grad(alone, params, allow_unused=True)
    want = sum(float(g.double().pow(2).sum()) for g in grads if g is not None)
    got = sum(float(_term_self_kernel(t, 0)) for t in terms)
    eps = torch.finfo(a.dtype).eps if a.is_floating_point() else 1e-16
    if abs(got - want) > max(1e-6, 50 * eps ** 0.5) * max(want, np.finfo(float).tiny):
        raise ValueError(f"{fn}: the first sample's squared gradient norm is {want:.6g} on its own but {got:.6g} "
                         "from the batch: the model mixes the samples of a batch (batch statistics, dropout in "
                         "training mode, a module that takes the batch on another axis, e.g. attention without "
                         "batch_first). Call model.eval() and keep the samples on the first axis, or check=False")


def _as_numpy_term(term, on_device=False):
    def arr(t):
        if on_device and t.device.type == "cuda":
            return t.detach().contiguous()
        return t.detach().cpu().double().numpy()

    if isinstance(term, Explicit):
        return "explicit", arr(term.values)
    if isinstance(term, NormPair):
        return "layernorm", arr(term.xhat), arr(term.signals)
    inputs, signals = term.dense_inputs(), term.signals
    if inputs.shape[1] == 1:  # one vector per sample: the plain Linear form
        inputs, signals = inputs[:, 0], signals[:, 0]
    return ("linear" if term.bias else "linear-no-bias"), arr(inputs), arr(signals)
