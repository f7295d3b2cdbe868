"""Controlled synchronisation primitives and clock, for the controlled thread runtime.

Each class mirrors its ``threading`` namesake (``Lock``, ``RLock``, ``Condition``,
``Semaphore``, ``BoundedSemaphore``, ``Event``) and each ``time`` function the targets read
(``monotonic``, ``time``, ``perf_counter``, ``sleep``), but blocks only through
:meth:`~barrierspec.adapters._controlled_runtime.Scheduler.point`: every acquire, release,
wait and notify is a scheduling point, a participant is blocked exactly while its predicate
is false, and timeouts are virtual deadlines that fire when the scheduler says so.
A thread that is not a participant (the controller reading ``n_waiting``) may take a free
lock; finding one held raises RuntimeError (the read is reported unreadable).
"""

from __future__ import annotations

import time as _real_time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from barrierspec.adapters._controlled_runtime import Scheduler

__all__ = ["Primitives"]

_OUTSIDER = -1


class _Lock:
    """A controlled ``threading.Lock``; with ``reentrant``, an ``RLock``."""

    def __init__(self, sched: Scheduler, reentrant: bool = False) -> None:
        self._sched = sched
        self._reentrant = reentrant
        self._owner: int | None = None
        self._count = 0

    def _deadline(self, blocking: bool, timeout: float) -> float | None:
        if not blocking or timeout < 0:
            return None
        return self._sched.clock.now + timeout

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        me = self._sched.current()
        who = _OUTSIDER if me is None else me
        if self._reentrant and self._owner == who:
            self._count += 1
            return True
        if me is None:
            if self._owner is None:
                self._owner, self._count = who, 1
                return True
            if not blocking:
                return False
            raise RuntimeError("a controlled lock is held by a participant")
        if not blocking:
            self._sched.point(lambda: True)
        else:
            # acquiring a plain lock it holds itself, a participant sleeps until another one
            # hands the lock over (the sleeper idiom): a wake-up, which a schedule may hold
            timed_out = self._sched.point(
                lambda: self._owner is None,
                self._deadline(blocking, timeout),
                wake=self._owner == who and not self._reentrant,
            )
            if timed_out and self._owner is not None:
                return False
        if self._owner is not None:
            return False
        self._owner, self._count = who, 1
        return True

    def release(self) -> None:
        me = self._sched.current()
        who = _OUTSIDER if me is None else me
        if self._owner is None or (self._reentrant and self._owner != who):
            raise RuntimeError("release unlocked lock" if self._owner is None else "not owner")
        self._count -= 1
        if self._count == 0:
            self._owner = None
        if me is not None:
            self._sched.point(lambda: True)

    def locked(self) -> bool:
        return self._owner is not None

    def _is_owned(self) -> bool:
        me = self._sched.current()
        return self._owner == (_OUTSIDER if me is None else me)

    def _release_all(self) -> int:
        count, self._count, self._owner = self._count, 0, None
        return count

    def _restore(self, count: int) -> None:
        self.acquire()
        self._count = count

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


class _Waiter:
    notified = False


class _Condition:
    """A controlled ``threading.Condition`` (default lock: a controlled RLock)."""

    def __init__(self, sched: Scheduler, lock: _Lock | None = None) -> None:
        self._sched = sched
        self._lock = lock if lock is not None else _Lock(sched, reentrant=True)
        self._waiters: list[_Waiter] = []
        self.acquire = self._lock.acquire
        self.release = self._lock.release

    def __enter__(self) -> bool:
        return self._lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self._lock.release()

    def wait(self, timeout: float | None = None) -> bool:
        if not self._lock._is_owned():
            raise RuntimeError("cannot wait on un-acquired lock")
        waiter = _Waiter()
        self._waiters.append(waiter)
        saved = self._lock._release_all()
        deadline = None if timeout is None else self._sched.clock.now + max(timeout, 0.0)
        timed_out = self._sched.point(lambda: waiter.notified, deadline, wake=True)
        if timed_out and not waiter.notified:
            self._waiters.remove(waiter)
        self._lock._restore(saved)
        return waiter.notified

    def wait_for(self, predicate: Callable[[], Any], timeout: float | None = None) -> Any:
        end = None if timeout is None else self._sched.clock.now + timeout
        result = predicate()
        while not result:
            left = None if end is None else end - self._sched.clock.now
            if left is not None and left <= 0:
                break
            self.wait(left)
            result = predicate()
        return result

    def notify(self, n: int = 1) -> None:
        if not self._lock._is_owned():
            raise RuntimeError("cannot notify on un-acquired lock")
        for waiter in self._waiters[:n]:
            waiter.notified = True
        del self._waiters[:n]
        if self._sched.current() is not None:
            self._sched.point(lambda: True)

    def notify_all(self) -> None:
        self.notify(len(self._waiters))

    notifyAll = notify_all  # noqa: N815 -- threading's alias


