"""Helpers for the tensor-op parity tests (reductions, shapes, indexing, matrix products): run one op,
written once against a library argument `lib`, with minitorch and with PyTorch on the same numpy data and
compare values, dtypes, shapes, grad_fn names, input gradients and errors; gradcheck it in float64 with
double backward; and compare its cuda results with its cpu ones."""
import numpy as np
import pytest

import minitorch
from minitorch.autograd import gradcheck


def data(shape, dtype="float64", seed=0):
    """Random numpy data of `dtype`: normals for floats, small integers, or random booleans."""
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if dtype in ("uint8",):
        return rng.integers(0, 6, shape).astype(dtype)
    if np.dtype(dtype).kind == "i":
        return rng.integers(-5, 6, shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def _tensors(lib, arrays, grad):
    return [lib.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]


def flat(out):
    """An op's outputs as a list (ops like max(dim) or split return a tuple)."""
    return list(out) if isinstance(out, tuple) else [out]


def _close(ours, theirs, dtype):
    tol = {"float64": 1e-9, "float16": 1e-2}.get(dtype, 2e-5)
    np.testing.assert_allclose(np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64),
                               rtol=tol, atol=tol, equal_nan=True)


def _describe(t):
    return str(t.dtype), tuple(t.shape), t.grad_fn.name() if t.grad_fn is not None else None


def compare(torch, fn, *arrays, grad=True):
    """Run fn(lib, *tensors) with minitorch and with torch on the same numpy `arrays`; assert the outputs
    have the same dtypes, shapes, grad_fn names and values, and that the gradients of the float inputs
    (for the same random output gradient) match. Returns minitorch's outputs."""
    results = {}
    for lib in (minitorch, torch):
        inputs = _tensors(lib, arrays, grad)
        outs = flat(fn(lib, *inputs))
        grads = None
        wanted = [t for t in inputs if t.requires_grad]
        live = [o for o in outs if o.requires_grad]
        if wanted and live:
            seeds = [lib.tensor(data(tuple(o.shape), str(o.dtype).split(".")[1], seed=7)) for o in live]
            grads = lib.autograd.grad(live, wanted, seeds, allow_unused=True)
        results[lib.__name__] = outs, grads
    (ours, our_grads), (theirs, their_grads) = results["minitorch"], results["torch"]
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        assert _describe(o) == _describe(t)
        _close(o.detach().numpy(), t.detach().numpy(), str(t.dtype).split(".")[1])
    assert (our_grads is None) == (their_grads is None)
    for o, t in zip(our_grads or (), their_grads or ()):
        assert (o is None) == (t is None)
        if o is not None:
            assert _describe(o)[:2] == _describe(t)[:2]
            _close(o.numpy(), t.numpy(), str(t.dtype).split(".")[1])
    return ours


def same_error(torch, fn, *arrays):
    """fn raises the same exception type and message with minitorch as with torch."""
    seen = []
    for lib in (minitorch, torch):
        inputs = _tensors(lib, arrays, False)
        with pytest.raises(Exception) as info:
            fn(lib, *inputs)
        seen.append((type(info.value).__name__, str(info.value)))
    assert seen[0] == seen[1]


def check_grads(fn, *arrays):
    """gradcheck of fn(minitorch, *tensors) in float64, then of its gradient (computed with
    create_graph=True) as a function of both the inputs and the output gradient: double backward."""
    inputs = tuple(minitorch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays)

    def f(*xs):  # the differentiable outputs (max(dim) also returns integer indices)
        return tuple(o for o in flat(fn(minitorch, *xs)) if o.is_floating_point())
    assert gradcheck(f, inputs)
    outs = [o for o in flat(f(*inputs)) if o.requires_grad]
    seeds = tuple(minitorch.tensor(data(tuple(o.shape), seed=3), requires_grad=True) for o in outs)

    def first_grad(*args):
        xs, vs = args[:len(inputs)], args[len(inputs):]
        with minitorch.enable_grad():  # gradcheck evaluates under no_grad for its finite differences
            live = [o for o in flat(f(*xs)) if o.requires_grad]
            grads = minitorch.autograd.grad(live, xs, vs, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)
    if first_grad(*inputs, *seeds):  # norm(p=0) has no gradient at all
        assert gradcheck(first_grad, inputs + seeds)


def cuda_matches_cpu(fn, *arrays):
    """fn(minitorch, *tensors) on cuda gives the values and input gradients it gives on cpu."""
    seen = []
    for device in ("cpu", "cuda"):
        xs = [minitorch.tensor(a, device=device, requires_grad=a.dtype.kind == "f") for a in arrays]
        outs = fn(minitorch, *xs)
        outs = outs if isinstance(outs, tuple) else (outs,)
        assert all(o.device.type == device for o in outs)
        live = [o for o in outs if o.requires_grad]
        if live:
            sum((o * o).sum() for o in live).backward()
        seen.append(([o.detach().cpu().numpy() for o in outs],
                     [x.grad.cpu().numpy() if x.grad is not None else None for x in xs]))
    (cpu_outs, cpu_grads), (gpu_outs, gpu_grads) = seen
    for a, b in zip(cpu_outs + cpu_grads, gpu_outs + gpu_grads):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-6)
