"""Graded tests for chapter 12 (distributed training). The learner's code runs on three processes at once
(grader.multirank: one `mpiexec -n 3` launch runs every job of the PLAN below, see tests/exercises/_ch12_ranks.py
for what each rank does); the checks here compare what the ranks report with one process doing the same
work with minitorch (itself compared with PyTorch). Cases and seeds are drawn afresh on every run."""
import math
import random

import numpy as np
import pytest

import minitorch as torch
from grader.checks import check, check_close, check_equal, check_own_class
from grader.multirank import Plan
from minitorch import nn
from minitorch.nn.parallel import DistributedDataParallel
from minitorch.utils.data import DistributedSampler
from tests.exercises import _ch12_ranks as ranks

WORLD = 3
_rng = random.Random()
RING_CASES = ([{"shape": [n], "dtype": "float64", "seed": _rng.randrange(10 ** 6)} for n in (1, 2, 3, 0)] +
              [{"shape": [_rng.randint(4, 60)], "dtype": _rng.choice(["float64", "float32"]),
                "seed": _rng.randrange(10 ** 6)} for _ in range(3)] +
              [{"shape": [_rng.randint(2, 5), _rng.randint(2, 7)], "dtype": "float32", "seed": _rng.randrange(10 ** 6)},
               {"shape": [_rng.randint(5, 30)], "dtype": "int64", "seed": _rng.randrange(10 ** 6)}])
RING_LARGE = {"shape": [WORLD * 150_000 + _rng.randint(1, 2)], "dtype": "float64", "seed": _rng.randrange(10 ** 6)}
AVERAGER = {"seed": _rng.randrange(10 ** 6), "steps": 3, "rows": WORLD * _rng.randint(2, 4), "lr": 0.5}
TRAINING = {"model_seed": _rng.randrange(10 ** 6), "data_seed": _rng.randrange(10 ** 6), "items": _rng.randint(14, 26),
            "epochs": _rng.randint(2, 3), "global_batch": WORLD * _rng.randint(1, 3), "lr": 0.3,
            "seed": _rng.randrange(1000)}

PLAN = Plan(world_size=WORLD)
PLAN.add("ring", ranks.ring_job, needs=["ring_all_reduce"], args=RING_CASES)
PLAN.add("ring_large", ranks.ring_large_job, needs=["ring_all_reduce"], args=RING_LARGE, pg_timeout=4.0)
PLAN.add("averager", ranks.averager_job, needs=["GradientAverager"], args=AVERAGER)
PLAN.add("no_sync", ranks.no_sync_job, needs=["GradientAverager"], args=AVERAGER)
PLAN.add("train", ranks.train_job, needs=["train_ddp"], args=TRAINING)

TIME_LIMIT = 180  # one launch runs every job above; starting the processes alone takes seconds


def _tolerance(dtype):
    return {"rtol": 1e-5, "atol": 1e-5} if dtype == "float32" else {"rtol": 1e-9, "atol": 1e-9}


# ----- ch12.1 ring_all_reduce --------------------------------------------------------------------------------
@pytest.mark.exercise("ch12.1", points=2)
@pytest.mark.time_limit(TIME_LIMIT)
def test_ring_sums(ch12):
    """on 3 ranks, every rank's tensor holds the sum of all ranks' tensors (odd sizes, fewer elements than
    ranks, empty, 2-D, float32 / float64 / int64)"""
    per_rank = PLAN.values("ring", ch12)
    for index, case in enumerate(RING_CASES):
        expected = sum(ranks.ring_input(case, r).numpy() for r in range(WORLD))
        for rank, results in enumerate(per_rank):
            got = np.asarray(results[index]["values"], dtype=expected.dtype).reshape(expected.shape)
            label = f"rank {rank}'s tensor of shape {case['shape']} ({case['dtype']}) after ring_all_reduce"
            if case["dtype"] == "int64":
                check_equal(got, expected, label)
            else:
                check_close(got, expected, label, **_tolerance(case["dtype"]))


