"""Chapter 05 exercises: initialization.

Run `python -m grader --chapter 05` from the repository root to check your answers."""
import math  # noqa: F401  (you may need it)

import minitorch as torch  # noqa: F401  (you may need it)
from minitorch import nn  # noqa: F401


def init_weights(module):
    """ch05.1: a function to pass to `Module.apply`.

    If `module` is an nn.Linear: fill its weight with nn.init.kaiming_normal_ for ReLU
    (nonlinearity='relu') and its bias (when it has one) with zeros. Any other module is left untouched.
    Nothing may be recorded by autograd.

    Hint: `isinstance`, `nn.init.kaiming_normal_`, `nn.init.zeros_`; decorate with `@torch.no_grad()`
    if you fill tensors yourself."""
    raise NotImplementedError("ch05.1: kaiming-normal Linear weights, zero biases")


def count_zero_weights(rows, cols, sparsity, std=0.01):
    """ch05.2: fill a fresh float32 tensor of shape (rows, cols) with nn.init.sparse_(w, sparsity, std)
    and return a pair of Python ints (zeros found, zeros expected).

    `zeros expected` is what sparse_ promises: in every column, ceil(sparsity * rows) entries are zero.

    Hint: `(w == 0).sum().item()`; `math.ceil`."""
    raise NotImplementedError("ch05.2: count the zeros left by sparse_ and the number expected")


def my_uniform_(tensor, gain=1.0):
    """ch05.3: your own fan-in scaled uniform initialization.

    Fill `tensor` in place with samples from U(-b, b), b = gain * sqrt(3 / fan_in), and return it.
    A weight is shaped (out_features, in_features, *kernel): fan_in = in_features * (product of the
    kernel sizes) -- compute it yourself, do not call nn.init's private helpers. Raise ValueError for
    a tensor with fewer than 2 dimensions. Record no autograd history.

    Hint: `math.prod(tensor.shape[2:])` is 1 for a 2-D weight; `nn.init.uniform_(tensor, a, b)` fills
    in place without recording history."""
    raise NotImplementedError("ch05.3: compute fan_in and fill U(-b, b) with b = gain*sqrt(3/fan_in)")
