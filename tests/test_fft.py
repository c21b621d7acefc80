"""torch.fft (fft, ifft, rfft, irfft, hfft, ihfft and their 2-D / n-D forms, fftfreq, rfftfreq, fftshift,
ifftshift) and stft / istft against PyTorch: values, dtypes, grad_fn names and gradients for every norm, with the
input cut or zero-padded (n / s), over chosen dims, for real and complex input; errors; float64 gradcheck with
double backward of real functions of the spectra (view_as_real)."""
import warnings

import pytest

from tests._core_parity import raises_same, same
from tests._ops_parity import check_grads, compare, cuda_matches_cpu, data

X = data((3, 8))
Z = data((2, 4, 6), seed=1)
NORMS = [None, "backward", "ortho", "forward"]


def parts(L, t):
    """A complex result as real numbers (its conjugate bit resolved first, for torch)."""
    return L.view_as_real(t.resolve_conj()) if t.is_complex() else t


ONE_D = {
    "fft": lambda L, x, norm: (L.fft.fft(x, norm=norm), L.fft.fft(x, 5, 0, norm), L.fft.fft(x, 11, norm=norm),
                               L.fft.fft(L.complex(x, x * 2), norm=norm)),
    "ifft": lambda L, x, norm: (L.fft.ifft(x, norm=norm), L.fft.ifft(L.complex(x, -x), 6, 0, norm)),
    "rfft": lambda L, x, norm: (L.fft.rfft(x, norm=norm), L.fft.rfft(x, 5, norm=norm), L.fft.rfft(x, 4, 0, norm)),
    "irfft": lambda L, x, norm: (L.fft.irfft(L.fft.rfft(x), norm=norm), L.fft.irfft(L.complex(x, x), 9, norm=norm),
                                 L.fft.irfft(L.complex(x, x), 4, 0, norm)),
    "hfft": lambda L, x, norm: (L.fft.hfft(L.complex(x, x), norm=norm), L.fft.hfft(L.complex(x, -x), 7, 0, norm)),
    "ihfft": lambda L, x, norm: (L.fft.ihfft(x, norm=norm), L.fft.ihfft(x, 6, 0, norm)),
}
N_D = {
    "fftn": lambda L, x, norm: (L.fft.fftn(x, norm=norm), L.fft.fftn(x, (4, 5), norm=norm),
                                L.fft.fftn(x, dim=(0, 2), norm=norm), L.fft.fft2(L.complex(x, x), norm=norm)),
    "ifftn": lambda L, x, norm: (L.fft.ifftn(x, norm=norm), L.fft.ifft2(x, (3, 3), norm=norm)),
    "rfftn": lambda L, x, norm: (L.fft.rfftn(x, norm=norm), L.fft.rfftn(x, (3, 4), (0, 1), norm),
                                 L.fft.rfft2(x, norm=norm)),
    "irfftn": lambda L, x, norm: (L.fft.irfftn(L.fft.rfftn(x), norm=norm), L.fft.irfft2(L.complex(x, x), (4, 7),
                                                                                      norm=norm),
                                  L.fft.irfftn(L.complex(x, -x), dim=(0, 1), norm=norm)),
    "hfftn": lambda L, x, norm: (L.fft.hfftn(L.complex(x, x), norm=norm), L.fft.hfft2(L.complex(x, x), (3, 6),
                                                                                     norm=norm)),
    "ihfftn": lambda L, x, norm: (L.fft.ihfftn(x, norm=norm), L.fft.ihfft2(x, norm=norm)),
}


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("name", ONE_D)
def test_one_dimensional_transforms(torch, name, norm):
    compare(torch, lambda L, x: tuple(parts(L, o) for o in ONE_D[name](L, x, norm)), X)
    compare(torch, lambda L, x: tuple(parts(L, o) for o in ONE_D[name](L, x, norm)), X.astype("float32"))


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("name", N_D)
def test_multi_dimensional_transforms(torch, name, norm):
    compare(torch, lambda L, x: tuple(parts(L, o) for o in N_D[name](L, x, norm)), Z)