@pytest.mark.exercise("ch12.1", points=1)
@pytest.mark.time_limit(TIME_LIMIT)
def test_ring_messages(ch12):
    """each rank sends 2 (N - 1) messages of at most ceil(numel / N) elements, all to the next rank, and all
    ranks end with exactly the same values"""
    per_rank = PLAN.values("ring", ch12)
    for index, case in enumerate(RING_CASES):
        numel = math.prod(case["shape"])
        first = per_rank[0][index]["values"]
        for rank, results in enumerate(per_rank):
            check(results[index]["values"] == first, f"rank {rank} ends with exactly rank 0's values "
                  f"(shape {case['shape']}, {case['dtype']})", expected=first, got=results[index]["values"])
            sent = results[index]["sent"]
            check_equal([dst for dst, _ in sent], [(rank + 1) % WORLD] * (2 * (WORLD - 1)),
                        f"destinations of the messages rank {rank} sent for {numel} elements")
            check(all(size <= -(-numel // WORLD) for _, size in sent),
                  f"every message of rank {rank} holds at most ceil({numel} / {WORLD}) elements",
                  expected=f"at most {-(-numel // WORLD)}", got=[size for _, size in sent])


@pytest.mark.exercise("ch12.1", points=1)
@pytest.mark.time_limit(TIME_LIMIT)
def test_ring_large_tensor(ch12):
    """a tensor too large for MPI to buffer (450k float64 elements) is summed without a deadlock"""
    for rank, error in enumerate(PLAN.values("ring_large", ch12)):
        check(error <= 1e-9, f"largest error of rank {rank}'s sum", expected="at most 1e-9", got=error)


# ----- ch12.2 GradientAverager -------------------------------------------------------------------------------
def _load(model, values):
    with torch.no_grad():
        for name, tensor in list(model.named_parameters()) + list(model.named_buffers()):
            tensor.copy_(torch.tensor(values[name], dtype=tensor.dtype))
    return model


def _local_grads(state, step, rank=None):
    """The gradients of the averaged model at `state`, on rank `rank`'s share of batch `step` (None: the whole
    batch, which is what averaging the ranks' gradients gives)."""
    model = _load(ranks.averaged_model(0), state)
    inputs, targets = ranks.batch(AVERAGER["seed"], step, AVERAGER["rows"])
    if rank is not None:
        inputs, targets = ranks.share((inputs, targets), rank, WORLD)
    nn.CrossEntropyLoss()(model(inputs), targets).backward()
    return ranks.grads(model)


def _close_grads(got, expected, what):
    check_equal(sorted(k for k, v in got.items() if v is None), sorted(k for k, v in expected.items() if v is None),
                f"parameters without a gradient, {what}")
    for name, value in expected.items():
        if value is not None:
            check_close(np.asarray(got[name]), np.asarray(value), f"{name}.grad {what}", rtol=1e-7, atol=1e-9)


@pytest.mark.exercise("ch12.2", points=1)
@pytest.mark.time_limit(TIME_LIMIT)
def test_averager_starts_replicas_equal(ch12):
    """your own class (not DistributedDataParallel); replicas made with different seeds hold rank 0's
    parameters and buffers once it is constructed"""
    check_own_class(ch12.GradientAverager, [DistributedDataParallel], "GradientAverager")
    per_rank = PLAN.values("averager", ch12)
    expected = ranks.state(ranks.averaged_model(AVERAGER["seed"]))
    for rank, out in enumerate(per_rank):
        for name, value in expected.items():
            check_close(np.asarray(out["initial"][name]), np.asarray(value),
                        f"rank {rank}'s {name} after GradientAverager(model) (rank 0's is expected)", rtol=0, atol=0)


@pytest.mark.exercise("ch12.2", points=2)
@pytest.mark.time_limit(TIME_LIMIT)
def test_averager_gradients_match_one_process(ch12):
    """after each backward, every rank holds the gradients of the whole batch; SGD steps then keep the
    replicas equal to one process training on whole batches"""
    per_rank = PLAN.values("averager", ch12)
    model = ranks.averaged_model(AVERAGER["seed"])
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=AVERAGER["lr"])
    for step in range(AVERAGER["steps"]):
        inputs, targets = ranks.batch(AVERAGER["seed"], step, AVERAGER["rows"])
        optimizer.zero_grad()
        nn.CrossEntropyLoss()(model(inputs), targets).backward()
        for rank, out in enumerate(per_rank):
            _close_grads(out["grads"][step], ranks.grads(model), f"on rank {rank} after backward {step + 1}")
        optimizer.step()
    for rank, out in enumerate(per_rank):
        for name, value in ranks.state(model).items():
            check_close(np.asarray(out["trained"][name]), np.asarray(value),
                        f"rank {rank}'s {name} after {AVERAGER['steps']} SGD steps", rtol=1e-7, atol=1e-9)


@pytest.mark.exercise("ch12.2", points=1)
@pytest.mark.time_limit(TIME_LIMIT)
def test_no_sync_then_remove(ch12):
    """inside no_sync() gradients stay local; the next backward averages everything accumulated; after
    remove() gradients stay local again"""
    per_rank = PLAN.values("no_sync", ch12)
    start = per_rank[0]["state"]
    whole = [_local_grads(start, step) for step in (0, 1)]
    summed = {name: None if value is None else (np.asarray(value) + np.asarray(whole[1][name])).tolist()
              for name, value in whole[0].items()}
    for rank, out in enumerate(per_rank):
        _close_grads(out["inside"], _local_grads(start, 0, rank), f"on rank {rank} after a backward in no_sync()")
        _close_grads(out["accumulated"], summed, f"on rank {rank} after the next backward, outside no_sync()")
        _close_grads(out["removed"], _local_grads(start, 2, rank), f"on rank {rank} after remove()")


# ----- ch12.3 predict the shards ---------------------------------------------------------------------------
@pytest.mark.exercise("ch12.3", points=1)
def test_predicted_shards(ch12):
    """predict_shards() gives each rank's indices, as DistributedSampler(shuffle=False) deals them"""
    cases = {"10 items, 3 ranks": (10, 3, False), "10 items, 3 ranks, drop_last": (10, 3, True),
             "2 items, 4 ranks": (2, 4, False)}
    predicted = ch12.predict_shards()
    check_equal(sorted(predicted), sorted(cases), "the cases predicted")
    for case, (items, replicas, drop_last) in cases.items():
        truth = [list(DistributedSampler(range(items), num_replicas=replicas, rank=r, shuffle=False,
                                         drop_last=drop_last)) for r in range(replicas)]
        check_equal([list(indices) for indices in predicted[case]], truth, f"indices per rank, {case}")


# ----- ch12.4 train_ddp --------------------------------------------------------------------------------------
def _one_process_training():
    """The parameters one process reaches on the union of the ranks' batches, and the number of steps."""
    args = TRAINING
    model = ranks.mlp(args["model_seed"])
    data = ranks.dataset(args["data_seed"], args["items"])
    inputs, targets = data.tensors
    samplers = [DistributedSampler(data, num_replicas=WORLD, rank=r, seed=args["seed"]) for r in range(WORLD)]
    optimizer = torch.optim.SGD(model.parameters(), lr=args["lr"])
    per_rank = args["global_batch"] // WORLD
    steps = 0
    for epoch in range(args["epochs"]):
        shards = []
        for sampler in samplers:
            sampler.set_epoch(epoch)
            shards.append(list(sampler))
        for start in range(0, len(shards[0]), per_rank):
            index = torch.tensor([i for shard in shards for i in shard[start:start + per_rank]])
            optimizer.zero_grad()
            nn.CrossEntropyLoss()(model(inputs[index]), targets[index]).backward()
            optimizer.step()
            steps += 1
    return ranks.state(model), steps


@pytest.mark.exercise("ch12.4", points=3)
@pytest.mark.time_limit(TIME_LIMIT)
def test_train_ddp_matches_one_process(ch12):
    """after train_ddp on 3 ranks (random dataset size, epochs and batch size), every rank holds the
    parameters of one process trained on the union of the ranks' batches, and one loss per step"""
    per_rank = PLAN.values("train", ch12)
    expected, steps = _one_process_training()
    for rank, out in enumerate(per_rank):
        for name, value in expected.items():
            check_close(np.asarray(out["state"][name]), np.asarray(value),
                        f"rank {rank}'s {name} after train_ddp({TRAINING})", rtol=1e-7, atol=1e-9)
        check_equal(out["losses"], steps, f"number of losses rank {rank}'s train_ddp returned")
