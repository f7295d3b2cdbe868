"""Throughput of the history checker (events per second), with and without round information.

    python benchmarks/history_throughput.py [--events 1000000] [--search-events 20000]

A synthetic, valid Grinder-style history: 16 workers on 4 barrier names (4 members each), every
round's waits overlapping the trip point, about 1 % of waits timing out (the member is withdrawn
and joins again after the trip). Times: building the records, dumping and loading JSON Lines,
checking with rounds (the O(n log n) sweep), the command end to end (read the file, check) and,
on a smaller history, without rounds (search).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import random
import tempfile
import time

import attrs

from barrierspec._cli import main as cli
from barrierspec.conformance._history import (
    Kind,
    Operation,
    Outcome,
    check_history,
    dump_history,
    load_files,
    load_history,
)


def command(path: str) -> int:
    """The command end to end (its report discarded)."""
    with contextlib.redirect_stdout(io.StringIO()):
        return cli(["history", "check", "--quiet", path])


def synthetic(events: int, *, workers: int = 16, names: int = 4, seed: int = 1) -> list[Operation]:
    rng = random.Random(seed)
    per_name = workers // names
    ops: list[Operation] = []
    generation = [0] * workers
    for w in range(workers):
        ops.append(Operation(f"w{w}", f"b{w % names}", 0.0, 0.01, Outcome.OK, Kind.JOIN, f"w{w}.0"))
    rounds = [0] * names
    t = 1.0
    while len(ops) < events:
        for b in range(names):
            rounds[b] += 1
            trip = t + 1.0
            dropped = None
            for k in range(per_name):
                w = b + k * names
                member = f"w{w}.{generation[w]}"
                start = t + rng.random() * 0.9
                if dropped is None and rng.random() < 0.01:
                    dropped = w  # times out before the trip, joins again after it
                    ops.append(
                        Operation(
                            f"w{w}",
                            f"b{b}",
                            start * 0.5 + t * 0.5,
                            t + 0.95,
                            Outcome.TIMEOUT,
                            Kind.WAIT,
                            member,
                        )
                    )
                    generation[w] += 1
                    ops.append(
                        Operation(
                            f"w{w}",
                            f"b{b}",
                            trip + 0.1,
                            trip + 0.2,
                            Outcome.OK,
                            Kind.JOIN,
                            f"w{w}.{generation[w]}",
                        )
                    )
                    continue
                end = trip + rng.random() * 0.5
                ops.append(
                    Operation(
                        f"w{w}", f"b{b}", start, end, Outcome.OK, Kind.WAIT, member, rounds[b]
                    )
                )
        t += 2.0
    return ops


def timed(label: str, fn, n: int):  # type: ignore[no-untyped-def]
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"{label:<44} wall {elapsed:6.2f} s  cpu {cpu:6.2f} s  {n / elapsed:10,.0f} events/s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--search-events", type=int, default=20_000)
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}")
    history = timed("build records", lambda: synthetic(args.events), args.events)
    n = len(history)
    verdict = timed(f"check with rounds ({n:,} events)", lambda: check_history(history), n)
    assert verdict.valid is True, verdict.violations[:3]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "history.jsonl")
        timed("dump JSON Lines", lambda: dump_history(history, path), n)
        loaded = timed("load JSON Lines", lambda: load_history(path), n)
        assert len(loaded) == n
        merged = timed("load_files (the command's reader)", lambda: load_files([path]), n)
        assert len(merged) == n
        code = timed("barrierspec history check FILE", lambda: command(path), n)
        assert code == 0, code
    small = [attrs.evolve(op, round=None) for op in synthetic(args.search_events)]
    verdict = timed(
        f"check by search, no rounds ({len(small):,} events)",
        lambda: check_history(small),
        len(small),
    )
    print(f"  search verdict: valid={verdict.valid} {list(verdict.notes)[:1]}")


if __name__ == "__main__":
    main()
