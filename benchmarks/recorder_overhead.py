"""Cost of recording: rounds per second of a 2-party barrier, bare and through the Recorder.

    python benchmarks/recorder_overhead.py [--rounds 10000]

Two threads pass ``threading.Barrier(2)`` ``--rounds`` times: bare, wrapped by an in-memory
``Recorder``, and wrapped by a directory ``Recorder`` (one JSON Lines line and one ``os.write``
per call). The figures are ratios against the bare barrier measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import threading
import time
from typing import Any

from barrierspec.conformance import Recorder, check_history, load_files


def rounds_per_second(barrier: Any, rounds: int) -> float:
    def body() -> None:
        for _ in range(rounds):
            barrier.wait(30.0)

    threads = [threading.Thread(target=body) for _ in range(2)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(300.0)
    return rounds / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10_000)
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, load {os.getloadavg()}")
    bare = rounds_per_second(threading.Barrier(2), args.rounds)
    memory = Recorder()
    in_memory = rounds_per_second(memory.wrap(threading.Barrier(2), name="b"), args.rounds)
    assert check_history(memory.history(), parties=2).valid is True
    with tempfile.TemporaryDirectory() as tmp:
        files = Recorder(directory=tmp)
        to_file = rounds_per_second(files.wrap(threading.Barrier(2), name="b"), args.rounds)
        files.close()
        assert len(load_files([tmp])) == 2 * args.rounds
    for label, rate in (("bare", bare), ("Recorder()", in_memory), ("Recorder(dir)", to_file)):
        print(f"{label:<16} {rate:10,.0f} rounds/s  {bare / rate:5.2f}x the bare time per round")


if __name__ == "__main__":
    main()
