"""Recurrent layers: `RNN` (tanh or relu), `LSTM`, `GRU` and their one-step cells `RNNCell`, `LSTMCell`,
`GRUCell` (torch.nn). RNN, GRU and the cells build every time step from differentiable tensor ops (linear,
sigmoid, tanh, ...), so autograd derives backpropagation through time by itself; LSTM runs each layer as one
node whose backward is written out (`_lstm_layer`), as torch's CPU kernel does, which is faster. Parameter
names, shapes, gate orders (LSTM: i, f, g, o; GRU: r, z, n), default init and errors follow torch.
See https://pytorch.org/docs/stable/nn.html#recurrent-layers"""
import math
import numbers
import warnings

import numpy as np

from ..._creation import empty, rand, zeros, zeros_like
from ..._dtype import float32
from ..._tensor import Tensor
from ..._device import array_module
from ...ops._core import make, make_multi, on_arrays
from ...ops.linalg import matmul, product
from ...ops.pointwise import relu, sigmoid, tanh
from ...ops.shape import cat, stack
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

_wrap = Tensor._wrap

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


def _tanh_step(xw, h, w_hh, b_hh):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh); `xw` is the input part, computed beforehand."""
    return tanh(xw + F.linear(h, w_hh, b_hh))


def _relu_step(xw, h, w_hh, b_hh):
    return relu(xw + F.linear(h, w_hh, b_hh))


def _lstm_step(xw, state, w_hh, b_hh, w_hr=None):
    """One LSTM step on state (h, c) (LSTMCell; nn.LSTM runs whole layers, see _lstm_layer); with a projection
    `w_hr`, h' = W_hr (o * tanh(c'))."""
    h, c = state
    i, f, g, o = (xw + F.linear(h, w_hh, b_hh)).chunk(4, 1)
    c = sigmoid(f) * c + sigmoid(i) * tanh(g)
    h = sigmoid(o) * tanh(c)
    return (h if w_hr is None else F.linear(h, w_hr)), c


class _ArrayOps:
    """What the LSTM layer's loops need, on arrays of the array module `xp` (NumPy, CuPy or meta)."""

    def __init__(self, xp):
        self.xp = xp
        self.mm = product
        self.tanh = xp.tanh
        self.zeros_like = xp.zeros_like

    def sigmoid(self, a):
        """1 / (1 + exp(-a)), torch's formula: half the passes of the overflow-free `_sigmoid`; exp's overflow
        to inf for very negative `a` gives the right 0."""
        with np.errstate(over="ignore"):
            return 1 / (1 + self.xp.exp(-a))

    def join(self, parts):
        return self.xp.concatenate(parts, axis=1)

    def stack(self, parts):
        return self.xp.stack(parts)

    def t(self, w):
        """w^T laid out contiguously: every step multiplies by it, and BLAS runs faster on that layout."""
        return self.xp.ascontiguousarray(w.T)


class _TensorOps:
    """The same on tensors, recorded by autograd (the layer's backward when a graph of it is wanted)."""
    mm, sigmoid, tanh, zeros_like = (staticmethod(f) for f in (matmul, sigmoid, tanh, zeros_like))

    @staticmethod
    def join(parts):
        return cat(parts, 1)

    @staticmethod
    def stack(parts):
        return stack(parts)

    @staticmethod
    def t(w):
        return w.t()


def _gate_values(gates, c, ops):
    """The LSTM cell on (batch, 4 * hidden) pre-activations: (i, f, g, o, c', tanh(c'))."""
    n = gates.shape[1] // 4
    s = ops.sigmoid(gates)  # one call for all gates; g's part is replaced by its tanh
    i, f, o = s[:, :n], s[:, n:2 * n], s[:, 3 * n:]
    g = ops.tanh(gates[:, 2 * n:3 * n])
    c_next = f * c + i * g
    return i, f, g, o, c_next, ops.tanh(c_next)


