"""The layer classes of `minitorch.nn`."""
from .activation import LeakyReLU, ReLU, Sigmoid, Tanh
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .linear import Identity, Linear
from .module import Module

__all__ = ["Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict", "Identity",
           "Linear", "ReLU", "LeakyReLU", "Tanh", "Sigmoid"]
