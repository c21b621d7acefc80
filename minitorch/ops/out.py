"""The `out=` keyword of the minitorch.* functions whose torch signature has it: the result is written into the
given tensor (or tuple of tensors), which is returned.

torch's rules, applied after computing the result as usual:
- an `out` of another shape is resized to the result's (with torch's deprecation warning unless it was empty);
- an `out` of another dtype receives the result cast to it where the op allows (by default, a cast that keeps
  or raises the category bool < integer < floating), else torch's error for that op (see _RULES);
- out= does not take part in autograd: with grad mode on, no argument (out included) may require grad."""
import functools

import numpy as np

from .. import _warnings
from .._tensor import Tensor
from ..autograd import grad_mode
from .reduce import return_type


def _found(name, have, want):
    return RuntimeError(f"Found dtype {want.scalar_name} but expected {have.scalar_name}")


def _cast(name, have, want):
    if have._category > want._category:
        return RuntimeError(f"result type {have.scalar_name} can't be cast to the desired output type "
                            f"{want.scalar_name}")


def _exact(name, have, want):
    return RuntimeError(f"Expected out tensor to have dtype {have.cpp_name}, but got {want.cpp_name} instead")


def _message(text, kind=RuntimeError):
    """A rule that refuses any other dtype with one fixed message (formatted with name, have and want)."""
    return lambda name, have, want: kind(text.format(name=name, have=have.scalar_name, want=want.scalar_name))


def _unless(accepts, refuse):
    """A rule that takes the out dtypes `accepts(have, want)` allows and refuses the others with `refuse`."""
    return lambda name, have, want: None if accepts(have, want) else refuse(name, have, want)


# How each op's out= treats a dtype other than its result's (torch 2.13's kernels differ): returns the exception
# to raise, or None to cast the result into out. Ops not listed follow _cast.
_RULES = {
    ("abs", "bitwise_not", "ceil", "clamp", "clamp_max", "clamp_min", "clip", "floor", "neg", "negative", "round",
     "sign", "trunc"): _found,
    ("argmax", "argmin", "bmm", "diag", "gather", "log_softmax", "matmul", "max", "min", "mm", "msort", "norm",
     "softmax", "sort", "topk", "tril", "triu"): _exact,
    ("bernoulli", "eq", "ge", "greater", "greater_equal", "gt", "le", "less", "less_equal", "logical_and",
     "logical_not", "logical_or", "logical_xor", "lt", "ne", "not_equal", "prod", "sum"): lambda name, have, want: None,
    ("all", "any"): _unless(lambda have, want: want.name == "bool",
                            _message("{name} only supports bool tensor for result, got: {want}")),
    ("amax", "amin"): _message("Expected the dtype for input and out to match, but got {have} for input's dtype and "
                               "{want} for out's dtype."),
    ("cat", "concat", "concatenate", "hstack", "stack", "vstack"):
        _unless(lambda have, want: have._category <= want._category,
                _message("torch.cat(): input types can't be cast to the desired output type {want}", TypeError)),
    ("cumsum",): _unless(lambda have, want: want.name != "bool",
                         _message("\"cumsum_out_cpu\" not implemented for '{want}'", NotImplementedError)),
    ("dot",): _message("result dtype {want} does not match input dtype {have}"),
    ("index_select", "masked_select"): _message("{name}(): self and result must have the same scalar type"),
    ("kthvalue",): _message("output values must be of same type as input"),
    ("logsumexp",): _unless(lambda have, want: want.is_floating_point,
                            _message("logsumexp(): Expected floating point type for result tensor, but got: {want}")),
    ("multinomial",): _message("multinomial expects Long tensor out, got: {want}"),
    ("mv",): _message("addmv input tensors must have the same dtype, but got {want}, {have}, and {have}"),
    ("nan_to_num",): _message("nan_to_num: dtype of out: {want} should be same as input: {have}"),
    ("nonzero",): _message("nonzero: Expected out tensor to have scalar type Long but got scalar type{want}"),
    ("take",): _message("take(): self and out expected to have the same dtype, but got self.dtype = {have} and "
                        "out.dtype = {want}"),
    ("where",): _message("Expected out type to be {have} but got {want}"),
}
RULE_OF = {name: rule for names, rule in _RULES.items() for name in names}
RULE_OF.update({name: _cast for name in (
    "acos", "add", "addcdiv", "addcmul", "arccos", "arcsin", "arctan", "asin", "atan", "bitwise_and", "bitwise_or",
    "bitwise_xor", "cos", "cosh", "div", "divide", "erf", "erfc", "exp", "expm1", "floor_divide", "fmod", "ger",
    "lerp", "log", "log10", "log1p", "log2", "maximum", "mean", "minimum", "mul", "multiply", "outer", "pow",
    "reciprocal", "remainder", "rsqrt", "sigmoid", "sin", "sinh", "sqrt", "square", "std", "sub", "subtract", "tan",
    "tanh", "true_divide", "var")})
