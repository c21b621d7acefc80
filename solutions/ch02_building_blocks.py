"""Chapter 02 reference solutions: modules as building blocks."""
import minitorch as torch
from minitorch import nn


class MySequential(nn.Module):
    """ch02.1: nn.Sequential's semantics on top of nn.Module's child table."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], dict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(modules):
                self.add_module(str(i), module)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def _key(self, idx):
        """The name of the idx-th child (negative idx from the end)."""
        size = len(self)
        if not -size <= idx < size:
            raise IndexError(f"index {idx} is out of range")
        return list(self._modules)[idx % size]

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(dict(list(self._modules.items())[idx]))
        return self._modules[self._key(idx)]

    def __setitem__(self, idx, module):
        setattr(self, self._key(idx), module)

    def __delitem__(self, idx):
        keys = list(self._modules)[idx] if isinstance(idx, slice) else [self._key(idx)]
        for key in keys:
            delattr(self, key)
        self._modules = {str(i): module for i, module in enumerate(self._modules.values())}

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def insert(self, index, module):
        size = len(self)
        if not -size <= index <= size:
            raise IndexError(f"Index out of range: {index}")
        modules = list(self._modules.values())
        modules.insert(index + size if index < 0 else index, module)
        self._modules = {str(i): m for i, m in enumerate(modules)}
        return self

    def pop(self, index):
        module = self[index]
        del self[index]
        return module

    def forward(self, x):
        for module in self:
            x = module(x)
        return x


def predict_named_modules():
    """ch02.2: depth first, the root first (named ""), and `shared` only where it is met first."""
    return ["", "0", "1", "2", "2.1", "3", "3.out"]


class ResidualBlock(nn.Module):
    """ch02.3: y = x + fc2(relu(fc1(x)))."""

    def __init__(self, features, hidden):
        super().__init__()
        self.fc1 = nn.Linear(features, hidden)
        self.fc2 = nn.Linear(hidden, features)

    def forward(self, x):
        return x + self.fc2(torch.relu(self.fc1(x)))


class DeepMLP(nn.Module):
    """ch02.4: separate hidden layers registered in an nn.ModuleList, and raw scores from the output layer."""

    def __init__(self, in_features, width, out_features, depth):
        super().__init__()
        self.hidden = nn.ModuleList([nn.Linear(in_features, width)]
                                    + [nn.Linear(width, width) for _ in range(depth - 1)])
        self.act = nn.ReLU()
        self.out = nn.Linear(width, out_features)

    def forward(self, x):
        for layer in self.hidden:
            x = self.act(layer(x))
        return self.out(x)
