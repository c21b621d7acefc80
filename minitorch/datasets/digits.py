"""The UCI handwritten digits, shipped inside minitorch so examples need no network: 1,797 8x8 grayscale
images with pixel values 0..16, ten classes (the digits 0-9).

Source: E. Alpaydin and C. Kaynak, "Optical Recognition of Handwritten Digits", UCI Machine Learning Repository
(1998), https://doi.org/10.24432/C50P49, licensed CC BY 4.0; the copy is the one bundled with scikit-learn
(sklearn.datasets.load_digits), stored here unchanged as two gzip'ed IDX files (see data/README.md).

Split: a fixed, stratified 80/20 split with no randomness involved. Within each class, in file order, every
fifth image (the 5th, 10th, 15th, ...) is a test image: 1,442 train and 355 test images."""
import os

import numpy as np

from .._creation import from_numpy
from .. import _dtype
from .idx import read_idx
from .vision import VisionDataset

_DATA = os.path.join(os.path.dirname(__file__), "data")


def _load_arrays():
    images = read_idx(os.path.join(_DATA, "digits-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(_DATA, "digits-labels-idx1-ubyte.gz")).astype(np.int64)
    return images, labels


def _test_mask(labels):
    """True for every fifth image of each class, in file order: the fixed test split."""
    mask = np.zeros(len(labels), dtype=bool)
    for c in range(10):
        mask[np.flatnonzero(labels == c)[4::5]] = True
    return mask


class Digits(VisionDataset):
    """The packaged UCI digits (train: 1,442 images, test: 355). A sample is `(image, label)`: image a float32
    tensor of shape (1, 8, 8) scaled to [0, 1] (pixel / 16), label an int in 0..9, then `transform` /
    `target_transform` applied. `data` holds the raw uint8 pixels (N, 8, 8), `targets` the int64 labels."""

    classes = [str(d) for d in range(10)]

    def __init__(self, train=True, transform=None, target_transform=None):
        self.train = train
        images, labels = _load_arrays()
        keep = ~_test_mask(labels) if train else _test_mask(labels)
        super().__init__(from_numpy(np.ascontiguousarray(images[keep])), from_numpy(labels[keep]), scale=16.0,
                         transform=transform, target_transform=target_transform)


def load_digits(train=None):
    """The packaged digits as tensors `(images, labels)`: images float32 (N, 1, 8, 8) in [0, 1], labels int64
    (N,). train=None gives all 1,797 images in file order, True / False the Digits train / test split."""
    images, labels = _load_arrays()
    if train is not None:
        keep = ~_test_mask(labels) if train else _test_mask(labels)
        images, labels = images[keep], labels[keep]
    x = from_numpy(np.ascontiguousarray(images[:, None])).to(_dtype.float32) / 16.0
    return x, from_numpy(labels)
