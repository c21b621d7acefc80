"""`minitorch.ao.nn`: the modules quantization swaps in. `intrinsic`: fused float modules (ConvReLU2d ...)
and their QAT and quantized versions; `qat`: Linear / Conv2d with fake-quantized weights for training;
`quantized`: Linear, Conv2d, Quantize, DeQuantize on quantized tensors (int8 weights, integer products);
`quantized.dynamic`: Linear and LSTM that quantize their float input on the fly."""
from . import intrinsic, qat, quantized
