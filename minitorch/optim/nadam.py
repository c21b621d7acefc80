"""torch.optim.NAdam: Adam with Nesterov momentum, whose momentum coefficient warms up over the first steps
(the momentum_decay schedule of Dozat's paper)."""
from .._device import array_module
from .optimizer import (Optimizer, check_betas, check_lr, check_nonnegative, effective_grad, lerp_, step_counter,
                        zeros_state)

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay));  m = lerp(m, g, 1 - beta1);
    v = beta2 * v + (1 - beta2) * g * g;  denom = sqrt(v / (1 - beta2^t)) + eps;
    p -= lr * (1 - mu_t) / (1 - prod mu) * g / denom + lr * mu_{t+1} / (1 - prod mu * mu_{t+1}) * m / denom."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        check_lr(lr)
        check_nonnegative(epsilon=eps)
        check_betas(betas)
        check_nonnegative(weight_decay=weight_decay, momentum_decay=momentum_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
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
                    state["mu_product"] = step_counter(1.0)
                    state["exp_avg"] = zeros_state(p)
                    state["exp_avg_sq"] = zeros_state(p)
                x, exp_avg, exp_avg_sq = p._data, state["exp_avg"]._data, state["exp_avg_sq"]._data
                xp = array_module(x)
                state["step"]._data += 1
                step = state["step"].item()
                if decoupled:
                    x *= 1 - lr * weight_decay
                g = effective_grad(xp, x, g, 0 if decoupled else weight_decay, group["maximize"], xp.empty_like(g))
                mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * group["momentum_decay"]))
                mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * group["momentum_decay"]))
                state["mu_product"]._data *= mu
                mu_product = state["mu_product"].item()
                lerp_(xp, exp_avg, g, 1 - beta1, xp.empty_like(g))
                exp_avg_sq *= beta2
                exp_avg_sq += (1 - beta2) * g * g
                denom = xp.sqrt(exp_avg_sq / (1 - beta2 ** step))
                denom += group["eps"]
                x += -lr * (1.0 - mu) / (1.0 - mu_product) * (g / denom)
                x += -lr * mu_next / (1.0 - mu_product * mu_next) * (exp_avg / denom)
                p._bump_version()
        return loss
