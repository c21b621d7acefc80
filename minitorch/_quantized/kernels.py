"""The ops a quantized tensor supports, registered with the dispatch door for its dispatch keys
(QuantizedCPU, QuantizedCUDA). Any other op on a quantized tensor raises torch's "Could not run
'aten::add' with arguments from the 'QuantizedCPU' backend" error.

Three kinds of kernel:
- metadata (shape, size, stride, device ...): Tensor's own code run on a plain tensor of the integers;
- autograd and identity bookkeeping (detach, requires_grad, deepcopy ...): Tensor's own code run on the
  quantized tensor itself;
- ops with quantized meaning: shape ops and indexing (the integers move, the parameters stay), relu and
  max pooling (on the integers, which keep the order of the values), cat, equality, the quantization
  accessors (int_repr, q_scale ...), dequantize, moves between devices, and the repr."""
import numpy as np

from .. import _dispatch
from .._device import array_module
from .._tensor import Tensor
from .._tensor_str import add_suffixes, format_values
from ..nn import _conv
from ..ops import convert, index, shape
from . import storage

KEYS = ("QuantizedCPU", "QuantizedCUDA")
_wrap = Tensor._wrap


def kernel(*names):
    """Register the decorated function for both quantized keys as the kernel of each name: an aten op
    ('aten::relu'), or one public entry ('torch.Tensor.float', 'torch.Tensor.dtype.__get__')."""
    def register(fn):
        for name in names:
            for key in KEYS:
                _dispatch.register_kernel(name, key)(fn)
        return fn
    return register


def _ints(t):
    """A plain tensor of a quantized tensor's integers (sharing memory)."""
    return _wrap(t._data.ints)


def _entries(name):
    """(entry name, implementation) of one of Tensor's methods, or of a property's getter and setter."""
    attr = Tensor.__dict__[name]
    if isinstance(attr, property):
        infos = [getattr(attr, f"_{kind}_info", None) for kind in ("get", "set")]
        return [(info.name, info.op.impl) for info in infos if info is not None]
    return [(attr._dispatch_info.name, attr.__wrapped__)]


def _register_tensor_code(names, on_ints):
    """Tensor's own implementation as the entry's kernel: on the integers (metadata) or on the tensor itself."""
    for name in names:
        for entry, impl in _entries(name):
            if on_ints:
                kernel(entry)(lambda self, *args, _impl=impl, **kwargs: _impl(_ints(self), *args, **kwargs))
            else:
                kernel(entry)(impl)


_register_tensor_code(
    ("size", "dim", "ndimension", "numel", "nelement", "element_size", "stride", "storage_offset", "is_contiguous",
     "is_floating_point", "is_complex", "data_ptr", "get_device", "__len__", "device", "layout", "is_cuda",
     "is_cpu", "is_meta", "is_sparse", "shape", "ndim", "nbytes", "itemsize"), on_ints=True)
_register_tensor_code(
    ("requires_grad_", "detach", "detach_", "retain_grad", "register_hook", "register_post_accumulate_grad_hook",
     "__format__", "__deepcopy__", "__bool__", "cpu", "cuda", "is_quantized", "requires_grad", "grad_fn", "is_leaf",
     "grad", "retains_grad", "output_nr", "data"), on_ints=False)


@kernel("torch.Tensor.dtype.__get__")
def dtype(self):
    return self._data.qdtype


# ----- the quantization accessors -------------------------------------------------------------------------
@kernel("aten::int_repr")
def int_repr(self):
    """The integers, as a uint8 / int8 / int32 tensor (a copy)."""
    return _wrap(self._data.ints.copy())


def _per_tensor(self):
    if self._data.per_channel:
        raise RuntimeError("Expected quantizer->qscheme() == kPerTensorAffine to be true, but got false.  (Could "
                           "this error message be improved?  If so, please report an enhancement request to "
                           "PyTorch.)")
    return self._data


def _per_channel(self):
    if not self._data.per_channel:
        raise RuntimeError("Expected quantizer->qscheme() == kPerChannelAffine || quantizer->qscheme() == "
                           "kPerChannelAffineFloatQParams to be true, but got false.  (Could this error message be "
                           "improved?  If so, please report an enhancement request to PyTorch.)")
    return self._data


@kernel("aten::q_scale")
def q_scale(self):
    return _per_tensor(self).scale


@kernel("aten::q_zero_point")
def q_zero_point(self):
    return _per_tensor(self).zero_point


@kernel("aten::q_per_channel_scales")
def q_per_channel_scales(self):
    return _wrap(_per_channel(self).scale.copy())


@kernel("aten::q_per_channel_zero_points")
def q_per_channel_zero_points(self):
    return _wrap(_per_channel(self).zero_point.copy())


@kernel("aten::q_per_channel_axis")
def q_per_channel_axis(self):
    return _per_channel(self).axis


@kernel("aten::qscheme")
def qscheme(self):
    return self._data.qscheme


