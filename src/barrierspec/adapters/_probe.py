"""Observing whether a thread is blocked, without sleeping on a guess.

A :class:`Probe` is a profile hook installed in one participant thread (``sys.setprofile``
from inside that thread, so no other thread pays for it). It counts every profile event and
remembers the C function the thread is currently inside (``c_call`` sets it, any other event
clears it). The controller calls :meth:`Probe.observe` from its own thread:

* inside ``acquire``/``__enter__`` of a lock that is currently held (``_thread.lock``,
  ``_thread.RLock``, a multiprocessing ``SemLock`` whose value is 0): blocked;
* inside the same on a lock that is free: about to succeed, so *running*;
* inside ``time.sleep`` or ``os.write`` (a process participant writing its result to its
  pipe, which a loaded machine can leave unscheduled there for seconds): running, as both
  end by themselves;
* inside any other C call (``select``, ``recv`` ...): blocked;
* on a ``with`` statement's ``BEFORE_WITH`` instruction (``with lock:`` acquires the lock
  without a ``c_call`` event): blocked;
* otherwise running;
* and, where the operating system tells (Linux: ``/proc/self/task/TID/stat``), a thread it
  lists as runnable (``R``) is running whatever the rules above say, for ``RUNNABLE_GRACE``
  seconds with no event: a blocked thread sleeps, while a thread that a loaded machine leaves
  unscheduled inside a short C call, or on the profile hook of its return, is runnable.
  Past the grace the rules above stand again (a thread runnable for that long in one C call
  is spinning there, or starved: the drivers' watchdogs, measured in seconds, are not
  reached by a starved thread that way).

One observation can be stale: a thread whose lock was just handed to it still needs the GIL
to report its return. The controller therefore accepts "blocked" only when every busy
participant looks blocked, with an unchanged event count, over several consecutive polls
separated by waits that release the GIL.

Known limit: a thread waiting for the GIL sleeps too, so the OS state cannot tell it from a
blocked one; the repeated polls below, separated by waits that release the GIL, do.

Known limit: a barrier that polls (``cond.wait(0.01)`` in a loop) looks blocked between two
polls; drivers treat waits with an explicit timeout as running until they return.
"""

from __future__ import annotations

import dis
import os
import sys
import threading
import time
import types
from dataclasses import dataclass

__all__ = ["RUNNABLE_GRACE", "Observation", "Probe"]

_LOCK_METHODS = frozenset({"acquire", "__enter__", "acquire_lock"})
_RUNNING_CALLS = frozenset({"sleep"})
_OS_WRITES = frozenset({("write", "posix")})  # a pipe write of a result ends by itself
_with_offsets: dict[types.CodeType, frozenset[int]] = {}
_RUNNABLE = "R"
RUNNABLE_GRACE = 0.1  # seconds a thread the OS lists as runnable counts as running


@dataclass(frozen=True)
class Observation:
    """One look at a thread: its event count, whether it looks blocked, and where."""

    events: int
    blocked: bool
    where: str


def _is_held(lock: object) -> bool | None:
    """Whether ``lock`` is held by someone, or None when that cannot be read."""
    locked = getattr(lock, "locked", None)
    if callable(locked):
        try:
            return bool(locked())
        except Exception:
            return None
    get_value = getattr(lock, "_get_value", None)  # multiprocessing SemLock
    if callable(get_value):
        try:
            return int(get_value()) == 0
        except Exception:
            return None
    text = repr(lock)
    if text.startswith("<locked "):
        return True
    if text.startswith("<unlocked "):
        return False
    return None


def _os_state(native_id: int | None) -> str | None:
    """The OS scheduler state letter of a thread of this process, or None where unknown."""
    if native_id is None:
        return None
    try:
        with open(f"/proc/self/task/{native_id}/stat", "rb") as stat:
            text = stat.read()
    except OSError:
        return None
    fields = text[text.rfind(b")") + 1 :].split()  # the name in parentheses may hold spaces
    return fields[0].decode() if fields else None


def _with_instructions(code: types.CodeType) -> frozenset[int]:
    offsets = _with_offsets.get(code)
    if offsets is None:
        offsets = frozenset(
            ins.offset for ins in dis.get_instructions(code) if ins.opname == "BEFORE_WITH"
        )
        _with_offsets[code] = offsets
    return offsets


class Probe:
    """Profile hook of one thread; read by another thread through :meth:`observe`."""

    def __init__(self) -> None:
        self.events = 0
        self.c_func: object = None
        self.thread_id: int | None = None
        self.native_id: int | None = None
        self._runnable: tuple[int, float] | None = None  # (event count, since) while runnable

    def hook(self, frame: types.FrameType, event: str, arg: object) -> None:
        """The profile function: count the event, remember the current C function."""
        self.events += 1
        self.c_func = arg if event == "c_call" else None

    def install(self) -> None:
        """Start observing the calling thread (call it from inside that thread)."""
        self.thread_id = threading.get_ident()
        self.native_id = threading.get_native_id() if os.path.isdir("/proc/self/task") else None
        sys.setprofile(self.hook)

    def observe(self) -> Observation:
        """Look at the observed thread once (see the module docstring for the rules)."""
        seen = self._by_frame()
        if not seen.blocked or _os_state(self.native_id) != _RUNNABLE:
            self._runnable = None
            return seen
        now = time.monotonic()
        if self._runnable is None or self._runnable[0] != seen.events:
            self._runnable = (seen.events, now)
        if now - self._runnable[1] < RUNNABLE_GRACE:
            return Observation(seen.events, False, f"{seen.where} (runnable)")
        return seen

    def _by_frame(self) -> Observation:
        events = self.events
        func = self.c_func
        if func is not None:
            name = getattr(func, "__name__", "?")
            owner = getattr(func, "__self__", None)
            where = f"{type(owner).__name__}.{name}" if owner is not None else name
            if name in _RUNNING_CALLS or (name, getattr(owner, "__name__", None)) in _OS_WRITES:
                return Observation(events, False, where)
            if name in _LOCK_METHODS and owner is not None:
                held = _is_held(owner)
                if held is False:
                    return Observation(events, False, f"{where} (free)")
            return Observation(events, True, where)
        frame = sys._current_frames().get(self.thread_id) if self.thread_id else None
        if frame is not None and frame.f_lasti in _with_instructions(frame.f_code):
            return Observation(events, True, f"with-statement in {frame.f_code.co_name}")
        return Observation(events, False, "running")
