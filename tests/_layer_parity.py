"""Run one functional layer with minitorch and with PyTorch on the same arrays and compare the output,
the grad_fn name and the gradients of every input that requires grad."""
import numpy as np

import minitorch

TOL = {np.float32: dict(rtol=1e-4, atol=1e-5), np.float64: dict(rtol=1e-9, atol=1e-10)}


def to_lib(lib, value, grad):
    """A numpy array as a tensor of `lib` (requiring grad when floating and `grad`); other values as is."""
    if isinstance(value, np.ndarray):
        return lib.tensor(value, requires_grad=grad and value.dtype.kind == "f")
    return value


def run(lib, fn, arrays, grads, kwargs, seed=0):
    """fn(lib, *tensors, **kwargs); returns (output array, grad_fn name, gradient arrays)."""
    tensors = [to_lib(lib, a, g) for a, g in zip(arrays, grads)]
    out = fn(lib, *tensors, **kwargs)
    name = out.grad_fn.name() if out.grad_fn is not None else None
    result = out.detach().numpy().copy()
    if out.requires_grad:
        weights = np.random.default_rng(seed).standard_normal(out.shape).astype(result.dtype)
        (out * lib.tensor(weights)).sum().backward()
    return result, name, [t.grad.numpy() if g and t.grad is not None else None
                          for t, g in zip(tensors, grads)]


def compare(torch, fn, arrays, grads, dtype, names=True, **kwargs):
    """Assert that minitorch and torch agree on fn (written against the library passed as first argument);
    names=False skips the grad_fn name (composite results whose last op torch names by its overload)."""
    ours, theirs = run(minitorch, fn, arrays, grads, kwargs), run(torch, fn, arrays, grads, kwargs)
    tol = TOL[dtype]
    np.testing.assert_allclose(ours[0], theirs[0], **tol)
    assert ours[0].dtype == theirs[0].dtype
    assert ours[1] == theirs[1] or not names
    for a, b in zip(ours[2], theirs[2]):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, **tol)
    return ours


def randn(shape, dtype, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)
