"""torch.optim.ASGD: averaged stochastic gradient descent. The parameters follow SGD with a decaying step
size eta; `ax` keeps their running average (from step t0 on), which is the estimate to use after training."""
import numpy as np

from .._device import array_module
from .optimizer import Optimizer, check_lr, check_nonnegative, effective_grad, scalar_dtype, step_counter, zeros_state

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """p *= 1 - lambd * eta;  p -= eta * g;  ax += mu * (p - ax);  then eta = lr / (1 + lambd * lr * t)^alpha
    and mu = 1 / max(1, t - t0) for the next step."""

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        check_lr(lr)
        check_nonnegative(weight_decay=weight_decay)
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, lambd = float(group["lr"]), group["lambd"]
            for p, g in self._grads(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = step_counter()
                    state["eta"] = step_counter(lr)
                    state["mu"] = step_counter(1.0)
                    state["ax"] = zeros_state(p)
                x, ax = p._data, state["ax"]._data
                xp = array_module(x)
                g = effective_grad(xp, x, g, group["weight_decay"], group["maximize"], xp.empty_like(g))
                state["step"]._data += 1
                eta = state["eta"].item()
                x *= 1 - lambd * eta
                x += -eta * g
                if state["mu"].item() != 1:
                    ax += (x - ax) * state["mu"].item()
                else:
                    ax[...] = x
                step = state["step"].item()
                state["eta"]._data[...] = np.array(lr / ((1 + lambd * lr * step) ** group["alpha"]), scalar_dtype())
                state["mu"]._data[...] = 1 / max(1, step - group["t0"])
                p._bump_version()
        return loss
