"""What one round of a process barrier costs: CPU time, context switches, opcodes.

``n - 1`` forked children and this process call ``wait()`` in a loop; after a first, untimed
round each participant measures its own ``rounds`` rounds (``getrusage``) and reports them.
Per round, summed over every participant: wall time (this process), user and system CPU
time, voluntary and involuntary context switches; medians over ``--repeat`` runs. CPU time
and context switches are disturbed less than wall time by other work on a loaded machine.
With ``--opcodes`` every participant instead counts the bytecode instructions it executes
in ``barrierspec`` code (``sys.settrace`` with opcode events: slow, but independent of load;
how many parties queue behind a drain still depends on scheduling). Usage::

    python benchmarks/process_rounds.py [--barrier reference|stdlib] [--sizes 4,8,16]
        [--rounds 3000] [--repeat 5] [--opcodes]

To compare trees, run it with ``PYTHONPATH`` pointing at each tree's ``src``, alternately.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import statistics
import sys
import time
from multiprocessing.connection import Connection
from types import FrameType
from typing import Any

from barrierspec.reference import ProcessBarrier

FIELDS = ("wall", "user", "sys", "vcsw", "ivcsw")


def _usage() -> tuple[float, float, int, int]:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime, r.ru_stime, r.ru_nvcsw, r.ru_nivcsw


def _count_opcodes(counts: list[int]) -> Any:
    def local(frame: FrameType, event: str, arg: object) -> Any:
        if event == "opcode":
            counts[0] += 1
        return local

    def tracer(frame: FrameType, event: str, arg: object) -> Any:
        if "barrierspec" not in frame.f_code.co_filename:
            return None
        frame.f_trace_opcodes = True
        frame.f_trace_lines = False
        return local

    return tracer


def _body(barrier: Any, rounds: int, opcodes: bool, report: Connection | None) -> list[float]:
    """The first round untimed, then ``rounds`` rounds: their usage (or opcode count)."""
    barrier.wait()
    counts = [0]
    if opcodes:
        sys.settrace(_count_opcodes(counts))
    began, before = time.perf_counter(), _usage()
    for _ in range(rounds):
        barrier.wait()
    wall, after = time.perf_counter() - began, _usage()
    sys.settrace(None)
    used = [wall, *(a - b for a, b in zip(after, before, strict=True))]
    if opcodes:
        used = [float(counts[0])]
    if report is not None:
        report.send(used)
    return used


def run(barrier_kind: str, n: int, rounds: int, opcodes: bool) -> list[float]:
    """One measurement: per-round figures summed over the ``n`` participants."""
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(n) if barrier_kind == "stdlib" else ProcessBarrier(n, ctx=ctx)
    reports, send = ctx.Pipe(duplex=False)
    procs = [ctx.Process(target=_body, args=(barrier, rounds, opcodes, send)) for _ in range(n - 1)]
    for p in procs:
        p.start()
    mine = _body(barrier, rounds, opcodes, None)
    total = list(mine)
    for _ in procs:
        total = [t + x for t, x in zip(total, reports.recv(), strict=True)]
    for p in procs:
        p.join(60)
    if not opcodes:
        total[0] = mine[0]  # wall time: this process's, not a sum
    return [t / rounds for t in total]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--barrier", choices=("reference", "stdlib"), default="reference")
    parser.add_argument("--sizes", default="4,8,16")
    parser.add_argument("--rounds", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--opcodes", action="store_true")
    args = parser.parse_args(argv)
    for n in (int(s) for s in args.sizes.split(",")):
        runs = [run(args.barrier, n, args.rounds, args.opcodes) for _ in range(args.repeat)]
        load = os.getloadavg()[0]
        if args.opcodes:
            count = statistics.median(r[0] for r in runs)
            print(f"{args.barrier} n={n} opcodes/round {count:.0f} load {load:.2f}")
            continue
        wall, user, system, vcsw, ivcsw = (
            statistics.median(r[i] for r in runs) for i in range(len(FIELDS))
        )
        print(
            f"{args.barrier} n={n} per round: wall {wall * 1e6:.1f} us,"
            f" CPU {(user + system) * 1e6:.1f} us (user {user * 1e6:.1f}, sys {system * 1e6:.1f}),"
            f" context switches"
            f" {vcsw:.2f} voluntary / {ivcsw:.2f} involuntary; load {load:.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
