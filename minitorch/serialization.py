"""`minitorch.save` / `minitorch.load`: checkpoints as safetensors files, never pickle.

`torch.save` pickles, and unpickling can run arbitrary code, so minitorch writes a safetensors file instead: an
8-byte little-endian header length, a JSON header giving each tensor's dtype, shape and byte range, then the raw
little-endian bytes. The tensors are the leaves of the saved object; the containers and plain values around them
(dicts, lists, tuples, numbers ...) are described by JSON kept in the header's `__metadata__`. A state_dict saved
here opens with `safetensors.torch.load_file`, and a `.safetensors` file written by PyTorch loads here."""
import contextlib
import errno
import importlib
import json
import math
import os
import pickle
import sys
from collections import OrderedDict

import numpy as np

from . import _dtype
from ._atomic import atomic_write
from ._device import device as _device
from ._size import Size
from ._tensor import Tensor

# Beyond that: tensors (and NumPy arrays) that share memory are stored once, so a tensor and its views, or one
# tensor under two keys, come back sharing memory as torch's weights-only load keeps them. A whole nn.Module is
# stored as its class's import path plus its attributes; load rebuilds it only where that class is allowed
# (weights_only=False, or add_safe_globals / safe_globals, as in torch). safe_open reads single tensors, or slices
# of them, without reading the whole file.

__all__ = ["save", "load", "SerializationError", "WeightsOnlyError", "add_safe_globals", "clear_safe_globals",
           "get_safe_globals", "safe_globals", "get_unsafe_globals_in_checkpoint", "safe_open"]

_CODES = {_dtype.float64: "F64", _dtype.float32: "F32", _dtype.float16: "F16", _dtype.bfloat16: "BF16",
          _dtype.int64: "I64", _dtype.int32: "I32", _dtype.int16: "I16", _dtype.int8: "I8", _dtype.uint8: "U8",
          _dtype.bool: "BOOL"}
_DTYPES = {code: d for d, code in _CODES.items()}
_FOREIGN_CODES = ("U16", "U32", "U64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64")
MAX_HEADER_SIZE = 100_000_000  # the limit the safetensors library itself enforces
MAX_DEPTH = 100  # containers nested deeper are refused, on save and on load, long before Python's recursion limit
MAX_DIMS = 64  # the most dimensions a NumPy array may have
_STRUCTURE_KEY = "minitorch"
_VERSION = 2  # 2 added shared storage (views, refs), NumPy arrays, sets, modules and globals; 1 still loads
_READABLE_VERSIONS = (1, 2)


class SerializationError(RuntimeError):
    """A file `minitorch.load` refuses: corrupt, truncated, or not a safetensors file."""


class WeightsOnlyError(SerializationError, pickle.UnpicklingError):
    """A file that names a class or function `load` may not use: not allowed by `add_safe_globals` /
    `safe_globals` and loaded with weights_only left on (torch raises pickle.UnpicklingError here)."""


# ----- allowed globals (torch.serialization.add_safe_globals and friends) -------------------------------------
_safe_globals = {}  # "module.qualname" -> the object (or the name alone, for a (object, name) entry)


def _global_name(obj):
    return f"{obj.__module__}.{obj.__qualname__}"


def add_safe_globals(safe_globals):
    """Allow `load` with weights_only=True to rebuild these classes (and use these functions). Entries are the
    objects themselves, or (object, "module.name") pairs naming where a file refers to them."""
    for entry in safe_globals:
        obj, name = entry if isinstance(entry, tuple) else (entry, _global_name(entry))
        _safe_globals[name] = obj


def clear_safe_globals():
    """Forget every global allowed by add_safe_globals."""
    _safe_globals.clear()


def get_safe_globals():
    """The globals allowed by add_safe_globals, as they were given."""
    return [obj if name == _global_name(obj) else (obj, name) for name, obj in _safe_globals.items()]


@contextlib.contextmanager
def safe_globals(safe_globals):
    """Within the block, also allow these globals (see add_safe_globals)."""
    before = dict(_safe_globals)
    add_safe_globals(safe_globals)
    try:
        yield
    finally:
        _safe_globals.clear()
        _safe_globals.update(before)
# Types defined elsewhere that store themselves as a plain structure: name -> (type, to_plain, from_plain).
# to_plain(obj) returns what save can store (tensors, numbers, strings, containers); from_plain(value) rebuilds
# the object from the loaded structure, checking it (the file is untrusted) and raising ValueError if it is bad.
_EXTENSIONS = {}


def register_extension(name, cls, to_plain, from_plain):
    """Let save/load handle instances of `cls` (minitorch.fx.GraphModule registers itself this way)."""
    _EXTENSIONS[name] = (cls, to_plain, from_plain)


