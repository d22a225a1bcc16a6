"""Checks of the public functions' arguments, in one place so that every function words them alike.

Each check takes the value, the argument's name and ``fn``, the public function's name, and
returns the value in the form the engine takes, or raises ``amf.InvalidArgument`` (a
ValueError) for a bad value and TypeError for a wrong type, worded
"<fn>: <name> must be ..., got ...". The engine checks again what it can (shapes, NaN in the
problem arrays, ranges); these checks come first because a wrong Python type reaching pybind
gives a TypeError listing the whole C++ signature, and because some mistakes (complex or
fractional values, bool or float counts, an extra clip value) it would silently convert.
"""
import math
import numbers
import os
import sys
from collections.abc import Mapping, Set

import numpy as np

from ._amf import InvalidArgument

INT32_MAX = 2**31 - 1  # the engine's int (batch_size)
INT64_MAX = 2**63 - 1  # the engine's std::int64_t (offsets, byte counts)
DEMO_KEYS = ("task", "states", "actions")
LAYER_KINDS = ("linear", "linear-no-bias", "layernorm")


def fail(fn, name, must, got, error=InvalidArgument):
    """Raise error (InvalidArgument for a bad value, TypeError for a wrong type) in the one wording."""
    raise error(f"{fn}: {name} must be {must}, got {got}")


def _describe(value):
    """What a message says it got: short scalars by value, anything else by type."""
    if value is None or isinstance(value, (str, bytes, numbers.Number, np.generic)):
        text = repr(value)
        return text if len(text) <= 60 else text[:57] + "..."
    return f"a value of type {type(value).__name__}"


def _either(options):
    return " or ".join(f"'{o}'" for o in options)


def _is_tensor(x):
    # No torch import: if torch is not loaded, x cannot be one of its tensors.
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def _scalar(value):
    """0-d numpy arrays and torch tensors (and numpy scalars) as Python scalars, so that one
    isinstance test covers them: float() took them before, and a 0-d bool or complex is refused
    like a Python one."""
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        return value.item()
    return value


def integer(value, name, lo, hi, *, fn, optional=False):
    """An int (or numpy integer) in [lo, hi]; not bool, float or str. optional: None passes."""
    if optional and value is None:
        return None
    # hi = INT64_MAX is the C++ type's limit, not a documented bound: say ">= lo".
    bounds = f">= {lo} (and < 2**63)" if hi == INT64_MAX else f"in [{lo}, {hi}]"
    either = "None or " if optional else ""
    v = _scalar(value)
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        fail(fn, name, f"{either}an integer {bounds}", _describe(value), TypeError)
    if not lo <= v <= hi:
        fail(fn, name, f"{either}{bounds}", v)
    return int(v)


def real(value, name, *, fn, positive=False, nonnegative=False):
    """A finite int or float (numpy scalars too) as a float; not bool, complex or str."""
    must = "a finite number > 0" if positive else "a finite number >= 0" if nonnegative else "a finite number"
    v = _scalar(value)
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        fail(fn, name, must, _describe(value), TypeError)
    try:
        v = float(v)
    except OverflowError:  # an int beyond float's range: not finite either
        v = math.inf if v > 0 else -math.inf
    if not math.isfinite(v) or (positive and not v > 0) or (nonnegative and not v >= 0):
        fail(fn, name, must, v)
    return v


def clip_pair(value, name, *, fn):
    """(lo, hi): exactly two finite numbers with lo < hi, from a tuple, list, array or tensor."""
    must = "a (lo, hi) pair of finite numbers with lo < hi"
    no_pair = (str, bytes, Mapping, Set)  # sized, but text, keys or unordered
    if isinstance(value, no_pair) or getattr(value, "ndim", 1) == 0 or not hasattr(value, "__len__"):
        fail(fn, name, must, _describe(value), TypeError)
    items = list(value)
    if len(items) != 2:
        fail(fn, name, must, f"length {len(items)}")
    lo, hi = (real(v, f"{name}[{i}]", fn=fn) for i, v in enumerate(items))
    if not lo < hi:
        fail(fn, name, must, (lo, hi))
    return lo, hi


