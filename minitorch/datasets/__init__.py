"""`minitorch.datasets`: small image datasets for examples and chapters (torchvision.datasets' API style).

`Digits` / `load_digits`: the UCI handwritten digits, shipped in the package (no download).
`MNIST` / `FashionMNIST`: read from local IDX files, with optional checksum-verified download.
`read_idx` / `write_idx`: the IDX file format itself."""
from .digits import Digits, load_digits
from .idx import MNIST, FashionMNIST, read_idx, write_idx, download_file
from .vision import VisionDataset

__all__ = ["Digits", "FashionMNIST", "MNIST", "VisionDataset", "download_file", "load_digits", "read_idx",
           "write_idx"]
