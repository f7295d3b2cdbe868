"""One member of a Redis named barrier: the client side of the Grinder instance state machine.

Phases (local to the process; the server holds N, W and the rounds)::

    IDLE --wait--> WAITING --released (token r<k>)--> IDLE       wait returns True
                   WAITING --timeout (token t)------> CANCELLED  wait returns False
                   WAITING --cancel() (token c)-----> CANCELLED  wait: CancelledBarrierError
    any live --cancel()--> CANCELLED                              N - 1, idempotent
    any live --lease expired (token x / renewer)--> EXPIRED      MemberExpiredError
    any live --epoch mismatch (token l / renewer)--> LOST         BarrierStateLostError
    WAITING --server unreachable past the reconnect window--> LOST   BarrierConnectionError

A wait blocks on the server (``BLMOVE`` of the member's release list, in slices of at most one
lease so that a lost state is noticed without a broken connection), never by polling. A release
that reaches the server before the timeout or a cancel wins: the wait returns True (as in the
Grinder, where a wake-up that arrives before the timeout check wins). Members are reused round
after round; a second concurrent ``wait`` on one member is an InvalidOperationError.
"""

from __future__ import annotations

import enum
import math
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

from barrierspec.errors import CancelledBarrierError, InvalidOperationError, UsageError
from barrierspec.reference._redis_errors import (
    BarrierConnectionError,
    BarrierStateLostError,
    MemberExpiredError,
)

if TYPE_CHECKING:
    from barrierspec.reference._redis_barrier import RedisNamedBarriers
    from barrierspec.reference._redis_keys import BarrierKeys

__all__ = ["RedisBarrierMember"]


class _Phase(enum.Enum):
    IDLE = "idle"
    WAITING = "waiting"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    LOST = "lost"


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def deadline_of(timeout: float | None) -> float:
    """Monotonic deadline of a wait; ``inf`` for None. Negative timeouts act as 0."""
    if timeout is None:
        return math.inf
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or math.isnan(timeout):
        raise UsageError(f"timeout must be None or a number of seconds, got {timeout!r}")
    return time.monotonic() + max(0.0, float(timeout))


