"""Worker processes for a supervised check, started before the check needs them.

A supervised check (``barrierspec check``) runs the target in worker processes, each of
which imports the whole suite (Hypothesis, the model, the adapters) before it can read its
request. The command line starts them first thing (:func:`start`), so those imports run
while the command line itself imports and parses; the supervisor then takes a started
worker (:func:`take`) and writes the request to its stdin. One the check does not need is
killed when the check or the command ends (:func:`discard`); a worker whose stdin closes
without a request exits by itself (``_worker``). This module imports only the standard
library: importing it must not cost what it saves.
"""

from __future__ import annotations

import os
import subprocess
import sys

__all__ = ["Spawned", "default_workers", "discard", "spawn", "start", "take"]

Spawned = tuple["subprocess.Popen[bytes]", int]  # the worker, the read end of its event pipe

_started: list[Spawned] = []


def default_workers() -> int:
    """How many workers a supervised check shares its properties among by default: one
    per core, at most two (``CheckSettings.workers``)."""
    return min(2, os.cpu_count() or 1)


def _has_fileno() -> bool:
    try:
        sys.stderr.fileno()
    except (OSError, ValueError, AttributeError):
        return False
    return True


def spawn() -> Spawned:
    """Start one worker (``python -m barrierspec.conformance._worker FD``) in its own
    process group; its prints go to stderr, its events to the returned pipe."""
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        [sys.executable, "-m", "barrierspec.conformance._worker", str(write_fd)],
        stdin=subprocess.PIPE,
        stdout=sys.stderr.fileno() if _has_fileno() else subprocess.DEVNULL,
        pass_fds=(write_fd,),
        start_new_session=True,
    )
    os.close(write_fd)
    return proc, read_fd


def start(count: int) -> None:
    """Start ``count`` workers ahead of the check (the command line, before its imports)."""
    _started.extend(spawn() for _ in range(count))


def take() -> Spawned:
    """A worker started ahead, or a new one."""
    return _started.pop(0) if _started else spawn()


def discard() -> None:
    """End the workers started ahead and not taken: killed (none has a request, so none
    has started anything of its own), and reaped."""
    while _started:
        proc, read_fd = _started.pop()
        proc.kill()
        proc.wait(5.0)
        if proc.stdin is not None:
            proc.stdin.close()
        os.close(read_fd)
