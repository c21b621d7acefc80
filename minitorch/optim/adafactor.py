"""torch.optim.Adafactor: Adam-like steps with a factored second moment. For a matrix (and each matrix of a
batch) only the row and column means of g * g are kept, so the state is O(rows + cols) instead of O(rows * cols);
vectors keep a full running average. The step is relative to the parameter's RMS and clipped by `d`."""
import numpy as np

from .._device import array_module
from .._tensor import Tensor
from .optimizer import Optimizer, lerp_, step_counter, zeros_state

__all__ = ["Adafactor"]


class Adafactor(Optimizer):
    """With beta2_t = 1 - t^beta2_decay and rho_t = min(lr, 1 / sqrt(t)): R = lerp(R, mean_col(g^2), 1 - beta2_t),
    C = lerp(C, mean_row(g^2), 1 - beta2_t), V = R C / mean(R) (or V = lerp(V, g^2, ...) for vectors);
    u = g / sqrt(max(V, eps1^2));  p -= max(eps2, rms(p)) * rho_t / max(1, rms(u) / d) * u."""

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, *,
                 foreach=None, maximize=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = {"lr": lr, "beta2_decay": beta2_decay, "eps": eps, "d": d, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, eps2 = float(group["lr"]), group["eps"][1]
            for p, g in self._grads(group):
                x = p._data
                xp = array_module(x)
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = step_counter()
                    if g.ndim > 1:
                        state["row_var"] = zeros_state(p)[..., :1]
                        state["col_var"] = zeros_state(p)[..., :1, :]
                    else:
                        state["variance"] = zeros_state(p)
                eps1 = group["eps"][0]
                eps1 = np.finfo(x.dtype).eps if eps1 is None else eps1
                g = -g if group["maximize"] else g
                state["step"]._data += 1
                step = state["step"].item()
                weight = step ** group["beta2_decay"]
                rho = min(lr, 1 / step ** 0.5)
                alpha = max(eps2, _rms(xp, x)) * rho
                if group["weight_decay"]:
                    x *= 1 - lr * group["weight_decay"]
                if g.ndim > 1:
                    row_var, col_var = state["row_var"]._data, state["col_var"]._data
                    lerp_(xp, row_var, _mean_square(xp, g, -1), weight, xp.empty_like(row_var))
                    lerp_(xp, col_var, _mean_square(xp, g, -2), weight, xp.empty_like(col_var))
                    estimate = (row_var @ col_var) / xp.maximum(row_var.mean(axis=-2, keepdims=True), eps1)
                else:
                    variance = state["variance"]._data
                    lerp_(xp, variance, g * g, weight, xp.empty_like(variance))
                    estimate = variance
                update = g / xp.sqrt(xp.maximum(estimate, eps1 * eps1))
                x += -alpha / max(1.0, _rms(xp, update) / group["d"]) * update
                p._bump_version()
        return loss


def _rms(xp, a):
    """The root mean square of the array `a` as a Python float (its 2-norm over sqrt(numel))."""
    return float(xp.sqrt((a * a).sum())) / a.size ** 0.5


def _mean_square(xp, g, axis):
    """mean(g * g) along `axis` (kept), computed as torch does: the squared 2-norm over the length."""
    return xp.sqrt((g * g).sum(axis=axis, keepdims=True)) ** 2 / g.shape[axis]
