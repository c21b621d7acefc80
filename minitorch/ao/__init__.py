"""`minitorch.ao`: quantization (`ao.quantization`: observers, fake quantization, qconfigs, prepare /
convert) and the quantized modules it swaps in (`ao.nn.quantized`, `ao.nn.quantized.dynamic`,
`ao.nn.intrinsic` fused modules, `ao.nn.qat`), as torch.ao has them."""
from . import nn, quantization
