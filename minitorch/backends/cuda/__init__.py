"""CUDA kernels kept as real `.cu` files in `kernels/`, compiled with NVRTC through `cupy.RawModule`
the first time one of them is needed (then cached, here and in CuPy's on-disk cache).

Every kernel is a template over the element type, instantiated for float32 and float64; `KERNELS`
lists them per file, so CI can compile each file with NVRTC on a machine without a GPU
(tests/test_cuda_kernels.py). `backends.cuda.ops` wraps them as functions on CuPy arrays.
CuPy is imported inside the functions only: importing this package never imports it."""
import functools
from pathlib import Path

import numpy as np

from ...cuda import _cupy
from ..meta import MetaArray

KERNEL_DIR = Path(__file__).parent / "kernels"

KERNELS = {
    "im2col.cu": ("im2col", "col2im"),
    "pooling.cu": ("max_pool2d_forward", "max_pool2d_backward"),
    "softmax.cu": ("softmax_forward", "softmax_backward", "cross_entropy_forward", "cross_entropy_backward"),
    "optim.cu": ("sgd_step", "adam_step"),
}
"""Kernel file -> the templated `__global__` functions it defines."""

C_TYPES = {np.dtype(np.float32): "float", np.dtype(np.float64): "double"}
"""The element types each kernel is instantiated for."""

def uses_kernels(array):
    """Whether ops on `array` take these kernels: a cuda array of a dtype they are built for. Other dtypes
    (float16, bfloat16, integers) take the array-code (`xp`) path, on cuda as on cpu."""
    return type(array) is not np.ndarray and type(array) is not MetaArray and array.dtype in C_TYPES


OPTIONS = ("-std=c++17",)
"""NVRTC options used both at run time and by the compile-only CI check."""

THREADS = 256
"""Threads per block for every launch (the row kernels in softmax.cu require exactly this)."""

_FILE_OF = {name: filename for filename, names in KERNELS.items() for name in names}


def source(filename):
    """The CUDA source text of one kernel file."""
    return (KERNEL_DIR / filename).read_text()


def name_expressions(filename):
    """The template instantiations of a file, e.g. 'im2col<float>', as NVRTC name expressions."""
    return tuple(f"{name}<{ctype}>" for name in KERNELS[filename] for ctype in C_TYPES.values())


@functools.cache
def module(filename):
    """The compiled `cupy.RawModule` of one kernel file (compiled once per process)."""
    return _cupy().RawModule(code=source(filename), options=OPTIONS,
                             name_expressions=name_expressions(filename))


def kernel(name, dtype):
    """The kernel `name` instantiated for `dtype` (float32 or float64), as a callable CuPy function
    loaded on the current GPU."""
    dtype = np.dtype(dtype)
    if dtype not in C_TYPES:
        raise TypeError(f"CUDA kernel '{name}' supports float32 and float64, not {dtype}")
    return _kernel(name, dtype, _cupy().cuda.runtime.getDevice())


@functools.cache
def _kernel(name, dtype, device_index):
    """One lookup per kernel, type and GPU (CuPy loads a module separately on each device)."""
    return module(_FILE_OF[name]).get_function(f"{name}<{C_TYPES[dtype]}>")


def launch(name, dtype, count, args):
    """Run an elementwise (grid-stride) kernel over `count` elements."""
    blocks = max(1, min((count + THREADS - 1) // THREADS, 65535))
    kernel(name, dtype)((blocks,), (THREADS,), args)


def launch_rows(name, dtype, rows, args):
    """Run a row kernel: one block of THREADS threads per row."""
    kernel(name, dtype)((rows,), (THREADS,), args)
