"""Rounds per second of the reference barriers against the stdlib's and aiologic's.

Each participant (thread, task or process) calls ``wait()`` in a loop; a round is one trip of
the barrier. For every size the stdlib barrier, aiologic's ``Barrier`` (a peer a user might
pick instead; threads and tasks only) and the reference barrier are measured alternately,
``--repeat`` times each, and the medians are reported with the ratios reference / stdlib and
reference / aiologic. Usage::

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
from multiprocessing.context import BaseContext
from typing import Any

import aiologic

from barrierspec.reference import AsyncBarrier, Barrier, NamedBarriers, ProcessBarrier

Measure = Callable[[int, int], float]  # (participants, rounds) -> rounds per second


def _threads(waits: list[Callable[[], object]], rounds: int) -> float:
    """One thread per wait callable, each calling it ``rounds`` times; rounds per second."""
    start = threading.Barrier(len(waits) + 1)

    def body(wait: Callable[[], object]) -> None:
        start.wait()
        for _ in range(rounds):
            wait()

    threads = [threading.Thread(target=body, args=(wait,)) for wait in waits]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    return rounds / (time.perf_counter() - began)


def thread_stdlib(n: int, rounds: int) -> float:
    return _threads([threading.Barrier(n).wait] * n, rounds)


def thread_reference(n: int, rounds: int) -> float:
    return _threads([Barrier(n).wait] * n, rounds)


def thread_aiologic(n: int, rounds: int) -> float:
    return _threads([aiologic.Barrier(n).wait] * n, rounds)


def named_reference(n: int, rounds: int) -> float:
    registry = NamedBarriers()
    return _threads([registry.barrier("bench").wait for _ in range(n)], rounds)


def _tasks(factory: Callable[[int], Any], n: int, rounds: int) -> float:
    async def main() -> float:
        wait = factory(n).wait

        async def body() -> None:
            for _ in range(rounds):
                await wait()

        began = time.perf_counter()
        await asyncio.gather(*(body() for _ in range(n)))
        return rounds / (time.perf_counter() - began)

    return asyncio.run(main())


def async_stdlib(n: int, rounds: int) -> float:
    return _tasks(asyncio.Barrier, n, rounds)


def async_reference(n: int, rounds: int) -> float:
    return _tasks(AsyncBarrier, n, rounds)


class _AwaitAiologic:
    """aiologic's Barrier is awaited directly (``await barrier``): give it a ``wait()``."""

    def __init__(self, n: int) -> None:
        self._barrier = aiologic.Barrier(n)

    def wait(self) -> Any:
        return self._barrier


def async_aiologic(n: int, rounds: int) -> float:
    return _tasks(_AwaitAiologic, n, rounds)


def _proc_body(barrier: Any, rounds: int) -> None:
    barrier.wait()
    for _ in range(rounds):
        barrier.wait()


def _processes(
    make: Callable[[int, BaseContext], Any], ctx: BaseContext, n: int, rounds: int
) -> float:
    """n - 1 child processes plus this one; timed in this process from the first round."""
    barrier = make(n, ctx)
    procs = [
        ctx.Process(target=_proc_body, args=(barrier, rounds))  # type: ignore[attr-defined]
        for _ in range(n - 1)
    ]
    for p in procs:
        p.start()
    barrier.wait()
    began = time.perf_counter()
    for _ in range(rounds):
        barrier.wait()
    rate = rounds / (time.perf_counter() - began)
    for p in procs:
        p.join(60)
    return rate


def process_stdlib(ctx: BaseContext) -> Measure:
    return lambda n, rounds: _processes(lambda k, c: c.Barrier(k), ctx, n, rounds)


def process_reference(ctx: BaseContext) -> Measure:
    return lambda n, rounds: _processes(lambda k, c: ProcessBarrier(k, ctx=c), ctx, n, rounds)


def calibrate(measure: Measure, n: int, seconds: float) -> int:
    """A round count that takes about ``seconds`` for this measure at size ``n``."""
    rate = measure(n, 200)
    return max(200, int(rate * seconds))


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
        base, other, ours = [], [], []
        for _ in range(repeat):
            base.append(stdlib(n, rounds))
            if peer is not None:
                other.append(peer(n, rounds))
            ours.append(reference(n, rounds))
        b, o = statistics.median(base), statistics.median(ours)
        p = statistics.median(other) if other else None
        peer_cells = "- | - |" if p is None else f"{p:,.0f} | {o / p:.2f}x |"
        rows.append(
            f"| {name} | {n} | {rounds} | {b:,.0f} | {o:,.0f} | {o / b:.2f}x | {peer_cells}"
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
        " | ref/stdlib | aiologic rounds/s | ref/aiologic |"
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


if __name__ == "__main__":
    main()
