"""The small public types of torch.distributed: ReduceOp, Backend, the error classes, and the group
markers (GroupMember.WORLD, GroupMember.NON_GROUP_MEMBER)."""
import enum


class DistError(RuntimeError):
    """Base of the errors raised by the distributed package."""


class DistBackendError(DistError):
    """A collective could not complete: it timed out, or another rank failed."""


class DistNetworkError(DistError):
    """The transport between processes failed."""


class DistStoreError(DistError):
    """The rendezvous (the exchange that sets up a group) failed."""


class ReduceOp:
    """How a reduction combines the ranks' values: ReduceOp.SUM, AVG, PRODUCT, MIN, MAX, and the bitwise
    BAND, BOR, BXOR for integer tensors."""

    class RedOpType(enum.Enum):
        SUM = 0
        AVG = 1
        PRODUCT = 2
        MIN = 3
        MAX = 4
        BAND = 5
        BOR = 6
        BXOR = 7

        def __repr__(self):
            return f"<RedOpType.{self.name}: {self.value}>"

    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR


class Backend(str):
    """A backend name, as a lowercase string: Backend.MPI ("mpi"), Backend.NCCL ("nccl"), and Backend.GLOO
    ("gloo"), which here runs on MPI so that scripts written for torch's cpu default run unchanged."""

    MPI = "mpi"
    NCCL = "nccl"
    GLOO = "gloo"
    backend_list = [MPI, NCCL, GLOO]

    def __new__(cls, name):
        if not isinstance(name, str):
            raise ValueError("Backend constructor parameter must be string-ish")
        value = name.lower()
        if value not in cls.backend_list:
            raise ValueError(f"Invalid backend: '{name}'")
        return str.__new__(cls, value)


class GroupMember:
    """WORLD: the default group once init_process_group has run (None before); NON_GROUP_MEMBER: what
    new_group returns to a rank that is not in the new group."""

    WORLD = None
    NON_GROUP_MEMBER = -100


class group:
    """torch's alias: `group.WORLD` is `GroupMember.WORLD`."""

    WORLD = None


for _public in (DistError, DistBackendError, DistNetworkError, DistStoreError, ReduceOp, Backend, GroupMember, group):
    _public.__module__ = "minitorch.distributed"  # tracebacks name them as torch's appear
