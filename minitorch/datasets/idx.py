"""The IDX file format of MNIST (read_idx, write_idx) and the MNIST / FashionMNIST datasets, read from a local
folder and optionally downloaded from a list of mirrors with checksum verification.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of dimensions), one big-endian
uint32 per dimension, then the values in C order, big-endian. Files may be gzip-compressed (".gz")."""
import gzip
import hashlib
import os
import tempfile
import urllib.request

import numpy as np

from .._creation import from_numpy
from .vision import VisionDataset

_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """The array stored in the IDX file at `path` (gzip-compressed when the name ends in .gz)."""
    path = os.fspath(path)
    with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise ValueError(f"{path}: not an IDX file (bad magic number {raw[:4].hex() or 'missing'})")
    ndim, header = raw[3], 4 + 4 * raw[3]
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX file: the header needs {header} bytes, the file has {len(raw)}")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", ndim, 4))
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    need = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != need:
        raise ValueError(f"{path}: truncated IDX file: shape {shape} needs {need} bytes of data, found "
                         f"{len(raw) - header}")
    return np.frombuffer(raw, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path, array):
    """Write `array` (uint8, int8, int16, int32, float32 or float64) as an IDX file, gzip'ed if path ends .gz."""
    array = np.asarray(array)
    codes = {np.dtype(v).newbyteorder("="): k for k, v in _IDX_TYPES.items()}
    code = codes[array.dtype.newbyteorder("=")]
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    body = array.astype(np.dtype(_IDX_TYPES[code])).tobytes()
    path = os.fspath(path)
    with (gzip.open if path.endswith(".gz") else open)(path, "wb") as f:
        f.write(header + body)


def _file_digest(path, algorithm):
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _algorithm(checksum):
    """The hash a hex checksum belongs to, told by its length: 32 digits MD5, 64 digits SHA-256."""
    return {32: "md5", 64: "sha256"}[len(checksum)]


def download_file(mirrors, filename, checksum, folder, timeout=30):
    """Fetch `filename` from the first mirror URL (a prefix) that serves it with the expected MD5 or SHA-256
    `checksum`, into `folder`. The file is written under a temporary name and renamed only once verified, so
    a failed or corrupt download never leaves a file that looks complete."""
    os.makedirs(folder, exist_ok=True)
    errors = []
    for mirror in mirrors:
        url = mirror + filename
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=filename + ".", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
                for block in iter(lambda: response.read(1 << 20), b""):
                    out.write(block)
            got = _file_digest(tmp, _algorithm(checksum))
            if got != checksum:
                raise ValueError(f"checksum mismatch: expected {_algorithm(checksum)} {checksum}, got {got}")
            os.replace(tmp, os.path.join(folder, filename))
            return os.path.join(folder, filename)
        except (OSError, ValueError) as e:
            errors.append(f"{url}: {e}")
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    raise RuntimeError(f"Error downloading {filename}:\n" + "\n".join(errors))


class MNIST(VisionDataset):
    """The MNIST handwritten digits (60,000 train / 10,000 test 28x28 images), read from IDX files in
    `<root>/MNIST/raw/` (either the .gz files or their uncompressed versions).

    Samples are `(image, label)`: image a float32 tensor of shape (1, 28, 28) scaled to [0, 1] (what
    torchvision's MNIST gives after transforms.ToTensor(); minitorch has no PIL images), label an int, then
    `transform` / `target_transform` applied. `data` holds the uint8 images, `targets` the int64 labels.
    download=True fetches missing files from `mirrors` and checks them against `resources`
    (filename, MD5 or SHA-256 of the official .gz file)."""

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        self.root = os.fspath(root)
        self.train = train
        if download:
            self.download()
        prefix = "train" if train else "t10k"
        images = self._find(f"{prefix}-images-idx3-ubyte")
        labels = self._find(f"{prefix}-labels-idx1-ubyte")
        super().__init__(from_numpy(read_idx(images)), from_numpy(read_idx(labels).astype(np.int64)),
                         scale=255.0, transform=transform, target_transform=target_transform)

    @property
    def raw_folder(self):
        return os.path.join(self.root, type(self).__name__, "raw")

    def _find(self, stem):
        candidates = [os.path.join(self.raw_folder, stem + ext) for ext in (".gz", "")]
        for path in candidates:
            if os.path.exists(path):
                return path
        raise RuntimeError(f"Dataset not found: expected {candidates[0]} or {candidates[1]}. Put the IDX files "
                           f"there, or use download=True to download them")

    def download(self):
        """Download the files that are missing from raw_folder (neither the .gz nor the uncompressed one)."""
        for filename, checksum in self.resources:
            stem = os.path.join(self.raw_folder, filename[:-len(".gz")])
            if not (os.path.exists(stem) or os.path.exists(stem + ".gz")):
                download_file(self.mirrors, filename, checksum, self.raw_folder)


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST (28x28 grayscale clothing images, 10 classes), same layout and API as MNIST,
    in `<root>/FashionMNIST/raw/`."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]
