"""Every collective against a NumPy reference, on however many ranks mpiexec starts (the tests use 2 and 3,
so uneven splits and groups get covered), plus the errors: mismatched calls, bad arguments, JSON-only
objects."""
import warnings

import numpy as np
from _harness import data, expect, report, start

import minitorch as torch
import minitorch.distributed as dist
from minitorch.distributed import ReduceOp

rank, world = start()
ranks = range(world)


def t(array):
    return torch.from_numpy(np.ascontiguousarray(array).copy())


def close(got, want, what):
    got = got.float().numpy() if got.dtype == torch.bfloat16 else got.numpy()
    expect(np.allclose(got, want, rtol=1e-5, atol=1e-5), f"{what}: got {got}, want {want}")


def all_reduce_ops():
    table = {ReduceOp.SUM: np.sum, ReduceOp.PRODUCT: np.prod, ReduceOp.MIN: np.min, ReduceOp.MAX: np.max,
             ReduceOp.AVG: np.mean}
    for case, (op, reference) in enumerate(table.items()):
        for dtype in (np.float32, np.float64):
            x = t(data(rank, case, (3, 4), dtype))
            dist.all_reduce(x, op=op)
            close(x, reference([data(r, case, (3, 4), dtype) for r in ranks], axis=0), f"{op} {dtype}")


def all_reduce_integers_and_bools():
    for case, (op, reference) in enumerate([(ReduceOp.SUM, np.sum), (ReduceOp.BAND, np.bitwise_and.reduce),
                                            (ReduceOp.BOR, np.bitwise_or.reduce),
                                            (ReduceOp.BXOR, np.bitwise_xor.reduce)]):
        x = t(data(rank, 10 + case, (5,), np.int64))
        dist.all_reduce(x, op=op)
        expect((x.numpy() == reference([data(r, 10 + case, (5,), np.int64) for r in ranks], axis=0)).all(), op)
    flags = t(data(rank, 20, (6,), np.bool_))
    dist.all_reduce(flags)
    expect((flags.numpy() == np.any([data(r, 20, (6,), np.bool_) for r in ranks], axis=0)).all(), "bool sum")


def all_reduce_bfloat16():
    x = torch.tensor(data(rank, 21, (4,))).to(torch.bfloat16)
    dist.all_reduce(x)
    want = sum(torch.tensor(data(r, 21, (4,))).to(torch.bfloat16).float().numpy() for r in ranks)
    expect(np.allclose(x.float().numpy(), want, rtol=2e-2), "bfloat16 sum")


def float_bitwise_is_rejected():
    try:
        dist.all_reduce(torch.ones(2), op=ReduceOp.BAND)
    except RuntimeError as exc:
        expect("Cannot use ReduceOp.BAND with non-integral dtype" in str(exc), str(exc))
    else:
        raise AssertionError("BAND on float32 did not raise")


def async_work():
    x = t(data(rank, 22, (1000,)))
    work = dist.all_reduce(x, async_op=True)
    expect(work.wait() is True and work.is_completed() and work.is_success(), "work state")
    close(x, np.sum([data(r, 22, (1000,)) for r in ranks], axis=0), "async sum")
    works = [dist.broadcast(t(data(rank, 23 + i, (3,))), src=i % world, async_op=True) for i in range(4)]
    expect(all(w.wait() for w in works), "several works in flight")


def broadcast_from_last():
    for dtype in (np.float64, np.int32):
        x = t(data(rank, 30, (2, 3), dtype))
        dist.broadcast(x, src=world - 1)
        close(x, data(world - 1, 30, (2, 3), dtype), f"broadcast {dtype}")
    b = torch.tensor(data(rank, 31, (3,))).to(torch.bfloat16)
    dist.broadcast(b, src=0)
    expect(b.equal(torch.tensor(data(0, 31, (3,))).to(torch.bfloat16)), "bfloat16 broadcast")


