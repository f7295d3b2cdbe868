"""Named barriers with dynamic membership, for the threads of one process (The Grinder's).

State machine
-------------
A *group* per name holds ``N`` (members created and not cancelled) and the set of members
waiting (``W`` of them). Invariant, restored by every operation under the registry lock:
``0 <= W < N``, or ``W == N == 0``. Whenever an operation makes ``W == N > 0`` (a member
starts waiting; a member is cancelled, by ``cancel()`` or by its own timeout), every waiting
member is released and ``W`` drops to 0. When ``N`` drops to 0 the group is forgotten, and a
later ``barrier(name)`` starts a fresh one.

A member is ``idle``, ``waiting`` or ``cancelled`` (final):

    idle --wait()--> waiting --released--> idle                 wait() returns True
                     waiting --timeout--> cancelled             wait() returns False
                     waiting --cancel()--> cancelled            wait() raises CancelledBarrierError
    idle --cancel()--> cancelled                                N - 1; cancel() is idempotent

Each wait sleeps on its own lock, released exactly once by whoever takes the member out of
``waiting``; the outcome is stored on the member before that release. The Grinder uses a
fresh identity per ``await`` for the same purpose.
"""

from __future__ import annotations

import threading
from _thread import LockType, allocate_lock

from barrierspec.errors import CancelledBarrierError, InvalidOperationError, UsageError
from barrierspec.reference._validate import check_timeout

__all__ = ["NamedBarrier", "NamedBarriers"]

_IDLE = "idle"
_WAITING = "waiting"
_CANCELLED = "cancelled"


class _Group:
    """The members of one name: ``n`` (N) and the waiting ones (W = ``len(waiting)``)."""

    __slots__ = ("n", "rounds", "waiting")

    def __init__(self) -> None:
        self.n = 0
        self.rounds = 0
        self.waiting: dict[NamedBarrier, LockType] = {}

    def check(self) -> None:
        w = len(self.waiting)
        assert 0 <= w < self.n or w == self.n == 0, f"group invariant broken: W={w} N={self.n}"


class NamedBarriers:
    """A registry of named barriers shared by the threads of one process.

    ``barrier(name)`` creates a *member* of the barrier ``name`` (N + 1). A member's
    ``wait()`` returns True once every member of the name is waiting (W == N). Membership is
    dynamic: members can be created and cancelled at any time, and cancelling the last member
    that is not waiting releases the others. There is no broken state. Create members before
    any of them waits: a lone member passes at once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._groups: dict[str, _Group] = {}

    def barrier(self, name: str) -> NamedBarrier:
        """Create a new member of the barrier ``name``; N(name) + 1."""
        if not isinstance(name, str) or not name:
            raise UsageError(f"a barrier name must be a non-empty str, got {name!r}")
        with self._lock:
            group = self._groups.get(name)
            if group is None:
                group = self._groups[name] = _Group()
            group.n += 1
            group.check()
            return NamedBarrier(self, name, group)

    def members(self, name: str) -> int:
        """N: the members of ``name`` created and not cancelled (0 for an unknown name)."""
        group = self._groups.get(name)
        return group.n if group is not None else 0

    def waiting(self, name: str) -> int:
        """W: the members of ``name`` waiting now (0 for an unknown name)."""
        group = self._groups.get(name)
        return len(group.waiting) if group is not None else 0

    def rounds(self, name: str) -> int:
        """How many times the group of ``name`` released its waiters (0 once forgotten)."""
        group = self._groups.get(name)
        return group.rounds if group is not None else 0

    # ----------------------------------------------------- transitions (lock held)
    def _release_if_full(self, group: _Group) -> list[LockType]:
        if group.n == 0 or len(group.waiting) != group.n:
            return []
        woken = list(group.waiting.values())
        for member in group.waiting:
            member._state = _IDLE
            member._outcome = True
        group.waiting.clear()
        group.rounds += 1
        return woken

    def _cancel(self, member: NamedBarrier, outcome: bool | None) -> list[LockType]:
        """Withdraw ``member`` (N - 1); return the locks to release."""
        group = member._group
        woken = []
        if member._state is _WAITING:
            woken.append(group.waiting.pop(member))
            member._outcome = outcome
        member._state = _CANCELLED
        group.n -= 1
        if group.n == 0 and self._groups.get(member.name) is group:
            del self._groups[member.name]
        woken += self._release_if_full(group)
        group.check()
        return woken

    def __repr__(self) -> str:
        names = ", ".join(f"{k!r}: {len(g.waiting)}/{g.n}" for k, g in self._groups.items())
        return f"<{type(self).__qualname__} waiting/members {{{names}}}>"


def _wake(locks: list[LockType]) -> None:
    for lock in locks:
        lock.release()


class NamedBarrier:
    """One member of a named barrier (create it with :meth:`NamedBarriers.barrier`).

    ``wait(timeout=None)`` blocks until every member of the name is waiting, then returns
    True; the member can wait again at once (it joins the next round). If ``timeout``
    seconds pass first, the member is cancelled (the others no longer wait for it and are
    released if all the rest are waiting) and ``wait`` returns False. ``cancel()``, from any
    thread, withdraws the member; a ``wait`` in progress raises
    :class:`~barrierspec.errors.CancelledBarrierError`, as does any later ``wait``. Only one
    thread may wait on a member at a time: a second concurrent ``wait`` raises
    :class:`~barrierspec.errors.InvalidOperationError`.
    """

    def __init__(self, registry: NamedBarriers, name: str, group: _Group) -> None:
        self._registry = registry
        self._group = group
        self._state = _IDLE
        self._outcome: bool | None = None  # True released, False timed out, None cancelled
        self.name = name

    @property
    def cancelled(self) -> bool:
        """True once the member is cancelled (by ``cancel()`` or a timeout)."""
        return self._state is _CANCELLED

    def wait(self, timeout: float | None = None) -> bool:
        """Block until all members of the name wait; True, or False on timeout (cancels)."""
        limit = check_timeout(timeout)
        registry = self._registry
        with registry._lock:
            if self._state is _CANCELLED:
                raise CancelledBarrierError(
                    f"member of barrier {self.name!r} is cancelled; create a new one with"
                    " registry.barrier(name)"
                )
            if self._state is _WAITING:
                raise InvalidOperationError(
                    f"another thread is already waiting on this member of barrier"
                    f" {self.name!r}; a member serves one wait at a time"
                )
            sleeper = allocate_lock()
            sleeper.acquire()
            self._state = _WAITING
            self._group.waiting[self] = sleeper
            woken = registry._release_if_full(self._group)
            self._group.check()
        _wake(woken)
        if limit is None:
            sleeper.acquire()
        elif not sleeper.acquire(True, limit):
            with registry._lock:
                woken = registry._cancel(self, False) if self._state is _WAITING else []
            _wake(woken)  # includes our own sleeper if we timed out
            sleeper.acquire()
        if self._outcome is None:
            raise CancelledBarrierError(f"member of barrier {self.name!r} cancelled while waiting")
        return self._outcome

    def cancel(self) -> None:
        """Withdraw this member (N - 1) from any thread; idempotent."""
        with self._registry._lock:
            woken = self._registry._cancel(self, None) if self._state is not _CANCELLED else []
        _wake(woken)

    def __repr__(self) -> str:
        group = self._group
        return (
            f"<{type(self).__qualname__} {self.name!r}: {self._state},"
            f" waiting={len(group.waiting)}/{group.n}>"
        )
