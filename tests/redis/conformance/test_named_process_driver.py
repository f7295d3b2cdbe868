"""NamedProcessDriver against a real redis-server: one process, one registry per participant."""

from __future__ import annotations

import functools
import multiprocessing
import socket
import sys
import threading
from collections.abc import Callable, Iterator

import pytest
import redis
from _broken_redis import HangingRegistry
from _server import RedisServer
from _util import eventually

from barrierspec.adapters import (
    CancelOp,
    Capabilities,
    JoinOp,
    KillOp,
    NamedProcessDriver,
    OpReturned,
    Snapshot,
    StepReport,
    Target,
    WaitOp,
)
from barrierspec.adapters._blocking_reads import observe_participant
from barrierspec.adapters._probe import Observation, Probe
from barrierspec.errors import UsageError

SETTLE = 3.0


def view(step: StepReport) -> dict[int, object]:
    return {p: (o.value if isinstance(o, OpReturned) else o.kind) for p, o in step.returned.items()}


def counts(step: StepReport) -> tuple[int | None, int | None]:
    assert step.snapshot is not None
    return step.snapshot.n_waiting, step.snapshot.parties


def participants_alive() -> list[str]:
    return [p.name for p in multiprocessing.active_children() if p.name.startswith("barrierspec-")]


def test_members_in_separate_processes_trip_together_and_a_cancel_releases_the_rest(
    redis_target: Callable[..., Target],
) -> None:
    with NamedProcessDriver(redis_target(), 0, 3, settle=SETTLE) as driver:
        assert driver.capabilities.named and driver.capabilities.has_kill
        for p in range(3):
            assert view(driver.perform(JoinOp(p))) == {p: None}
        step = driver.perform(WaitOp(0))
        assert (step.blocked, counts(step)) == ({0}, (1, 3))
        step = driver.perform(WaitOp(1))
        assert (step.blocked, counts(step)) == ({0, 1}, (2, 3))
        assert "in a server-side BLMOVE" in driver._observe(0).where
        step = driver.perform(CancelOp(2))  # from P2's own process: the last non-waiter leaves
        assert step.control == OpReturned(None)
        assert (view(step), step.blocked, counts(step)) == ({0: True, 1: True}, set(), (0, 2))
        assert view(driver.perform(WaitOp(2))) == {2: "cancelled_barrier"}
        assert view(driver.perform(WaitOp(0, timeout=0.05))) == {0: False}  # P1 does not wait


def test_a_cancel_reaches_a_member_blocked_in_its_process(
    redis_target: Callable[..., Target],
) -> None:
    with NamedProcessDriver(redis_target(), 0, 2, settle=SETTLE) as driver:
        driver.perform(JoinOp(0))
        driver.perform(JoinOp(1))
        assert driver.perform(WaitOp(0)).blocked == {0}
        step = driver.perform(CancelOp(0))
        assert (step.control, view(step), counts(step)) == (
            OpReturned(None),
            {0: "cancelled_barrier"},
            (0, 1),
        )
        assert view(driver.perform(JoinOp(0))) == {0: None}  # a cancelled member may rejoin
        assert counts(driver.perform(WaitOp(1))) == (1, 2)


def test_a_killed_member_is_withdrawn_after_its_lease_and_the_survivor_released(
    redis_target: Callable[..., Target],
) -> None:
    with NamedProcessDriver(redis_target(lease=0.5), 0, 2, settle=SETTLE) as driver:
        driver.perform(JoinOp(0))
        driver.perform(JoinOp(1))
        assert driver.perform(WaitOp(0)).blocked == {0}
        step = driver.perform(KillOp(1))
        assert (view(step), step.dead, step.blocked) == ({0: True}, {1}, set())
        assert step.snapshot == Snapshot(0, None, 1)
        assert any("member withdrawn after" in line for line in step.log), step.log
    assert participants_alive() == []