# ----- save -------------------------------------------------------------------------------------------
def save(obj, f):
    """Write `obj` to `f`, a path or a binary file object: a state_dict, or any nesting of tensors, NumPy arrays,
    numbers, strings, None, lists, tuples, sets, dicts, OrderedDicts, torch.Size, dtypes, devices, nn.Modules
    and importable classes or functions.

    The file is a safetensors file. A path is written atomically (see minitorch/_atomic.py): a failure or a kill
    leaves any previous file untouched and no temporary behind."""
    encoder = _Encoder()
    root = encoder.node(obj, (), 0)
    head, arrays = _layout(root, _storages(encoder.leaves))
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        parent = os.path.dirname(path)
        if parent and not os.path.isdir(parent):
            raise RuntimeError(f"Parent directory {parent} does not exist.")
        path = os.path.realpath(path)  # through a symlink, replace its target, not the link
        if os.path.isdir(path):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
        atomic_write(path, lambda fh: _write(fh, head, arrays))
    else:
        _write(f, head, arrays)


class _Encoder:
    """Turns an object into a JSON structure node. Tensors and arrays become leaf nodes (their storage is laid
    out afterwards, see _storages); an object met again (the same tensor, array or module) becomes a "ref" to
    its first node, numbered in the order the decoder meets them."""

    def __init__(self):
        self.leaves = []  # (node, host array, default name) per tensor or array node
        self.memo = {}  # id(obj) -> its number among the memoised nodes
        self.kept = []  # the memoised objects, kept alive so that their ids stay unique

    def node(self, obj, path, depth):
        if depth > MAX_DEPTH:
            raise ValueError(f"minitorch.save: the object is nested more than {MAX_DEPTH} levels deep "
                             "(does it contain itself?)")
        for name, (cls, to_plain, _) in _EXTENSIONS.items():
            if isinstance(obj, cls):
                return {"type": "extension", "name": name, "value": self.node(to_plain(obj), path, depth + 1)}
        if isinstance(obj, (Tensor, np.ndarray)) or _is_module(obj):
            number = self.memo.get(id(obj))
            if number is not None:
                return {"type": "ref", "index": number}
            self.memo[id(obj)] = len(self.kept)
            self.kept.append(obj)
            return self.module(obj, path, depth) if _is_module(obj) else self.leaf(obj, path)
        if obj is None or isinstance(obj, (bool, int, float)):
            return _scalar(obj)
        if isinstance(obj, str):
            return _text(obj, path)
        if isinstance(obj, np.generic) and obj.dtype.kind in "biuf":
            return _scalar(obj.item())
        if isinstance(obj, Size):
            return {"type": "Size", "items": [int(s) for s in obj]}
        if isinstance(obj, _dtype.dtype):
            return {"type": "dtype", "name": obj.name}
        if isinstance(obj, _device):
            return {"type": "device", "name": str(obj)}
        if type(obj) in (list, tuple, set, frozenset):
            return {"type": type(obj).__name__,
                    "items": [self.node(x, path + (i,), depth + 1) for i, x in enumerate(obj)]}
        if type(obj) in (dict, OrderedDict):
            node = {"type": type(obj).__name__,
                    "items": [[_key(k, path), self.node(v, path + (k,), depth + 1)] for k, v in obj.items()]}
            if hasattr(obj, "_metadata"):  # the per-module versions torch keeps on a state_dict
                node["metadata"] = self.node(obj._metadata, path + ("_metadata",), depth + 1)
            return node
        if isinstance(obj, type) or callable(obj) and hasattr(obj, "__qualname__"):
            return {"type": "global", "name": _importable_name(obj, path)}
        raise TypeError(f"minitorch.save cannot store a {type(obj).__name__} (at {_where(path)}): only tensors, "
                        "NumPy arrays, numbers, strings, None, lists, tuples, sets, dicts, torch.Size, dtypes, "
                        "devices, nn.Modules and importable classes or functions. minitorch never pickles, because "
                        "loading a pickle can run arbitrary code.")

    def leaf(self, obj, path):
        name = ".".join(str(p) for p in path) or "tensor"
        if isinstance(obj, np.ndarray):
            if obj.dtype not in _dtype._BY_NUMPY:
                raise TypeError(f"minitorch.save cannot store a NumPy array of dtype {obj.dtype} (at {_where(path)}): "
                                "only the dtypes minitorch tensors have")
            node = {"type": "ndarray"}
            self.leaves.append((node, obj, name))
            return node
        node = {"type": "tensor"}
        if not obj.is_cpu:
            node["device"] = str(obj.device)
        if obj.requires_grad:
            node["requires_grad"] = True
        nn = sys.modules.get(__package__ + ".nn")  # no Parameter can exist before minitorch.nn is imported
        if nn is not None and isinstance(obj, nn.Parameter):
            node["parameter"] = True
        self.leaves.append((node, obj._data if obj.is_cpu else obj._data.get(), name))
        return node

    def module(self, obj, path, depth):
        """An nn.Module: its class's import path and its attributes (parameters, buffers, submodules ...)."""
        cls = type(obj)
        node = {"type": "object", "class": _importable_name(cls, path)}
        state = vars(obj)
        node["state"] = {"type": "dict", "items": [[_key(k, path), self.node(v, path + (k,), depth + 1)]
                                                   for k, v in state.items()]}
        return node


def _is_module(obj):
    nn = sys.modules.get(__package__ + ".nn")
    return nn is not None and isinstance(obj, nn.Module)


