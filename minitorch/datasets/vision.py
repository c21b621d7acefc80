"""`VisionDataset`: the shared shape of the packaged image datasets (Digits, MNIST, FashionMNIST)."""
from .. import _dtype
from ..utils.data import Dataset


class VisionDataset(Dataset):
    """Images `data` (N, H, W, integer pixels) with labels `targets` (N,). A sample is
    `(data[i] / scale as float32 of shape (1, H, W), int label)`, passed through the optional transforms."""

    classes = []

    def __init__(self, data, targets, scale, transform=None, target_transform=None):
        self.data = data
        self.targets = targets
        self.scale = scale
        self.transform = transform
        self.target_transform = target_transform

    @property
    def class_to_idx(self):
        return {name: i for i, name in enumerate(self.classes)}

    def __getitem__(self, index):
        image = (self.data[index].to(_dtype.float32) / self.scale).unsqueeze(0)
        target = int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}"]
        if getattr(self, "root", None) is not None:
            lines.append(f"    Root location: {self.root}")
        lines.append(f"    Split: {'Train' if self.train else 'Test'}")
        for name in ("transform", "target_transform"):
            if getattr(self, name) is not None:
                lines.append(f"    {name.replace('_', ' ').capitalize()}: {getattr(self, name)!r}")
        return "\n".join(lines)
