"""The full soak: 16 worker processes, 10,000 rounds with random timeouts and cancels on Redis
named barriers, the recorded history checked by the history checker.

    python benchmarks/redis_soak.py [--workers 16] [--rounds 10000] [--out DIR]

Each worker is its own process (a simulated host) running tests/redis/_soak.py's worker, its
calls recorded by a Recorder into its own JSON Lines file (merged by load_files, as
``barrierspec history check DIR`` does); a private redis-server is started on a free loopback
port. Prints the run's figures and the
verdict; a violating history is written to DIR as an HTML timeline and JSON (exit status 1).
A worker that does not stop within 60 s of the stop signal counts as a hang (exit status 2).
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing as mp
import os
import pathlib
import platform
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "redis"))

from _server import RedisServer
from _soak import coordinate, soak_worker

from barrierspec.conformance import Recorder, check_history, load_files, write_report


def _worker(url: str, namespace: str, index: int, seed: int, recorder: Recorder) -> None:
    soak_worker(url, namespace, index, seed, recorder)
    recorder.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default=tempfile.gettempdir())
    args = parser.parse_args()
    record_dir = pathlib.Path(tempfile.mkdtemp(prefix="soak-history-"))
    recorder = Recorder(directory=record_dir)  # each worker process writes its own file
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, load {os.getloadavg()}")
    server = RedisServer()
    server.start()
    ctx = mp.get_context("fork")
    procs = [
        ctx.Process(target=_worker, args=(server.url, "soak", i, args.seed, recorder))
        for i in range(args.workers)
    ]
    try:
        start = time.monotonic()
        for p in procs:
            p.start()
        released = coordinate(server.url, "soak", args.rounds, deadline=1800.0)
        elapsed = time.monotonic() - start
        for p in procs:
            p.join(60.0)
        hung = [p for p in procs if p.is_alive()]
        if hung:
            print(f"HANG: {len(hung)} workers did not stop")
            return 2
    finally:
        for p in procs:
            if p.is_alive():
                p.kill()
        server.close()
    history = load_files([record_dir])  # one file per worker process, merged
    counts = collections.Counter(f"{op.kind.value}/{op.outcome.value}" for op in history)
    print(
        f"{released} rounds in {elapsed:.1f} s ({released / elapsed:.0f} rounds/s), "
        f"{len(history)} operations: {dict(sorted(counts.items()))}"
    )
    t0 = time.perf_counter()
    verdict = check_history(history)
    print(f"history checked in {time.perf_counter() - t0:.2f} s: valid={verdict.valid}")
    if verdict.valid is not True:
        target = pathlib.Path(args.out)
        write_report(history, verdict, target / "soak.html", target / "soak.json")
        print(f"history files kept in {record_dir}")
        for v in verdict.violations[:5]:
            print(f"  {v.rule}: {v.reason}")
        print(f"report written to {target}/soak.html")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