def _importable_name(obj, path):
    """"module.qualname" of a class or function that `load` can find again by importing."""
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", "")
    target = sys.modules.get(module) if isinstance(module, str) else None
    for part in qualname.split("."):
        target = getattr(target, part, None)
    if target is not obj or "<locals>" in qualname or "<lambda>" in qualname:
        raise TypeError(f"minitorch.save cannot store {obj!r} (at {_where(path)}): it cannot be found again by "
                        f"importing {module}.{qualname}")
    return f"{module}.{qualname}"


def _scalar(value):
    """A Python scalar as JSON; inf and nan (which JSON lacks) as a small object."""
    if isinstance(value, float) and not math.isfinite(value):
        return {"type": "float", "value": repr(float(value))}
    for t in (bool, int, float, str):
        if isinstance(value, t):
            return t(value)
    return value


def _is_unicode(text):
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _text(value, path):
    """A string, which must be valid Unicode: a lone surrogate cannot be written as UTF-8, and safetensors
    readers refuse a header that holds one."""
    if not _is_unicode(value):
        raise ValueError(f"minitorch.save: the string {value!r} at {_where(path)} is not valid Unicode (it holds a "
                         "lone surrogate), which a safetensors file cannot store")
    return str(value)


def _key(k, path):
    if isinstance(k, str):
        return _text(k, path)
    if k is None or isinstance(k, (bool, int, float)):
        return _scalar(k)
    raise TypeError(f"minitorch.save: dict keys must be str, int, float, bool or None, got a {type(k).__name__} "
                    f"key at {_where(path)}")


def _where(path):
    return "the top level" if not path else "".join(f"[{p!r}]" for p in path)


