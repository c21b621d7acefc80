"""minitorch.save / minitorch.load: safetensors files, exact round trips, interop with PyTorch's safetensors,
atomic writes, map_location, and clear refusals of corrupt files and of pickles (never executed)."""
import io
import json
import os
import pickle
import tracemalloc
from collections import OrderedDict

import numpy as np
import pytest

import minitorch
from minitorch.serialization import MAX_DEPTH, SerializationError


@pytest.fixture(scope="module")
def st(torch):
    """safetensors.torch, the reference reader and writer (required where torch is, as in CI)."""
    if os.environ.get("MINITORCH_REQUIRE_TORCH") == "1":
        import safetensors.torch
        return safetensors.torch
    return pytest.importorskip("safetensors.torch", reason="safetensors is not installed (pip install '.[parity]')")


@pytest.fixture
def nn():
    try:
        import minitorch.nn as nn
        nn.Linear, nn.Sequential
    except (ImportError, AttributeError) as e:
        pytest.skip(f"minitorch.nn is not available yet: {e}")
    return nn


def roundtrip(obj, **load_kwargs):
    buf = io.BytesIO()
    minitorch.save(obj, buf)
    buf.seek(0)
    return minitorch.load(buf, **load_kwargs)


def same(a, b):
    """Equal values of exactly the same types, tensors compared bit for bit (NaNs included)."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, minitorch.Tensor):
        assert a.dtype is b.dtype and a.shape == b.shape and a.device == b.device
        assert a.requires_grad == b.requires_grad
        assert np.ascontiguousarray(a._data).tobytes() == b._data.tobytes()
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            same(x, y)
    elif isinstance(a, dict):
        assert list(a) == list(b) and [type(k) for k in a] == [type(k) for k in b]
        for k in a:
            same(a[k], b[k])
        assert getattr(a, "_metadata", None) == getattr(b, "_metadata", None)
    elif isinstance(a, float) and a != a:
        assert b != b
    else:
        assert a == b and repr(a) == repr(b)


def values_of(dtype):
    if dtype is minitorch.bool:
        return minitorch.tensor([[True, False, True], [False, False, True]])
    if dtype.is_floating_point:
        info = (pytest.importorskip("ml_dtypes").finfo if dtype is minitorch.bfloat16 else np.finfo)(dtype.np)
        return minitorch.tensor([[float("nan"), -0.0, float("inf")], [float(info.max), float(info.tiny) / 4, 1.5]],
                                dtype=dtype)
    info = np.iinfo(dtype.np)
    return minitorch.tensor([[int(info.min), -1 if info.min else 0, 0], [1, 7, int(info.max)]], dtype=dtype)


PLAIN_DTYPES = [d for d in (minitorch.float64, minitorch.float32, minitorch.float16, minitorch.int64,
                            minitorch.int32, minitorch.int16, minitorch.int8, minitorch.uint8, minitorch.bool)]


# ----- round trips ------------------------------------------------------------------------------------
def test_state_dict_round_trip_every_dtype_bit_exact():
    sd = OrderedDict((f"layer{i}.{d.name}", values_of(d)) for i, d in enumerate(PLAIN_DTYPES))
    sd["z.first_in_order_not_alphabet"] = minitorch.ones(2)
    same(sd, roundtrip(sd))


def test_bfloat16_round_trip():
    pytest.importorskip("ml_dtypes", reason="bfloat16 needs ml_dtypes (pip install ml_dtypes)")
    sd = {"w": values_of(minitorch.bfloat16), "s": minitorch.tensor(3.0, dtype=minitorch.bfloat16)}
    same(sd, roundtrip(sd))


def test_bfloat16_file_without_ml_dtypes_is_a_clear_error(monkeypatch, tmp_path):
    path = tmp_path / "bf16.safetensors"
    path.write_bytes(raw({"w": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}, b"\x80\x3f\x00\x40"))
    monkeypatch.setattr(minitorch.bfloat16, "np", None)
    with pytest.raises(SerializationError, match=r"bf16.safetensors.*tensor 'w'.*ml_dtypes"):
        minitorch.load(path)


def test_zero_dim_empty_and_non_contiguous_tensors():
    base = np.arange(24.0).reshape(2, 3, 4)
    sd = {"scalar": minitorch.tensor(2.5), "int_scalar": minitorch.tensor(7), "empty": minitorch.zeros(0, 3),
          "empty_int": minitorch.zeros(3, 0, dtype=minitorch.int64),
          "transposed": minitorch.from_numpy(base.transpose(2, 1, 0)),
          "strided": minitorch.from_numpy(base[:, ::2, 1:])}
    assert not sd["transposed"].is_contiguous()
    out = roundtrip(sd)
    for k in sd:
        assert out[k].shape == sd[k].shape and out[k].dtype is sd[k].dtype
        assert np.array_equal(out[k].numpy(), sd[k].numpy())
        assert out[k].is_contiguous() or k in ("transposed", "strided")
    # the two views of one array come back as views of one storage, as in torch
    assert out["transposed"].stride() == sd["transposed"].stride()
    assert np.shares_memory(out["transposed"].numpy(), out["strided"].numpy())


def test_nested_structure_keeps_types_order_and_values():
    t = minitorch.arange(3.0)
    obj = {
        "state": {0: {"step": minitorch.tensor(5.0), "exp_avg": t * 2}, 1: {"momentum_buffer": None}},
        "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1], "nesterov": False, "foreach": None,
                          "name": "héllo ✓", "eps": 1e-8, "big": 2 ** 80, "neg_zero": -0.0}],
        "specials": [float("inf"), float("-inf"), float("nan"), True, -3, ""],
        "meta": OrderedDict([("z", 1), ("a", (minitorch.Size([2, 3]), minitorch.float16, minitorch.device("cpu")))]),
        "keys": {1.5: "float key", None: "none key", True: "bool key", "0": "str key", 0: "int key"},
        "empties": ([], (), {}, OrderedDict()),
        "numpy_scalars": [np.float64(0.25), np.int64(3), np.bool_(True)],
    }
    out = roundtrip(obj)
    obj["numpy_scalars"] = [0.25, 3, True]  # stored as the Python numbers they stand for
    same(obj, out)
    assert out["meta"]["a"][0].__class__ is minitorch.Size and out["meta"]["a"][1] is minitorch.float16


def test_tensor_names_never_collide():
    a, b, c = minitorch.tensor([1.0]), minitorch.tensor([2.0]), minitorch.tensor([3.0])
    obj = {"a.b": a, "a": {"b": b}, "__metadata__": c, "t": [a, a]}
    out = roundtrip(obj)
    same(obj, out)
    assert out["t"][0] is out["t"][1] is out["a.b"]  # a tensor saved twice comes back as one tensor, as in torch


def test_state_dict_metadata_attribute_is_kept():
    sd = OrderedDict(w=minitorch.ones(2))
    sd._metadata = OrderedDict([("", {"version": 1}), ("0", {"version": 2})])
    out = roundtrip(sd)
    same(sd, out)
    assert type(out._metadata) is OrderedDict


def test_single_tensor_and_plain_values(torch):
    same(minitorch.tensor([[1, 2]]), roundtrip(minitorch.tensor([[1, 2]])))
    for value in (None, 3, "x", [1, (2, None)]):
        same(value, roundtrip(value))


def test_requires_grad_is_kept_like_torch(torch):
    def flags(lib, out):
        x = lib.ones(2, requires_grad=True)
        return {k: (v.requires_grad, v.is_leaf) for k, v in out(lib, {"x": x, "y": x * 2, "z": x.detach()}).items()}

    def torch_roundtrip(lib, obj):
        buf = io.BytesIO()
        lib.save(obj, buf)
        buf.seek(0)
        return lib.load(buf)
    assert flags(minitorch, lambda lib, o: roundtrip(o)) == flags(torch, torch_roundtrip)


def test_unsupported_objects_are_refused_before_writing(tmp_path):
    path = tmp_path / "x.safetensors"
    with pytest.raises(TypeError, match=r"cannot store a complex \(at \['a'\]\[1\]\).*never pickles"):
        minitorch.save({"a": [1, 2j]}, path)
    with pytest.raises(TypeError, match=r"dict keys must be .* got a tuple key at \['d'\]"):
        minitorch.save({"d": {(1, 2): 3}}, path)
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match=f"nested more than {MAX_DEPTH} levels"):
        minitorch.save(loop, path)
    assert list(tmp_path.iterdir()) == []


# ----- files and atomic writes ------------------------------------------------------------------------
def test_paths_and_file_objects(tmp_path):
    sd = {"w": minitorch.randn(3, 2)}
    for target in (str(tmp_path / "a.pt"), tmp_path / "b.pt"):
        minitorch.save(sd, target)
        same(sd, minitorch.load(target))
    with open(tmp_path / "c.pt", "wb") as f:
        f.write(b"prefix")
        minitorch.save(sd, f)
    with open(tmp_path / "c.pt", "rb") as f:
        f.seek(6)  # a file object is read from where it stands, as torch does
        same(sd, minitorch.load(f))


def test_overwrite_is_atomic_when_writing_fails(monkeypatch, tmp_path):
    from minitorch import serialization
    path = tmp_path / "model.safetensors"
    minitorch.save({"old": minitorch.ones(2)}, path)
    before = path.read_bytes()

    def half_written(f, head, arrays):
        f.write(head)
        raise OSError("No space left on device")
    monkeypatch.setattr(serialization, "_write", half_written)
    with pytest.raises(OSError, match="No space left"):
        minitorch.save({"new": minitorch.zeros(1000)}, path)
    monkeypatch.undo()

    def fsync_fails(fd):
        raise OSError("I/O error")
    monkeypatch.setattr(os, "fsync", fsync_fails)
    with pytest.raises(OSError, match="I/O error"):
        minitorch.save({"new": minitorch.zeros(1000)}, path)
    monkeypatch.undo()

    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["model.safetensors"]
    minitorch.save({"new": minitorch.zeros(3)}, path)
    same({"new": minitorch.zeros(3)}, minitorch.load(path))
    assert [p.name for p in tmp_path.iterdir()] == ["model.safetensors"]


def test_file_mode_and_symlinks(tmp_path):
    plain = tmp_path / "plain"
    plain.write_bytes(b"")
    minitorch.save({}, tmp_path / "new.pt")
    assert (tmp_path / "new.pt").stat().st_mode == plain.stat().st_mode  # the umask applies as with open()
    os.chmod(tmp_path / "new.pt", 0o640)
    minitorch.save({"a": minitorch.ones(1)}, tmp_path / "new.pt")
    assert (tmp_path / "new.pt").stat().st_mode & 0o777 == 0o640
    os.symlink(tmp_path / "new.pt", tmp_path / "link.pt")
    minitorch.save({"b": minitorch.ones(1)}, tmp_path / "link.pt")
    assert (tmp_path / "link.pt").is_symlink() and list(minitorch.load(tmp_path / "new.pt")) == ["b"]


def test_missing_files_and_directories_fail_like_torch(torch, tmp_path, monkeypatch):
    def error(fn, *args):
        with pytest.raises(Exception) as info:
            fn(*args)
        return type(info.value), str(info.value)
    for path in (tmp_path / "missing.pt", tmp_path):
        assert error(minitorch.load, path) == error(torch.load, path)
    monkeypatch.chdir(tmp_path)
    for target in (tmp_path / "no_such_dir" / "x.pt", "no_such_dir/x.pt"):
        assert error(minitorch.save, {}, target) == error(torch.save, {}, target)
    with pytest.raises(IsADirectoryError, match="Is a directory"):
        minitorch.save({}, tmp_path)


# ----- interop with PyTorch's safetensors --------------------------------------------------------------
def test_minitorch_file_opens_in_torch(st, torch, tmp_path):
    sd = OrderedDict((f"p.{d.name}", values_of(d)) for d in PLAIN_DTYPES)
    sd["b.scalar"] = minitorch.tensor(1.5)
    sd["a.empty"] = minitorch.zeros(0, 2)
    minitorch.save(sd, tmp_path / "m.safetensors")
    loaded = st.load_file(tmp_path / "m.safetensors")
    assert sorted(loaded) == sorted(sd)
    for k, v in sd.items():
        assert str(loaded[k].dtype) == str(v.dtype) and list(loaded[k].shape) == list(v.shape)
        assert loaded[k].numpy().tobytes() == v.numpy().tobytes()


def test_nested_minitorch_file_opens_in_torch_with_path_names(st, torch, tmp_path):
    minitorch.save({"state": {0: {"exp_avg": minitorch.ones(2)}}, "lr": 0.1, "w": [minitorch.zeros(1)]},
                   tmp_path / "n.safetensors")
    loaded = st.load_file(tmp_path / "n.safetensors")
    assert sorted(loaded) == ["state.0.exp_avg", "w.0"]
    assert loaded["state.0.exp_avg"].tolist() == [1.0, 1.0]


def test_torch_safetensors_file_loads(st, torch, tmp_path):
    g = torch.Generator().manual_seed(0)
    sd = {"w": torch.randn(3, 4, generator=g), "b": torch.randn(4, generator=g).double(),
          "h": torch.randn(5, generator=g).half(), "i": torch.arange(-3, 3, dtype=torch.int8),
          "mask": torch.tensor([True, False]), "s": torch.tensor(3), "e": torch.zeros(0, 7),
          "t": torch.randn(4, 3, generator=g).t()}
    st.save_file({k: v.contiguous() for k, v in sd.items()}, tmp_path / "t.safetensors", metadata={"format": "pt"})
    out = minitorch.load(tmp_path / "t.safetensors")
    assert type(out) is dict and list(out) == list(st.load_file(tmp_path / "t.safetensors"))
    for k, v in sd.items():
        assert str(out[k].dtype) == str(v.dtype) and out[k].shape == minitorch.Size(v.shape)
        assert out[k].numpy().tobytes() == v.contiguous().numpy().tobytes()
        assert not out[k].requires_grad and out[k].device == minitorch.device("cpu")


def test_torch_bfloat16_file(st, torch, tmp_path):
    x = torch.tensor([1.0, -2.5, 3.140625, float("inf")], dtype=torch.bfloat16)
    st.save_file({"x": x}, tmp_path / "bf.safetensors")
    pytest.importorskip("ml_dtypes", reason="bfloat16 needs ml_dtypes (pip install ml_dtypes)")
    out = minitorch.load(tmp_path / "bf.safetensors")["x"]
    assert out.dtype is minitorch.bfloat16 and out.float().tolist() == x.float().tolist()
    minitorch.save({"x": out}, tmp_path / "back.safetensors")
    assert torch.equal(st.load_file(tmp_path / "back.safetensors")["x"], x)


# ----- map_location and mmap ---------------------------------------------------------------------------
def saved_on_cuda(tmp_path):
    """A file whose tensor was saved from cuda:0: written on cpu, then its recorded device edited."""
    path = tmp_path / "gpu.safetensors"
    minitorch.save({"w": minitorch.ones(2)}, path)
    data = path.read_bytes()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    structure = json.loads(header["__metadata__"]["minitorch"])
    structure["root"]["items"][0][1]["device"] = "cuda:0"
    header["__metadata__"]["minitorch"] = json.dumps(structure)
    text = json.dumps(header).encode()
    path.write_bytes(len(text).to_bytes(8, "little") + text + data[8 + n:])
    return path


@pytest.mark.skipif(minitorch.cuda.is_available(), reason="checks the error of a machine without a GPU")
def test_cuda_file_on_a_cpu_machine(tmp_path):
    path = saved_on_cuda(tmp_path)
    with pytest.raises(RuntimeError, match=r"Attempting to deserialize object on a CUDA device but "
                                           r"torch.cuda.is_available\(\) is False"):
        minitorch.load(path)
    for where in ("cpu", minitorch.device("cpu"), {"cuda:0": "cpu"}):
        assert minitorch.load(path, map_location=where)["w"].tolist() == [1.0, 1.0]
    seen = []

    def relocate(tensor, location):
        seen.append((tensor.device, location))
        return tensor * 10
    assert minitorch.load(path, map_location=relocate)["w"].tolist() == [10.0, 10.0]
    assert seen == [(minitorch.device("cpu"), "cuda:0")]


def test_map_location_forms_on_cpu():
    sd = {"w": minitorch.ones(2)}
    assert roundtrip(sd, map_location=lambda t, loc: None)["w"].tolist() == [1.0, 1.0]
    assert roundtrip(sd, map_location={"cuda:1": "cuda:0"})["w"].device == minitorch.device("cpu")
    with pytest.raises(TypeError, match="map_location returned a str; expected a Tensor or None"):
        roundtrip(sd, map_location=lambda t, loc: "cpu")
    with pytest.raises(TypeError, match="map_location must be None, a str, a device, a dict or a callable"):
        roundtrip(sd, map_location=3)


@pytest.mark.cuda
def test_cuda_tensors_come_back_on_their_device(tmp_path):
    sd = {"g": minitorch.arange(4.0, device="cuda"), "c": minitorch.ones(2)}
    minitorch.save(sd, tmp_path / "g.pt")
    out = minitorch.load(tmp_path / "g.pt")
    assert out["g"].device == sd["g"].device and out["c"].is_cpu and out["g"].tolist() == [0, 1, 2, 3]
    moved = minitorch.load(tmp_path / "g.pt", map_location="cpu")
    assert moved["g"].is_cpu and moved["g"].tolist() == [0, 1, 2, 3]
    assert minitorch.load(tmp_path / "g.pt", map_location="cuda")["c"].is_cuda


def test_mmap_loads_copy_on_write(tmp_path, torch):
    sd = {"w": minitorch.arange(6.0).reshape(2, 3), "i": minitorch.tensor([1, 2], dtype=minitorch.int16),
          "e": minitorch.zeros(0), "s": minitorch.tensor(True)}
    path = tmp_path / "m.pt"
    minitorch.save(sd, path)
    before = path.read_bytes()
    out = minitorch.load(path, mmap=True)
    same(sd, out)
    out["w"].add_(1)
    assert out["w"].tolist()[0][0] == 1.0 and path.read_bytes() == before
    torch_file = io.BytesIO()
    torch.save({"w": torch.ones(1)}, torch_file)
    for lib, buf in ((minitorch, io.BytesIO(before)), (torch, torch_file)):
        buf.seek(0)
        with pytest.raises(ValueError, match="f must be a file path in order to use the mmap argument"):
            lib.load(buf, mmap=True)


def test_load_options():
    sd = {"w": minitorch.ones(1)}
    for weights_only in (True, False, None):
        same(sd, roundtrip(sd, weights_only=weights_only))
    with pytest.raises(ValueError, match="never unpickles"):
        roundtrip(sd, pickle_module=pickle)


# ----- corrupt, foreign and malicious files ------------------------------------------------------------
def raw(header, data=b""):
    """A safetensors-style file: length prefix, header (JSON-encoded unless already bytes), data."""
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    return len(text).to_bytes(8, "little") + text + data


def with_structure(root, tensors=None, data=b""):
    header = {"__metadata__": {"minitorch": json.dumps({"version": 1, "root": root})}}
    header.update(tensors or {})
    return raw(header, data)


F32x2 = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}


def entry(**changes):
    info = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
    info.update(changes)
    return raw({"a": {k: v for k, v in info.items() if v is not None}}, bytes(8))


def nested_lists(depth):
    node = None
    for _ in range(depth):
        node = {"type": "list", "items": [node]}
    return node


BAD_FILES = {
    "empty": (b"", "the file is empty"),
    "truncated header length": (b"\x05\x00\x00", "has 3 bytes, too few for the 8-byte header length"),
    "header longer than file": ((100).to_bytes(8, "little") + b"{}", "says 100 bytes but only 2 follow"),
    "absurd header length": ((2 ** 60).to_bytes(8, "little") + b"{}", "more than the 100000000"),
    "header not json": (raw(b"{not json"), "header is not valid JSON"),
    "header not utf-8": (raw(b'{"a\xff": 1}'), "header is not valid JSON: 'utf-8' codec"),
    "header json not an object": (raw(b'[{"a": 1}]'), "header must be a JSON object, got an array"),
    "header json NaN": (raw(b'{"a": NaN}'), "NaN is not JSON"),
    "duplicate tensor name": (raw(b'{"a": {}, "a": {}}'), "duplicate key 'a'"),
    "entry not an object": (raw({"a": [0, 8]}), "tensor 'a': expected an object with dtype, shape and data_offsets"),
    "missing dtype": (entry(dtype=None), "tensor 'a' has no 'dtype'"),
    "missing shape": (entry(shape=None), "tensor 'a' has no 'shape'"),
    "missing data_offsets": (entry(data_offsets=None), "tensor 'a' has no 'data_offsets'"),
    "unknown dtype": (entry(dtype="F99"), "tensor 'a' has unknown dtype 'F99'"),
    "dtype minitorch lacks": (entry(dtype="U32"), "dtype 'U32', which minitorch does not have"),
    "non-integer dtype name": (entry(dtype=4), "unknown dtype 4"),
    "negative shape": (entry(shape=[-2]), r"shape must be a list of non-negative integers, got \[-2\]"),
    "float shape": (entry(shape=[2.0]), r"shape must be a list of non-negative integers, got \[2.0\]"),
    "boolean shape": (entry(shape=[True, 2]), "shape must be a list of non-negative integers"),
    "negative offsets": (entry(data_offsets=[-8, 0]), r"data_offsets must be \[begin, end\]"),
    "reversed offsets": (entry(data_offsets=[8, 0]), r"data_offsets must be \[begin, end\].*got \[8, 0\]"),
    "three offsets": (entry(data_offsets=[0, 4, 8]), r"data_offsets must be \[begin, end\]"),
    "offsets not shape*itemsize": (entry(shape=[3]), r"span 8 bytes but dtype F32 with shape \[3\] needs 12"),
    "overlapping offsets": (raw({**F32x2, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, bytes(12)),
                            r"tensor 'b' \(bytes 4 to 12\) overlaps the tensor before it"),
    "gap between tensors": (raw({"a": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, bytes(12)),
                            "starts at byte 4 but the data before it ends at byte 0"),
    "out-of-range offsets": (raw({"a": {"dtype": "F32", "shape": [2], "data_offsets": [10 ** 30, 10 ** 30 + 8]}},
                                 bytes(8)), "starts at byte 1000000000000000000000000000000"),
    "truncated data": (raw(F32x2, bytes(5)), r"need 8 bytes of data but only 5 follow the header \(truncated"),
    "trailing garbage": (raw(F32x2, bytes(12)), "4 unexpected bytes follow the last tensor's data"),
    "metadata not an object": (raw({"__metadata__": ["x"]}), "__metadata__ must be a JSON object, got an array"),
    "metadata non-str value": (raw({"__metadata__": {"format": 1}}), "__metadata__ values must be strings, but "
                                                                     "'format' is a number"),
    "structure not json": (raw({"__metadata__": {"minitorch": "{oops"}}), "structure metadata is not valid JSON"),
    "structure not an object": (raw({"__metadata__": {"minitorch": "[1]"}}), "must be an object with 'version'"),
    "structure from the future": (raw({"__metadata__": {"minitorch": '{"version": 9, "root": null}'}}),
                                  "has version 9; this minitorch reads versions 1 and 2"),
    "structure names a missing tensor": (with_structure({"type": "tensor", "name": "zz"}),
                                         "refers to tensor 'zz', which the file does not contain"),
    "tensor not in the structure": (with_structure(None, F32x2, bytes(8)),
                                    "tensor 'a' is not referenced by the structure metadata"),
    "unknown node type": (with_structure({"type": "bag", "items": [1]}), 'malformed structure node {"type": "bag"'),
    "node that is a bare array": (with_structure([1, 2]), r"malformed structure node \[1, 2\]"),
    "node field of the wrong type": (with_structure({"type": "tensor", "name": 5}),
                                     "'tensor' needs 'name' to be a str"),
    "dict item not a pair": (with_structure({"type": "dict", "items": [["k"]]}), r'\[key, value\] pairs, got \["k"\]'),
    "unhashable dict key": (with_structure({"type": "dict", "items": [[{"type": "list", "items": []}, 1]]}),
                            "dict key .* is not a str, int, float, bool or None"),
    "bad non-finite float": (with_structure({"type": "float", "value": "1e999"}), "malformed structure node"),
    "bad device": (with_structure({"type": "device", "name": "tpu:0"}), r"bad device 'tpu:0' \(Expected one of cpu"),
    "bad dtype": (with_structure({"type": "dtype", "name": "complex64"}), "malformed structure node"),
    "requires_grad on ints": (with_structure({"type": "tensor", "name": "a", "requires_grad": True},
                                             {"a": {"dtype": "I32", "shape": [2], "data_offsets": [0, 8]}}, bytes(8)),
                              "tensor 'a' is marked requires_grad but is not floating point"),
    "nested past the limit": (with_structure(nested_lists(MAX_DEPTH + 5)), f"nested more than {MAX_DEPTH} levels"),
    "nested past the recursion limit": (raw({"__metadata__": {"minitorch": '{"version":1,"root":' +
                                                              '{"type":"list","items":[' * 100_000}}),
                                        "structure metadata is not valid JSON"),
    "plain pickle": (pickle.dumps({"w": [1.0, 2.0]}), "it is a Python pickle .* never unpickles"),
    "tiny pickle": (pickle.dumps(None, protocol=2), "it is a Python pickle"),
}


def tensor_node(**fields):
    return with_structure({"type": "tensor", "name": "a", **fields}, F32x2, bytes(8))


def view_node(view):
    return tensor_node(view=view)


BAD_FILES.update({
    # the header as a whole
    "header length all ones": (b"\xff" * 8 + b"{}", "more than the 100000000"),
    "empty header": (raw(b""), "header is not valid JSON"),
    "blank header": (raw(b"    "), "header is not valid JSON"),
    "header a JSON string": (raw(b'"{}"'), "header must be a JSON object, got a string"),
    "header a JSON number": (raw(b"5"), "header must be a JSON object, got a number"),
    "header JSON null": (raw(b"null"), "header must be a JSON object, got null"),
    "header with trailing garbage": (raw(b"{} x"), "header is not valid JSON"),
    "header cut short": (raw(b'{"a": '), "header is not valid JSON"),
    "header with a control character": (raw(b'{"a\x01": {}}'), "header is not valid JSON"),
    "header with a byte order mark": (raw(b"\xef\xbb\xbf{}"), "header is not valid JSON"),
    "header with a bad escape": (raw(b'{"a": "\\x"}'), "header is not valid JSON"),
    "header number with 5000 digits": (raw(b'{"a": ' + b"9" * 5000 + b"}"), "header is not valid JSON"),
    "header nested 100000 deep": (raw(b"[" * 100_000), "header is not valid JSON"),
    "header Infinity": (raw(b'{"a": Infinity}'), "Infinity is not JSON"),
    "duplicate metadata": (raw(b'{"__metadata__": {}, "__metadata__": {}}'), "duplicate key '__metadata__'"),
    "metadata null": (raw({"__metadata__": None}), "__metadata__ must be a JSON object, got null"),
    "metadata nested object": (raw({"__metadata__": {"k": {}}}), "'k' is an object"),
    "tensor name a lone surrogate": (raw(b'{"\\ud800": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}}'),
                                     "is not valid Unicode"),
    # one tensor's entry
    "entry a string": (raw({"a": "F32"}), "tensor 'a': expected an object"),
    "entry null": (raw({"a": None}), "tensor 'a': expected an object .* got null"),
    "entry a number": (raw({"a": 4}), "tensor 'a': expected an object .* got a number"),
    "dtype a list": (entry(dtype=["F32"]), r"tensor 'a' has unknown dtype \[\"F32\"\]"),
    "dtype an object": (entry(dtype={"a": 1}), "tensor 'a' has unknown dtype"),
    "dtype null": (raw({"a": {"dtype": None, "shape": [2], "data_offsets": [0, 8]}}, bytes(8)),
                   "tensor 'a' has unknown dtype null"),
    "dtype lower case": (entry(dtype="f32"), "unknown dtype 'f32'"),
    "dtype padded": (entry(dtype=" F32"), "unknown dtype ' F32'"),
    "shape a string": (entry(shape="2"), "shape must be a list of non-negative integers"),
    "shape nested": (entry(shape=[[2]]), "shape must be a list of non-negative integers"),
    "shape holding null": (entry(shape=[None]), "shape must be a list of non-negative integers"),
    "shape infinite": (raw(b'{"a": {"dtype": "F32", "shape": [1e400], "data_offsets": [0, 8]}}', bytes(8)),
                       "shape must be a list of non-negative integers"),
    "65 dimensions": (raw({"a": {"dtype": "F32", "shape": [1] * 65, "data_offsets": [0, 4]}}, bytes(4)),
                      "has 65 dimensions, more than the 64 an array may have"),
    "2 million dimensions": (raw({"a": {"dtype": "F32", "shape": [1] * 2_000_000, "data_offsets": [0, 4]}},
                                 bytes(4)), "has 2000000 dimensions"),
    "empty shape too large for an array": (raw({"a": {"dtype": "F32", "shape": [0, 2 ** 63], "data_offsets": [0, 0]}}),
                                           "is too large for an array"),
    "dimension past 64 bits": (raw({"a": {"dtype": "F32", "shape": [2 ** 64, 0], "data_offsets": [0, 0]}}),
                               "is too large for an array"),
    "byte size past 63 bits": (raw({"a": {"dtype": "F64", "shape": [2 ** 31, 2 ** 30, 0], "data_offsets": [0, 0]}}),
                               "is too large for an array"),
    "offsets strings": (entry(data_offsets=["0", "8"]), r"data_offsets must be \[begin, end\]"),
    "offsets floats": (entry(data_offsets=[0.0, 8.0]), r"data_offsets must be \[begin, end\]"),
    "offsets null": (raw({"a": {"dtype": "F32", "shape": [2], "data_offsets": None}}, bytes(8)),
                     r"data_offsets must be \[begin, end\]"),
    "offsets an object": (entry(data_offsets={"begin": 0}), r"data_offsets must be \[begin, end\]"),
    "one offset": (entry(data_offsets=[8]), r"data_offsets must be \[begin, end\]"),
    "no offsets": (entry(data_offsets=[]), r"data_offsets must be \[begin, end\]"),
    "end past 64 bits": (entry(data_offsets=[0, 2 ** 64]), "span 18446744073709551616 bytes"),
    "two tensors on the same bytes": (raw({**F32x2, "b": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}},
                                          bytes(8)), "overlaps the tensor before it"),
    "empty tensor past the data": (raw({"a": {"dtype": "F32", "shape": [0], "data_offsets": [100, 100]}}),
                                   "starts at byte 100"),
    "bool with a wrong size": (raw({"a": {"dtype": "BOOL", "shape": [3], "data_offsets": [0, 2]}}, bytes(2)),
                               "span 2 bytes but dtype BOOL with shape \\[3\\] needs 3"),
    "bfloat16 with an odd size": (raw({"a": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 3]}}, bytes(3)),
                                  "needs 2"),
    # the structure metadata
    "version a string": (raw({"__metadata__": {"minitorch": '{"version": "1", "root": null}'}}), "version '1'"),
    "version true": (raw({"__metadata__": {"minitorch": '{"version": true, "root": null}'}}), "version true"),
    "version a float": (raw({"__metadata__": {"minitorch": '{"version": 1.0, "root": null}'}}), "version 1.0"),
    "structure with an extra key": (raw({"__metadata__": {"minitorch": '{"version": 1, "root": null, "x": 1}'}}),
                                    "must be an object with 'version' and 'root'"),
    "structure without root": (raw({"__metadata__": {"minitorch": '{"version": 1}'}}), "'version' and 'root'"),
    "structure a JSON string": (raw({"__metadata__": {"minitorch": '"x"'}}), "'version' and 'root'"),
    "list items not a list": (with_structure({"type": "list", "items": {}}), "'list' needs 'items' to be a list"),
    "tuple items null": (with_structure({"type": "tuple", "items": None}), "'tuple' needs 'items' to be a list"),
    "dict items an object": (with_structure({"type": "dict", "items": {"a": 1}}), "'dict' needs 'items'"),
    "OrderedDict metadata malformed": (with_structure({"type": "OrderedDict", "items": [], "metadata": {"type": 1}}),
                                       "malformed structure node"),
    "Size with a negative": (with_structure({"type": "Size", "items": [2, -1]}), "malformed structure node"),
    "Size with a float": (with_structure({"type": "Size", "items": [2.5]}), "malformed structure node"),
    "dtype name a number": (with_structure({"type": "dtype", "name": 3}), "'dtype' needs 'name' to be a str"),
    "dtype unknown": (with_structure({"type": "dtype", "name": "float8"}), "malformed structure node"),
    "device name a number": (with_structure({"type": "device", "name": 0}), "'device' needs 'name' to be a str"),
    "device empty": (with_structure({"type": "device", "name": ""}), "bad device '' .*must not be empty"),
    "device negative index": (with_structure({"type": "device", "name": "cuda:-1"}), "bad device 'cuda:-1'"),
    "device bad index": (with_structure({"type": "device", "name": "cpu:x"}), "Invalid device string"),
    "float spelled out": (with_structure({"type": "float", "value": "infinity"}), "malformed structure node"),
    "float without value": (with_structure({"type": "float"}), "malformed structure node"),
    "node without a type": (with_structure({}), "malformed structure node {}"),
    "node type a number": (with_structure({"type": 5}), 'malformed structure node {"type": 5}'),
    "ref past the end": (with_structure({"type": "ref", "index": 0}), "ref node points at 0"),
    "ref negative": (with_structure({"type": "list", "items": [{"type": "tensor", "name": "a"},
                                                              {"type": "ref", "index": -1}]}, F32x2, bytes(8)),
                     "ref node points at -1"),
    "ref a string": (with_structure({"type": "ref", "index": "0"}), "ref node points at '0'"),
    "set holding a list": (with_structure({"type": "set", "items": [{"type": "list", "items": []}]}),
                           "set node holds an unhashable item"),
    "frozenset holding a dict": (with_structure({"type": "frozenset", "items": [{"type": "dict", "items": []}]}),
                                 "frozenset node holds an unhashable item"),
    "dict key a tensor": (with_structure({"type": "dict", "items": [[{"type": "tensor", "name": "a"}, 1]]}, F32x2,
                                         bytes(8)), "dict key .* is not a str"),
    "dict nested past the limit": (with_structure({"type": "dict", "items": [["k", nested_lists(MAX_DEPTH + 1)]]}),
                                   f"nested more than {MAX_DEPTH} levels"),
    # tensors and arrays in the structure
    "tensor device a number": (tensor_node(device=0), "malformed device or requires_grad"),
    "tensor device not a device": (tensor_node(device="tpu:0"), "tensor 'a' has the bad device 'tpu:0'"),
    "tensor on a device minitorch lacks": (tensor_node(device="mps"), "tensor 'a' was saved on mps"),
    "tensor requires_grad a string": (tensor_node(requires_grad="yes"), "malformed device or requires_grad"),
    "view not a list": (view_node({"offset": 0}), "malformed view"),
    "view of two items": (view_node([0, [2]]), "malformed view"),
    "view offset negative": (view_node([-1, [2], [1]]), "malformed view"),
    "view strides not matching": (view_node([0, [2], [1, 1]]), "strides .* do not fit its shape"),
    "view stride negative": (view_node([1, [2], [-1]]), "strides .* do not fit its shape"),
    "view past the storage": (view_node([1, [2], [1]]), "reaches element 2, past its 2 elements"),
    "view huge stride": (view_node([0, [3], [2 ** 62]]), "past its 2 elements"),
    "view of 65 dimensions": (view_node([0, [1] * 65, [0] * 65]), "65 dimensions"),
    "empty view past the storage": (view_node([3, [0], [1]]), "past its 2 elements"),
    "view shape too large": (view_node([0, [2 ** 40, 2 ** 40], [0, 0]]), "too large for an array"),
    "ndarray without a name": (with_structure({"type": "ndarray"}), "'ndarray' needs 'name' to be a str"),
    # modules and globals
    "object without a class": (with_structure({"type": "object", "state": {"type": "dict", "items": []}}),
                               "'object' needs 'class' to be a str"),
    "object class a number": (with_structure({"type": "object", "class": 3}), "'object' needs 'class'"),
    "global name a list": (with_structure({"type": "global", "name": ["os", "system"]}), "'global' needs 'name'"),
    "global not allowed": (with_structure({"type": "global", "name": "os.system"}),
                           "Unsupported global: GLOBAL os.system was not an allowed global"),
    "object not allowed": (with_structure({"type": "object", "class": "subprocess.Popen",
                                           "state": {"type": "dict", "items": []}}),
                           "Unsupported global: GLOBAL subprocess.Popen"),
    # not safetensors at all
    "a NumPy .npy file": (b"\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }" +
                          bytes(24), "header length field says"),
    "a gzip file": (b"\x1f\x8b\x08\x00" + bytes(40), "header length field says"),
    "pickle protocol 0": (pickle.dumps({"w": 1}, protocol=0), "header length field says"),
    "pickle protocol 5": (pickle.dumps([1.0], protocol=5), "it is a Python pickle"),
})


def test_the_hostile_file_suite_is_large():
    assert len(BAD_FILES) >= 100


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_files_are_refused_clearly(name, tmp_path):
    content, message = BAD_FILES[name]
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    with pytest.raises(SerializationError, match=message) as info:
        minitorch.load(path)
    assert isinstance(info.value, RuntimeError)
    assert f"cannot load '{path}': " in str(info.value) or f"The file: '{path}'" in str(info.value)
    with pytest.raises(SerializationError) as info:
        minitorch.load(io.BytesIO(content))
    assert "'<BytesIO>'" in str(info.value)


def test_absurd_sizes_allocate_nothing():
    """Header and data sizes come from the file: they are checked against its real size before any read."""
    tiny_file_claims = [(2 ** 60).to_bytes(8, "little") + b"{}", (90_000_000).to_bytes(8, "little") + b"{}",
                        raw({"a": {"dtype": "F64", "shape": [2 ** 40], "data_offsets": [0, 2 ** 43]}})]
    tracemalloc.start()
    try:
        for content in tiny_file_claims:
            with pytest.raises(SerializationError):
                minitorch.load(io.BytesIO(content))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000


def test_torch_checkpoints_are_refused_with_advice(torch, tmp_path):
    sd = torch.nn.Linear(2, 2).state_dict()
    for legacy, kind in ((False, "zip archive, the format torch.save writes"), (True, "Python pickle")):
        path = tmp_path / f"model{legacy}.pt"
        torch.save(sd, path, _use_new_zipfile_serialization=not legacy)
        with pytest.raises(SerializationError) as info:
            minitorch.load(path)
        text = str(info.value)
        assert kind in text and str(path) in text and "safetensors" in text
        assert "never unpickles, because unpickling can run arbitrary code" in text


class Malicious:
    """Unpickling this object calls os.mkdir(marker): a stand-in for any code an attacker wants run."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.mkdir, (self.marker,)