def test_a_wait_that_never_returns_is_a_hang_and_close_ends_every_process() -> None:
    caps = Capabilities(has_timeout=True, has_cancel=True, named=True)
    target = Target("hanging", "named", HangingRegistry, caps)
    driver = NamedProcessDriver(target, 0, 2, settle=0.3)
    try:
        driver.perform(JoinOp(0))
        step = driver.perform(WaitOp(0))
        assert step.hang is not None and step.hang.participants == {0}
        assert "neither returning nor blocked" in step.hang.message
        assert step.snapshot is None  # the registry has no members()/waiting()
        with pytest.raises(UsageError, match="participant 0 is stuck after a hang"):
            driver.perform(WaitOp(0))
    finally:
        driver.close()
    assert driver.leaked == ()
    assert participants_alive() == []


def test_spawned_participants_build_their_registries_from_a_picklable_factory(
    redis_server: RedisServer,
    namespace: str,
) -> None:
    from barrierspec.adapters import target_from
    from barrierspec.reference._redis_barrier import RedisNamedBarriers

    factory = functools.partial(
        RedisNamedBarriers, redis_server.url, lease=2.0, namespace=namespace
    )
    target = target_from(factory, kind="named")
    with NamedProcessDriver(target, 0, 2, start_method="spawn", settle=SETTLE) as driver:
        driver.perform(JoinOp(0))
        driver.perform(JoinOp(1))
        assert driver.perform(WaitOp(0)).blocked == {0}
        assert view(driver.perform(WaitOp(1))) == {0: True, 1: True}


def test_usage_errors_name_the_rule(redis_target: Callable[..., Target]) -> None:
    with pytest.raises(UsageError, match="drives named-barrier registries; target 'threading'"):
        NamedProcessDriver("threading", 2, 2)
    with NamedProcessDriver(redis_target(), 0, 2, settle=SETTLE) as driver:
        with pytest.raises(UsageError, match="participant 1 has no member yet: JoinOp first"):
            driver.perform(WaitOp(1))
        driver.perform(JoinOp(1))
        with pytest.raises(UsageError, match="already holds a live member; cancel it first"):
            driver.perform(JoinOp(1))
        driver.perform(JoinOp(0))  # P1 alone would trip at once
        assert view(driver.perform(WaitOp(1, timeout=0.05))) == {1: False}
        assert view(driver.perform(JoinOp(1))) == {1: None}  # the timeout withdrew it


# -- blocked means: in a server-side blocking read ------------------------------------------


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP server that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.05)  # so that the accepting thread sees `stop`
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(5)
        listener.close()
        for conn in accepted:
            conn.close()


def _observed(call: Callable[[], object], until: Callable[[Observation], bool]) -> Observation:
    """Run ``call`` in a probed thread; the first observation satisfying ``until``."""
    probe = Probe()
    seen: list[Observation] = []

    def run() -> None:
        probe.install()
        try:
            call()
        except Exception:
            pass
        finally:
            sys.setprofile(None)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def look() -> bool:
        seen.append(observe_participant(probe))
        return until(seen[-1])

    eventually(look, 10.0, "the expected observation")
    return seen[-1]


def test_a_blmove_waiting_on_the_server_is_blocked_and_an_unanswered_get_is_running(
    redis_server: RedisServer,
    silent_server: int,
    namespace: str,
) -> None:
    client = redis.Redis.from_url(redis_server.url)
    silent = redis.Redis(host="127.0.0.1", port=silent_server, socket_timeout=3)
    try:
        key = f"{namespace}:list"
        blocked = _observed(
            lambda: client.blmove(key, key, 3, "LEFT", "LEFT"),
            lambda o: o.where == "in a server-side BLMOVE",
        )
        assert blocked.blocked
        client.rpush(key, "go")  # ends the BLMOVE
        running = _observed(lambda: silent.get("k"), lambda o: o.where == "awaiting a server reply")
        assert not running.blocked
    finally:
        client.close()
        silent.close()
