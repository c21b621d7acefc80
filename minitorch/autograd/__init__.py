"""`minitorch.autograd`: backward, grad, grad modes, custom Functions and gradcheck."""
from .function import Function, FunctionCtx
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
                        set_grad_enabled)
from .graph import Node, RemovableHandle, run_backward, gradient_edge
from .gradcheck import gradcheck, gradgradcheck


def _make_grads(outputs, grad_outputs, create_graph):
    """Fill in the implicit gradient of 1 for scalar outputs; reject it for non-scalar ones."""
    from .._creation import ones_like
    from .._tensor import Tensor
    grads = []
    for out, g in zip(outputs, grad_outputs):
        if g is None:
            if out._requires_grad and out._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not out.is_floating_point():
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got "
                                   f"{out.dtype}")
            g = ones_like(out)
        elif not isinstance(g, Tensor):
            raise TypeError(f"gradient must be a Tensor or None, got {type(g).__name__}")
        elif tuple(g.shape) != tuple(out.shape):
            raise RuntimeError(f"Mismatch in shape: grad_output[{len(grads)}] has a shape of {g.shape!r} "
                               f"and output[{len(grads)}] has a shape of {out.shape!r}.")
        elif g.device != out.device:
            raise RuntimeError(f"invalid gradient at index {len(grads)} - expected device {out.device} "
                               f"but got {g.device}")
        grads.append(g)
    return grads


def _as_tuple(x):
    from .._tensor import Tensor
    if x is None:
        return None
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate gradients of `tensors` into the `.grad` of graph leaves (or only of `inputs`)."""
    tensors = _as_tuple(tensors)
    grad_tensors = _as_tuple(grad_tensors) or (None,) * len(tensors)
    if len(grad_tensors) != len(tensors):
        raise RuntimeError(f"grad can be implicitly created only for scalar outputs")
    for t in tensors:
        if not t._requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
    if retain_graph is None:
        retain_graph = create_graph
    grads = _make_grads(tensors, grad_tensors, create_graph)
    inputs = _as_tuple(inputs)
    if inputs is not None and len(inputs) == 0:
        raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    results = run_backward([gradient_edge(t) for t in tensors], grads, retain_graph, create_graph,
                           inputs=inputs)
    for t, g in zip(inputs or (), results or ()):
        if t._grad_fn is not None and g is not None:  # leaves were filled by their AccumulateGrad
            g = g if create_graph else g.detach()
            t._grad = g if t._grad is None else t._grad + g


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=None,
         is_grads_batched=False, materialize_grads=False):
    """The gradients of `outputs` with respect to `inputs`, returned as a tuple (nothing is accumulated)."""
    outputs = _as_tuple(outputs)
    inputs_t = _as_tuple(inputs)
    grad_outputs = _as_tuple(grad_outputs) or (None,) * len(outputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    for t in outputs:
        if not t._requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
    if retain_graph is None:
        retain_graph = create_graph
    grads = _make_grads(outputs, grad_outputs, create_graph)
    results = run_backward([gradient_edge(t) for t in outputs], grads, retain_graph, create_graph,
                           inputs=inputs_t, accumulate=False)
    for i, r in enumerate(results):
        if r is None:
            if materialize_grads:
                from .._creation import zeros_like
                results[i] = zeros_like(inputs_t[i])
            elif not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been used in the "
                                   "graph. Set allow_unused=True if this is the desired behavior.")
    return tuple(results)


__all__ = ["Function", "FunctionCtx", "Node", "RemovableHandle", "backward", "grad", "gradcheck",
           "gradgradcheck", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_grad_enabled", "is_inference_mode_enabled"]
