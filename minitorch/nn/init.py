"""Parameter initialisation (torch.nn.init). Every function fills its tensor in place without recording
autograd history and returns it. See https://pytorch.org/docs/stable/nn.init.html"""
import math
import numbers
import warnings

from .._creation import empty, empty_like, eye, randperm
from .._device import array_module
from .._tensor import Tensor
from ..autograd import grad_mode
from ..ops.pointwise import where

__all__ = ["calculate_gain", "uniform_", "normal_", "constant_", "ones_", "zeros_", "xavier_uniform_",
           "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "eye_", "dirac_", "trunc_normal_",
           "orthogonal_", "sparse_"]

_GAIN_ONE = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
             "sigmoid")


def calculate_gain(nonlinearity, param=None):
    """The recommended scale for weights feeding `nonlinearity` (e.g. 5/3 for tanh, sqrt(2) for relu)."""
    if nonlinearity in _GAIN_ONE:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, numbers.Number) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _fill_(tensor, values):
    """Write `values` (a tensor or a number) into `tensor` outside autograd."""
    with grad_mode.no_grad():
        if isinstance(values, numbers.Number):
            return tensor.fill_(values)
        return tensor.copy_(values)


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with samples from U(a, b) (Tensor.uniform_, so a seed gives torch's numbers)."""
    with grad_mode.no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with samples from N(mean, std**2)."""
    with grad_mode.no_grad():
        return tensor.normal_(mean, std, generator=generator)


def constant_(tensor, val):
    return _fill_(tensor, val)


def ones_(tensor):
    return _fill_(tensor, 1.0)


def zeros_(tensor):
    return _fill_(tensor, 0.0)


def _calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight shaped (out_features, in_features, *kernel)."""
    if tensor.dim() < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive_field = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of {['fan_in', 'fan_out']}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """N(0, std**2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def _kaiming_std(tensor, a, mode, nonlinearity):
    return calculate_gain(nonlinearity, a) / math.sqrt(_calculate_correct_fan(tensor, mode))


def _is_empty(tensor):
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return True
    return False


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """U(-bound, bound) with bound = gain * sqrt(3 / fan) (He et al., 2015). Linear's default weight init
    is kaiming_uniform_(w, a=sqrt(5)), i.e. bound = 1 / sqrt(in_features)."""
    if _is_empty(tensor):
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """N(0, std**2) with std = gain / sqrt(fan)."""
    if _is_empty(tensor):
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


# ----- structured and less common initialisations ------------------------------------------------------------
def eye_(tensor):
    """Fill a 2-D tensor with the identity (ones on the main diagonal): keeps a Linear layer's inputs."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _fill_(tensor, eye(*tensor.shape, dtype=tensor.dtype, device=tensor.device))


def dirac_(tensor, groups=1):
    """Fill a {3, 4, 5}-D convolution weight with the Dirac delta: each output channel copies one input
    channel (per group) at the kernel's centre, so the convolution starts as the identity."""
    dims = tensor.dim()
    if dims not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    if tensor.shape[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_per_group = tensor.shape[0] // groups
    centre = tuple(size // 2 for size in tensor.shape[2:])
    with grad_mode.no_grad():
        tensor.zero_()
        for g in range(groups):
            for d in range(min(out_per_group, tensor.shape[1])):
                tensor[(g * out_per_group + d, d) + centre] = 1
    return tensor


def _norm_cdf(x):
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with N(mean, std**2) restricted to [a, b]. When [a, b] holds most of the mass, out-of-range
    normal draws are redrawn; otherwise uniform proposals on [a, b] are accepted with probability
    pdf(x) / pdf(mode), which stays efficient for narrow or far-off intervals."""
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The distribution of values "
                      "may be incorrect.", stacklevel=2)
    def draw(fill, *args):
        return fill(empty_like(tensor), *args, generator=generator)
    with grad_mode.no_grad():
        if _norm_cdf((b - mean) / std) - _norm_cdf((a - mean) / std) > 0.3:
            values = tensor.normal_(mean, std, generator=generator)
            pending = (values < a) | (values > b)
            while pending.any():
                values = where(pending, draw(Tensor.normal_, mean, std), values)
                pending = (values < a) | (values > b)
            return tensor.copy_(values)
        log_peak = -0.5 * ((max(a, min(mean, b)) - mean) / std) ** 2

        def rejected(v):
            return draw(Tensor.uniform_).log() > -0.5 * ((v - mean) / std) ** 2 - log_peak
        values = tensor.uniform_(a, b, generator=generator).clone()
        pending = rejected(values)
        while pending.any():
            values = where(pending, draw(Tensor.uniform_, a, b), values)
            pending = pending & rejected(values)
        return tensor.copy_(values)


def orthogonal_(tensor, gain=1, generator=None):
    """Fill with a (semi-)orthogonal matrix times `gain` (Saxe et al., 2013); dims after the first are
    flattened. Q of the QR decomposition of a Gaussian matrix, with columns signed by diag(R) so that Q
    is uniformly (Haar) distributed."""
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    z = empty((rows, cols), dtype=tensor.dtype, device=tensor.device).normal_(0, 1, generator=generator)._data
    xp = array_module(z)
    z = z.astype(xp.promote_types(z.dtype, xp.float32))
    q, r = xp.linalg.qr(z.T if rows < cols else z)
    q = q * xp.sign(xp.diagonal(r))
    q = q.T if rows < cols else q
    return _fill_(tensor, Tensor._wrap(xp.ascontiguousarray(q * gain)).reshape(tensor.shape))


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """Fill a 2-D tensor from N(0, std**2), then zero ceil(sparsity * rows) randomly chosen entries in
    every column (Martens, 2010). As in torch, the zeroed rows come from the default generator."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    num_zeros = math.ceil(sparsity * rows)
    with grad_mode.no_grad():
        tensor.normal_(0, std, generator=generator)
        for col in range(cols):
            tensor[randperm(rows, device=tensor.device)[:num_zeros], col] = 0
    return tensor
