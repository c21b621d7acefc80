"""Finite-difference checks of autograd: `gradcheck` compares every analytical Jacobian entry with
(f(x + eps) - f(x - eps)) / 2eps; `gradgradcheck` does the same for the gradient itself."""
import warnings

import numpy as np


class GradcheckError(RuntimeError):
    """Raised by gradcheck when analytical and numerical gradients disagree."""


def _outputs_tuple(out):
    return out if isinstance(out, tuple) else (out,)


def _numerical_jacobian(fn, inputs, index, eps):
    """d(all outputs flattened) / d(inputs[index] flattened), by central differences. The function runs
    with grad recording as usual (gradgradcheck's function needs it) and its outputs are read detached."""
    x = inputs[index]
    flat = x._data.reshape(-1)
    cols = []
    for k in range(flat.size):
        orig = flat[k].item()
        flat[k] = orig + eps
        plus = [np.array(o._data, dtype=np.float64).ravel() for o in _outputs_tuple(fn(*inputs))]
        flat[k] = orig - eps
        minus = [np.array(o._data, dtype=np.float64).ravel() for o in _outputs_tuple(fn(*inputs))]
        flat[k] = orig
        cols.append(np.concatenate([(p - m) / (2 * eps) for p, m in zip(plus, minus)]))
    return np.stack(cols, axis=1) if cols else np.zeros((0, 0))


def _analytical_jacobians(fn, inputs, diff_indices):
    """One Jacobian per differentiable input, built row by row with autograd.grad."""
    from . import grad
    from .._creation import zeros_like
    outputs = _outputs_tuple(fn(*inputs))
    sizes = [o.numel() for o in outputs]
    jacs = [np.zeros((sum(sizes), inputs[i].numel())) for i in diff_indices]
    row = 0
    for o, n in zip(outputs, sizes):
        for k in range(n):
            if o.requires_grad:
                g = zeros_like(o)
                g._data.reshape(-1)[k] = 1
                grads = grad(o, [inputs[i] for i in diff_indices], g, retain_graph=True, allow_unused=True)
                for j, gi in enumerate(grads):
                    if gi is not None:
                        jacs[j][row] = np.asarray(gi._data, dtype=np.float64).ravel()
            row += 1
    return jacs


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **unused):
    """True when autograd's gradients of `func` at `inputs` match finite differences. Use float64
    inputs: in lower precision the finite differences are too coarse and the check usually fails."""
    from .._creation import tensor
    from .._tensor import Tensor
    inputs = inputs if isinstance(inputs, tuple) else (inputs,)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    for i in diff:
        if inputs[i].dtype.name != "float64":
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point or complex. "
                          "This check will likely fail if all the inputs are not of double precision floating "
                          "point or complex. ", UserWarning, stacklevel=2)
    analytical = _analytical_jacobians(func, inputs, diff)
    for j, i in enumerate(diff):
        numerical = _numerical_jacobian(func, inputs, i, eps)
        if not np.allclose(analytical[j], numerical, rtol=rtol, atol=atol):
            if raise_exception:
                dtype = inputs[i].dtype
                raise GradcheckError(f"Jacobian mismatch for output 0 with respect to input {i},\n"
                                     f"numerical:{tensor(numerical, dtype=dtype)!r}\n"
                                     f"analytical:{tensor(analytical[j], dtype=dtype)!r}\n")
            return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
                  **unused):
    """gradcheck applied to the function x -> grad(func(x), x, v): checks second derivatives."""
    from . import grad
    from .._creation import randn_like
    from .._tensor import Tensor
    inputs = inputs if isinstance(inputs, tuple) else (inputs,)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    outs = _outputs_tuple(func(*inputs))
    if grad_outputs is None:
        grad_outputs = tuple(randn_like(o, dtype=o.dtype) for o in outs)

    def first_grad(*xs):
        out = _outputs_tuple(func(*xs))
        gs = grad(out, [xs[i] for i in diff], grad_outputs, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)
    return gradcheck(first_grad, inputs, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception)
