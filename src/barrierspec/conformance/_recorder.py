"""Record a run of any barrier as a history for the checker.

Wrap the barrier (or a named-barrier registry) once; use the wrapper as the barrier::

    recorder = Recorder()                                # records kept in memory
    barrier = recorder.wrap(threading.Barrier(3), name="b")
    ...                                                  # threads call barrier.wait()
    verdict = check_history(recorder.history(), parties=3)

    recorder = Recorder(directory="run/")                # JSON Lines, one file per process
    registry = recorder.wrap(RedisNamedBarriers(url))    # records join, wait, cancel
    member = registry.barrier("stage-1")                 # a join
    member.wait(5.0)                                     # a wait: released / timed out / ...
    # later, on any machine:  barrierspec history check run/

What is recorded per call: the worker (``host:pid:thread`` or ``host:pid:task`` unless given),
the barrier name, the member (named barriers; the worker for fixed-parties barriers), the
``timeout`` argument, invoke and response times, the outcome (released, timed out, cancelled,
expired, broken, failed; every exception is re-raised unchanged), the arrival index a
fixed-parties ``wait`` returned, the round if the member reports it (``last_round``) and the
barrier's ``parties``. Other methods (``reset``, ``abort``, ``n_waiting``...) pass through
unrecorded.

Wrappers: a barrier whose ``wait`` is a coroutine function gets an async wrapper; an object
with ``barrier(name)`` and no ``wait`` is a registry (its members are wrapped as they are
created, each creation recorded as a ``join``); an object with ``wait`` and ``cancel`` is a
named member (wrap members through their registry to record the joins the membership rule
needs).

Files: with ``directory``, each process appends to its own file
``<host>-<pid>-<start>.jsonl`` (a forked child opens its own; a recorder pickled to a spawned
process opens its own there), one ``os.write`` per record on an ``O_APPEND`` descriptor, so a
crash loses at most the call in progress. The first line is a header naming the clock and the
host; :func:`~barrierspec.conformance._history_files.load_files` merges the files and refuses to
mix clocks or to compare monotonic times of different hosts.

Clocks: ``"monotonic"`` (default) is ``time.monotonic()``, ``CLOCK_MONOTONIC`` on Linux: one
clock for every process of a host, not comparable across hosts. ``"wall"`` is ``time.time()``:
comparable across hosts only as far as their clocks agree (NTP keeps a LAN within about a
millisecond); a skew larger than the overlap of a round's waits can make a correct run look
like an early release, or hide one. Record with ``clock="wall"`` for several hosts and keep the
skew well below the barrier's round times.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import os
import pathlib
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from barrierspec.conformance._history_model import (
    HEADER_KEY,
    Kind,
    Operation,
    Outcome,
    operation_to_dict,
)
from barrierspec.errors import CancelledBarrierError, UsageError

__all__ = ["CLOCKS", "Recorder"]

CLOCKS: dict[str, Callable[[], float]] = {"monotonic": time.monotonic, "wall": time.time}
_HOST = socket.gethostname()
_names = itertools.count(1)


def outcome_of(exc: BaseException) -> Outcome:
    """The outcome a wait that raised ``exc`` is recorded with."""
    if any(c.__name__ == "MemberExpiredError" for c in type(exc).__mro__):  # reference.Redis
        return Outcome.EXPIRED
    if isinstance(exc, CancelledBarrierError | asyncio.CancelledError):
        return Outcome.CANCELLED
    if isinstance(exc, threading.BrokenBarrierError | asyncio.BrokenBarrierError):
        return Outcome.BROKEN
    if isinstance(exc, TimeoutError):
        return Outcome.TIMEOUT
    return Outcome.FAILED


def current_worker() -> str:
    """``host:pid:name`` of the running asyncio task, or else of the running thread."""
    try:
        task = asyncio.current_task()
    except RuntimeError:
        task = None
    name = task.get_name() if task is not None else threading.current_thread().name
    return f"{_HOST}:{os.getpid()}:{name}"


class Recorder:
    """Collects the operations of wrapped barriers, in memory or in a per-process file."""

    def __init__(self, directory: str | pathlib.Path | None = None, clock: str = "monotonic"):
        if clock not in CLOCKS:
            raise UsageError(f"clock must be one of {sorted(CLOCKS)}, got {clock!r}")
        self.clock_name = clock
        self.clock = CLOCKS[clock]
        self.directory = None if directory is None else pathlib.Path(directory)
        self._lock = threading.Lock()
        self._ops: list[Operation] = []
        self._fd: int | None = None
        self._pid = os.getpid()
        self._members = itertools.count(1)
        self.path: pathlib.Path | None = None
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)

    # -- wrapping -------------------------------------------------------------------------

    def wrap(self, barrier: Any, name: str | None = None, *, worker: str | None = None) -> Any:
        """A recording wrapper of ``barrier`` (see the module docstring for the kinds)."""
        if not hasattr(barrier, "wait") and callable(getattr(barrier, "barrier", None)):
            return RecordedRegistry(self, barrier, worker)
        if not callable(getattr(barrier, "wait", None)):
            raise UsageError(f"cannot record {barrier!r}: it has neither wait() nor barrier(name)")
        label = name or getattr(barrier, "name", None) or f"{type(barrier).__name__}#{next(_names)}"
        if inspect.iscoroutinefunction(barrier.wait):
            return RecordedAsyncBarrier(self, barrier, str(label), worker)
        if callable(getattr(barrier, "cancel", None)):
            return RecordedMember(self, barrier, str(label), worker, self.member_id(barrier))
        return RecordedBarrier(self, barrier, str(label), worker)

    def member_id(self, member: Any) -> str:
        """The member's own ``id`` if it has one, else a fresh ``host:pid:mN``."""
        own = getattr(member, "id", None)
        return str(own) if own is not None else f"{_HOST}:{os.getpid()}:m{next(self._members)}"

    # -- records --------------------------------------------------------------------------

    def record(self, op: Operation) -> None:
        """Keep ``op`` (in memory, or as one appended line of this process's file)."""
        if self.directory is None:
            with self._lock:
                self._ops.append(op)
            return
        line = (json.dumps(operation_to_dict(op)) + "\n").encode()
        with self._lock:
            os.write(self._file(), line)

    def history(self) -> list[Operation]:
        """The operations recorded so far in memory (a directory recorder: load its files)."""
        if self.directory is not None:
            raise UsageError(
                f"this recorder writes to {self.directory}; read it with load_files([directory])"
            )
        with self._lock:
            return list(self._ops)

    def close(self) -> None:
        """Close this process's file (records already written stay)."""
        with self._lock:
            if self._fd is not None and self._pid == os.getpid():
                os.close(self._fd)
            self._fd = None

    def _file(self) -> int:
        if self._fd is not None and self._pid == os.getpid():
            return self._fd
        assert self.directory is not None
        self._pid = os.getpid()  # a forked child writes its own file
        self.path = self.directory / f"{_HOST}-{self._pid}-{time.time_ns()}.jsonl"
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_EXCL, 0o644)
        header = {HEADER_KEY: 1, "clock": self.clock_name, "host": _HOST, "pid": self._pid}
        os.write(self._fd, (json.dumps(header) + "\n").encode())
        return self._fd

    def __getstate__(self) -> dict[str, Any]:
        if self.directory is None:
            raise UsageError(
                "an in-memory Recorder cannot be sent to another process; "
                "use Recorder(directory=...) so that each process writes its own file"
            )
        return {"directory": self.directory, "clock": self.clock_name}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["directory"], state["clock"])  # type: ignore[misc]