_OUT_TYPES = {}  # the torch.return_types.<op>_out class of a (values, indices) result
_IN_OUT_DTYPE = ("sum", "prod", "cumsum")  # computed in out's dtype (their dtype= argument), not cast afterwards
_SILENT_RESIZE = ("bernoulli",)  # kernels that resize out without the deprecation warning


def with_out(fn, name):
    """`fn` taking out= as torch's function `name` does."""
    rule = RULE_OF[name]
    name = {"concat": "cat", "concatenate": "cat"}.get(name, name)

    @functools.wraps(fn)
    def op(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        outs = out if isinstance(out, (tuple, list)) else (out,)
        if not all(isinstance(o, Tensor) for o in outs):
            raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
        if grad_mode._state["enabled"] and any(_requires_grad(a) for a in (*args, *kwargs.values(), *outs)):
            raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                               "differentiation, but one of the arguments requires grad.")
        if name in _IN_OUT_DTYPE and kwargs.get("dtype") is None:
            error = rule(name, outs[0].dtype, outs[0].dtype)
            if error is not None:
                raise error
            kwargs["dtype"] = outs[0].dtype
        result = fn(*args, **kwargs)
        results = result if isinstance(result, tuple) else (result,)
        if len(results) != len(outs):
            raise TypeError(f"{name}(): argument 'out' must be a tuple of {len(results)} Tensors")
        for r, o in zip(results, outs):
            if o.device != r.device:
                raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two devices, "
                                   f"{r.device} and {o.device}!")
            if r.dtype is not o.dtype:
                error = rule(name, r.dtype, o.dtype)
                if error is not None:
                    raise error
        for r, o in zip(results, outs):
            write(r, o, warn=name not in _SILENT_RESIZE)
        if not isinstance(result, tuple):
            return out
        kind = type(result).__name__ + "_out"
        if kind not in _OUT_TYPES:
            _OUT_TYPES[kind] = return_type(kind)
        return _OUT_TYPES[kind](outs)
    return op


def _requires_grad(arg):
    if isinstance(arg, Tensor):
        return arg.requires_grad
    return isinstance(arg, (list, tuple)) and any(_requires_grad(a) for a in arg)


def write(result, out, warn=True):
    """Copy `result` into `out`, resizing `out` first where its shape differs (torch's warning unless empty)."""
    data = result._data
    if out._data.shape != data.shape:
        if out._data.size and warn:
            _warnings.warn(f"An output with one or more elements was resized since it had shape "
                           f"{list(out._data.shape)}, which does not match the required output shape "
                           f"{list(data.shape)}. This behavior is deprecated, and in a future PyTorch release "
                           f"outputs will not be resized unless they have zero elements. You can explicitly reuse "
                           f"an out tensor t by resizing it, inplace, to zero elements with t.resize_(0).")
        out._data = data.astype(out._data.dtype, copy=True)
    else:
        with np.errstate(all="ignore"):
            out._data[...] = data
    out._bump_version()
