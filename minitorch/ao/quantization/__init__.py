"""`minitorch.ao.quantization` (torch.ao.quantization, eager mode): observers, fake quantizers, QConfigs,
QuantStub / DeQuantStub, fuse_modules, prepare / convert / quantize_dynamic / prepare_qat, and the
torchao-style `quantize_`. See https://pytorch.org/docs/stable/quantization.html"""
from ...backends import quantized as _engine  # noqa: F401  (torch.backends.quantized.engine)
from .fake_quantize import *  # noqa: F401,F403
from .fuse_modules import fuse_known_modules, fuse_modules, fuse_modules_qat, get_fuser_method  # noqa: F401
from .observer import *  # noqa: F401,F403
from .qconfig import *  # noqa: F401,F403
from .quantization_mappings import *  # noqa: F401,F403
from .quantize import *  # noqa: F401,F403
from .stubs import DeQuantStub, QuantStub, QuantWrapper  # noqa: F401
from .torchao_style import *  # noqa: F401,F403
