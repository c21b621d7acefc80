"""minitorch.distributed on real MPI jobs (mpiexec -n 2 and -n 3): each job batches many checks and reports
them (tests/mpi_jobs/), and each check is one test here. Also the faults (a rank that raises, dies or
hangs), the launcher, the DDP example, and what works without any job (errors before init_process_group,
DistributedSampler's indices against torch's)."""
import itertools
import json
import sys

import pytest

import minitorch
import minitorch.distributed as dist
from minitorch.datasets import load_digits
from minitorch.examples.train_digits import BATCH_SIZE
from minitorch.utils.data import DistributedSampler

from ._mpi_jobs import mpiexec, results, run, run_job

COLLECTIVE_CHECKS = ["all_reduce_ops", "all_reduce_integers_and_bools", "all_reduce_bfloat16",
                     "float_bitwise_is_rejected", "async_work", "broadcast_from_last", "reduce_to_one",
                     "all_gathers", "reduce_scatters", "gather_and_scatter", "all_to_all_even_and_uneven",
                     "point_to_point", "groups", "objects", "objects_are_json_only",
                     "mismatches_fail_on_every_rank", "argument_errors"]
DDP_CHECKS = ([f"train_{kind}_view_{view}" for kind in ("mlp", "cnn") for view in (False, True)] +
              ["buckets_follow_reverse_order", "no_sync_accumulates_then_averages", "unused_parameters_error",
               "find_unused_parameters", "buffers_and_state_dict", "different_models_are_rejected",
               "zero_matches_adam_and_shards_state", "sampler_from_process_group"])


@pytest.fixture(scope="module", params=[2, 3], ids=["2 ranks", "3 ranks"])
def collectives(request):
    return results("collectives", request.param)


@pytest.fixture(scope="module")
def ddp():
    return results("ddp", 2)


def _assert_ok(reports, check, every_check):
    assert set(reports[0]) == set(every_check), "a job check has no test, or a test no check"
    for rank, checks in sorted(reports.items()):
        assert checks.get(check) == "ok", f"rank {rank}: {checks.get(check, 'not run')}"


@pytest.mark.parametrize("check", COLLECTIVE_CHECKS)
def test_collective(collectives, check):
    _assert_ok(collectives, check, COLLECTIVE_CHECKS)


@pytest.mark.parametrize("check", DDP_CHECKS)
def test_ddp(ddp, check):
    _assert_ok(ddp, check, DDP_CHECKS)


# ----- faults ---------------------------------------------------------------------------------------------
def test_a_raising_rank_stops_the_others_at_once():
    status, out, err, seconds = run_job("faults", 2, "raise", 120)
    assert status != 0 and "the second all_reduce finished" not in out
    assert "[rank1]: ValueError: rank one gives up" in err
    assert "[rank0]: minitorch.distributed.DistBackendError: [Rank 0] rank 1 failed with ValueError: rank one " \
           "gives up" in err
    assert seconds < 60, f"took {seconds:.0f} s: the notice, not the 120 s timeout, should stop rank 0"


def test_a_hanging_rank_makes_the_others_time_out():
    status, out, err, seconds = run_job("faults", 2, "hang", 3)
    assert status != 0 and "the second all_reduce finished" not in out
    assert "[Rank 0] Watchdog caught collective operation timeout: WorkMPI(SeqNum=1, OpType=ALLREDUCE, " \
           "NumelIn=2, Timeout(ms)=3000)" in err
    assert seconds < 60, f"took {seconds:.0f} s"


def test_a_dying_rank_ends_the_job():
    status, out, err, seconds = run_job("faults", 2, "die", 120)
    assert status == 3 and "the second all_reduce finished" not in out
    assert seconds < 60, f"took {seconds:.0f} s"


