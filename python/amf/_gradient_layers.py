"""Exact factorised loss-gradient forms per layer type, from what a forward hook saw (the
layer's input) and the back-propagated signal at its output (amf.gradient_features).

Every form rests on one fact: a layer whose output is y_s = W u_s + b for tokens s of a sample
(the positions of a sequence, the patches of a convolution, the looked-up rows of an embedding)
has the per-sample gradient sum_s delta_s [u_s, 1]^T, so its kernel is the engine's token-pair
sum and nothing of the size of W is formed. Norm layers have gradients of the size of their
channel count: they are handed over explicitly (materialised, cheap).

Each form returns terms (Factor, NormPair or Explicit) with one row per sample; tensors stay in
the model's dtype and device until the caller converts them.
"""
import math

import torch
import torch.nn.functional as F


class Factor:
    """A Linear-like layer: inputs (P, S, din) or one-hot `index` (P, S) into `width` rows (an
    embedding; -1 where a token has no gradient), signals (P, S, dout), with the bias term or not."""

    def __init__(self, name, signals, bias, inputs=None, index=None, width=None):
        self.name, self.signals, self.bias = name, signals, bias
        self.inputs, self.index, self.width = inputs, index, width

    def dense_inputs(self):
        """The inputs, one-hot for an embedding."""
        if self.inputs is not None:
            return self.inputs
        hot = torch.zeros(self.index.shape + (self.width + 1,), dtype=self.signals.dtype, device=self.signals.device)
        hot.scatter_(-1, torch.where(self.index < 0, self.width, self.index).unsqueeze(-1), 1.0)
        return hot[..., :self.width]


def materialise_factor(term):
    """A Factor's per-sample gradient as it is, (P, dout * (din [+ 1])): sum_s delta_s [u_s, 1]^T,
    weight row-major then bias, as the layer lays its parameters out."""
    h, d = term.dense_inputs(), term.signals
    blocks = [torch.einsum("pso,psi->poi", d, h).reshape(len(d), -1)]
    if term.bias:
        blocks.append(d.sum(1))
    return Explicit(term.name, torch.cat(blocks, dim=1) if len(blocks) > 1 else blocks[0])


def cheaper_materialised(term):
    """Whether the engine would spend less on this Factor materialised: a token-sequence term
    costs S_a S_b (din + dout) per kernel entry (the token-pair sum), the materialised gradient
    dout (din + 1). A convolution's patches (S = the output positions, hundreds) make the token
    form thousands of times dearer; a transformer's wide layers on a few tokens keep it. Memory
    guard: the materialised row may be at most 4x the token form's."""
    h, d = term.dense_inputs(), term.signals
    tokens, din, dout = h.shape[1], h.shape[2], d.shape[2]
    if tokens == 1:
        return False
    size = dout * (din + (1 if term.bias else 0))
    return size <= tokens * tokens * (din + dout) and size <= 4 * tokens * (din + dout)


class NormPair:
    """A LayerNorm over vectors with gain and shift: the engine's "layernorm" term."""

    def __init__(self, name, xhat, signals):
        self.name, self.xhat, self.signals = name, xhat, signals


class Explicit:
    """Per-sample gradients as they are: (P, D)."""

    def __init__(self, name, values):
        self.name, self.values = name, values


def _tokens(t, batch, width):
    """(P, ..., width) -> (P, S, width)."""
    return t.reshape(batch, -1, width)


def _cat_calls(parts):
    """A module run several times per forward pass: its tokens from every call, side by side
    (the per-sample gradient is the sum over all of them)."""
    return parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)


def _weight_and_bias(name, selected, module, inputs, signals):
    """The terms of y = W u + b on token sequences: a Factor when W is selected (with the bias
    term when b is too), the bias gradient sum_s delta_s alone when only b is."""
    has_bias = getattr(module, "bias", None) is not None and "bias" in selected
    if "weight" in selected:
        return [Factor(name, signals, has_bias, inputs=inputs)]
    return [Explicit(name + ".bias", signals.sum(1))] if has_bias else []


# --- Linear ------------------------------------------------------------------------------------

def save_linear(module, x):
    return x.detach().clone()


def linear_forms(name, module, selected, calls, batch):
    inputs = _cat_calls([_tokens(x, batch, module.in_features) for x, _ in calls])
    signals = _cat_calls([_tokens(d, batch, module.out_features) for _, d in calls])
    return _weight_and_bias(name, selected, module, inputs, signals)


# --- Conv1d / Conv2d: Linear layers on their unfolded patches -----------------------------------

