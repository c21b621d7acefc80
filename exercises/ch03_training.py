"""Chapter 03 exercises: training with modules.

Replace each `raise NotImplementedError(...)` with your code, then run `python -m grader --chapter 03`."""
import minitorch as torch  # noqa: F401  (you will need it)


class MySGD:
    """ch03.1: an optimizer built from scratch (a plain class: do not use torch.optim) that makes exactly
    the updates of `torch.optim.SGD`, with parameter groups, per-parameter state and a state_dict.

    `MySGD(params, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False)`
    - `params` is an iterable of Parameters, or of dicts `{"params": [...], <setting>: value, ...}`
      (parameter groups); a setting a group does not give comes from the constructor's arguments.
    - `self.param_groups`: a list of dicts, each with "params" (a list) and the five settings "lr",
      "momentum", "dampening", "weight_decay", "nesterov". `add_param_group(group)` adds one.
    - `self.state`: a dict keyed by the parameter tensor itself, `{"momentum_buffer": tensor}`; a
      parameter has no entry before its first step with momentum.
    - ValueError, in torch's words, for lr < 0 ("Invalid learning rate: -1"), momentum < 0
      ("Invalid momentum value: -1"), weight_decay < 0 ("Invalid weight_decay value: -1"), nesterov
      without momentum or with dampening ("Nesterov momentum requires a momentum and zero dampening"),
      no parameters ("optimizer got an empty parameter list"), and a parameter in two groups
      ("some parameters appear in more than one parameter group").
    - `zero_grad()` sets every parameter's .grad to None.
    - `step()`: for each group, with the group's settings as they are now, for each parameter p whose
      gradient g is not None:

          g = g + weight_decay * p                                (if weight_decay != 0)
          if momentum != 0:
              buf = a copy of g                                   (p's first step)
              buf = momentum * buf + (1 - dampening) * g          (every later step)
              g = g + momentum * buf   if nesterov   else   buf
          p = p - lr * g                                          (in place, not recorded by autograd)

    - `state_dict()`: `{"state": {index: {"momentum_buffer": buf}}, "param_groups": [group settings
      with "params": [indices]]}`, the parameters numbered 0, 1, 2, ... across the groups in order.
    - `load_state_dict(state_dict)` sets each group's settings and the buffers (matched by index).
      ValueError "loaded state dict has a different number of parameter groups", or "loaded state dict
      contains a parameter group that doesn't match the size of optimizer's group".

    Hint: decorate step with `@torch.no_grad()` and update in place (`p.sub_(...)`, `buf.mul_(...)`).
    """

    def __init__(self, params, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False):
        raise NotImplementedError("ch03.1: check the settings, keep the defaults, add the parameter groups")

    def add_param_group(self, group):
        raise NotImplementedError("ch03.1: fill in the group's missing settings and append it")

    def zero_grad(self):
        raise NotImplementedError("ch03.1: set every parameter's .grad to None")

    def step(self):
        raise NotImplementedError("ch03.1: apply one SGD update (weight decay, momentum, nesterov) in place")

    def state_dict(self):
        raise NotImplementedError("ch03.1: number the parameters and pack state and settings")

    def load_state_dict(self, state_dict):
        raise NotImplementedError("ch03.1: restore the settings and the momentum buffers")


def predict_momentum_buffer():
    """ch03.2 (predict, then check): a parameter gets the gradient 1.0 at every step of
    `torch.optim.SGD([p], lr=0.1, momentum=0.9)`. Without running it, write down its momentum buffer
    (`optimizer.state[p]["momentum_buffer"]`) after steps 1, 2 and 3, and the value the buffer
    approaches after very many steps.

    Return `([after_1, after_2, after_3], limit)`. Then run it in the notebook to check.
    """
    raise NotImplementedError("ch03.2: return ([three buffer values], limit)")


def train_accumulating(model, loader, loss_fn, optimizer, accumulation_steps):
    """ch03.3 (debugging): one epoch of training with gradient accumulation.

    What it should do: train `model` in training mode over every batch of `loader`, starting from
    cleared gradients. Each batch's loss is divided by `accumulation_steps` before `backward()`, so the
    gradients of `accumulation_steps` batches add up to their average; the optimizer then takes one
    step and the gradients are cleared. A last group with fewer batches gets its step too. Return the
    mean loss per sample over the epoch (the losses before the division, each batch weighted by its
    size) as a Python float.

    The code below runs, but it is wrong in four places. Delete the `raise` line, then find and fix them.
    """
    raise NotImplementedError("ch03.3: find and fix the four bugs below, then delete this line")
    total, count = 0.0, 0
    for i, (inputs, targets) in enumerate(loader):
        loss = loss_fn(model(inputs), targets)
        optimizer.zero_grad()
        (loss / accumulation_steps).backward()
        if i % accumulation_steps == 0:
            optimizer.step()
        total += loss.item() * len(targets)
        count += len(targets)
    return total / count