# ----- launcher and example -------------------------------------------------------------------------------
def test_launcher_runs_the_ddp_example(tmp_path):
    mpiexec()
    log = tmp_path / "losses.json"
    status, out, err, _ = run([sys.executable, "-m", "minitorch.distributed.run", "--nproc-per-node", "2", "-m",
                               "minitorch.examples.train_digits_ddp", "--epochs", "2", "--loss-log", str(log)], 240)
    assert status == 0, err
    assert "rank 1: epoch 2/2 train loss" in out and "mlp on 2 ranks: test accuracy" in out
    logged = json.loads(log.read_text())
    losses = logged["losses"]
    assert len(losses) == 2 and all(len(per_rank) == 2 and per_rank[1] < per_rank[0] for per_rank in losses)
    share = -(-len(load_digits(train=True)[1]) // 2)  # each rank's share of an epoch, padded as the sampler does
    steps = -(-share // (BATCH_SIZE // 2))
    assert [len(per_rank) for per_rank in logged["step_losses"]] == [2 * steps, 2 * steps]
    for epoch_losses, step_losses in zip(losses, logged["step_losses"]):  # the epoch's mean, over the last batch too
        sizes = [BATCH_SIZE // 2] * (steps - 1) + [share - (steps - 1) * (BATCH_SIZE // 2)]
        assert sum(s * loss for s, loss in zip(sizes, step_losses[:steps])) / share == pytest.approx(epoch_losses[0])


def test_launcher_environment_and_failure_status(tmp_path):
    mpiexec()
    script = tmp_path / "show_env.py"
    script.write_text("import os, sys\n"
                      "keys = ['RANK', 'LOCAL_RANK', 'WORLD_SIZE', 'LOCAL_WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT']\n"
                      "print(' '.join(os.environ[k] for k in keys), sys.argv[1:], flush=True)\n"
                      "sys.exit(int(os.environ['RANK']) * 5)\n")
    status, out, err, _ = run([sys.executable, "-m", "minitorch.distributed.run", "--nproc-per-node=2",
                               str(script), "a", "--flag"], 120)
    lines = sorted(line for line in out.splitlines() if line.startswith(("0 ", "1 ")))
    assert lines == ["0 0 2 2 127.0.0.1 29500 ['a', '--flag']", "1 1 2 2 127.0.0.1 29500 ['a', '--flag']"]
    assert status == 5 and "the job failed with exit status 5" in err


def test_launcher_gives_each_process_one_thread_as_torchrun(monkeypatch):
    from minitorch.distributed.run import command, parse_args
    monkeypatch.setattr("minitorch.distributed.run.find_mpiexec", lambda: "mpiexec")
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert " -genv OMP_NUM_THREADS 1 " in " ".join(command(parse_args(["--nproc-per-node", "2", "x.py"])))
    assert "OMP_NUM_THREADS" not in command(parse_args(["--nproc-per-node", "1", "x.py"]))
    monkeypatch.setenv("OMP_NUM_THREADS", "3")  # the user's choice is kept (mpiexec passes the environment on)
    assert "OMP_NUM_THREADS" not in command(parse_args(["--nproc-per-node", "2", "x.py"]))


def test_worker_environment_from_slurm_and_mpich():
    from minitorch.distributed._worker import torchrun_environment
    slurm = torchrun_environment({"SLURM_PROCID": "5", "SLURM_NTASKS": "8", "SLURM_LOCALID": "1",
                                  "SLURM_NTASKS_PER_NODE": "4(x2)", "MASTER_ADDR": "node1"})
    assert (slurm["RANK"], slurm["WORLD_SIZE"], slurm["LOCAL_RANK"], slurm["LOCAL_WORLD_SIZE"],
            slurm["GROUP_RANK"], slurm["MASTER_ADDR"]) == ("5", "8", "1", "4", "1", "node1")
    single = torchrun_environment({})
    assert (single["RANK"], single["WORLD_SIZE"], single["MASTER_PORT"]) == ("0", "1", "29500")


# ----- without a job --------------------------------------------------------------------------------------
@pytest.mark.parity
@pytest.mark.parametrize("call", ["all_reduce", "broadcast", "get_rank", "get_world_size", "barrier", "new_group"])
def test_before_init_process_group(torch, call):
    import torch.distributed as tdist

    def invoke(module, t):
        args = {"all_reduce": (t,), "broadcast": (t, 0), "new_group": ([0],)}.get(call, ())
        return getattr(module, call)(*args)

    with pytest.raises(ValueError) as ours:
        invoke(dist, minitorch.ones(2))
    with pytest.raises(ValueError) as theirs:
        invoke(tdist, torch.ones(2))
    assert str(ours.value) == str(theirs.value)
    assert not dist.is_initialized()


def test_reduce_op_and_backend_names():
    assert repr(dist.ReduceOp.SUM) == "<RedOpType.SUM: 0>" and dist.ReduceOp.AVG.name == "AVG"
    assert dist.Backend("MPI") == "mpi" and dist.Backend.NCCL == "nccl"
    with pytest.raises(ValueError, match="Invalid backend: 'tcp'"):
        dist.Backend("tcp")


@pytest.mark.parity
def test_distributed_sampler_indices_match_torch(torch):
    from torch.utils.data import DistributedSampler as TorchSampler
    for n, replicas, shuffle, drop_last, epoch in itertools.product([1, 5, 10, 11, 17], [1, 2, 3, 4],
                                                                     [True, False], [True, False], [0, 3]):
        for rank in range(replicas):
            ours = DistributedSampler(range(n), replicas, rank, shuffle, seed=7, drop_last=drop_last)
            theirs = TorchSampler(range(n), replicas, rank, shuffle, seed=7, drop_last=drop_last)
            ours.set_epoch(epoch)
            theirs.set_epoch(epoch)
            assert list(ours) == list(theirs) and len(ours) == len(theirs), (n, replicas, rank, shuffle, drop_last)


def test_distributed_sampler_rejects_a_bad_rank():
    with pytest.raises(ValueError, match=r"Invalid rank 3, rank should be in the interval \[0, 2\]"):
        DistributedSampler(range(4), num_replicas=3, rank=3)


def test_engine_callback_runs_when_backward_ends():
    order = []
    x = minitorch.ones(2, requires_grad=True)

    def hook(param):
        order.append("hook")
        engine = minitorch.autograd.Variable._execution_engine
        engine.queue_callback(lambda: order.append(("callback", x.grad.sum().item())))

    x.register_post_accumulate_grad_hook(hook)
    (x * 3).sum().backward()
    assert order == ["hook", ("callback", 6.0)]
    with pytest.raises(RuntimeError, match="Final callbacks can only be installed during backward pass."):
        minitorch.autograd.Variable._execution_engine.queue_callback(lambda: None)


@pytest.mark.cuda
def test_nccl_collectives_on_the_gpus():
    """The NCCL backend on one rank per GPU (this machine's GPUs, up to 2)."""
    if not dist.is_nccl_available():
        pytest.skip("CuPy finds no NCCL library here (pip install 'nvidia-nccl-cu13')")
    n = min(minitorch.cuda.device_count(), 2)
    reports = results("nccl", n)
    for rank, checks in reports.items():
        assert all(v == "ok" for v in checks.values()), (rank, checks)
