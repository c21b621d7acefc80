"""The meta device against torch's: every public op run on meta tensors gives the same shapes, dtypes,
devices and grad_fn names as torch's meta kernels (or fails as torch's do), op by op; factories, module
construction under `with device('meta')`, to_empty, load_state_dict(assign=True), default devices."""
import math

import numpy as np
import pytest

import minitorch
from minitorch import _dispatch

pytestmark = pytest.mark.parity


class Ref:
    """An extra argument that is the i-th input tensor (for ops whose tensors are not all leading)."""

    def __init__(self, i):
        self.i = i


class Attr:
    """An extra argument that is the library's attribute of that name (a dtype such as qint8)."""

    def __init__(self, name):
        self.name = name


class Extra:
    """An extra argument that is a fresh meta tensor of its own shape (weights, targets, grids ...)."""

    def __init__(self, shape, dtype="float32"):
        self.shape, self.dtype = shape, dtype

# Inputs by letter: shape and dtype.
INPUTS = {
    "x": ((2, 3), "float32"), "y": ((3,), "float32"), "z": ((2, 3), "float32"), "s": ((), "float32"),
    "m": ((3, 4), "float32"), "v": ((3,), "float32"), "w": ((4,), "float32"), "B": ((5, 2, 3), "float32"),
    "C": ((5, 3, 4), "float32"), "d": ((2, 3), "float64"), "b": ((2, 3), "bool"), "i": ((2, 3), "int64"),
    "k": ((2, 2), "int64"), "j": ((2,), "int64"), "t": ((2,), "int64"), "h": ((2, 3), "float16"),
    "q": ((2, 3), "int32"), "u": ((2, 3), "uint8"), "p": ((2, 3), "float32"), "n": ((4, 3, 6, 6), "float32"),
    "c": ((2, 3, 2, 2), "float32"), "l": ((4, 3, 8), "float32"), "e": ((2, 3, 4), "float32"),
    "g": ((3,), "float32"), "o": ((3,), "float32"), "W": ((4, 3), "float32"), "Q": ((3, 3), "float32"),
    "R": ((3, 2), "float32"), "A": ((2, 1), "float32"), "D": ((2, 2), "float32"), "X": ((2, 4), "float32"),
    "r": ((2,), "float32"), "f": ((8,), "float32"), "I": ((3,), "int32"), "Z": ((2, 3), "complex64"),
    "Y": ((3, 4), "complex64"), "K": ((3,), "int64"), "V": ((2, 3, 4, 4, 4), "float32"), "L": ((4, 3, 8), "int64"),
    "N": ((4, 3, 6, 6), "int64"), "J": ((2, 3, 4, 4, 4), "int64"),
}