def _gate_grads(values, c, gh, gc, ops):
    """The cell's backward: (gradient of the gate pre-activations, gradient of c) from the gradients gh of
    o * tanh(c') and gc of c'."""
    i, f, g, o, _, tc = values
    dc = gh * o * (1 - tc * tc) + gc
    return ops.join([dc * g * i * (1 - i), dc * c * f * (1 - f), dc * i * (1 - g * g), gh * tc * o * (1 - o)]), dc * f


def _layer_forward(xw, h, c, w_hh, b_hh, w_hr, reverse, ops):
    """Unroll one LSTM layer-direction over the input parts xw (seq, batch, 4 * hidden): returns (outputs in
    time order, h_n, c_n, steps), steps holding what the backward reads, in processing order."""
    w_t = ops.t(w_hh)
    w_rt = None if w_hr is None else ops.t(w_hr)
    if b_hh is not None:
        xw = xw + b_hh  # once for all steps
    outputs, steps = [None] * xw.shape[0], []
    for t in (reversed(range(xw.shape[0])) if reverse else range(xw.shape[0])):
        values = _gate_values(xw[t] + ops.mm(h, w_t), c, ops)
        cell_h = values[3] * values[5]
        steps.append((t, values, h, c, cell_h))
        h, c = (cell_h if w_rt is None else ops.mm(cell_h, w_rt)), values[4]
        outputs[t] = h
    return ops.stack(outputs), h, c, steps


def _layer_backward(steps, w_hh, w_hr, g_out, g_h, g_c, ops):
    """Backpropagation through time of `_layer_forward`: gradients of (xw, h0, c0, w_hh, b_hh, w_hr). The
    weight gradients are one product over all steps each, not one per step."""
    d_gates, d_cell_h = [None] * len(steps), []
    for t, values, _, c, _ in reversed(steps):
        g_h = g_h + g_out[t]
        if w_hr is not None:
            d_cell_h.append(g_h)
            g_h = ops.mm(g_h, w_hr)
        d_gates[t], g_c = _gate_grads(values, c, g_h, g_c, ops)
        g_h = ops.mm(d_gates[t], w_hh)
    d_xw = ops.stack(d_gates)
    order = [t for t, *_ in steps]
    flat = ops.stack([d_gates[t] for t in order]).reshape(-1, d_xw.shape[2])
    d_w_hh = ops.mm(flat.T, ops.stack([h for _, _, h, _, _ in steps]).reshape(-1, w_hh.shape[1]))
    d_w_hr = None
    if w_hr is not None:
        d_w_hr = ops.mm(ops.stack(d_cell_h[::-1]).reshape(-1, w_hr.shape[0]).T,
                        ops.stack([cell_h for *_, cell_h in steps]).reshape(-1, w_hr.shape[1]))
    return d_xw, g_h, g_c, d_w_hh, flat.sum(0), d_w_hr


def _lstm_layer(xw, h0, c0, w_hh, b_hh, w_hr, reverse):
    """One LSTM layer-direction as one graph node (as torch's CPU kernel for float32 is one node too):
    (output (seq, batch, hidden or proj_size), h_n, c_n) from the input parts xw = x W_ih^T + b_ih of all steps
    and the initial state. The forward and, without a graph of the backward to record, the backward run on
    arrays; with create_graph the backward recomputes the steps with tensor ops and differentiates those."""
    ops = _ArrayOps(array_module(xw._data))
    w_hr_data = None if w_hr is None else w_hr._data
    *outs, steps = _layer_forward(xw._data, h0._data, c0._data, w_hh._data, None if b_hh is None else b_hh._data,
                                  w_hr_data, reverse, ops)

    def backward(g_out, g_h, g_c):
        given = next(g for g in (g_out, g_h, g_c) if g is not None)
        if on_arrays(given._data):
            grads = _layer_backward(steps, w_hh._data, w_hr_data, *(ops.zeros_like(like) if g is None else g._data
                                                                    for g, like in zip((g_out, g_h, g_c), outs)), ops)
            grads = tuple(None if g is None else _wrap(g) for g in grads)
        else:
            live = _layer_forward(xw, h0, c0, w_hh, b_hh, w_hr, reverse, _TensorOps)
            grads = _layer_backward(live[3], w_hh, w_hr, *(zeros_like(like) if g is None else g
                                                           for g, like in zip((g_out, g_h, g_c), live)), _TensorOps)
        return grads[:4] + (grads[4] if b_hh is not None else None, grads[5])
    # the name torch's CPU LSTM gives its output: oneDNN's layer node for float32 without projections, else
    # the stack of its per-step outputs
    name = "MkldnnRnnLayerBackward0" if w_hr is None and xw.dtype is float32 else "StackBackward0"
    return make_multi(outs, name, (xw, h0, c0, w_hh, b_hh, w_hr), backward,
                      saves=(xw, h0, c0, w_hh, b_hh, w_hr))


