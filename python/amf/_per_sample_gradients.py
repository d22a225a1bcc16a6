"""Per-sample gradients through torch.func (vmap of grad) for the parameters that have no
factorised form (amf.gradient_features): attention's packed projections, custom modules,
anything a forward hook cannot see. Each sample's loss is evaluated on a batch of one, so the
gradients are exact whatever the model does with its batch axis; chunks of `chunk` samples
bound the memory to chunk x (the parameters' size), and each chunk may be projected before the
next is formed.
"""
import torch
from torch.func import functional_call, grad, vmap


def per_sample_gradient_chunks(model, inputs, actions, loss, names, chunk):
    """Yields, per chunk of samples, {parameter name: (chunk, *shape) gradients} for `names`."""
    params = {n: p.detach() for n, p in model.named_parameters()}
    buffers = {n: b.detach() for n, b in model.named_buffers()}
    wanted = {n: params[n] for n in names}

    def sample_loss(diff, sample_inputs, action):
        batch = tuple(x.unsqueeze(0) for x in sample_inputs)
        out = functional_call(model, ({**params, **diff}, buffers), batch)
        return loss(out, action.unsqueeze(0)).sum()

    per_sample = vmap(grad(sample_loss), in_dims=(None, 0, 0))
    count = len(actions)
    for start in range(0, count, chunk):
        stop = min(count, start + chunk)
        yield per_sample(wanted, tuple(x[start:stop] for x in inputs), actions[start:stop])


def flatten(grads, names):
    """{name: (chunk, *shape)} -> (chunk, sum of sizes), in the order of names."""
    return torch.cat([grads[n].reshape(grads[n].shape[0], -1) for n in names], dim=1)