# name -> (input letters, extra positional args, keyword args). Each name is tried as minitorch.<name>,
# as Tensor.<name> (first input as self) and as the in-place Tensor.<name>_, wherever torch has that form.
OPS = {
    # elementwise, one input
    **{name: ("x", (), {}) for name in (
        "abs", "acos", "arccos", "asin", "arcsin", "atan", "arctan", "ceil", "cos", "cosh", "erf", "erfc", "exp",
        "expm1", "floor", "log", "log10", "log1p", "log2", "neg", "negative", "positive", "reciprocal", "relu",
        "round", "rsqrt", "sigmoid", "sign", "sin", "sinh", "sqrt", "square", "tan", "tanh", "trunc",
        "nan_to_num", "isnan", "isinf", "isfinite", "clone", "contiguous", "float", "double", "half",
        "bfloat16", "int", "long", "short", "char", "byte", "bool", "t", "ravel", "msort", "zero_", "flatten",
        "squeeze", "detach", "logical_not", "bernoulli", "bernoulli_", "uniform_", "normal_",
        "exponential_", "cauchy_", "log_normal_", "geometric_", "random_")},
    "bitwise_not": ("i", (), {}),
    # elementwise, two inputs
    **{name: ("xy", (), {}) for name in (
        "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide",
        "remainder", "fmod", "pow", "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge", "greater",
        "less", "greater_equal", "less_equal", "not_equal", "logical_and", "logical_or", "logical_xor",
        "isclose", "rsub", "copy_")},
    **{name: ("bb", (), {}) for name in ("bitwise_and", "bitwise_or", "bitwise_xor")},
    "lerp": ("xyz", (), {}), "addcmul": ("xyz", (), {"value": 2}), "addcdiv": ("xyz", (), {"value": 0.5}),
    "clamp": ("x", (-0.5, 0.5), {}), "clip": ("x", (-0.5,), {}), "clamp_min": ("x", (0.1,), {}),
    "clamp_max": ("x", (0.1,), {}), "where": ("bxz", (), {}), "masked_fill": ("xb", (2.0,), {}),
    "fill_": ("x", (3.0,), {}), "type_as": ("xd", (), {}), "expand_as": ("yx", (), {}),
    "view_as": ("xz", (), {}), "reshape_as": ("xz", (), {}),
    # reductions
    **{name: ("x", (), {"dim": 1}) for name in ("sum", "mean", "prod", "amax", "amin", "argmax", "argmin",
                                                  "logsumexp", "all", "any", "var", "std", "norm",
                                                  "softmax", "log_softmax", "cumsum")},
    "max": ("x", (1,), {"keepdim": True}), "min": ("x", (0,), {}), "sort": ("x", (), {"dim": 1}),
    "argsort": ("x", (), {"descending": True}), "topk": ("x", (2,), {}), "kthvalue": ("x", (2,), {}),
    # shapes and views
    "reshape": ("x", ((3, 2),), {}), "view": ("x", (6,), {}), "unsqueeze": ("x", (1,), {}),
    "permute": ("e", ((2, 0, 1),), {}), "transpose": ("x", (0, 1), {}), "swapaxes": ("x", (0, 1), {}),
    "swapdims": ("x", (0, 1), {}), "movedim": ("e", (0, 2), {}), "moveaxis": ("e", (0, 2), {}),
    "flip": ("x", ((0,),), {}), "roll": ("x", (1,), {"dims": 1}), "tile": ("x", ((2, 1),), {}),
    "repeat": ("x", (2, 2), {}), "expand": ("y", (4, 3), {}), "select": ("x", (1, 0), {}),
    "narrow": ("x", (1, 0, 2), {}), "chunk": ("x", (2,), {"dim": 1}), "split": ("x", (2,), {"dim": 1}),
    "split_with_sizes": ("x", ([1, 2],), {"dim": 1}), "unbind": ("x", (1,), {}),
    "unflatten": ("x", (1, (3, 1)), {}), "tril": ("x", (), {}), "triu": ("x", (1,), {}),
    "diagonal": ("m", (), {}), "diag": ("y", (), {}), "repeat_interleave": ("x", (2,), {"dim": 0}),
    "adjoint": ("x", (), {}), "_is_view": ("x", (), {}),
    "cat": ("[xz]", (), {"dim": 1}), "concat": ("[xz]", (), {}), "concatenate": ("[xz]", (), {}),
    "stack": ("[xz]", (), {}), "hstack": ("[xz]", (), {}), "vstack": ("[xz]", (), {}),
    # indexing
    "gather": ("xk", (1, Ref(1)), {}), "scatter": ("xkz", (1, Ref(1), Ref(2)), {}),
    "scatter_add": ("xkz", (1, Ref(1), Ref(2)), {}), "index_select": ("xj", (1, Ref(1)), {}),
    "index_add": ("xjz", (0, Ref(1), Ref(2)), {}), "take": ("xj", (), {}),
    "__getitem__": ("x", ((slice(None), 1),), {}), "masked_select": ("xb", (), {}),
    "nonzero": ("x", (), {}), "argwhere": ("x", (), {}), "unique": ("x", (), {}),
    "multinomial": ("y", (2,), {}),
    # matrix products
    "matmul": ("xm", (), {}), "mm": ("xm", (), {}), "bmm": ("BC", (), {}), "dot": ("vv", (), {}),
    "mv": ("mw", (), {}), "outer": ("vw", (), {}), "ger": ("vw", (), {}),
    # operators
    **{name: ("xy", (), {}) for name in (
        "__add__", "__sub__", "__mul__", "__truediv__", "__floordiv__", "__mod__", "__pow__", "__eq__",
        "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__iadd__", "__isub__", "__imul__", "__itruediv__",
        "__ipow__", "__ifloordiv__", "__imod__")},
    **{name: ("x", (2,), {}) for name in (
        "__radd__", "__rsub__", "__rmul__", "__rtruediv__", "__rfloordiv__", "__rmod__", "__rpow__")},
    **{name: ("bb", (), {}) for name in ("__and__", "__or__", "__xor__", "__rand__", "__ror__", "__rxor__",
                                          "__iand__", "__ior__", "__ixor__")},
    "__matmul__": ("xm", (), {}), "__rmatmul__": ("mx", (), {}), "__neg__": ("x", (), {}),
    "__pos__": ("x", (), {}), "__abs__": ("x", (), {}), "__invert__": ("b", (), {}),
    "__setitem__": ("xy", (), {}), "__reversed__": ("x", (), {}),
    "new_zeros": ("x", ((2, 2),), {}), "new_ones": ("x", ((2,),), {}), "new_empty": ("x", ((3,),), {}),
    "new_full": ("x", ((2,), 1.5), {}), "new_tensor": ("x", ([1.0, 2.0],), {}),
    # linear algebra
    "vdot": ("vv", (), {}), "matrix_exp": ("Q", (), {}), "geqrf": ("m", (), {}), "orgqr": ("mg", (), {}),
    "norm_except_dim": ("x", (2, 0), {}), "_weight_norm": ("xA", (), {"dim": 0}),
    # sparse layouts: on a dense (meta) tensor the sparse-only methods raise torch's layout errors
    **{name: ("x", (), {}) for name in ("to_dense", "values", "indices", "crow_indices", "col_indices", "coalesce",
                                        "is_coalesced", "_nnz", "sparse_dim", "dense_dim", "to_sparse",
                                        "to_sparse_csr")},
    "cholesky": ("Q", (), {}), "cholesky_inverse": ("Q", (), {}), "cholesky_solve": ("RQ", (), {}),
    "det": ("Q", (), {}), "logdet": ("Q", (), {}), "slogdet": ("Q", (), {}), "inverse": ("Q", (), {}),
    "pinverse": ("m", (), {}), "matrix_power": ("Q", (2,), {}), "lu": ("Q", (), {}), "lu_solve": ("RQI", (), {}),
    "lu_unpack": ("QI", (), {}), "triangular_solve": ("RQ", (), {}),
    # more elementwise ops, one input
    **{name: ("x", (), {}) for name in (
        "absolute", "acosh", "arccosh", "asinh", "arcsinh", "atanh", "arctanh", "deg2rad", "rad2deg", "exp2",
        "frac", "fix", "sgn", "signbit", "isposinf", "isneginf", "isreal", "sinc", "lgamma", "digamma", "erfinv",
        "i0", "logit", "angle", "conj", "conj_physical", "resolve_conj", "resolve_neg", "is_conj", "is_neg",
        "real", "frexp", "cfloat", "cdouble", "is_signed")},
    "imag": ("Z", (), {}), "mvlgamma": ("x", (), {"p": 1}), "polygamma": ("x", (1,), {}),
    "is_nonzero": ("s", (), {}), "view_as_real": ("Z", (), {}), "view_as_complex": ("D", (), {}),
    # two inputs
    **{name: ("xy", (), {}) for name in (
        "atan2", "arctan2", "hypot", "logaddexp", "logaddexp2", "copysign", "nextafter", "fmax", "fmin",
        "float_power", "xlogy", "igamma", "igammac", "heaviside", "ldexp")},
    **{name: ("ii", (), {}) for name in (
        "gcd", "lcm", "bitwise_left_shift", "bitwise_right_shift", "__lshift__", "__rshift__", "__ilshift__",
        "__irshift__")},
    "is_same_size": ("xz", (), {}), "complex": ("xz", (), {}), "polar": ("xz", (), {}),
    # statistics and scans
    **{name: ("x", (), {"dim": 1}) for name in (
        "nansum", "nanmean", "aminmax", "count_nonzero", "std_mean", "var_mean")},
    **{name: ("x", (1,), {}) for name in (
        "median", "nanmedian", "mode", "cummax", "cummin", "cumprod", "logcumsumexp")},
    "quantile": ("x", (0.5,), {"dim": 1}), "nanquantile": ("x", (0.5,), {"dim": 1}),
    **{name: ("x", (), {}) for name in (
        "diff", "trapezoid", "trapz", "cumulative_trapezoid", "histc", "histogram", "cov", "corrcoef")},
    "histogramdd": ("x", (), {"bins": 2}), "bincount": ("t", (), {}), "searchsorted": ("vx", (), {}),
    "bucketize": ("xv", (), {}),
    # arranging, views and their copies
    **{name: ("y", (), {}) for name in ("atleast_1d", "atleast_2d", "atleast_3d", "diagflat", "vander")},
    **{name: ("x", (), {}) for name in (
        "fliplr", "flipud", "rot90", "diag_embed", "alias_copy", "detach_copy", "squeeze_copy", "t_copy",
        "slice_copy")},
    **{name: ("[xz]", (), {}) for name in ("column_stack", "row_stack", "dstack")},
    **{name: ("x", (2,), {"dim": 1}) for name in ("tensor_split", "unsafe_split", "unsafe_chunk", "split_copy")},
    **{name: ("x", ([1, 2],), {"dim": 1}) for name in ("unsafe_split_with_sizes", "split_with_sizes_copy")},
    "broadcast_tensors": ("xy", (), {}), "broadcast_to": ("y", ((2, 3),), {}),
    "broadcast_shapes": ("", ((2, 3), (3,)), {}),
    "meshgrid": ("vw", (), {"indexing": "ij"}), "cartesian_prod": ("vw", (), {}), "combinations": ("v", (), {}),
    "block_diag": ("xm", (), {}), "hsplit": ("x", (3,), {}), "vsplit": ("x", (2,), {}), "dsplit": ("e", (2,), {}),
    "take_along_dim": ("xk", (), {"dim": 1}), "unravel_index": ("j", ((2, 3),), {}),
    "as_strided": ("x", ((2, 2), (1, 2)), {}), "as_strided_copy": ("x", ((2, 2), (1, 2)), {}),
    "as_strided_scatter": ("xD", ((2, 2), (1, 2)), {}), "unfold": ("x", (1, 2, 1), {}),
    "unfold_copy": ("x", (1, 2, 1), {}), "diagonal_scatter": ("mv", (), {}), "select_scatter": ("xy", (0, 1), {}),
    "slice_scatter": ("xz", (), {}), "sum_to_size": ("x", (1, 3), {}), "narrow_copy": ("x", (1, 0, 2), {}),
    "diagonal_copy": ("m", (), {}), "expand_copy": ("y", ((4, 3),), {}), "permute_copy": ("e", ((2, 0, 1),), {}),
    "select_copy": ("x", (1, 0), {}), "transpose_copy": ("x", (0, 1), {}), "unbind_copy": ("x", (1,), {}),
    "unsqueeze_copy": ("x", (1,), {}), "view_copy": ("x", ((6,),), {}),
    # indexing
    "index_copy": ("xjz", (0, Ref(1), Ref(2)), {}), "index_fill": ("xj", (1, Ref(1), 2.0), {}),
    "index_put": ("xjy", ((Ref(1),), Ref(2)), {}), "masked_scatter": ("xbz", (), {}), "put": ("xjr", (), {}),
    "scatter_reduce": ("xkz", (1, Ref(1), Ref(2), "sum"), {}), "fill_diagonal_": ("Q", (1.0,), {}),
    "fill": ("x", (2.0,), {}),
    # products
    "addmm": ("Xxm", (), {}), "addmv": ("vmw", (), {}), "addr": ("mvw", (), {}), "baddbmm": ("XBC", (), {}),
    "addbmm": ("XBC", (), {}), "einsum": ("xm", ("ij,jk->ik", Ref(0), Ref(1)), {}),
    "tensordot": ("xm", (), {"dims": 1}), "kron": ("xm", (), {}), "inner": ("xz", (), {}),
    "chain_matmul": ("xmW", (), {}), "trace": ("Q", (), {}), "cross": ("xz", (), {"dim": 1}),
    "dist": ("xz", (), {}), "cdist": ("xz", (), {}),
    # signals
    "stft": ("f", (4,), {"return_complex": True}), "istft": ("Y", (4,), {}),
    # factories of torch.* that are not tensor ops
    **{name: ("", (5,), {"device": "meta"}) for name in (
        "bartlett_window", "blackman_window", "hamming_window", "hann_window", "kaiser_window")},
    "range": ("", (0, 4), {"device": "meta"}), "scalar_tensor": ("", (2.0,), {"device": "meta"}),
    "empty_strided": ("", ((2, 3), (3, 1)), {"device": "meta"}), "tril_indices": ("", (3, 3), {"device": "meta"}),
    "triu_indices": ("", (3, 3), {"device": "meta"}), "asarray": ("", ([1.0, 2.0],), {"device": "meta"}),
    # quantization (no quantized meta tensors in either library; fake quantization is float arithmetic)
    "quantize_per_channel": ("xgK", (1, Attr("qint8")), {}), "_make_per_tensor_quantized_tensor": ("u", (0.1, 2), {}),
    "_make_per_channel_quantized_tensor": ("ugK", (1,), {}), "dequantize": ("x", (), {}),
    "fake_quantize_per_tensor_affine": ("x", (0.1, 2, -128, 127), {}),
    "fake_quantize_per_channel_affine": ("xgI", (1, -128, 127), {}),
    **{name: ("x", (), {}) for name in ("int_repr", "q_scale", "q_zero_point", "qscheme", "q_per_channel_scales",
                                        "q_per_channel_zero_points", "q_per_channel_axis")},
}

