"""torch.optim.Adadelta: a per-coordinate step size from running averages of squared gradients and of
squared updates, so that the update has the units of the parameter (lr only scales it)."""
from .._device import array_module
from .optimizer import Optimizer, check_lr, check_nonnegative, effective_grad, step_counter, zeros_state

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """sq = rho * sq + (1 - rho) * g * g;  delta = sqrt(acc + eps) / sqrt(sq + eps) * g;
    acc = rho * acc + (1 - rho) * delta * delta;  p -= lr * delta."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_nonnegative(epsilon=eps, weight_decay=weight_decay)
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "capturable": capturable, "foreach": foreach, "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, rho, eps = float(group["lr"]), group["rho"], group["eps"]
            for p, g in self._grads(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = step_counter()
                    state["square_avg"] = zeros_state(p)
                    state["acc_delta"] = zeros_state(p)
                state["step"]._data += 1
                x, square_avg, acc_delta = p._data, state["square_avg"]._data, state["acc_delta"]._data
                xp = array_module(x)
                g = effective_grad(xp, x, g, group["weight_decay"], group["maximize"], xp.empty_like(g))
                square_avg *= rho
                square_avg += (1 - rho) * g * g
                delta = xp.sqrt(acc_delta + eps) / xp.sqrt(square_avg + eps) * g
                acc_delta *= rho
                acc_delta += (1 - rho) * delta * delta
                x += -lr * delta
                p._bump_version()
        return loss
