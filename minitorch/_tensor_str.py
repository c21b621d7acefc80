"""Tensor printing: `repr(t)` / `str(t)` laid out exactly as PyTorch prints them, and `set_printoptions`.

The layout rules (shared column width, fixed/integer/scientific choice, line wrapping, `...` summaries,
suffix order) follow torch's observable output; the values are read once into a NumPy array on the host."""
import math

import numpy as np

from . import _dtype

_PROFILES = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80), "full": (4, math.inf, 3, 80)}


class _PrintOptions:
    """The current print settings; `set_printoptions` changes them."""

    def __init__(self):
        self.precision, self.threshold, self.edgeitems, self.linewidth = _PROFILES["default"]
        self.sci_mode = None


PRINT_OPTS = _PrintOptions()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None,
                     sci_mode=None):
    """Set how tensors print, as `torch.set_printoptions`: `profile` ('default', 'short' or 'full') sets
    all four numbers, which the other arguments then override; `sci_mode` (None = choose automatically)
    is set on every call."""
    if profile in _PROFILES:
        PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = _PROFILES[profile]
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


class _Formatter:
    """Decides, from the values that will be shown, one style and one column width for every element:
    integers as `3.`, fixed point with `precision` decimals, or scientific notation."""

    def __init__(self, values, floating):
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        if not floating:
            if values.size:
                self.max_width = max(len(str(values.min().item())), len(str(values.max().item())))
            return
        shown = values[np.isfinite(values) & (values != 0)].astype(np.float64)
        if not shown.size:
            return
        magnitude = np.abs(shown)
        smallest, largest = float(magnitude.min()), float(magnitude.max())
        self.int_mode = bool(np.all(shown == np.ceil(shown)))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = bool(largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4)
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        # The longest text belongs to the largest or smallest magnitude of either sign.
        extremes = [part[i] for part in (shown[shown > 0], shown[shown < 0]) if part.size
                    for i in (np.argmin(np.abs(part)), np.argmax(np.abs(part)))]
        if self.sci_mode:
            texts = [f"{v:.{PRINT_OPTS.precision}e}" for v in extremes]
        elif self.int_mode:
            texts = [f"{v:.0f}." for v in extremes]
        else:
            texts = [f"{v:.{PRINT_OPTS.precision}f}" for v in extremes]
        self.max_width = max(len(t) for t in texts)

    def format(self, value):
        """One element (a Python number) as text, right-aligned to the shared width."""
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:.{PRINT_OPTS.precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{PRINT_OPTS.precision}f}"
        return text.rjust(self.max_width)


def _summarized(a):
    """Only the elements a summarised print shows: `edgeitems` from each end of every dimension."""
    edge = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        return np.concatenate((a[:edge], a[a.shape[0] - edge:])) if a.shape[0] > 2 * edge else a
    if not edge:
        return a[(slice(0, 0),) * a.ndim]
    rows = range(a.shape[0])
    if a.shape[0] > 2 * edge:
        rows = list(range(edge)) + list(range(a.shape[0] - edge, a.shape[0]))
    return np.stack([_summarized(a[i]) for i in rows])


def _vector(a, indent, summarize, fmt):
    """One row `[x, y, ...]`, wrapped to the line width with the continuation indented under the `[`."""
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / (fmt.max_width + 2)))
    edge = PRINT_OPTS.edgeitems
    if summarize and not edge:
        items = ["..."]
    elif summarize and a.shape[0] > 2 * edge:
        items = ([fmt.format(v) for v in a[:edge].tolist()] + [" ..."]
                 + [fmt.format(v) for v in a[-edge:].tolist()])
    else:
        items = [fmt.format(v) for v in a.tolist()]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(a, indent, summarize, fmt):
    """The bracketed text of `a`; sub-blocks of an n-d array are separated by n-1 newlines."""
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector(a, indent, summarize, fmt)
    edge = PRINT_OPTS.edgeitems
    if summarize and a.shape[0] > 2 * edge:
        blocks = ([_nested(a[i], indent + 1, summarize, fmt) for i in range(edge)] + ["..."]
                  + [_nested(a[i], indent + 1, summarize, fmt) for i in range(a.shape[0] - edge, a.shape[0])])
    else:
        blocks = [_nested(row, indent + 1, summarize, fmt) for row in a]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(blocks) + "]"


def _add_suffixes(text, suffixes, indent):
    """Append `, key=value` parts, starting a new indented line where one would pass the line width."""
    parts = [text]
    line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            line_len += len(suffix) + 2
    return "".join(parts) + ")"


def _parameter_class(cls):
    """True for minitorch's nn.Parameter (found by name, so printing does not import nn)."""
    return cls.__name__ == "Parameter" and cls.__module__.startswith("minitorch")


def tensor_repr(t):
    """`repr(t)` as torch writes it, e.g. `tensor([1.0000, 2.5000], device='cuda:0', requires_grad=True)`."""
    from ._tensor import Tensor
    cls = type(t)
    plain = cls is Tensor or _parameter_class(cls)
    prefix = "tensor(" if plain else f"{cls.__name__}("
    indent = len(prefix)
    dtype = t.dtype
    suffixes = [f"device='{t.device}'"] if not t.is_cpu else []
    if t.is_meta:  # no values to show
        suffixes.append(f"size={tuple(t._data.shape)}")
        if dtype is not _dtype.get_default_dtype():
            suffixes.append(f"dtype={dtype}")
        return _finish_repr(t, prefix + "...", suffixes, indent, plain)
    data = t._data if t.is_cpu else t._data.get()
    if dtype is _dtype.bfloat16:
        data = data.astype(np.float32)
    if data.size == 0:
        if data.ndim != 1:
            suffixes.append(f"size={tuple(data.shape)}")
        if dtype is not _dtype.get_default_dtype():
            suffixes.append(f"dtype={dtype}")
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(data.shape)}")
        if dtype not in (_dtype.get_default_dtype(), _dtype.int64, _dtype.bool):
            suffixes.append(f"dtype={dtype}")
        summarize = data.size > PRINT_OPTS.threshold
        fmt = _Formatter((_summarized(data) if summarize else data).reshape(-1), dtype.is_floating_point)
        body = _nested(data, indent, summarize, fmt)
    return _finish_repr(t, prefix + body, suffixes, indent, plain)


def _finish_repr(t, text, suffixes, indent, plain):
    """Add the autograd suffix and the closing parenthesis (and Parameter(...) around subclasses of it)."""
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    text = _add_suffixes(text, suffixes, indent)
    if not plain and any(_parameter_class(c) for c in type(t).__mro__):
        text = f"Parameter({text})"
    return text
