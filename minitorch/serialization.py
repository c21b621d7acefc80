"""`minitorch.save` / `minitorch.load`: checkpoints as safetensors files, never pickle.

`torch.save` pickles, and unpickling can run arbitrary code, so minitorch writes a safetensors file instead: an
8-byte little-endian header length, a JSON header giving each tensor's dtype, shape and byte range, then the raw
little-endian bytes. The tensors are the leaves of the saved object; the containers and plain values around them
(dicts, lists, tuples, numbers ...) are described by JSON kept in the header's `__metadata__`. A state_dict saved
here opens with `safetensors.torch.load_file`, and a `.safetensors` file written by PyTorch loads here."""
import errno
import json
import math
import os
import stat
import sys
import uuid
from collections import OrderedDict

import numpy as np

from . import _dtype
from ._device import device as _device
from ._size import Size
from ._tensor import Tensor

__all__ = ["save", "load", "SerializationError"]

_CODES = {_dtype.float64: "F64", _dtype.float32: "F32", _dtype.float16: "F16", _dtype.bfloat16: "BF16",
          _dtype.int64: "I64", _dtype.int32: "I32", _dtype.int16: "I16", _dtype.int8: "I8", _dtype.uint8: "U8",
          _dtype.bool: "BOOL", _dtype.complex64: "C64"}
_DTYPES = {code: d for d, code in _CODES.items()}
_FOREIGN_CODES = ("U16", "U32", "U64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4")
MAX_HEADER_SIZE = 100_000_000  # the limit the safetensors library itself enforces
MAX_DEPTH = 100  # containers nested deeper are refused, on save and on load, long before Python's recursion limit
_STRUCTURE_KEY = "minitorch"
_VERSION = 1


class SerializationError(RuntimeError):
    """A file `minitorch.load` refuses: corrupt, truncated, or not a safetensors file."""


# ----- save -------------------------------------------------------------------------------------------
def save(obj, f):
    """Write `obj` (a state_dict, or any nesting of tensors, numbers, strings, None, lists, tuples, dicts,
    OrderedDicts, torch.Size, dtypes and devices) to `f`, a path or a binary file object.

    The file is a safetensors file. A path is written atomically: to a temporary file in the same directory,
    flushed to disk, then renamed over `f`, so a failure leaves any previous file untouched."""
    encoder = _Encoder()
    root = encoder.node(obj, (), 0)
    head, arrays = _layout(root, encoder.arrays)
    if isinstance(f, (str, os.PathLike)):
        _atomic_write(os.fspath(f), head, arrays)
    else:
        _write(f, head, arrays)


class _Encoder:
    """Turns an object into a JSON structure node, collecting its tensors (contiguous host arrays) by name."""

    def __init__(self):
        self.arrays = {}

    def node(self, obj, path, depth):
        if depth > MAX_DEPTH:
            raise ValueError(f"minitorch.save: the object is nested more than {MAX_DEPTH} levels deep "
                             "(does it contain itself?)")
        if isinstance(obj, Tensor):
            return self.tensor(obj, path)
        if obj is None or isinstance(obj, (bool, str, int, float)):
            return _scalar(obj)
        if isinstance(obj, np.generic) and obj.dtype.kind in "biuf":
            return _scalar(obj.item())
        if isinstance(obj, Size):
            return {"type": "Size", "items": [int(s) for s in obj]}
        if isinstance(obj, _dtype.dtype):
            return {"type": "dtype", "name": obj.name}
        if isinstance(obj, _device):
            return {"type": "device", "name": str(obj)}
        if type(obj) in (list, tuple):
            return {"type": type(obj).__name__,
                    "items": [self.node(x, path + (i,), depth + 1) for i, x in enumerate(obj)]}
        if type(obj) in (dict, OrderedDict):
            node = {"type": type(obj).__name__,
                    "items": [[_key(k, path), self.node(v, path + (k,), depth + 1)] for k, v in obj.items()]}
            if hasattr(obj, "_metadata"):  # the per-module versions torch keeps on a state_dict
                node["metadata"] = self.node(obj._metadata, path + ("_metadata",), depth + 1)
            return node
        raise TypeError(f"minitorch.save cannot store a {type(obj).__name__} (at {_where(path)}): only tensors, "
                        "numbers, strings, None, lists, tuples, dicts, torch.Size, dtypes and devices. minitorch "
                        "never pickles, because loading a pickle can run arbitrary code.")

    def tensor(self, t, path):
        if t.dtype not in _CODES:  # safetensors has no complex128
            raise TypeError(f"minitorch.save cannot store a tensor of dtype {t.dtype} (at {_where(path)}): the "
                            "safetensors format has no such dtype")
        name = ".".join(str(p) for p in path) or "tensor"
        if name in self.arrays or name == "__metadata__":
            name = next(f"{name}#{i}" for i in range(1, len(self.arrays) + 2) if f"{name}#{i}" not in self.arrays)
        self.arrays[name] = np.asarray(t._data if t.is_cpu else t._data.get(), order="C")
        node = {"type": "tensor", "name": name}
        if not t.is_cpu:
            node["device"] = str(t.device)
        if t.requires_grad:
            node["requires_grad"] = True
        nn = sys.modules.get(__package__ + ".nn")  # no Parameter can exist before minitorch.nn is imported
        if nn is not None and isinstance(t, nn.Parameter):
            node["parameter"] = True
        return node