def test_malicious_pickles_are_refused_without_running(torch, tmp_path):
    armed = tmp_path / "payload_works"
    pickle.loads(pickle.dumps(Malicious(armed)))
    assert armed.is_dir()  # the payload does run when unpickled ...

    marker = tmp_path / "pwned"
    (tmp_path / "evil.pkl").write_bytes(pickle.dumps({"w": Malicious(marker)}))
    torch.save({"w": Malicious(marker)}, tmp_path / "evil.pt")
    for name in ("evil.pkl", "evil.pt"):
        for kwargs in ({}, {"weights_only": False}):
            with pytest.raises(SerializationError, match="never unpickles"):
                minitorch.load(tmp_path / name, **kwargs)
    assert not marker.exists()  # ... but never by minitorch.load


# ----- modules (minitorch.nn) ---------------------------------------------------------------------------
def test_module_state_dict_round_trip(nn, tmp_path):
    minitorch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    minitorch.save(model.state_dict(), tmp_path / "m.safetensors")
    other = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    assert not np.array_equal(model[0].weight.detach().numpy(), other[0].weight.detach().numpy())
    other.load_state_dict(minitorch.load(tmp_path / "m.safetensors"))
    same(model.state_dict(), other.state_dict())


def test_parameters_come_back_as_parameters(nn):
    params = list(nn.Linear(2, 2).parameters())
    params[1].requires_grad_(False)
    out = roundtrip(params)
    assert [type(p) for p in out] == [nn.Parameter, nn.Parameter]
    assert [p.requires_grad for p in out] == [True, False]
    assert all(np.array_equal(p.detach().numpy(), q.detach().numpy()) for p, q in zip(params, out))