def _memory_root(array):
    """The array that owns the memory `array` views (following .base), or `array` itself."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def _storages(leaves):
    """The arrays to write, by name: one per group of leaves that view the same memory. Fills each leaf node's
    "name" (and "view" where it is a strided window on a shared storage)."""
    groups = {}
    for leaf in leaves:
        groups.setdefault(id(_memory_root(leaf[1])), []).append(leaf)
    arrays = {}

    def unique(name):
        if name in arrays or name == "__metadata__":
            name = next(f"{name}#{i}" for i in range(1, len(arrays) + 2) if f"{name}#{i}" not in arrays)
        return name
    for members in groups.values():
        shared = _shared_layout([array for _, array, _ in members]) if len(members) > 1 else None
        if shared is None:  # one leaf, or leaves that cannot share one storage: each stored as its own copy
            for node, array, name in members:
                node["name"] = name = unique(name)
                arrays[name] = np.asarray(array, order="C")
            continue
        storage, views = shared
        name = unique(members[0][2])
        arrays[name] = storage
        for (node, _, _), view in zip(members, views):
            node["name"] = name
            if view is not None:
                node["view"] = view
    return arrays


def _pointer(array):
    return array.__array_interface__["data"][0]


def _shared_layout(arrays):
    """(storage, views) for arrays that view one memory block: the storage is the smallest block holding them
    all and each view [offset, shape, stride] (in elements) places an array in it, None for an array that is
    the whole storage. None where they cannot share (different dtypes, negative or odd strides)."""
    first = arrays[0]
    if all(a.flags.c_contiguous and _pointer(a) == _pointer(first) and a.shape == first.shape and a.dtype == first.dtype
           for a in arrays):
        return first, [None] * len(arrays)  # the same tensor under several names (tied weights)
    dtype, size = first.dtype, first.itemsize
    if any(a.dtype != dtype or any(st < 0 or st % size for st in a.strides) for a in arrays):
        return None
    root = _memory_root(first)
    if not (root.flags.c_contiguous or root.flags.f_contiguous):
        return None
    starts = [_pointer(a) - _pointer(root) for a in arrays]
    ends = [start + sum((n - 1) * st for n, st in zip(a.shape, a.strides)) + size
            for start, a in zip(starts, arrays) if a.size]
    used = [start for start, a in zip(starts, arrays) if a.size]
    if not used or any(start % size for start in used):
        return None
    lo, hi = min(used), max(ends)
    storage = np.ravel(root, order="K").view(np.uint8)[lo:hi].view(dtype)
    views = [[(start - lo) // size if a.size else 0, list(a.shape), [st // size for st in a.strides]]
             for start, a in zip(starts, arrays)]
    return storage, views


def _layout(root, arrays):
    """The header bytes (length prefix included, padded to 8 bytes) and the arrays in file order.

    Larger items come first, so every tensor starts at a multiple of its item size (8-byte aligned header)."""
    order = sorted(arrays, key=lambda name: -arrays[name].itemsize)
    offsets, pos = {}, 0
    for name in order:
        offsets[name] = [pos, pos + arrays[name].nbytes]
        pos += arrays[name].nbytes
    structure = json.dumps({"version": _VERSION, "root": root}, allow_nan=False, separators=(",", ":"))
    header = {"__metadata__": {"format": "pt", _STRUCTURE_KEY: structure}}
    for name, a in arrays.items():
        header[name] = {"dtype": _CODES[_dtype.from_numpy_dtype(a.dtype)], "shape": list(a.shape),
                        "data_offsets": offsets[name]}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text, [arrays[name] for name in order]


def _write(f, head, arrays):
    f.write(head)
    for a in arrays:
        f.write(a.reshape(-1).view(np.uint8))


# ----- load -------------------------------------------------------------------------------------------
def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None):
    """Read what `save` wrote, or any safetensors file (then a dict of tensors), from a path or a binary file
    object. minitorch never unpickles: the file is data, checked thoroughly before use.

    The only code a file can make run is that of the classes it names (a saved nn.Module is rebuilt from its
    class), and only where you allow it: weights_only=False imports any class the file names; otherwise (the
    default, as in torch) only classes given to add_safe_globals / safe_globals are used.

    map_location moves tensors as in torch: a device or string ('cpu'), a dict {'cuda:0': 'cpu'} of saved to
    wanted locations, or a function (tensor, location) returning a tensor, or None for the default placement.
    mmap=True maps a file path into memory instead of reading it (copy-on-write: the file is never changed)."""
    if pickle_module is not None:
        raise ValueError("minitorch.load never unpickles (unpickling can run arbitrary code), so it takes no "
                         "pickle_module")
    options = {"restore": _restorer(map_location), "weights_only": weights_only}
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        with open(path, "rb") as fh:
            return _Reader(fh, path).load(options, path if mmap else None)
    if mmap:
        raise ValueError("f must be a file path in order to use the mmap argument")
    return _Reader(f, _file_name(f)).load(options, None)


def get_unsafe_globals_in_checkpoint(f):
    """The "module.qualname" of every class or function the file names that add_safe_globals has not allowed
    (what load with weights_only=True would refuse)."""
    names = []
    with contextlib.ExitStack() as stack:
        fh = stack.enter_context(open(os.fspath(f), "rb")) if isinstance(f, (str, os.PathLike)) else f
        reader = _Reader(fh, os.fspath(f) if isinstance(f, (str, os.PathLike)) else _file_name(f))
        meta = reader.metadata(reader.header().pop("__metadata__", {}))
        pending = [reader.structure(meta[_STRUCTURE_KEY])] if _STRUCTURE_KEY in meta else []
        while pending:  # every node of the structure, depth first
            node = pending.pop()
            if isinstance(node, list):
                pending.extend(reversed(node))
            elif isinstance(node, dict):
                name = node.get("class", node.get("name"))
                if node.get("type") in ("object", "global") and isinstance(name, str):
                    if name not in _safe_globals and name not in names:
                        names.append(name)
                pending.extend(reversed(list(node.values())))
    return names


def _file_name(f):
    name = getattr(f, "name", None)
    return name if isinstance(name, str) else f"<{type(f).__name__}>"


class _Reader:
    """Checks a safetensors file thoroughly before reading its data, and names the file in every error."""

    def __init__(self, fh, name):
        self.fh = fh
        self.name = name

    def fail(self, problem):
        raise SerializationError(f"cannot load '{self.name}': {problem}")

    def load(self, options, mmap_path):
        header = self.header()
        meta = self.metadata(header.pop("__metadata__", {}))
        entries = self.entries(header)
        restore = options["restore"]
        if _STRUCTURE_KEY not in meta:  # a plain safetensors file, e.g. from PyTorch: a dict in header order
            arrays = self.arrays(entries, mmap_path)
            return {name: restore(Tensor._wrap(arrays[name]), "cpu") for name in header}
        structure = self.structure(meta[_STRUCTURE_KEY])
        arrays = self.arrays(entries, mmap_path)
        decoder = _Decoder(arrays, restore, self.fail, options["weights_only"], self.name)
        obj = decoder.node(structure, 0)
        unused = [name for name in arrays if name not in decoder.used]
        if unused:
            self.fail(f"tensor {unused[0]!r} is not referenced by the structure metadata")
        return obj

    def header(self):
        fh = self.fh
        self.start = fh.tell()
        size = fh.seek(0, os.SEEK_END) - self.start
        fh.seek(self.start)
        prefix = fh.read(16)
        if size == 0:
            self.fail("the file is empty")
        if prefix[8:9] != b"{":
            self.foreign(prefix)
        if size < 8:
            self.fail(f"the file has {size} bytes, too few for the 8-byte header length that starts a "
                      "safetensors file")
        n = int.from_bytes(prefix[:8], "little")
        if n > MAX_HEADER_SIZE:
            self.fail(f"the header length field says {n} bytes, more than the {MAX_HEADER_SIZE} a safetensors "
                      "header may have: not a safetensors file, or a corrupt one")
        if n > size - 8:
            self.fail(f"the header length field says {n} bytes but only {size - 8} follow it (truncated file?)")
        self.data_start, self.data_size = self.start + 8 + n, size - 8 - n
        fh.seek(self.start + 8)
        try:
            header = _parse_json(fh.read(n))
        except (ValueError, RecursionError) as e:
            self.fail(f"the header is not valid JSON: {e}")
        if not isinstance(header, dict):
            self.fail(f"the header must be a JSON object, got {_json_type(header)}")
        return header

    def foreign(self, prefix):
        """Explain files that are clearly not safetensors: pickles, including torch.save's zip archives."""
        never = "minitorch.load never unpickles, because unpickling can run arbitrary code."
        if prefix.startswith(b"PK\x03\x04"):
            self.fail("it is a zip archive, the format torch.save writes (its data is a pickle). " + never +
                      " In PyTorch, save the state_dict as safetensors instead: `from safetensors.torch import "
                      "save_file; save_file(model.state_dict(), 'model.safetensors')`, then load that file here.")
        if prefix[:1] == b"\x80" and prefix[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
            self.fail("it is a Python pickle (as pickle.dump or an old torch.save writes). " + never +
                      " Save tensors with minitorch.save, or in PyTorch with "
                      "safetensors.torch.save_file(state_dict, 'model.safetensors').")

    def metadata(self, meta):
        if not isinstance(meta, dict):
            self.fail(f"__metadata__ must be a JSON object, got {_json_type(meta)}")
        for k, v in meta.items():
            if not isinstance(v, str):
                self.fail(f"__metadata__ values must be strings, but {k!r} is {_json_type(v)}")
        return meta

    def entries(self, header):
        """(begin, end, name, dtype, shape) per tensor, in file order, after checking they tile the data."""
        entries = []
        for name, info in header.items():
            if not _is_unicode(name):
                self.fail(f"the tensor name {name!r} is not valid Unicode (it holds a lone surrogate)")
            if not isinstance(info, dict):
                self.fail(f"tensor {name!r}: expected an object with dtype, shape and data_offsets, got "
                          f"{_json_type(info)}")
            missing = [k for k in ("dtype", "shape", "data_offsets") if k not in info]
            if missing:
                self.fail(f"tensor {name!r} has no {missing[0]!r}")
            code, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
            if not isinstance(code, str) or code not in _DTYPES:
                self.fail(f"tensor {name!r} has dtype {code!r}, which minitorch does not have" if code in
                          _FOREIGN_CODES else f"tensor {name!r} has unknown dtype {_short(code)}")
            _check_shape(self.fail, f"tensor {name!r}", shape, _DTYPES[code].itemsize)
            if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_count(o) for o in offsets)
                    and offsets[0] <= offsets[1]):
                self.fail(f"tensor {name!r}: data_offsets must be [begin, end] with 0 <= begin <= end, got "
                          f"{offsets!r}")
            dtype = _DTYPES[code]
            needed = math.prod(shape) * dtype.itemsize
            if offsets[1] - offsets[0] != needed:
                self.fail(f"tensor {name!r}: data_offsets {offsets} span {offsets[1] - offsets[0]} bytes but "
                          f"dtype {code} with shape {shape} needs {needed}")
            entries.append((offsets[0], offsets[1], name, dtype, tuple(shape)))
        entries.sort(key=lambda e: e[:2])
        pos = 0
        for begin, end, name, _, _ in entries:
            if begin < pos:
                self.fail(f"tensor {name!r} (bytes {begin} to {end}) overlaps the tensor before it")
            if begin > pos:
                self.fail(f"tensor {name!r} starts at byte {begin} but the data before it ends at byte {pos}")
            pos = end
        if pos > self.data_size:
            self.fail(f"the tensors need {pos} bytes of data but only {self.data_size} follow the header "
                      "(truncated file?)")
        if pos < self.data_size:
            self.fail(f"{self.data_size - pos} unexpected bytes follow the last tensor's data")
        return entries

    def structure(self, text):
        try:
            structure = _parse_json(text.encode())
        except (ValueError, RecursionError) as e:
            self.fail(f"the structure metadata is not valid JSON: {e}")
        if not (isinstance(structure, dict) and structure.keys() == {"version", "root"}):
            self.fail("the structure metadata must be an object with 'version' and 'root'")
        if structure["version"] not in _READABLE_VERSIONS or type(structure["version"]) is not int:
            self.fail(f"the structure metadata has version {_short(structure['version'])}; this minitorch reads "
                      f"versions {' and '.join(map(str, _READABLE_VERSIONS))}")
        return structure["root"]

    def arrays(self, entries, mmap_path):
        mapped = None
        if mmap_path is not None and self.data_size:
            mapped = np.memmap(mmap_path, np.uint8, "c", offset=self.data_start, shape=(self.data_size,))
        self.fh.seek(self.data_start)
        arrays = {}
        for begin, end, name, dtype, shape in entries:
            try:
                _dtype._check_available(dtype)
            except RuntimeError as e:
                self.fail(f"tensor {name!r}: {e}")
            if mapped is not None:
                arrays[name] = mapped[begin:end].view(np.ndarray).view(dtype.np).reshape(shape)
                continue
            array = np.empty(shape, dtype.np)
            if (self.fh.readinto(array.reshape(-1).view(np.uint8)) or 0) != end - begin:
                self.fail(f"the data of tensor {name!r} ends early (was the file truncated while reading?)")
            arrays[name] = array
        return arrays