@kernel("aten::dequantize")
def dequantize(input):
    if isinstance(input, (list, tuple)):
        return tuple(dequantize(t) for t in input)
    if not input.is_quantized:
        return input
    return _wrap(storage.dequantize_data(input._data))


# ----- conversions ------------------------------------------------------------------------------------------
_DTYPE_CHANGE = "Creation of quantized tensor requires quantized dtype like torch.quint8"


@kernel(*(f"torch.Tensor.{name}" for name in ("float", "double", "half", "bfloat16", "int", "long", "short", "char",
                                               "byte", "bool")))
def to_float_or_int(self):
    """float(), int() ... change the dtype, which a quantized tensor cannot (float(t), int(t) ... give the
    number, as item() does)."""
    raise RuntimeError(_DTYPE_CHANGE)


@kernel("torch.Tensor.to")
def to(self, *args, **kwargs):
    """A quantized tensor moves between devices; it cannot change dtype (dequantize() gives floats)."""
    from .._creation import parse_to_args
    device, dtype_, _, copy = parse_to_args(*args, **kwargs)
    if dtype_ is not None and dtype_ is not self._data.qdtype:
        raise RuntimeError(_DTYPE_CHANGE)
    data = self._data
    if device is None or device == self.device:
        return _wrap(data.copy()) if copy else self
    move = convert._move
    ints = move(data.ints, device)
    if data.per_channel:
        return _wrap(storage.QuantizedData.of(ints, data.qdtype, move(data.scale, device),
                                              move(data.zero_point, device), data.axis))
    return _wrap(storage.QuantizedData.of(ints, data.qdtype, data.scale, data.zero_point))


@kernel("torch.Tensor.numpy", "torch.Tensor.__array__")
def numpy(self, *args, **kwargs):
    raise TypeError(f"Got unsupported ScalarType {self._data.qdtype.scalar_name}")


@kernel("torch.Tensor.tolist")
def tolist(self):
    raise RuntimeError("load_scalar: invalid type")


@kernel("aten::item")
def item(self):
    """The one value a one-element quantized tensor stands for, as a Python float."""
    if self.numel() != 1:
        raise RuntimeError(f"a Tensor with {self.numel()} elements cannot be converted to Scalar")
    return float(storage.dequantize_data(self._data).reshape(()).item())


for _kind in (int, float, complex):  # int(t), float(t), complex(t): the number item() gives
    kernel(f"torch.Tensor.__{_kind.__name__}__")(lambda self, _kind=_kind: _kind(item(self)))


@kernel("torch.Tensor.__setitem__")
def setitem(self, key, value):
    """Writing values into a quantized tensor is not supported (torch's quantized kernels ignore it)."""
    raise _dispatch.not_implemented_for("aten::setitem", self._data.dispatch_key)


@kernel("torch.Tensor.__index__")
def not_an_index(self):
    raise TypeError("only integer tensors of a single element can be converted to an index")


# ----- shape ops and indexing: the integers move, the parameters stay ----------------------------------------
def _per_tensor_view(impl, name):
    """Run the dense op on the integers and give the result this tensor's parameters; per-channel tensors
    are refused (as torch refuses ops that reorder their dimensions), except by copies."""
    def run(self, *args, **kwargs):
        if self._data.per_channel and name not in ("clone", "contiguous"):
            raise RuntimeError("Setting strides is possible only on uniformly quantized tensor" if name in _REORDER
                               else f"{name} of a per-channel quantized tensor is not supported")
        dense = _ints(self)
        out = impl(dense, *args, **kwargs)
        return self if out is dense else _wrap(self._data.like(out._data))
    return run


_REORDER = ("permute", "transpose", "t", "expand")
for _entry, _impl, _name in (("aten::permute", shape.permute, "permute"),
                             ("aten::transpose", shape.transpose, "transpose"), ("aten::t", shape.t, "t"),
                             ("aten::expand", shape.expand, "expand"),
                             ("torch.Tensor.__getitem__", index.getitem, "indexing"),
                             ("aten::contiguous", convert.contiguous, "contiguous"),
                             ("aten::clone", convert.clone, "clone"), ("aten::select", shape.select, "select"),
                             ("aten::narrow", shape.narrow, "narrow")):
    kernel(_entry)(_per_tensor_view(_impl, _name))


def _channel_reshape(impl):
    """view / reshape / flatten: a per-channel tensor keeps its axis number, whose length must not change
    (torch's rule)."""
    def run(self, *args, **kwargs):
        out = impl(_ints(self), *args, **kwargs)
        data = self._data
        if data.per_channel:
            channels = data.scale.shape[0]
            if data.axis >= out.dim() or out.shape[data.axis] != channels:
                got = out.shape[data.axis] if data.axis < out.dim() else 1
                raise RuntimeError(f"length of scales must equal to channel, expected {got} got, {channels}")
        return _wrap(data.like(out._data))
    return run


for _name, _impl in (("view", shape.view), ("reshape", shape.reshape), ("flatten", shape.flatten)):
    kernel(f"aten::{_name}")(_channel_reshape(_impl))


