"""Discrete Fourier transforms (torch.fft) and the short-time Fourier transform (stft / istft).

Every transform is one of three primitives, as in torch, each with its backward beside it:
c2c (complex to complex), r2c (real to complex, one-sided or full) and c2r (one-sided complex to real). A
backward is another transform with the dual normalisation ("backward" <-> "forward", "ortho" itself), which
is what the adjoint of a DFT is. The public functions resize the input (zero-padding or cutting to n / s)
first, then call the primitive over the chosen dims."""
import numpy as np

from .. import _dtype, _warnings
from .._creation import _finish, _resolve_dtype
from .._device import array_module, as_device
from .._tensor import Tensor, _wrap_dim
from ._core import make
from .complex import conj, conj_physical, real
from .index import index_add
from .pointwise import _dtype_name
from .shape import narrow, roll

_DUAL = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


def _norm(norm):
    if norm is None:
        return "backward"
    if norm not in _DUAL:
        raise RuntimeError(f'Invalid normalization mode: "{norm}"')
    return norm


def _promoted(x):
    """x in a dtype the transforms take: integers as the default float; half precision is refused as torch's cpu
    kernels refuse it."""
    if x.dtype in (_dtype.float16, _dtype.bfloat16):
        raise RuntimeError(f"Unsupported dtype {_dtype_name(x.dtype)}")
    if x.dtype._category <= 1:
        return x.to(_dtype.get_default_dtype())
    return x


def _require_real(x, name):
    if x.is_complex():
        raise RuntimeError(f"{name} expects a real input tensor, but got {_dtype_name(x.dtype)}")


def _cast(out, dtype):
    """NumPy 1 transforms in double precision: the result back in torch's dtype."""
    return out.astype(dtype.np, copy=False)


# ----- the three primitives ----------------------------------------------------------------------------------
def _c2c(x, dims, norm, forward):
    xp = array_module(x._data)
    transform = xp.fft.fftn if forward else xp.fft.ifftn
    out = _cast(transform(x._data, axes=dims, norm=norm) if dims else x._data.copy(), x.dtype)
    return make(out, "FftC2CBackward0", (x,), lambda g: (_c2c(g, dims, _DUAL[norm], not forward),), saves=False)


def _r2c(x, dims, norm, onesided):
    xp = array_module(x._data)
    complex_dtype = x.dtype.to_complex()
    if onesided:
        out = xp.fft.rfftn(x._data, axes=dims, norm=norm)
    else:
        out = xp.fft.fftn(x._data.astype(complex_dtype.np), axes=dims, norm=norm)
    full = x.shape[dims[-1]]

    def backward(g):
        if onesided:  # the missing half of the spectrum contributes nothing: zeros, then the inverse c2c
            missing = full - g.shape[dims[-1]]
            if missing:
                g = _pad_end(g, dims[-1], missing)
        return (real(_c2c(g, dims, _DUAL[norm], False)),)
    return make(_cast(out, complex_dtype), "FftR2CBackward0", (x,), backward, saves=False)


def _c2r(x, dims, norm, last_size):
    xp = array_module(x._data)
    sizes = [x.shape[d] for d in dims[:-1]] + [last_size]
    out = xp.fft.irfftn(x._data, s=sizes, axes=dims, norm=norm)

    def backward(g):
        # the one-sided transform of g; the bins that stand for two (themselves and their mirror) count twice
        grad = _r2c(g, dims, _DUAL[norm], True)
        doubled = last_size - grad.shape[dims[-1]]
        if doubled > 0:
            twice = array_module(grad._data).ones(grad.shape[dims[-1]], grad.dtype.to_real().np)
            twice[1:1 + doubled] = 2
            grad = grad * Tensor._wrap(twice.reshape((-1,) + (1,) * (grad.ndim - 1 - dims[-1])))
        return (grad,)
    return make(_cast(out, x.dtype.to_real()), "FftC2RBackward0", (x,), backward, saves=False)