class _Decoder:
    """Rebuilds the saved object from its structure node, checking every node: the file is untrusted."""

    def __init__(self, arrays, restore, fail, weights_only, name):
        self.name = name
        self.arrays = arrays
        self.restore = restore
        self.fail = fail
        self.weights_only = weights_only
        self.used = set()  # the names of the stored arrays some node refers to
        self.memo = []  # tensors, arrays and modules in the order met, for "ref" nodes

    def node(self, node, depth):
        if depth > MAX_DEPTH:
            self.fail(f"the structure metadata is nested more than {MAX_DEPTH} levels deep")
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        kind = node.get("type") if isinstance(node, dict) else None
        if kind in ("tensor", "ndarray"):
            return self.leaf(node, kind)
        if kind == "ref":
            index = node.get("index")
            if not (_is_count(index) and index < len(self.memo)):
                self.fail(f"a ref node points at {_short(index)}, which is no earlier tensor, array or module")
            return self.memo[index]
        if kind in ("list", "tuple", "set", "frozenset"):
            items = [self.node(x, depth + 1) for x in self.field(node, "items", list)]
            if kind in ("set", "frozenset"):
                return self.collection(kind, items)
            return items if kind == "list" else tuple(items)
        if kind in ("dict", "OrderedDict"):
            return self.mapping(node, kind, depth)
        if kind == "object":
            return self.module(node, depth)
        if kind == "global":
            return self.resolve(self.field(node, "name", str))
        if kind == "extension":
            return self.extension(node, depth)
        if kind == "float" and node.get("value") in ("inf", "-inf", "nan"):
            return float(node["value"])
        if kind == "Size" and all(_is_count(s) for s in self.field(node, "items", list)):
            return Size(node["items"])
        if kind == "dtype" and self.field(node, "name", str) in _dtype._BY_NAME:
            return _dtype._BY_NAME[node["name"]]
        if kind == "device":
            return self.device(self.field(node, "name", str), "a device node")
        self.fail(f"unknown or malformed structure node {_short(node)}")

    def extension(self, node, depth):
        name = self.field(node, "name", str)
        if name not in _EXTENSIONS:
            self.fail(f"the structure metadata holds an object of unknown kind {name!r}")
        value = self.node(node.get("value"), depth + 1)
        try:
            return _EXTENSIONS[name][2](value)
        except (ValueError, TypeError, KeyError, AttributeError, RuntimeError) as e:
            self.fail(f"bad {name} in the structure metadata: {e}")

    def field(self, node, key, kind):
        value = node.get(key)
        if not isinstance(value, kind):
            self.fail(f"structure node of type {_short(node.get('type'))} needs {key!r} to be a {kind.__name__}")
        return value

    def device(self, text, what):
        try:
            return _device(text)
        except RuntimeError as e:
            self.fail(f"{what} has the bad device {_short(text)} ({e})")

    def collection(self, kind, items):
        try:
            return set(items) if kind == "set" else frozenset(items)
        except TypeError:
            self.fail(f"a {kind} node holds an unhashable item")

    def mapping(self, node, kind, depth):
        out = {} if kind == "dict" else OrderedDict()
        for pair in self.field(node, "items", list):
            if not (isinstance(pair, list) and len(pair) == 2):
                self.fail(f"{kind} items must be [key, value] pairs, got {_short(pair)}")
            key = self.node(pair[0], depth + 1)
            if not (key is None or isinstance(key, (bool, int, float, str))):
                self.fail(f"{kind} key {_short(pair[0])} is not a str, int, float, bool or None")
            out[key] = self.node(pair[1], depth + 1)
        if kind == "OrderedDict" and "metadata" in node:
            out._metadata = self.node(node["metadata"], depth + 1)
        return out

    def array(self, node):
        """The host array of a tensor or ndarray node: a stored array, or a strided view of one."""
        name = self.field(node, "name", str)
        if name not in self.arrays:
            self.fail(f"the structure metadata refers to tensor {name!r}, which the file does not contain")
        self.used.add(name)
        storage = self.arrays[name]
        if "view" not in node:
            return storage
        view = node["view"]
        if not (isinstance(view, list) and len(view) == 3 and _is_count(view[0]) and isinstance(view[2], list)):
            self.fail(f"tensor {name!r} has a malformed view {_short(view)}: expected [offset, shape, stride]")
        offset, shape, stride = view
        _check_shape(self.fail, f"a view of tensor {name!r}", shape, storage.itemsize)
        if len(stride) != len(shape) or not all(_is_count(s) for s in stride):
            self.fail(f"a view of tensor {name!r} has strides {_short(stride)} that do not fit its shape")
        flat = storage.reshape(-1)
        last = offset + sum((n - 1) * st for n, st in zip(shape, stride)) if all(shape) else offset - 1
        if last >= flat.size or offset > flat.size:
            self.fail(f"a view of tensor {name!r} reaches element {last}, past its {flat.size} elements")
        return np.lib.stride_tricks.as_strided(flat[offset:], shape, [st * flat.itemsize for st in stride])

    def leaf(self, node, kind):
        data = self.array(node)
        if kind == "ndarray":
            self.memo.append(data)
            return data
        name = node["name"]
        location = node.get("device", "cpu")
        requires_grad = node.get("requires_grad", False)
        if not isinstance(location, str) or not isinstance(requires_grad, bool):
            self.fail(f"tensor {name!r} has a malformed device or requires_grad in the structure metadata")
        self.device(location, f"tensor {name!r}")
        t = Tensor._wrap(data)
        if requires_grad and not t.is_floating_point():
            self.fail(f"tensor {name!r} is marked requires_grad but is not floating point")
        try:
            t = self.restore(t, location)
        except NotImplementedError as e:
            self.fail(f"tensor {name!r} was saved on {location}: {e}")
        if node.get("parameter") is True:
            from .nn import Parameter
            t = Parameter(t, requires_grad)
        elif requires_grad:
            t.requires_grad_(True)
        self.memo.append(t)
        return t

    def module(self, node, depth):
        """An nn.Module rebuilt without calling __init__: its class's __new__, then its saved attributes."""
        cls = self.resolve(self.field(node, "class", str))
        from .nn import Module
        if not (isinstance(cls, type) and issubclass(cls, Module)):
            self.fail(f"{node['class']} is not an nn.Module class")
        obj = cls.__new__(cls)
        self.memo.append(obj)
        state = self.node(self.field(node, "state", dict), depth + 1)
        if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
            self.fail(f"the attributes of a {node['class']} must be a dict with string keys")
        if hasattr(cls, "__setstate__"):
            obj.__setstate__(state)
        else:
            obj.__dict__.update(state)
        return obj

    def resolve(self, name):
        """The class or function called `name` ("module.qualname"), if load may use it (see load)."""
        if self.weights_only is not False:
            if name not in _safe_globals:
                raise WeightsOnlyError(_weights_only_message(name, self.weights_only) + f"\n\nThe file: "
                                       f"'{self.name}'.")
            obj = _safe_globals[name]
            if not isinstance(obj, str):
                return obj
        parts = name.split(".")
        for i in range(len(parts) - 1, 0, -1):  # the longest importable prefix is the module
            module, qualname = ".".join(parts[:i]), parts[i:]
            try:
                target = importlib.import_module(module) if module != "__main__" else sys.modules["__main__"]
            except ImportError:
                continue
            for part in qualname:
                target = getattr(target, part, None)
            if target is not None:
                return target
        self.fail(f"the file names {name}, which cannot be found by importing")


