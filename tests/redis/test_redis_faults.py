"""Fault tests with real signals: members in separate processes (one per simulated host)."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator

import pytest
from _procs import MemberProcess
from _server import RedisServer
from _util import eventually

from barrierspec.reference import RedisNamedBarriers

LEASE = 1.0

Spawn = Callable[[str], MemberProcess]


@pytest.fixture
def spawn(redis_server: RedisServer, namespace: str) -> Iterator[Spawn]:
    started: list[MemberProcess] = []

    def start(name: str, server: RedisServer = redis_server) -> MemberProcess:
        started.append(MemberProcess(server.url, namespace, name, LEASE))
        return started[-1]

    yield start
    for proc in started:
        proc.kill()


@pytest.fixture
def registry(redis_server: RedisServer, namespace: str) -> Iterator[RedisNamedBarriers]:
    reg = RedisNamedBarriers(redis_server.url, lease=LEASE, namespace=namespace)
    yield reg
    reg.close()


def test_kill_9_of_a_waiting_member_withdraws_it_and_releases_the_others(spawn, registry) -> None:
    a, b, victim = spawn("k"), spawn("k"), spawn("k")
    mine = registry.barrier("k")
    for proc in (a, b, victim):
        proc.send("wait 30")
    eventually(lambda: registry.waiting("k") == 3, what="three waiting processes")
    victim.kill()
    killed_at = time.monotonic()
    eventually(lambda: registry.members("k") == 3, what="the killed member withdrawn")
    assert time.monotonic() - killed_at < 10 * LEASE
    assert registry.waiting("k") == 2  # a and b still wait: for mine, not for the dead one
    assert mine.wait(30) is True
    assert a.result() is True and b.result() is True
    assert registry.members("k") == 3  # a, b and mine: the victim is gone, counted once


def test_kill_9_of_an_idle_member_unblocks_the_waiters(spawn, registry) -> None:
    a, victim = spawn("idle"), spawn("idle")
    mine = registry.barrier("idle")
    a.send("wait 30")
    eventually(lambda: registry.waiting("idle") == 1)
    victim.kill()
    assert mine.wait(30) is True
    assert a.result() is True


def test_sigstop_past_the_lease_then_sigcont_reports_member_expired(spawn, registry) -> None:
    a, stopped = spawn("stop"), spawn("stop")
    mine = registry.barrier("stop")
    a.send("wait 30")
    stopped.send("wait 30")
    eventually(lambda: registry.waiting("stop") == 2)
    stopped.signal(signal.SIGSTOP)
    try:
        eventually(lambda: registry.members("stop") == 2, what="stopped member withdrawn")
        assert mine.wait(30) is True  # a and mine: the stopped member is not waited for
        assert a.result() is True
    finally:
        stopped.signal(signal.SIGCONT)
    assert stopped.result() == "MemberExpiredError"
    assert registry.members("stop") == 2  # never counted twice


def test_an_idle_member_stopped_past_its_lease_learns_it_on_its_next_wait(spawn, registry) -> None:
    stopped = spawn("stop-idle")
    mine = registry.barrier("stop-idle")
    stopped.signal(signal.SIGSTOP)
    try:
        eventually(lambda: registry.members("stop-idle") == 1, what="stopped member withdrawn")
    finally:
        stopped.signal(signal.SIGCONT)
    stopped.send("wait 5")
    assert stopped.result() == "MemberExpiredError"
    assert registry.members("stop-idle") == 1 and mine.wait(5) is True


def test_redis_restart_mid_round_is_a_state_loss_never_a_release(own_redis_server) -> None:
    server = own_redis_server
    procs = [MemberProcess(server.url, "restart", "r", LEASE) for _ in range(2)]
    try:
        reg = RedisNamedBarriers(server.url, lease=LEASE, namespace="restart")
        _mine = reg.barrier("r")
        for proc in procs:
            proc.send("wait 30")
        eventually(lambda: reg.waiting("r") == 2)
        server.kill()
        server.start()
        results = [proc.result() for proc in procs]
        assert results == ["BarrierStateLostError"] * 2
        # A new member starts a new state (new epoch) and works.
        fresh = reg.barrier("r")
        assert reg.members("r") == 1 and fresh.wait(5) is True
        reg.close()
    finally:
        for proc in procs:
            proc.kill()


def test_redis_gone_for_good_gives_a_connection_error_not_a_release(own_redis_server) -> None:
    server = own_redis_server
    procs = [MemberProcess(server.url, "gone", "g", LEASE) for _ in range(2)]
    try:
        reg = RedisNamedBarriers(server.url, lease=LEASE, namespace="gone")
        _mine = reg.barrier("g")
        for proc in procs:
            proc.send("wait 30")
        eventually(lambda: reg.waiting("g") == 2)
        server.kill()
        assert [proc.result() for proc in procs] == ["BarrierConnectionError"] * 2
        reg.close()
    finally:
        for proc in procs:
            proc.kill()
