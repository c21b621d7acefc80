"""A job in which rank 1 fails (mode "raise", "die" or "hang") after a first all_reduce; the other ranks must
stop with a clear error within the group's timeout (argv[2], seconds)."""
import os
import sys
import time
from datetime import timedelta

import minitorch as torch
import minitorch.distributed as dist

mode, timeout = sys.argv[1], float(sys.argv[2])
dist.init_process_group("mpi", timeout=timedelta(seconds=timeout))
dist.all_reduce(torch.ones(2))
if dist.get_rank() == 1:
    if mode == "raise":
        raise ValueError("rank one gives up")
    if mode == "die":
        os._exit(3)
    time.sleep(600)
dist.all_reduce(torch.ones(2))
print("the second all_reduce finished", flush=True)