def _weights_only_message(name, weights_only):
    """torch's text for a global that a weights-only load refuses."""
    default = ("In PyTorch 2.6, we changed the default value of the `weights_only` argument in `torch.load` from "
               "`False` to `True`. " if weights_only is None else "")
    return (f"Weights only load failed. This file can still be loaded, to do so you have two options, do those "
            f"steps only if you trust the source of the checkpoint. \n\t(1) {default}Re-running `torch.load` with "
            f"`weights_only` set to `False` will likely succeed, but it imports the modules the file names and "
            f"rebuilds their classes, which runs their code. Do it only if you got the file from a trusted source."
            f"\n\t(2) Alternatively, to load with `weights_only=True` please check the recommended steps in the "
            f"following error message.\n\tWeightsUnpickler error: Unsupported global: GLOBAL {name} was not an "
            f"allowed global by default. Please use `torch.serialization.add_safe_globals([{name}])` or the "
            f"`torch.serialization.safe_globals([{name}])` context manager to allowlist this global if you trust "
            f"this class/function.\n\nCheck the documentation of torch.load to learn more about types accepted by "
            f"default with weights_only https://pytorch.org/docs/stable/generated/torch.load.html.")


class safe_open:
    """Read tensors from a safetensors file one at a time, as safetensors.safe_open does: opening reads and
    checks only the header; get_tensor reads one tensor's bytes, and get_slice(name)[rows] only the bytes the
    slice needs (through a read-only memory map). framework "pt" gives tensors, "np" NumPy arrays.

        with minitorch.serialization.safe_open("model.safetensors", framework="pt") as f:
            w = f.get_slice("embedding.weight")[1000:1010]"""

    def __init__(self, filename, framework, device="cpu"):
        if framework not in ("pt", "torch", "np", "numpy"):
            raise SerializationError(f"framework {framework} is invalid")
        self._path = os.fspath(filename)
        self._numpy = framework in ("np", "numpy")
        self._device = _device(device)
        self._file = open(self._path, "rb")
        try:
            reader = _Reader(self._file, self._path)
            header = reader.header()
            meta = header.pop("__metadata__", None)
            self._metadata = None if meta is None else reader.metadata(meta)
            self._entries = {name: (begin, end, dtype, shape) for begin, end, name, dtype, shape in
                             reader.entries(header)}
            self._start = reader.data_start
            self._fail = reader.fail
        except BaseException:
            self._file.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._file.close()

    def keys(self):
        """The tensor names, sorted."""
        return sorted(self._entries)

    def offset_keys(self):
        """The tensor names in the order of their data in the file."""
        return list(self._entries)

    def metadata(self):
        """The header's `__metadata__` (a dict of strings), or None."""
        return self._metadata

    def _entry(self, name):
        if name not in self._entries:
            self._fail(f"File does not contain tensor {name}")
        begin, end, dtype, shape = self._entries[name]
        try:
            _dtype._check_available(dtype)
        except RuntimeError as e:
            self._fail(f"tensor {name!r}: {e}")
        return begin, end, dtype, shape

    def get_tensor(self, name):
        """One tensor, reading only its bytes."""
        begin, end, dtype, shape = self._entry(name)
        array = np.empty(shape, dtype.np)
        self._file.seek(self._start + begin)
        if (self._file.readinto(array.reshape(-1).view(np.uint8)) or 0) != end - begin:
            self._fail(f"the data of tensor {name!r} ends early (was the file truncated while reading?)")
        return self._wrap(array)

    def get_slice(self, name):
        """A lazy view of one tensor: index it (`[2:5]`, `[:, 1]`, `[..., ::2]`) to read just that part."""
        self._entry(name)
        return _Slice(self, name)

    def _wrap(self, array):
        if self._numpy:
            return array
        t = Tensor._wrap(array)
        return t if self._device.type == "cpu" else t.to(self._device)


