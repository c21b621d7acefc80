"""minitorch.datasets: the IDX reader/writer and its errors, the packaged UCI digits (contents, fixed split,
scaling), MNIST / FashionMNIST from local folders, and checksum-verified downloads from a loopback HTTP server."""
import gzip
import hashlib
import http.server
import os
import threading

import numpy as np
import pytest

import minitorch
from minitorch.datasets import MNIST, Digits, FashionMNIST, load_digits, read_idx, write_idx
from minitorch.utils.data import DataLoader


# ----- IDX --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_round_trip(tmp_path, dtype, suffix):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    path = tmp_path / f"a-idx3{suffix}"
    write_idx(path, array)
    back = read_idx(path)
    assert back.dtype == array.dtype and back.shape == (2, 3, 4) and np.array_equal(back, array)


def test_idx_is_big_endian_with_the_mnist_header(tmp_path):
    write_idx(tmp_path / "l", np.array([1, 2, 3], dtype=np.int32))
    assert (tmp_path / "l").read_bytes() == bytes([0, 0, 0x0C, 1, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3])


@pytest.mark.parametrize("content,message", [
    (b"\x00\x00\x09", "not an IDX file (bad magic number 000009)"),
    (b"PK\x03\x04rest", "not an IDX file (bad magic number 504b0304)"),
    (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "not an IDX file (bad magic number 00000701)"),
    (b"\x00\x00\x08\x02\x00\x00\x00\x02", "truncated IDX file: the header needs 12 bytes, the file has 8"),
    (b"\x00\x00\x08\x02\x00\x00\x00\x02\x00\x00\x00\x03\x01\x02", "truncated IDX file: shape (2, 3) needs 6 "
                                                                   "bytes of data, found 2"),
])
def test_malformed_idx_errors(tmp_path, content, message):
    path = tmp_path / "bad-idx"
    path.write_bytes(content)
    with pytest.raises(ValueError) as info:
        read_idx(path)
    assert str(info.value) == f"{path}: {message}"


# ----- packaged digits --------------------------------------------------------------------------------------
def test_load_digits_contents():
    images, labels = load_digits()
    assert images.shape == (1797, 1, 8, 8) and images.dtype == minitorch.float32 and labels.dtype == minitorch.int64
    raw = np.rint(images.numpy() * 16).astype(np.int64)
    assert np.allclose(raw / 16, images.numpy()) and raw.min() == 0 and raw.max() == 16
    assert raw.sum() == 561718  # the pixel total of scikit-learn's load_digits
    assert raw[0, 0, 0].tolist() == [0, 0, 5, 13, 9, 1, 0, 0]
    assert np.bincount(labels.numpy()).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert labels[:10].tolist() == list(range(10)) and labels[-5:].tolist() == [9, 0, 8, 9, 8]


def test_digits_split_is_fixed_stratified_and_disjoint():
    train, test = Digits(), Digits(train=False)
    assert (len(train), len(test)) == (1442, 355)
    assert np.bincount(test.targets.numpy()).tolist() == [35, 36, 35, 36, 36, 36, 36, 35, 34, 36]
    all_images, all_labels = load_digits()
    x_train, y_train = load_digits(train=True)
    assert minitorch.equal(x_train[:, 0], train.data.float() / 16) and minitorch.equal(y_train, train.targets)
    rows = {tuple(r) for r in train.data.reshape(-1, 64).tolist()}
    assert sum(tuple(r) in rows for r in test.data.reshape(-1, 64).tolist()) < 5  # a few duplicate images only
    assert sorted(train.targets.tolist() + test.targets.tolist()) == sorted(all_labels.tolist())
    labels = all_labels.numpy()
    rank = np.array([np.sum(labels[:i] == labels[i]) for i in range(len(labels))])  # place within its class
    in_test = rank % 5 == 4  # the documented rule: every fifth image of each class, in file order
    assert np.array_equal(test.data.numpy(), np.rint(all_images.numpy()[in_test, 0] * 16))
    assert np.array_equal(train.targets.numpy(), labels[~in_test])


def test_digits_samples_and_transforms():
    image, label = Digits()[0]
    assert image.shape == (1, 8, 8) and image.dtype == minitorch.float32 and isinstance(label, int)
    assert float(image.max()) <= 1.0 and float(image.min()) >= 0.0
    flipped = Digits(transform=lambda x: 1 - x, target_transform=lambda y: y + 100)
    image2, label2 = flipped[0]
    assert minitorch.equal(image2, 1 - image) and label2 == label + 100
    assert Digits.classes == [str(d) for d in range(10)] and Digits().class_to_idx["7"] == 7
    assert repr(Digits(train=False)) == "Dataset Digits\n    Number of datapoints: 355\n    Split: Test"


def test_digits_through_a_dataloader():
    x, y = next(iter(DataLoader(Digits(), batch_size=32, shuffle=True,
                                generator=minitorch.Generator().manual_seed(0))))
    assert x.shape == (32, 1, 8, 8) and x.dtype == minitorch.float32
    assert y.shape == (32,) and y.dtype == minitorch.int64


