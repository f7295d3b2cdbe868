"""Assign released waits to rounds when the history carries no round information.

Depth-first search over the rounds in order. At each step the next round is a set ``S`` of
unassigned released waits such that the rules of :mod:`._history_rules` hold for it with the
earliest feasible trip point ``t >= t_prev`` (the same placement the round-info sweep uses, so
the search accepts a history exactly when some numbering of its rounds passes the sweep).

Pruning, each keeping the search complete:

* the next trip is no later than ``d``, the earliest response among unassigned waits (that
  wait's own round trips by ``d`` and rounds are ordered), so ``S`` only draws from waits
  invoked by ``d``;
* after placing ``S`` at ``t``, every remaining wait must still be able to trip (``response >=
  t``);
* failed states ``(unassigned set, t_prev)`` are memoised (as Lowe's and Porcupine's caches).

Cost: up to ``2^k`` candidate sets per step where ``k`` is the number of waits invoked by the
earliest pending deadline (``C(k, parties)`` with fixed parties); exponential in concurrency,
linear-ish in length for histories of bounded concurrency. ``max_nodes`` bounds the candidate
sets tried; past it SearchBudgetError is raised and the verdict is "unknown".
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence

from barrierspec.conformance._history_model import HistoryViolation, Operation
from barrierspec.conformance._history_rules import Window, earliest_trip

__all__ = ["SearchBudgetError", "search_rounds"]

Assignment = list[tuple[frozenset[int], float]]
Candidate = tuple[frozenset[int], float]


class SearchBudgetError(Exception):
    """The search tried more candidate rounds than its budget allows."""


def search_rounds(
    history: Sequence[Operation],
    released: Sequence[int],
    windows: Sequence[Window],
    parties: int | None,
    max_nodes: int,
) -> Assignment | HistoryViolation:
    """Rounds (wait indices, trip point) in order, or a HistoryViolation if no assignment exists."""
    inv = {i: history[i].invoke for i in released}
    resp = {i: float(history[i].response) for i in released}  # type: ignore[arg-type]
    member = {i: history[i].member for i in released}
    barrier = history[released[0]].barrier

    def candidates(
        unassigned: frozenset[int], t_prev: float
    ) -> Iterator[tuple[frozenset[int], float]]:
        d = min(resp[i] for i in unassigned)
        pool = sorted((i for i in unassigned if inv[i] <= d), key=inv.__getitem__)
        sizes = [parties] if parties is not None else range(len(pool), 0, -1)
        for size in sizes:
            for combo in itertools.combinations(pool, size):
                members = [m for m in (member[i] for i in combo) if m is not None]
                member_set = set(members)
                if len(member_set) != len(members):
                    continue
                lo = max(inv[i] for i in combo)
                hi = min(resp[i] for i in combo)
                a = max(lo, t_prev)
                if a > hi:
                    continue
                t, _ = earliest_trip(windows, a, hi, member_set)
                if t > hi:
                    continue
                group = frozenset(combo)
                rest = unassigned - group
                if rest and min(resp[i] for i in rest) < t:
                    continue
                yield group, t

    nodes = 0
    failed: set[tuple[frozenset[int], float]] = set()
    root = frozenset(released)
    stack = [(root, -math.inf, candidates(root, -math.inf))]
    path: Assignment = []
    placed: Assignment = []  # the longest prefix of rounds a dead end was reached from
    while stack:
        unassigned, t_prev, options = stack[-1]
        for group, t in options:
            nodes += 1
            if nodes > max_nodes:
                raise SearchBudgetError(
                    f"search for rounds gave up after {max_nodes} candidate rounds "
                    f"({len(released)} released waits); record rounds to check in O(n log n)"
                )
            rest = unassigned - group
            if not rest:
                path.append((group, t))
                return path
            if (rest, t) in failed:
                continue
            path.append((group, t))
            stack.append((rest, t, candidates(rest, t)))
            break
        else:
            if len(path) > len(placed) or not placed:
                placed = list(path)
            failed.add((unassigned, t_prev))
            stack.pop()
            if path:
                path.pop()
    rest = root.difference(*(group for group, _ in placed))
    stuck = min(rest, key=resp.__getitem__)
    tried = f"{nodes} candidate round{'s' if nodes != 1 else ''} tried"
    return HistoryViolation(
        "no-round-assignment",
        barrier,
        f"the {len(released)} released waits of {barrier!r} cannot be grouped into ordered "
        f"rounds that keep the barrier rules ({tried}): at best the first {len(placed)} "
        f"round(s) can be placed, then operation {stuck} (invoked at {inv[stuck]}, returned "
        f"at {resp[stuck]}) cannot be placed in any round",
        (stuck,),
        placed=tuple(tuple(sorted(group)) for group, _ in placed),
    )
