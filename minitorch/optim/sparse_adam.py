"""torch.optim.SparseAdam: Adam for parameters whose gradients are sparse COO tensors (such as those of
`nn.Embedding(sparse=True)` in torch): only the rows the gradient names have their moments and values
updated. A dense gradient is an error, as in torch."""
import math

from .._device import array_module
from .._tensor import Tensor
from .optimizer import Optimizer, check_betas, zeros_state

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    """For the entries g at the gradient's indices: m += (1 - beta1) * (g - m); v += (1 - beta2) * (g^2 - v);
    p -= lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps), where t counts this parameter's steps."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 < lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        check_betas(betas)
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "maximize": maximize})
        for kind, found in (("Sparse", "is_sparse"), ("Complex", "is_complex")):
            where = [[i, j] for i, group in enumerate(self.param_groups) for j, p in enumerate(group["params"])
                     if (getattr(p, found)() if found == "is_complex" else getattr(p, found))]
            if where:
                need = ("requires dense parameter tensors" if kind == "Sparse" else
                        "does not support complex parameters")
                raise ValueError(f"{kind} params at indices {where}: SparseAdam {need}")

    def step(self, closure=None):
        """One update of every parameter that has a (sparse) gradient; returns the closure's loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if not p.grad.is_sparse:
                    raise RuntimeError("SparseAdam does not support dense gradients, please consider Adam instead")
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["exp_avg"] = zeros_state(p)
                    state["exp_avg_sq"] = zeros_state(p)
                state["step"] += 1
                grad = p.grad.coalesce()
                sparse_adam_update(p._data, state["exp_avg"]._data, state["exp_avg_sq"]._data,
                                   grad._indices()._data, grad._values()._data, state["step"], float(group["lr"]),
                                   group["betas"], group["eps"], group["maximize"])
                p._bump_version()
        return loss


def sparse_adam_update(param, exp_avg, exp_avg_sq, indices, values, step, lr, betas, eps, maximize):
    """SparseAdam's update of the arrays param, exp_avg and exp_avg_sq at the rows of a coalesced COO
    gradient: `indices` (sparse_dim, nnz) distinct positions, `values` (nnz, *dense dims) the entries."""
    if values.size == 0:
        return
    xp = array_module(param)
    at = tuple(indices)
    beta1, beta2 = betas
    values = -values if maximize else values
    old_avg, old_sq = exp_avg[at], exp_avg_sq[at]
    avg_step = (values - old_avg) * (1 - beta1)
    sq_step = (values ** 2 - old_sq) * (1 - beta2)
    exp_avg[at] += avg_step
    exp_avg_sq[at] += sq_step
    denom = xp.sqrt(sq_step + old_sq) + eps
    step_size = lr * math.sqrt(1 - beta2 ** step) / (1 - beta1 ** step)
    param[at] += -step_size * ((avg_step + old_avg) / denom)
