"""Rounds per second of the reference barriers against the stdlib's and aiologic's.

Each participant (thread, task or process) calls ``wait()`` in a loop; a round is one trip of
the barrier. For every size the stdlib barrier, aiologic's ``Barrier`` (a peer a user might
pick instead; threads and tasks only) and the reference barrier are measured alternately,
``--repeat`` times each, and the medians are reported with the ratios reference / stdlib and
reference / aiologic, twice: by wall clock (rounds per second) and by CPU time (rounds per
CPU second of all participants together, which other work on a loaded machine disturbs
less). Usage::

    python benchmarks/reference_bench.py [--kinds thread,async,process,named]
        [--sizes 2,4,8,16] [--repeat 3] [--seconds 0.5] [--start-method fork]

``named`` measures NamedBarriers (threads) against threading.Barrier, for orientation only:
there is no stdlib named barrier.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import statistics
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from typing import Any, NamedTuple

import aiologic

from barrierspec.reference import AsyncBarrier, Barrier, NamedBarriers, ProcessBarrier


class Rate(NamedTuple):
    """Rounds per wall-clock second and per CPU second (all participants together)."""

    wall: float
    cpu: float


Measure = Callable[[int, int], Rate]  # (participants, rounds) -> rates


def _rate(rounds: int, wall: float, cpu: float) -> Rate:
    return Rate(rounds / wall, rounds / max(cpu, 1e-9))


def _threads(waits: list[Callable[[], object]], rounds: int) -> Rate:
    """One thread per wait callable, each calling it ``rounds`` times."""
    start = threading.Barrier(len(waits) + 1)

    def body(wait: Callable[[], object]) -> None:
        start.wait()
        for _ in range(rounds):
            wait()

    threads = [threading.Thread(target=body, args=(wait,)) for wait in waits]
    for t in threads:
        t.start()
    start.wait()
    began, cpu = time.perf_counter(), time.process_time()
    for t in threads:
        t.join()
    return _rate(rounds, time.perf_counter() - began, time.process_time() - cpu)


def thread_stdlib(n: int, rounds: int) -> Rate:
    return _threads([threading.Barrier(n).wait] * n, rounds)


def thread_reference(n: int, rounds: int) -> Rate:
    return _threads([Barrier(n).wait] * n, rounds)


def thread_aiologic(n: int, rounds: int) -> Rate:
    return _threads([aiologic.Barrier(n).wait] * n, rounds)


def named_reference(n: int, rounds: int) -> Rate:
    registry = NamedBarriers()
    return _threads([registry.barrier("bench").wait for _ in range(n)], rounds)


def _tasks(factory: Callable[[int], Any], n: int, rounds: int) -> Rate:
    async def run() -> Rate:
        wait = factory(n).wait

        async def body() -> None:
            for _ in range(rounds):
                await wait()

        began, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(body() for _ in range(n)))
        return _rate(rounds, time.perf_counter() - began, time.process_time() - cpu)

    return asyncio.run(run())


def async_stdlib(n: int, rounds: int) -> Rate:
    return _tasks(asyncio.Barrier, n, rounds)


def async_reference(n: int, rounds: int) -> Rate:
    return _tasks(AsyncBarrier, n, rounds)


class _AwaitAiologic:
    """aiologic's Barrier is awaited directly (``await barrier``): give it a ``wait()``."""

    def __init__(self, n: int) -> None:
        self._barrier = aiologic.Barrier(n)

    def wait(self) -> Any:
        return self._barrier


def async_aiologic(n: int, rounds: int) -> Rate:
    return _tasks(_AwaitAiologic, n, rounds)


def _proc_body(barrier: Any, rounds: int, report: Connection) -> None:
    """The first round untimed, then ``rounds`` rounds; send their CPU seconds."""
    barrier.wait()
    cpu = time.process_time()
    for _ in range(rounds):
        barrier.wait()
    report.send(time.process_time() - cpu)


