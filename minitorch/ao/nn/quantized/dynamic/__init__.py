"""Dynamically quantized modules (torch.ao.nn.quantized.dynamic): float tensors in and out, int8 weights;
each call measures its input's range, quantizes it to uint8 and runs the exact integer product."""
from .linear import Linear
from .rnn import LSTM

__all__ = ["Linear", "LSTM"]