def _gru_step(xw, h, w_hh, b_hh):
    """One GRU step: the reset gate r scales only the hidden part of the candidate n, as in torch."""
    x_r, x_z, x_n = xw.chunk(3, 1)
    h_r, h_z, h_n = F.linear(h, w_hh, b_hh).chunk(3, 1)
    r = sigmoid(x_r + h_r)
    z = sigmoid(x_z + h_z)
    n = tanh(x_n + r * h_n)
    return n + z * (h - n)


_STEPS = {"RNN_TANH": _tanh_step, "RNN_RELU": _relu_step, "GRU": _gru_step}
_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _dropout(x, p):
    """Zero each element with probability p and scale the rest by 1 / (1 - p) (between stacked layers)."""
    keep = rand(x.shape, dtype=x.dtype, device=x.device) >= p
    return x * keep * (1.0 / (1 - p) if p < 1 else 0.0)


def _uniform_reset(module):
    """torch's default for recurrent weights: every parameter ~ U(-1/sqrt(hidden), 1/sqrt(hidden))."""
    bound = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0
    for weight in module.parameters():
        init.uniform_(weight, -bound, bound)


def _type_check(name, value, kind):
    if not isinstance(value, kind):
        raise TypeError(f"{name} should be of type {kind.__name__}, got: {type(value).__name__}")


def _transpose_output(x):
    """(seq, batch, ...) -> (batch, seq, ...): torch's RNN and GRU kernels transpose their fresh output in
    place, so the result carries TransposeBackward1."""
    return make(x._data.swapaxes(0, 1), "TransposeBackward1", (x,), lambda g: (g.transpose(0, 1),), saves=False)


