"""Random number generators: `Generator`, `manual_seed`, and the default generator per device.

On cpu a generator reproduces PyTorch's own stream: the same MT19937 engine, seeded the same way, and the
same transforms for uniform, normal, integer and permutation draws, so `manual_seed(0); randn(3)` gives
torch's numbers. On cuda the draws come from CuPy's generator on that GPU (torch's Philox streams are not
reproduced there)."""
import struct

import numpy as np

from . import _dtype
from ._device import as_device

_DEFAULT_SEED = 67280421310721
_MT_WORDS = 624
_STATE = struct.Struct("<QqBd")  # seed, position in the key, whether a spare normal is kept, the spare


def _mt_key(seed):
    """The MT19937 state words for a seed (only its low 32 bits count, as in torch)."""
    s = seed & 0xFFFFFFFF
    key = np.empty(_MT_WORDS, dtype=np.uint32)
    key[0] = s
    for j in range(1, _MT_WORDS):
        s = (1812433253 * (s ^ (s >> 30)) + j) & 0xFFFFFFFF
        key[j] = s
    return key


class _CpuEngine:
    """torch's cpu sampler: MT19937 (NumPy's bit generator) plus torch's transforms."""

    def __init__(self, seed):
        self.bits = np.random.MT19937()
        self.bits.state = {"bit_generator": "MT19937", "state": {"key": _mt_key(seed), "pos": _MT_WORDS}}
        self.next_double = None  # the spare Box-Muller sample of the last pair

    def raw32(self, n):
        return self.bits.random_raw(n).astype(np.uint64)

    def raw64(self, n):
        """torch's random64(): two 32-bit draws, the first one the high half."""
        r = self.raw32(2 * n).reshape(n, 2)
        return (r[:, 0] << np.uint64(32)) | r[:, 1]

    def uniform(self, n, np_dtype):
        """n floats in [0, 1) of `np_dtype`: the top 24 bits of one draw (53 bits of two for float64);
        half and bfloat16 round such a float (see _round_unit)."""
        if np.dtype(np_dtype) == np.float64:
            return (self.raw64(n) & np.uint64((1 << 53) - 1)).astype(np.float64) * 2.0 ** -53
        x = (self.raw32(n) & np.uint64((1 << 24) - 1)).astype(np.float32) * np.float32(2.0 ** -24)
        return _round_unit(x, np_dtype)

    def normal(self, n, np_dtype, mean, std):
        """torch's normal_: Box-Muller over blocks of 16 uniforms for n >= 16, else pairs in double
        precision whose second sample is kept for the next call. float and double draw all n uniforms
        first; half and bfloat16 draw only the full blocks (in float) before the last 16."""
        if n < 16:
            return np.array([self._normal_double() * std + mean for _ in range(n)]).astype(np_dtype)
        compute = np.float64 if np.dtype(np_dtype) == np.float64 else np.float32
        blocks = n // 16 * 16
        data = self.uniform(n if np.dtype(np_dtype) == compute else blocks, compute)
        data.resize(n, refcheck=False)
        data[:blocks] = _box_muller(data[:blocks].reshape(-1, 16), mean, std).ravel()
        if n % 16:  # the last 16 values are drawn again
            data[n - 16:] = _box_muller(self.uniform(16, compute).reshape(1, 16), mean, std).ravel()
        return data.astype(np_dtype, copy=False)

    def _normal_double(self):
        if self.next_double is not None:
            value, self.next_double = self.next_double, None
            return value
        u1, u2 = self.uniform(2, np.float64)
        r = np.sqrt(-2.0 * np.log1p(-u2))
        theta = 2.0 * np.pi * u1
        self.next_double = float(r * np.sin(theta))
        return float(r * np.cos(theta))

    def normal_doubles(self, n):
        """n standard normals from torch's per-element double sampler (log_normal_): Box-Muller pairs
        whose sine sample is kept for the next draw, also across calls."""
        out = np.empty(n)
        start = 0
        if n and self.next_double is not None:
            out[0], self.next_double, start = self.next_double, None, 1
        pairs = (n - start + 1) // 2
        u = self.uniform(2 * pairs, np.float64).reshape(pairs, 2)
        r = np.sqrt(-2.0 * np.log1p(-u[:, 1]))
        theta = 2.0 * np.pi * u[:, 0]
        values = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1).ravel()
        out[start:] = values[:n - start]
        if values.size > n - start:
            self.next_double = float(values[-1])
        return out

    def integers(self, low, high, shape):
        """Uniform integers in [low, high): one draw modulo the range (two draws for ranges >= 2**32)."""
        span = high - low
        n = int(np.prod(shape))
        raw = self.raw64(n) if span >= 1 << 32 else self.raw32(n)
        return ((raw % np.uint64(span)).astype(np.int64) + low).reshape(shape)

    def permutation(self, n):
        """torch's randperm: swap each position with a random later one (Fisher-Yates)."""
        out = np.arange(n, dtype=np.int64)
        if n > 1:
            picks = (self.raw32(n - 1) % np.arange(n, 1, -1, dtype=np.uint64)).astype(np.int64)
            order = out.tolist()
            for i, z in enumerate(picks.tolist()):
                j = i + z
                order[i], order[j] = order[j], order[i]
            out = np.array(order, dtype=np.int64)
        return out


