"""torch.optim.RMSprop: divide the gradient by a running root mean square of recent gradients."""
from .._device import array_module
from .._tensor import Tensor
from .optimizer import Optimizer, effective_grad, foreach_slice, lerp_, step_counter

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """sq = alpha * sq + (1 - alpha) * g * g;  avg = sqrt(sq) + eps (sqrt(sq - mean_g^2) + eps when centered,
    mean_g = lerp(mean_g, g, 1 - alpha));  p -= lr * g / avg, or through a momentum buffer
    buf = momentum * buf + g / avg,  p -= lr * buf."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
                    "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            momentum, centered = group["momentum"], group["centered"]
            for p, g in self._grads(group):
                state = self.state[p]
                xp = array_module(p._data)
                if len(state) == 0:
                    state["step"] = step_counter()
                    state["square_avg"] = Tensor._wrap(xp.zeros_like(p._data))
                    if momentum > 0:
                        state["momentum_buffer"] = Tensor._wrap(xp.zeros_like(p._data))
                    if centered:
                        state["grad_avg"] = Tensor._wrap(xp.zeros_like(p._data))
                state["step"]._data += 1
                buf = state["momentum_buffer"]._data if momentum > 0 else None
                grad_avg = state["grad_avg"]._data if centered else None
                _rmsprop(xp, p._data, g, state["square_avg"]._data, buf, grad_avg, float(group["lr"]),
                         group["alpha"], group["eps"], group["weight_decay"], momentum, group["maximize"])
                p._bump_version()
        return loss


def _rmsprop(xp, p, g, square_avg, buf, grad_avg, lr, alpha, eps, weight_decay, momentum, maximize):
    """RMSprop's update of the arrays p, square_avg (and buf, grad_avg), in place."""
    def kernel(p, g, square_avg, buf, grad_avg, grad_out, scratch):
        g = effective_grad(xp, p, g, weight_decay, maximize, grad_out)
        square_avg *= alpha
        xp.multiply(g, 1 - alpha, out=scratch)
        scratch *= g
        square_avg += scratch
        if grad_avg is not None:
            lerp_(xp, grad_avg, g, 1 - alpha, scratch)
            xp.multiply(grad_avg, grad_avg, out=scratch)
            xp.subtract(square_avg, scratch, out=scratch)
            xp.sqrt(scratch, out=scratch)
        else:
            xp.sqrt(square_avg, out=scratch)
        scratch += eps
        xp.divide(g, scratch, out=scratch)
        if buf is not None:
            buf *= momentum
            buf += scratch
            xp.multiply(buf, -lr, out=scratch)
        else:
            scratch *= -lr
        p += scratch
    foreach_slice(kernel, (p, g, square_avg, buf, grad_avg), 2)