# torch.linalg: name -> (input letters, extra args, keyword args)
LINALG = {
    "matmul": ("xm", (), {}), "matrix_exp": ("Q", (), {}), "qr": ("m", (), {}), "svd": ("m", (), {}),
    "svdvals": ("m", (), {}), "solve": ("QR", (), {}), "householder_product": ("mg", (), {}),
    "matrix_norm": ("m", (), {}), "vector_norm": ("x", (), {}), "norm": ("x", (), {}),
    **{name: ("Q", (), {}) for name in (
        "cholesky", "cholesky_ex", "det", "eigh", "eigvalsh", "inv", "inv_ex", "lu", "lu_factor", "lu_factor_ex",
        "slogdet")},
    "cross": ("xz", (), {}), "diagonal": ("m", (), {}), "lstsq": ("QR", (), {}), "lu_solve": ("QIR", (), {}),
    "matrix_power": ("Q", (2,), {}), "matrix_rank": ("m", (), {}), "multi_dot": ("[xmW]", (), {}),
    "pinv": ("m", (), {}), "solve_triangular": ("QR", (), {"upper": True}), "vander": ("y", (), {}),
    "vecdot": ("xz", (), {}),
}

# torch.fft: name -> (input letters, extra args, keyword args)
FFT = {
    **{name: ("f", (), {}) for name in ("fft", "ifft", "rfft", "irfft", "hfft", "ihfft")},
    **{name + suffix: ("x", (), {}) for suffix in ("2", "n") for name in (
        "fft", "ifft", "rfft", "irfft", "hfft", "ihfft")},
    "fftfreq": ("", (5,), {"device": "meta"}), "rfftfreq": ("", (5,), {"device": "meta"}),
    "fftshift": ("x", (), {}), "ifftshift": ("x", (), {}),
}

