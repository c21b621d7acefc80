"""Wrong answers to chapter 02."""
import minitorch as torch
from minitorch import nn

from . import solution

ok = solution(2)


class SequentialSubclass(nn.Sequential):
    """nn.Sequential under another name."""


class NoRenumbering(ok.MySequential):
    """Deletes without renaming the modules that are left ("0", "2", ...)."""

    def __delitem__(self, idx):
        keys = list(self._modules)[idx] if isinstance(idx, slice) else [self._key(idx)]
        for key in keys:
            delattr(self, key)


class RenumberedSlices(ok.MySequential):
    """A slice gets fresh names "0", "1", ... instead of keeping the current ones."""

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(*list(self._modules.values())[idx])
        return super().__getitem__(idx)


class PlainList(nn.Module):
    """Keeps the modules in a Python list: nothing is registered."""

    def __init__(self, *modules):
        super().__init__()
        self.layers = list(modules)

    def __len__(self):
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def __getitem__(self, idx):
        return PlainList(*self.layers[idx]) if isinstance(idx, slice) else self.layers[idx]

    def __setitem__(self, idx, module):
        self.layers[idx] = module

    def __delitem__(self, idx):
        del self.layers[idx]

    def append(self, module):
        self.layers.append(module)
        return self

    def insert(self, index, module):
        self.layers.insert(index, module)
        return self

    def pop(self, index):
        return self.layers.pop(index)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


class NoSkip(ok.ResidualBlock):
    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


class SecondLayerFirst(nn.Module):
    def __init__(self, features, hidden):
        super().__init__()
        self.fc2 = nn.Linear(hidden, features)
        self.fc1 = nn.Linear(features, hidden)

    forward = ok.ResidualBlock.forward


class FunctionalWeights(nn.Module):
    """Parameters of its own and F.linear instead of two child layers."""

    def __init__(self, features, hidden):
        super().__init__()
        layer1, layer2 = nn.Linear(features, hidden), nn.Linear(hidden, features)
        self.w1, self.b1, self.w2, self.b2 = layer1.weight, layer1.bias, layer2.weight, layer2.bias

    def forward(self, x):
        h = torch.relu(nn.functional.linear(x, self.w1, self.b1))
        return x + nn.functional.linear(h, self.w2, self.b2)


class RepeatedLayer(ok.DeepMLP):
    """Registered the list, but `[layer] * n` is the same layer n times."""

    def __init__(self, in_features, width, out_features, depth):
        super().__init__(in_features, width, out_features, depth)
        self.hidden = nn.ModuleList([nn.Linear(in_features, width)] + [nn.Linear(width, width)] * (depth - 1))


class FinalReLU(ok.DeepMLP):
    def forward(self, x):
        return self.act(super().forward(x))


WRONG = {
    "ch02.1": {
        "subclasses nn.Sequential": {"MySequential": SequentialSubclass},
        "no renumbering after del": {"MySequential": NoRenumbering},
        "slices get fresh names": {"MySequential": RenumberedSlices},
        "a plain list, nothing registered": {"MySequential": PlainList},
    },
    "ch02.2": {
        "the shared module at every place": {"predict_named_modules": lambda: [
            "", "0", "1", "2", "2.0", "2.1", "3", "3.out", "3.act"]},
        "without the root": {"predict_named_modules": lambda: ["0", "1", "2", "2.1", "3", "3.out"]},
        "breadth first": {"predict_named_modules": lambda: ["", "0", "1", "2", "3", "2.1", "3.out"]},
    },
    "ch02.3": {
        "no skip connection": {"ResidualBlock": NoSkip},
        "fc2 created first": {"ResidualBlock": SecondLayerFirst},
        "weights without child layers": {"ResidualBlock": FunctionalWeights},
    },
    "ch02.4": {
        "the same hidden layer repeated": {"DeepMLP": RepeatedLayer},
        "ReLU after the output layer": {"DeepMLP": FinalReLU},
    },
}
