"""torch.optim.Adagrad: per-coordinate learning rates from the running sum of squared gradients."""
from .._device import array_module
from .._tensor import Tensor
from .optimizer import Optimizer, effective_grad, foreach_slice, step_counter

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """sum += g * g;  p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(sum) + eps). The state (step 0 and
    sum = initial_accumulator_value) exists from construction on, as in torch."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = step_counter()
                state["sum"] = Tensor._wrap(array_module(p._data).full_like(p._data, initial_accumulator_value))

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            for p, g in self._grads(group):
                state = self.state[p]
                state["step"]._data += 1
                clr = float(group["lr"]) / (1 + (state["step"].item() - 1) * group["lr_decay"])
                _adagrad(array_module(p._data), p._data, g, state["sum"]._data, clr, group["eps"],
                         group["weight_decay"], group["maximize"])
                p._bump_version()
        return loss


def _adagrad(xp, p, g, state_sum, clr, eps, weight_decay, maximize):
    """Adagrad's update of the arrays p and state_sum with the decayed learning rate clr, in place."""
    def kernel(p, g, state_sum, grad_out, scratch):
        g = effective_grad(xp, p, g, weight_decay, maximize, grad_out)
        xp.multiply(g, g, out=scratch)
        state_sum += scratch
        xp.sqrt(state_sum, out=scratch)
        scratch += eps
        xp.divide(g, scratch, out=scratch)
        scratch *= -clr
        p += scratch
    foreach_slice(kernel, (p, g, state_sum), 2)
