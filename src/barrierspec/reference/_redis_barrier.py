"""Grinder-style named barriers shared through a Redis server by processes on any host.

``RedisNamedBarriers(url)`` is a registry, one per process (or per thread group); it holds one
connection pool and one lease-renewer thread. ``registry.barrier(name)`` creates a member of the
barrier ``name`` (N + 1), exactly like The Grinder's ``grinder.barrier(name)``: for each name
the server counts the members N and the waiting members W, and whenever ``W == N > 0`` every
waiting member is released and a new round begins. There is no fixed number of parties and no
broken state: a timeout, a cancel, an expired lease withdraw one member (N - 1) and may release
the others.

Failure semantics (the Grinder console's, with leases in place of process reports):

* each member holds a lease (``lease`` seconds, on the server's clock) that this registry's
  renewer thread extends every ``lease / 3`` seconds. A member whose process dies or stops
  renewing is withdrawn by the first script of any live member of the name after its deadline
  (renewals run such a script every ``lease / 3`` seconds), so the others are released or time
  out; they never hang on it;
* a member that comes back after being withdrawn gets MemberExpiredError (a
  CancelledBarrierError) on its next operation or in the wait it was in: it is never counted
  twice;
* a server that lost the state (restart without persistence, FLUSHALL, eviction) is detected by
  the epoch every member carries: each member of the lost state gets BarrierStateLostError,
  never a release;
* a broken connection is retried, every script being idempotent, for a reconnect window of one
  lease (at least 1 s); past it the operation raises BarrierConnectionError.

See :mod:`._redis_scripts` for the transitions and :mod:`._redis_keys` for the key layout.
"""

from __future__ import annotations

import math
import threading
import time
import urllib.parse
import uuid
from typing import Any

import redis
import redis.exceptions

from barrierspec.errors import InvalidOperationError, UsageError
from barrierspec.reference._redis_errors import (
    BarrierConnectionError,
    BarrierStateLostError,
    MemberExpiredError,
)
from barrierspec.reference._redis_keys import BarrierKeys, validate_namespace
from barrierspec.reference._redis_lease import LeaseRenewer, Renewable
from barrierspec.reference._redis_member import RedisBarrierMember, _Phase, _text
from barrierspec.reference._redis_scripts import Scripts

__all__ = [
    "BarrierConnectionError",
    "BarrierStateLostError",
    "MemberExpiredError",
    "RedisBarrierMember",
    "RedisNamedBarriers",
]

_TRANSIENT = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
# Subclasses of ConnectionError that retrying cannot fix.
_FATAL = (redis.exceptions.AuthenticationError, redis.exceptions.AuthorizationError)


def _socket_timeout(client: Any) -> float | None:
    """The read timeout of the client's connections (redis-py's default applies when unset)."""
    pool = client.connection_pool
    try:  # building a connection object does no I/O
        timeout = pool.connection_class(**pool.connection_kwargs).socket_timeout
    except Exception:  # an unusual pool: fall back to what was passed
        timeout = pool.connection_kwargs.get("socket_timeout")
    return None if timeout is None else float(timeout)


