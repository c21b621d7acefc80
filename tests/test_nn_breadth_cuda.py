"""The newer nn functions and layers on cuda give what they give on cpu (values and input gradients, on the
tensor's device): their kernels are written against the array module, so CuPy runs them unchanged."""
import numpy as np
import pytest

import minitorch

from ._ops_parity import cuda_matches_cpu, data

pytestmark = pytest.mark.cuda


def _F(name, *args, **kwargs):
    return lambda L, *t: getattr(L.nn.functional, name)(*t, *args, **kwargs)


CASES = [
    ("mish", _F("mish"), [(3, 4)]), ("hardswish", _F("hardswish"), [(3, 4)]), ("glu", _F("glu"), [(3, 4)]),
    ("celu", _F("celu", 0.5), [(3, 4)]), ("prelu", _F("prelu"), [(3, 4), (4,)]),
    ("logsigmoid", _F("logsigmoid"), [(3, 4)]), ("softshrink", _F("softshrink"), [(3, 4)]),
    ("huber_loss", _F("huber_loss"), [(3, 4), (3, 4)]), ("pdist", _F("pdist"), [(4, 3)]),
    ("cosine_similarity", _F("cosine_similarity"), [(3, 4), (3, 4)]),
    ("instance_norm", _F("instance_norm"), [(2, 3, 5)]), ("rms_norm", _F("rms_norm", [4]), [(3, 4)]),
    ("conv3d", _F("conv3d", padding=1), [(1, 2, 3, 4, 3), (2, 2, 2, 2, 2)]),
    ("conv_transpose1d", _F("conv_transpose1d", stride=2), [(2, 3, 4), (3, 2, 3)]),
    ("max_pool3d", _F("max_pool3d", 2, return_indices=True), [(1, 2, 4, 4, 4)]),
    ("avg_pool3d", _F("avg_pool3d", 2, 1, 1), [(1, 2, 3, 4, 3)]),
    ("adaptive_max_pool2d", _F("adaptive_max_pool2d", 3), [(2, 2, 5, 4)]),
    ("interpolate", _F("interpolate", scale_factor=1.5, mode="bicubic"), [(1, 2, 4, 3)]),
    ("grid_sample", _F("grid_sample", align_corners=False), [(1, 2, 4, 3), (1, 3, 2, 2)]),
    ("pixel_shuffle", _F("pixel_shuffle", 2), [(1, 8, 2, 3)]),
    ("sdpa", _F("scaled_dot_product_attention", is_causal=True), [(2, 2, 3, 4), (2, 2, 3, 4), (2, 2, 3, 4)]),
    ("multi_margin_loss", lambda L, x: L.nn.functional.multi_margin_loss(x, L.tensor([0, 2, 1], device=x.device)),
     [(3, 4)]),
    ("embedding_bag", lambda L, w: L.nn.functional.embedding_bag(L.tensor([[0, 2], [1, 1]], device=w.device), w,
                                                                 mode="max"), [(3, 4)]),
]


@pytest.mark.parametrize("name,fn,shapes", CASES, ids=[c[0] for c in CASES])
def test_cuda_matches_cpu(name, fn, shapes):
    cuda_matches_cpu(fn, *[data(s, seed=i) for i, s in enumerate(shapes)])


def test_transformer_layer_on_cuda_matches_cpu():
    minitorch.manual_seed(0)
    layer = minitorch.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, dtype=minitorch.float64)
    tgt, memory = data((4, 2, 8), seed=1), data((5, 2, 8), seed=2)
    mask = minitorch.nn.Transformer.generate_square_subsequent_mask(4, dtype=minitorch.float64)
    cpu = layer(minitorch.tensor(tgt), minitorch.tensor(memory), tgt_mask=mask)
    layer.cuda()
    gpu = layer(minitorch.tensor(tgt, device="cuda"), minitorch.tensor(memory, device="cuda"), tgt_mask=mask.cuda())
    assert gpu.device.type == "cuda"
    np.testing.assert_allclose(gpu.detach().cpu().numpy(), cpu.detach().numpy(), rtol=1e-9, atol=1e-10)