def _conv_padding(module):
    """Left and right padding per spatial dimension, as the convolution applies it."""
    k, d = module.kernel_size, module.dilation
    if isinstance(module.padding, str):
        if module.padding == "valid":
            return [(0, 0)] * len(k)
        # "same": torch puts the odd padding on the right.
        return [(t // 2, t - t // 2) for t in (di * (ki - 1) for di, ki in zip(d, k))]
    return [(p, p) for p in module.padding]


def save_conv(module, x):
    """The unfolded patches (P, L, C_in * prod(kernel)), channel-major like the weight."""
    x = x.detach()
    pads = _conv_padding(module)
    flat = [p for pair in reversed(pads) for p in pair]  # F.pad: last dimension first
    mode = "constant" if module.padding_mode == "zeros" else module.padding_mode
    x = F.pad(x, flat, mode=mode) if any(flat) else x
    kernel, dilation, stride = module.kernel_size, module.dilation, module.stride
    if isinstance(module, torch.nn.Conv1d):
        x, kernel, dilation, stride = x.unsqueeze(2), (1,) + kernel, (1,) + dilation, (1,) + stride
    return F.unfold(x, kernel, dilation=dilation, stride=stride).transpose(1, 2).contiguous()


def conv_forms(name, module, selected, calls, batch):
    groups, cout = module.groups, module.out_channels
    patches = _cat_calls([u for u, _ in calls])
    signals = _cat_calls([d.reshape(batch, cout, -1).transpose(1, 2) for _, d in calls])
    if groups == 1:
        return _weight_and_bias(name, selected, module, patches, signals)
    # Grouped (e.g. depthwise) convolutions: the gradient of each group is small, so it is
    # materialised per group (exact), weight then bias as the parameters lay them out.
    per_in, per_out = patches.shape[2] // groups, cout // groups
    weight = [torch.einsum("pso,psi->poi", signals[..., g * per_out:(g + 1) * per_out],
                           patches[..., g * per_in:(g + 1) * per_in]).reshape(batch, -1) for g in range(groups)]
    terms = []
    if "weight" in selected:
        terms.append(Explicit(name + ".weight", torch.cat(weight, dim=1)))
    if module.bias is not None and "bias" in selected:
        terms.append(Explicit(name + ".bias", signals.sum(1)))
    return terms


# --- Embedding: a Linear layer without bias on one-hot tokens -----------------------------------

def save_embedding(module, idx):
    idx = idx.detach().clone()
    if module.padding_idx is not None:  # the padding row gets no gradient
        idx = torch.where(idx == module.padding_idx, -1, idx)
    return idx


def embedding_forms(name, module, selected, calls, batch):
    if "weight" not in selected:
        return []
    index = _cat_calls([i.reshape(batch, -1) for i, _ in calls])
    signals = _cat_calls([_tokens(d, batch, module.embedding_dim) for _, d in calls])
    return [Factor(name, signals, False, index=index, width=module.num_embeddings)]


# --- norm layers: gain and shift gradients, explicit -------------------------------------------

def _norm_sums(name, module, selected, xhat, signals):
    """Gain sum_s delta_s o xhat_s and shift sum_s delta_s over the tokens (P, S, C)."""
    terms = []
    if getattr(module, "weight", None) is not None and "weight" in selected:
        terms.append(Explicit(name + ".weight", (signals * xhat).sum(1)))
    if getattr(module, "bias", None) is not None and "bias" in selected:
        terms.append(Explicit(name + ".bias", signals.sum(1)))
    return terms


def _last_dims(module):
    return tuple(range(-len(module.normalized_shape), 0))


def save_layer_norm(module, x):
    x = x.detach()
    var, mean = torch.var_mean(x, dim=_last_dims(module), unbiased=False, keepdim=True)
    return (x - mean) / torch.sqrt(var + module.eps)


def layer_norm_forms(name, module, selected, calls, batch):
    width = math.prod(module.normalized_shape)
    xhat = _cat_calls([_tokens(x, batch, width) for x, _ in calls])
    signals = _cat_calls([_tokens(d, batch, width) for _, d in calls])
    both = module.weight is not None and module.bias is not None and selected >= {"weight", "bias"}
    if both and xhat.shape[1] == 1:  # one vector per sample: the engine's own LayerNorm term
        return [NormPair(name, xhat[:, 0], signals[:, 0])]
    return _norm_sums(name, module, selected, xhat, signals)


def save_rms_norm(module, x):
    x = x.detach()
    eps = module.eps if module.eps is not None else torch.finfo(x.dtype).eps
    return x * torch.rsqrt(x.pow(2).mean(dim=_last_dims(module), keepdim=True) + eps)


def rms_norm_forms(name, module, selected, calls, batch):
    width = math.prod(module.normalized_shape)
    xhat = _cat_calls([_tokens(x, batch, width) for x, _ in calls])
    signals = _cat_calls([_tokens(d, batch, width) for _, d in calls])
    return _norm_sums(name, module, selected, xhat, signals)


def save_group_norm(module, x):
    return F.group_norm(x.detach(), module.num_groups, eps=module.eps)


def save_batch_norm(module, x):
    if module.training or module.running_mean is None:
        raise ValueError(f"{type(module).__name__} normalises with the statistics of the whole batch (training mode "
                         "or no running statistics), so one sample's gradient depends on the others: call "
                         "model.eval() first")
    shape = (1, -1) + (1,) * (x.dim() - 2)
    return (x.detach() - module.running_mean.view(shape)) / torch.sqrt(module.running_var.view(shape) + module.eps)


def channel_norm_forms(name, module, selected, calls, batch):
    """GroupNorm and BatchNorm (eval): per-channel gain and shift over (P, C, *spatial)."""
    channels = calls[0][0].shape[1]
    xhat = _cat_calls([x.reshape(batch, channels, -1).transpose(1, 2) for x, _ in calls])
    signals = _cat_calls([d.reshape(batch, channels, -1).transpose(1, 2) for _, d in calls])
    return _norm_sums(name, module, selected, xhat, signals)


def _rms_norm_type():
    return getattr(torch.nn, "RMSNorm", None)  # torch >= 2.4


def form_of(module):
    """(save, forms) for a module with an exact form, else None."""
    nn = torch.nn
    if isinstance(module, nn.Linear):
        return save_linear, linear_forms
    if isinstance(module, (nn.Conv1d, nn.Conv2d)):
        return save_conv, conv_forms
    if isinstance(module, nn.Embedding) and not module.scale_grad_by_freq:
        return save_embedding, embedding_forms
    if isinstance(module, nn.LayerNorm):
        return save_layer_norm, layer_norm_forms
    rms = _rms_norm_type()
    if rms is not None and isinstance(module, rms):
        return save_rms_norm, rms_norm_forms
    if isinstance(module, nn.GroupNorm):
        return save_group_norm, channel_norm_forms
    if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)):
        return save_batch_norm, channel_norm_forms
    return None