def test_torch_module_weights_load_into_minitorch_and_back(nn, st, torch, tmp_path):
    def weights(model):
        return {k: v.detach().numpy().tobytes() for k, v in model.state_dict().items()}
    torch.manual_seed(0)
    tmodel = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Linear(3, 2))
    st.save_file(tmodel.state_dict(), tmp_path / "t.safetensors")
    mmodel = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    mmodel.load_state_dict(minitorch.load(tmp_path / "t.safetensors"))
    assert weights(mmodel) == weights(tmodel)
    assert all(type(p) is nn.Parameter and p.requires_grad for p in mmodel.parameters())

    mmodel[1].bias.data.add_(1)
    minitorch.save(mmodel.state_dict(), tmp_path / "m.safetensors")
    back = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Linear(3, 2))
    back.load_state_dict(st.load_file(tmp_path / "m.safetensors"))
    assert weights(back) == weights(mmodel)


# ----- shared memory ----------------------------------------------------------------------------------------
def shared_program(lib):
    """A tensor, its views and aliases saved together; returns what shows that they come back shared."""
    x = lib.arange(10.0)
    obj = {"x": x, "v": x[2:5], "t": x.view(2, 5).t(), "again": x, "alias": x.detach(), "other": lib.ones(3)}
    buf = io.BytesIO()
    lib.save(obj, buf)
    size = buf.tell()
    buf.seek(0)
    out = lib.load(buf)
    out["x"][3] = 100.0
    return {"same object": out["x"] is out["again"], "alias is another object": out["alias"] is not out["x"],
            "view sees write": out["v"].tolist(), "transposed view": out["t"].tolist(),
            "strides": out["t"].stride(), "alias sees write": out["alias"][3].item(),
            "other untouched": out["other"].tolist(), "bytes": size < 400}


