"""Soak driver: workers on Redis named barriers with random timeouts and cancels, recorded as a
history for the history checker. Used by tests/redis/test_redis_soak.py (threads, small) and by
benchmarks/redis_soak.py (processes, 10,000 rounds).

Each worker holds one member at a time, on one of a few names, and loops: wait with a long or a
short random timeout (a timeout withdraws the member: it joins again), sometimes with a cancel
fired from a timer thread during the wait (the cancelled member joins again), sometimes moving
to another name (cancel, join). Every call is recorded through the registry wrapped by a
:class:`~barrierspec.conformance.Recorder` (``time.monotonic()``: system-wide on Linux, so the
processes of one host share it). Workers stop when the coordinator sets the stop key, i.e. when
the names' rounds add up to the target.
"""

from __future__ import annotations

import random
import threading
import time

import redis

from barrierspec.conformance import Recorder
from barrierspec.errors import CancelledBarrierError
from barrierspec.reference import RedisNamedBarriers
from barrierspec.reference._redis_keys import BarrierKeys

NAMES = ("alpha", "beta:{γ}", "delta*")


def soak_worker(
    url: str,
    namespace: str,
    index: int,
    seed: int,
    recorder: Recorder,
    lease: float = 2.0,
    long_timeout: float = 2.0,
) -> None:
    """Run one worker until the stop key is set, every call recorded by ``recorder``."""
    rng = random.Random(seed * 1000 + index)
    plain = RedisNamedBarriers(url, lease=lease, namespace=namespace)
    registry = recorder.wrap(plain)  # records join, wait, cancel (worker = the calling thread)
    stop_key = f"{namespace}:soak-stop"
    control = redis.Redis.from_url(url)
    timers: list[threading.Timer] = []
    member = registry.barrier(rng.choice(NAMES))
    try:
        while not control.exists(stop_key):
            roll = rng.random()
            if roll < 0.02:  # move to another name
                member.cancel()
                member = registry.barrier(rng.choice(NAMES))
                continue
            timeout = long_timeout if rng.random() < 0.85 else rng.uniform(0.0, 0.05)
            if roll > 0.98:  # a cancel from another thread, racing with the wait
                timer = threading.Timer(rng.uniform(0.0, 0.02), member.cancel)
                timer.start()
                timers.append(timer)
            try:
                released = member.wait(timeout)
            except CancelledBarrierError:
                member = registry.barrier(member.name)
                continue
            if not released:
                member = registry.barrier(member.name)
        member.cancel()
    finally:
        for timer in timers:
            timer.join(5.0)
        plain.close()
        control.close()


def rounds_so_far(client: redis.Redis, namespace: str) -> int:
    """Rounds released so far over all soak names (read from the server's round counters)."""
    total = 0
    for name in NAMES:
        value = client.hget(BarrierKeys.of(namespace, name).meta, "round")
        total += int(value or 0)
    return total


def coordinate(url: str, namespace: str, target: int, deadline: float) -> int:
    """Set the stop key once ``target`` rounds were released or ``deadline`` seconds passed;
    return the rounds released by then."""
    client = redis.Redis.from_url(url)
    end = time.monotonic() + deadline
    try:
        while (done := rounds_so_far(client, namespace)) < target and time.monotonic() < end:
            time.sleep(0.05)  # the coordinator samples progress; the workers never sleep
        client.set(f"{namespace}:soak-stop", 1)
        return done
    finally:
        client.close()
