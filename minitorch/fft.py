"""`minitorch.fft` (torch.fft): discrete Fourier transforms of real and complex tensors, their frequencies and
shifts. See https://pytorch.org/docs/stable/fft.html"""
from . import _dispatch
from .ops.fft import FFT as _FFT

globals().update({name: _dispatch.public(fn, f"torch.fft.{name}") for name, fn in _FFT.items()})

__all__ = sorted(_FFT)
