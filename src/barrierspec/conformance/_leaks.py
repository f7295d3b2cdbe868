"""Threads and processes a program leaves behind.

A barrier operation may start work of its own: a thread, a child process. What is still
running after the program's driver closed -- non-daemon threads (they keep the interpreter
from exiting) and child processes of this process -- has leaked. The check waits a short
grace period for such work to end by itself before calling it a leak, so a thread that is
just finishing is not reported.
"""

from __future__ import annotations

import os
import pathlib
import threading
import time

import attrs

__all__ = ["Leaks", "child_pids", "leak_baseline", "leaked_since"]

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
    pid = os.getpid() if pid is None else pid
    found: set[int] = set()
    for task in pathlib.Path(f"/proc/{pid}/task").glob("*"):
        try:
            text = (task / "children").read_text()
        except OSError:
            continue
        found.update(int(c) for c in text.split())
    return frozenset(p for p in found if not _is_zombie(p) and not _is_helper(p))


_HELPERS = (b"resource_tracker", b"forkserver")  # multiprocessing's own long-lived helpers


def _is_helper(pid: int) -> bool:
    try:
        cmdline = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return any(name in cmdline for name in _HELPERS)


def _is_zombie(pid: int) -> bool:
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] in ("Z", "X")


@attrs.frozen
class _Baseline:
    threads: frozenset[threading.Thread]
    processes: frozenset[int]


def leak_baseline() -> _Baseline:
    """What runs now, before a program (compared against by :func:`leaked_since`)."""
    return _Baseline(_threads(), child_pids())


def leaked_since(before: _Baseline, grace: float = GRACE) -> Leaks:
    """The threads and processes started since ``before`` that are still running."""
    deadline = time.monotonic() + grace
    while True:
        threads = _threads() - before.threads
        processes = child_pids() - before.processes
        if not (threads or processes) or time.monotonic() > deadline:
            break
        time.sleep(0.02)  # polling for work to end by itself; bounded by the grace period
    return Leaks(tuple(sorted(t.name for t in threads)), tuple(sorted(processes)))
