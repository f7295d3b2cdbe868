"""Step latency of the adapters: the mean time of one ``perform`` (send an operation, wait for
observed quiescence, report), per driver, over full rounds of a 3-party barrier.

Run: python benchmarks/bench_adapters.py [ROUNDS]
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from typing import Any

from barrierspec.adapters import AsyncioDriver, ProcessDriver, ThreadDriver, WaitOp


def measure(label: str, driver: Any, rounds: int) -> None:
    samples = []
    with driver:
        for _ in range(rounds):
            for p in range(3):
                start = time.perf_counter()
                driver.perform(WaitOp(p))
                samples.append(time.perf_counter() - start)
    blocked, releasing = samples[0::3] + samples[1::3], samples[2::3]
    print(
        f"| {label} | {len(samples)} | {statistics.mean(blocked) * 1e3:.2f} | "
        f"{statistics.mean(releasing) * 1e3:.2f} |"
    )


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    print(f"python {platform.python_version()}, nproc {os.cpu_count()}, rounds {rounds}\n")
    print("| driver | steps | mean ms, step leaving a waiter blocked | mean ms, releasing step |")
    print("|---|---|---|---|")
    measure("ThreadDriver(threading)", ThreadDriver("threading", 3, 3, action=True), rounds)
    measure("AsyncioDriver(asyncio)", AsyncioDriver("asyncio", 3, 3), rounds)
    for method in ("fork", "spawn"):
        measure(
            f"ProcessDriver(multiprocessing, {method})",
            ProcessDriver("multiprocessing", 3, 3, action=True, start_method=method),
            rounds,
        )


if __name__ == "__main__":
    main()