# nn.functional: name -> (input letters, extra args, keyword args)
FUNCTIONAL = {
    "relu": ("x", (), {}), "relu_": ("x", (), {}), "leaky_relu": ("x", (0.2,), {}), "elu": ("x", (), {}),
    "gelu": ("x", (), {}), "silu": ("x", (), {}), "softplus": ("x", (), {}), "hardtanh": ("x", (), {}),
    "softmax": ("x", (), {"dim": 1}), "log_softmax": ("x", (), {"dim": 0}), "linear": ("xW", (), {}),
    "bilinear": ("xxB", (), {}), "dropout": ("x", (0.5,), {"training": False}),
    "normalize": ("x", (), {}), "pad": ("x", ((1, 2),), {}), "one_hot": ("j", (), {"num_classes": 3}),
    "layer_norm": ("x", ((3,),), {}), "group_norm": ("c", (1,), {}),
    "batch_norm": ("x", (None, None), {"training": True}), "embedding": ("kW", (), {}),
    "conv2d": ("nc", (), {"padding": 1}), "conv1d": ("l", (), {"weight": None}),
    "conv_transpose2d": ("n", (), {}), "max_pool2d": ("n", (2,), {}), "avg_pool2d": ("n", (2,), {}),
    "max_pool1d": ("l", (2,), {}), "avg_pool1d": ("l", (2,), {}), "adaptive_avg_pool2d": ("n", ((2, 3),), {}),
    "unfold": ("n", (2,), {}), "fold": ("l", ((3, 3), 2), {}),
    "mse_loss": ("xz", (), {}), "l1_loss": ("xz", (), {}), "smooth_l1_loss": ("xz", (), {}),
    "cross_entropy": ("xj", (), {}), "nll_loss": ("xj", (), {}), "binary_cross_entropy": ("pz", (), {}),
    "binary_cross_entropy_with_logits": ("xz", (), {}),
    # activations
    **{name: ("x", (), {}) for name in (
        "celu", "celu_", "elu_", "hardshrink", "softshrink", "hardsigmoid", "hardswish", "hardtanh_",
        "leaky_relu_", "logsigmoid", "mish", "relu6", "selu", "selu_", "softsign", "tanhshrink", "rrelu", "rrelu_",
        "gumbel_softmax")},
    "softmin": ("x", (), {"dim": 1}), "threshold": ("x", (0.1, 0.0), {}), "threshold_": ("x", (0.1, 0.0), {}),
    "glu": ("e", (), {}), "prelu": ("xv", (), {}),
    # dropout (training, so that the random masks are made)
    "alpha_dropout": ("x", (0.5,), {"training": True}), "feature_alpha_dropout": ("n", (0.5,), {"training": True}),
    "dropout1d": ("l", (0.5,), {}), "dropout2d": ("n", (0.5,), {}), "dropout3d": ("V", (0.5,), {}),
    # convolution and pooling
    "conv3d": ("V", (Extra((2, 3, 3, 3, 3)),), {"padding": 1}),
    "conv_transpose1d": ("l", (Extra((3, 2, 3)),), {"stride": 2}),
    "conv_transpose3d": ("V", (Extra((3, 2, 2, 2, 2)), Extra((2,))), {}),
    "conv_tbc": ("e", (Extra((2, 4, 5)), Extra((5,))), {"pad": 1}),
    "adaptive_avg_pool1d": ("l", (4,), {}), "adaptive_avg_pool3d": ("V", (2,), {}),
    "adaptive_max_pool1d": ("l", (4,), {}), "adaptive_max_pool1d_with_indices": ("l", (3,), {}),
    "adaptive_max_pool2d": ("n", ((3, 2),), {}), "adaptive_max_pool2d_with_indices": ("n", (4,), {}),
    "adaptive_max_pool3d": ("V", (2,), {}), "adaptive_max_pool3d_with_indices": ("V", ((3, 2, 1),), {}),
    "avg_pool3d": ("V", (2,), {}), "max_pool3d": ("V", (2,), {}), "max_pool3d_with_indices": ("V", (2,), {}),
    "max_pool1d_with_indices": ("l", (2,), {}), "max_pool2d_with_indices": ("n", (2,), {}),
    "fractional_max_pool2d": ("n", (2,), {"output_size": 3}),
    "fractional_max_pool2d_with_indices": ("n", (2,), {"output_ratio": (0.5, 0.7)}),
    "fractional_max_pool3d": ("V", (2,), {"output_size": 2}),
    "fractional_max_pool3d_with_indices": ("V", (2,), {"output_ratio": 0.5}),
    "lp_pool1d": ("l", (2, 2), {}), "lp_pool2d": ("n", (2, 3), {}), "lp_pool3d": ("V", (1, 2), {}),
    "max_unpool1d": ("lL", (2,), {}), "max_unpool2d": ("nN", (2,), {}), "max_unpool3d": ("VJ", (2,), {}),
    # losses
    **{name: ("xz", (), {}) for name in (
        "hinge_embedding_loss", "huber_loss", "multilabel_soft_margin_loss", "poisson_nll_loss",
        "soft_margin_loss")},
    "kl_div": ("xz", (), {"reduction": "batchmean"}),
    **{name: ("xzp", (), {}) for name in (
        "gaussian_nll_loss", "margin_ranking_loss", "triplet_margin_loss", "triplet_margin_with_distance_loss")},
    "cosine_embedding_loss": ("xz", (Extra((2,)),), {}), "multi_margin_loss": ("xj", (), {}),
    "multilabel_margin_loss": ("xi", (), {}), "linear_cross_entropy": ("xWj", (), {}),
    "ctc_loss": ("", (Extra((5, 2, 4)), Extra((2, 3), "int64"), [5, 4], [3, 2]), {}),
    # normalisation, distances, embeddings
    "instance_norm": ("c", (), {}), "local_response_norm": ("n", (2,), {}), "rms_norm": ("x", ((3,),), {}),
    "cosine_similarity": ("xz", (), {}), "pairwise_distance": ("xz", (), {}), "pdist": ("x", (), {}),
    "embedding_bag": ("kW", (), {}),
    "grouped_mm": ("", (Extra((3, 4, 8), "bfloat16"), Extra((3, 8, 8), "bfloat16")), {}),  # torch's meta: bf16
    # shuffles and sampling
    "pixel_shuffle": ("", (Extra((1, 8, 3, 3)), 2), {}), "pixel_unshuffle": ("n", (2,), {}),
    "channel_shuffle": ("n", (3,), {}), "native_channel_shuffle": ("n", (3,), {}),
    "interpolate": ("n", (), {"scale_factor": 2, "mode": "bilinear"}),
    "affine_grid": ("B", ([5, 1, 4, 3],), {"align_corners": False}),
    "grid_sample": ("n", (Extra((4, 2, 3, 2)),), {"align_corners": False}),
    # attention
    "scaled_dot_product_attention": ("eee", (), {"is_causal": True}),
    "multi_head_attention_forward": ("eee", (4, 2, Extra((12, 4)), Extra((12,)), None, None, False, 0.0,
                                             Extra((4, 4)), Extra((4,))), {}),
}