def _redact(url: str) -> str:
    """``url`` without its password, for messages and reprs."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


_MIN_RETENTION = 3600.0


class RedisNamedBarriers:
    """A registry of Grinder-style named barriers stored in the Redis server at ``url``.

    ``url`` is passed to ``redis.Redis.from_url`` with ``client_kwargs``: ``redis://``,
    ``rediss://`` (TLS), ``unix://``, user and password in the URL or as ``username=`` /
    ``password=``, TLS options as ``ssl_ca_certs=`` etc. ``lease`` (seconds, > 0) is how long a
    member stays counted without renewal; ``namespace`` prefixes every key.
    """

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        lease: float = 5.0,
        namespace: str = "barrierspec",
        **client_kwargs: Any,
    ) -> None:
        if isinstance(lease, bool) or not isinstance(lease, int | float):
            raise UsageError(f"lease must be a number of seconds, got {lease!r}")
        if not (math.isfinite(lease) and lease >= 0.05):
            raise UsageError(f"lease must be a finite number of seconds >= 0.05, got {lease!r}")
        self.namespace = validate_namespace(namespace)
        self.lease = float(lease)
        self.url = _redact(url)
        self._lease_ms = max(1, round(self.lease * 1000))
        self._retention_ms = round(max(_MIN_RETENTION, 10 * self.lease) * 1000)
        self._reconnect = max(1.0, self.lease)
        self._client = redis.Redis.from_url(url, **client_kwargs)
        socket_timeout = _socket_timeout(self._client)
        self._heartbeat = self.lease
        if socket_timeout:  # a blocking read must return before the socket times out
            self._heartbeat = min(self._heartbeat, max(0.05, 0.8 * float(socket_timeout)))
        self._scripts = Scripts(self._client)
        self._closed = False
        self._renewer = LeaseRenewer(
            self._renew, self.lease / 3, name=f"barrierspec-redis-lease-{id(self):x}"
        )
        self._ids = f"{uuid.uuid4().hex[:16]}-"
        self._counter = 0
        self._counter_lock = threading.Lock()

    # -- public API -------------------------------------------------------------------------

    def barrier(self, name: str) -> RedisBarrierMember:
        """Create a member of the barrier ``name`` (N + 1 on the server) and return it.

        The member's lease is renewed by this registry until it is cancelled, times out or the
        registry is closed. Raises UsageError for a name that is not a str,
        InvalidOperationError after ``close()``, BarrierConnectionError if the server is
        unreachable.
        """
        if self._closed:
            raise InvalidOperationError(f"the registry for {self.url} is closed")
        keys = BarrierKeys.of(self.namespace, name)
        with self._counter_lock:
            self._counter += 1
            member_id = f"{self._ids}{self._counter}"
        reply = self._run("join", keys, uuid.uuid4().hex, [self._lease_ms, member_id])
        member = RedisBarrierMember(self, keys, member_id, _text(reply[0]))
        self._renewer.add(member.id, member)
        return member

    def members(self, name: str) -> int:
        """N: the number of live members of ``name`` (expired leases are withdrawn first)."""
        return self._counts(name)[0]

    def waiting(self, name: str) -> int:
        """W: the number of members of ``name`` waiting in the current round."""
        return self._counts(name)[1]

    def close(self) -> None:
        """Cancel this registry's live members, stop the renewer, close the connections.

        Idempotent. Waiters of this registry get CancelledBarrierError. Members that cannot be
        cancelled (server unreachable) are withdrawn by the server when their leases expire.
        """
        if self._closed:
            return
        self._closed = True
        for member in self._renewer.live():
            try:
                if isinstance(member, RedisBarrierMember):
                    member.cancel()
            except (BarrierConnectionError, BarrierStateLostError, *_TRANSIENT):
                continue
        self._renewer.stop(timeout=max(2.0, self.lease))
        self._client.close()

    def __enter__(self) -> RedisNamedBarriers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"{len(self._renewer.live())} live members"
        return f"<RedisNamedBarriers {self.url!r} namespace={self.namespace!r} {state}>"

    # -- used by members and the renewer ----------------------------------------------------

    def _run(self, script: str, keys: BarrierKeys, epoch: str, args: list[Any]) -> Any:
        """Run a script; retry a broken connection for the reconnect window (scripts are
        idempotent), then raise BarrierConnectionError."""
        call = getattr(self._scripts, script)
        full_args = [epoch, keys.release_prefix, self._retention_ms, *args]
        give_up = time.monotonic() + self._reconnect
        pause = 0.02
        while True:
            try:
                return call(keys=keys.script_keys, args=full_args)
            except _FATAL:
                raise
            except _TRANSIENT as exc:
                if time.monotonic() + pause > give_up:
                    raise BarrierConnectionError(
                        f"Redis at {self.url} unreachable for {self._reconnect:g} s while running "
                        f"{script.upper()} on barrier {keys.name!r}: {exc}"
                    ) from exc
                time.sleep(pause)  # back-off between reconnection attempts, not a poll
                pause = min(0.25, pause * 2)

    def _block(self, key: str, seconds: float) -> str | None:
        """Block on the server for the head token of ``key`` (not consumed); None on timeout
        or on a broken connection (the caller's STATUS then reconnects)."""
        try:
            timeout: Any = max(0.001, seconds)  # Redis >= 6 takes fractional seconds
            token = self._client.blmove(key, key, timeout, "LEFT", "LEFT")
        except _FATAL:
            raise
        except _TRANSIENT:
            return None
        return None if token is None else _text(token)

    def _push_token(self, keys: BarrierKeys, member_id: str, token: str) -> None:
        """Wake a local waiter of a lost state (best effort)."""
        key = keys.release(member_id)
        try:
            pipe = self._client.pipeline(transaction=True)
            pipe.rpush(key, token)
            pipe.pexpire(key, self._retention_ms)
            pipe.execute()
        except _TRANSIENT:
            return

    def _forget(self, member: RedisBarrierMember) -> None:
        self._renewer.discard(member.id)

    def _renew(self, name: str, epoch: str, members: list[Renewable]) -> None:
        keys = BarrierKeys.of(self.namespace, name)
        by_id = {m.id: m for m in members if isinstance(m, RedisBarrierMember)}
        reply = self._scripts.renew(
            keys=keys.script_keys,
            args=[epoch, keys.release_prefix, self._retention_ms, self._lease_ms, *by_id],
        )
        if _text(reply[0]) == "lost":
            for member in by_id.values():
                if member._mark_withdrawn(_Phase.LOST):
                    self._push_token(keys, member.id, "l")
            return
        for gone in reply[1]:
            expired = by_id.get(_text(gone))
            if expired is not None:
                expired._mark_withdrawn(_Phase.EXPIRED)

    def _counts(self, name: str) -> tuple[int, int]:
        keys = BarrierKeys.of(self.namespace, name)
        n, w = self._run("counts", keys, "", [])
        return int(n), int(w)