# ----- MNIST from a folder ----------------------------------------------------------------------------------
def fake_idx_files(folder, n, gz, seed=0):
    """Write small MNIST-layout IDX files (train: n images, test: n // 2); return {filename: bytes}."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for prefix, count in (("train", n), ("t10k", n // 2)):
        for kind, array in (("images-idx3", rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)),
                            ("labels-idx1", rng.integers(0, 10, count, dtype=np.uint8))):
            name = f"{prefix}-{kind}-ubyte" + (".gz" if gz else "")
            write_idx(folder / name, array)
            files[name] = (folder / name).read_bytes()
    return files


@pytest.mark.parametrize("gz", [True, False])
def test_mnist_reads_local_idx_files(tmp_path, gz):
    fake_idx_files(tmp_path / "MNIST" / "raw", 6, gz)
    train, test = MNIST(tmp_path), MNIST(str(tmp_path), train=False)
    assert (len(train), len(test)) == (6, 3)
    raw = read_idx(tmp_path / "MNIST" / "raw" / ("train-images-idx3-ubyte" + (".gz" if gz else "")))
    image, label = train[2]
    assert image.shape == (1, 28, 28) and image.dtype == minitorch.float32
    assert np.allclose(image.numpy()[0], raw[2] / 255.0) and label == int(train.targets[2])
    assert train.data.dtype == minitorch.uint8 and train.targets.dtype == minitorch.int64
    assert train.classes[3] == "3 - three"
    assert repr(test) == f"Dataset MNIST\n    Number of datapoints: 3\n    Root location: {tmp_path}\n    Split: Test"


def test_fashion_mnist_uses_its_own_folder_and_classes(tmp_path):
    fake_idx_files(tmp_path / "FashionMNIST" / "raw", 4, gz=True)
    ds = FashionMNIST(tmp_path)
    assert len(ds) == 4 and ds.classes[9] == "Ankle boot" and ds.class_to_idx["Bag"] == 8
    with pytest.raises(RuntimeError, match="MNIST/raw/train-images-idx3-ubyte.gz"):
        MNIST(tmp_path)


def test_missing_files_error_names_the_paths(tmp_path):
    with pytest.raises(RuntimeError) as info:
        MNIST(tmp_path, train=False)
    expected = os.path.join(tmp_path, "MNIST", "raw", "t10k-images-idx3-ubyte")
    assert str(info.value) == (f"Dataset not found: expected {expected}.gz or {expected}. Put the IDX files there, "
                               f"or use download=True to download them")


def test_official_checksum_table():
    assert [name for name, _ in MNIST.resources] == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                                     "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    assert MNIST.resources[0][1] == "f68b3c2dcbeaaa9fbdd348bbdeb94873"
    assert FashionMNIST.resources[0][1] == "8d4fb7e6c68d591d4c3dfef9ec88bf0d"
    assert all(len(c) == 32 for _, c in MNIST.resources + FashionMNIST.resources)


# ----- downloads from a loopback server ---------------------------------------------------------------------
@pytest.fixture
def server(tmp_path):
    """An HTTP server on 127.0.0.1 serving tmp_path/served/; yields (base URL, served folder)."""
    served = tmp_path / "served"
    served.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(served), **kwargs)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", served
    httpd.shutdown()
    httpd.server_close()


def served_dataset(base, files, algorithm, missing_first=True):
    """An MNIST subclass downloading `files` from the loopback server (after a mirror that lacks them)."""
    mirrors = ([base + "missing/"] if missing_first else []) + [base]
    resources = [(name, hashlib.new(algorithm, data).hexdigest()) for name, data in files.items()]
    return type("MNIST", (MNIST,), {"mirrors": mirrors, "resources": resources})


@pytest.mark.parametrize("algorithm", ["sha256", "md5"])
def test_download_accepts_files_with_the_right_checksum(tmp_path, server, algorithm):
    base, served = server
    files = fake_idx_files(served, 8, gz=True)
    ds = served_dataset(base, files, algorithm)(tmp_path / "root", train=True, download=True)
    raw = tmp_path / "root" / "MNIST" / "raw"
    assert sorted(os.listdir(raw)) == sorted(files) and len(ds) == 8
    assert all((raw / name).read_bytes() == data for name, data in files.items())
    assert len(ds.__class__(tmp_path / "root", train=False, download=True)) == 4  # present: no new download


def test_download_rejects_a_corrupt_file_and_keeps_nothing(tmp_path, server):
    base, served = server
    files = fake_idx_files(served, 8, gz=True)
    cls = served_dataset(base, files, "sha256", missing_first=False)
    (served / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x04oops"))
    with pytest.raises(RuntimeError) as info:
        cls(tmp_path / "root", download=True)
    good = hashlib.sha256(files["t10k-labels-idx1-ubyte.gz"]).hexdigest()
    message = str(info.value)
    assert message.startswith("Error downloading t10k-labels-idx1-ubyte.gz:\n" + base)
    assert f"checksum mismatch: expected sha256 {good}, got " in message
    raw = tmp_path / "root" / "MNIST" / "raw"
    assert sorted(os.listdir(raw)) == sorted(set(files) - {"t10k-labels-idx1-ubyte.gz"})  # no partial file


def test_download_reports_every_failing_mirror(tmp_path, server):
    base, _ = server
    cls = type("MNIST", (MNIST,), {"mirrors": [base + "a/", base + "b/"],
                                   "resources": [("train-images-idx3-ubyte.gz", "0" * 64)]})
    with pytest.raises(RuntimeError) as info:
        cls(tmp_path, download=True)
    lines = str(info.value).splitlines()
    assert lines[0] == "Error downloading train-images-idx3-ubyte.gz:"
    assert lines[1].startswith(base + "a/train-images-idx3-ubyte.gz: HTTP Error 404")
    assert lines[2].startswith(base + "b/train-images-idx3-ubyte.gz: HTTP Error 404")
    assert os.listdir(tmp_path / "MNIST" / "raw") == []
