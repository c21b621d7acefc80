"""The breadth of minitorch.nn measured against the installed PyTorch: every layer of torch.nn.modules.__all__
and every public torch.nn.functional function exists, with torch's signature (parameter names, kinds and
defaults), and the functions pass the dispatch door as torch's do (a TorchFunctionMode sees the same
function, positional arguments and keywords)."""
import inspect
import re

import numpy as np
import pytest

import minitorch

from ._module_parity import outcome, same
from ._ops_parity import check_grads, compare

# torch's own list leaves these to other places (lazy modules, containers' base, aliases, distributed)
_NOT_COUNTED = {"Container", "NLLLoss2d", "CrossMapLRN2d", "SyncBatchNorm"}
# float8 scaled matrix products: need float8 dtypes and scaling recipes minitorch does not have
_NOT_PROVIDED = {"scaled_mm", "scaled_grouped_mm"}


def _torch_modules(torch):
    import torch.nn.modules as modules
    return [n for n in modules.__all__ if not n.startswith("Lazy") and n not in _NOT_COUNTED]


def _torch_functions(torch):
    F = torch.nn.functional
    return [n for n in dir(F) if not n.startswith("_") and callable(getattr(F, n))
            and not inspect.isclass(getattr(F, n)) and not inspect.ismodule(getattr(F, n))]


def test_every_layer_exists(torch):
    missing = [n for n in _torch_modules(torch) if not hasattr(minitorch.nn, n)]
    assert missing == []
    for name in _torch_modules(torch):
        ours, theirs = getattr(minitorch.nn, name), getattr(torch.nn, name)
        assert issubclass(ours, minitorch.nn.Module) == issubclass(theirs, torch.nn.Module), name


def test_every_functional_exists(torch):
    missing = sorted(n for n in _torch_functions(torch) if not hasattr(minitorch.nn.functional, n))
    assert missing == sorted(_NOT_PROVIDED)


def test_functionals_keep_torchs_homes(torch):
    """F.conv3d is torch.conv3d, F.linear is torch._C._nn.linear: where torch's functional is also at home
    in torch or torch._C._nn, minitorch's is the same object there."""
    places = {"torch": (torch, minitorch), "torch._C._nn": (torch._C._nn, minitorch._C._nn)}
    differ = []
    for name in _torch_functions(torch):
        for home, (theirs, ours) in places.items():
            at_home = getattr(theirs, name, None) is getattr(torch.nn.functional, name)
            if at_home != (getattr(ours, name, None) is getattr(minitorch.nn.functional, name, False)):
                differ.append(f"{home}.{name}")
    assert differ == []


def _parameters(fn, skip_self=False):
    """[(name or '*' / '*args' / '**kwargs', kind, default)] of a signature."""
    params = list(inspect.signature(fn).parameters.values())[1 if skip_self else 0:]
    out = []
    for p in params:
        if p.kind is p.KEYWORD_ONLY and not any(name == "*" for name, _, _ in out):
            out.append(("*", None, None))
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            out.append(("*" * (p.kind - 1) + p.name, None, None))
        else:
            out.append((p.name, p.kind is p.KEYWORD_ONLY, _comparable(p.default)))
    return out


def _comparable(default):
    """Defaults as plain values (functions by name, dtypes by their string)."""
    if callable(default) and hasattr(default, "__name__"):
        return default.__name__
    return default if isinstance(default, (int, float, str, bool, tuple, type(None), type(inspect._empty))) \
        else str(default)


def _documented(fn):
    """The parameters of a torch builtin from the first line of its docstring ('f(a, b=1) -> Tensor')."""
    match = re.match(r"\w+\((.*?)\)\s*(->|$)", " ".join((fn.__doc__ or "").split()))
    assert match, fn.__name__
    out = []
    for part in (p.strip() for p in match.group(1).split(",") if p.strip()):
        if part == "*":
            out.append(("*", None, None))
            continue
        name, _, default = part.partition("=")
        value = inspect._empty if not default else eval(default.strip(), {"inf": float("inf")})  # noqa: S307
        out.append((name.strip(), any(n == "*" for n, _, _ in out), _comparable(value)))
    return out


def _torch_parameters(torch, name):
    fn = getattr(torch.nn.functional, name)
    dispatched = torch._jit_internal.boolean_dispatched.get(fn)
    if dispatched is not None:  # max_pool2d & co. are boolean dispatchers: compare the functions they choose
        fn = dispatched["if_true"]
    try:
        return _parameters(fn)
    except (TypeError, ValueError):
        return _documented(fn)


def test_functional_signatures_match_torch(torch):
    skipped = {"conv_tbc", "has_torch_function", "has_torch_function_unary", "has_torch_function_variadic",
               "Optional"}  # builtins whose docstrings give no call line, and a typing alias
    different = {}
    for name in _torch_functions(torch):
        if name in skipped | _NOT_PROVIDED:
            continue
        theirs = _torch_parameters(torch, name)
        ours = _parameters(getattr(minitorch.nn.functional, name))
        if ours != theirs:
            different[name] = (ours, theirs)
    assert different == {}


def test_layer_signatures_match_torch(torch):
    different = {}
    for name in _torch_modules(torch):
        if name in ("LSTM", "GRU", "RNN"):  # torch's take *args, **kwargs and parse them by hand
            continue
        ours = _parameters(getattr(minitorch.nn, name).__init__, skip_self=True)
        theirs = _parameters(getattr(torch.nn, name).__init__, skip_self=True)
        if ours != theirs:
            different[name] = (ours, theirs)
    assert different == {}


