"""`minitorch.utils` (torch.utils): `hooks` holds RemovableHandle and the machinery of module backward hooks;
`data` holds datasets, samplers and DataLoader."""
from . import hooks
from . import data
