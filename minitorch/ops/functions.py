"""The `minitorch.*` function namespace, gathered from the op modules. Each function runs with NumPy's
floating-point warnings off, as torch never warns about inf or nan results (see minitorch/_quiet.py), and those
whose torch signature has `out=` take it (see out.py)."""
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
from .out import RULE_OF as _RULE_OF, with_out as _with_out

for _module in _MODULES:
    for _name in _module.__all__:
        _fn = getattr(_module, _name)
        globals()[_name] = _quiet_fp(_with_out(_fn, _name) if _name in _RULE_OF else _fn, __name__)