# Ops that torch has no meta kernel for, which work on minitorch's meta arrays.
BEYOND_TORCH = {"geqrf", "cov", "corrcoef", "combinations", "istft", "lstsq", "dequantize",
                "fake_quantize_per_tensor_affine", "fake_quantize_per_channel_affine"}

# Entries that a table row does not cover, and why.
NOT_OPS = {
    # they read values, which a meta tensor has none of (tested in test_values_are_refused)
    "item", "tolist", "numpy", "__array__", "__bool__", "__float__", "__int__", "__index__", "__complex__",
    "__format__", "__repr__", "__dlpack__", "__dlpack_device__", "data_ptr", "__contains__", "equal",
    "allclose", "_assert",
    # facts about the tensor (tested in test_attributes)
    "size", "stride", "dim", "ndimension", "numel", "nelement", "element_size", "storage_offset",
    "is_contiguous", "is_floating_point", "is_complex", "get_device", "__len__",
    # autograd plumbing and copies between devices (tested below)
    "backward", "register_hook", "register_post_accumulate_grad_hook", "retain_grad", "requires_grad_",
    "detach_", "__deepcopy__", "cpu", "cuda", "to", "type",
    # factories (tested in test_factories)
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "zeros_like", "ones_like",
    "empty_like", "full_like", "eye", "arange", "linspace", "logspace", "rand", "randn", "randint",
    "randperm", "normal", "rand_like", "randn_like", "randint_like",
    # sparse factories, whose index arrays need values (tested in test_sparse.py)
    "sparse_coo_tensor", "sparse_csr_tensor",
    # a tensor over a buffer's bytes, which is on the cpu (tested in test_torch_misc)
    "frombuffer",
    # torch's meta quantize_per_tensor returns a float32 tensor, as no quantized meta tensor exists; minitorch
    # refuses instead (tested in test_no_quantized_meta_tensors)
    "quantize_per_tensor",
}


