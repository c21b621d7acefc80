"""Random number generators: `Generator`, `manual_seed`, and the default generator per device.
CPU draws come from NumPy's PCG64; CUDA draws from CuPy's generator on that GPU."""
import json

import numpy as np

from ._device import as_device

_DEFAULT_SEED = 67280421310721


class Generator:
    """A seeded source of random numbers for one device (torch.Generator)."""

    def __init__(self, device="cpu"):
        self.device = as_device(device)
        self._seed = _DEFAULT_SEED
        self._rng = None

    def manual_seed(self, seed):
        seed = int(seed)
        if seed < 0:
            seed += 1 << 64
        if not 0 <= seed < 1 << 64:
            raise RuntimeError(f"Overflow when unpacking long long")
        self._seed = seed
        self._rng = None
        return self

    def initial_seed(self):
        return self._seed

    def seed(self):
        """Seed from the operating system's entropy, returning the new seed."""
        self.manual_seed(int(np.random.SeedSequence().entropy % (1 << 63)))
        return self._seed

    @property
    def rng(self):
        """The array-module generator behind this object, made on first use."""
        if self._rng is None:
            if self.device.type == "cuda":
                from .cuda import _cupy
                cp = _cupy()
                with cp.cuda.Device(self.device.index or 0):
                    self._rng = cp.random.RandomState(self._seed % (1 << 63))
            else:
                self._rng = np.random.Generator(np.random.PCG64(self._seed))
        return self._rng

    def get_state(self):
        """The generator's state as a uint8 tensor (restore it with set_state)."""
        from ._creation import tensor
        if self.device.type == "cuda":
            raise NotImplementedError("get_state is only supported for cpu generators")
        state = {"seed": self._seed, "bit_generator": self.rng.bit_generator.state}
        return tensor(list(json.dumps(state).encode()), dtype=__import__("minitorch").uint8)

    def set_state(self, new_state):
        state = json.loads(bytes(new_state.tolist()).decode())
        self._seed = state["seed"]
        self._rng = np.random.Generator(np.random.PCG64())
        self._rng.bit_generator.state = state["bit_generator"]
        return self


default_generator = Generator()
_cuda_generators = {}


def generator_for(device, generator=None):
    """The generator to draw from for `device`: the one given, or that device's default."""
    if generator is not None:
        if generator.device.type != device.type:
            raise RuntimeError(f"Expected a '{device.type}' device type for generator but found "
                               f"'{generator.device.type}'")
        return generator
    if device.type == "cpu":
        return default_generator
    g = _cuda_generators.get(device.index)
    if g is None:
        g = _cuda_generators[device.index] = Generator(device)
    return g


def _seed_cuda(seed):
    from . import cuda
    for i in range(cuda.device_count()):
        generator_for(as_device(f"cuda:{i}")).manual_seed(seed)


def manual_seed(seed):
    """Seed every device's default generator; returns the CPU generator, like torch."""
    default_generator.manual_seed(seed)
    _seed_cuda(seed)
    return default_generator


def seed():
    s = default_generator.seed()
    _seed_cuda(s)
    return s


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)