@kernel("aten::unsqueeze")
def unsqueeze(self, dim):
    out = shape.unsqueeze(_ints(self), dim)
    axis = self._data.axis
    if axis is not None:
        dim = dim + out.dim() if dim < 0 else dim
        axis += dim <= axis
    return _wrap(self._data.like(out._data, axis))


@kernel("aten::squeeze")
def squeeze(self, dim=None):
    data = self._data
    out = shape.squeeze(_ints(self), dim)
    if data.axis is None:
        return _wrap(data.like(out._data))
    before = data.ints.shape
    dims = range(len(before)) if dim is None else [d % max(len(before), 1) for d in
                                                    (dim if isinstance(dim, (tuple, list)) else (dim,))]
    removed = [d for d in dims if before[d] == 1 and d != data.axis]
    if data.axis in dims and before[data.axis] == 1 and out.dim() < len(before):
        raise RuntimeError("squeeze: cannot remove the channel axis of a per-channel quantized tensor")
    return _wrap(data.like(out._data, data.axis - sum(d < data.axis for d in removed)))


# ----- ops with quantized meaning -------------------------------------------------------------------------
@kernel("aten::relu")
def relu(input, inplace=False):
    """max(x, 0) on the integers is max(q, zero_point): the scale and zero point stay."""
    data = _per_tensor(input)
    xp = array_module(data.ints)
    zero = xp.asarray(data.zero_point, dtype=data.ints.dtype)
    if inplace:
        return relu_(input)
    return _wrap(data.like(xp.maximum(data.ints, zero)))


@kernel("aten::relu_")
def relu_(input):
    data = _per_tensor(input)
    xp = array_module(data.ints)
    xp.maximum(data.ints, xp.asarray(data.zero_point, dtype=data.ints.dtype), out=data.ints)
    input._bump_version()
    return input


@kernel("aten::max_pool2d")
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum of the integers is the integer of the maximum (a positive scale keeps the order)."""
    data = _per_tensor(input)
    out = _conv.max_pool2d(_ints(input), kernel_size, stride, padding, dilation, ceil_mode, return_indices)
    if return_indices:
        return _wrap(data.like(out[0]._data)), out[1]
    return _wrap(data.like(out._data))


@kernel("aten::cat", "aten::concat", "aten::concatenate")
def cat(tensors, dim=0, *, axis=None):
    """The result takes the first tensor's scale and zero point; other tensors are requantized to them."""
    first = tensors[0]
    if any(not t.is_quantized for t in tensors):
        raise NotImplementedError("cat: every tensor must be quantized when one of them is")
    if any(t._data.per_channel for t in tensors):
        raise RuntimeError("Only per-tensor quantization is supported in 'cat'!")
    data = first._data
    parts = []
    for t in tensors:
        d = t._data
        if d.qdtype is not data.qdtype:
            raise RuntimeError(f"All dtypes must be the same. Expected {data.qdtype}, got {d.qdtype}")
        same = (d.scale, d.zero_point) == (data.scale, data.zero_point)
        parts.append(_ints(t) if same else
                     _wrap(storage.quantize_array(storage.dequantize_data(d), d.qdtype, data.scale, data.zero_point)))
    return _wrap(data.like(shape.cat(parts, dim, axis=axis)._data))


@kernel("aten::equal")
def equal(input, other):
    """Same quantization (dtype, scheme, parameters) and the same integers."""
    if not (input.is_quantized and other.is_quantized):
        return False
    a, b = input._data, other._data
    if a.qdtype is not b.qdtype or a.qscheme is not b.qscheme or a.ints.shape != b.ints.shape:
        return False
    xp = array_module(a.ints)
    if a.per_channel:
        same = a.axis == b.axis and bool(xp.array_equal(a.scale, b.scale)) and \
            bool(xp.array_equal(a.zero_point, b.zero_point))
    else:
        same = a.scale == b.scale and a.zero_point == b.zero_point
    return same and bool(xp.array_equal(a.ints, b.ints))


# ----- printing -------------------------------------------------------------------------------------------
@kernel("torch.Tensor.__repr__")
def quantized_repr(self, *, tensor_contents=None):
    """torch's repr: the dequantized values, then size, dtype, scheme and parameters."""
    data = self._data
    values = storage.dequantize_data(data)
    values = values if type(values) is np.ndarray else values.get()
    prefix = "tensor("
    suffixes = [f"device='{self.device}'"] if self.is_cuda else []
    suffixes += [f"size={tuple(values.shape)}", f"dtype={data.qdtype}", f"quantization_scheme={data.qscheme}"]
    if data.per_channel:
        suffixes += [f"scale={q_per_channel_scales(self)}", f"zero_point={q_per_channel_zero_points(self)}",
                     f"axis={data.axis}"]
    else:
        suffixes += [f"scale={data.scale}", f"zero_point={data.zero_point}"]
    body = format_values(values, len(prefix))
    return add_suffixes(prefix + body, suffixes, len(prefix))