def _place(lib, ts, args):
    """(leading tensors, args) with every Ref (also in a tuple) replaced by its tensor, which then does not
    lead, and every Attr by lib's attribute."""
    used = set()

    def put(a):
        if isinstance(a, tuple):
            return tuple(put(v) for v in a)
        if isinstance(a, Ref):
            used.add(a.i)
            return ts[a.i]
        if isinstance(a, Attr):
            return getattr(lib, a.name)
        return a
    args = [put(a) for a in args]
    return [t for i, t in enumerate(ts) if i not in used], args


def _fresh(lib, shape, dtype, grad):
    t = lib.empty(shape, dtype=getattr(lib, dtype), device="meta")
    return t.requires_grad_() if grad and t.is_floating_point() else t


def _make(lib, letter, grad):
    return _fresh(lib, *INPUTS[letter], grad)


def _extra(lib, arg, grad):
    return _fresh(lib, arg.shape, arg.dtype, grad) if isinstance(arg, Extra) else arg


def _inputs(lib, letters, grad):
    if letters.startswith("["):
        return [[_make(lib, c, grad) for c in letters[1:-1]]]
    return [_make(lib, c, grad) for c in letters]


def _form_call(lib, name, form, letters, args, kwargs, grad):
    """Run op `name` in `form` ('function', 'method', 'inplace', 'functional') on fresh meta inputs."""
    ts, args = _place(lib, _inputs(lib, letters, grad), args)
    args = [_extra(lib, a, grad) for a in args]
    kwargs = {k: _extra(lib, a, grad) for k, a in kwargs.items()}
    if form == "function":
        return getattr(lib, name)(*ts, *args, **kwargs)
    if form in ("linalg", "fft"):
        return getattr(getattr(lib, form), name)(*ts, *args, **kwargs)
    if form == "functional":
        if name == "conv1d":
            weight = lib.empty((2, 3, 3), device="meta")
            return lib.nn.functional.conv1d(ts[0], weight)
        if name == "conv_transpose2d":
            weight = lib.empty((3, 2, 3, 3), device="meta")
            return lib.nn.functional.conv_transpose2d(ts[0], weight, stride=2)
        return getattr(lib.nn.functional, name)(*ts, *args, **kwargs)
    self = ts[0] if form == "method" or not grad else ts[0].detach().clone()
    if name == "__setitem__":
        self[0] = ts[1]
        return self
    if form == "inplace":
        return getattr(self, name + "_")(*ts[1:], *args, **kwargs)
    return getattr(self, name)(*ts[1:], *args, **kwargs)


def _observe(lib, name, form, letters, args, kwargs, grad):
    """What a learner sees: per output (shape, dtype, device, grad_fn name), or the exception type."""
    try:
        out = _form_call(lib, name, form, letters, args, kwargs, grad)
    except Exception as e:  # noqa: BLE001 - the exception is what is compared
        return ("raised", type(e).__name__)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    seen = []
    for o in outs:
        if isinstance(o, (minitorch.Tensor,)) or type(o).__name__ in ("Tensor", "Parameter"):
            seen.append((tuple(o.shape), str(o.dtype).split(".")[-1], str(o.device),
                         o.grad_fn.name() if o.grad_fn is not None else None))
        else:
            seen.append(o)
    return seen


