"""torch.optim.RAdam: Adam whose adaptive step is switched on only once the variance of its estimate is
tractable, and then scaled by the rectification term r_t (plain momentum SGD before that)."""
from .._device import array_module
from .optimizer import (Optimizer, check_betas, check_lr, check_nonnegative, effective_grad, lerp_, step_counter,
                        zeros_state)

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g;
    rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t);  when rho_t > 5:
    p -= lr * m / (1 - beta1^t) * sqrt(1 - beta2^t) / (sqrt(v) + eps) * r_t, else p -= lr * m / (1 - beta1^t)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        check_lr(lr)
        check_nonnegative(epsilon=eps)
        check_betas(betas)
        check_nonnegative(weight_decay=weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable, "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), weight_decay = float(group["lr"]), group["betas"], group["weight_decay"]
            decoupled = weight_decay and group["decoupled_weight_decay"]
            for p, g in self._grads(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = step_counter()
                    state["exp_avg"] = zeros_state(p)
                    state["exp_avg_sq"] = zeros_state(p)
                x, exp_avg, exp_avg_sq = p._data, state["exp_avg"]._data, state["exp_avg_sq"]._data
                xp = array_module(x)
                state["step"]._data += 1
                step = state["step"].item()
                if decoupled:
                    x *= 1 - lr * weight_decay
                g = effective_grad(xp, x, g, 0 if decoupled else weight_decay, group["maximize"], xp.empty_like(g))
                lerp_(xp, exp_avg, g, 1 - beta1, xp.empty_like(g))
                exp_avg_sq *= beta2
                exp_avg_sq += (1 - beta2) * g * g
                bias_correction2 = 1 - beta2 ** step
                corrected = exp_avg / (1 - beta1 ** step)
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
                if rho_t > 5.0:
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                    adaptive = bias_correction2 ** 0.5 / (xp.sqrt(exp_avg_sq) + group["eps"])
                    x -= corrected * lr * adaptive * rect
                else:
                    x -= corrected * lr
                p._bump_version()
        return loss