def test_views_and_repeated_tensors_come_back_shared_like_torch(torch):
    assert shared_program(minitorch) == shared_program(torch)


def test_shared_storage_is_written_once(tmp_path):
    x = minitorch.zeros(100_000)
    minitorch.save({"x": x}, tmp_path / "one.pt")
    minitorch.save({"x": x, "views": [x[i:i + 50_000] for i in range(0, 50_000, 5000)], "tied": [x.detach()] * 3},
                   tmp_path / "many.pt")
    assert (tmp_path / "many.pt").stat().st_size < (tmp_path / "one.pt").stat().st_size + 4000


def test_tied_weights_state_dict(st, torch, tmp_path):
    nn = minitorch.nn
    model = nn.Sequential(nn.Embedding(5, 3), nn.Linear(3, 5, bias=False))
    model[1].weight = model[0].weight
    path = tmp_path / "tied.safetensors"
    minitorch.save(model.state_dict(), path)
    sd = minitorch.load(path)
    assert np.shares_memory(sd["0.weight"].numpy(), sd["1.weight"].numpy())
    other = nn.Sequential(nn.Embedding(5, 3), nn.Linear(3, 5, bias=False))
    other.load_state_dict(sd)
    assert np.array_equal(other[1].weight.detach().numpy(), model[0].weight.detach().numpy())
    assert list(st.load_file(path)) == ["0.weight"]  # the reference reader sees the one stored tensor