class RNNBase(Module):
    """The multi-layer recurrent network shared by RNN, LSTM and GRU; `mode` is 'RNN_TANH', 'RNN_RELU',
    'LSTM' or 'GRU'. Input is (seq, batch, feature) ((batch, seq, feature) with batch_first) or unbatched
    (seq, feature); states are (num_layers * num_directions, batch, hidden)."""

    __constants__ = ["mode", "input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
                     "bidirectional", "proj_size"]

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        self._check_args(dropout)
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        num_directions = 2 if bidirectional else 1
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else real_hidden * num_directions
            for direction in range(num_directions):
                shapes = [("weight_ih", (gate_size, layer_input)), ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes += [("weight_hr", (proj_size, hidden_size))]
                suffix = "_reverse" if direction == 1 else ""
                names = [f"{kind}_l{layer}{suffix}" for kind, _ in shapes]
                for name, (_, shape) in zip(names, shapes):
                    setattr(self, name, Parameter(empty(shape, device=device, dtype=dtype)))
                self._flat_weights_names += names
                self._all_weights.append(names)
        self.reset_parameters()

    def _check_args(self, dropout):
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dropout > 0 and self.num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={self.num_layers}", stacklevel=4)
        _type_check("bias", self.bias, bool)
        _type_check("batch_first", self.batch_first, bool)
        _type_check("input_size", self.input_size, int)
        if self.input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        _type_check("hidden_size", self.hidden_size, int)
        if self.hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if self.num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if self.proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if self.proj_size >= self.hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")

    def reset_parameters(self):
        _uniform_reset(self)

    def flatten_parameters(self):
        """A no-op here: torch packs the weights into one buffer for cuDNN; these ops need no packing."""

    @property
    def all_weights(self):
        """The parameters grouped per layer and direction: [[weight_ih, weight_hh, bias_ih, bias_hh], ...]."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    def _check_hx_dims(self, hx, batched):
        want, kind = (3, "batched 3-D") if batched else (2, "unbatched 2-D")
        if self.mode == "LSTM":
            if hx[0].dim() != want or hx[1].dim() != want:
                raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but got "
                                   f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
        elif hx.dim() != want:
            raise RuntimeError(f"For {kind} input, hx should also be {want}-D but got {hx.dim()}-D tensor")

    def _check_input(self, input):
        weight_dtype = self.weight_ih_l0.dtype
        if input.dtype != weight_dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype ({weight_dtype}). "
                             f"Convert input: input.to({weight_dtype}), or convert model: model.to({input.dtype})")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                               f"{input.shape[-1]}")

    def _state_sizes(self, batch):
        """Expected (h, c) sizes for a time-major input with `batch` sequences."""
        layers = self.num_layers * (2 if self.bidirectional else 1)
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (layers, batch, real_hidden), (layers, batch, self.hidden_size)

    def _initial_state(self, input, hx):
        """hx, or zeros; checked against the expected sizes as torch does."""
        h_size, c_size = self._state_sizes(input.shape[1])
        if hx is None:
            h = zeros(h_size, dtype=input.dtype, device=input.device)
            return (h, zeros(c_size, dtype=input.dtype, device=input.device)) if self.mode == "LSTM" else h
        if self.mode == "LSTM":
            for i, (state, size) in enumerate(zip(hx, (h_size, c_size))):
                if tuple(state.shape) != size:
                    raise RuntimeError(f"Expected hidden[{i}] size {size}, got {list(state.shape)}")
        elif tuple(hx.shape) != h_size:
            raise RuntimeError(f"Expected hidden size {h_size}, got {list(hx.shape)}")
        return hx

    def _weights(self, index):
        """(weight_ih, bias_ih, hidden-side weights) of layer-direction `index`, biases None without bias."""
        names = dict(zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"), (None,) * 5))
        for name in self._all_weights[index]:
            names[name.split("_l")[0]] = getattr(self, name)
        hidden = (names["weight_hh"], names["bias_hh"])
        if names["weight_hr"] is not None:
            hidden += (names["weight_hr"],)
        return names["weight_ih"], names["bias_ih"], hidden

    def _run_direction(self, x, state, index, reverse):
        """Unroll one layer-direction over a time-major x: returns (outputs stacked over time, final state)."""
        w_ih, b_ih, hidden = self._weights(index)
        if self.mode == "LSTM":
            out, h, c = _lstm_layer(F.linear(x, w_ih, b_ih), *state, *hidden, *(None,) * (3 - len(hidden)),
                                    reverse)
            return out, (h, c)
        step = _STEPS[self.mode]
        inputs = F.linear(x, w_ih, b_ih).unbind(0)  # the input projection of every step at once
        outputs = []
        for t in (reversed(range(len(inputs))) if reverse else range(len(inputs))):
            state = step(inputs[t], state, *hidden)
            outputs.append(state)
        if reverse:
            outputs.reverse()
        return stack(outputs), state

    def forward(self, input, hx=None):
        if input.dim() not in (2, 3):
            kind = " tensor" if self.mode.startswith("RNN") else ""
            raise ValueError(f"{self.mode.split('_')[0]}: Expected input to be 2D or 3D, got {input.dim()}D"
                             f"{kind} instead")
        lstm = self.mode == "LSTM"
        batched = input.dim() == 3
        if hx is not None:
            self._check_hx_dims(hx, batched)
            if not batched:
                hx = tuple(h.unsqueeze(1) for h in hx) if lstm else hx.unsqueeze(1)
        x = input if batched else input.unsqueeze(0 if self.batch_first else 1)
        if self.batch_first:
            x = x.transpose(0, 1)
        self._check_input(x)
        states = self._initial_state(x, hx)
        directions = 2 if self.bidirectional else 1
        finals = []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                index = layer * directions + direction
                state = (states[0][index], states[1][index]) if lstm else states[index]
                out, state = self._run_direction(x, state, index, reverse=direction == 1)
                outputs.append(out)
                finals.append(state)
            x = outputs[0] if directions == 1 else cat(outputs, 2)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                x = _dropout(x, self.dropout)
        if self.batch_first:
            x = x.transpose(0, 1) if lstm else _transpose_output(x)
        if lstm:
            hidden = (stack([h for h, _ in finals]), stack([c for _, c in finals]))
        else:
            hidden = stack(finals)
        if not batched:
            x = x.squeeze(0 if self.batch_first else 1)
            hidden = tuple(h.squeeze(1) for h in hidden) if lstm else hidden.squeeze(1)
        return x, hidden


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (relu with nonlinearity='relu').
    Signature: RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True, batch_first=False,
    dropout=0.0, bidirectional=False, device=None, dtype=None). Returns (output, h_n)."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", *args, **kwargs)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory: gates i, f, g, o from x_t W_ih^T + b_ih + h W_hh^T + b_hh, then
    c_t = f * c + i * g and h_t = o * tanh(c_t) (projected by W_hr when proj_size > 0).
    Returns (output, (h_n, c_n))."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device, dtype)


class GRU(RNNBase):
    """Gated recurrent unit: r, z = sigmoid(..), n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn)),
    h_t = (1 - z) * n + z * h. Returns (output, h_n)."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


