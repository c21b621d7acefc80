"""Chapter 03 exercises: training with modules.

Replace each `raise NotImplementedError(...)` with your code, then run `python -m grader --chapter 03`."""
import minitorch as torch


class MySGD:
    """ch03.1: stochastic gradient descent from scratch, making the same updates as `torch.optim.SGD`.

    `MySGD(params, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False)`; `step()` updates every
    parameter that has a gradient (skip those whose .grad is None), `zero_grad()` sets every .grad to None.
    For each parameter p with gradient g, one step is:

        g = g + weight_decay * p                    (if weight_decay != 0)
        if momentum != 0:
            buf = g (first step)  or  buf = momentum * buf + (1 - dampening) * g   (later steps)
            g = g + momentum * buf  if nesterov  else  buf
        p = p - lr * g

    Hint: keep one momentum buffer per parameter (a dict keyed by position, or a list); update p in place
    under `torch.no_grad()` (e.g. `p.sub_(lr * g)`), so autograd does not record the update."""

    def __init__(self, params, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False):
        raise NotImplementedError("ch03.1: store the parameters (as a list), the settings and empty buffers")

    def zero_grad(self):
        raise NotImplementedError("ch03.1: set every parameter's .grad to None")

    def step(self):
        raise NotImplementedError("ch03.1: apply one SGD update (weight decay, momentum, nesterov) in place")


def train_one_epoch(model, loader, loss_fn, optimizer):
    """ch03.2: one pass over `loader` in training mode, one optimizer step per batch; return the mean loss
    per sample as a Python float.

    For each batch (inputs, targets): compute loss_fn(model(inputs), targets), zero the gradients, backward,
    step. The mean per sample weights each batch's loss by its size: sum(loss_b * n_b) / sum(n_b).

    Hint: call model.train() first; `loss.item()` is a float; `len(targets)` is the batch size."""
    raise NotImplementedError("ch03.2: loop over the loader: forward, loss, zero_grad, backward, step")


def accuracy(model, loader):
    """ch03.3: the fraction (a float in [0, 1]) of samples in `loader` whose predicted class
    (the argmax of the model's outputs over dim 1) equals the target.

    Evaluate in evaluation mode and without recording a graph.

    Hint: model.eval(); `with torch.no_grad():`; `(pred == targets).sum().item()` counts matches."""
    raise NotImplementedError("ch03.3: count correct argmax predictions in eval mode under no_grad")
