"""A controlled asyncio loop: the checker chooses which participant's ready callback runs next.

asyncio runs one callback at a time, so a task runs exactly from one suspension point to the
next; the standard loop runs ready callbacks first in, first out. :class:`ControlledLoop`
instead runs ONE ready callback per *turn*, chosen like this:

* every callback belongs to the participant whose context scheduled it (the context variable
  ``PARTICIPANT``: a participant's task runs in a context carrying its id, and what it
  schedules -- a task step, the wake-up of a future it awaits, a task it creates -- inherits
  it); callbacks of nobody (the harness, an executor thread's hand-over) run first, FIFO;
* if callbacks of several participants are ready, the *chooser* (``Scripted``, ``PCT``, or
  one drawn by Hypothesis; ``adapters._controlled_schedules``) picks the participant, whose
  oldest ready callback runs; with one participant ready the turn is forced;
* nobody ready: if an executor job started through the loop (``run_in_executor``,
  ``asyncio.to_thread``) is pending, the loop waits in real time (at most ``bound``) for its
  hand-over, or until every pending job's thread is blocked
  (:meth:`~barrierspec.adapters._async_loop.VirtualClockLoop.wait_outside`); otherwise the
  earliest virtual timer fires (the clock jumps to its deadline, instantly); no timer
  either: the loop is *quiescent*, every pending task is blocked.

So a task woken by the barrier (its future resolved, its wake-up ready) can be held while
others run, re-enter, reset, abort or cancel it: the window between "released" and
"resumed" where the subtle bugs live. Cancelling a task whose wake-up is ready throws
``CancelledError`` into it at the ``await`` it resumes from.

Blocked, precisely: a pending task is blocked when the loop is quiescent. A task awaiting an
executor job is blocked only when the job's thread is (the loop waits for the job, up to
``bound``, or until every pending job looks blocked); a task awaiting
a future that a thread the loop does not know resolves (``call_soon_threadsafe`` from a
thread of the target's own) is taken for blocked.

The loop is driven by :meth:`ControlledLoop.run_turns` on the calling thread; it is never
``run_forever``'s. Relies on ``_ready``, ``_scheduled`` and ``_selector`` of
``asyncio.BaseEventLoop`` (3.11 to 3.13).
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from barrierspec.adapters._async_loop import VirtualClockLoop
from barrierspec.adapters._ledger import PARTICIPANT

__all__ = ["ControlledLoop", "LoopEnd"]

Chooser = Callable[[list[int]], int]


@dataclass(frozen=True)
class LoopEnd:
    """How :meth:`ControlledLoop.run_turns` stopped.

    ``why``: "quiescent" (nobody can run, no timer left), "turns" (the turn limit was hit: a
    task that never blocks), "outside" (an executor job did not hand over within the bound).
    """

    why: str
    turns: int


def owner(handle: asyncio.Handle) -> int:
    """The participant a ready callback belongs to (-1: nobody)."""
    context = getattr(handle, "_context", None)
    return -1 if context is None else context.get(PARTICIPANT, -1)


class ControlledLoop(VirtualClockLoop):
    """A virtual-clock loop whose turns are chosen (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self.turn_hook: Callable[[int, list[int]], None] | None = None

    # -- turns ------------------------------------------------------------------------------

    def ready_owners(self) -> list[int]:
        """The participants with a ready callback, in id order (-1 included: nobody's)."""
        return sorted({owner(h) for h in self._ready if not h.cancelled()})  # type: ignore[attr-defined]

    def is_ready(self, participant: int) -> bool:
        """Whether ``participant`` has a ready callback (e.g. woken, not resumed yet)."""
        return participant in self.ready_owners()

    @contextmanager
    def running(self) -> Iterator[None]:
        """Make this loop the calling thread's running loop (restoring the previous one)."""
        previous = asyncio.events._get_running_loop()
        asyncio.events._set_running_loop(self)
        try:
            yield
        finally:
            asyncio.events._set_running_loop(previous)

    def run_turns(
        self,
        chooser: Chooser,
        *,
        bound: float,
        max_turns: int,
        fire_timers: bool = True,
        eligible: Callable[[list[int]], list[int]] | None = None,
    ) -> LoopEnd:
        """Run turns until quiescence (see the module docstring), at most ``max_turns``.

        ``fire_timers=False``: the clock does not move (the caller moves it, as the asyncio
        driver's ``Advance`` does); quiescence is then "nothing ready, no timer due now".
        ``eligible(ready)``: the ready participants that may take the turn (the others are
        held); nobody eligible counts as nobody ready.
        """
        turns = 0
        with self.running():
            while turns < max_turns:
                self._poll(0)
                self._due_timers()
                owners = self.ready_owners()
                if owners and owners[0] == -1:
                    self._run_first(-1)
                    continue
                if eligible is not None:
                    owners = eligible(owners)
                if not owners:
                    outside = self.wait_outside(bound) if self.outside_pending() else "blocked"
                    if outside == "timeout":
                        return LoopEnd("outside", turns)
                    if outside == "handed":
                        continue
                    if fire_timers and self._fire_timer():
                        continue
                    return LoopEnd("quiescent", turns)
                chosen = chooser(owners)
                if chosen not in owners:
                    raise ValueError(f"the chooser picked {chosen}, not one of {owners}")
                if self.turn_hook is not None:
                    self.turn_hook(chosen, owners)
                turns += 1
                self._run_first(chosen)
        return LoopEnd("turns", turns)

    def _run_first(self, participant: int) -> None:
        """Run the oldest ready callback of ``participant`` (dropping cancelled ones)."""
        ready = self._ready  # type: ignore[attr-defined]
        for index, handle in enumerate(ready):
            if not handle.cancelled() and owner(handle) == participant:
                del ready[index]
                handle._run()
                return

    def _poll(self, timeout: float) -> bool:
        """Take in I/O events (an executor's hand-over); False if none came in ``timeout``."""
        events = self._selector.select(timeout)  # type: ignore[attr-defined]
        self._process_events(events)  # type: ignore[attr-defined]
        return bool(events)

    def _due_timers(self) -> None:
        """Move the timers due at the current virtual time to the ready queue."""
        scheduled: list[asyncio.TimerHandle] = self._scheduled  # type: ignore[attr-defined]
        horizon = self.time() + self._clock_resolution  # type: ignore[attr-defined]
        while scheduled and (scheduled[0].cancelled() or scheduled[0].when() < horizon):
            handle = heapq.heappop(scheduled)
            handle._scheduled = False  # type: ignore[attr-defined]
            if not handle.cancelled():
                self._ready.append(handle)  # type: ignore[attr-defined]

    def _fire_timer(self) -> bool:
        """Jump the clock to the earliest live timer; False if there is none."""
        when = self.next_timer()
        if when is None:
            return False
        self.set_time(when)
        self._due_timers()
        return True
