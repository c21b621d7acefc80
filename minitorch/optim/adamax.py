"""torch.optim.Adamax: Adam with the infinity norm in place of the root mean square of gradients."""
from .._device import array_module
from .optimizer import (Optimizer, check_betas, check_lr, check_nonnegative, effective_grad, lerp_, step_counter,
                        zeros_state)

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """m = lerp(m, g, 1 - beta1);  u = max(beta2 * u, |g| + eps);  p -= lr / (1 - beta1^t) * m / u."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        check_lr(lr)
        check_nonnegative(epsilon=eps)
        check_betas(betas)
        check_nonnegative(weight_decay=weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps = float(group["lr"]), group["betas"], group["eps"]
            for p, g in self._grads(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = step_counter()
                    state["exp_avg"] = zeros_state(p)
                    state["exp_inf"] = zeros_state(p)
                state["step"]._data += 1
                x, exp_avg, exp_inf = p._data, state["exp_avg"]._data, state["exp_inf"]._data
                xp = array_module(x)
                g = effective_grad(xp, x, g, group["weight_decay"], group["maximize"], xp.empty_like(g))
                lerp_(xp, exp_avg, g, 1 - beta1, xp.empty_like(g))
                exp_inf *= beta2
                xp.maximum(exp_inf, xp.abs(g) + eps, out=exp_inf)
                x += -lr / (1 - beta1 ** state["step"].item()) * (exp_avg / exp_inf)
                p._bump_version()
        return loss
