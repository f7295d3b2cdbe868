"""The lease renewer: one background thread per registry keeps its live members' leases fresh.

Every ``interval`` seconds (a third of the lease) the thread groups the registry's live members
by (barrier name, epoch) and calls ``renew(name, epoch, members)`` once per group; the registry
runs the RENEW script, which also withdraws other processes' expired members (so a dead or
stopped process is withdrawn within about ``lease + interval`` of its last renewal even when no
member of the name does anything) and tells which of ours were withdrawn already.

A failing renewal (server unreachable) is retried at the next tick; the thread never dies of
it. A process that stops renewing (SIGSTOP, a long GC pause, a partition) loses its members once
their leases expire: that is the failure semantics, not an error of the renewer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Protocol

__all__ = ["LeaseRenewer", "Renewable"]


class Renewable(Protocol):
    """What the renewer needs of a member: the group it renews in."""

    @property
    def lease_group(self) -> tuple[str, str]:
        """(barrier name, epoch) of the member."""
        ...


RenewFn = Callable[[str, str, list[Renewable]], None]


class LeaseRenewer:
    """Calls ``renew`` for every group of registered members every ``interval`` seconds."""

    def __init__(self, renew: RenewFn, interval: float, *, name: str) -> None:
        self._renew = renew
        self._interval = interval
        self._name = name
        self._lock = threading.Lock()
        self._members: dict[Hashable, Renewable] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, key: Hashable, member: Renewable) -> None:
        """Renew ``member`` from now on; starts the thread on first use."""
        with self._lock:
            if self._stop.is_set():
                return
            self._members[key] = member
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()

    def discard(self, key: Hashable) -> None:
        """Stop renewing the member registered under ``key`` (no-op if absent)."""
        with self._lock:
            self._members.pop(key, None)

    def live(self) -> list[Renewable]:
        """The members currently renewed."""
        with self._lock:
            return list(self._members.values())

    def stop(self, timeout: float) -> None:
        """Stop the thread and wait up to ``timeout`` seconds for it to finish."""
        with self._lock:
            self._stop.set()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def renew_now(self) -> None:
        """One renewal pass in the calling thread (the thread's body; also used by tests)."""
        groups: dict[tuple[str, str], list[Renewable]] = {}
        for member in self.live():
            groups.setdefault(member.lease_group, []).append(member)
        for (name, epoch), members in groups.items():
            if self._stop.is_set():
                return
            try:
                self._renew(name, epoch, members)
            except Exception:  # retried at the next tick; see the module docstring
                continue

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.renew_now()
