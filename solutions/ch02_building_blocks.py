"""Chapter 02 reference solutions: modules as building blocks."""
import minitorch as torch
from minitorch import nn


class MySequential(nn.Module):
    """ch02.1: a minimal `nn.Sequential`: children "0", "1", ... called in order."""

    def __init__(self, *modules):
        super().__init__()
        for i, module in enumerate(modules):
            self.add_module(str(i), module)

    def __len__(self):
        return len(self._modules)

    def __getitem__(self, idx):
        size = len(self)
        if not -size <= idx < size:
            raise IndexError(f"index {idx} is out of range")
        return list(self._modules.values())[idx % size]

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x


def count_parameters(module, trainable_only=False):
    """ch02.2: the number of scalar parameters of `module` and its submodules (shared ones once)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


class ResidualBlock(nn.Module):
    """ch02.3: y = x + fc2(relu(fc1(x)))."""

    def __init__(self, features, hidden):
        super().__init__()
        self.fc1 = nn.Linear(features, hidden)
        self.fc2 = nn.Linear(hidden, features)

    def forward(self, x):
        return x + self.fc2(torch.relu(self.fc1(x)))