def _pad_end(t, dim, extra):
    """t followed by `extra` zeros along `dim` (the inverse of cutting; differentiable)."""
    xp = array_module(t._data)
    shape = list(t.shape)
    shape[dim] += extra
    out = xp.zeros(shape, t._data.dtype)
    out[(slice(None),) * dim + (slice(0, t.shape[dim]),)] = t._data
    return make(out, "ConstantPadNdBackward0", (t,), lambda g: (narrow(g, dim, 0, t.shape[dim]),), saves=False)


def _resized(x, dims, sizes):
    """x cut or zero-padded at the end of each dim to the wanted size (None: unchanged)."""
    for d, n in zip(dims, sizes):
        if n is None or n == -1:
            continue
        if n < 1:
            raise RuntimeError(f"Invalid number of data points ({n}) specified")
        have = x.shape[d]
        x = narrow(x, d, 0, n) if n < have else _pad_end(x, d, n - have) if n > have else x
    return x


def _dims_and_sizes(x, s, dim, default_all):
    """The dims a multi-dim transform acts on and their wanted sizes, from torch's s and dim arguments."""
    if dim is None:
        dims = list(range(x.ndim - len(s), x.ndim)) if s is not None else \
            (list(range(x.ndim)) if default_all else [x.ndim - 2, x.ndim - 1])
    else:
        dims = [dim] if isinstance(dim, int) else list(dim)
        dims = [_wrap_dim(d, x.ndim) for d in dims]
        if len(set(dims)) != len(dims):
            raise RuntimeError("FFT dims must be unique")
    if s is not None:
        s = list(s)
        if len(s) != len(dims):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
        return dims, s
    return dims, [None] * len(dims)


# ----- one-dimensional transforms ------------------------------------------------------------------------------
def fft(input, n=None, dim=-1, norm=None):
    """The DFT along `dim` (of n points: the input cut or zero-padded)."""
    norm, x = _norm(norm), _promoted(input)
    d = _wrap_dim(dim, x.ndim)
    x = _resized(x, [d], [n])
    return _c2c(x, [d], norm, True) if x.is_complex() else _r2c(x, [d], norm, False)


def ifft(input, n=None, dim=-1, norm=None):
    """The inverse DFT along `dim`."""
    norm, x = _norm(norm), _promoted(input)
    d = _wrap_dim(dim, x.ndim)
    x = _resized(x, [d], [n])
    if x.is_complex():
        return _c2c(x, [d], norm, False)
    return conj(_r2c(x, [d], _DUAL[norm], False))  # real input: the conjugate of the forward transform, as torch


def rfft(input, n=None, dim=-1, norm=None):
    """The DFT of real input along `dim`, only the n // 2 + 1 non-negative frequencies."""
    norm, x = _norm(norm), _promoted(input)
    _require_real(x, "rfft")
    d = _wrap_dim(dim, x.ndim)
    return _r2c(_resized(x, [d], [n]), [d], norm, True)