class RNNCellBase(Module):
    """One recurrent step with weight_ih (num_chunks * hidden, input), weight_hh (num_chunks * hidden,
    hidden) and optional biases; input (batch, input_size) or unbatched (input_size)."""

    __constants__ = ["input_size", "hidden_size", "bias"]

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        gates = num_chunks * hidden_size
        self.weight_ih = Parameter(empty((gates, input_size), device=device, dtype=dtype))
        self.weight_hh = Parameter(empty((gates, hidden_size), device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(gates, device=device, dtype=dtype))
            self.bias_hh = Parameter(empty(gates, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        _uniform_reset(self)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _step(self, step, input, hx):
        """Validate shapes (torch's messages), add the batch dimension if absent and run `step`."""
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        lstm = isinstance(hx, tuple)
        for i, h in enumerate(hx if lstm else (hx,)):
            if h is not None and h.dim() not in (1, 2):
                what = f"hx[{i}]" if lstm else "hidden"
                raise ValueError(f"{name}: Expected {what} to be 1D or 2D, got {h.dim()}D instead")
        batched = input.dim() == 2
        x = input if batched else input.unsqueeze(0)
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[-1]} expected "
                               f"{self.input_size}")
        states = []
        for i, h in enumerate(hx if lstm else (hx,)):
            if h is None:
                h = zeros(x.shape[0], self.hidden_size, dtype=x.dtype, device=x.device)
            elif not batched:
                h = h.unsqueeze(0)
            if h.shape[0] != x.shape[0]:
                raise RuntimeError(f"Input batch size {x.shape[0]} doesn't match hidden{i} batch size {h.shape[0]}")
            if h.shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got {h.shape[1]}, expected "
                                   f"{self.hidden_size}")
            states.append(h)
        out = step(F.linear(x, self.weight_ih, self.bias_ih), tuple(states) if lstm else states[0],
                   self.weight_hh, self.bias_hh)
        if batched:
            return out
        return tuple(h.squeeze(0) for h in out) if lstm else out.squeeze(0)


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (relu with nonlinearity='relu'); h defaults to zeros."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        steps = {"tanh": _tanh_step, "relu": _relu_step}
        if self.nonlinearity not in steps:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        return self._step(steps[self.nonlinearity], input, hx)


class LSTMCell(RNNCellBase):
    """One LSTM step: returns (h', c'); hx = (h, c) defaults to zeros."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        return self._step(_lstm_step, input, (None, None) if hx is None else tuple(hx))


class GRUCell(RNNCellBase):
    """One GRU step: returns h'; hx defaults to zeros."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        return self._step(_gru_step, input, hx)
