"""Errors specific to the Redis-backed named barriers.

They extend the one hierarchy of :mod:`barrierspec.errors`: a member withdrawn for an expired
lease is a :class:`~barrierspec.errors.CancelledBarrierError` (code that handles cancellation
handles it unchanged); a lost server state and a lost connection are
:class:`~barrierspec.errors.BarrierSpecError` subclasses, never mistaken for a release.
"""

from __future__ import annotations

from barrierspec.errors import BarrierSpecError, CancelledBarrierError

__all__ = ["BarrierConnectionError", "BarrierStateLostError", "MemberExpiredError"]


class MemberExpiredError(CancelledBarrierError):
    """The member's lease expired and the server withdrew it (N - 1).

    Raised by the member's next operation (or by the wait in progress) after its process stopped
    renewing for longer than the lease: the process was stopped, partitioned or too busy. The
    member was counted once and is gone; create a new member with ``registry.barrier(name)``.
    """


class BarrierStateLostError(BarrierSpecError, RuntimeError):
    """The server no longer holds the barrier state this member was created under.

    The Redis server restarted without persistence, was flushed, or evicted the keys: the epoch
    stored with the barrier differs from the member's. Every waiter of the lost state gets this
    error; a lost state is never reported as a release.
    """


class BarrierConnectionError(BarrierSpecError, ConnectionError):
    """The Redis server could not be reached within the reconnect window.

    The outcome of the interrupted operation is unknown to this process; the member is treated
    as withdrawn (the server withdraws it when its lease expires, since it is no longer renewed).
    """