def _processes(
    make: Callable[[int, BaseContext], Any], ctx: BaseContext, n: int, rounds: int
) -> Rate:
    """n - 1 child processes plus this one; the wall time is taken in this process from the
    first round, the CPU time summed over every participant's timed rounds."""
    barrier = make(n, ctx)
    reports, send = ctx.Pipe(duplex=False)  # type: ignore[attr-defined]
    procs = [
        ctx.Process(target=_proc_body, args=(barrier, rounds, send))  # type: ignore[attr-defined]
        for _ in range(n - 1)
    ]
    for p in procs:
        p.start()
    barrier.wait()
    began, cpu = time.perf_counter(), time.process_time()
    for _ in range(rounds):
        barrier.wait()
    wall, used = time.perf_counter() - began, time.process_time() - cpu
    used += sum(reports.recv() for _ in procs)
    for p in procs:
        p.join(60)
    return _rate(rounds, wall, used)


def process_stdlib(ctx: BaseContext) -> Measure:
    return lambda n, rounds: _processes(lambda k, c: c.Barrier(k), ctx, n, rounds)


def process_reference(ctx: BaseContext) -> Measure:
    return lambda n, rounds: _processes(lambda k, c: ProcessBarrier(k, ctx=c), ctx, n, rounds)


def calibrate(measure: Measure, n: int, seconds: float) -> int:
    """A round count that takes about ``seconds`` for this measure at size ``n``."""
    rate = measure(n, 200).wall
    return max(200, int(rate * seconds))


def _median(samples: list[Rate]) -> Rate:
    return Rate(
        statistics.median(r.wall for r in samples), statistics.median(r.cpu for r in samples)
    )


def _ratio(ours: Rate, other: Rate) -> str:
    return f"{ours.wall / other.wall:.2f}x / {ours.cpu / other.cpu:.2f}x"


def compare(
    name: str,
    stdlib: Measure,
    peer: Measure | None,
    reference: Measure,
    sizes: list[int],
    repeat: int,
    seconds: float,
) -> list[str]:
    rows = []
    for n in sizes:
        rounds = calibrate(stdlib, n, seconds)
        base: list[Rate] = []
        other: list[Rate] = []
        ours: list[Rate] = []
        for _ in range(repeat):
            base.append(stdlib(n, rounds))
            if peer is not None:
                other.append(peer(n, rounds))
            ours.append(reference(n, rounds))
        b, o = _median(base), _median(ours)
        peer_cells = "- | - |"
        if other:
            p = _median(other)
            peer_cells = f"{p.wall:,.0f} | {_ratio(o, p)} |"
        rows.append(
            f"| {name} | {n} | {rounds} | {b.wall:,.0f} | {o.wall:,.0f} | {_ratio(o, b)} |"
            f" {peer_cells}"
        )
        print(rows[-1], flush=True)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", default="thread,async,process,named")
    parser.add_argument("--sizes", default="2,4,8,16")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=0.5)
    parser.add_argument("--start-method", default="fork")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    ctx = multiprocessing.get_context(args.start_method)
    print(
        f"# {platform.platform()}, nproc={os.cpu_count()}, Python {sys.version.split()[0]},"
        f" start method {args.start_method}"
    )
    print(f"# aiologic {aiologic.__version__}; load average {os.getloadavg()}")
    print(
        "| barrier | participants | rounds | stdlib rounds/s | reference rounds/s"
        " | ref/stdlib (wall / CPU) | aiologic rounds/s | ref/aiologic (wall / CPU) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    table: dict[str, tuple[str, Measure, Measure | None, Measure]] = {
        "thread": ("Barrier", thread_stdlib, thread_aiologic, thread_reference),
        "async": ("AsyncBarrier", async_stdlib, async_aiologic, async_reference),
        "process": ("ProcessBarrier", process_stdlib(ctx), None, process_reference(ctx)),
        "named": ("NamedBarriers (vs threading)", thread_stdlib, None, named_reference),
    }
    for kind in args.kinds.split(","):
        name, stdlib, peer, reference = table[kind]
        compare(name, stdlib, peer, reference, sizes, args.repeat, args.seconds)
    print(f"# load average after {os.getloadavg()}")


if __name__ == "__main__":
    main()
