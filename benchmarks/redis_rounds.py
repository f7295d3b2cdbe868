"""Rounds per second and round latency of RedisNamedBarriers, 2 to 32 members on loopback.

    python benchmarks/redis_rounds.py [--members 2 4 8 16 32] [--waits 8000] [--url URL]

Each member runs in its own process (as on separate hosts) and calls ``wait()`` back to back on
one name. Reported per member count: rounds per second, the mean round period, the median and
99th percentile of a wait's duration, and the floor: one Redis round trip per member
(``members x`` the median PING round trip, measured in the same run). Without ``--url`` a
private redis-server (no persistence) is started on a free loopback port.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import time
from typing import Any

import redis

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "redis"))

from _server import RedisServer

from barrierspec.reference._redis_barrier import RedisNamedBarriers


def ping_rtt(url: str, samples: int = 2000) -> float:
    client = redis.Redis.from_url(url)
    client.ping()
    times = []
    for _ in range(samples):
        t0 = time.perf_counter()
        client.ping()
        times.append(time.perf_counter() - t0)
    client.close()
    return statistics.median(times)


def member(url: str, namespace: str, rounds: int, ready: Any, out: Any) -> None:
    with RedisNamedBarriers(url, lease=5.0, namespace=namespace) as registry:
        m = registry.barrier("bench")
        ready.wait()  # every member exists before anyone waits
        m.wait(30)  # warm-up round: everyone is in the loop
        durations = []
        start = t1 = time.perf_counter()
        for _ in range(rounds):
            t0 = time.perf_counter()
            if not m.wait(30):
                raise RuntimeError("a benchmark wait timed out")
            t1 = time.perf_counter()
            durations.append(t1 - t0)
        out.put((start, t1, rounds, durations))


def run(url: str, members: int, rounds: int) -> dict[str, float]:
    ctx = mp.get_context("fork")
    ready, out = ctx.Barrier(members), ctx.Queue()
    namespace = f"bench{members}-{os.getpid()}"
    procs = [
        ctx.Process(target=member, args=(url, namespace, rounds, ready, out))
        for _ in range(members)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
    start = min(r[0] for r in results)
    end = max(r[1] for r in results)
    rounds = results[0][2]
    durations = sorted(d for r in results for d in r[3])
    return {
        "rounds": rounds,
        "rounds_per_s": rounds / (end - start),
        "period_ms": (end - start) / rounds * 1000,
        "wait_p50_ms": durations[len(durations) // 2] * 1000,
        "wait_p99_ms": durations[int(len(durations) * 0.99)] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, nargs="+", default=[2, 4, 8, 16, 32])
    parser.add_argument(
        "--waits",
        type=int,
        default=8000,
        help="total waits per member count (rounds = waits / members)",
    )
    parser.add_argument("--url")
    args = parser.parse_args()
    server = None
    if args.url is None:
        server = RedisServer()
        server.start()
        args.url = server.url
    try:
        version = subprocess.run(
            ["redis-server", "--version"], check=False, capture_output=True, text=True
        )
        print(
            f"python {platform.python_version()}, {os.cpu_count()} CPUs, "
            f"{version.stdout.split()[2]}, redis-py {redis.__version__}"
        )
        rtt = ping_rtt(args.url)
        print(f"PING round trip (median): {rtt * 1e6:.0f} us")
        print(
            "| members | rounds | rounds/s | round period (ms) | floor: members x RTT (ms) "
            "| period / floor | wait p50 (ms) | wait p99 (ms) |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for n in args.members:
            r = run(args.url, n, max(100, args.waits // n))
            floor = n * rtt * 1000
            print(
                f"| {n} | {r['rounds']:.0f} | {r['rounds_per_s']:.0f} | {r['period_ms']:.2f} "
                f"| {floor:.2f} | {r['period_ms'] / floor:.1f} | {r['wait_p50_ms']:.2f} "
                f"| {r['wait_p99_ms']:.2f} |",
                flush=True,
            )
    finally:
        if server is not None:
            server.close()


if __name__ == "__main__":
    main()
