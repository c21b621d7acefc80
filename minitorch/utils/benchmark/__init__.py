"""`minitorch.utils.benchmark` (torch.utils.benchmark): time a statement reliably with `Timer`, get a
`Measurement` (median, IQR, a repr like torch's)."""
from .utils.common import Measurement, TaskSpec, select_unit
from .utils.timer import Timer

__all__ = ["Measurement", "TaskSpec", "Timer", "select_unit"]