def flag(value, name, *, fn):
    """True or False (a numpy bool too); a truthy string such as "no" is not a flag."""
    v = _scalar(value)
    if not isinstance(v, bool):
        fail(fn, name, "True or False", _describe(value), TypeError)
    return v


def text(value, name, *, fn):
    """A str (its allowed values are the engine's to check and name)."""
    if not isinstance(value, str):
        fail(fn, name, "a string", _describe(value), TypeError)
    return value


def choice(value, name, options, *, fn):
    """One of the strings options (where Python, not the engine, reads the value)."""
    if text(value, name, fn=fn) not in options:
        fail(fn, name, _either(options), repr(value))
    return value


def selection_settings(noise_variance, clip, min_weight, batch_size, *, fn):
    """(noise_variance, clip, min_weight, batch_size), the settings AMF-GP and AMF-NN share. The
    engine takes batch_size as a 32-bit int; it checks min_weight's range [0, 1) itself."""
    return (real(noise_variance, "noise_variance", fn=fn, positive=True), clip_pair(clip, "clip", fn=fn),
            real(min_weight, "min_weight", fn=fn), integer(batch_size, "batch_size", 1, INT32_MAX, fn=fn))


def path(value, name, *, fn, optional=False):
    """A file or directory name: str, bytes or os.PathLike; optional: None passes."""
    if optional and value is None:
        return None
    if not isinstance(value, (str, bytes, os.PathLike)):
        either = "None or " if optional else ""
        fail(fn, name, f"{either}a path (str or os.PathLike)", _describe(value), TypeError)
    return os.fspath(value)


def strings(value, name, *, fn):
    """A list or tuple of str; a bare str would be taken as its characters."""
    if not isinstance(value, (list, tuple)):
        fail(fn, name, "a list of strings", _describe(value), TypeError)
    for i, v in enumerate(value):
        text(v, f"{name}[{i}]", fn=fn)
    return list(value)


def as_numpy(x, name, fn=None):
    """torch tensors (and anything else with __dlpack__) as numpy arrays, zero-copy through DLPack
    for CPU tensors; numpy arrays and array-likes pass through unchanged. bfloat16 and bool
    tensors are converted to float64 first (a copy): numpy has no bfloat16, DLPack no bool."""
    if isinstance(x, np.ndarray) or not hasattr(x, "__dlpack__"):
        return x
    where = f"{fn}: {name}" if fn else name
    device = getattr(x, "device", None)
    if device is not None and getattr(device, "type", "cpu") != "cpu":
        raise InvalidArgument(f"{where} must be a CPU tensor (this amf module computes on the CPU), got a tensor "
                              f"on {device}: pass {name}.cpu()")
    if getattr(x, "requires_grad", False):
        x = x.detach()
    if _is_tensor(x) and str(x.dtype) in ("torch.bfloat16", "torch.bool"):
        x = x.double()
    try:
        return np.from_dlpack(x)
    except (BufferError, RuntimeError, TypeError) as e:  # e.g. a complex tensor with its conjugate bit set
        raise TypeError(f"{where} must be an array of real numbers, got a {type(x).__name__} of dtype "
                        f"{getattr(x, 'dtype', '?')} that DLPack cannot export ({e})") from e


def _array(x, name, fn):
    """x as a numpy array; a ragged nested list is named, not left to numpy's message."""
    a = as_numpy(x, name, fn)
    if isinstance(a, np.ndarray):
        return a
    try:
        return np.asarray(a)
    except (ValueError, TypeError) as e:
        raise InvalidArgument(f"{fn}: {name} must be a rectangular array of real numbers, got a ragged or "
                              f"irregular {type(x).__name__} ({e})") from e


def _on_cuda(x):
    return _is_tensor(x) and x.device.type == "cuda"


def device_float_array(x, name, *, fn, ndim=None):
    """For the engine's AMF-NN inputs: a CUDA tensor stays where it is (the engine reads it in
    place through DLPack: float32 and float64 as they are, other real types converted on the device
    to float64, rows made contiguous); anything else goes through float_array."""
    if not _on_cuda(x):
        return float_array(x, name, fn=fn, ndim=ndim)
    if x.is_complex() or str(x.dtype) == "torch.bool":
        fail(fn, name, "an array of real numbers", f"dtype {x.dtype}", TypeError)
    x = x.detach()
    if str(x.dtype) not in ("torch.float32", "torch.float64"):
        x = x.double()
    if ndim is not None and x.ndim != ndim:
        fail(fn, name, f"a {ndim}-D array", f"shape {tuple(x.shape)}")
    if x.ndim >= 1 and x.stride(-1) != 1:
        x = x.contiguous()
    return x