def test_a_view_keeps_requires_grad_and_parameter_flags():
    p = minitorch.nn.Parameter(minitorch.arange(6.0))
    out = roundtrip([p, p[1:4].detach(), p])
    assert type(out[0]) is minitorch.nn.Parameter and out[0] is out[2] and out[0].requires_grad
    assert not out[1].requires_grad and np.shares_memory(out[0].detach().numpy(), out[1].numpy())


# ----- strings that are not valid Unicode ---------------------------------------------------------------------
@pytest.mark.parametrize("obj", [{"a\ud800": minitorch.ones(1)}, {"w": {"\udcff": 1}}, ["fine", "bad\ud83d"]])
def test_lone_surrogates_are_refused_at_save(obj, tmp_path):
    with pytest.raises(ValueError, match="not valid Unicode .*lone surrogate"):
        minitorch.save(obj, tmp_path / "x.safetensors")
    assert list(tmp_path.iterdir()) == []
    same({"emoji 😀 ok": minitorch.ones(1)}, roundtrip({"emoji 😀 ok": minitorch.ones(1)}))


# ----- NumPy arrays -----------------------------------------------------------------------------------------
def test_numpy_arrays_round_trip():
    base = np.arange(24.0).reshape(4, 6)
    obj = {"f32": np.linspace(0, 1, 5, dtype=np.float32), "i8": np.array([-1, 2], np.int8), "scalar": np.array(3),
           "bools": np.array([True, False]), "view": base[::2, 1:], "reversed": np.arange(4)[::-1], "base": base}
    out = roundtrip(obj)
    for k, v in obj.items():
        assert type(out[k]) is np.ndarray and out[k].dtype == v.dtype and np.array_equal(out[k], v), k
    assert np.shares_memory(out["view"], out["base"])