class _Recorded:
    """Common part of the wrappers: pass through what is not recorded."""

    def __init__(self, recorder: Recorder, target: Any, name: str, worker: str | None) -> None:
        self._recorder, self._target, self._name, self._worker = recorder, target, name, worker
        self._member: str | None = None

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):  # never forward private names (pickle probes them first)
            raise AttributeError(attr)
        return getattr(self._target, attr)

    def _op(self, kind: Kind, t0: float, outcome: Outcome, **details: Any) -> None:
        worker = self._worker or current_worker()
        parties = getattr(self._target, "parties", None)
        self._recorder.record(
            Operation(
                worker=worker,
                barrier=self._name,
                invoke=t0,
                response=self._recorder.clock(),
                outcome=outcome,
                kind=kind,
                member=self._member or worker,
                parties=parties if isinstance(parties, int) else None,
                **details,
            )
        )

    def _released(self, t0: float, value: Any, timeout: float | None) -> None:
        if value is False:
            self._op(Kind.WAIT, t0, Outcome.TIMEOUT, timeout=timeout)
            return
        rnd = getattr(self._target, "last_round", None)
        self._op(
            Kind.WAIT,
            t0,
            Outcome.OK,
            timeout=timeout,
            result=value if isinstance(value, int) and value is not True else None,
            round=rnd if isinstance(rnd, int) and self._member is not None else None,
        )


class RecordedBarrier(_Recorded):
    """A thread or process barrier (``wait(timeout=None)``), recorded."""

    def wait(self, timeout: float | None = None) -> Any:
        t0 = self._recorder.clock()
        try:
            value = self._target.wait(timeout) if timeout is not None else self._target.wait()
        except BaseException as exc:
            self._op(Kind.WAIT, t0, outcome_of(exc), timeout=timeout)
            raise
        self._released(t0, value, timeout)
        return value


class RecordedMember(RecordedBarrier):
    """A named-barrier member (``wait(timeout) -> bool``, ``cancel()``), recorded."""

    def __init__(
        self, recorder: Recorder, target: Any, name: str, worker: str | None, member: str
    ) -> None:
        super().__init__(recorder, target, name, worker)
        self._member = member

    def cancel(self) -> None:
        t0 = self._recorder.clock()
        try:
            self._target.cancel()
        except BaseException as exc:
            self._op(Kind.CANCEL, t0, outcome_of(exc))
            raise
        self._op(Kind.CANCEL, t0, Outcome.OK)


class RecordedAsyncBarrier(_Recorded):
    """An asyncio barrier (``await wait()``), recorded; a cancelled task records ``cancelled``."""

    async def wait(self) -> Any:
        t0 = self._recorder.clock()
        try:
            value = await self._target.wait()
        except BaseException as exc:
            self._op(Kind.WAIT, t0, outcome_of(exc))
            raise
        self._released(t0, value, None)
        return value


class RecordedRegistry:
    """A named-barrier registry whose ``barrier(name)`` records a join and a recorded member."""

    def __init__(self, recorder: Recorder, target: Any, worker: str | None) -> None:
        self._recorder, self._target, self._worker = recorder, target, worker

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):  # never forward private names (pickle probes them first)
            raise AttributeError(attr)
        return getattr(self._target, attr)

    def barrier(self, name: str) -> RecordedMember:
        recorder = self._recorder
        t0 = recorder.clock()
        member = self._target.barrier(name)
        wrapped = RecordedMember(recorder, member, name, self._worker, recorder.member_id(member))
        wrapped._op(Kind.JOIN, t0, Outcome.OK)
        return wrapped
