"""`minitorch.utils` (torch.utils): `hooks` holds RemovableHandle and the machinery of module backward hooks."""
from . import hooks
