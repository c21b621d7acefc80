"""minitorch: a small PyTorch-compatible deep-learning package (NumPy on cpu, CuPy on cuda).
Write `import minitorch as torch` and use the torch API."""
from ._malloc import keep_freed_memory as _keep_freed_memory
_keep_freed_memory()
from ._dtype import (bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64, half, float,
                     double, short, int, long, dtype, get_default_dtype, set_default_dtype, promote_types,
                     result_type)
from ._device import device, get_default_device, set_default_device
from ._layout import layout, strided, sparse_coo, sparse_csr, sparse_csc, sparse_bsr, sparse_bsc
from ._size import Size
from ._tensor import Tensor
from ._tensor_str import set_printoptions
from . import _entries
_entries.bind_tensor()
globals().update(_entries.functions())  # the torch.* functions (add, exp, matmul, cat, zeros ...), each an entry
from ._creation import from_dlpack
from ._random import Generator, manual_seed, seed, initial_seed, get_rng_state, set_rng_state, default_generator
from .autograd import no_grad, enable_grad, set_grad_enabled, inference_mode, is_grad_enabled
from .autograd.grad_mode import is_inference_mode_enabled
from . import accelerator, autograd, cuda, linalg
from . import nn
from . import _C
from ._assertions import _assert
from .nn.functional import NATIVE_HOMES as _NATIVE_HOMES
for _name, _home in _NATIVE_HOMES.items():  # torch.conv2d, torch._C._nn.linear ... are the functionals
    if _home == "torch":
        globals()[_name] = getattr(nn.functional, _name)
    else:
        setattr(_C._nn, _name, getattr(nn.functional, _name))
from . import optim
from . import overrides
from . import profiler
from . import distributed
from .serialization import save, load
from . import fx

__version__ = "0.1.0"
