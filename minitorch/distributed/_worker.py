"""What each process started by minitorch.distributed.run executes first: set torchrun's environment from
the one the MPI launcher (mpiexec's PMI_*, or Slurm's SLURM_*) gives, then run the user's script as
__main__ (or exec the program, with --no-python)."""
import os
import runpy
import sys

# (rank, world size, local rank, local world size) as each launcher names them
_LAUNCHERS = (("PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID", "MPI_LOCALNRANKS"),
              ("SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID", "SLURM_NTASKS_PER_NODE"),
              ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK",
               "OMPI_COMM_WORLD_LOCAL_SIZE"))


def torchrun_environment(env):
    """RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, GROUP_RANK, MASTER_ADDR, MASTER_PORT for this
    process, from the launcher's variables in `env` (a single process when there are none)."""
    for names in _LAUNCHERS:
        if names[0] in env:
            rank, world, local, local_world = (int(env.get(n, d).split("(")[0])
                                               for n, d in zip(names, ("0", "1", "0", "1")))
            break
    else:
        rank, world, local, local_world = 0, 1, 0, 1
    return {"RANK": str(rank), "WORLD_SIZE": str(world), "LOCAL_RANK": str(local),
            "LOCAL_WORLD_SIZE": str(local_world), "GROUP_RANK": str(rank // max(local_world, 1)),
            "ROLE_RANK": str(rank), "ROLE_WORLD_SIZE": str(world),
            "MASTER_ADDR": env.get("MASTER_ADDR", "127.0.0.1"), "MASTER_PORT": env.get("MASTER_PORT", "29500")}


def main(argv):
    os.environ.update(torchrun_environment(os.environ))
    if argv[0] == "--no-python":
        os.execvp(argv[1], argv[1:])
    if argv[0] == "-m":
        sys.argv = argv[1:]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = argv
        sys.path.insert(0, os.path.dirname(os.path.abspath(argv[0])))
        runpy.run_path(argv[0], run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
