"""Soak driver: workers on Redis named barriers with random timeouts and cancels, recorded as a
history for the history checker. Used by tests/redis/test_redis_soak.py (threads, small) and by
benchmarks/redis_soak.py (processes, 10,000 rounds).

Each worker holds one member at a time, on one of a few names, and loops: wait with a long or a
short random timeout (a timeout withdraws the member: it joins again), sometimes with a cancel
fired from a timer thread during the wait (the cancelled member joins again), sometimes moving
to another name (cancel, join). Every call is recorded with its invoke and response times on
``time.monotonic()`` (system-wide on Linux, so processes of one host share it). Workers stop when
the coordinator sets the stop key, i.e. when the names' rounds add up to the target.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import redis

from barrierspec.errors import CancelledBarrierError
from barrierspec.reference._redis_barrier import RedisBarrierMember, RedisNamedBarriers
from barrierspec.reference._redis_keys import BarrierKeys

NAMES = ("alpha", "beta:{γ}", "delta*")


def _op(
    worker: str,
    kind: str,
    member: RedisBarrierMember,
    t0: float,
    t1: float,
    outcome: str,
    rnd: int | None = None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "worker": worker,
        "barrier": member.name,
        "kind": kind,
        "member": member.id,
        "invoke": t0,
        "response": t1,
        "outcome": outcome,
    }
    if rnd is not None:
        entry["round"] = rnd
    return entry


def soak_worker(
    url: str, namespace: str, index: int, seed: int, lease: float = 2.0, long_timeout: float = 2.0
) -> list[dict[str, Any]]:
    """Run one worker until the stop key is set; return its recorded operations."""
    rng = random.Random(seed * 1000 + index)
    worker = f"w{index}"
    ops: list[dict[str, Any]] = []
    lock = threading.Lock()  # the timer threads append too
    registry = RedisNamedBarriers(url, lease=lease, namespace=namespace)
    stop_key = f"{namespace}:soak-stop"
    control = redis.Redis.from_url(url)
    cancels = 0

    def join(name: str) -> RedisBarrierMember:
        t0 = time.monotonic()
        member = registry.barrier(name)
        with lock:
            ops.append(_op(worker, "join", member, t0, time.monotonic(), "ok"))
        return member

    def cancel(member: RedisBarrierMember, who: str) -> None:
        t0 = time.monotonic()
        member.cancel()
        with lock:
            ops.append(_op(who, "cancel", member, t0, time.monotonic(), "ok"))

    timers: list[threading.Timer] = []
    member = join(rng.choice(NAMES))
    try:
        while not control.exists(stop_key):
            roll = rng.random()
            if roll < 0.02:  # move to another name
                cancel(member, worker)
                member = join(rng.choice(NAMES))
                continue
            timeout = long_timeout if rng.random() < 0.85 else rng.uniform(0.0, 0.05)
            if roll > 0.98:  # a cancel from another thread, racing with the wait
                cancels += 1
                timer = threading.Timer(
                    rng.uniform(0.0, 0.02), cancel, (member, f"{worker}/c{cancels}")
                )
                timer.start()
                timers.append(timer)
            t0 = time.monotonic()
            try:
                released = member.wait(timeout)
            except CancelledBarrierError:
                with lock:
                    ops.append(_op(worker, "wait", member, t0, time.monotonic(), "cancelled"))
                member = join(member.name)
                continue
            t1 = time.monotonic()
            with lock:
                if released:
                    ops.append(_op(worker, "wait", member, t0, t1, "ok", member.last_round))
                else:
                    ops.append(_op(worker, "wait", member, t0, t1, "timeout"))
            if not released:
                member = join(member.name)
        cancel(member, worker)
    finally:
        for timer in timers:
            timer.join(5.0)
        registry.close()
        control.close()
    return ops


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
