"""`Tensor`: one NumPy (cpu) or CuPy (cuda) array plus what autograd needs. The maths lives in `ops/`;
this file holds the object itself: attributes, conversion, autograd entry points and in-place plumbing."""
import copy
import sys

import numpy as np

from . import _dispatch, _dtype, _warnings
from ._device import as_device, device_of
from ._layout import strided
from ._size import Size
from .autograd.graph import add_hook

_AUTOGRAD = __package__ + ".autograd"


class Tensor:
    """A multi-dimensional array that can record the operations applied to it.

    Build one with `minitorch.tensor(...)` or a factory such as `minitorch.zeros`; see
    https://pytorch.org/docs/stable/tensors.html for the API it follows."""

    # Hot attributes live in slots, set for every new tensor. Rarely used ones are class-level defaults that
    # an instance overrides in its __dict__ only when it needs them (so making a tensor stays cheap).
    __slots__ = ("_data", "_requires_grad", "_grad", "_grad_fn", "_output_nr", "__dict__", "__weakref__")
    _INTERNAL = ("_retains_grad", "_accumulator", "_leaf_hooks", "_post_accumulate_hooks", "_vc")
    _retains_grad = False
    _accumulator = None  # weakref to the leaf's AccumulateGrad node
    _leaf_hooks = None  # a leaf's register_hook hooks: {id: (0, fn)}
    _post_accumulate_hooks = None
    _vc = None  # version counter: [n], shared with views and detached aliases; None means version 0

    __array_priority__ = 1000  # so that ndarray <op> Tensor defers to Tensor's reflected operators

    def __new__(cls, *args, **kwargs):
        self = object.__new__(cls)
        self._data = None
        self._requires_grad = False
        self._grad = None
        self._grad_fn = None
        self._output_nr = 0
        return self

    def __init__(self, *args, device=None, dtype=None):
        """The legacy constructor: `Tensor(2, 3)` (uninitialised float tensor of that shape) or
        `Tensor([1, 2])` (float32 copy of the data)."""
        if self._data is not None:  # already filled by a subclass's __new__
            return
        from ._creation import empty, tensor
        dtype = dtype or _dtype.get_default_dtype()
        if not args:
            self._data = empty(0, dtype=dtype, device=device)._data
        elif all(isinstance(a, int) and not isinstance(a, bool) for a in args):
            self._data = empty(*args, dtype=dtype, device=device)._data
        elif len(args) == 1 and isinstance(args[0], (list, tuple, np.ndarray, Tensor)):
            self._data = tensor(args[0], dtype=dtype, device=device)._data
        elif len(args) == 1 and isinstance(args[0], str):
            raise TypeError(f"new(): invalid data type '{type(args[0]).__name__}'")
        elif len(args) == 1:
            raise TypeError(f"new(): data must be a sequence (got {type(args[0]).__name__})")
        else:
            raise TypeError(f"new() received an invalid combination of arguments - got "
                            f"({', '.join(type(a).__name__ for a in args)})")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _dispatch.note_subclass(cls)

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        """The default for Tensor subclasses: run `func` as on plain tensors, then give tensor results the
        subclass (so a subclass keeps its class through ops, as in torch)."""
        if not all(issubclass(cls, t) for t in types):
            return NotImplemented
        with _dispatch.DisableTorchFunctionSubclass():
            result = func(*args, **(kwargs or {}))
            if func in _NOWRAP:
                return result
            return _convert(result, cls)

    def as_subclass(self, cls):
        """This tensor's memory and autograd history seen as an instance of `cls` (a Tensor subclass; its
        __init__ is not called)."""
        if not (isinstance(cls, type) and issubclass(cls, Tensor)):
            raise TypeError("Creating a Tensor subclass from a class that does not inherit from Tensor is not "
                            "possible. Make sure your class inherits from Tensor.")
        from .ops.shape import alias
        with _dispatch.DisableTorchFunctionSubclass():
            out = alias(self)
        new = cls._wrap(out._data, out._requires_grad)
        new._grad_fn, new._output_nr = out._grad_fn, out._output_nr
        return self._share_version(new)

    @staticmethod
    def _make_subclass(cls, data, require_grad=False):
        """A `cls` instance sharing `data`'s memory as a new leaf (how nn.Parameter is made)."""
        if not (isinstance(cls, type) and issubclass(cls, Tensor)):
            raise TypeError("Creating a Tensor subclass from a class that does not inherit from Tensor is not "
                            "possible. Make sure your class inherits from Tensor.")
        new = cls._wrap(data._data)
        data._share_version(new)
        return new._set_requires_grad(require_grad, "Only Tensors of floating point and complex dtype can "
                                                    "require gradients")

    @classmethod
    def _wrap(cls, data, requires_grad=False):
        """A new tensor around `data` (an ndarray, never copied)."""
        t = object.__new__(cls)
        t._data = data
        t._requires_grad = requires_grad
        t._grad = None
        t._grad_fn = None
        t._output_nr = 0
        return t

    @property
    def _version(self):
        """How many in-place changes this tensor's memory has seen (autograd checks it for saved tensors)."""
        vc = self._vc
        return 0 if vc is None else vc[0]

    def _bump_version(self):
        """Record an in-place change; every in-place op calls this."""
        vc = self._vc
        if vc is None:
            self._vc = [1]
        else:
            vc[0] += 1

    def _share_version(self, other):
        """Make `other` (a view or alias of this tensor's memory) count versions together with this one."""
        vc = self._vc
        if vc is None:
            vc = self._vc = [0]
        other._vc = vc
        return other

    # ----- basic attributes -------------------------------------------------------------------------
    @property
    def dtype(self):
        return _dtype.from_numpy_dtype(self._data.dtype)

    @property
    def device(self):
        return device_of(self._data)

    @property
    def layout(self):
        """minitorch.strided for dense tensors; a sparse kind's own layout otherwise."""
        return getattr(type(self._data), "layout", strided)

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    @property
    def is_cpu(self):
        return type(self._data) is np.ndarray or self.device.type == "cpu"

    @property
    def is_meta(self):
        return self.device.type == "meta"

    @property
    def is_sparse(self):
        return self.layout.name == "sparse_coo"

    @property
    def is_quantized(self):
        return getattr(type(self._data), "is_quantized", False)

    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return self.shape
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    ndimension = dim

    def numel(self):
        return int(self._data.size)

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    def stride(self, dim=None):
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[_wrap_dim(dim, self._data.ndim)]

    def storage_offset(self):
        """Elements between the start of the tensor's memory and its first element."""
        data = self._data
        if self.is_meta:
            return data.offset
        owner = data if data.base is None else data.base
        return (base_ptr(data) - base_ptr(owner)) // data.itemsize

    def is_contiguous(self, memory_format=None):
        return bool(self._data.flags.c_contiguous)

    def is_floating_point(self):
        return self._data.dtype.kind == "f" or self.dtype is _dtype.bfloat16

    def is_complex(self):
        return self._data.dtype.kind == "c"

    def data_ptr(self):
        return 0 if self.is_meta else base_ptr(self._data)

    def get_device(self):
        """The GPU index of a cuda tensor, -1 for others."""
        return self._data.device.id if self.is_cuda else -1

    @property
    def nbytes(self):
        return self._data.nbytes

    @property
    def itemsize(self):
        return self._data.itemsize

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __hash__(self):
        return id(self)

    # ----- autograd attributes ----------------------------------------------------------------------
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        self._set_requires_grad(value, "only Tensors of floating point and complex dtype can require gradients")

    def requires_grad_(self, requires_grad=True):
        return self._set_requires_grad(requires_grad, "only Tensors of floating point dtype can require gradients")

    def _set_requires_grad(self, value, integer_error):
        """Turn grad recording on or off for a leaf (torch words the integer-dtype error per entry point)."""
        if self._grad_fn is not None:
            if value:
                return self
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a computed "
                "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().")
        if value and not (self.is_floating_point() or self.is_complex()):
            raise RuntimeError(integer_error)
        self._requires_grad = bool(value)
        return self

    @property
    def grad_fn(self):
        return self._grad_fn

    @property
    def is_leaf(self):
        return self._grad_fn is None

    @property
    def grad(self):
        """The gradient accumulated by backward (leaves, and non-leaves that called retain_grad)."""
        if self._grad_fn is not None and not self._retains_grad and self._grad is None:
            _warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute "
                "won't be populated during autograd.backward(). If you indeed want the .grad field to be populated "
                "for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf "
                "Tensor by mistake, make sure you access the leaf Tensor instead. See "
                "github.com/pytorch/pytorch/pull/30531 for more information.")
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(value).__name__}")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{value.dtype.cpp_name}' to a tensor with "
                    f"grad_dtype '{self.dtype.scalar_name}'. The gradient must match the tensor's grad_dtype "
                    "(defaults to the tensor's dtype). You can set the tensor's grad_dtype attribute with a "
                    "specific dtype, or None to allow any dtype. Set grad_dtype with caution. Diverging the "
                    "dtypes of a tensor and its gradient may break downstream systems that assume they match.")
            if value.device != self.device:
                raise RuntimeError("assigned grad has data located on a different device")
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor of size "
                    f"'{list(self.shape)}'. Please ensure that the gradient and the tensor are the same size")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def retains_grad(self):
        return self._retains_grad

    @property
    def output_nr(self):
        return self._output_nr

    @property
    def data(self):
        """The same storage, detached from the graph. Assigning replaces the storage."""
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}")
        self._data = value._data

    def detach(self):
        """A tensor sharing this one's storage (and version counter) with no history: gradients stop here."""
        return self._share_version(Tensor._wrap(self._data))

    def detach_(self):
        self._grad_fn = None
        self._output_nr = 0
        self._requires_grad = False
        return self

    def retain_grad(self):
        """Keep `.grad` for this non-leaf tensor after backward (leaves keep it anyway)."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._grad_fn is None or self._retains_grad:
            return
        self._grad_fn._set_retain_grad(self._output_nr, self)
        self._retains_grad = True

    def register_hook(self, hook):
        """hook(grad) runs when this tensor's gradient is computed; a non-None result replaces it."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            return self._grad_fn._register_tensor_hook(self._output_nr, hook)
        return add_hook(self, "_leaf_hooks", (0, hook))

    def register_post_accumulate_grad_hook(self, hook):
        """hook(tensor) runs after backward has added into this leaf's `.grad`."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        return add_hook(self, "_post_accumulate_hooks", hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) * gradient into the `.grad` of every leaf that requires grad.
        See https://pytorch.org/docs/stable/generated/torch.Tensor.backward.html"""
        # the autograd package is built on Tensor: `import minitorch` loads it before any tensor exists (looked
        # up in sys.modules, as an import statement here would cost more than a tiny backward pass)
        sys.modules[_AUTOGRAD].backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    # ----- conversion -------------------------------------------------------------------------------
    def numpy(self, *, force=False):
        """The NumPy array behind a cpu tensor: it shares memory, so writes show on both sides."""
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                               "instead.")
        if not self.is_cpu:
            if not force:
                raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() to "
                                "copy the tensor to host memory first.")
            return self._data.get()
        return self._data

    def __array__(self, dtype=None, copy=None):
        data = self.numpy()
        return data if dtype is None else data.astype(dtype, copy=False)

    def __dlpack__(self, *args, **kwargs):
        if self._requires_grad:
            raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
        return self._data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def _python_scalar(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self._data.reshape(()).item()

    def __float__(self):
        return float(self._python_scalar())

    def __int__(self):
        return int(self._python_scalar())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with " + ("no values" if self._data.size == 0 else
                                                                 "more than one value") + " is ambiguous")
        return bool(self.item())

    def __complex__(self):
        return complex(self._python_scalar())

    def __format__(self, spec):
        """A 0-d plain tensor formats as its number (f"{t}" gives '1.5'); others as their str."""
        if self._data.ndim == 0 and type(self) is Tensor and not self.is_meta:
            return self.detach().item().__format__(spec)
        return object.__format__(self, spec)

    def __repr__(self, *, tensor_contents=None):
        from ._tensor_str import tensor_repr
        return tensor_repr(self)

    def __iter__(self):
        if self.dim() == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __contains__(self, element):
        if isinstance(element, (Tensor, int, float, bool, complex)):
            return bool((element == self).any().item())
        raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you passed in a "
                           f"{type(element)}.")

    def __reversed__(self):
        return self if self.dim() == 0 else self.flip(0)

    def __reduce_ex__(self, protocol):
        raise TypeError("minitorch tensors are not pickled; use minitorch.save, which never runs code on load")

    def __copy__(self):
        """A new leaf sharing this tensor's memory, with the same requires_grad (and no .grad)."""
        new = type(self)._wrap(self._data, self._requires_grad)
        new.__dict__.update({k: v for k, v in self.__dict__.items() if k not in Tensor._INTERNAL})
        return new

    def __deepcopy__(self, memo):
        if self._grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                               "protocol at the moment.  If you were attempting to deepcopy a module, this may "
                               "be because of a torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        if id(self) in memo:
            return memo[id(self)]
        new = type(self).__new__(type(self))
        new._data = self._data.copy()
        new._requires_grad = self._requires_grad
        if self._grad is not None:
            new._grad = self._grad.__deepcopy__(memo)
        new.__dict__.update({k: copy.deepcopy(v, memo) for k, v in self.__dict__.items()
                             if k not in Tensor._INTERNAL})
        memo[id(self)] = new
        return new

    # ----- device and dtype moves -------------------------------------------------------------------
    def to(self, *args, **kwargs):
        """`to(dtype)`, `to(device)`, `to(device, dtype)`, `to(other_tensor)`; returns self when nothing
        changes, otherwise a differentiable copy."""
        from ._creation import parse_to_args
        device, dtype, non_blocking, copy = parse_to_args(*args, **kwargs)
        from .ops.convert import to_copy
        return to_copy(self, device, dtype, copy)

    def cpu(self, memory_format=None):
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False):
        return self.to("cuda" if device is None else as_device(device if not isinstance(device, int)
                                                                 else f"cuda:{device}"))

    def type(self, dtype=None, non_blocking=False):
        """With no argument, the legacy type name ('torch.FloatTensor'); otherwise `to(dtype)`, where dtype
        may also be such a name."""
        if dtype is None:
            return type_name(self.dtype, self.is_cuda)
        if isinstance(dtype, type) and isinstance(getattr(dtype, "dtype", None), _dtype.dtype):  # torch.FloatTensor
            return self.to(dtype.dtype)
        if isinstance(dtype, str):
            name = dtype
            device = "cuda" if name.startswith("torch.cuda.") else "cpu"
            dtype = _dtype.by_scalar_name(name.replace("torch.cuda.", "torch.")[6:-6]) \
                if name.startswith(("torch.", "torch.cuda.")) and name.endswith("Tensor") else None
            if dtype is None:
                raise ValueError(f"invalid type: '{name}'")
            return self.to(device, dtype)
        return self.to(dtype)

    def float(self, memory_format=None):
        return self.to(_dtype.float32)

    def double(self, memory_format=None):
        return self.to(_dtype.float64)

    def half(self, memory_format=None):
        return self.to(_dtype.float16)

    def bfloat16(self, memory_format=None):
        return self.to(_dtype.bfloat16)

    def int(self, memory_format=None):
        return self.to(_dtype.int32)

    def long(self, memory_format=None):
        return self.to(_dtype.int64)

    def short(self, memory_format=None):
        return self.to(_dtype.int16)

    def char(self, memory_format=None):
        return self.to(_dtype.int8)

    def byte(self, memory_format=None):
        return self.to(_dtype.uint8)

    def bool(self, memory_format=None):
        return self.to(_dtype.bool)

    def type_as(self, other):
        return self.to(other.dtype)

    # ----- new_* factories: same dtype and device as self unless given ------------------------------
    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        from ._creation import tensor
        return tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                      requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        from ._creation import zeros
        return zeros(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        from ._creation import ones
        return ones(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        from ._creation import empty
        return empty(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        from ._creation import full
        return full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                    requires_grad=requires_grad)


def _convert(result, cls):
    """`result` with every Tensor in it (also in tuples and lists) seen as `cls`."""
    if cls is Tensor:
        return result
    if isinstance(result, Tensor) and not isinstance(result, cls):
        return result.as_subclass(cls)
    if isinstance(result, (tuple, list)):  # also the return types of max, sort ... (made from a sequence)
        return type(result)([_convert(r, cls) for r in result])
    return result


_NOWRAP = set()  # functions whose results keep their class (filled in by _entries: grad getters, _base)


def base_ptr(array):
    """The address of an array's first byte."""
    return array.__array_interface__["data"][0] if type(array) is np.ndarray else array.data.ptr


def type_name(dtype, cuda=False):
    """The legacy tensor type name, e.g. 'torch.FloatTensor' or 'torch.cuda.LongTensor'."""
    return f"torch.{'cuda.' if cuda else ''}{dtype.scalar_name}Tensor"


def _wrap_dim(dim, ndim):
    """Turn a possibly negative `dim` into an index, with torch's IndexError when out of range."""
    lo, hi = (-ndim, ndim - 1) if ndim else (-1, 0)
    if not lo <= dim <= hi:
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")
    return dim % ndim if ndim else 0