class _Semaphore:
    """A controlled ``threading.Semaphore`` (``bounded``: a BoundedSemaphore)."""

    def __init__(self, sched: Scheduler, value: int = 1, bounded: bool = False) -> None:
        if value < 0:
            raise ValueError("semaphore initial value must be >= 0")
        self._sched, self._value, self._initial, self._bounded = sched, value, value, bounded

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        if blocking:
            deadline = None if timeout is None else self._sched.clock.now + timeout
            self._sched.point(lambda: self._value > 0, deadline, wake=True)
        else:
            self._sched.point(lambda: True)
        if self._value == 0:
            return False
        self._value -= 1
        return True

    def release(self, n: int = 1) -> None:
        if self._bounded and self._value + n > self._initial:
            raise ValueError("Semaphore released too many times")
        self._value += n
        self._sched.point(lambda: True)

    __enter__ = acquire

    def __exit__(self, *exc: object) -> None:
        self.release()


class _Event:
    """A controlled ``threading.Event``."""

    def __init__(self, sched: Scheduler) -> None:
        self._sched, self._flag = sched, False

    def is_set(self) -> bool:
        return self._flag

    def set(self) -> None:
        self._flag = True
        if self._sched.current() is not None:
            self._sched.point(lambda: True)

    def clear(self) -> None:
        self._flag = False

    def wait(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else self._sched.clock.now + timeout
        self._sched.point(lambda: self._flag, deadline, wake=True)
        return self._flag


class Primitives:
    """The controlled replacements, by the name a target uses, bound to one scheduler at a
    time: :meth:`bind` moves them to another (a controlled class built over them is reused
    by one driver after another; what it built before keeps its own scheduler)."""

    def __init__(self, sched: Scheduler | None = None) -> None:
        self.sched: Scheduler | None = sched

        def now() -> float:
            return self._bound().clock.now

        def sleep(seconds: float) -> None:
            sched = self._bound()
            sched.point(lambda: False, sched.clock.now + max(seconds, 0.0))

        self.names: dict[str, Any] = {
            "Lock": lambda: _Lock(self._bound()),
            "allocate_lock": lambda: _Lock(self._bound()),
            "RLock": lambda: _Lock(self._bound(), reentrant=True),
            "Condition": lambda lock=None: _Condition(self._bound(), lock),
            "Semaphore": lambda value=1: _Semaphore(self._bound(), value),
            "BoundedSemaphore": lambda value=1: _Semaphore(self._bound(), value, bounded=True),
            "Event": lambda: _Event(self._bound()),
            "monotonic": now,
            "perf_counter": now,
            "time": lambda: 1_000_000_000.0 + now(),
            "sleep": sleep,
        }
        clock_names = ("monotonic", "perf_counter", "time", "sleep")
        self.time = _Namespace(_real_time, self.names, clock_names)

    def bind(self, sched: Scheduler) -> None:
        """From now on, what the target builds or reads belongs to ``sched``."""
        self.sched = sched

    def _bound(self) -> Scheduler:
        if self.sched is None:
            raise RuntimeError("controlled primitives used before they were bound to a scheduler")
        return self.sched


class _Namespace(SimpleNamespace):
    """A module stand-in: the controlled names, everything else from the real module."""

    def __init__(self, real: object, names: dict[str, Any], keep: tuple[str, ...]) -> None:
        super().__init__(**{k: names[k] for k in keep})
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)
