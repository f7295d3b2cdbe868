"""Hostile targets: barriers that attack the checker rather than break the model.

Each is ``threading.Barrier`` with one hostile twist. The supervised check must still write
its report and exit, within bounded time, leaving nothing behind; ``HOSTILE`` maps each
class to the exit code and a phrase the report must contain.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import threading
import time
from typing import Any

_FOREVER = threading.Event()  # never set: threads waiting on it never end by themselves
_LEAKED: set[str] = set()  # what this process already leaked (once is enough, and cheaper)


def _first_time(what: str) -> bool:
    fresh = what not in _LEAKED
    _LEAKED.add(what)
    return fresh


class LeaksThreadBarrier(threading.Barrier):
    """wait() starts a non-daemon thread that never ends (it keeps the process alive); once
    per process."""

    def wait(self, timeout: float | None = None) -> int:
        index = super().wait(timeout)
        if _first_time("thread"):
            threading.Thread(target=_FOREVER.wait, name="hostile-leak", daemon=False).start()
        return index


class LeaksProcessBarrier(threading.Barrier):
    """wait() starts a child process that outlives the program; once per process."""

    def wait(self, timeout: float | None = None) -> int:
        index = super().wait(timeout)
        if _first_time("process"):
            subprocess.Popen(  # the leak is the point
                [sys.executable, "-c", "import time; time.sleep(3600)"],
                stdin=subprocess.DEVNULL,
            )
        return index


class ExitZeroBarrier(threading.Barrier):
    """wait() ends the process with status 0 (the old CLI exited 0 without a report)."""

    def wait(self, timeout: float | None = None) -> int:
        os._exit(0)


class ExitOneBarrier(threading.Barrier):
    """wait() ends the process with status 1 (indistinguishable from "not conformant")."""

    def wait(self, timeout: float | None = None) -> int:
        os._exit(1)


class SegfaultBarrier(threading.Barrier):
    """wait() dereferences a null pointer: the process dies of SIGSEGV."""

    def wait(self, timeout: float | None = None) -> int:
        ctypes.string_at(0)
        return 0


class AbortDeadlockBarrier(threading.Barrier):
    """abort() deadlocks: it blocks forever on a lock nobody releases."""

    def abort(self) -> None:
        _FOREVER.wait()


class SlowConstructorBarrier(threading.Barrier):
    """Construction takes 20 s."""

    def __init__(self, parties: int, *args: Any, **kwargs: Any) -> None:
        time.sleep(20)  # the hostility under test, not synchronisation
        super().__init__(parties, *args, **kwargs)


class StopsItselfBarrier(threading.Barrier):
    """wait() stops its own process (SIGSTOP): a hang no bounded call inside can end."""

    def wait(self, timeout: float | None = None) -> int:
        import signal

        os.kill(os.getpid(), signal.SIGSTOP)
        return super().wait(timeout)


class RaisingNWaitingBarrier(threading.Barrier):
    """Reading n_waiting raises."""

    @property
    def n_waiting(self) -> int:
        raise RuntimeError("n_waiting is not available")


class NoneNWaitingBarrier(threading.Barrier):
    """n_waiting reads None."""

    @property
    def n_waiting(self) -> Any:
        return None


class FloatBrokenBarrier(threading.Barrier):
    """broken reads 2.5."""

    @property
    def broken(self) -> Any:
        return 2.5


class ZeroPartiesBarrier(threading.Barrier):
    """A third-party barrier that accepts parties <= 0 (a timed wait then breaks)."""

    def __init__(self, parties: int, *args: Any, **kwargs: Any) -> None:
        threading.Barrier.__init__(self, 1, *args, **kwargs)
        if isinstance(parties, int) and parties > 0:
            threading.Barrier.__init__(self, parties, *args, **kwargs)
        elif not isinstance(parties, int):
            raise TypeError(f"parties must be an int, got {parties!r}")
        else:
            self._parties = parties


# class -> (exit code, a phrase the report must contain; "a|b": one of them)
HOSTILE: dict[type, tuple[int, str]] = {
    LeaksThreadBarrier: (1, "leak: the target leaves non-daemon threads running"),
    LeaksProcessBarrier: (1, "leak: the target leaves child processes running"),
    ExitZeroBarrier: (1, "exit: the target's process exited with status 0"),
    ExitOneBarrier: (1, "exit: the target's process exited with status 1"),
    SegfaultBarrier: (1, "exit: the target's process was killed by signal SIGSEGV"),
    # the controlled thread driver sees the hang in abort() itself; an uncontrolled driver
    # sees the clean-up that calls abort() hang
    AbortDeadlockBarrier: (1, "abort()  ->  blocked: P0|clean-up hung"),
    SlowConstructorBarrier: (3, "construction with parties=2 takes more than"),
    RaisingNWaitingBarrier: (1, "reading n_waiting raised RuntimeError"),
    NoneNWaitingBarrier: (1, "n_waiting read None where an int >= 0 is required"),
    FloatBrokenBarrier: (1, "broken read 2.5 where a bool is required"),
    ZeroPartiesBarrier: (1, "accepts parties=0: parties <= 0 must raise ValueError"),
}
