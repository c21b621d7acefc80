"""Helpers for the core parity tests (tensors, dtypes, creation, pointwise ops, autograd): run one scenario,
written once against a library argument `L`, with minitorch and with PyTorch, and compare what a learner
observes: values (floats within a tolerance fitting their dtype), dtypes, shapes, requires_grad, grad_fn
names, and the type and message of a raised exception."""
import numpy as np

import minitorch

# relative tolerance per dtype: the libraries may round the last bit of a transcendental differently
_RTOL = {"torch.float16": 2e-3, "torch.bfloat16": 1e-2, "torch.float32": 2e-6, "torch.float64": 1e-12}


class Tensorish:
    """A tensor as observed: dtype, shape, requires_grad, grad_fn name and values."""

    def __init__(self, t):
        self.dtype = str(t.dtype)
        self.shape = tuple(t.shape)
        self.requires_grad = t.requires_grad
        self.grad_fn = t.grad_fn.name() if t.grad_fn is not None else None
        data = t.detach()
        if self.dtype == "torch.bfloat16":
            data = data.float()
        self.values = np.array(data.cpu().numpy() if hasattr(data, "cpu") else data.numpy())

    def _meta(self):
        return (self.dtype, self.shape, self.requires_grad, self.grad_fn)

    def __eq__(self, other):
        if not isinstance(other, Tensorish) or self._meta() != other._meta():
            return False
        if self.values.dtype.kind == "f":
            return np.allclose(self.values, other.values, rtol=_RTOL[self.dtype], atol=_RTOL[self.dtype] * 1e-3,
                               equal_nan=True) and bool((np.signbit(self.values) == np.signbit(other.values))[
                                   (self.values == 0) & (other.values == 0)].all())
        return np.array_equal(self.values, other.values)

    def __repr__(self):
        return (f"Tensor(dtype={self.dtype}, shape={self.shape}, requires_grad={self.requires_grad}, "
                f"grad_fn={self.grad_fn}, values={self.values.tolist()})")


def normalize(x):
    """A comparable observation of `x`: tensors, dtypes, devices, sizes and graph nodes become plain data."""
    if hasattr(x, "grad_fn") and hasattr(x, "dtype") and hasattr(x, "shape"):
        return Tensorish(x)
    if isinstance(x, (list, tuple)) and not hasattr(x, "numel"):
        return [normalize(v) for v in x]
    if isinstance(x, dict):
        return {k: normalize(v) for k, v in x.items()}
    if hasattr(x, "next_functions") and hasattr(x, "name"):
        return ("node", x.name())
    if hasattr(x, "numel") and isinstance(x, tuple):  # torch.Size
        return ("Size", tuple(x))
    if type(x).__name__ in ("dtype", "device"):
        return (type(x).__name__, str(x))
    return x


def observe(scenario, lib):
    """normalize(scenario(lib)), or ('raised', type name, message) when it raises."""
    try:
        return normalize(scenario(lib))
    except Exception as e:  # noqa: BLE001 - the exception is the observation
        return ("raised", type(e).__name__, str(e).replace("minitorch.", "torch."))


def same(torch, scenario):
    """Run `scenario(L)` with both libraries; assert that a learner would see the same; return ours."""
    ours, theirs = observe(scenario, minitorch), observe(scenario, torch)
    assert ours == theirs, f"\n minitorch: {ours!r}\n torch:     {theirs!r}"
    return ours


def raises_same(torch, scenario):
    """Like `same`, and the scenario must raise."""
    ours = same(torch, scenario)
    assert isinstance(ours, tuple) and ours[0] == "raised", f"expected an exception, got {ours!r}"