def _scalar(value):
    """A Python scalar as JSON; inf and nan (which JSON lacks) as a small object."""
    if isinstance(value, float) and not math.isfinite(value):
        return {"type": "float", "value": repr(float(value))}
    for t in (bool, int, float, str):
        if isinstance(value, t):
            return t(value)
    return value


def _key(k, path):
    if k is None or isinstance(k, (bool, str, int, float)):
        return _scalar(k)
    raise TypeError(f"minitorch.save: dict keys must be str, int, float, bool or None, got a {type(k).__name__} "
                    f"key at {_where(path)}")


def _where(path):
    return "the top level" if not path else "".join(f"[{p!r}]" for p in path)


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


def _atomic_write(path, head, arrays):
    parent = os.path.dirname(path)
    if parent and not os.path.isdir(parent):
        raise RuntimeError(f"Parent directory {parent} does not exist.")
    path = os.path.realpath(path)  # through a symlink, replace its target, not the link
    directory = os.path.dirname(path)
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{uuid.uuid4().hex[:12]}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            _write(f, head, arrays)
            f.flush()
            os.fsync(f.fileno())
        if os.path.exists(path):
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


# ----- load -------------------------------------------------------------------------------------------
def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None):
    """Read what `save` wrote, or any safetensors file (then a dict of tensors), from a path or a binary file
    object. Nothing in the file is ever executed: minitorch never unpickles, whatever `weights_only` says.

    map_location moves tensors as in torch: a device or string ('cpu'), a dict {'cuda:0': 'cpu'} of saved to
    wanted locations, or a function (tensor, location) returning a tensor, or None for the default placement.
    mmap=True maps a file path into memory instead of reading it (copy-on-write: the file is never changed)."""
    if pickle_module is not None:
        raise ValueError("minitorch.load never unpickles (unpickling can run arbitrary code), so it takes no "
                         "pickle_module")
    restore = _restorer(map_location)
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        with open(path, "rb") as fh:
            return _Reader(fh, path).load(restore, path if mmap else None)
    if mmap:
        raise ValueError("f must be a file path in order to use the mmap argument")
    return _Reader(f, getattr(f, "name", None) or f"<{type(f).__name__}>").load(restore, None)