def irfft(input, n=None, dim=-1, norm=None):
    """The inverse of rfft: n real points (2 (m - 1) by default) from m non-negative frequencies."""
    norm, x = _norm(norm), _promoted(input)
    x = x if x.is_complex() else x.to(x.dtype.to_complex())
    d = _wrap_dim(dim, x.ndim)
    last = 2 * (x.shape[d] - 1) if n is None else n
    if last < 1:
        raise RuntimeError(f"Invalid number of data points ({last}) specified")
    return _c2r(_resized(x, [d], [last // 2 + 1]), [d], norm, last)


def hfft(input, n=None, dim=-1, norm=None):
    """The DFT of a Hermitian-symmetric signal given by its first half: n real points."""
    return irfft(conj(_promoted(input)), n, dim, _DUAL[_norm(norm)])


def ihfft(input, n=None, dim=-1, norm=None):
    """The inverse of hfft: the first half of the inverse DFT of real input."""
    _require_real(input, "ihfft")
    return conj(rfft(input, n, dim, _DUAL[_norm(norm)]))


# ----- multi-dimensional transforms ------------------------------------------------------------------------------
def fftn(input, s=None, dim=None, norm=None):
    """The DFT over `dim` (all dims by default; the last len(s) with s)."""
    norm, x = _norm(norm), _promoted(input)
    dims, sizes = _dims_and_sizes(x, s, dim, True)
    x = _resized(x, dims, sizes)
    return _c2c(x if x.is_complex() else x.to(x.dtype.to_complex()), dims, norm, True)


def ifftn(input, s=None, dim=None, norm=None):
    """The inverse DFT over `dim`."""
    norm, x = _norm(norm), _promoted(input)
    dims, sizes = _dims_and_sizes(x, s, dim, True)
    x = _resized(x, dims, sizes)
    return _c2c(x if x.is_complex() else x.to(x.dtype.to_complex()), dims, norm, False)


def rfftn(input, s=None, dim=None, norm=None):
    """The DFT of real input over `dim`, one-sided along the last of them."""
    norm, x = _norm(norm), _promoted(input)
    if x.is_complex():
        raise RuntimeError(f"rfftn expects a real-valued input tensor, but got {_dtype_name(x.dtype)}")
    dims, sizes = _dims_and_sizes(x, s, dim, True)
    return _r2c(_resized(x, dims, sizes), dims, norm, True)


def irfftn(input, s=None, dim=None, norm=None):
    """The inverse of rfftn (the last dim's real length from s, or 2 (m - 1))."""
    norm, x = _norm(norm), _promoted(input)
    x = x if x.is_complex() else x.to(x.dtype.to_complex())
    dims, sizes = _dims_and_sizes(x, s, dim, True)
    last = sizes[-1] if sizes[-1] is not None else 2 * (x.shape[dims[-1]] - 1)
    if last < 1:
        raise RuntimeError(f"Invalid number of data points ({last}) specified")
    x = _resized(x, dims, sizes[:-1] + [last // 2 + 1])
    return _c2r(x, dims, norm, last)


def fft2(input, s=None, dim=(-2, -1), norm=None):
    return fftn(input, s, dim, norm)


def ifft2(input, s=None, dim=(-2, -1), norm=None):
    return ifftn(input, s, dim, norm)


def rfft2(input, s=None, dim=(-2, -1), norm=None):
    return rfftn(input, s, dim, norm)


def irfft2(input, s=None, dim=(-2, -1), norm=None):
    return irfftn(input, s, dim, norm)


def hfftn(input, s=None, dim=None, norm=None):
    """The n-dimensional hfft: irfftn of the conjugate with the dual normalisation."""
    return irfftn(conj(_promoted(input)), s, dim, _DUAL[_norm(norm)])


def ihfftn(input, s=None, dim=None, norm=None):
    """The n-dimensional ihfft: as torch computes it, the conjugate of the one-sided transform along the last
    dim (dual normalisation), then the inverse transform along the others."""
    norm, x = _norm(norm), _promoted(input)
    if x.is_complex():
        raise RuntimeError(f"Only supports floating-point dtypes, but found: {_dtype_name(x.dtype)}")
    dims, sizes = _dims_and_sizes(x, s, dim, True)
    half = _r2c(_resized(x, dims, sizes), dims[-1:], _DUAL[norm], True)
    return _c2c(conj_physical(half), dims[:-1], norm, False) if len(dims) > 1 else conj(half)


def hfft2(input, s=None, dim=(-2, -1), norm=None):
    return hfftn(input, s, dim, norm)


def ihfft2(input, s=None, dim=(-2, -1), norm=None):
    return ihfftn(input, s, dim, norm)


# ----- frequencies and shifts ---------------------------------------------------------------------------------------
def fftfreq(n, d=1.0, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """The sample frequencies of an n-point DFT with spacing d: [0, 1, ..., -2, -1] / (d n)."""
    dtype = _resolve_dtype(dtype)
    return _finish(np.fft.fftfreq(n, d).astype(dtype.np), as_device(device), requires_grad)


def rfftfreq(n, d=1.0, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """The non-negative sample frequencies of an n-point rfft: [0, 1, ..., n // 2] / (d n)."""
    dtype = _resolve_dtype(dtype)
    return _finish(np.fft.rfftfreq(n, d).astype(dtype.np), as_device(device), requires_grad)


def _shift(input, dim, sign):
    dims = list(range(input.ndim)) if dim is None else ([dim] if isinstance(dim, int) else list(dim))
    return roll(input, [sign * (input.shape[d] // 2) for d in dims], dims)


def fftshift(input, dim=None):
    """The zero frequency moved to the middle of each given dim (all by default)."""
    return _shift(input, dim, 1)


def ifftshift(input, dim=None):
    """The inverse of fftshift."""
    return _shift(input, dim, -1)


FFT = {name: globals()[name] for name in (
    "fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2", "rfftn", "irfftn", "hfft",
    "ihfft", "hfft2", "ihfft2", "hfftn", "ihfftn", "fftfreq", "rfftfreq", "fftshift", "ifftshift")}


# ----- the short-time Fourier transform -------------------------------------------------------------------------------
def _padded_window(window, win_length, n_fft, like):
    """The analysis window (ones when none is given), centred in n_fft points."""
    if window is None:
        window = Tensor._wrap(array_module(like._data).ones(win_length, like.dtype.to_real().np))
    if window.shape[0] != win_length:
        raise RuntimeError(f"stft: expected a 1D window tensor of size equal to win_length={win_length}, but got "
                           f"window with size {list(window.shape)}")
    left = (n_fft - win_length) // 2
    if left or n_fft - win_length - left:
        window = _pad_end(_pad_end(window.flip(0), 0, left).flip(0), 0, n_fft - win_length - left)
    return window


def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, pad_mode="reflect",
         normalized=False, onesided=None, return_complex=None):
    """The short-time Fourier transform: the DFT of each window of n_fft samples, hop_length apart, times the
    window; (..., frequencies, frames), complex."""
    if return_complex is None:
        raise RuntimeError("stft requires the return_complex parameter be given for real inputs, and will further "
                           "require that return_complex=True in a future PyTorch release.")
    if window is None:
        _warnings.warn("A window was not provided. A rectangular window will be applied,which is known to cause "
                       "spectral leakage. Other windows such as torch.hann_window or torch.hamming_window are "
                       "recommended to reduce spectral leakage.To suppress this warning and use a rectangular "
                       "window, explicitly set `window=torch.ones(n_fft, device=<device>)`.")
    hop_length = n_fft // 4 if hop_length is None else hop_length
    win_length = n_fft if win_length is None else win_length
    if input.ndim not in (1, 2):
        raise RuntimeError(f"stft: expected a 1D or 2D tensor, but got {input.ndim}D tensor")
    batched = input.ndim == 2
    x = input if batched else input.unsqueeze(0)
    if center:
        from ..nn.functional import pad
        x = pad(x.unsqueeze(1), (n_fft // 2, n_fft // 2), mode=pad_mode).squeeze(1)
    length = x.shape[-1]
    call = (f"stft({input.type()}[{length}], n_fft={n_fft}, hop_length={hop_length}, win_length={win_length}, "
            f"window={'None' if window is None else f'{window.type()}{{{list(window.shape)}}}'}, "
            f"normalized={int(normalized)}, onesided={'None' if onesided is None else int(onesided)}, "
            f"return_complex={int(return_complex)}, align_to_window=None) : ")
    if not 0 < n_fft <= length:
        raise RuntimeError(f"{call}expected 0 < n_fft < {length}, but got n_fft={n_fft}")
    if hop_length <= 0:
        raise RuntimeError(f"{call}expected hop_length > 0, but got hop_length={hop_length}")
    if not 0 < win_length <= n_fft:
        raise RuntimeError(f"{call}expected 0 < win_length <= n_fft, but got win_length={win_length}")
    frames = x.unfold(-1, n_fft, hop_length) * _padded_window(window, win_length, n_fft, x)
    complex_input = x.is_complex()
    one = (not complex_input) if onesided is None else onesided
    spectrum = (_r2c(frames, [frames.ndim - 1], "backward", True) if one and not complex_input else
                _c2c(frames if complex_input else frames.to(frames.dtype.to_complex()), [frames.ndim - 1],
                     "backward", True))
    if normalized:
        spectrum = spectrum * (n_fft ** -0.5)
    out = spectrum.transpose_(-1, -2)  # (..., frequencies, frames), in place as torch does
    if not return_complex:
        from .complex import view_as_real
        out = view_as_real(out)
    return out if batched else _squeezed(out)


def _squeezed(t):
    """t without its leading dim of size one, as torch's stft removes the batch it added (SqueezeBackward4)."""
    from .shape import _view
    return _view(t._data[0], "SqueezeBackward4", t, lambda g: (g.unsqueeze(0),), lambda x: x.squeeze(0))


def istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, normalized=False,
          onesided=None, length=None, return_complex=False):
    """The inverse of stft: each frame's inverse DFT times the window, overlap-added and divided by the summed
    squared window."""
    if window is None:
        _warnings.warn("A window was not provided. A rectangular window will be applied.Please provide the same "
                       "window used by stft to make the inversion lossless.To suppress this warning and use a "
                       "rectangular window, explicitly set `window=torch.ones(n_fft, device=<device>)`.")
    hop_length = n_fft // 4 if hop_length is None else hop_length
    win_length = n_fft if win_length is None else win_length
    if not input.is_complex():
        raise RuntimeError("istft requires a complex-valued input tensor matching the output from stft with "
                           "return_complex=True.")
    batched = input.ndim == 3
    spectrum = (input if batched else input.unsqueeze(0)).transpose(-1, -2)  # (batch, frames, freq)
    if normalized:
        spectrum = spectrum * (n_fft ** 0.5)
    one = spectrum.shape[-1] != n_fft if onesided is None else onesided
    if one:
        frames = _c2r(spectrum, [spectrum.ndim - 1], "backward", n_fft)
    else:
        frames = _c2c(spectrum, [spectrum.ndim - 1], "backward", False)
        frames = frames if return_complex else real(frames)
    win = _padded_window(window, win_length, n_fft, frames if not frames.is_complex() else real(frames))
    frames = frames * win
    count = frames.shape[1]
    total = n_fft + hop_length * (count - 1)
    xp = array_module(frames._data)
    positions = (xp.arange(count)[:, None] * hop_length + xp.arange(n_fft)[None, :]).reshape(-1)
    index = Tensor._wrap(positions.astype(np.int64))
    signal = index_add(frames.new_zeros(frames.shape[0], total), 1, index, frames.reshape(frames.shape[0], -1))
    envelope = index_add(win.new_zeros(total), 0, index, (win * win).expand(count, n_fft).reshape(-1))
    start = n_fft // 2 if center else 0
    end = total - n_fft // 2 if center else total
    if length is not None:
        end = start + length
    if bool((array_module(envelope._data).abs(envelope._data[start:min(end, total)]) < 1e-11).any()):
        raise RuntimeError("istft(...): window overlap add min: 0 (the sum of squared windows must be non-zero "
                           "where the signal is kept)")
    signal = signal[:, start:min(end, total)] / envelope[start:min(end, total)]
    if end > total:
        signal = _pad_end(signal, 1, end - total)
    return signal if batched else signal.squeeze(0)


__all__ = ["stft", "istft"]
_METHODS = {"stft": stft, "istft": istft}
_INPLACE = {}