class _Slice:
    """What safe_open.get_slice returns: the shape and dtype of a tensor, and its parts on demand."""

    def __init__(self, source, name):
        self._source = source
        self._name = name

    def get_shape(self):
        return list(self._source._entries[self._name][3])

    def get_dtype(self):
        return _CODES[self._source._entries[self._name][2]]

    def __getitem__(self, key):
        source = self._source
        begin, end, dtype, shape = source._entry(self._name)
        if begin == end:
            return source._wrap(np.empty(shape, dtype.np)[key].copy())
        mapped = np.memmap(source._path, np.uint8, "r", offset=source._start + begin, shape=(end - begin,))
        part = np.array(mapped.view(np.ndarray).view(dtype.np).reshape(shape)[key])  # reads only what key touches
        return source._wrap(part)


def _restorer(map_location):
    """A function (cpu tensor, saved location string) -> the tensor where `map_location` wants it."""
    if map_location is None:
        return _to_location
    if isinstance(map_location, dict):
        return lambda t, location: _to_location(t, str(map_location.get(location, location)))
    if isinstance(map_location, (str, _device)):
        return lambda t, location: _to_location(t, str(map_location))
    if callable(map_location):
        def restore(t, location):
            out = map_location(t, location)
            if out is None:
                return _to_location(t, location)
            if not isinstance(out, Tensor):
                raise TypeError(f"map_location returned a {type(out).__name__}; expected a Tensor or None")
            return out
        return restore
    raise TypeError(f"map_location must be None, a str, a device, a dict or a callable, not "
                    f"{type(map_location).__name__}")


