"""The `minitorch.*` function namespace, gathered from the op modules. Each function runs with NumPy's
floating-point warnings off, as torch never warns about inf or nan results (see _core.quiet_fp)."""
from .convert import *  # noqa: F401,F403
from .index import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .pointwise import *  # noqa: F401,F403
from .random import *  # noqa: F401,F403
from .reduce import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from .sorting import *  # noqa: F401,F403
from . import MODULES as _MODULES
from ._core import quiet_fp as _quiet_fp

for _module in _MODULES:
    for _name in _module.__all__:
        globals()[_name] = _quiet_fp(getattr(_module, _name), __name__)
