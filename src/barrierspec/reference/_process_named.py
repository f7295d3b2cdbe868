"""Named barriers with dynamic membership for the processes of one machine.

Design: one *server* process (a :mod:`multiprocessing` manager) holds a
:class:`~barrierspec.reference.NamedBarriers` and a table ``member id -> (member, pid of the
process that created it)``. Every member operation is a call to the server; a ``wait`` is
served by the server thread of the calling thread's connection, so waits and cancels from
different threads and processes proceed concurrently. Names can be created at any time by
any process, which a fixed shared-memory table could not offer.

Deaths: a watchdog thread in the server checks the creator pids of live members every
``POLL`` seconds (pidfds: zombies count as dead) and cancels every member of a dead
process, so the survivors are released if all the rest are waiting: the Grinder console's
``cancelAll`` on a lost worker.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from multiprocessing.context import BaseContext
from multiprocessing.managers import BaseManager
from types import TracebackType
from typing import Any

from barrierspec.errors import CancelledBarrierError, InvalidOperationError, UsageError
from barrierspec.reference._liveness import first_dead
from barrierspec.reference._named import NamedBarrier, NamedBarriers
from barrierspec.reference._validate import check_timeout

__all__ = ["ProcessNamedBarrier", "ProcessNamedBarriers"]

POLL = 0.05  # seconds between two liveness sweeps of the server's watchdog


class _Server:
    """Lives in the manager process: the registry, the member table, the watchdog."""

    def __init__(self) -> None:
        self._registry = NamedBarriers()
        self._lock = threading.Lock()
        self._members: dict[int, tuple[NamedBarrier, int]] = {}
        self._next_id = 0
        self._stop = threading.Event()
        threading.Thread(target=self._watch, name="barrierspec-watchdog", daemon=True).start()

    def create(self, name: str, pid: int) -> int:
        member = self._registry.barrier(name)
        with self._lock:
            self._next_id += 1
            self._members[self._next_id] = (member, pid)
            return self._next_id

    def _member(self, member_id: int) -> NamedBarrier | None:
        with self._lock:
            entry = self._members.get(member_id)
        return None if entry is None else entry[0]

    def wait(self, member_id: int, timeout: float | None) -> bool:
        member = self._member(member_id)
        if member is None:
            raise CancelledBarrierError(
                "member is cancelled; create a new one with registry.barrier(name)"
            )
        try:
            return member.wait(timeout)
        finally:
            if member.cancelled:
                self._forget(member_id)

    def cancel(self, member_id: int) -> None:
        member = self._member(member_id)
        if member is not None:
            member.cancel()
            self._forget(member_id)

    def cancelled(self, member_id: int) -> bool:
        member = self._member(member_id)
        return member is None or member.cancelled

    def members(self, name: str) -> int:
        return self._registry.members(name)

    def waiting(self, name: str) -> int:
        return self._registry.waiting(name)

    def _forget(self, member_id: int) -> None:
        with self._lock:
            self._members.pop(member_id, None)

    def _watch(self) -> None:
        """Cancel the members of every process that has died."""
        while not self._stop.wait(POLL):
            with self._lock:
                entries = list(self._members.items())
            pids = {pid for _, (_, pid) in entries}
            dead = set()
            while pids:
                pid = first_dead(pids)
                if pid is None:
                    break
                dead.add(pid)
                pids.discard(pid)
            for member_id, (member, pid) in entries:
                if pid in dead:
                    member.cancel()
                    self._forget(member_id)


class _Manager(BaseManager):
    pass


_Manager.register("NamedServer", _Server)


class ProcessNamedBarriers:
    """A registry of named barriers shared by the processes of one machine.

    Same semantics as :class:`~barrierspec.reference.NamedBarriers` (``barrier(name)``,
    ``members(name)``, ``waiting(name)``; members with ``wait(timeout) -> bool`` and
    ``cancel()``), across processes. Creating the registry starts a small server process;
    stop it with :meth:`shutdown` or a ``with`` block. The registry can be passed to child
    processes (as a ``Process`` argument, through a queue, under fork or spawn); members
    cannot: each process creates its own. When a process dies, its members are cancelled
    within ``POLL`` (0.05 s), so the others never wait for a dead process.
    """

    def __init__(self, *, ctx: BaseContext | None = None) -> None:
        self._manager: _Manager | None = _Manager(ctx=ctx or multiprocessing.get_context())
        self._manager.start()
        self._server: Any = self._manager.NamedServer()  # type: ignore[attr-defined]

    def __getstate__(self) -> dict[str, Any]:
        return {"_server": self._server, "_manager": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def barrier(self, name: str) -> ProcessNamedBarrier:
        """Create a new member of ``name`` owned by this process; N(name) + 1."""
        if not isinstance(name, str) or not name:
            raise UsageError(f"a barrier name must be a non-empty str, got {name!r}")
        return ProcessNamedBarrier(self._server, name, self._server.create(name, os.getpid()))

    def members(self, name: str) -> int:
        """N: the live members of ``name``."""
        return int(self._server.members(name))

    def waiting(self, name: str) -> int:
        """W: the members of ``name`` waiting now."""
        return int(self._server.waiting(name))

    def shutdown(self) -> None:
        """Stop the server process (only in the process that created the registry)."""
        if self._manager is None:
            raise InvalidOperationError("only the process that created the registry can stop it")
        self._manager.shutdown()

    def __enter__(self) -> ProcessNamedBarriers:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.shutdown()

    def __repr__(self) -> str:
        where = "owner" if self._manager is not None else "client"
        return f"<{type(self).__qualname__} ({where}) pid={os.getpid()}>"


class ProcessNamedBarrier:
    """One member of a process-wide named barrier; see :class:`NamedBarrier` for semantics.

    Not picklable: a member belongs to the process that created it (its death cancels it).
    """

    def __init__(self, server: Any, name: str, member_id: int) -> None:
        self._server = server
        self._id = member_id
        self.name = name

    def __getstate__(self) -> None:
        raise InvalidOperationError(
            "a ProcessNamedBarrier member belongs to the process that created it; pass the"
            " registry instead and call registry.barrier(name) in the other process"
        )

    def wait(self, timeout: float | None = None) -> bool:
        """Block until all members of the name wait; True, or False on timeout (cancels)."""
        return bool(self._server.wait(self._id, check_timeout(timeout)))

    def cancel(self) -> None:
        """Withdraw this member (N - 1) from any thread; idempotent."""
        self._server.cancel(self._id)

    @property
    def cancelled(self) -> bool:
        """True once the member is cancelled (by ``cancel()``, a timeout, or its death)."""
        return bool(self._server.cancelled(self._id))

    def __repr__(self) -> str:
        return f"<{type(self).__qualname__} {self.name!r} id={self._id}>"