def _to_location(t, location):
    """`t` moved to `location` ('cpu', 'cuda:1' ...), with torch's errors for GPUs this machine lacks."""
    dev = _device(location)
    if dev.type == "cuda":
        from . import cuda
        if not cuda.is_available():
            raise RuntimeError("Attempting to deserialize object on a CUDA device but torch.cuda.is_available() "
                               "is False. If you are running on a CPU-only machine, please use torch.load with "
                               "map_location=torch.device('cpu') to map your storages to the CPU.")
        if dev.index is not None and dev.index >= cuda.device_count():
            raise RuntimeError(f"Attempting to deserialize object on CUDA device {dev.index} but "
                               f"torch.cuda.device_count() is {cuda.device_count()}. Please use torch.load with "
                               "map_location to map your storages to an existing device.")
    return t.to(dev)


def _parse_json(raw):
    """Strict JSON from bytes: UTF-8, no NaN/Infinity, no duplicate keys (ValueError otherwise)."""
    def pairs(items):
        out = {}
        for k, v in items:
            if k in out:
                raise ValueError(f"duplicate key {k!r}")
            out[k] = v
        return out

    def constant(word):
        raise ValueError(f"{word} is not JSON")
    return json.loads(raw.decode("utf-8"), object_pairs_hook=pairs, parse_constant=constant)


def _check_shape(fail, what, shape, itemsize):
    """A shape NumPy can build: a list of at most 64 counts whose byte size fits in a signed 64-bit int."""
    if not isinstance(shape, list) or not all(_is_count(s) for s in shape):
        fail(f"{what}: shape must be a list of non-negative integers, got {_short(shape)}")
    if len(shape) > MAX_DIMS:
        fail(f"{what} has {len(shape)} dimensions, more than the {MAX_DIMS} an array may have")
    if math.prod(s for s in shape if s) * itemsize >= 2 ** 63:
        fail(f"{what}: shape {_short(shape)} is too large for an array")


def _is_count(x):
    return type(x) is int and x >= 0


def _short(value):
    """A file's value quoted in an error, cut short (it may be huge)."""
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _json_type(value):
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", int: "a number",
            float: "a number", type(None): "null"}[type(value)]