def test_numpy_array_sharing_memory_with_a_tensor():
    a = np.arange(5.0)
    out = roundtrip([a, minitorch.from_numpy(a)])
    out[0][0] = 9.0
    assert out[1][0].item() == 9.0


def test_numpy_arrays_load_like_torch_with_weights_only_false(torch, tmp_path):
    arrays = {"a": np.arange(6, dtype=np.int32).reshape(2, 3), "b": np.float64(2.5)}
    torch.save(arrays, tmp_path / "t.pt")
    theirs = torch.load(tmp_path / "t.pt", weights_only=False)
    minitorch.save(arrays, tmp_path / "m.pt")
    mine = minitorch.load(tmp_path / "m.pt")
    assert np.array_equal(mine["a"], theirs["a"]) and mine["a"].dtype == theirs["a"].dtype
    assert mine["b"] == theirs["b"]


def test_numpy_arrays_of_dtypes_minitorch_lacks_are_refused():
    for bad in (np.array([1j]), np.array(["s"]), np.array([1], np.uint16), np.array([None])):
        with pytest.raises(TypeError, match=r"cannot store a NumPy array of dtype .* \(at \['x'\]\)"):
            roundtrip({"x": bad})


# ----- whole modules and the safe globals allowlist -------------------------------------------------------------
class Net(minitorch.nn.Module):
    """A module saved whole, as `torch.save(model, path)` programs do (importable, so load can find it)."""

    def __init__(self):
        super().__init__()
        self.body = minitorch.nn.Sequential(minitorch.nn.Linear(3, 4), minitorch.nn.ReLU())
        self.head = minitorch.nn.Linear(4, 2)
        self.register_buffer("steps", minitorch.tensor(7))
        self.register_buffer("scratch", minitorch.zeros(2), persistent=False)
        self.activation = minitorch.nn.functional.gelu
        self.config = {"classes": ("a", "b"), "tags": {"x", "y"}}

    def forward(self, x):
        return self.head(self.activation(self.body(x)))


