"""Torch policies for the Python studies: an MLP with fixed input standardisation, and parameter
isolation (one copy of the policy per task partition) as one ``nn.Module``.

Isolation is written as a masked sum over the copies, ``f(x) = sum_p [x routed to p] f_p(x)``,
rather than by running each copy on its rows only, so that every Linear and LayerNorm runs exactly
once on every row. That is what ``amf.loss_gradient_features`` needs: a row's back-propagated
signal at copy p is exactly zero unless the row is routed to p, so the factorised loss-gradient
kernel between points of different partitions is exactly zero, as it is for copies that share no
parameter, and no special case is needed in the engine. The cost is P forward passes per row,
cheap for the few copies of a task-isolated study.

torch is imported here: ``import amf`` does not import this module.
"""
import copy

import numpy as np
import torch


class Standardize(torch.nn.Module):
    """(x - mean) / scale with fixed buffers (no parameters: it adds nothing to the gradient)."""

    def __init__(self, mean, scale):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32).clone())
        self.register_buffer("scale", torch.as_tensor(scale, dtype=torch.float32).clone())

    def forward(self, x):
        return (x - self.mean) / self.scale


def mlp_policy(input_dim, action_dim, width=128, depth=2, mean=None, scale=None):
    """Standardize -> [Linear, LayerNorm, ReLU] -> (depth - 1) x [Linear, ReLU] -> Linear: the
    layout of amf's LibTorch MlpPolicy. mean/scale default to the identity."""
    if depth < 1 or width < 1:
        raise ValueError(f"mlp_policy: depth {depth} and width {width} must be >= 1")
    mean = torch.zeros(input_dim) if mean is None else mean
    scale = torch.ones(input_dim) if scale is None else scale
    layers = [Standardize(mean, scale), torch.nn.Linear(input_dim, width), torch.nn.LayerNorm(width), torch.nn.ReLU()]
    for _ in range(depth - 1):
        layers += [torch.nn.Linear(width, width), torch.nn.ReLU()]
    layers.append(torch.nn.Linear(width, action_dim))
    return torch.nn.Sequential(*layers)