def _forms(torch, name, table):
    if table is FUNCTIONAL:
        return ["functional"]
    if table is LINALG:
        return ["linalg"]
    if table is FFT:
        return ["fft"]
    forms = []
    if hasattr(torch, name) and hasattr(minitorch, name):
        forms.append("function")
    if hasattr(torch.Tensor, name) and hasattr(minitorch.Tensor, name):
        forms.append("method")
    if not name.startswith("_") and hasattr(torch.Tensor, name + "_") and hasattr(minitorch.Tensor, name + "_"):
        forms.append("inplace")
    return forms


CASES = [(name, spec, table) for table in (OPS, FUNCTIONAL, LINALG, FFT) for name, spec in table.items()]
_PREFIX = {id(FUNCTIONAL): "F.", id(LINALG): "linalg.", id(FFT): "fft."}


@pytest.mark.parametrize("grad", [False, True], ids=["plain", "requires_grad"])
@pytest.mark.parametrize("name,spec,table", CASES, ids=[_PREFIX.get(id(t), "") + n for n, _, t in CASES])
def test_op_on_meta_matches_torch(torch, name, spec, table, grad):
    letters, args, kwargs = spec
    forms = _forms(torch, name, table)
    assert forms, f"{name}: neither library has it in any form"
    for form in forms:
        ours = _observe(minitorch, name, form, letters, args, kwargs, grad)
        theirs = _observe(torch, name, form, letters, args, kwargs, grad)
        if name in BEYOND_TORCH and theirs == ("raised", "NotImplementedError"):
            assert ours[0] != "raised"
            continue
        assert ours == theirs, f"{form} {name}: minitorch {ours} torch {theirs}"


def test_every_public_op_has_a_meta_case():
    """Every public entry of minitorch (functions, Tensor methods and operators, nn.functional) is covered
    by a row above or named in NOT_OPS."""
    covered = set(OPS) | set(NOT_OPS) | {n + "_" for n in OPS}
    missing = []
    for label in set(_dispatch._NAMES.values()):
        namespace, _, short = label.rpartition(".")
        if short in ("__get__", "__set__", "__delete__"):
            continue
        tables = {"torch.nn.functional": FUNCTIONAL, "torch.linalg": LINALG, "torch.fft": FFT}
        if namespace in tables:
            if short not in tables[namespace]:
                missing.append(label)
        elif short not in covered:
            missing.append(label)
    assert not missing, f"no meta case for {sorted(missing)}"


def test_backward_on_meta(torch):
    """Autograd runs on meta tensors: gradients are meta tensors of the inputs' shapes."""
    shapes = {}
    for lib in (minitorch, torch):
        x = lib.empty(4, 3, device="meta", requires_grad=True)
        w = lib.empty(2, 3, device="meta", requires_grad=True)
        loss = lib.nn.functional.cross_entropy(lib.nn.functional.linear(x, w).relu(),
                                               lib.empty(4, dtype=lib.int64, device="meta"))
        loss.backward()
        shapes[lib.__name__] = [(tuple(t.grad.shape), str(t.grad.device)) for t in (x, w)]
    assert shapes["minitorch"] == shapes["torch"]


def test_values_are_refused(torch):
    """What needs values fails on meta as in torch."""
    def attempts(lib):
        m = lib.empty(2, 3, device="meta")
        one = lib.empty((), device="meta")
        for fn in (lambda: m.item(), lambda: one.item(), lambda: bool(one), lambda: float(one), lambda: m.tolist(),
                   lambda: m.numpy(), lambda: m.cpu(), lambda: m.to("cpu"), lambda: m.nonzero(),
                   lambda: m[m > 0], lambda: lib.masked_select(m, m > 0)):
            try:
                fn()
                yield "ok"
            except Exception as e:  # noqa: BLE001
                yield type(e).__name__, str(e).split(".")[0][:60]
    assert list(attempts(minitorch)) == list(attempts(torch))


def test_ctc_loss_wants_lengths_as_ints(torch):
    """ctc_loss on meta takes its lengths as ints; as tensors they would be values to read."""
    def attempt(lib):
        log_probs, targets = lib.empty(5, 2, 4, device="meta"), lib.empty(2, 3, dtype=lib.int64, device="meta")
        lengths = [lib.tensor([5, 4], device=device) for device in ("meta", "cpu")]
        for ins in lengths:
            try:
                lib.nn.functional.ctc_loss(log_probs, targets, ins, lib.tensor([3, 2], device=ins.device))
                yield "ok"
            except Exception as e:  # noqa: BLE001
                yield type(e).__name__, "Meta tensors" in str(e)
    assert list(attempt(minitorch)) == list(attempt(torch)) == [("NotImplementedError", True)] * 2


def test_attributes(torch):
    def facts(lib):
        m = lib.empty(2, 3, 4, device="meta", dtype=lib.float64)
        v = m.transpose(0, 2)[1:]
        return [tuple(m.shape), m.stride(), m.dim(), m.numel(), m.element_size(), m.is_contiguous(),
                v.stride(), v.storage_offset(), v.is_contiguous(), m.is_meta, m.is_cpu, m.is_cuda,
                str(m.device), repr(m.device), m.get_device(), m.nbytes, m.itemsize, str(m.layout), len(m),
                repr(m), repr(lib.empty(3, device="meta", requires_grad=True).sum())]
    assert facts(minitorch) == facts(torch)


