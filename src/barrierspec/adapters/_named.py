"""Driving named barriers (The Grinder's model) from threads.

A named-barrier registry hands out members: ``registry.barrier(name)`` creates one (the
party count of a name is the number of live members), ``member.wait(timeout=None) -> bool``
waits until every live member of the name waits (False when the timeout elapsed, which
cancels the member), and ``member.cancel()`` withdraws the member, from any thread.

Each participant thread holds at most one live member: :class:`~barrierspec.adapters.JoinOp`
creates it, :class:`~barrierspec.adapters.WaitOp` waits on it, and
:class:`~barrierspec.adapters.CancelOp` is called by the controller (in a bounded call, so a
cancel that blocks is reported, not waited on forever); its outcome is the step's
``control``. Quiescence and the watchdog are the thread driver's.
"""

from __future__ import annotations

from typing import Any

from barrierspec.adapters._base import build_barrier, call_bounded
from barrierspec.adapters._ops import (
    CancelOp,
    JoinOp,
    Op,
    OpOutcome,
    OpRaised,
    OpReturned,
    Snapshot,
    WaitOp,
    outcome_of,
)
from barrierspec.adapters._target import Target
from barrierspec.adapters._threads import ThreadEngine
from barrierspec.errors import UsageError

__all__ = ["NamedThreadDriver"]


class NamedThreadDriver(ThreadEngine):
    """Drives a named-barrier registry; ``parties`` is ignored (membership is dynamic)."""

    kind = "named"

    def __init__(
        self,
        target: Target | str | object,
        parties: int,
        participants: int,
        *,
        name: str = "barrier",
        **options: Any,
    ) -> None:
        super().__init__(target, parties, participants, **options)
        self.name = name
        self.registry: Any = build_barrier(self.target, parties)
        self._members: dict[int, Any] = {}
        self._cancelled: set[int] = set()
        self._start_workers()

    def _validate(self, op: Op) -> None:
        super()._validate(op)
        if isinstance(op, WaitOp | CancelOp) and op.participant not in self._members:
            raise UsageError(
                f"participant {op.participant} has no member yet: JoinOp first ({op!r})"
            )
        # A JoinOp replaces the participant's member: the checker joins only participants whose
        # member it believes cancelled (by cancel(), or by a timed-out wait); whether the
        # barrier agrees is for the checker to judge, not for the driver.

    def execute(self, participant: int, op: Op) -> OpOutcome:
        try:
            if isinstance(op, JoinOp):
                self._members[participant] = self.registry.barrier(self.name)
                self._cancelled.discard(participant)
                return OpReturned(None)
            member = self._members[participant]
            timeout = op.timeout if isinstance(op, WaitOp) else None
            return OpReturned(member.wait() if timeout is None else member.wait(timeout))
        except BaseException as exc:
            return outcome_of(exc)

    def _barrier_for_snapshot(self) -> object | None:
        registry: object = self.registry
        return registry

    def _snapshot(self, barrier: object) -> Snapshot | None:
        """``waiting(name)`` as n_waiting and ``members(name)`` as parties (bounded call)."""
        if not self.capabilities.has_n_waiting:
            return None
        registry = self.registry

        def read() -> Snapshot:
            return Snapshot(
                int(registry.waiting(self.name)), None, int(registry.members(self.name))
            )

        outcome = call_bounded(read, min(self.settle, 1.0))
        if isinstance(outcome, OpReturned) and isinstance(outcome.value, Snapshot):
            return outcome.value
        return None

    def _control(self, op: Op) -> OpOutcome | None:
        p = op.participant  # type: ignore[union-attr]
        self._cancelled.add(p)
        outcome = call_bounded(self._members[p].cancel, self.settle)
        if outcome is None:
            return OpRaised(
                "other", "TimeoutError", f"member.cancel() did not return within {self.settle:g} s"
            )
        return outcome

    def _release_all(self) -> None:
        for p, member in list(self._members.items()):
            if p not in self._cancelled:
                call_bounded(member.cancel, 0.5)