@pytest.mark.parametrize("name", list(ONE_D) + list(N_D))
def test_gradcheck(name):
    fn, x = (ONE_D[name], X[:2, :6]) if name in ONE_D else (N_D[name], Z[:, :3, :4])
    check_grads(lambda L, t: tuple(parts(L, o) for o in fn(L, t, "ortho")), x)


def test_grad_fn_names_dtypes_and_frequencies(torch):
    same(torch, lambda L: [L.fft.fft(L.tensor([1, 2, 3])), L.fft.rfft(L.tensor([1.0, 2.0], dtype=L.float64)),
                           L.fft.fftfreq(5), L.fft.fftfreq(6, 0.5, dtype=L.float64), L.fft.rfftfreq(6, 0.5),
                           L.fft.rfftfreq(7), L.fft.fftshift(L.arange(6)), L.fft.ifftshift(L.arange(7)),
                           L.fft.fftshift(L.arange(12).reshape(3, 4), dim=1),
                           L.fft.ifftshift(L.arange(12).reshape(3, 4))])
    compare(torch, lambda L, x: (L.fft.fftshift(x), L.fft.ifftshift(x, (0,))), X)


def test_stft_and_istft(torch):
    signal = data((2, 32), seed=2)

    def run(L, x):
        window = L.hann_window(8, dtype=x.dtype)
        spectrum = L.stft(x, 8, hop_length=2, window=window, return_complex=True)
        outs = [spectrum, L.stft(x[0], 8, 4, 6, L.hamming_window(6, dtype=x.dtype), center=False,
                                 return_complex=True),
                L.stft(x, 8, 2, window=window, normalized=True, onesided=False, return_complex=True),
                L.stft(x[1], 6, window=L.ones(6, dtype=x.dtype), pad_mode="constant", return_complex=True),
                L.istft(spectrum, 8, 2, window=window), L.istft(spectrum, 8, 2, window=window, length=30),
                L.istft(spectrum[0], 8, 2, window=window, length=36)]
        return tuple(parts(L, o) for o in outs)
    compare(torch, run, signal)
    check_grads(lambda L, x: (parts(L, L.stft(x, 4, 2, window=L.hann_window(4, dtype=x.dtype), return_complex=True)),
                              L.istft(L.stft(x, 4, 2, window=L.hann_window(4, dtype=x.dtype), return_complex=True),
                                      4, 2, window=L.hann_window(4, dtype=x.dtype))), signal[0, :6])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same(torch, lambda L: L.stft(L.arange(10.0), 4, return_complex=False))
    with pytest.warns(UserWarning, match="A window was not provided"):
        __import__("minitorch").stft(__import__("minitorch").ones(8), 4, return_complex=True)


@pytest.mark.parametrize("call", [
    lambda L: L.fft.fft(L.ones(4, dtype=L.float16)),
    lambda L: L.fft.fft(L.ones(4), norm="x"),
    lambda L: L.fft.fft(L.ones(4), n=0),
    lambda L: L.fft.irfft(L.ones(1, dtype=L.complex64)),
    lambda L: L.fft.rfft(L.ones(4, dtype=L.complex64)),
    lambda L: L.fft.fftn(L.ones(2, 2), dim=(0, 0)),
    lambda L: L.fft.fftn(L.ones(2, 2), s=(2,), dim=(0, 1)),
    lambda L: L.stft(L.ones(8), 4),
    lambda L: L.stft(L.ones(8), 16, return_complex=True, window=L.ones(16), center=False),
    lambda L: L.istft(L.ones(3, 2), 4, window=L.ones(4)),
])
def test_errors_match_torch(torch, call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raises_same(torch, call)


@pytest.mark.cuda
def test_cuda_matches_cpu():
    cuda_matches_cpu(lambda L, x: (parts(L, L.fft.fft(x)), parts(L, L.fft.rfft(x)), L.fft.irfft(L.fft.rfft(x)),
                                   parts(L, L.fft.fftn(x)), L.fft.fftshift(x)), X.astype("float32"))
