"""Wrong answers to chapter 03."""
import minitorch as torch

from . import solution

ok = solution(3)


class SGDSubclass(torch.optim.SGD):
    """torch.optim.SGD under another name."""

    def __init__(self, params, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False):
        super().__init__(params, lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                         nesterov=nesterov)


class ZeroStartBuffer(ok.MySGD):
    """Starts every momentum buffer at zero, so the first step is damped too."""

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None and group["momentum"] != 0:
                    self.state.setdefault(p, {}).setdefault("momentum_buffer", torch.zeros_like(p))
        _real_step(self)


def _real_step(optimizer):
    """The reference update, where an existing buffer is always updated with the damped rule."""
    for group in optimizer.param_groups:
        for p in group["params"]:
            if p.grad is None:
                continue
            g = p.grad + group["weight_decay"] * p if group["weight_decay"] else p.grad
            if group["momentum"] != 0:
                buf = optimizer.state[p]["momentum_buffer"]
                buf.mul_(group["momentum"]).add_((1 - group["dampening"]) * g)
                g = g + group["momentum"] * buf if group["nesterov"] else buf
            p.sub_(group["lr"] * g)


class NesterovWithoutLookahead(ok.MySGD):
    """Ignores nesterov: always steps along the buffer."""

    def add_param_group(self, group):
        super().add_param_group(group)
        self.param_groups[-1]["nesterov"] = False


class DecayAfterMomentum(ok.MySGD):
    """Adds the weight decay to the update instead of to the gradient."""

    @torch.no_grad()
    def step(self):
        decays = [group["weight_decay"] for group in self.param_groups]
        for group in self.param_groups:
            group["weight_decay"] = 0
        super().step()
        for group, decay in zip(self.param_groups, decays):
            group["weight_decay"] = decay
            for p in group["params"]:
                if p.grad is not None:
                    p.sub_(group["lr"] * decay * p)


class IndicesPerGroup(ok.MySGD):
    """Numbers the parameters of each group from 0 again in state_dict."""

    def state_dict(self):
        packed = super().state_dict()
        start = 0
        for group in packed["param_groups"]:
            group["params"] = [i - start for i in group["params"]]
            start += len(group["params"])
        return packed


def no_leftover_step(model, loader, loss_fn, optimizer, accumulation_steps):
    """Steps only after full groups: a last, shorter group is dropped."""
    model.train()
    optimizer.zero_grad()
    total, count = 0.0, 0
    for i, (inputs, targets) in enumerate(loader):
        loss = loss_fn(model(inputs), targets)
        (loss / accumulation_steps).backward()
        total += loss.item() * len(targets)
        count += len(targets)
        if (i + 1) % accumulation_steps == 0:
            optimizer.step()
            optimizer.zero_grad()
    return total / count


def zero_grad_every_batch(model, loader, loss_fn, optimizer, accumulation_steps):
    """Clears the gradients before every backward, so nothing accumulates."""
    model.train()
    total, count, batches = 0.0, 0, list(loader)
    for i, (inputs, targets) in enumerate(batches):
        loss = loss_fn(model(inputs), targets)
        optimizer.zero_grad()
        (loss / accumulation_steps).backward()
        total += loss.item() * len(targets)
        count += len(targets)
        if (i + 1) % accumulation_steps == 0 or i + 1 == len(batches):
            optimizer.step()
    return total / count


def no_train_mode(model, loader, loss_fn, optimizer, accumulation_steps):
    return ok.train_accumulating(_NoTrain(model), loader, loss_fn, optimizer, accumulation_steps)


class _NoTrain:
    """The model as is, with train() doing nothing."""

    def __init__(self, model):
        self.model = model

    def train(self, mode=True):
        return self

    def __call__(self, x):
        return self.model(x)


WRONG = {
    "ch03.1": {
        "subclasses torch.optim.SGD": {"MySGD": SGDSubclass},
        "first buffer starts at zero": {"MySGD": ZeroStartBuffer},
        "nesterov ignored": {"MySGD": NesterovWithoutLookahead},
        "weight decay after momentum": {"MySGD": DecayAfterMomentum},
        "state_dict numbers each group from 0": {"MySGD": IndicesPerGroup},
    },
    "ch03.2": {
        "a running average of the gradients": {"predict_momentum_buffer": lambda: ([0.1, 0.19, 0.271], 1.0)},
        "right start, wrong limit": {"predict_momentum_buffer": lambda: ([1.0, 1.9, 2.71], 1.0)},
    },
    "ch03.3": {
        "a last, shorter group is not stepped": {"train_accumulating": no_leftover_step},
        "zero_grad before every backward": {"train_accumulating": zero_grad_every_batch},
        "stays in evaluation mode": {"train_accumulating": no_train_mode},
    },
}
