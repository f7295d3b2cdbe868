"""Record real runs with the Recorder, check them with `barrierspec history check`.

Each reference barrier (threads, asyncio, processes, named in-process and across processes) is
recorded and must be judged valid; a deliberately broken barrier (tests/broken: releases a
round one arrival early) must be judged a violation, explained as an early release. The Redis
member is recorded in tests/redis/test_redis_recorded.py.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import threading

import pytest
from tests.broken.threading_style import EarlyReleaseBarrier

from barrierspec._cli import main
from barrierspec.conformance import (
    Kind,
    Outcome,
    Recorder,
    check_history,
    dump_history,
    load_files,
    load_history,
)
from barrierspec.reference import (
    AsyncBarrier,
    Barrier,
    NamedBarriers,
    ProcessBarrier,
    ProcessNamedBarriers,
)

ROUNDS = 12
fork = multiprocessing.get_context("fork")


def history_check(capsys, *args) -> tuple[int, str]:
    code = main(["history", "check", "--quiet", *map(str, args)])
    return code, capsys.readouterr().out


def run_threads(n: int, body) -> None:
    threads = [threading.Thread(target=body, args=(i,), name=f"w{i}") for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30.0)
    assert not any(t.is_alive() for t in threads), "a worker hung"


def test_thread_barrier_run_is_valid(tmp_path, capsys) -> None:
    recorder = Recorder(directory=tmp_path)
    barrier = recorder.wrap(Barrier(3), name="b")
    run_threads(3, lambda i: [barrier.wait(10.0) for _ in range(ROUNDS)])
    recorder.close()
    history = load_files([tmp_path])
    assert len(history) == 3 * ROUNDS and {op.parties for op in history} == {3}
    assert sorted(op.result for op in history) == sorted([0, 1, 2] * ROUNDS)  # arrival indices
    assert {op.timeout for op in history} == {10.0}
    code, out = history_check(capsys, tmp_path)
    assert code == 0, out
    assert "'b': 3 parties, checked by search" in out and "VALID" in out


def test_broken_early_release_barrier_is_a_violation(tmp_path, capsys) -> None:
    # Two workers on a 3-party barrier that releases after parties - 1 arrivals: every
    # round releases two waits, which no grouping into rounds of three can explain.
    recorder = Recorder()
    barrier = recorder.wrap(EarlyReleaseBarrier(3), name="b")
    run_threads(2, lambda i: [barrier.wait(10.0) for _ in range(4)])
    path = tmp_path / "h.jsonl"
    dump_history(recorder.history(), path)
    code, out = history_check(capsys, path, "--json", tmp_path / "v.json", "--profile", "threading")
    assert code == 1, out
    assert "no-round-assignment" in out and "an early release" in out
    assert "when only 2 of the 3 waits of its round had been invoked: an early release" in out
    verdict = json.loads((tmp_path / "v.json").read_text())
    assert verdict["valid"] is False and "early release" in verdict["anomalies"][0]["explanation"]


def test_asyncio_barrier_run_is_valid_and_cancellation_is_recorded(tmp_path, capsys) -> None:
    recorder = Recorder(directory=tmp_path)

    async def scenario() -> None:
        barrier = recorder.wrap(AsyncBarrier(3), name="a")

        async def worker() -> None:
            for _ in range(ROUNDS):
                await barrier.wait()

        await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(3))), 30.0)
        lone = asyncio.ensure_future(barrier.wait())
        while barrier.n_waiting < 1:  # the lone waiter is inside: cancel it there
            await asyncio.sleep(0)
        lone.cancel()
        with pytest.raises(asyncio.CancelledError):
            await lone

    asyncio.run(scenario())
    recorder.close()
    history = load_files([tmp_path])
    assert [op.outcome for op in history].count(Outcome.CANCELLED) == 1
    assert len({op.worker for op in history}) == 4  # one lane per task
    code, out = history_check(capsys, tmp_path)
    assert code == 0, out


def _process_worker(barrier, rounds: int) -> None:
    for _ in range(rounds):
        barrier.wait(20.0)


def test_process_barrier_run_one_file_per_process_is_valid(tmp_path, capsys) -> None:
    recorder = Recorder(directory=tmp_path)
    barrier = recorder.wrap(ProcessBarrier(3, ctx=fork), name="p")
    procs = [fork.Process(target=_process_worker, args=(barrier, ROUNDS)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60.0)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    assert len(list(tmp_path.glob("*.jsonl"))) == 3  # each process wrote its own file
    code, out = history_check(capsys, tmp_path, "--profile", "multiprocessing")
    assert code == 0, out
    assert f"{3 * ROUNDS} operations of 3 workers" in out


def test_named_barriers_run_with_a_timeout_is_valid(tmp_path, capsys) -> None:
    recorder = Recorder(directory=tmp_path)
    registry = recorder.wrap(NamedBarriers())

    def body(i: int) -> None:
        member = registry.barrier("n")
        for _ in range(ROUNDS):
            assert member.wait(20.0)
        member.cancel()

    run_threads(3, body)
    first, second = registry.barrier("n"), registry.barrier("n")
    assert first.wait(0.01) is False  # the second member does not wait: timed out, withdrawn
    second.cancel()
    recorder.close()
    history = load_files([tmp_path])
    kinds = [op.kind for op in history]
    assert kinds.count(Kind.JOIN) == 5 and kinds.count(Kind.CANCEL) == 4
    assert [op.outcome for op in history].count(Outcome.TIMEOUT) == 1
    code, out = history_check(capsys, tmp_path, "--profile", "grinder")
    assert code == 0, out
    assert "dynamic membership" in out


def _named_process_worker(registry, rounds: int) -> None:
    member = registry.barrier("pn")
    for _ in range(rounds):
        member.wait(20.0)
    member.cancel()


def test_process_named_barriers_run_is_valid(tmp_path, capsys) -> None:
    recorder = Recorder(directory=tmp_path)
    with ProcessNamedBarriers(ctx=fork) as plain:
        registry = recorder.wrap(plain)
        procs = [
            fork.Process(target=_named_process_worker, args=(registry, ROUNDS)) for _ in range(3)
        ]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60.0)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    history = load_files([tmp_path])
    assert check_history(history).valid is True
    code, out = history_check(capsys, tmp_path)
    assert code == 0, out


def test_a_directory_recorder_crosses_processes_a_memory_one_refuses(tmp_path) -> None:
    import pickle

    from barrierspec.errors import UsageError

    wall = pickle.loads(pickle.dumps(Recorder(directory=tmp_path, clock="wall")))
    wall.wrap(Barrier(1), name="one").wait()
    wall.close()
    (header, line) = wall.path.read_text().splitlines()
    assert json.loads(header)["clock"] == "wall" and json.loads(line)["barrier"] == "one"
    assert [op.barrier for op in load_history(wall.path)] == ["one"]  # the header is skipped
    with pytest.raises(UsageError, match="cannot be sent to another process"):
        pickle.dumps(Recorder())
    with pytest.raises(UsageError, match="clock must be one of"):
        Recorder(clock="tsc")
