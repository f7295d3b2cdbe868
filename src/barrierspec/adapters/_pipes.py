"""The part process drivers share: participants behind pipes, read until quiescence."""

from __future__ import annotations

import abc
import multiprocessing.connection
from multiprocessing.connection import Connection
from typing import Any

from barrierspec.adapters._base import describe
from barrierspec.adapters._ops import Hang, Op, OpOutcome, Snapshot, StepReport
from barrierspec.adapters._quiesce import PollingDriver

__all__ = ["PipeDriver"]


class PipeDriver(PollingDriver):
    """A polling driver whose participants are processes, each reached through a pipe.

    Subclasses fill ``_procs`` and ``_conns`` (one per participant) and say what a message
    means (``_receive``) and what a death does (``_died``).
    """

    _procs: list[Any]
    _conns: list[Connection]
    _sent: list[int]

    @abc.abstractmethod
    def _receive(self, p: int, message: Any) -> None:
        """Handle one message from participant ``p``."""

    @abc.abstractmethod
    def _died(self, p: int, how: str) -> None:
        """Record that participant ``p``'s process is gone (``how``: "killed", "died")."""

    @abc.abstractmethod
    def _read_snapshot(self) -> Snapshot | None:
        """The observers, read by the controller after quiescence."""

    def _send(self, p: int, op: Op) -> None:
        """Hand ``op`` to participant ``p`` (a dead pipe records the death)."""
        self.ledger.note(f"send p{p} {describe(op)}")
        self._busy[p] = op
        self._sent[p] += 1
        try:
            self._conns[p].send(op)
        except OSError:
            self._died(p, "died")

    def _report(self, op: Op, hang: Hang | None, control: OpOutcome | None = None) -> StepReport:
        """Everything that happened since the last report, as the StepReport of ``op``."""
        self._collect(0.0)
        returned, actions, log = self.ledger.drain()
        self._stuck.difference_update(returned)
        return StepReport(
            op,
            returned,
            frozenset(self._busy),
            frozenset(self._dead),
            actions,
            log,
            self._read_snapshot(),
            hang,
            control,
        )

    def _await_change(self, timeout: float) -> None:
        self._collect(timeout)

    def _collect(self, timeout: float) -> None:
        """Read every message and death available within ``timeout`` seconds."""
        live = [p for p in range(self.participants) if p not in self._dead]
        waitables: list[Any] = [self._conns[p] for p in live]
        waitables += [self._procs[p].sentinel for p in live]
        multiprocessing.connection.wait(waitables, timeout)
        for p in live:
            conn = self._conns[p]
            try:
                while conn.poll():
                    self._receive(p, conn.recv())
            except (EOFError, OSError):
                pass
            if not self._procs[p].is_alive():
                self._died(p, "died")
