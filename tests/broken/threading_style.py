"""Broken threading-style barriers: each is :class:`~.correct.DrainingBarrier`
with ONE seeded bug, overriding one step. Each docstring names the bug and the property of
the conformance suite that must reject it."""

from __future__ import annotations

import threading

from .correct import BROKEN, DRAINING, FILLING, RESETTING, DrainingBarrier


class DuplicateIndexBarrier(DrainingBarrier):
    """Bug: in every second round the last arrival gets index 0, which the first arrival of
    that round also got. Property: arrival index (distinct, in 0..parties-1, per round)."""

    def _arrive(self) -> int:
        index = super()._arrive()
        return 0 if self._rounds % 2 == 1 and index == self._parties - 1 else index


class IndexOutOfRangeBarrier(DrainingBarrier):
    """Bug: indices count from 1, so the last arrival gets ``parties``.
    Property: arrival index (in range 0..parties-1)."""

    def _arrive(self) -> int:
        return super()._arrive() + 1


class CountdownIndexBarrier(DrainingBarrier):
    """Not a bug of the contract: indices count down from ``parties - 1`` (the first arrival
    gets ``parties - 1``, the last 0, as Java's ``CyclicBarrier.await``). Distinct and in range,
    so it keeps ``threading``; CPython numbers arrivals up from 0, so it breaks
    ``threading-cpython``. Property: arrival index (the arrival order)."""

    def _arrive(self) -> int:
        return self._parties - 1 - super()._arrive()


class NoIndexBarrier(DrainingBarrier):
    """Not a bug of its own contract: ``wait()`` returns None (aiologic's ``Latch`` does), so
    it keeps ``threading`` with ``index=returns-none`` and breaks ``threading`` itself.
    Property: arrival index."""

    def wait(self, timeout: float | None = None) -> None:  # type: ignore[override]
        super().wait(timeout)


class EarlyReleaseBarrier(DrainingBarrier):
    """Bug: a round is released after parties-1 arrivals. Property: release count (nobody
    passes before ``parties`` parties have arrived)."""

    def _release_ready(self) -> bool:
        return self._count >= self._parties - 1


class LappingBarrier(DrainingBarrier):
    """Bug: the round reopens when one released party is still inside (count 1, not 0), so
    that party sees "filling" again, goes back to sleep and is counted in the next round.
    Property: draining (every released party returns from the round that released it)."""

    def _exit(self) -> None:
        if self._count <= 1 and self._state in (DRAINING, RESETTING):
            self._state = FILLING
            self._cond.notify_all()


class ActionTwiceBarrier(DrainingBarrier):
    """Bug: the action runs twice per round. Property: single action (exactly once)."""

    def _run_action(self) -> None:
        super()._run_action()
        super()._run_action()


class LateActionBarrier(DrainingBarrier):
    """Bug: the round is released first and the action runs afterwards, once the other
    parties have left. Property: single action (runs before anyone is released)."""

    def _trip(self) -> None:
        self._state = DRAINING
        self._rounds += 1
        self._wake_all()
        self._cond.wait_for(lambda: self._count <= 1, 1.0)  # let the others return first
        self._run_action()


class EarlyActionBarrier(DrainingBarrier):
    """Bug: the action runs at the first arrival of a round instead of when the round fills.
    Property: action (runs once per round, when the last party arrives, before release)."""

    def _arrive(self) -> int:
        index = super()._arrive()
        if index == 0:
            super()._run_action()
        return index

    def _run_action(self) -> None:
        """Already run at the first arrival."""


class ActionFailureNotBreakingBarrier(DrainingBarrier):
    """Bug: when the action raises, the last arrival gets the exception but the others are
    released normally and the barrier is not broken. Property: action failure."""

    def _trip(self) -> None:
        try:
            self._run_action()
        finally:
            self._state = DRAINING
            self._rounds += 1
            self._wake_all()


class TimeoutIgnoredBarrier(DrainingBarrier):
    """Bug: the timeout is ignored: a timed wait blocks until released, possibly forever.
    Property: timeout (a timed-out wait breaks the barrier and raises BrokenBarrierError);
    the driver reports a hang."""

    def _wait_for_release(self, timeout: float | None) -> None:
        super()._wait_for_release(None)