def test_factories(torch):
    """Factories make meta tensors of the right shapes and dtypes, and draw no random numbers."""
    def made(lib):
        lib.manual_seed(0)
        ts = [lib.zeros(2, 3, device="meta"), lib.ones((4,), dtype=lib.int64, device="meta"),
              lib.full((2,), 7, device="meta"), lib.arange(5, device="meta"), lib.linspace(0, 1, 7, device="meta"),
              lib.eye(3, device="meta"), lib.rand(2, device="meta"), lib.randn(3, 2, device="meta"),
              lib.randint(0, 5, (4,), device="meta"), lib.randperm(6, device="meta"),
              lib.tensor([1.0, 2.0], device="meta"), lib.empty_like(lib.empty(2, device="meta")),
              lib.zeros_like(lib.ones(3), device="meta")]
        after = lib.rand(1).item()
        return [(tuple(t.shape), str(t.dtype), str(t.device)) for t in ts], after
    assert made(minitorch) == made(torch)


def test_default_device_and_contexts(torch):
    def trace(lib):
        out = [str(lib.get_default_device())]
        with lib.device("meta"):
            out += [str(lib.ones(1).device), str(lib.ones(1, device="cpu").device),
                    str(lib.empty_like(lib.ones(1, device="cpu")).device)]
            with lib.device("cpu"):
                out.append(str(lib.zeros(1).device))
            out.append(str(lib.zeros(1).device))
        out.append(str(lib.zeros(1).device))
        lib.set_default_device("meta")
        try:
            out += [str(lib.get_default_device()), str(lib.randn(2).device)]
        finally:
            lib.set_default_device(None)
        out.append(str(lib.get_default_device()))
        return out
    assert trace(minitorch) == trace(torch)


class _Net(minitorch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = minitorch.nn.Conv2d(1, 4, 3)
        self.bn = minitorch.nn.BatchNorm2d(4)
        self.fc = minitorch.nn.Linear(4 * 6 * 6, 10)

    def forward(self, x):
        return self.fc(self.bn(self.conv(x)).relu().flatten(1))


def test_module_on_meta_then_to_empty_and_assign():
    """The torch 2.x habit: build on meta (no memory, no init work), then materialise by loading weights."""
    minitorch.manual_seed(0)
    real = _Net()
    with minitorch.device("meta"):
        lazy = _Net()
    assert all(p.is_meta for p in lazy.parameters()) and all(b.is_meta for b in lazy.buffers())
    out = lazy(minitorch.empty(2, 1, 8, 8, device="meta"))
    assert out.shape == (2, 10) and out.is_meta
    lazy.load_state_dict(real.state_dict(), assign=True)
    x = minitorch.randn(2, 1, 8, 8)
    assert minitorch.equal(lazy(x), real(x))
    assert isinstance(lazy.fc.weight, minitorch.nn.Parameter) and lazy.fc.weight.requires_grad
    with minitorch.device("meta"):
        empty = _Net()
    empty.to_empty(device="cpu")
    assert all(p.device.type == "cpu" and not p.is_meta for p in empty.parameters())
    assert math.prod(empty.fc.weight.shape) == 10 * 144


def test_unsupported_dispatch_key_error():
    """A tensor kind registers kernels per dispatch key; ops it lacks raise torch's 'Could not run' error."""
    class Toy(np.ndarray):
        dispatch_key = "SparseCPU"
    t = minitorch.Tensor._wrap(np.zeros(3).view(Toy))
    _dispatch.track_nondense(t)

    @_dispatch.register_kernel("aten::neg", "SparseCPU")
    def neg(input):
        return "toy neg"
    try:
        assert (-t) == "toy neg"
        with pytest.raises(NotImplementedError, match=r"Could not run 'aten::exp' with arguments from the "
                                                      r"'SparseCPU' backend"):
            t.exp()
    finally:
        del _dispatch._KERNELS["aten::neg"]["SparseCPU"]
        del t


@pytest.mark.filterwarnings("ignore:torch.quantize_per_tensor:UserWarning")
def test_no_quantized_meta_tensors(torch):
    """Quantizing a meta tensor is torch's "no Meta kernel" error, also while a quantized cpu tensor is alive
    (the door's slow path); torch's own meta quantize_per_tensor gives a plain float32 meta tensor."""
    theirs = torch.quantize_per_tensor(torch.empty(2, 3, device="meta"), 0.1, 2, torch.qint8)
    assert (theirs.is_meta, theirs.is_quantized, theirs.dtype) == (True, False, torch.float32)
    message = (r"aten::quantize_per_tensor: attempted to run this operator with Meta tensors, but there was no fake "
               r"impl or Meta kernel registered")

    def refused():
        with pytest.raises(NotImplementedError, match=message):
            minitorch.quantize_per_tensor(minitorch.empty(2, 3, device="meta"), 0.1, 2, minitorch.qint8)
        with pytest.raises(NotImplementedError, match=r"aten::q_scale: attempted to run this operator with Meta"):
            minitorch.empty(2, device="meta").q_scale()
    refused()
    alive = minitorch.quantize_per_tensor(minitorch.ones(2), 0.1, 2, minitorch.qint8)  # the door's slow path
    refused()
    del alive