def _round_unit(x, np_dtype):
    """float32 uniforms `x` in a narrower float dtype: torch draws half and bfloat16 in float and rounds,
    turning a value that rounds up to 1 into 0 so the range stays [0, 1)."""
    if np.dtype(np_dtype) == np.float32:
        return x
    y = x.astype(np_dtype)
    y[y == 1] = 0
    return y


def _box_muller(blocks, mean, std):
    """torch's normal_fill_16 on rows of 16 uniforms: the first 8 give radii, the last 8 angles."""
    u1 = 1 - blocks[:, :8]
    u2 = blocks[:, 8:]
    radius = np.sqrt(-2 * np.log(u1))
    theta = (2.0 * np.pi * u2).astype(blocks.dtype)
    return np.concatenate([radius * np.cos(theta) * std + mean, radius * np.sin(theta) * std + mean], axis=1)


class _CudaEngine:
    """Draws with CuPy's generator on one GPU."""

    def __init__(self, seed, index):
        from .cuda import _cupy
        self.cp = _cupy()
        self.index = index
        with self.cp.cuda.Device(index):
            self.rs = self.cp.random.RandomState(seed % (1 << 63))

    def uniform(self, n, np_dtype):
        with self.cp.cuda.Device(self.index):
            if np.dtype(np_dtype) == np.float64:
                return self.rs.random_sample(n, dtype=np.float64)
            return _round_unit(self.rs.random_sample(n, dtype=np.float32), np_dtype)

    def normal(self, n, np_dtype, mean, std):
        with self.cp.cuda.Device(self.index):
            z = self.rs.standard_normal(n, dtype=np.float64 if np.dtype(np_dtype) == np.float64 else np.float32)
            return (z * std + mean).astype(np_dtype, copy=False)

    def normal_doubles(self, n):
        return self.normal(n, np.float64, 0.0, 1.0)

    def integers(self, low, high, shape):
        with self.cp.cuda.Device(self.index):
            return self.rs.randint(low, high, shape, dtype=np.int64)

    def permutation(self, n):
        with self.cp.cuda.Device(self.index):
            return self.rs.permutation(n).astype(np.int64)


class Generator:
    """A seeded source of random numbers for one device (torch.Generator)."""

    def __init__(self, device="cpu"):
        self.device = as_device(device)
        self._seed = _DEFAULT_SEED
        self._engine = None

    def manual_seed(self, seed):
        """Reset the generator to the stream of `seed` (an int in [-2**63, 2**64)); returns self."""
        if not isinstance(seed, (int, np.integer)):
            raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
        seed = int(seed)
        if not -(1 << 63) <= seed < 1 << 64:
            raise ValueError("Overflow when unpacking long long")
        self._seed = seed % (1 << 64)
        self._engine = None
        return self

    def initial_seed(self):
        return self._seed

    def seed(self):
        """Seed from the operating system's entropy, returning the new seed."""
        self.manual_seed(int(np.random.SeedSequence().entropy % (1 << 63)))
        return self._seed

    @property
    def engine(self):
        """The sampler behind this generator, made on first use."""
        if self._engine is None:
            self._engine = _CudaEngine(self._seed, self.device.index or 0) if self.device.type == "cuda" \
                else _CpuEngine(self._seed)
        return self._engine

    @property
    def rng(self):
        """A NumPy Generator drawing from this generator's stream (cpu), for samplers torch has no twin of."""
        engine = self.engine
        return engine.rs if self.device.type == "cuda" else np.random.Generator(engine.bits)

    def get_state(self):
        """The generator's state as a uint8 tensor (restore it with set_state)."""
        from ._creation import tensor
        if self.device.type == "cuda":
            raise NotImplementedError("get_state is only supported for cpu generators")
        engine = self.engine
        state = engine.bits.state["state"]
        head = _STATE.pack(self._seed, state["pos"], engine.next_double is not None, engine.next_double or 0.0)
        data = np.frombuffer(head + np.asarray(state["key"], dtype=np.uint32).tobytes(), dtype=np.uint8)
        return tensor(data.copy(), dtype=_dtype.uint8)

    def set_state(self, new_state):
        """Restore a state that get_state returned; returns self."""
        from ._tensor import Tensor
        if not isinstance(new_state, Tensor) or new_state.dtype is not _dtype.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        size = _STATE.size + 4 * _MT_WORDS
        if new_state.numel() != size:
            raise RuntimeError(f"Expected a generator state of size {size} but found the input RNG state size to "
                               f"be {new_state.numel()}")
        raw = np.asarray(new_state._data, dtype=np.uint8).tobytes()
        seed, pos, has_double, next_double = _STATE.unpack(raw[:_STATE.size])
        engine = _CpuEngine(seed)
        engine.bits.state = {"bit_generator": "MT19937",
                             "state": {"key": np.frombuffer(raw[_STATE.size:], dtype=np.uint32).copy(), "pos": pos}}
        engine.next_double = next_double if has_double else None
        self._seed, self._engine = seed, engine
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