class _Reader:
    """Checks a safetensors file thoroughly before reading its data, and names the file in every error."""

    def __init__(self, fh, name):
        self.fh = fh
        self.name = name

    def fail(self, problem):
        raise SerializationError(f"cannot load '{self.name}': {problem}")

    def load(self, restore, mmap_path):
        header = self.header()
        meta = self.metadata(header.pop("__metadata__", {}))
        entries = self.entries(header)
        if _STRUCTURE_KEY not in meta:  # a plain safetensors file, e.g. from PyTorch: a dict in header order
            arrays = self.arrays(entries, mmap_path)
            return {name: restore(Tensor._wrap(arrays[name]), "cpu") for name in header}
        structure = self.structure(meta[_STRUCTURE_KEY])
        arrays = self.arrays(entries, mmap_path)
        decoder = _Decoder(arrays, restore, self.fail)
        obj = decoder.node(structure, 0)
        unused = [name for name in arrays if name not in decoder.made]
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
            if not isinstance(info, dict):
                self.fail(f"tensor {name!r}: expected an object with dtype, shape and data_offsets, got "
                          f"{_json_type(info)}")
            missing = [k for k in ("dtype", "shape", "data_offsets") if k not in info]
            if missing:
                self.fail(f"tensor {name!r} has no {missing[0]!r}")
            code, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
            if code not in _DTYPES:
                self.fail(f"tensor {name!r} has dtype {code!r}, which minitorch does not have" if code in
                          _FOREIGN_CODES else f"tensor {name!r} has unknown dtype {code!r}")
            if not isinstance(shape, list) or not all(_is_count(s) for s in shape):
                self.fail(f"tensor {name!r}: shape must be a list of non-negative integers, got {shape!r}")
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
        if structure["version"] != _VERSION:
            self.fail(f"the structure metadata has version {structure['version']!r}; this minitorch reads "
                      f"version {_VERSION}")
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

    def __init__(self, arrays, restore, fail):
        self.arrays = arrays
        self.restore = restore
        self.fail = fail
        self.made = {}

    def node(self, node, depth):
        if depth > MAX_DEPTH:
            self.fail(f"the structure metadata is nested more than {MAX_DEPTH} levels deep")
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        kind = node.get("type") if isinstance(node, dict) else None
        if kind == "tensor":
            return self.tensor(node)
        if kind in ("list", "tuple"):
            items = [self.node(x, depth + 1) for x in self.field(node, "items", list)]
            return items if kind == "list" else tuple(items)
        if kind in ("dict", "OrderedDict"):
            return self.mapping(node, kind, depth)
        if kind == "float" and node.get("value") in ("inf", "-inf", "nan"):
            return float(node["value"])
        if kind == "Size" and all(_is_count(s) for s in self.field(node, "items", list)):
            return Size(node["items"])
        if kind == "dtype" and self.field(node, "name", str) in _dtype._BY_NAME:
            return _dtype._BY_NAME[node["name"]]
        if kind == "device":
            try:
                return _device(self.field(node, "name", str))
            except RuntimeError as e:
                self.fail(f"bad device in the structure metadata: {e}")
        self.fail(f"unknown or malformed structure node {json.dumps(node)[:80]}")

    def field(self, node, key, kind):
        value = node.get(key)
        if not isinstance(value, kind):
            self.fail(f"structure node of type {node.get('type')!r} needs {key!r} to be a {kind.__name__}")
        return value

    def mapping(self, node, kind, depth):
        out = {} if kind == "dict" else OrderedDict()
        for pair in self.field(node, "items", list):
            if not (isinstance(pair, list) and len(pair) == 2):
                self.fail(f"{kind} items must be [key, value] pairs, got {json.dumps(pair)[:80]}")
            key = self.node(pair[0], depth + 1)
            if not (key is None or isinstance(key, (bool, int, float, str))):
                self.fail(f"{kind} key {json.dumps(pair[0])[:80]} is not a str, int, float, bool or None")
            out[key] = self.node(pair[1], depth + 1)
        if kind == "OrderedDict" and "metadata" in node:
            out._metadata = self.node(node["metadata"], depth + 1)
        return out

    def tensor(self, node):
        name = self.field(node, "name", str)
        if name in self.made:
            return self.made[name]
        if name not in self.arrays:
            self.fail(f"the structure metadata refers to tensor {name!r}, which the file does not contain")
        location = node.get("device", "cpu")
        requires_grad = node.get("requires_grad", False)
        if not isinstance(location, str) or not isinstance(requires_grad, bool):
            self.fail(f"tensor {name!r} has a malformed device or requires_grad in the structure metadata")
        t = Tensor._wrap(self.arrays[name])
        if requires_grad and not t.is_floating_point():
            self.fail(f"tensor {name!r} is marked requires_grad but is not floating point")
        t = self.restore(t, location)
        if node.get("parameter") is True:
            from .nn import Parameter
            t = Parameter(t, requires_grad)
        elif requires_grad:
            t.requires_grad_(True)
        self.made[name] = t
        return t


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


def _is_count(x):
    return type(x) is int and x >= 0


def _json_type(value):
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", int: "a number",
            float: "a number", type(None): "null"}[type(value)]