def float_array(x, name, *, fn, ndim=None, finite=False, optional=False):
    """A numpy array (or nested list, or torch CPU tensor) of real numbers: float of any width,
    int or bool, left in its dtype for the engine to convert to float64 (bfloat16 tensors come
    back as float64). Complex, object, string and other dtypes are refused (TypeError), and ragged
    lists. ndim: the number of dimensions it must have; finite: refuse NaN and inf here, for
    arrays the engine does not check before it uses them (demonstrations it writes to a file);
    optional: None passes."""
    if optional and x is None:
        return None
    a = _array(x, name, fn)
    if a.dtype.kind not in "fiub":
        # None or another lone object became a 0-d object array: name the object, not that dtype.
        got = _describe(x) if a.ndim == 0 else f"dtype {a.dtype}"
        fail(fn, name, "an array of real numbers (float, int or bool)", got, TypeError)
    if ndim is not None and a.ndim != ndim:
        fail(fn, name, f"a {ndim}-D array", f"shape {a.shape}")
    if finite:
        bad = np.argwhere(~np.isfinite(a))
        if len(bad):
            fail(fn, name, "finite", f"{a[tuple(bad[0])]} at {list(bad[0])}")
    return a


def tensor_or_array(x, name, *, fn):
    """For torch code: a tensor passes on its own device (torch converts its dtype) unless it is
    complex; anything else goes through float_array."""
    if not _is_tensor(x):
        return float_array(x, name, fn=fn)
    if x.is_complex():
        fail(fn, name, "an array of real numbers", f"dtype {x.dtype}", TypeError)
    return x


def index_array(x, name, *, fn, optional=False):
    """An int64 array of indices or offsets. Integer arrays are taken as they are; float arrays
    (np.loadtxt gives those) only if every value is a whole number, so a fractional offset is
    refused rather than truncated. bool and other dtypes are refused. optional: None passes."""
    if optional and x is None:
        return None
    a = _array(x, name, fn)
    if a.dtype.kind == "u" and a.size and a.max() > INT64_MAX:
        fail(fn, name, "integers below 2**63", f"{a.max()}")
    if a.dtype.kind == "f":
        bad = np.argwhere(~(np.isfinite(a) & (np.round(a) == a) & (np.abs(a) < 2.0**63)))
        if len(bad):
            fail(fn, name, "whole numbers (an integer array)", f"{a[tuple(bad[0])]} at {list(bad[0])}")
    elif a.dtype.kind not in "iu":
        fail(fn, name, "an integer array", f"dtype {a.dtype}", TypeError)
    return a.astype(np.int64, copy=False)


def record(value, name, keys, *, fn):
    """A dict holding every one of keys."""
    if not isinstance(value, Mapping):
        fail(fn, name, f"a dict with {_listed(keys)}", _describe(value), TypeError)
    for key in keys:
        if key not in value:
            fail(fn, name, f"a dict with {_listed(keys)}", f"one without '{key}'")
    return value


def _listed(keys):
    quoted = [f"'{k}'" for k in keys]
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


def demonstrations(demos, name, *, fn):
    """A non-empty list of demonstrations: dicts with a (dc,) 'task', (T, ds) 'states' and (T, da)
    'actions' of finite real numbers, every one with the sizes of the first. Returns a list of
    (task, states, actions) arrays."""
    must = f"a non-empty list of dicts with {_listed(DEMO_KEYS)}"
    # A dict alone is one demonstration, not a list of them; a str or array is no list of dicts.
    if isinstance(demos, (str, bytes, Mapping, np.ndarray)) or not hasattr(demos, "__iter__"):
        fail(fn, name, must, _describe(demos), TypeError)
    demos = list(demos)
    if not demos:
        fail(fn, name, must, "an empty list")
    out = [_demonstration(d, f"{name}[{i}]", fn) for i, d in enumerate(demos)]
    for i, arrays in enumerate(out[1:], 1):
        _same_sizes(arrays, out[0], f"{name}[{i}]", f"{name}[0]", fn)
    return out