NET_CLASSES = [Net, minitorch.nn.Sequential, minitorch.nn.Linear, minitorch.nn.ReLU, minitorch.nn.functional.gelu]


def saved_net(tmp_path):
    minitorch.manual_seed(0)
    net = Net()
    net.shared = net.head  # one submodule under two names
    net.eval()
    path = tmp_path / "net.pt"
    minitorch.save(net, path)
    return net, path


def test_whole_module_with_weights_only_false(tmp_path):
    net, path = saved_net(tmp_path)
    out = minitorch.load(path, weights_only=False)
    x = minitorch.randn(5, 3)
    assert type(out) is Net and not out.training and out.shared is out.head
    assert out.activation is minitorch.nn.functional.gelu and out.config == net.config
    assert np.array_equal(out(x).detach().numpy(), net(x).detach().numpy())
    assert list(out.state_dict()) == list(net.state_dict()) and "scratch" not in out.state_dict()
    assert all(type(p) is minitorch.nn.Parameter for p in out.parameters())
    assert out.steps.item() == 7


def test_whole_module_is_refused_by_a_weights_only_load_with_torchs_error(torch, tmp_path):
    _, path = saved_net(tmp_path)
    for kwargs in ({}, {"weights_only": True}):
        with pytest.raises(pickle.UnpicklingError) as info:
            minitorch.load(path, **kwargs)
        assert isinstance(info.value, SerializationError)
    text = str(info.value)
    name = f"{Net.__module__}.Net"
    assert (f"Unsupported global: GLOBAL {name} was not an allowed global by default. Please use "
            f"`torch.serialization.add_safe_globals([{name}])` or the `torch.serialization.safe_globals([{name}])` "
            "context manager to allowlist this global if you trust this class/function.") in text
    torch_net = torch.nn.Linear(2, 2)
    torch.save(torch_net, tmp_path / "t.pt")
    with pytest.raises(pickle.UnpicklingError) as theirs:
        torch.load(tmp_path / "t.pt")
    assert "Unsupported global: GLOBAL torch.nn.modules.linear.Linear was not an allowed global" in str(theirs.value)
    first = text.split("\n")[0]
    assert first in str(theirs.value).replace("\x1b[1m", "").replace("\x1b[0m", "")


def test_safe_globals_allow_the_classes_named(tmp_path):
    from minitorch import serialization
    net, path = saved_net(tmp_path)
    assert sorted(serialization.get_unsafe_globals_in_checkpoint(path)) == sorted(
        f"{o.__module__}.{o.__qualname__}" for o in NET_CLASSES)
    with serialization.safe_globals(NET_CLASSES):
        assert serialization.get_unsafe_globals_in_checkpoint(path) == []
        out = minitorch.load(path)
        assert type(out) is Net and out.shared is out.head
    with pytest.raises(serialization.WeightsOnlyError, match="Unsupported global"):
        minitorch.load(path)
    serialization.add_safe_globals(NET_CLASSES[:-1])
    try:
        assert serialization.get_safe_globals() == NET_CLASSES[:-1]
        with pytest.raises(serialization.WeightsOnlyError, match="GLOBAL minitorch.nn.functional.gelu"):
            minitorch.load(path)
    finally:
        serialization.clear_safe_globals()
    assert serialization.get_safe_globals() == []


def test_modules_that_cannot_be_found_again_are_refused_at_save(tmp_path):
    class Local(minitorch.nn.Module):
        pass
    with pytest.raises(TypeError, match=r"cannot store .*Local.* \(at the top level\): it cannot be found again"):
        minitorch.save(Local(), tmp_path / "x.pt")
    net = Net()
    net.activation = lambda x: x
    with pytest.raises(TypeError, match=r"at \['activation'\]\): it cannot be found again"):
        minitorch.save(net, tmp_path / "x.pt")
    assert list(tmp_path.iterdir()) == []


def test_a_file_naming_a_class_that_is_not_a_module(tmp_path):
    root = {"type": "object", "class": "collections.OrderedDict", "state": {"type": "dict", "items": []}}
    path = tmp_path / "x.pt"
    path.write_bytes(with_structure(root))
    with pytest.raises(SerializationError, match="collections.OrderedDict is not an nn.Module class"):
        minitorch.load(path, weights_only=False)
    with pytest.raises(SerializationError, match="Unsupported global: GLOBAL collections.OrderedDict"):
        minitorch.load(path)