def reduce_to_one():
    x = t(data(rank, 40, (4,)))
    dist.reduce(x, dst=world - 1, op=ReduceOp.MAX)
    want = np.max([data(r, 40, (4,)) for r in ranks], axis=0) if rank == world - 1 else data(rank, 40, (4,))
    close(x, want, "reduce")


def all_gathers():
    mine = data(rank, 50, (2, 3))
    out = [torch.empty(2, 3) for _ in ranks]
    dist.all_gather(out, t(mine))
    for r in ranks:
        close(out[r], data(r, 50, (2, 3)), f"all_gather[{r}]")
    flat = torch.empty(world * 2, 3)
    dist.all_gather_into_tensor(flat, t(mine))
    close(flat, np.concatenate([data(r, 50, (2, 3)) for r in ranks]), "all_gather_into_tensor")
    stacked = torch.empty(world, 2, 3)
    dist.all_gather_into_tensor(stacked, t(mine))
    close(stacked, np.stack([data(r, 50, (2, 3)) for r in ranks]), "all_gather_into_tensor stacked")


def reduce_scatters():
    for op, reference in ((ReduceOp.SUM, np.sum), (ReduceOp.AVG, np.mean)):
        out = torch.empty(2)
        dist.reduce_scatter_tensor(out, t(data(rank, 60, (world * 2,))), op=op)
        total = reference([data(r, 60, (world * 2,)) for r in ranks], axis=0)
        close(out, total[2 * rank:2 * rank + 2], f"reduce_scatter {op}")


def gather_and_scatter():
    gathered = [torch.empty(3) for _ in ranks] if rank == 0 else None
    dist.gather(t(data(rank, 70, (3,))), gathered, dst=0)
    if rank == 0:
        for r in ranks:
            close(gathered[r], data(r, 70, (3,)), f"gather[{r}]")
    out = torch.empty(2, 2)
    pieces = [t(data(world - 1, 71 + r, (2, 2))) for r in ranks] if rank == world - 1 else None
    dist.scatter(out, pieces, src=world - 1)
    close(out, data(world - 1, 71 + rank, (2, 2)), "scatter")


def all_to_all_even_and_uneven():
    out = torch.empty(world, 2)
    dist.all_to_all_single(out, t(data(rank, 80, (world, 2))))
    close(out, np.stack([data(r, 80, (world, 2))[rank] for r in ranks]), "all_to_all_single even")
    # rank i sends i + j + 1 rows to rank j
    sends = [rank + j + 1 for j in ranks]
    receives = [i + rank + 1 for i in ranks]
    source = data(rank, 81, (sum(sends), 3))
    out = torch.empty(sum(receives), 3)
    dist.all_to_all_single(out, t(source), output_split_sizes=receives, input_split_sizes=sends)
    want = []
    for i in ranks:
        theirs = data(i, 81, (sum(i + j + 1 for j in ranks), 3))
        start_row = sum(i + j + 1 for j in range(rank))
        want.append(theirs[start_row:start_row + i + rank + 1])
    close(out, np.concatenate(want), "all_to_all_single uneven")


def point_to_point():
    right, left = (rank + 1) % world, (rank - 1) % world
    got = torch.empty(4)
    send = dist.isend(t(data(rank, 90, (4,))), dst=right, tag=7)
    recv = dist.irecv(got, src=left, tag=7)
    send.wait()
    recv.wait()
    close(got, data(left, 90, (4,)), "ring isend/irecv")
    if rank == 0:
        senders = set()
        for _ in range(world - 1):
            buf = torch.empty(2)
            sender = dist.recv(buf)
            close(buf, np.full(2, float(sender)), "recv from any source")
            senders.add(sender)
        expect(senders == set(range(1, world)), f"senders {senders}")
    else:
        dist.send(torch.full((2,), float(rank)), dst=0)