def _demonstration(demo, where, fn):
    record(demo, where, DEMO_KEYS, fn=fn)
    task, states, actions = (float_array(demo[key], f"{where}['{key}']", fn=fn, ndim=ndim, finite=True)
                             for key, ndim in zip(DEMO_KEYS, (1, 2, 2)))
    if len(actions) != len(states):
        fail(fn, f"{where}['actions']", f"{len(states)} rows like {where}['states']", f"shape {actions.shape}")
    return task, states, actions


def _same_sizes(arrays, first, where, first_where, fn):
    # Pooled demonstrations share the task, state and action dimensions.
    for key, a, b in zip(DEMO_KEYS, arrays, first):
        if a.shape[-1] != b.shape[-1]:
            fail(fn, f"{where}['{key}']", f"{b.shape[-1]} wide like {first_where}['{key}']", f"shape {a.shape}")


def features(value, name, *, fn):
    """Features: an array of explicit embeddings, or a list of terms: (kind, inputs, signals)
    layers with kind "linear", "linear-no-bias" or "layernorm" (the factorised form; a Linear
    layer's inputs and signals may be (points, tokens, width) token sequences) and
    ("explicit", embedding) parts; each part named on its own. Returned as the engine takes them:
    the explicit parts side by side as one ("explicit", array) term, and each layer as
    (kind, inputs, signals, tokens) with 2-D (points, tokens x width) arrays."""
    if not isinstance(value, (list, tuple)):
        return device_float_array(value, name, fn=fn)
    terms, explicit = [], []
    for i, item in enumerate(value):
        term = _term(item, f"{name}[{i}]", fn)
        (explicit if term[0] == "explicit" else terms).append(term)
    if explicit and len(explicit) == 1 and _on_cuda(explicit[0][1]):
        terms.append(explicit[0])
    elif explicit:
        parts = [np.asarray(as_numpy(e, name, fn), dtype=np.float64) for _, e in explicit]
        for i, part in enumerate(parts):
            if part.ndim != 2 or len(part) != len(parts[0]):
                fail(fn, f"{name} explicit part {i}", f"a (points, width) array with {len(parts[0])} rows",
                     f"shape {part.shape}")
        terms.append(("explicit", parts[0] if len(parts) == 1 else np.hstack(parts)))
    return terms


def _term(item, name, fn):
    must = "a (kind, inputs, signals) triple or an (\"explicit\", embedding) pair"
    if not isinstance(item, (list, tuple)):
        fail(fn, name, must, _describe(item), TypeError)
    if len(item) == 2 and isinstance(item[0], str) and item[0] == "explicit":
        return "explicit", device_float_array(item[1], f"{name}[1]", fn=fn, ndim=2)
    if len(item) != 3:
        fail(fn, name, must, f"length {len(item)}")
    kind, inputs, signals = item
    if not isinstance(kind, str) or kind not in LAYER_KINDS:
        fail(fn, f"{name}[0]", _either(LAYER_KINDS + ("explicit",)), f"layer kind {kind!r}")
    inputs, signals = device_float_array(inputs, f"{name}[1]", fn=fn), device_float_array(signals, f"{name}[2]", fn=fn)
    if inputs.ndim == 3 and kind != "layernorm":
        if signals.ndim != 3 or signals.shape[:2] != inputs.shape[:2]:
            fail(fn, f"{name}[2]", f"(points, tokens, width) signals with the {inputs.shape[:2]} points and tokens "
                 "of the inputs", f"shape {signals.shape}")
        tokens = inputs.shape[1]
        def rows(a):  # (points, tokens x width), on the array's own device
            return a.reshape(len(a), -1).contiguous() if _on_cuda(a) else np.ascontiguousarray(a).reshape(len(a), -1)
        return kind, rows(inputs), rows(signals), tokens
    return kind, inputs, signals, 1


def torch_module(value, name, *, fn):
    """A torch.nn.Module (torch is loaded by the caller already)."""
    import torch

    if not isinstance(value, torch.nn.Module):
        fail(fn, name, "a torch.nn.Module", _describe(value), TypeError)
    return value
