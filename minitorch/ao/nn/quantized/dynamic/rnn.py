"""Dynamically quantized LSTM: every gate projection is a dynamic int8 Linear. As in torch, one layer's
input projections for all time steps are computed in one call (one input range for the whole sequence);
the hidden-state projection is quantized afresh at every step. The gates are the float LSTM's
(i, f, g, o), and so are the argument checks and the shapes (nn.LSTM's code runs the layers)."""
from ..... import _dtype, nn
from ....._quantized import functional as qF
from .....nn import Module, ModuleList
from .....nn.modules.rnn import RNNBase
from .....ops.pointwise import sigmoid, tanh
from .....ops.shape import stack
from ..utils import _apply_packed, _hide_packed_params_repr, _quantize_weight

__all__ = ["LSTM", "PackedParameter"]


class PackedParameter(Module):
    """The weights of one layer and direction: param = (w_ih, w_hh, b_ih, b_hh), the weights qint8."""

    def __init__(self, param):
        super().__init__()
        self.param = param

    def _apply(self, fn, recurse=True):
        self.param = _apply_packed(self.param, fn)
        return super()._apply(fn, recurse)

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        super()._save_to_state_dict(destination, prefix, keep_vars)
        destination[prefix + "param"] = self.param

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        self.param = tuple(state_dict.pop(prefix + "param"))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, False, missing_keys, unexpected_keys,
                                      error_msgs)


class LSTM(RNNBase):
    """nn.LSTM with int8 weights and dynamically quantized projections (no proj_size, qint8 only)."""

    _FLOAT_MODULE = nn.LSTM

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, dtype=_dtype.qint8):
        Module.__init__(self)
        self.mode, self.input_size, self.hidden_size, self.num_layers = "LSTM", input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size, self.dtype, self.version = bidirectional, 0, dtype, 2
        self._check_args(dropout)
        self._all_weight_values = ModuleList()

    def _get_name(self):
        return "DynamicQuantizedLSTM"

    def __repr__(self):
        return _hide_packed_params_repr(self, (PackedParameter, ModuleList))

    def _check_input(self, input):
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                               f"{input.shape[-1]}")

    def _run_direction(self, x, state, index, reverse):
        w_ih, w_hh, b_ih, b_hh = self._all_weight_values[index].param
        inputs = qF.linear_dynamic(x, w_ih, b_ih).unbind(0)  # one projection for the whole sequence
        h, c = state
        outputs = []
        for t in (reversed(range(len(inputs))) if reverse else range(len(inputs))):
            i, f, g, o = (qF.linear_dynamic(h, w_hh, b_hh) + inputs[t]).chunk(4, 1)
            c = sigmoid(f) * c + sigmoid(i) * tanh(g)
            h = sigmoid(o) * tanh(c)
            outputs.append(h)
        if reverse:
            outputs.reverse()
        return stack(outputs), (h, c)

    def _weight_bias(self):
        """{'weight_ih_l0': qint8 tensor, 'bias_ih_l0': float tensor, ...} as nn.LSTM names them."""
        out, directions = {}, 2 if self.bidirectional else 1
        for index, packed in enumerate(self._all_weight_values):
            layer, direction = divmod(index, directions)
            suffix = f"_l{layer}" + ("_reverse" if direction else "")
            for name, value in zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"), packed.param):
                out[name + suffix] = value
        return out

    @classmethod
    def from_float(cls, mod, use_precomputed_fake_quant=False):
        """From a float nn.LSTM with a qconfig: each weight quantized with a fresh weight observer."""
        if type(mod) is not nn.LSTM:
            raise AssertionError("nn.quantized.dynamic.LSTM.from_float only works for nn.LSTM")
        if not hasattr(mod, "qconfig"):
            raise AssertionError("Input float module must have qconfig defined")
        if mod.proj_size:
            raise NotImplementedError("dynamic quantized LSTM with proj_size is not supported")
        if mod.qconfig is not None and mod.qconfig.weight is not None:
            make_observer = mod.qconfig.weight
        else:
            from ....quantization.qconfig import default_dynamic_qconfig
            make_observer = default_dynamic_qconfig.weight
        if make_observer().dtype is not _dtype.qint8:
            raise RuntimeError(f"Unsupported dtype for dynamic RNN quantization: {make_observer().dtype}")
        qlstm = cls(mod.input_size, mod.hidden_size, mod.num_layers, mod.bias, mod.batch_first, mod.dropout,
                    mod.bidirectional)

        def quantized(weight):
            observer = make_observer()
            observer(weight)
            return _quantize_weight(weight.float(), observer)
        for names in mod._all_weights:
            weights = [getattr(mod, name) for name in names]
            w_ih, w_hh = quantized(weights[0]), quantized(weights[1])
            b_ih, b_hh = (weights[2], weights[3]) if mod.bias else (None, None)
            qlstm._all_weight_values.append(PackedParameter((w_ih, w_hh, b_ih, b_hh)))
        return qlstm
