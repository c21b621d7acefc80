"""What the quantized modules share: quantizing a float weight with its observer's parameters, and the
repr that hides the packed-parameters child."""
from .... import _dtype, _qscheme
from ...._creation import zeros
from ....nn import Module
from ....nn.modules.module import _addindent
from ....ops.quantized import _make_per_channel_quantized_tensor, _make_per_tensor_quantized_tensor, \
    quantize_per_channel, quantize_per_tensor


class WeightedQuantizedModule(Module):
    """A quantized module with a weight, which can also be built from a reference quantized module."""

    @classmethod
    def from_reference(cls, ref_module, output_scale, output_zero_point):
        raise NotImplementedError


def _weight_observer(observer):
    return getattr(observer, "activation_post_process", observer)


def _clamp_weights(qweight, observer, scale, zero_point):
    """Integers limited to the observer's [quant_min, quant_max] where that is narrower than the dtype's
    (e.g. symmetric weights in [-127, 127])."""
    observer = _weight_observer(observer)
    qdtype = qweight.dtype
    if observer.quant_min <= qdtype.qmin and observer.quant_max >= qdtype.qmax:
        return qweight
    ints = qweight.int_repr().clamp(observer.quant_min, observer.quant_max)
    if observer.qscheme in _qscheme.PER_TENSOR:
        return _make_per_tensor_quantized_tensor(ints, scale.item(), zero_point.item())
    return _make_per_channel_quantized_tensor(ints, scale, zero_point, observer.ch_axis)


def _quantize_weight(float_wt, observer):
    """The float weight quantized to qint8 with the (already run) observer's scale and zero point."""
    scale, zero_point = observer.calculate_qparams()
    if observer.qscheme in _qscheme.PER_TENSOR:
        qweight = quantize_per_tensor(float_wt, float(scale.item()), int(zero_point.item()), observer.dtype)
    elif observer.qscheme in (_qscheme.per_channel_symmetric, _qscheme.per_channel_affine):
        qweight = quantize_per_channel(float_wt, scale.double(), zero_point.long(), observer.ch_axis, observer.dtype)
    else:
        raise ValueError(f"Unexpected qscheme {observer.qscheme}")
    return _clamp_weights(qweight, observer, scale, zero_point)


def _empty_weight(shape):
    """A placeholder qint8 weight (all zeros, scale 1), replaced by set_weight_bias or load_state_dict."""
    return _make_per_tensor_quantized_tensor(zeros(shape, dtype=_dtype.int8), 1.0, 0)


def _apply_packed(tensors, fn):
    """fn (a Module._apply conversion, e.g. a move to cuda) on each tensor of a packed tuple."""
    return tuple(None if t is None else fn(t) for t in tensors)


def _hide_packed_params_repr(self, params):
    """Module.__repr__ without the children of type `params` (the packed weight and bias)."""
    extra = self.extra_repr()
    extra_lines = extra.split("\n") if extra else []
    child_lines = [f"({key}): {_addindent(repr(module), 2)}" for key, module in self._modules.items()
                   if not isinstance(module, params)]
    lines = extra_lines + child_lines
    main = self._get_name() + "("
    if lines:
        main += extra_lines[0] if len(extra_lines) == 1 and not child_lines else "\n  " + "\n  ".join(lines) + "\n"
    return main + ")"
