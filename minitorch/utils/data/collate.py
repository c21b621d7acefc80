"""How DataLoader turns a list of samples into a batch (`default_collate`) and, without batching, converts a
single sample (`default_convert`): tensors are stacked, Python numbers and NumPy data become tensors, and
tuples, lists, dicts and namedtuples are handled element by element."""
import collections.abc

import numpy as np

from ... import _dtype
from ..._creation import as_tensor, tensor
from ..._tensor import Tensor
from ...ops.shape import stack

_COLLATE_ERROR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _is_string_array(x):
    return isinstance(x, np.ndarray) and x.dtype.char in "SaUO"


def _rebuild(template, items):
    """`items` in a container of template's type where that type can be built from a list, else a list."""
    try:
        return type(template)(items)
    except TypeError:
        return list(items)


def default_collate(batch):
    """Merge a list of samples into a batch: tensors and NumPy arrays are stacked along a new first dim,
    Python floats become a float64 tensor, ints an int64 one (bools a bool one), strings stay a list, and
    mappings, namedtuples and sequences are collated field by field (tuples come back as lists, like torch)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(batch, 0)
    if isinstance(elem, (np.ndarray, np.generic)) and not isinstance(elem, (np.str_, np.bytes_)):
        if _is_string_array(elem):
            raise TypeError(_COLLATE_ERROR.format(elem.dtype))
        if elem.shape == ():
            return as_tensor(batch)
        return default_collate([as_tensor(b) for b in batch])
    if isinstance(elem, float):
        return tensor(batch, dtype=_dtype.float64)
    if isinstance(elem, int):
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild(elem, {key: default_collate([d[key] for d in batch]) for key in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(field) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if any(len(sample) != len(elem) for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [default_collate(column) for column in zip(*batch)]
        return columns if isinstance(elem, tuple) else _rebuild(elem, columns)
    raise TypeError(_COLLATE_ERROR.format(type(elem)))


def default_convert(data):
    """Convert one unbatched sample: NumPy arrays and scalars become tensors, containers are converted
    element by element (tuples become lists), anything else is returned unchanged."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, (np.ndarray, np.generic)) and not isinstance(data, (np.str_, np.bytes_)):
        return data if _is_string_array(data) else as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _rebuild(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild(data, [default_convert(d) for d in data])
    return data
