"""Chapter 03 reference solutions: training with modules."""
import minitorch as torch

SETTINGS = ("lr", "momentum", "dampening", "weight_decay", "nesterov")


class MySGD:
    """ch03.1: torch.optim.SGD's update, parameter groups, per-parameter state and state_dict, from scratch."""

    def __init__(self, params, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False):
        if lr < 0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        self.defaults = dict(zip(SETTINGS, (lr, momentum, dampening, weight_decay, nesterov)))
        self.param_groups, self.state = [], {}
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        for group in groups if isinstance(groups[0], dict) else [{"params": groups}]:
            self.add_param_group(group)

    def add_param_group(self, group):
        group = {**self.defaults, **group, "params": list(group["params"])}
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in taken for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self):
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            lr, momentum, dampening, weight_decay, nesterov = (group[k] for k in SETTINGS)
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad
                if weight_decay != 0:
                    g = g + weight_decay * p
                if momentum != 0:
                    state = self.state.setdefault(p, {})
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = g.clone()
                    else:
                        state["momentum_buffer"].mul_(momentum).add_((1 - dampening) * g)
                    buf = state["momentum_buffer"]
                    g = g + momentum * buf if nesterov else buf
                p.sub_(lr * g)

    def _indices(self):
        params = [p for group in self.param_groups for p in group["params"]]
        return {id(p): i for i, p in enumerate(params)}, params

    def state_dict(self):
        index, _ = self._indices()
        groups = [{**{k: v for k, v in group.items() if k != "params"},
                   "params": [index[id(p)] for p in group["params"]]}
                  for group in self.param_groups]
        return {"state": {index[id(p)]: dict(state) for p, state in self.state.items()}, "param_groups": groups}

    def load_state_dict(self, state_dict):
        saved = state_dict["param_groups"]
        if len(saved) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(s["params"]) != len(g["params"]) for s, g in zip(saved, self.param_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        by_index = {i: p for s, g in zip(saved, self.param_groups) for i, p in zip(s["params"], g["params"])}
        self.state = {by_index[i]: {k: v.clone() for k, v in state.items()} for i, state in state_dict["state"].items()}
        for s, g in zip(saved, self.param_groups):
            g.update({k: v for k, v in s.items() if k != "params"})


def predict_momentum_buffer():
    """ch03.2: the buffer starts as the gradient and then sums it up, undamped: 1, 1 + 0.9, 1 + 0.9 + 0.81,
    ..., approaching 1 / (1 - 0.9) = 10 times the gradient."""
    return [1.0, 1.9, 2.71], 10.0


def train_accumulating(model, loader, loss_fn, optimizer, accumulation_steps):
    """ch03.3: training mode, cleared gradients at the start, one step per full group of batches (and one
    for a last, shorter group), the gradients cleared after each step; the mean loss per sample."""
    model.train()
    optimizer.zero_grad()
    total, count, pending = 0.0, 0, 0
    for inputs, targets in loader:
        loss = loss_fn(model(inputs), targets)
        (loss / accumulation_steps).backward()
        total += loss.item() * len(targets)
        count += len(targets)
        pending += 1
        if pending == accumulation_steps:
            optimizer.step()
            optimizer.zero_grad()
            pending = 0
    if pending:
        optimizer.step()
        optimizer.zero_grad()
    return total / count
