"""Which parameters a loss-gradient embedding covers (amf.gradient_features).

A *unit* is a module that owns trainable parameters directly (requires_grad; frozen ones are
never part of the embedding). Units are ordered by when they first run in a forward pass (a
module that never runs itself, like nn.MultiheadAttention's out_proj whose weight the attention
function reads directly, sits right after the nearest ancestor that runs); units that neither
run nor sit under a running module have a zero gradient and are left out.
"""
from . import _arguments


class RunOrder:
    """Forward pre-hooks on every module: the order in which modules first run."""

    def __init__(self, model):
        self.order = {}
        self._handles = [m.register_forward_pre_hook(self._seen(name)) for name, m in model.named_modules()]

    def _seen(self, name):
        def hook(module, args):
            self.order.setdefault(name, len(self.order))
        return hook

    def remove(self):
        for h in self._handles:
            h.remove()


def trainable_units(model):
    """{unit name: {local parameter name: parameter}} of the modules owning trainable parameters."""
    units = {}
    for name, module in model.named_modules():
        own = {local: p for local, p in module.named_parameters(recurse=False) if p.requires_grad}
        if own:
            units[name] = own
    return units


def ordered_units(units, run_order):
    """The unit names in run order; units with no running module at or above them are dropped."""
    keyed = []
    for name in units:
        path = name.split(".") if name else []
        for depth in range(len(path), -1, -1):
            ancestor = ".".join(path[:depth])
            if ancestor in run_order:
                # Not running itself: right after the ancestor that does (and its other children).
                keyed.append(((run_order[ancestor], depth != len(path)), name))
                break
    return [name for _, name in sorted(keyed)]


def choose(units, order, parameters, *, fn):
    """{unit name: set of local parameter names} that `parameters` selects: "all", "head" (the
    last unit to run: the action head), an int k (the last k units), or a list of unit (module)
    or parameter names."""
    if isinstance(parameters, str):
        _arguments.choice(parameters, "parameters", ("all", "head"), fn=fn)
        names = order if parameters == "all" else order[-1:]
        return {n: set(units[n]) for n in names}
    if isinstance(parameters, int) and not isinstance(parameters, bool):
        k = _arguments.integer(parameters, "parameters", 1, max(1, len(order)), fn=fn)
        return {n: set(units[n]) for n in order[-k:]}
    if not isinstance(parameters, (list, tuple)) or not all(isinstance(p, str) for p in parameters):
        _arguments.fail(fn, "parameters", '"all", "head", an int or a list of module or parameter names',
                        _arguments._describe(parameters), TypeError)
    chosen = {}
    for wanted in parameters:
        hit = False
        for unit in order:
            if wanted == unit:
                chosen.setdefault(unit, set()).update(units[unit])
                hit = True
            for local in units[unit]:
                if wanted == (f"{unit}.{local}" if unit else local):
                    chosen.setdefault(unit, set()).add(local)
                    hit = True
        if not hit:
            _arguments.fail(fn, "parameters", "names of modules or parameters that are trainable and run in the "
                            f"forward pass ({', '.join(order[:8])}{', ...' if len(order) > 8 else ''})",
                            repr(wanted))
    return {unit: chosen[unit] for unit in order if unit in chosen}


def projection_for(projection, unit, *, fn):
    """The projection dimension of a unit: projection is None (exact), an int, or a dict from
    unit names to an int or None, with an optional "default" entry."""
    if isinstance(projection, dict):
        value = projection.get(unit, projection.get("default"))
    else:
        value = projection
    if value is None:
        return None
    return _arguments.integer(value, f"projection[{unit!r}]" if isinstance(projection, dict) else "projection", 1,
                              1 << 24, fn=fn)


def module_of(model, unit):
    return model.get_submodule(unit) if unit else model

