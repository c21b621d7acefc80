"""torch.optim.Muon: momentum SGD for 2-D weights whose update is orthogonalised: a few Newton-Schulz
iterations (in bfloat16, as torch does) map the momentum matrix to roughly U V^T of its SVD."""
import math

import numpy as np

from .._device import array_module
from .._tensor import Tensor
from .optimizer import Optimizer, lerp_, zeros_state

__all__ = ["Muon"]


class Muon(Optimizer):
    """buf = lerp(buf, g, 1 - momentum);  u = lerp(g, buf, momentum) with nesterov, else buf;
    O = NewtonSchulz(u);  p *= 1 - lr * weight_decay;  p -= adjusted_lr * O."""

    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=(3.4445, -4.775, 2.0315), eps=1e-7, ns_steps=5, adjust_lr_fn=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in ["original", "match_rms_adamw"]:
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = {"lr": lr, "weight_decay": weight_decay, "momentum": momentum, "nesterov": nesterov,
                    "ns_coefficients": ns_coefficients, "eps": eps, "ns_steps": ns_steps,
                    "adjust_lr_fn": adjust_lr_fn}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError(f"Muon only supports 2D parameters whereas we found a parameter with size: "
                                     f"{p.size()}")

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, momentum = float(group["lr"]), group["momentum"]
            for p, g in self._grads(group):
                if g.ndim != 2:
                    raise ValueError("Param gradient must be a 2D matrix")
                state = self.state[p]
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = zeros_state(p)
                xp = array_module(g)
                buf = state["momentum_buffer"]._data
                lerp_(xp, buf, g, 1 - momentum, xp.empty_like(buf))
                update = buf
                if group["nesterov"]:
                    update = g.copy()
                    lerp_(xp, update, buf, momentum, xp.empty_like(buf))
                update = _newton_schulz(xp, update, group["ns_coefficients"], group["ns_steps"], group["eps"])
                p._data *= 1 - lr * group["weight_decay"]
                p._data += -_adjusted_lr(lr, group["adjust_lr_fn"], p.shape) * update
                p._bump_version()
        return loss


def _bf16(xp, a):
    """`a` (float32) rounded to the nearest bfloat16 value (ties to even), kept as float32: the top 16 bits."""
    bits = a.astype(np.float32).view(np.uint32)
    bits = (bits + np.uint32(0x7FFF) + ((bits >> np.uint32(16)) & np.uint32(1))) & np.uint32(0xFFFF0000)
    return bits.view(np.float32)


def _newton_schulz(xp, grad, coefficients, steps, eps):
    """The quintic Newton-Schulz iteration X <- a X + (b G + c G G) X with G = X X^T, from X = grad / |grad|,
    on the wide orientation of the matrix; every intermediate is rounded to bfloat16 as torch's are."""
    if steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if len(coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = coefficients
    tall = grad.shape[0] > grad.shape[1]
    x = _bf16(xp, grad.T if tall else grad)
    x = _bf16(xp, x / _bf16(xp, xp.maximum(_bf16(xp, xp.sqrt((x * x).sum())), eps)))
    for _ in range(steps):
        gram = _bf16(xp, x @ x.T)
        gram_update = _bf16(xp, b * gram + c * (gram @ gram))
        x = _bf16(xp, a * x + gram_update @ x)
    return x.T if tall else x


def _adjusted_lr(lr, adjust_lr_fn, shape):
    """Muon's learning rate for a (rows, cols) weight: scaled by sqrt(max(1, rows / cols)) ("original"), or
    by 0.2 sqrt(max(rows, cols)) to match AdamW's update RMS ("match_rms_adamw")."""
    rows, cols = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        return lr * math.sqrt(max(1, rows / cols))
    if adjust_lr_fn == "match_rms_adamw":
        return lr * 0.2 * math.sqrt(max(rows, cols))
    return lr