def groups():
    pair = dist.new_group([0, world - 1])
    x = torch.ones(3)
    if rank in (0, world - 1):
        expect(dist.get_world_size(pair) == 2 and dist.get_rank(pair) == (0 if rank == 0 else 1), "group rank")
        dist.all_reduce(x, group=pair)
        close(x, np.full(3, 2.0), "group all_reduce")
        expect(dist.get_process_group_ranks(pair) == [0, world - 1], "group ranks")
    else:
        expect(pair is dist.GroupMember.NON_GROUP_MEMBER and dist.get_rank(pair) == -1, "non member")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            dist.all_reduce(x, group=pair)
        expect("does not belong to the given group" in str(caught[0].message), "non-member warning")
    dist.barrier()


def objects():
    everyone = [None] * world
    dist.all_gather_object(everyone, {"rank": rank, "loss": [0.5 * rank, None, "x" * rank]})
    expect(everyone == [{"rank": r, "loss": [0.5 * r, None, "x" * r]} for r in ranks], everyone)
    items = [{"lr": 0.1}, [1, 2], "text"] if rank == world - 1 else [None, None, None]
    dist.broadcast_object_list(items, src=world - 1)
    expect(items == [{"lr": 0.1}, [1, 2], "text"], items)
    gathered = [None] * world if rank == 0 else None
    dist.gather_object(rank * 10, gathered, dst=0)
    expect(rank != 0 or gathered == [r * 10 for r in ranks], gathered)


def objects_are_json_only():
    for bad, name in (((1, 2), "tuple"), ({1, 2}, "set"), ({1: "a"}, "int"), (object(), "object")):
        try:
            dist.all_gather_object([None] * world, {"value": bad})
        except TypeError as exc:
            expect(name in str(exc) and "JSON" in str(exc), str(exc))
        else:
            raise AssertionError(f"{name} was sent")


def mismatches_fail_on_every_rank():
    cases = [(lambda: dist.all_reduce(torch.ones(3 + rank)), "Tensor Tensor shapes"),
             (lambda: dist.all_reduce(torch.ones(3, dtype=torch.float64 if rank else torch.float32)),
              "Tensor Tensor dtypes"),
             (lambda: dist.all_reduce(torch.ones(3)) if rank else dist.broadcast(torch.ones(3), src=0),
              "Op type"),
             (lambda: dist.broadcast(torch.ones(3), src=rank), "Root rank")]
    for call, aspect in cases:
        try:
            call()
        except RuntimeError as exc:
            expect("Detected mismatch between collectives on ranks" in str(exc) and aspect in str(exc), str(exc))
        else:
            raise AssertionError(f"no mismatch error for {aspect}")
    x = torch.ones(2)
    dist.all_reduce(x)  # the group still works afterwards
    close(x, np.full(2, float(world)), "after mismatches")


def argument_errors():
    def raises(call, kind, text):
        try:
            call()
        except kind as exc:
            expect(text in str(exc), str(exc))
        else:
            raise AssertionError(f"no {kind.__name__} containing {text!r}")
    raises(lambda: dist.all_reduce(torch.ones(4, 2).t()), RuntimeError, "Tensors must be contiguous")
    raises(lambda: dist.all_reduce([1.0]), TypeError, "Expected parameter `tensor` of type torch.Tensor")
    raises(lambda: dist.send(torch.ones(1), dst=rank), ValueError, "destination rank should not be the same")
    if rank == 0:
        raises(lambda: dist.gather(torch.ones(1), None, dst=0), ValueError, "must be specified on destination rank")
    raises(lambda: dist.init_process_group("mpi"), ValueError, "trying to initialize the default process group twice")
    expect(dist.is_initialized() and dist.get_backend() == "mpi", "state")


report([(f.__name__, f) for f in (all_reduce_ops, all_reduce_integers_and_bools, all_reduce_bfloat16,
                                  float_bitwise_is_rejected, async_work, broadcast_from_last, reduce_to_one,
                                  all_gathers, reduce_scatters, gather_and_scatter, all_to_all_even_and_uneven,
                                  point_to_point, groups, objects, objects_are_json_only,
                                  mismatches_fail_on_every_rank, argument_errors)])
