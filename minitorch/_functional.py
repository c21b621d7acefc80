"""Function transforms and control flow that torch offers at the top level: vmap (run a function over a
batch dim), cond and while_loop (data-dependent control flow), compile, and the small predicates typename
and is_tensor. minitorch runs every program eagerly: vmap loops over the batch and stacks the results, cond and
while_loop run their branches as Python, and compile returns the model or function unchanged."""
from ._tensor import Tensor, type_name
from .ops.shape import movedim, select, stack

__all__ = ["vmap", "cond", "while_loop", "compile", "typename", "is_tensor"]


def _per_argument(in_dims, args):
    if isinstance(in_dims, (tuple, list)):
        if len(in_dims) != len(args):
            raise ValueError(f"vmap(f, in_dims={tuple(in_dims)}, ...)(<inputs>): in_dims is not compatible with the "
                             f"structure of `inputs`. in_dims has structure {len(in_dims)} but inputs has structure "
                             f"{len(args)}.")
        return list(in_dims)
    return [in_dims if isinstance(a, Tensor) else None for a in args]


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """`func` applied to every slice of its tensor arguments along their `in_dims` (None: not mapped), the
    results stacked along `out_dims`: the batched version of a per-sample function."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got "
                           f"{randomness}")

    def batched(*args, **kwargs):
        dims = _per_argument(in_dims, args)
        sizes = [a.shape[d] for a, d in zip(args, dims) if d is not None]
        if not sizes:
            raise ValueError(f"vmap({getattr(func, '__name__', func)}, in_dims={in_dims}, ...)(<inputs>): at least "
                             "one input must be a Tensor mapped over a dimension (in_dims is not None everywhere)")
        if len(set(sizes)) > 1:
            raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                             f"{sizes} for the mapped dimension")
        results = [func(*(select(a, d, i) if d is not None else a for a, d in zip(args, dims)), **kwargs)
                   for i in range(sizes[0])]
        single = not isinstance(results[0], tuple)
        columns = [[r] if single else list(r) for r in results]
        outs = tuple(stack([c[k] for c in columns], 0) for k in range(len(columns[0])))
        places = [out_dims] * len(outs) if not isinstance(out_dims, (tuple, list)) else list(out_dims)
        outs = tuple(movedim(o, 0, d) if d else o for o, d in zip(outs, places))
        return outs[0] if single else outs
    return batched


def cond(pred, true_fn, false_fn, operands=()):
    """true_fn(*operands) if pred (a bool or a one-element tensor) holds, else false_fn(*operands)."""
    if not isinstance(operands, (tuple, list)):
        raise RuntimeError(f"Expect operands to be a tuple of possibly nested dict/list/tuple that only consists of "
                           f"tensor leaves, but got {operands}.")
    if isinstance(pred, Tensor) and pred.numel() != 1:
        raise RuntimeError(f"Expected pred to be bool or single-element tensor, but got {pred}.")
    return (true_fn if bool(pred) else false_fn)(*operands)


def while_loop(cond_fn, body_fn, carried_inputs):
    """Repeat carried = body_fn(*carried) while cond_fn(*carried) holds; returns the final carried values."""
    if not isinstance(carried_inputs, (tuple, list)):
        raise RuntimeError(f"carried_inputs must be a tuple or list but got {type(carried_inputs)}")
    carried = tuple(carried_inputs)
    while bool(cond_fn(*carried)):
        out = body_fn(*carried)
        carried = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    return carried


_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None, options=None,
            disable=False, **kwargs):
    """torch.compile's interface with torch's checks of mode and options. minitorch has no compiler: the model
    (or function) comes back unchanged and runs eagerly, with the same results."""
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified at the same time.")
    if mode is not None and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")
    if model is None:
        return lambda fn: compile(fn, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode,
                                  options=options, disable=disable, **kwargs)
    if not callable(model):
        raise RuntimeError("model must be callable")
    return model


def typename(obj, /):
    """The type's name as torch writes it: 'torch.FloatTensor' for a tensor, module.qualname otherwise."""
    if isinstance(obj, Tensor):
        return type_name(obj.dtype, obj.is_cuda)
    cls = obj if isinstance(obj, type) else type(obj)
    module = cls.__module__
    return cls.__qualname__ if module in (None, "builtins") else f"{module}.{cls.__qualname__}"


def is_tensor(obj, /):
    """Whether `obj` is a tensor."""
    return isinstance(obj, Tensor)
