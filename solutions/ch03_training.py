"""Chapter 03 reference solutions: training with modules."""
import minitorch as torch


class MySGD:
    """ch03.1: SGD with momentum, dampening, Nesterov momentum and weight decay (torch.optim.SGD's update)."""

    def __init__(self, params, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False):
        self.params = list(params)
        self.lr, self.momentum, self.dampening = lr, momentum, dampening
        self.weight_decay, self.nesterov = weight_decay, nesterov
        self.buffers = [None] * len(self.params)

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self):
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            g = p.grad
            if self.weight_decay != 0:
                g = g + self.weight_decay * p
            if self.momentum != 0:
                buf = self.buffers[i]
                if buf is None:
                    buf = self.buffers[i] = g.clone()
                else:
                    buf.mul_(self.momentum).add_((1 - self.dampening) * g)
                g = g + self.momentum * buf if self.nesterov else buf
            p.sub_(self.lr * g)


def train_one_epoch(model, loader, loss_fn, optimizer):
    """ch03.2: one training pass; the mean loss per sample."""
    model.train()
    total, count = 0.0, 0
    for inputs, targets in loader:
        loss = loss_fn(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(targets)
        count += len(targets)
    return total / count


def accuracy(model, loader):
    """ch03.3: the fraction of correctly classified samples, in eval mode under no_grad."""
    model.eval()
    correct, count = 0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            correct += (model(inputs).argmax(dim=1) == targets).sum().item()
            count += len(targets)
    return correct / count
