"""torch.optim.Adam: adaptive moment estimation, with optional AMSGrad and decoupled weight decay."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._device import array_module
from .._tensor import Tensor
from ..backends.cuda import uses_kernels
from .optimizer import Optimizer, effective_grad, foreach_slice, lerp_, step_counter

__all__ = ["Adam"]


def _scalar(x):
    """A 1-element tensor hyper-parameter as a Python number."""
    return x.item() if isinstance(x, Tensor) else x


class Adam(Optimizer):
    """m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g (v = max over steps with amsgrad);
    p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps). Weight decay adds weight_decay * p
    to g, or with decoupled_weight_decay (AdamW) scales p by 1 - lr * weight_decay first."""

    def __init__(self, params: Iterable[Any], lr: float | Tensor = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None, decoupled_weight_decay: bool = False) -> None:
        if isinstance(lr, Tensor):
            if foreach and not capturable:
                raise ValueError("lr as a Tensor is not supported for capturable=False and foreach=True")
            if lr.numel() != 1:
                raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not (all(isinstance(b, float) for b in betas) or all(isinstance(b, Tensor) for b in betas)):
            raise ValueError("betas must be either both floats or both Tensors")
        for i, b in enumerate(betas):
            if isinstance(b, Tensor) and b.numel() != 1:
                raise ValueError(f"Tensor betas[{i}] must be 1-element")
        defaults = {"lr": lr, "betas": tuple(map(_scalar, betas)), "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("amsgrad", False)
            group.setdefault("maximize", False)
            group.setdefault("decoupled_weight_decay", False)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, (beta1, beta2) = float(group["lr"]), group["betas"]
            for p, g in self._grads(group):
                state = self.state[p]
                if len(state) == 0:
                    xp = array_module(p._data)
                    state["step"] = step_counter()
                    state["exp_avg"] = Tensor._wrap(xp.zeros_like(p._data))
                    state["exp_avg_sq"] = Tensor._wrap(xp.zeros_like(p._data))
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = Tensor._wrap(xp.zeros_like(p._data))
                state["step"]._data += 1
                vmax = state["max_exp_avg_sq"]._data if group["amsgrad"] else None
                _adam(p._data, g, state["exp_avg"]._data, state["exp_avg_sq"]._data, vmax,
                      state["step"].item(), lr, beta1, beta2, group["eps"], group["weight_decay"],
                      group["decoupled_weight_decay"], group["maximize"])
                p._bump_version()
        return loss


def _adam(p, g, m, v, vmax, step, lr, beta1, beta2, eps, weight_decay, decoupled, maximize):
    """Adam's update at step number `step` of the arrays p, m, v (and vmax), in place; fused on cuda."""
    xp = array_module(p)
    if uses_kernels(p) and all(a is None or a.flags.c_contiguous for a in (p, m, v, vmax)):
        from ..backends.cuda import ops
        ops.adam_step(p, g, m, v, vmax, step, lr, beta1, beta2, eps, weight_decay, decoupled, maximize)
        return
    step_size = lr / (1 - beta1 ** step)
    bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
    l2 = 0 if decoupled else weight_decay

    def kernel(p, g, m, v, vmax, grad_out, scratch):
        if decoupled and weight_decay:
            p *= 1 - lr * weight_decay
        g = effective_grad(xp, p, g, l2, maximize, grad_out)
        lerp_(xp, m, g, 1 - beta1, scratch)
        v *= beta2
        xp.multiply(g, 1 - beta2, out=scratch)
        scratch *= g
        v += scratch
        if vmax is not None:
            xp.maximum(vmax, v, out=vmax)
        xp.sqrt(v if vmax is None else vmax, out=scratch)
        scratch /= bias_correction2_sqrt
        scratch += eps
        xp.divide(m, scratch, out=scratch)
        scratch *= -step_size
        p += scratch
    foreach_slice(kernel, (p, g, m, v, vmax), 2)
