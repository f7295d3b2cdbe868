"""Is a process still alive? A cheap, zombie-aware answer for the process barriers.

``os.kill(pid, 0)`` succeeds on a zombie (a killed child its parent has not reaped yet),
and siblings cannot reap each other, so on Linux the check uses pidfds: a pidfd becomes
readable when its process exits, reaped or not. Pidfds are opened once per pid and kept
(per process, up to ``_CACHE_LIMIT``), so a check of every party of a round is a single
``poll`` system call. Elsewhere the check falls back to ``os.kill(pid, 0)``.
"""

from __future__ import annotations

import os
import select
from collections.abc import Iterable

__all__ = ["first_dead", "own_pid"]

_CACHE_LIMIT = 256


class _Watcher:
    """Pidfds of the pids this process has checked, with one poll object over all of them."""

    def __init__(self) -> None:
        self.owner = os.getpid()
        self.fds: dict[int, int] = {}
        self.by_fd: dict[int, int] = {}
        self.poller = select.poll()

    def close(self) -> None:
        for fd in self.fds.values():
            os.close(fd)
        self.fds.clear()
        self.by_fd.clear()
        self.poller = select.poll()

    def first_dead(self, pids: Iterable[int]) -> int | None:
        """Return the first pid in ``pids`` whose process has exited, else ``None``."""
        fds = self.fds
        wanted = pids if isinstance(pids, list) else list(pids)
        for pid in () if fds.keys() >= set(wanted) else wanted:  # () once all are watched
            if pid not in fds:
                if len(fds) >= _CACHE_LIMIT:
                    self.close()
                try:
                    fd = os.pidfd_open(pid)
                except ProcessLookupError:
                    return pid
                fds[pid] = fd
                self.by_fd[fd] = pid
                self.poller.register(fd, select.POLLIN)
        ready = self.poller.poll(0)
        if not ready:  # the common case: nobody watched has exited
            return None
        exited = {self.by_fd[fd] for fd, _ in ready}
        for pid in wanted:
            if pid in exited and self._still_dead(pid):
                return pid
        return None

    def _still_dead(self, pid: int) -> bool:
        """Forget the cached pidfd of ``pid`` and look again: the pid may have been reused."""
        fd = self.fds.pop(pid)
        del self.by_fd[fd]
        self.poller.unregister(fd)
        os.close(fd)
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:
            return True
        try:
            return bool(select.select([fd], [], [], 0)[0])
        finally:
            os.close(fd)


_watcher: _Watcher | None = None
_pid = os.getpid()
_PIDFDS = hasattr(os, "pidfd_open")


def _refresh_pid() -> None:
    global _pid  # noqa: PLW0603 - this process's pid, refreshed in a forked child
    _pid = os.getpid()


os.register_at_fork(after_in_child=_refresh_pid)


def own_pid() -> int:
    """This process's pid without a system call (``os.getpid`` is one on glibc >= 2.25)."""
    return _pid


def _first_dead_by_signal(pids: Iterable[int]) -> int | None:
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            continue
    return None


def first_dead(pids: Iterable[int]) -> int | None:
    """Return a pid from ``pids`` whose process has exited (zombies included), else ``None``."""
    global _watcher  # noqa: PLW0603 - one watcher per process, rebuilt after fork
    if not _PIDFDS:
        return _first_dead_by_signal(pids)
    if _watcher is None or _watcher.owner != _pid:
        if _watcher is not None:
            _watcher.close()  # this process's inherited copies of the parent's pidfds
        _watcher = _Watcher()
    try:
        return _watcher.first_dead(pids)
    except OSError:  # pidfds unsupported by this kernel
        return _first_dead_by_signal(pids)