class TaskIsolatedPolicy(torch.nn.Module):
    """P copies of a policy; each input row goes to the copy whose centre is nearest to the row's
    task vector (the input columns [task_start, task_start + dc)). With one centre per task every
    task has its own parameters: fine-tuning on one task cannot make another forget.

    route: False (the default): every forward is the masked sum. True: a forward that cannot be
    feature extraction -- with gradients off (inference, the log-probabilities of a selection)
    or in train mode (fine-tuning) -- runs each row through its own copy only, P times cheaper
    for P copies and the same function. In training, a copy with no row in the minibatch then
    gets no gradient (None) instead of an exact zero, so Adam leaves it where it is rather than
    moving it on its momentum from earlier steps. In eval mode with gradients
    on, the case of amf.loss_gradient_features, it stays the masked sum, whose hooks need every
    copy to see every row. Outputs may differ from the masked sum in the last bits (a matrix
    product over fewer rows), so it is opt-in: studies whose published results came from the
    masked sum keep them bit for bit."""

    def __init__(self, policy, centres, task_start, route=False):
        super().__init__()
        centres = torch.as_tensor(centres, dtype=torch.float32)
        if centres.dim() != 2 or centres.shape[0] < 1:
            raise ValueError(f"TaskIsolatedPolicy: centres must be (P, dc) with P >= 1, got {tuple(centres.shape)}")
        self.copies = torch.nn.ModuleList(copy.deepcopy(policy) for _ in range(centres.shape[0]))
        self.register_buffer("centres", centres.clone())
        self.task_start = int(task_start)
        self.route = bool(route)

    def partition_of(self, tasks):
        """The copy index of each task vector (rows of tasks)."""
        tasks = torch.as_tensor(tasks, dtype=self.centres.dtype, device=self.centres.device)
        if tasks.shape[-1] != self.centres.shape[1]:
            raise ValueError(f"TaskIsolatedPolicy: task vectors have {tasks.shape[-1]} entries, the centres "
                             f"{self.centres.shape[1]}")
        return torch.cdist(tasks.reshape(-1, tasks.shape[-1]), self.centres).argmin(dim=1)

    def forward(self, x):
        dc = self.centres.shape[1]
        part = self.partition_of(x[..., self.task_start:self.task_start + dc].detach())
        # Not under torch.func transforms (amf's per-sample gradients vmap the forward): a
        # routed forward's row selection has a data-dependent shape vmap cannot batch, and there
        # the masked sum is what the per-sample gradient needs anyway.
        if (self.route and x.dim() == 2 and (self.training or not torch.is_grad_enabled())
                and not torch._C._are_functorch_transforms_active()):
            return self._routed(x, part)
        out = 0
        for p, policy in enumerate(self.copies):
            out = out + (part == p).to(x.dtype).unsqueeze(-1) * policy(x)
        return out

    def _routed(self, x, part):
        out = None
        for p, policy in enumerate(self.copies):
            rows = (part == p).nonzero().squeeze(1)
            if len(rows) == 0:
                continue
            y = policy(x[rows])
            if out is None:
                out = y.new_zeros((len(x),) + y.shape[1:])
            out = out.index_copy(0, rows, y)
        return out

    def feature_groups(self, inputs):
        """The group of each input row (state and task, as forward takes it) for
        amf.feature_select_batch's candidate_groups and target_groups: the copy it routes to.
        Points of different copies share no parameter, so their loss-gradient kernel is exactly 0."""
        x = inputs.detach().cpu() if torch.is_tensor(inputs) else torch.as_tensor(np.asarray(inputs))
        dc = self.centres.shape[1]
        return self.partition_of(x[:, self.task_start:self.task_start + dc]).cpu().numpy().astype(np.int64)

    def loss_gradient_features(self, inputs, actions, *, groups=False, **options):
        """The loss-gradient features of amf.loss_gradient_features(self, inputs, actions,
        **options), the same kernel, computed copy by copy on each copy's own rows: a row's
        gradient is zero for every other copy (exactly, in the masked sum too), so those rows
        get no forward and backward pass through the other copies. P times cheaper for P
        copies, and parameters="head" means every copy's head (on the masked sum it would be the
        head that runs last, one copy's). CPU features only (on_device is refused).

        groups=False: every copy's terms on every row, zero outside the copy (P times the terms
        of one copy). groups=True: one term list, each row holding its own copy's terms, for
        amf.feature_select_batch with candidate_groups / target_groups from feature_groups() (the
        same criterion, P times less memory and Gram work). amf.select_batch_for_policy uses the
        latter."""
        from .gradient_features import FeatureTerms
        from .gradient_features import loss_gradient_features as features_of

        if options.get("on_device"):
            raise ValueError("TaskIsolatedPolicy.loss_gradient_features: on_device features are not supported")
        x = np.asarray(inputs.detach().cpu() if torch.is_tensor(inputs) else inputs)
        a = np.asarray(actions.detach().cpu() if torch.is_tensor(actions) else actions)
        part = self.feature_groups(x)
        if groups:
            return self._grouped_features(x, a, part, options)
        terms, names = [], []
        for p, policy in enumerate(self.copies):
            rows = np.flatnonzero(part == p)
            # A copy without rows still contributes its (all-zero) terms, so that every call
            # returns the same term list (candidates' and targets' features must line up).
            f = features_of(policy, x[rows] if len(rows) else x[:1], a[rows] if len(rows) else a[:1], **options)
            for term in f:
                padded = [term[0]]
                for values in term[1:]:
                    full = np.zeros((len(x),) + values.shape[1:])
                    if len(rows):
                        full[rows] = values
                    padded.append(full)
                terms.append(tuple(padded))
            names += [f"copies.{p}.{n}" for n in f.names]
        return FeatureTerms(terms, names)

    def _grouped_features(self, x, a, part, options):
        """One term list; row r holds the terms of copy part[r] (copies without rows cost nothing)."""
        from .gradient_features import FeatureTerms
        from .gradient_features import loss_gradient_features as features_of

        def form(terms):  # each term's kind and per-row shapes
            return [(t[0],) + tuple(v.shape[1:] for v in t[1:]) for t in terms]

        stacked, names, expected = None, None, None
        for p, policy in enumerate(self.copies):
            rows = np.flatnonzero(part == p)
            if not len(rows):
                continue
            f = features_of(policy, x[rows], a[rows], **options)
            shapes = form(f)
            if stacked is None:
                names, expected = list(f.names), shapes
                stacked = [[term[0]] + [np.zeros((len(x),) + v.shape[1:], dtype=v.dtype) for v in term[1:]]
                           for term in f]
            if shapes != expected:
                raise ValueError("TaskIsolatedPolicy.loss_gradient_features(groups=True): copy "
                                 f"{p}'s feature terms differ in form from the first copy's ({shapes} vs {expected}); "
                                 "use groups=False")
            for target, term in zip(stacked, f):
                for full, values in zip(target[1:], term[1:]):
                    full[rows] = values
        return FeatureTerms([tuple(t) for t in stacked], names)
