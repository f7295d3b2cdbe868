"""The rules a barrier history must satisfy, shared by the round-info sweep and the search.

A barrier is **set-linearizable** (Neiger 1994): the waits released together in round ``r`` of
a name take effect at one instant, the round's *trip point* ``t_r``. A history is consistent
when trip points can be chosen so that

1. every released wait of round ``r`` has ``invoke <= t_r <= response`` (so the waits of one
   round overlap at a common instant: no wait returns before the last one of its round was
   invoked);
2. the trip points of one name increase with the round number (non-strictly: clocks are coarse);
3. with ``parties`` (fixed-parties barriers) every round releases exactly ``parties`` waits;
4. with membership records (``join`` operations, Grinder semantics: the round trips when every
   member waits, ``W == N``), no member that is *certainly present* at ``t_r`` is left out of
   round ``r``. A member is certainly present from the response of its join until the invoke of
   the first operation that may withdraw it (a wait that timed out, was cancelled or is pending,
   a cancel); after an expiry, a failure or a crash it may have been withdrawn any time after
   the invoke of its last released wait, so its certain presence ends there;
5. a member is released at most once per round, and never after it was certainly withdrawn.

Choosing each ``t_r`` as early as rules 1, 2 and 4 allow is optimal for the later rounds (they
only need ``t_r`` small), so with round information a single greedy sweep decides rules 1-4.
This module holds the pieces both checkers use: certain-presence windows and the earliest
feasible trip point.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import attrs

from barrierspec.conformance._history_model import Kind, Operation, Outcome

__all__ = ["PresenceSweep", "Window", "earliest_trip", "presence_windows"]

_LEAVES_AT_INVOKE = (Outcome.TIMEOUT, Outcome.CANCELLED, Outcome.PENDING)
_LEAVES_UNKNOWN = (Outcome.EXPIRED, Outcome.FAILED, Outcome.BROKEN)


@attrs.frozen
class Window:
    """Member ``member`` is certainly present in the open interval (start, end)."""

    start: float
    end: float
    member: str
    opened_by: int  # index of the join operation
    closed_by: int | None  # index of the operation that ends certain presence, if any


def presence_windows(
    history: Sequence[Operation], released: Sequence[int], others: Iterable[int]
) -> list[Window]:
    """Certain-presence windows of the members of one barrier, sorted by start.

    ``released`` are the barrier's released waits, ``others`` its other operations. Members
    without a completed ``join`` get none (their presence is uncertain). Costs one pass over
    ``others``; the released waits are read only for members that expired, failed or crashed.
    """
    per_member: dict[str, list[int]] = {}
    for i in others:
        member = history[i].member
        if member is not None:
            per_member.setdefault(member, []).append(i)
    windows = []
    for member, ops in per_member.items():
        ops.sort(key=lambda i: history[i].invoke)
        join = next((i for i in ops if history[i].kind is Kind.JOIN), None)
        if join is None or history[join].response is None:
            continue
        start = history[join].response
        assert start is not None
        end, closed_by = math.inf, None
        for i in ops:
            op = history[i]
            if i == join or op.invoke < history[join].invoke:
                continue
            if op.kind is Kind.CANCEL or (op.kind is Kind.WAIT and op.outcome in _LEAVES_AT_INVOKE):
                end, closed_by = op.invoke, i
                break
            if op.kind is Kind.CRASH or op.outcome in _LEAVES_UNKNOWN:
                # Withdrawn at an unknown time after it was last certainly present: the invoke
                # of its last released wait before this operation.
                sure = [
                    history[r].invoke
                    for r in released
                    if history[r].member == member and history[r].invoke <= op.invoke
                ]
                end, closed_by = max([start, *sure]), i
                break
        if end > start:
            windows.append(Window(start, end, member, join, closed_by))
    windows.sort(key=lambda w: w.start)
    return windows


def earliest_trip(
    windows: Sequence[Window], a: float, hi: float, members: set[str]
) -> tuple[float, Window | None]:
    """The earliest t >= a at which no member outside ``members`` is certainly present.

    Returns (t, the window that last pushed t later, or None). ``t > hi`` means no feasible
    trip point. Scans every window: for the search, where histories are small.
    """
    blocker = None
    while a <= hi:
        best = None
        for w in windows:
            if w.start >= a:
                break
            if w.end > a and w.member not in members and (best is None or w.end > best.end):
                best = w
        if best is None:
            return a, blocker
        a, blocker = best.end, best
    return a, blocker


class PresenceSweep:
    """``earliest_trip`` for a non-decreasing sequence of queries, in amortised O(active).

    Windows are admitted once (sorted by start) and dropped once they end before the query
    point, so a whole history costs O(n log n + sum over rounds of the live windows).
    """

    def __init__(self, windows: Sequence[Window]) -> None:
        self._windows = windows
        self._next = 0
        self._active: list[Window] = []

    def earliest(self, a: float, hi: float, members: set[str]) -> tuple[float, Window | None]:
        blocker = None
        windows = self._windows
        while a <= hi:
            while self._next < len(windows) and windows[self._next].start < a:
                self._active.append(windows[self._next])
                self._next += 1
            best = None
            live = []
            for w in self._active:
                if w.end > a:
                    live.append(w)
                    if w.member not in members and (best is None or w.end > best.end):
                        best = w
            self._active = live
            if best is None:
                return a, blocker
            a, blocker = best.end, best
        return a, blocker
