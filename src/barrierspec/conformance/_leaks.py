"""Threads and processes a program leaves behind.

A barrier operation may start work of its own: a thread, a child process. What is still
running after the program's driver closed -- non-daemon threads (they keep the interpreter
from exiting) and child processes of this process -- has leaked. The check waits a short
grace period for such work to end by itself before calling it a leak, so a thread that is
just finishing is not reported.
"""

from __future__ import annotations

import os
import threading
import time

import attrs

__all__ = ["Leaks", "child_pids", "leak_baseline", "leaked_since", "processes_baseline"]

GRACE = 0.5  # seconds leaked work gets to end by itself


@attrs.frozen
class Leaks:
    """Non-daemon threads (names) and child processes (pids) still running."""

    threads: tuple[str, ...] = ()
    processes: tuple[int, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.threads or self.processes)

    def describe(self) -> str:
        """``"2 non-daemon threads (Thread-3, Thread-4) and 1 child process (pid 812)"``."""
        parts = []
        if self.threads:
            n = len(self.threads)
            parts.append(f"{n} non-daemon thread{'s' if n > 1 else ''} ({', '.join(self.threads)})")
        if self.processes:
            n = len(self.processes)
            pids = ", ".join(str(p) for p in self.processes)
            parts.append(f"{n} child process{'es' if n > 1 else ''} (pid {pids})")
        return " and ".join(parts)


def _threads() -> frozenset[threading.Thread]:
    me = threading.current_thread()
    return frozenset(
        t for t in threading.enumerate() if t is not me and not t.daemon and t.is_alive()
    )


def child_pids(pid: int | None = None) -> frozenset[int]:
    """The live child processes of ``pid`` (default: this process), from /proc."""
    tasks = f"/proc/{os.getpid() if pid is None else pid}/task"
    found: set[int] = set()
    try:
        tids = os.listdir(tasks)
    except OSError:
        return frozenset()
    for tid in tids:
        text = _read(f"{tasks}/{tid}/children")
        if text:
            found.update(int(c) for c in text.split())
    return frozenset(p for p in found if not _is_zombie(p) and not _is_helper(p))


def _read(path: str) -> bytes | None:
    """The bytes of a small /proc file, or None if it cannot be read (it went away)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        return os.read(fd, 1 << 16)
    except OSError:
        return None
    finally:
        os.close(fd)


_HELPERS = (b"resource_tracker", b"forkserver")  # multiprocessing's own long-lived helpers


def _is_helper(pid: int) -> bool:
    cmdline = _read(f"/proc/{pid}/cmdline")
    return cmdline is not None and any(name in cmdline for name in _HELPERS)


def _is_zombie(pid: int) -> bool:
    stat = _read(f"/proc/{pid}/stat")
    return stat is None or stat.rsplit(b")", 1)[-1].split()[0] in (b"Z", b"X")


@attrs.frozen
class _Baseline:
    threads: frozenset[threading.Thread] | None  # None: threads are not looked at
    processes: frozenset[int] | None  # None: child processes are not looked at


def leak_baseline(*, processes: bool = True) -> _Baseline:
    """What runs now, before a program (compared against by :func:`leaked_since`);
    ``processes=False``: only threads (a later :func:`leaked_since` ignores processes)."""
    return _Baseline(_threads(), child_pids() if processes else None)


def processes_baseline() -> _Baseline:
    """Only the child processes running now: a later :func:`leaked_since` reports the
    processes started since, and no thread."""
    return _Baseline(None, child_pids())


def leaked_since(before: _Baseline, grace: float = GRACE) -> Leaks:
    """The threads and processes started since ``before`` that are still running."""
    deadline = time.monotonic() + grace
    while True:
        threads = frozenset() if before.threads is None else _threads() - before.threads
        processes = frozenset() if before.processes is None else child_pids() - before.processes
        if not (threads or processes) or time.monotonic() > deadline:
            break
        time.sleep(0.02)  # polling for work to end by itself; bounded by the grace period
    return Leaks(tuple(sorted(t.name for t in threads)), tuple(sorted(processes)))