class RedisBarrierMember:
    """A member of the named barrier ``name``; created by ``RedisNamedBarriers.barrier(name)``.

    Creating it counted it (N + 1) on the server under the epoch it records. ``wait`` blocks
    until every member of the name waits (W == N) and returns True, or returns False when the
    timeout elapses first, which withdraws this member (N - 1) and may release the others.
    ``cancel()`` withdraws it from any thread. After a timeout, a cancel, an expired lease or a
    lost state the member is unusable; create a new one.
    """

    def __init__(
        self, registry: RedisNamedBarriers, keys: BarrierKeys, member_id: str, epoch: str
    ) -> None:
        self._registry = registry
        self._keys = keys
        self.id = member_id
        self.epoch = epoch
        self.last_round: int | None = None
        self._lock = threading.Lock()
        self._phase = _Phase.IDLE

    # -- public API -------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The barrier name this member belongs to."""
        return self._keys.name

    @property
    def cancelled(self) -> bool:
        """True once the member is withdrawn: cancelled, timed out, expired or lost."""
        return self._phase not in (_Phase.IDLE, _Phase.WAITING)

    @property
    def lease_group(self) -> tuple[str, str]:
        return (self._keys.name, self.epoch)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until all members of the name wait; True when released, False on timeout.

        ``timeout`` is in seconds (None: no limit; negative acts as 0). A timeout withdraws the
        member: it is cancelled (``cancelled`` becomes True) and the remaining members are
        released if they all wait. The round number released is kept in ``last_round``.

        Raises CancelledBarrierError if the member was cancelled (before or while waiting),
        MemberExpiredError if its lease expired, BarrierStateLostError if the server lost the
        barrier state, BarrierConnectionError if the server stayed unreachable for the reconnect
        window, InvalidOperationError if another thread is waiting on this member.
        """
        deadline = deadline_of(timeout)
        with self._lock:
            self._raise_if_unusable()
            if self._phase is _Phase.WAITING:
                raise InvalidOperationError(
                    f"one wait at a time per member: another thread is already waiting on "
                    f"member {self.id} of barrier {self.name!r}"
                )
            self._phase = _Phase.WAITING
        finished = False
        try:
            result = self._wait(deadline)
            finished = True
            return result
        except (BarrierStateLostError, BarrierConnectionError):
            self._become(_Phase.LOST)
            finished = True
            raise
        except CancelledBarrierError:
            finished = True
            raise
        except Exception as exc:
            if self._phase is not _Phase.CANCELLED:
                raise
            # cancelled while waiting (e.g. by registry.close(), which then closes the
            # connection under the waiter): the cancellation is the outcome, not the I/O error
            finished = True
            raise CancelledBarrierError(
                f"member {self.id} of barrier {self.name!r} was cancelled while waiting"
            ) from exc
        finally:
            if not finished:  # KeyboardInterrupt and the like: withdraw, as Grinder does
                self._settle_interrupted()

    def cancel(self) -> None:
        """Withdraw this member (N - 1) from any thread; idempotent.

        A thread waiting on it raises CancelledBarrierError; the other members are released if
        every remaining one waits. A member already withdrawn (timeout, expiry, loss) is left
        as is. Raises BarrierConnectionError if the server is unreachable: the member is then
        no longer renewed and the server withdraws it when its lease expires.
        """
        with self._lock:
            if self.cancelled:
                return
            was_waiting = self._phase is _Phase.WAITING
            self._phase = _Phase.CANCELLED
        self._registry._forget(self)
        reply = self._registry._run("cancel", self._keys, self.epoch, [self.id])
        if _text(reply[0]) == "lost" and was_waiting:
            self._registry._push_token(self._keys, self.id, "l")

    def __repr__(self) -> str:
        return (
            f"<RedisBarrierMember {self.name!r} id={self.id} phase={self._phase.value} "
            f"last_round={self.last_round}>"
        )

    # -- called by the registry's renewer ---------------------------------------------------

    def _mark_withdrawn(self, phase: _Phase) -> bool:
        """The renewer learned the member is gone; True if it was waiting."""
        with self._lock:
            if self.cancelled:
                return False
            was_waiting = self._phase is _Phase.WAITING
            if not was_waiting:
                self._phase = phase
        self._registry._forget(self)
        return was_waiting

    # -- internals --------------------------------------------------------------------------

    def _raise_if_unusable(self) -> None:
        phase = self._phase
        where = f"member {self.id} of barrier {self.name!r}"
        if phase is _Phase.EXPIRED:
            raise MemberExpiredError(
                f"{where} was withdrawn because its lease expired (its process did not renew "
                f"it in time); create a new member"
            )
        if phase is _Phase.LOST:
            raise BarrierStateLostError(
                f"{where} belongs to a barrier state the server no longer holds (epoch "
                f"{self.epoch}); create a new member"
            )
        if phase is _Phase.CANCELLED:
            raise CancelledBarrierError(f"{where} is cancelled; create a new member")

    def _become(self, phase: _Phase) -> None:
        with self._lock:
            if self._phase in (_Phase.IDLE, _Phase.WAITING):
                self._phase = phase
        if phase is not _Phase.IDLE:
            self._registry._forget(self)

    def _wait(self, deadline: float) -> bool:
        registry, keys = self._registry, self._keys
        nonce = uuid.uuid4().hex
        reply = registry._run("arrive", keys, self.epoch, [registry._lease_ms, self.id, nonce])
        while True:
            kind = _text(reply[0])
            if kind == "token":
                return self._settle(_text(reply[1]))
            if kind == "lost":
                return self._settle("l")
            if kind == "expired":
                return self._settle("x")
            if kind == "busy":
                raise InvalidOperationError(
                    f"member {self.id} of barrier {self.name!r} is already waiting on the server"
                )
            if kind == "idle":
                raise BarrierStateLostError(
                    f"member {self.id} of barrier {self.name!r} is neither waiting nor released "
                    f"on the server: the state was altered outside barrierspec"
                )
            # kind == "waiting": block on the release list until a token, the deadline or
            # the heartbeat (at most one lease) comes.
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                reply = registry._run("status", keys, self.epoch, [self.id, "1"])
                continue
            token = registry._block(keys.release(self.id), min(remaining, registry._heartbeat))
            if token is not None:
                return self._settle(token)
            give_up = "1" if deadline - time.monotonic() <= 0 else "0"
            reply = registry._run("status", keys, self.epoch, [self.id, give_up])

    def _settle(self, token: str) -> bool:
        where = f"member {self.id} of barrier {self.name!r}"
        if token.startswith("r"):
            with self._lock:
                self.last_round = int(token[1:])
                if self._phase is _Phase.WAITING:
                    self._phase = _Phase.IDLE
            return True
        if token == "t":
            self._become(_Phase.CANCELLED)
            return False
        if token == "c":
            self._become(_Phase.CANCELLED)
            raise CancelledBarrierError(f"{where} was cancelled while waiting")
        if token == "x":
            self._become(_Phase.EXPIRED)
            raise MemberExpiredError(
                f"{where} was withdrawn because its lease expired (its process did not renew it "
                f"in time); it is no longer counted, create a new member"
            )
        self._become(_Phase.LOST)
        raise BarrierStateLostError(
            f"the server lost the state of barrier {self.name!r} that {where} joined under epoch "
            f"{self.epoch} (restart without persistence, flush or eviction); this is not a "
            f"release"
        )

    def _settle_interrupted(self) -> None:
        with self._lock:
            if self._phase is _Phase.WAITING:
                self._phase = _Phase.IDLE  # let cancel() run its transition
        try:
            self.cancel()
        except Exception:  # the lease withdraws it anyway
            self._become(_Phase.LOST)
