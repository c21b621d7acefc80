"""Data types: torch-style `dtype` objects backed by NumPy dtypes, and torch's type-promotion rules."""
import builtins

import numpy as np

try:
    import ml_dtypes as _ml_dtypes
except ImportError:  # bfloat16 needs the optional ml_dtypes package
    _ml_dtypes = None


class dtype:
    """A tensor element type, e.g. `minitorch.float32`. Compare with `is` or `==`."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_category", "_rank",
                 "scalar_name", "cpp_name")

    def __init__(self, name, np_dtype, category, rank, scalar_name, cpp_name):
        self.name = name
        self.scalar_name = scalar_name  # torch's ScalarType name, as in "not implemented for 'Float'"
        self.cpp_name = cpp_name  # the C++ element type, as in "a gradient with dtype 'float'"
        self.np = np.dtype(np_dtype) if np_dtype is not None else None
        self.is_floating_point = category == 2
        self.is_signed = name not in ("bool", "uint8")
        self.itemsize = self.np.itemsize if self.np is not None else 2
        self._category = category  # 0 bool, 1 integer, 2 floating, 3 complex
        self._rank = rank

    @property
    def is_complex(self):
        return self._category == 3

    def to_real(self):
        """The real dtype of a complex one's parts (complex64 -> float32); other dtypes map to themselves."""
        return _REAL_OF.get(self, self)

    def to_complex(self):
        """The complex dtype with this floating dtype's parts (float32 -> complex64)."""
        if self.is_complex:
            return self
        if self not in _COMPLEX_OF:
            raise RuntimeError(f"Unsupported dtype {self.scalar_name}" if self.is_floating_point else
                               f"to_complex is only supported for floating point dtypes, got {self}")
        return _COMPLEX_OF[self]

    def __repr__(self):
        return f"torch.{self.name}"

    def __reduce__(self):
        return self.name


bool = dtype("bool", np.bool_, 0, 0, "Bool", "bool")
uint8 = dtype("uint8", np.uint8, 1, 1, "Byte", "unsigned char")
int8 = dtype("int8", np.int8, 1, 1, "Char", "signed char")
int16 = dtype("int16", np.int16, 1, 2, "Short", "short int")
int32 = dtype("int32", np.int32, 1, 3, "Int", "int")
int64 = dtype("int64", np.int64, 1, 4, "Long", "long int")
float16 = dtype("float16", np.float16, 2, 5, "Half", "c10::Half")
bfloat16 = dtype("bfloat16", _ml_dtypes.bfloat16 if _ml_dtypes else None, 2, 5, "BFloat16", "c10::BFloat16")
float32 = dtype("float32", np.float32, 2, 6, "Float", "float")
float64 = dtype("float64", np.float64, 2, 7, "Double", "double")
complex64 = dtype("complex64", np.complex64, 3, 8, "ComplexFloat", "c10::complex<float>")
complex128 = dtype("complex128", np.complex128, 3, 9, "ComplexDouble", "c10::complex<double>")

half, float, double = float16, float32, float64
short, int, long = int16, int32, int64
cfloat, cdouble = complex64, complex128
_REAL_OF = {complex64: float32, complex128: float64}
_COMPLEX_OF = {float32: complex64, float64: complex128}


class _QuantizedDtype(dtype):
    """A quantized element type (`torch.quint8`, `qint8`, `qint32`): integers that stand for real numbers
    through a scale and a zero point. Its values are held as `storage` integers; only quantized tensors
    (minitorch.quantize_per_tensor ...) have it, never a plain array."""

    __slots__ = ("storage", "qmin", "qmax")

    def __init__(self, name, storage, scalar_name):
        self.name, self.scalar_name, self.cpp_name = name, scalar_name, f"c10::{name}"
        self.storage = storage
        self.np = None  # no NumPy array has this dtype: the integers live in a `storage` array
        self.is_floating_point = False
        self.itemsize = storage.itemsize
        self._category, self._rank = 1, storage._rank
        info = np.iinfo(storage.np)
        self.qmin, self.qmax = builtins.int(info.min), builtins.int(info.max)

    @property
    def is_signed(self):
        raise RuntimeError("isSignedType not supported for quantized types")


quint8 = _QuantizedDtype("quint8", uint8, "QUInt8")
qint8 = _QuantizedDtype("qint8", int8, "QInt8")
qint32 = _QuantizedDtype("qint32", int32, "QInt32")
QUANTIZED = (quint8, qint8, qint32)

ALL = (bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64, complex64, complex128)
_BY_NUMPY = {d.np: d for d in ALL if d.np is not None}
_BY_NAME = {d.name: d for d in ALL + QUANTIZED}
_BY_SCALAR_NAME = {d.scalar_name: d for d in ALL}

