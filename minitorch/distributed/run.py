"""A torchrun-style launcher on top of MPI:

    python -m minitorch.distributed.run --nproc-per-node N script.py [args ...]
    python -m minitorch.distributed.run --nproc-per-node N -m package.module [args ...]

It starts N copies of the script with MPICH's `mpiexec` (installed with the `distributed` extra), each with
torchrun's environment: RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, GROUP_RANK, MASTER_ADDR, MASTER_PORT;
as torchrun does, it sets OMP_NUM_THREADS=1 when it is not set and a machine runs several processes (N
processes each running as many BLAS threads as there are cores would overload the machine).
On several machines, give an MPICH host file (`--nnodes M --hostfile hosts`), or start the processes with
Slurm (`srun python -m minitorch.distributed.run --from-launcher script.py`, see the README). If a rank
fails, mpiexec stops the others and the launcher exits with the failing rank's status."""
import argparse
import os
import shutil
import subprocess
import sys

_RULE = "*" * 41


def find_mpiexec():
    """The mpiexec that belongs to this Python's MPI (the mpich wheel puts it beside the interpreter)."""
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    found = beside if os.access(beside, os.X_OK) else shutil.which("mpiexec")
    if found is None:
        raise RuntimeError("mpiexec not found: pip install 'minitorch-workbook[distributed]' (mpi4py and mpich)")
    return found


def _nproc(value):
    """torchrun's --nproc-per-node: a number, "cpu" (one per core), "gpu" (one per GPU), or "auto" (one per
    GPU if there are any, else one per core)."""
    if value not in ("cpu", "gpu", "auto"):
        return int(value)
    from .. import cuda
    gpus = cuda.device_count() if value != "cpu" and cuda.is_available() else 0
    if value == "gpu" or gpus:
        return max(gpus, 1)
    return os.cpu_count() or 1


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m minitorch.distributed.run", description=__doc__.split("\n")[0])
    parser.add_argument("--nproc-per-node", "--nproc_per_node", default="1",
                        help="processes per machine: a number, 'cpu', 'gpu' or 'auto' (default 1)")
    parser.add_argument("--nnodes", type=int, default=1, help="machines (with --hostfile)")
    parser.add_argument("--hostfile", help="MPICH host file naming the machines ('host:slots' per line)")
    parser.add_argument("--master-addr", "--master_addr", default=None)
    parser.add_argument("--master-port", "--master_port", type=int, default=29500)
    parser.add_argument("--standalone", action="store_true", help="accepted for torchrun compatibility")
    parser.add_argument("-m", "--module", action="store_true", help="run the script as a module (python -m)")
    parser.add_argument("--no-python", "--no_python", action="store_true",
                        help="run the script as a program, not with Python")
    parser.add_argument("--from-launcher", action="store_true",
                        help="the processes are already started (by mpiexec or srun): only set the environment")
    parser.add_argument("script")
    parser.add_argument("script_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.nnodes > 1 and not args.hostfile:
        parser.error("--nnodes > 1 needs --hostfile (an MPICH host file), or start the job with srun")
    return args


def command(args):
    """The mpiexec command line that starts every rank through the worker module."""
    per_node = _nproc(args.nproc_per_node)
    addr = args.master_addr or ("127.0.0.1" if args.nnodes == 1 else _first_host(args.hostfile))
    cmd = [find_mpiexec(), "-n", str(per_node * args.nnodes), "-ppn", str(per_node)]
    if args.hostfile:
        cmd += ["-f", args.hostfile]
    cmd += ["-genv", "MASTER_ADDR", addr, "-genv", "MASTER_PORT", str(args.master_port)]
    if per_node > 1 and "OMP_NUM_THREADS" not in os.environ:
        cmd += ["-genv", "OMP_NUM_THREADS", "1"]
    return cmd + _worker_command(args)


def _worker_command(args):
    target = (["--no-python"] if args.no_python else []) + (["-m"] if args.module else [])
    return [sys.executable, "-m", "minitorch.distributed._worker", *target, args.script, *args.script_args]


def _first_host(hostfile):
    with open(hostfile) as f:
        for line in f:
            line = line.split("#")[0].strip()
            if line:
                return line.split(":")[0]
    raise ValueError(f"host file {hostfile} names no host")


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.from_launcher:
        os.execv(sys.executable, _worker_command(args))
    cmd = command(args)
    if "OMP_NUM_THREADS" in cmd:
        print(f"{_RULE}\nSetting OMP_NUM_THREADS environment variable for each process to be 1 in default, to avoid "
              "your system being overloaded, please further tune the variable for optimal performance in your "
              f"application as needed. \n{_RULE}", file=sys.stderr)
    status = subprocess.call(cmd)
    if status != 0:
        print(f"minitorch.distributed.run: the job failed with exit status {status}; the [rankN] lines above "
              "show which rank failed and why", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
