"""Behaviour of RedisNamedBarriers against a real redis-server: Grinder semantics."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from _server import RedisServer
from _util import Threads, eventually, outcome

from barrierspec.errors import CancelledBarrierError, InvalidOperationError, UsageError
from barrierspec.reference import BarrierStateLostError, MemberExpiredError, RedisNamedBarriers


@pytest.fixture
def registry(redis_server: RedisServer, namespace: str) -> Iterator[RedisNamedBarriers]:
    reg = RedisNamedBarriers(redis_server.url, lease=2.0, namespace=namespace)
    try:
        yield reg
    finally:
        reg.close()


@pytest.fixture
def threads() -> Iterator[Threads]:
    t = Threads()
    try:
        yield t
    finally:
        t.close()


def test_members_are_released_together_when_all_wait(registry, threads) -> None:
    a, b, c = (registry.barrier("go") for _ in range(3))
    assert (registry.members("go"), registry.waiting("go")) == (3, 0)
    fa, fb = threads.start(a.wait, 10), threads.start(b.wait, 10)
    eventually(lambda: registry.waiting("go") == 2, what="two waiters")
    assert not fa.done() and not fb.done()
    assert c.wait(10) is True
    assert outcome(fa) is True and outcome(fb) is True
    assert a.last_round == b.last_round == c.last_round
    assert (registry.members("go"), registry.waiting("go")) == (3, 0)


def test_members_are_reused_round_after_round(registry, threads) -> None:
    a, b = registry.barrier("loop"), registry.barrier("loop")
    rounds = []
    for _ in range(5):
        fa = threads.start(a.wait, 10)
        assert b.wait(10) is True
        assert outcome(fa) is True
        assert a.last_round == b.last_round
        rounds.append(a.last_round)
    assert rounds == list(range(rounds[0], rounds[0] + 5))


def test_a_lone_member_never_blocks(registry) -> None:
    solo = registry.barrier("solo")
    assert solo.wait(0) is True
    assert solo.wait(None) is True


def test_timeout_returns_false_and_withdraws_the_member(registry, threads) -> None:
    a, b, c = (registry.barrier("t") for _ in range(3))
    fa = threads.start(a.wait, 10)
    eventually(lambda: registry.waiting("t") == 1)
    assert b.wait(0.05) is False
    assert b.cancelled
    assert registry.members("t") == 2
    with pytest.raises(CancelledBarrierError, match="is cancelled"):
        b.wait(1)
    assert c.wait(10) is True  # N = 2 now: a and c release each other
    assert outcome(fa) is True


def test_a_timeout_of_the_last_non_waiter_releases_the_others(registry, threads) -> None:
    a, b, late = (registry.barrier("last") for _ in range(3))
    fa, fb = threads.start(a.wait, 10), threads.start(b.wait, 10)
    eventually(lambda: registry.waiting("last") == 2)
    late.cancel()
    assert outcome(fa) is True and outcome(fb) is True
    assert registry.members("last") == 2


def test_cancel_from_another_thread_interrupts_the_wait(registry, threads) -> None:
    a, _b = registry.barrier("c"), registry.barrier("c")
    fa = threads.start(a.wait, 10)
    eventually(lambda: registry.waiting("c") == 1)
    a.cancel()
    assert outcome(fa) == "CancelledBarrierError"
    a.cancel()  # idempotent
    assert a.cancelled and registry.members("c") == 1
    with pytest.raises(CancelledBarrierError):
        a.wait(0)


def test_a_second_concurrent_wait_on_one_member_is_invalid(registry, threads) -> None:
    a, _b = registry.barrier("twice"), registry.barrier("twice")
    fa = threads.start(a.wait, 10)
    eventually(lambda: registry.waiting("twice") == 1)
    with pytest.raises(InvalidOperationError, match="one wait at a time"):
        a.wait(1)
    a.cancel()
    assert outcome(fa) == "CancelledBarrierError"


NASTY_NAMES = ["a:b", "a%3Ab", "{x}", "}{", "*", "a*", "new\nline", "ünï©ødé ☃", "", ":b:{", "%"]


def test_names_are_escaped_and_never_collide(registry, redis_server, namespace) -> None:
    members = [registry.barrier(name) for name in NASTY_NAMES]
    for name in NASTY_NAMES:
        assert registry.members(name) == 1, name
    client = redis.Redis.from_url(redis_server.url)
    try:
        keys = [k.decode() for k in client.scan_iter(match=f"{namespace}:*")]
    finally:
        client.close()
    tags = {k.split("{", 1)[1].split("}", 1)[0] for k in keys}
    assert len(tags) == len(NASTY_NAMES)
    for key in keys:
        assert key.startswith(f"{namespace}:b:{{") and key.count("{") == key.count("}") == 1
        assert "\n" not in key and "*" not in key
    for member in members:
        assert member.wait(1) is True  # each name has a single member


def test_bad_arguments_are_usage_errors(redis_server) -> None:
    with pytest.raises(UsageError, match="namespace must be"):
        RedisNamedBarriers(redis_server.url, namespace="a:b")
    with pytest.raises(UsageError, match="lease must be"):
        RedisNamedBarriers(redis_server.url, lease=0)
    with RedisNamedBarriers(redis_server.url, namespace="usage") as reg:
        with pytest.raises(UsageError, match="must be a str"):
            reg.barrier(42)  # type: ignore[arg-type]
        member = reg.barrier("u")
        with pytest.raises(UsageError, match="timeout must be"):
            member.wait(float("nan"))
    with pytest.raises(InvalidOperationError, match="closed"):
        reg.barrier("u")


def test_close_cancels_the_registry_members(redis_server, namespace, threads) -> None:
    other = RedisNamedBarriers(redis_server.url, namespace=namespace)
    reg = RedisNamedBarriers(redis_server.url, namespace=namespace)
    try:
        keep = other.barrier("close")
        gone = reg.barrier("close")
        fg = threads.start(gone.wait, 10)
        eventually(lambda: other.waiting("close") == 1)
        reg.close()
        assert outcome(fg) == "CancelledBarrierError"
        assert other.members("close") == 1 and keep.wait(1) is True
    finally:
        other.close()


def test_flushed_state_is_reported_to_waiters_not_taken_for_a_release(
    redis_server, namespace, threads
) -> None:
    reg = RedisNamedBarriers(redis_server.url, lease=1.0, namespace=namespace)
    try:
        a, b = reg.barrier("lost"), reg.barrier("lost")
        fa = threads.start(a.wait, 15)
        eventually(lambda: reg.waiting("lost") == 1)
        client = redis.Redis.from_url(redis_server.url)
        try:
            for key in client.scan_iter(match=f"{namespace}:*"):
                client.delete(key)
        finally:
            client.close()
        assert outcome(fa) == "BarrierStateLostError"
        with pytest.raises(BarrierStateLostError):
            b.wait(1)
    finally:
        reg.close()


def test_an_expired_member_learns_it_on_its_next_operation(redis_server, namespace) -> None:
    watcher = RedisNamedBarriers(redis_server.url, lease=2.0, namespace=namespace)
    stalled = RedisNamedBarriers(redis_server.url, lease=0.3, namespace=namespace)
    try:
        live = watcher.barrier("exp")
        frozen = stalled.barrier("exp")
        stalled._renewer.stop(timeout=5)  # this registry stops renewing, as if stopped
        eventually(lambda: watcher.members("exp") == 1, what="expired member withdrawn")
        with pytest.raises(MemberExpiredError, match="lease expired"):
            frozen.wait(1)
        assert watcher.members("exp") == 1 and live.wait(1) is True
    finally:
        watcher.close()
        stalled.close()


def test_tls_and_credentials_are_passed_to_the_client() -> None:
    reg = RedisNamedBarriers("rediss://user:secret@127.0.0.1:1/3", ssl_cert_reqs="none")
    try:
        kwargs = reg._client.connection_pool.connection_kwargs
        assert (kwargs["username"], kwargs["password"], kwargs["db"]) == ("user", "secret", 3)
        assert reg._client.connection_pool.connection_class.__name__ == "SSLConnection"
    finally:
        reg.close()


def test_password_protected_server() -> None:
    server = RedisServer(extra_args=("--requirepass", "s3cret"))
    server.password = "s3cret"
    server.start()
    try:
        url = f"redis://:s3cret@127.0.0.1:{server.port}/0"
        with RedisNamedBarriers(url) as reg:
            assert reg.barrier("auth").wait(1) is True
        with RedisNamedBarriers(f"redis://:wrong@127.0.0.1:{server.port}/0") as bad:
            assert "wrong" not in repr(bad)
            with pytest.raises(redis.exceptions.AuthenticationError):
                bad.barrier("auth")
    finally:
        server.close()


def test_scripts_are_idempotent_when_a_lost_reply_is_retried(registry) -> None:
    a, _b = registry.barrier("retry"), registry.barrier("retry")
    keys = a._keys
    args = [registry._lease_ms, a.id, "nonce-1"]
    first = registry._run("arrive", keys, a.epoch, args)
    again = registry._run("arrive", keys, a.epoch, args)  # the same arrival, retried
    assert first[0] == again[0] == b"waiting"
    assert registry.waiting("retry") == 1  # counted once
    gave_up = registry._run("status", keys, a.epoch, [a.id, "1"])
    retried = registry._run("status", keys, a.epoch, [a.id, "1"])
    assert gave_up == retried == [b"token", b"t"]  # the timeout is reported, not "expired"
    assert registry.members("retry") == 1
    cancel = registry._run("cancel", keys, a.epoch, [a.id])
    assert cancel == [b"gone"]


def test_blocking_reads_stay_shorter_than_the_socket_timeout(redis_server) -> None:
    with RedisNamedBarriers(redis_server.url, lease=30.0) as default:
        assert default._heartbeat < 5.0  # redis-py's default socket timeout is 5 s
    with RedisNamedBarriers(redis_server.url, lease=30.0, socket_timeout=None) as unbounded:
        assert unbounded._heartbeat == 30.0