class _Recorder:
    """A TorchFunctionMode factory that notes (function name, positional count, keywords) of each call."""

    def __init__(self, lib):
        seen = self.seen = []

        class Mode(lib.overrides.TorchFunctionMode):
            def __torch_function__(self, func, types, args=(), kwargs=None):
                seen.append((func.__name__, len(args), sorted(kwargs or {})))
                return func(*args, **(kwargs or {}))
        self.mode = Mode


CALLS = [  # functions torch writes in Python (they hand __torch_function__ their own call form) and builtins
    lambda L, x: L.nn.functional.relu6(x), lambda L, x: L.nn.functional.celu(x, 0.5),
    lambda L, x: L.nn.functional.softmin(x, 1), lambda L, x: L.nn.functional.glu(x),
    lambda L, x: L.nn.functional.threshold(x, 0.1, 2.0), lambda L, x: L.nn.functional.hardshrink(x),
    lambda L, x: L.nn.functional.dropout2d(x.unsqueeze(0), 0.0), lambda L, x: L.nn.functional.huber_loss(x, x),
    lambda L, x: L.nn.functional.kl_div(x, x, reduction="sum"), lambda L, x: L.nn.functional.pdist(x),
    lambda L, x: L.nn.functional.cosine_similarity(x, x), lambda L, x: L.nn.functional.rms_norm(x, [4]),
    lambda L, x: L.nn.functional.instance_norm(x.unsqueeze(0)), lambda L, x: L.nn.functional.max_pool1d(x, 2),
    lambda L, x: L.nn.functional.adaptive_max_pool1d(x.unsqueeze(0), 2, True),
    lambda L, x: L.nn.functional.interpolate(x.unsqueeze(0), scale_factor=2.0),
    lambda L, x: L.nn.functional.pixel_shuffle(x.reshape(1, 4, 2, 2), 2),
    lambda L, x: L.nn.functional.scaled_dot_product_attention(x, x, x, is_causal=True),
    lambda L, x: L.nn.functional.triplet_margin_with_distance_loss(x, x, x, margin=0.5),
    lambda L, x: L.nn.functional.multi_margin_loss(x, L.tensor([0, 1, 2, 3]), p=2),
]


@pytest.mark.parametrize("index", range(len(CALLS)))
def test_functions_pass_the_dispatch_door_as_torchs(torch, index):
    def scenario(lib):
        recorder = _Recorder(lib)
        x = lib.tensor(np.arange(16.0).reshape(4, 4) / 10)
        with recorder.mode():
            CALLS[index](lib, x)
        return recorder.seen[0]
    same_call = [scenario(minitorch), scenario(torch)]
    assert same_call[0] == same_call[1]


# ----- the remaining helpers and grouped_mm -----------------------------------------------------------------
def test_helpers_behave_as_torchs(torch):
    def scenario(lib):
        F = lib.nn.functional

        def if_true(x, flag=False):
            """Doc of the true branch."""
            return "true", x

        def if_false(x, flag=False):
            return "false", x
        chooser = F.boolean_dispatch("flag", 1, False, if_true, if_false, "mod", "chooser")
        return [chooser(1), chooser(1, True), chooser(1, flag=True), chooser.__doc__, chooser.__name__,
                chooser.__module__, outcome(F.boolean_dispatch, "f", 0, False, if_true, if_true, None, None),
                F.assert_int_or_pair(3, "k", "{} bad"), F.assert_int_or_pair((1, 2), "k", "{} bad"),
                outcome(F.assert_int_or_pair, (1, 2, 3), "kernel", "{} must be an int or a pair"),
                F.has_torch_function((lib.ones(1),)), F.has_torch_function_unary(lib.ones(1)),
                F.has_torch_function_variadic(lib.ones(1), 2)]
    same(scenario, torch)


GROUPED = [
    ("2d_3d", lambda L, a, b: L.nn.functional.grouped_mm(a, b, offs=L.tensor([2, 3, 6], dtype=L.int32)),
     [(6, 8), (3, 8, 8)]),
    ("3d_3d", lambda L, a, b: L.nn.functional.grouped_mm(a, b), [(3, 4, 8), (3, 8, 8)]),
    ("2d_2d", lambda L, a, b: L.nn.functional.grouped_mm(a, b, offs=L.tensor([8, 16], dtype=L.int32)),
     [(6, 16), (16, 8)]),
]


@pytest.mark.parametrize("name,fn,shapes", GROUPED, ids=[c[0] for c in GROUPED])
def test_grouped_mm_matches_torch(torch, name, fn, shapes):
    arrays = [np.random.default_rng(i).standard_normal(s).astype(np.float32) for i, s in enumerate(shapes)]
    compare(torch, fn, *arrays)
    small = [arrays[0][:, :2], arrays[1][..., :4]] if name == "3d_3d" else arrays
    check_grads(fn, *[a.astype(np.float64) for a in small])


def test_grouped_mm_errors(torch):
    def scenario(lib):
        F = lib.nn.functional
        a, b = lib.ones(6, 8), lib.ones(3, 8, 8)
        offs = lib.tensor([2, 3, 6], dtype=lib.int32)
        return [outcome(F.grouped_mm, a, b), outcome(F.grouped_mm, a, b, offs=offs.long()),
                outcome(F.grouped_mm, a, b, offs=offs, bias=lib.ones(3, 8)),
                outcome(F.grouped_mm, a, b, offs=offs, out_dtype=lib.float64),
                outcome(F.grouped_mm, lib.ones(6, 3), lib.ones(3, 3, 3)),  # rows of 12 bytes
                outcome(F.grouped_mm, a[:, ::2], lib.ones(3, 4, 8), offs=offs),  # no contiguous dimension
                F.grouped_mm(a[:, :4], lib.ones(3, 4, 8), offs=offs).shape,  # a view of 16-byte aligned rows
                F.grouped_mm(lib.ones(3, 4, 8), b.transpose(1, 2)).shape]  # column-major mat_b
    same(scenario, torch)
