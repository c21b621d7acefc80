"""torch.optim.Rprop: resilient backpropagation. Only the sign of the gradient is used; each coordinate's
step size grows by etaplus while the sign holds and shrinks by etaminus when it flips."""
from .._device import array_module
from .._tensor import Tensor
from .optimizer import Optimizer, check_lr, step_counter, zeros_state

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """s = sign(g * prev);  step_size *= etaplus where s > 0, etaminus where s < 0 (clamped to step_sizes);
    where the sign flipped g is taken as 0;  p -= sign(g) * step_size;  prev = g."""

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            (etaminus, etaplus), (smallest, largest) = group["etas"], group["step_sizes"]
            for p, g in self._grads(group):
                state = self.state[p]
                xp = array_module(p._data)
                if len(state) == 0:
                    state["step"] = step_counter()
                    state["prev"] = zeros_state(p)
                    state["step_size"] = Tensor._wrap(xp.full_like(g, float(group["lr"])))
                state["step"]._data += 1
                prev, step_size = state["prev"]._data, state["step_size"]._data
                g = -g if group["maximize"] else g.copy()
                agreement = xp.sign(g * prev)
                factor = xp.where(agreement > 0, etaplus, xp.where(agreement < 0, etaminus, 1)).astype(g.dtype)
                step_size *= factor
                xp.clip(step_size, smallest, largest, out=step_size)
                g[factor == etaminus] = 0
                p._data -= xp.sign(g) * step_size
                prev[...] = g
                p._bump_version()
        return loss
