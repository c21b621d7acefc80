"""`minitorch.autograd`: backward, grad, grad modes, custom Functions and gradcheck."""
import numpy as np

from .. import _dtype, _tensor  # _tensor is still loading when it imports this package: read at call time
from .._device import array_module
from ..cuda import _on_device_of
from .function import Function, FunctionCtx
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
                        set_grad_enabled)
from .graph import Node, RemovableHandle, run_backward, gradient_edge
from .gradcheck import gradcheck, gradgradcheck
from .variable import Variable
from . import profiler


def _make_grads(outputs, grad_outputs):
    """Fill in the implicit gradient of 1 for scalar outputs; reject it for non-scalar ones."""
    if len(grad_outputs) < len(outputs):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grad_outputs)} gradients")
    grads = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        data = out._data
        if g is None:
            if out._requires_grad and data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if out._requires_grad and data.dtype.kind != "f" and \
                    not _dtype.from_numpy_dtype(data.dtype).is_floating_point:
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got "
                                   f"{out.dtype}")
            if type(data) is np.ndarray:
                ones = np.empty(data.shape, data.dtype)
                ones.fill(1)
            else:
                with _on_device_of(data):
                    ones = array_module(data).ones_like(data)
            g = _tensor.Tensor._wrap(ones)
        elif not isinstance(g, _tensor.Tensor):
            raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
        elif g._data.shape != out._data.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape!r} "
                               f"and output[{i}] has a shape of {out.shape!r}.")
        elif type(g._data) is not type(out._data) or g.device != out.device:
            raise RuntimeError(f"invalid gradient at index {i} - expected device {out.device} but got {g.device}")
        grads.append(g)
    return grads


def _as_tuple(x):
    """None, or a tuple of the tensors (or grads) in `x`: one tensor, or a sequence of them."""
    if x is None or type(x) is tuple:
        return x
    return tuple(x) if isinstance(x, list) else (x,)


def _check_differentiable(outputs):
    for i, t in enumerate(outputs):
        if not t._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate gradients of `tensors` into the `.grad` of graph leaves (or only of `inputs`)."""
    tensors = _as_tuple(tensors)
    grad_tensors = _as_tuple(grad_tensors) or (None,) * len(tensors)
    inputs = _as_tuple(inputs)
    if inputs is not None and len(inputs) == 0:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    grads = _make_grads(tensors, grad_tensors)
    _check_differentiable(tensors)
    if retain_graph is None:
        retain_graph = create_graph
    results = run_backward([gradient_edge(t) for t in tensors], grads, retain_graph, create_graph,
                           inputs=inputs)
    for t, g in zip(inputs or (), results or ()):
        if t._grad_fn is not None and g is not None:  # leaves were filled by their AccumulateGrad
            g = g if create_graph else g.detach()
            t._grad = g if t._grad is None else t._grad + g


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=None,
         is_grads_batched=False, materialize_grads=False):
    """The gradients of `outputs` with respect to `inputs`, returned as a tuple (nothing is accumulated)."""
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, but got: "
                         "allow_unused=False.")
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    grad_outputs = _as_tuple(grad_outputs) or (None,) * len(outputs)
    grads = _make_grads(outputs, grad_outputs)
    _check_differentiable(outputs)
    if retain_graph is None:
        retain_graph = create_graph
    results = run_backward([gradient_edge(t) for t in outputs], grads, retain_graph, create_graph,
                           inputs=inputs, accumulate=False)
    for i, r in enumerate(results):
        if r is None:
            if materialize_grads:
                from .._creation import zeros_like
                results[i] = zeros_like(inputs[i])
            elif not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have been used in the "
                                   "graph. Set allow_unused=True if this is the desired behavior.")
    return tuple(results)


__all__ = ["Function", "FunctionCtx", "Node", "RemovableHandle", "backward", "grad", "gradcheck",
           "gradgradcheck", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_grad_enabled", "is_inference_mode_enabled", "Variable"]
