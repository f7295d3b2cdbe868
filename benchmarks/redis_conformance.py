"""Time to a verdict: the grinder conformance suite on Redis named barriers, in processes.

    python benchmarks/redis_conformance.py [--seed 1] [--budget 3] [--examples 50] [--url URL]

Every participant is its own process with its own RedisNamedBarriers registry
(``NamedProcessDriver``). Reported: the whole suite's verdict and time for the correct registry
(properties searched with ``--budget`` seconds each, then the model-generated tests); the time
to reject two registries broken on purpose (``tests/redis/conformance/_broken_redis.py``); the
cost of one program split into start, joins, operations and close. Without
``--url`` a private redis-server (no persistence) is started on a free loopback port.
"""

from __future__ import annotations

import argparse
import functools
import os
import pathlib
import platform
import subprocess
import sys
import time
from typing import Any

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "redis"))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests/redis/conformance"))

from _broken_redis import CancelWithoutRecheck, TimeoutKeepsMember
from _server import RedisServer

from barrierspec import adapters as ad
from barrierspec.adapters._named_processes import NamedProcessDriver
from barrierspec.conformance import CheckSettings, _drivers, check
from barrierspec.reference._redis_barrier import RedisNamedBarriers

LEASE = 1.0


def route(driver: str) -> None:
    """Make check() drive named targets with ``driver`` (until a target kind selects it)."""
    ad.NamedProcessDriver = NamedProcessDriver  # type: ignore[attr-defined]
    _drivers._DRIVER_CLASS["named"] = driver


def target(url: str, cls: type[Any], namespace: str) -> ad.Target:
    factory = functools.partial(cls, url, lease=LEASE, namespace=namespace)
    return ad.target_from(
        factory,
        kind="named",
        name=cls.__name__,
        capabilities={"has_kill": True, "has_n_waiting": True},
    )


def suite(url: str, args: argparse.Namespace) -> None:
    driver = "NamedProcessDriver"
    route(driver)
    cfg = CheckSettings(examples=args.examples, budget=args.budget, seed=args.seed)
    result = check(target(url, RedisNamedBarriers, f"bench-{driver}"), "grinder", settings_=cfg)
    print(f"\n### The whole grinder suite ({driver})\n")
    print("| property | verdict | programs | seconds |\n|---|---|---|---|")
    for p in result.properties:
        if p.status != "n/a":
            print(f"| {p.name} | {p.status} | {p.programs} | {p.seconds:.1f} |")
    searched = [
        p for p in result.properties if p.status != "n/a" and p.name != "model-generated tests"
    ]
    programs = sum(p.programs for p in searched)
    seconds = sum(p.seconds for p in searched)
    print(
        f"\nverdict: {'conformant' if result.conformant else 'NOT conformant'} in "
        f"{result.seconds:.1f} s; searched properties: {programs} programs in {seconds:.1f} s "
        f"= {programs / seconds:.1f} programs/s; {result.properties[-1].note}"
    )


def rejections(url: str, args: argparse.Namespace) -> None:
    route("NamedProcessDriver")
    print("\n### Time to reject a broken registry (NamedProcessDriver)\n")
    print("| registry | property | verdict | programs (search + shrink) | seconds | minimal |")
    print("|---|---|---|---|---|---|")
    for cls, prop in ((CancelWithoutRecheck, "cancellation"), (TimeoutKeepsMember, "membership")):
        cfg = CheckSettings(
            examples=args.examples, budget=args.budget * 4, seed=args.seed, only=(prop,)
        )
        result = check(target(url, cls, f"bench-{cls.__name__}"), "grinder", settings_=cfg)
        (p,) = result.properties
        steps = len(p.counterexample.steps) if p.counterexample else "-"
        print(
            f"| {cls.__name__} | {prop} | {p.status} | {p.programs} | {p.seconds:.1f} | "
            f"{steps} steps |"
        )


def program_cost(url: str, repeats: int = 10) -> None:
    """Start 3 participants, 2 joins, 5 operations, close: the mean of each part."""
    tgt = target(url, RedisNamedBarriers, "bench-cost")
    parts = {"start (fork 3 processes)": 0.0, "2 joins": 0.0, "5 operations": 0.0, "close": 0.0}
    for _ in range(repeats):
        marks = [time.perf_counter()]
        driver = NamedProcessDriver(tgt, 0, 3, settle=3.0)
        marks.append(time.perf_counter())
        driver.perform(ad.JoinOp(0))
        driver.perform(ad.JoinOp(1))
        marks.append(time.perf_counter())
        for op in (ad.WaitOp(0), ad.CancelOp(1), ad.JoinOp(1), ad.WaitOp(1), ad.WaitOp(0)):
            driver.perform(op)
        marks.append(time.perf_counter())
        driver.close()
        marks.append(time.perf_counter())
        for name, a, b in zip(parts, marks, marks[1:], strict=False):
            parts[name] += b - a
    print(f"\n### One program's cost (mean of {repeats})\n")
    print("| part | ms |\n|---|---|")
    for name, total in parts.items():
        print(f"| {name} | {1000 * total / repeats:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--budget", type=float, default=3.0)
    parser.add_argument("--examples", type=int, default=50)
    parser.add_argument("--url")
    args = parser.parse_args()
    version = (
        subprocess.run(["redis-server", "--version"], capture_output=True, text=True, check=False)
        .stdout.split()[2]
        .removeprefix("v=")
    )
    print(
        f"nproc={os.cpu_count()} python={platform.python_version()} redis-server {version} "
        f"load={os.getloadavg()[0]:.1f} lease={LEASE} s"
    )
    server = None
    if args.url is None:
        server = RedisServer()
        server.start()
    url = args.url or server.url  # type: ignore[union-attr]
    try:
        program_cost(url)
        suite(url, args)
        rejections(url, args)
    finally:
        if server is not None:
            server.close()
    print(f"\nload at end={os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