class TimeoutNoBreakBarrier(DrainingBarrier):
    """Bug: a timed-out waiter raises BrokenBarrierError and leaves, but the barrier is not
    broken: the others keep waiting. Property: timeout (threading: a timeout breaks it)."""

    def _on_timeout(self) -> None:
        raise threading.BrokenBarrierError


class ResetNoWakeBarrier(DrainingBarrier):
    """Bug: reset() changes the state but wakes nobody: the waiters stay blocked.
    Property: reset (current waiters get BrokenBarrierError)."""

    def reset(self) -> None:
        with self._cond:
            if self._count > 0:
                if self._state in (FILLING, BROKEN):
                    self._state = RESETTING
            else:
                self._state = FILLING


class ResetStaysBrokenBarrier(DrainingBarrier):
    """Bug: reset() of a broken barrier with nobody inside leaves it broken.
    Property: reset (repairs a broken barrier)."""

    def reset(self) -> None:
        with self._cond:
            if self._count > 0:
                if self._state in (FILLING, BROKEN):
                    self._state = RESETTING
            elif self._state != BROKEN:
                self._state = FILLING
            self._cond.notify_all()


class AbortOnlyCurrentBarrier(DrainingBarrier):
    """Bug: abort() breaks only the current waiters; afterwards the barrier works again, so
    future callers pass. Property: abort (broken for current and future callers)."""

    def abort(self) -> None:
        with self._cond:
            self._state = RESETTING if self._count > 0 else FILLING
            self._cond.notify_all()


class BrokenClearsBarrier(DrainingBarrier):
    """Bug: "broken" clears by itself when the last waiter leaves a broken barrier.
    Property: broken stickiness (broken until reset())."""

    def _exit(self) -> None:
        if self._count == 0 and self._state in (DRAINING, RESETTING, BROKEN):
            self._state = FILLING
            self._cond.notify_all()


class NWaitingOffByOneBarrier(DrainingBarrier):
    """Bug: n_waiting reports one less than the number of waiters. Property: n_waiting."""

    @property
    def n_waiting(self) -> int:
        return max(self._count - 1, 0) if self._state == FILLING else 0


class NoValidationBarrier(DrainingBarrier):
    """Bug: validation off by one: ``parties=1`` (a valid, always-passing barrier) is rejected
    with ValueError. Property: argument validation (valid parties are accepted)."""

    def _validate(self, parties: int) -> None:
        if not isinstance(parties, int) or parties < 2:
            raise ValueError(f"parties must be >= 2, got {parties!r}")


class LostWakeupBarrier(DrainingBarrier):
    """Bug: the release wakes one waiter (notify) instead of all (notify_all): the others
    stay blocked. Property: release / lost wake-ups (every party of a round returns)."""

    def _wake_all(self) -> None:
        self._cond.notify()


__all__ = [
    "AbortOnlyCurrentBarrier",
    "ActionFailureNotBreakingBarrier",
    "ActionTwiceBarrier",
    "BrokenClearsBarrier",
    "DuplicateIndexBarrier",
    "EarlyActionBarrier",
    "EarlyReleaseBarrier",
    "IndexOutOfRangeBarrier",
    "LappingBarrier",
    "LateActionBarrier",
    "LostWakeupBarrier",
    "NWaitingOffByOneBarrier",
    "NoValidationBarrier",
    "ResetNoWakeBarrier",
    "ResetStaysBrokenBarrier",
    "TimeoutIgnoredBarrier",
    "TimeoutNoBreakBarrier",
]


class NoDrainWaitBarrier(DrainingBarrier):
    """Bug: a newcomer does not wait while the last round drains; a party that comes straight
    back laps the released parties that have not resumed (its index counts them). Visible only
    when a released party is held inside wait() (a controlled schedule)."""

    def _enter(self) -> None:
        while self._state == RESETTING:
            self._cond.wait()
        if self._state == BROKEN:
            raise threading.BrokenBarrierError