# ----- the lazy reader ---------------------------------------------------------------------------------------------
def test_safe_open_matches_the_reference_reader(st, torch, tmp_path):
    from safetensors import safe_open as reference
    from minitorch.serialization import safe_open
    g = torch.Generator().manual_seed(0)
    tensors = {"w": torch.randn(6, 4, generator=g), "b": torch.arange(5, dtype=torch.int16),
               "h": torch.randn(3, 2, 2, generator=g).half(), "e": torch.zeros(0, 3), "s": torch.tensor(2.5)}
    st.save_file(tensors, tmp_path / "t.safetensors", metadata={"who": "test"})
    with reference(tmp_path / "t.safetensors", framework="pt") as ref, \
            safe_open(tmp_path / "t.safetensors", framework="pt") as mine:
        assert mine.keys() == ref.keys() and mine.offset_keys() == ref.offset_keys()
        assert mine.metadata() == ref.metadata()
        for name in ref.keys():
            assert mine.get_tensor(name).tolist() == ref.get_tensor(name).tolist()
            assert str(mine.get_tensor(name).dtype) == str(ref.get_tensor(name).dtype)
            a, b = mine.get_slice(name), ref.get_slice(name)
            assert a.get_shape() == b.get_shape() and a.get_dtype() == b.get_dtype()
        for key in (slice(1, 4), (slice(None), 1), 2, (Ellipsis, slice(None, None, 2)), (slice(-2, None), slice(1, 3))):
            assert mine.get_slice("w")[key].tolist() == ref.get_slice("w")[key].tolist()
        assert mine.get_slice("e")[1:].shape == (0, 3)
    with safe_open(tmp_path / "t.safetensors", framework="np") as mine:
        assert type(mine.get_tensor("b")) is np.ndarray


def test_safe_open_reads_only_what_it_is_asked(tmp_path):
    from minitorch.serialization import safe_open
    minitorch.save({"big": minitorch.zeros(4_000_000), "small": minitorch.arange(3.0)}, tmp_path / "m.safetensors")
    tracemalloc.start()
    try:
        with safe_open(tmp_path / "m.safetensors", framework="pt") as f:
            assert f.get_tensor("small").tolist() == [0.0, 1.0, 2.0]
            assert f.get_slice("big")[10:20].tolist() == [0.0] * 10
            assert "minitorch" in f.metadata()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000  # the 16 MB tensor was never read


def test_safe_open_errors(tmp_path):
    from minitorch.serialization import safe_open
    minitorch.save({"a": minitorch.ones(2)}, tmp_path / "m.safetensors")
    with safe_open(tmp_path / "m.safetensors", framework="pt") as f:
        with pytest.raises(SerializationError, match="File does not contain tensor zz"):
            f.get_tensor("zz")
    with pytest.raises(SerializationError, match="framework tf2 is invalid"):
        safe_open(tmp_path / "m.safetensors", framework="tf2")
    with pytest.raises(FileNotFoundError):
        safe_open(tmp_path / "missing", framework="pt")
    (tmp_path / "bad").write_bytes(b"\x05\x00")
    with pytest.raises(SerializationError, match="cannot load .*bad"):
        safe_open(tmp_path / "bad", framework="pt")


# ----- killed while saving ----------------------------------------------------------------------------------
KILLED_SAVE = """
import os, sys, time
import minitorch
from minitorch import _atomic, serialization
if sys.argv[-1] == "named":
    _atomic._open_unnamed = lambda directory: (None, None)  # as where O_TMPFILE is missing
def stall(f, head, arrays):
    f.write(head)
    f.write(arrays[0].reshape(-1).view("uint8")[:1 << 20])
    f.flush()
    print("writing", flush=True)
    time.sleep(60)
serialization._write = stall
minitorch.save({"new": minitorch.zeros(1 << 22)}, PATH)
"""


@pytest.mark.parametrize("temporary", ["unnamed", "named"])
def test_a_save_killed_midway_leaves_the_old_file_and_no_temporary(temporary, tmp_path):
    from tests import _processes
    path = tmp_path / "model.safetensors"
    minitorch.save({"old": minitorch.ones(2)}, path)
    before = path.read_bytes()
    process = _processes.start(KILLED_SAVE.replace("PATH", repr(str(path))).replace("sys.argv[-1]", repr(temporary)))
    try:
        assert process.stdout.readline() == "writing\n", process.stderr.read()
    finally:
        _processes.kill_group(process)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert path.read_bytes() == before
    if temporary == "unnamed":  # O_TMPFILE: the kernel freed the killed writer's data
        assert left == ["model.safetensors"]
    else:  # a named temporary stays until the next save of the same file removes it
        assert len(left) == 2 and left[0].startswith(".model.safetensors.")
        minitorch.save({"new": minitorch.zeros(3)}, path)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["model.safetensors"]
        same({"new": minitorch.zeros(3)}, minitorch.load(path))


def test_a_live_writers_temporary_is_left_alone(tmp_path):
    from minitorch import _atomic
    live = tmp_path / f".m.pt.{os.getpid()}.0123456789ab.tmp"
    dead = tmp_path / ".m.pt.999999999.0123456789ab.tmp"
    unrelated = tmp_path / ".other.pt.999999999.0123456789ab.tmp"
    for p in (live, dead, unrelated):
        p.write_bytes(b"x")
    minitorch.save({}, tmp_path / "m.pt")
    assert live.exists() and not dead.exists() and unrelated.exists()
    assert _atomic._process_exists(os.getpid()) and not _atomic._process_exists(999999999)


def test_the_directory_is_flushed_after_the_rename(monkeypatch, tmp_path):
    synced = []
    real = os.fsync

    def fsync(fd):
        synced.append(os.path.isdir(f"/proc/self/fd/{fd}") if os.path.isdir("/proc/self/fd") else True)
        real(fd)
    monkeypatch.setattr(os, "fsync", fsync)
    minitorch.save({"a": minitorch.ones(1)}, tmp_path / "m.pt")
    assert synced == [False, True]  # the file first, then its directory


def test_randomly_damaged_files_load_or_fail_cleanly():
    """Bytes flipped, inserted, deleted or cut anywhere in a rich file: each result loads (the damage hit tensor
    data) or raises SerializationError, never another exception."""
    x = minitorch.arange(12.0).reshape(3, 4)
    buf = io.BytesIO()
    minitorch.save({"x": x, "t": x.t(), "row": x[1], "same": x, "i": minitorch.tensor([1, 2], dtype=minitorch.int8),
                    "opt": {"lr": 0.1, "betas": (0.9, 0.99), "tags": {"a"}, "size": minitorch.Size([2])},
                    "arr": np.arange(3), "flag": minitorch.ones(1, requires_grad=True)}, buf)
    good = buf.getvalue()
    rng = np.random.default_rng(0)
    outcomes = {"loaded": 0, "refused": 0}
    for _ in range(400):
        data = bytearray(good)
        at = int(rng.integers(0, len(data)))
        action = rng.integers(0, 4)
        if action == 0:
            data[at] ^= 1 << int(rng.integers(0, 8))
        elif action == 1:
            data[at] = int(rng.choice(list(b'{}[]",:0123456789-.eE ')))
        elif action == 2:
            del data[at:at + int(rng.integers(1, 4))]
        else:
            data = data[:at]
        try:
            minitorch.load(io.BytesIO(bytes(data)))
            outcomes["loaded"] += 1
        except SerializationError:
            outcomes["refused"] += 1
    assert outcomes["refused"] > 200 and outcomes["loaded"] > 0