_default_float = float32


def from_numpy_dtype(np_dtype):
    """The minitorch dtype for a NumPy dtype; raise TypeError for ones minitorch does not have."""
    try:
        return _BY_NUMPY[np_dtype]
    except KeyError:
        pass
    try:
        return _BY_NUMPY[np.dtype(np_dtype)]
    except (KeyError, TypeError):
        pass
    np_dtype = np.dtype(np_dtype)
    name = f"numpy.{np_dtype.type.__name__}"
    if np_dtype.kind in "cu":  # types that torch has and minitorch leaves out
        raise TypeError(f"can't convert np.ndarray of type {name}: minitorch has no {np_dtype.name} dtype. The "
                        "only supported types are: float64, float32, float16, complex64, complex128, int64, int32, "
                        "int16, int8, uint8, and bool.")
    raise TypeError(f"can't convert np.ndarray of type {name}. The only supported types are: float64, float32, "
                    "float16, complex64, complex128, int64, int32, int16, int8, uint64, uint32, uint16, uint8, "
                    "and bool.")


def by_scalar_name(name):
    """The dtype whose ScalarType name is `name` ('Float' -> float32), or None."""
    return _BY_SCALAR_NAME.get(name)


def get_default_dtype():
    """The floating dtype that Python floats and factory functions use (float32 unless changed)."""
    return _default_float


def set_default_dtype(d):
    global _default_float
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _default_float = d


def _check_available(d):
    if isinstance(d, _QuantizedDtype):
        raise RuntimeError(f"{d} tensors are made by quantizing: use minitorch.quantize_per_tensor or "
                           "quantize_per_channel (a quantized dtype needs a scale and a zero point)")
    if d.np is None:
        raise RuntimeError(f"{d} needs the ml_dtypes package: pip install ml_dtypes")
    return d


def promote_types(a, b):
    """The smallest dtype both `a` and `b` convert to without losing their category (torch.promote_types)."""
    if a is b:
        return a
    if isinstance(a, _QuantizedDtype) or isinstance(b, _QuantizedDtype):
        raise RuntimeError(f"promoteTypes with quantized numbers is not handled yet; figure out what the correct "
                           f"rules should be, offending types: {a.scalar_name} {b.scalar_name}")
    if a.is_complex or b.is_complex:
        if a._category == b._category:
            return a if a._rank > b._rank else b
        complex_one, other = (a, b) if a.is_complex else (b, a)
        if other.is_floating_point:  # the parts as wide as both: complex64 with float64 is complex128
            return promote_types(complex_one.to_real(), other).to_complex()
        return complex_one
    if a._category != b._category:
        return a if a._category > b._category else b
    if a._category == 2:
        if {a, b} == {float16, bfloat16}:
            return float32
        return a if a._rank > b._rank else b
    if a._category == 1:
        if uint8 in (a, b):
            other = b if a is uint8 else a
            return int16 if other is int8 else other
        return a if a._rank > b._rank else b
    return a


def scalar_dtype(value):
    """The dtype torch gives a Python number when it takes part in an operation."""
    t = type(value)
    if t is builtins.bool or t is np.bool_:
        return bool
    if t is builtins.int or isinstance(value, np.integer):
        return int64
    if t is builtins.float or isinstance(value, np.floating):
        return _default_float
    if t is builtins.complex or isinstance(value, np.complexfloating):
        return _default_float.to_complex()
    raise TypeError(f"unsupported scalar type {t.__name__}")


def _combine_categories(higher, lower):
    if higher is None:
        return lower
    if lower is None:
        return higher
    if lower.is_complex and higher.is_floating_point:  # the category of lower, the width of higher
        return higher.to_complex()
    if higher.is_floating_point or higher.is_complex:
        return higher
    if higher is bool or lower._category > 1:
        return promote_types(higher, lower)
    return higher


def result_type(*operands):
    """torch.result_type for tensors and Python numbers: sized tensors beat zero-dim tensors, which beat
    numbers, unless a lower tier brings a higher category (bool < integer < floating)."""
    dim = zero = wrapped = None
    for op in operands:
        d = getattr(op, "dtype", None)
        if isinstance(d, dtype):
            if op.ndim:
                dim = d if dim is None else promote_types(dim, d)
            else:
                zero = d if zero is None else promote_types(zero, d)
        else:
            d = scalar_dtype(op)
            wrapped = d if wrapped is None else promote_types(wrapped, d)
    return _combine_categories(dim, _combine_categories(zero, wrapped))
