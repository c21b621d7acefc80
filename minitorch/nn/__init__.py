"""`minitorch.nn`: Modules, Parameters, layers, `functional` and `init` (torch.nn).
See https://pytorch.org/docs/stable/nn.html"""
from . import functional, init
from .modules import *  # noqa: F401,F403
from .parameter import Buffer, Parameter
from . import utils
from . import parallel
