"""torch.optim.SGD: stochastic gradient descent with optional momentum, Nesterov momentum and weight decay."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._device import array_module
from .._tensor import Tensor
from ..backends import cpu
from ..backends.cuda import uses_kernels
from .optimizer import Optimizer, foreach_slice

__all__ = ["SGD"]


class SGD(Optimizer):
    """g = grad (+ weight_decay * p);  with momentum: buf = momentum * buf + (1 - dampening) * g (buf = g on
    the first step) and g = buf, or g + momentum * buf with nesterov;  p -= lr * g."""

    def __init__(self, params: Iterable[Any], lr: float | Tensor = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False, fused: bool | None = None) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
                    "nesterov": nesterov, "maximize": maximize, "foreach": foreach,
                    "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, momentum = float(group["lr"]), group["momentum"]
            for p, g in self._grads(group):
                buf = None
                first = False
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = Tensor._wrap(array_module(g).empty_like(p._data))
                        first = True
                _sgd(p._data, g, None if buf is None else buf._data, lr, momentum, group["dampening"],
                     group["weight_decay"], group["nesterov"], group["maximize"], first)
                p._bump_version()
        return loss


def _sgd(p, g, buf, lr, momentum, dampening, weight_decay, nesterov, maximize, first):
    """SGD's update of the arrays p (and momentum buffer buf), in place; the fused kernel on cuda. Every
    `a + alpha * b` of torch's formulas is an axpy: one BLAS pass with torch's fused rounding where
    `backends.cpu` can take the arrays, else a product into scratch and an addition."""
    xp = array_module(p)
    if uses_kernels(p) and all(a is None or a.flags.c_contiguous for a in (p, buf)):
        from ..backends.cuda import ops
        ops.sgd_step(p, g, buf, lr, momentum, dampening, weight_decay, nesterov, maximize, first)
        return
    blas = cpu.usable(p, g, buf)

    def axpy(alpha, x, y, scratch):  # y += alpha * x
        if blas:
            cpu.axpy(alpha, x, y)
        elif alpha == 1:
            y += x
        else:
            xp.multiply(x, alpha, out=scratch)
            y += scratch

    def kernel(p, g, buf, grad_out, scratch):
        if maximize:
            g = xp.negative(g, out=grad_out)
        if weight_decay:
            g = _copied(xp, g, grad_out)
            axpy(weight_decay, p, g, scratch)
        if buf is not None:
            if first:
                xp.copyto(buf, g)
            else:
                if blas:
                    cpu.scal(momentum, buf)
                else:
                    buf *= momentum
                axpy(1 - dampening, g, buf, scratch)
            if nesterov:
                g = _copied(xp, g, grad_out)
                axpy(momentum, buf, g, scratch)
            else:
                g = buf
        axpy(-lr, g, p, scratch)
    if blas:  # BLAS streams whole arrays in one pass each: no slices, and no scratch but the gradient's copy
        kernel(p, g, buf, xp.empty_like(p) if maximize or weight_decay or nesterov else None, None)
    else:
        foreach_slice(kernel, (p, g, buf), 2)


def _copied(xp, g, out):
    """The gradient `g` in `out`, where an update may write (never into the parameter's .grad itself)."""
    if g is not out:
        xp.copyto(out, g)
    return out
