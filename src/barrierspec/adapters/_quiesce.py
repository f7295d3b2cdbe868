"""Quiescence by polling observations, with a watchdog (threads and processes).

After an operation is sent, :meth:`PollingDriver._settle` polls until the system is quiescent:

* every participant is idle, or *looks blocked* (see ``_probe``) with an unchanged event
  count over ``quiet_polls`` consecutive polls, ``poll`` seconds apart (each poll waits on
  "an operation finished", so finishing operations are seen at once);
* a participant inside a wait with a real-clock timeout (its own, or the barrier's default)
  is never taken as blocked: the controller waits until that wait returns.

Watchdog: a timed wait still inside the barrier ``settle`` seconds after its timeout, or an
untimed operation still running (not blocked) ``settle`` seconds after it was sent, is a
:class:`~barrierspec.adapters.Hang`; so is an ``abort()``/``reset()``/join blocked at
quiescence (they must not block), once it has looked blocked, with no event, for
``CONFIRM_HANG`` seconds: a claim of a defect waits longer than a few polls, which a loaded
machine can leave a running participant unscheduled for. Hung participants are marked stuck:
later steps list them as blocked (a step waits, up to ``settle`` s, for a stuck one it sees
running again, such as one a reset freed), and ``close()`` frees or kills them.
"""

from __future__ import annotations

import abc
import time

from barrierspec.adapters._base import Driver, describe
from barrierspec.adapters._ops import Hang, Op, WaitOp
from barrierspec.adapters._probe import Observation

__all__ = ["CONFIRM_HANG", "PollingDriver"]

CONFIRM_HANG = 0.25  # seconds an abort()/reset()/join must stay blocked to be a hang


class PollingDriver(Driver):
    """A driver that finds quiescence by polling observations of its participants."""

    @abc.abstractmethod
    def _busy_now(self) -> dict[int, Op]:
        """Each participant inside an operation, with that operation."""

    @abc.abstractmethod
    def _observe(self, participant: int) -> Observation:
        """One observation of a busy participant."""

    @abc.abstractmethod
    def _await_change(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for an operation to finish (collecting it)."""

    def _settle(self, op: Op) -> Hang | None:
        start = time.monotonic()
        last_key: tuple[tuple[int, int], ...] | None = None
        stable, stable_since = 0, start
        while True:
            everyone = self._busy_now()
            busy = {p: o for p, o in everyone.items() if p not in self._stuck}
            timed = {p: t for p, o in busy.items() if (t := self.effective_timeout(o)) is not None}
            seen = {p: self._observe(p) for p in busy if p not in timed}
            freed = self._stuck_returning(everyone, start)
            if not timed and not freed and all(o.blocked for o in seen.values()):
                key = tuple(sorted((p, o.events) for p, o in seen.items()))
                if key != last_key:
                    stable, stable_since = 0, time.monotonic()
                else:
                    stable += 1
                last_key = key
                if stable >= self.quiet_polls and self._quiet_enough(busy, stable_since):
                    return self._blocked_non_waits(op, busy, seen, start)
            else:
                last_key, stable = None, 0
                hang = self._overdue(op, start, busy, timed, seen)
                if hang is not None:
                    return hang
            self._await_change(self.poll)

    def _stuck_returning(self, everyone: dict[int, Op], start: float) -> bool:
        """Whether a participant stuck after an earlier hang is running again (a reset or an
        abort may free it): its return is waited for, up to ``settle`` s after the step."""
        if time.monotonic() - start > self.settle:
            return False
        return any(not self._observe(p).blocked for p in everyone if p in self._stuck)

    def _quiet_enough(self, busy: dict[int, Op], stable_since: float) -> bool:
        """Whether a quiet spell is long enough: a blocked non-wait is a defect, so it is
        confirmed over ``CONFIRM_HANG`` s (bounded by ``settle``) rather than a few polls."""
        if all(isinstance(o, WaitOp) for o in busy.values()):
            return True
        return time.monotonic() - stable_since >= min(CONFIRM_HANG, self.settle)

    def _overdue(
        self,
        op: Op,
        start: float,
        busy: dict[int, Op],
        timed: dict[int, float],
        seen: dict[int, Observation],
    ) -> Hang | None:
        elapsed = time.monotonic() - start
        late: dict[int, str] = {}
        for p, t in timed.items():
            if elapsed > t + self.settle:
                late[p] = (
                    f"participant {p} still blocked {elapsed - t:.1f} s after its "
                    f"{t:g} s timeout in {describe(busy[p])}"
                )
        bound = self.settle + max(timed.values(), default=0.0)
        for p, o in seen.items():
            if not o.blocked and elapsed > bound:
                late[p] = (
                    f"participant {p} still running ({o.where}) {elapsed:.1f} s after "
                    f"{describe(busy[p])} was sent, neither returning nor blocked"
                )
        return self._hang(op, late, elapsed) if late else None

    def _blocked_non_waits(
        self, op: Op, busy: dict[int, Op], seen: dict[int, Observation], start: float
    ) -> Hang | None:
        late = {
            p: (
                f"participant {p} blocked in {describe(o)} ({seen[p].where}), "
                "which must return without waiting for other participants"
            )
            for p, o in busy.items()
            if not isinstance(o, WaitOp)
        }
        return self._hang(op, late, time.monotonic() - start) if late else None

    def _hang(self, op: Op, late: dict[int, str], elapsed: float) -> Hang:
        self._stuck.update(late)
        message = "; ".join(late[p] for p in sorted(late))
        self.ledger.note(f"hang: {message}")
        return Hang(frozenset(late), round(elapsed, 3), op, message, tuple(self.program))
