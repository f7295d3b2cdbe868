"""The history checker: is a free-running barrier history consistent with barrier semantics?

``check_history(history, parties=None)`` applies the rules of :mod:`._history_rules` to each
barrier name separately (names are independent, so the check is compositional, as in
Porcupine's partitions):

* **with round information** (every released wait carries its round): sort, then one greedy
  sweep over the rounds in order, placing each trip point as early as the rules allow.
  O(n log n) for the sort plus, per round, the members whose certain presence is open at the
  trip point (bounded by the live members of the name).
* **without it**: a depth-first search assigns the released waits to rounds (see
  :mod:`._history_search`), exponential in the number of concurrently open waits, bounded by
  ``max_search_nodes``; past the bound the verdict is ``valid=None`` (unknown).

Also checked for every history: each worker's operations are sequential (a worker is one thread
of control), times are well-formed, a member is released at most once per round and never after
it was certainly withdrawn. Timeouts and cancels are never counted as releases.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from math import isfinite
from typing import Any, cast

from barrierspec.conformance._history_model import (
    HistoryVerdict,
    HistoryViolation,
    Kind,
    Operation,
    Outcome,
)
from barrierspec.conformance._history_rules import PresenceSweep, Window, presence_windows
from barrierspec.conformance._history_search import SearchBudgetError, search_rounds

__all__ = ["check_history"]

_WITHDRAWN_BY = (Outcome.TIMEOUT, Outcome.CANCELLED, Outcome.EXPIRED)


class _Columns:
    """The fields the sweeps read, as lists indexed by operation (faster than attributes)."""

    __slots__ = ("inv", "mem", "resp", "rnd")

    def __init__(
        self, inv: list[float], resp: list[Any], mem: list[str | None], rnd: list[int | None]
    ) -> None:
        self.inv, self.resp, self.mem, self.rnd = inv, resp, mem, rnd


class _Collector:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.found: list[HistoryViolation] = []

    def add(self, violation: HistoryViolation) -> None:
        if len(self.found) < self.limit:
            self.found.append(violation)

    @property
    def full(self) -> bool:
        return len(self.found) >= self.limit


def check_history(
    history: Sequence[Operation],
    *,
    parties: int | Mapping[str, int] | None = None,
    max_search_nodes: int = 200_000,
    max_violations: int = 20,
    progress: Callable[[str], None] | None = None,
) -> HistoryVerdict:
    """Decide whether ``history`` is consistent with set-linearizable barrier semantics.

    ``parties`` fixes the number of waits per round (fixed-parties barriers; an int for every
    name, or a mapping name -> parties, names it omits get the Grinder rule); without it the
    Grinder rule applies where ``join`` records exist (every certainly present member is in the
    round). ``progress``, if given, is called with a line of text before each barrier name.
    Returns a HistoryVerdict: ``valid`` True, False with the violations (rule, reason, witness
    operation indices; at most ``max_violations``), or None when a search hit its budget.
    """
    found = _Collector(max_violations)
    inv = [op.invoke for op in history]
    resp = [op.response for op in history]
    cols = _Columns(inv, resp, [op.member for op in history], [op.round for op in history])
    released_flags = [op.kind is Kind.WAIT and op.outcome is Outcome.OK for op in history]
    by_worker: dict[str, list[int]] = {}
    by_barrier: dict[str, list[int]] = {}
    for i, op in enumerate(history):
        by_worker.setdefault(op.worker, []).append(i)
        by_barrier.setdefault(op.barrier, []).append(i)
    suspects = [
        i
        for i, (a, b, op) in enumerate(zip(inv, resp, history, strict=True))
        if b is None
        or b < a
        or not isfinite(a)
        or op.outcome is Outcome.PENDING
        or (op.round is not None and (not released_flags[i] or op.round < 1))
    ]
    for i in suspects:
        op = history[i]
        if not _well_formed(op):
            found.add(
                HistoryViolation("malformed", op.barrier, f"operation {i} is malformed: {op}", (i,))
            )
    for worker, ops in by_worker.items():
        _check_worker(history, inv, worker, ops, found)
    rounds: dict[int, int] = {}
    trips: dict[tuple[str, int], float] = {}
    methods: dict[str, str] = {}
    notes: list[str] = []
    unknown = False
    for barrier, ops in by_barrier.items():
        size = parties.get(barrier) if isinstance(parties, Mapping) else parties
        if progress is not None:
            progress(f"checking barrier {barrier!r}: {len(ops):,} operations")
        released = [i for i in ops if released_flags[i] and resp[i] is not None]
        others = [i for i in ops if not released_flags[i]]
        labelled = len(released) - [cols.rnd[i] for i in released].count(None)
        if labelled and labelled != len(released):
            found.add(
                HistoryViolation(
                    "malformed",
                    barrier,
                    f"barrier {barrier!r}: {labelled} of {len(released)} released waits carry a "
                    "round; give the round of all of them or of none",
                )
            )
            continue
        _check_members(history, cols, barrier, released, others, found=found)
        windows = presence_windows(history, released, others)
        if size is None and not any(history[i].kind is Kind.JOIN for i in ops):
            notes.append(f"barrier {barrier!r}: no join records, membership rule not checked")
        if labelled or not released:
            methods[barrier] = "rounds"
            _sweep_rounds(
                history,
                cols,
                barrier,
                released,
                windows=windows,
                parties=size,
                found=found,
                trips=trips,
            )
            labels = cast("list[int]", [cols.rnd[i] for i in released])
            rounds.update(zip(released, labels, strict=True))
            continue
        methods[barrier] = "search"
        try:
            assignment = search_rounds(history, released, windows, size, max_search_nodes)
        except SearchBudgetError as exc:
            unknown = True
            notes.append(f"barrier {barrier!r}: {exc}")
            continue
        if isinstance(assignment, HistoryViolation):
            found.add(assignment)
            continue
        for number, (group, trip) in enumerate(assignment, start=1):
            trips[(barrier, number)] = trip
            rounds.update((i, number) for i in group)
    valid: bool | None = False if found.found else (None if unknown else True)
    return HistoryVerdict(valid, tuple(found.found), rounds, trips, methods, tuple(notes))


def _well_formed(op: Operation) -> bool:
    if not math.isfinite(op.invoke):
        return False
    if op.response is None:
        return op.outcome is Outcome.PENDING or op.kind is Kind.CRASH
    if op.outcome is Outcome.PENDING or op.response < op.invoke:
        return False
    return op.round is None or (op.released and op.round >= 1)


def _check_worker(
    history: Sequence[Operation], inv: list[float], worker: str, ops: list[int], found: _Collector
) -> None:
    """A worker is one thread of control: its operations do not overlap."""
    ops.sort(key=inv.__getitem__)
    for prev, nxt in itertools.pairwise(ops):
        end = history[prev].response
        if end is None or end > inv[nxt]:
            shown = "never returned" if end is None else f"returned at {end}"
            found.add(
                HistoryViolation(
                    "worker-order",
                    history[nxt].barrier,
                    f"worker {worker!r} invoked operation {nxt} at {inv[nxt]} while its "
                    f"operation {prev} (invoked at {inv[prev]}) {shown}: a worker's "
                    "operations must be sequential",
                    (prev, nxt),
                )
            )
            return


def _check_members(
    history: Sequence[Operation],
    cols: _Columns,
    barrier: str,
    released: list[int],
    others: list[int],
    *,
    found: _Collector,
) -> None:
    """A member's released waits do not overlap; none follows the member's withdrawal."""
    gone_at: dict[str, tuple[float, int]] = {}
    for i in others:
        op = history[i]
        if op.member is None or op.response is None:
            continue
        withdraws = (op.kind is Kind.CANCEL and op.outcome is Outcome.OK) or (
            op.kind is Kind.WAIT and op.outcome in _WITHDRAWN_BY
        )
        if withdraws and (op.member not in gone_at or op.response < gone_at[op.member][0]):
            gone_at[op.member] = (op.response, i)
    busy_until: dict[str, tuple[float, int]] = {}
    inv, resp, mem = cols.inv, cols.resp, cols.mem
    for i in sorted(released, key=inv.__getitem__):
        member = mem[i]
        if member is None:
            continue
        end = resp[i]
        prev = busy_until.get(member)
        gone = gone_at.get(member)
        if (prev is not None and prev[0] > inv[i]) or (gone is not None and inv[i] > gone[0]):
            _member_violations(history, barrier, i, prev, gone, found=found)
        if prev is None or end > prev[0]:
            busy_until[member] = (end, i)


def _member_violations(
    history: Sequence[Operation],
    barrier: str,
    i: int,
    prev: tuple[float, int] | None,
    gone: tuple[float, int] | None,
    *,
    found: _Collector,
) -> None:
    """Report the member rules broken by released wait ``i`` (see _check_members)."""
    op, member = history[i], history[i].member
    if prev is not None and prev[0] > op.invoke:
        found.add(
            HistoryViolation(
                "member-in-two-rounds",
                barrier,
                f"member {member!r} was in two waits at once: operation {prev[1]} (round "
                f"{history[prev[1]].round}) and operation {i} (round {op.round}) overlap; "
                "a member waits once at a time",
                (prev[1], i),
                op.round,
            )
        )
    if gone is not None and op.invoke > gone[0]:
        found.add(
            HistoryViolation(
                "released-after-withdrawal",
                barrier,
                f"member {member!r} was released by operation {i} (invoked at "
                f"{op.invoke}) after operation {gone[1]} withdrew it (returned at {gone[0]})",
                (gone[1], i),
                op.round,
            )
        )


def _sweep_rounds(
    history: Sequence[Operation],
    cols: _Columns,
    barrier: str,
    released: list[int],
    *,
    windows: list[Window],
    parties: int | None,
    found: _Collector,
    trips: dict[tuple[str, int], float],
) -> None:
    """Rules 1-5 with round information: one greedy pass over the rounds in order."""
    inv, resp, mem, rnd = cols.inv, cols.resp, cols.mem, cols.rnd
    groups: dict[int, list[int]] = {}
    for i in released:
        groups.setdefault(rnd[i], []).append(i)  # type: ignore[arg-type]
    sweep = PresenceSweep(windows)
    t_prev, set_by = -math.inf, None
    temporal_ok = True
    for r in sorted(groups):
        group = groups[r]
        first_back = min(group, key=resp.__getitem__)
        last_in = max(group, key=inv.__getitem__)
        lo, hi = inv[last_in], resp[first_back]
        if parties is not None and len(group) != parties:
            found.add(
                HistoryViolation(
                    "round-size",
                    barrier,
                    f"round {r} of {barrier!r} released {len(group)} waits, the barrier has "
                    f"{parties} parties",
                    tuple(sorted(group)),
                    r,
                )
            )
        members = cast("list[str]", list(map(mem.__getitem__, group)))
        member_set = set(members)
        if None in member_set:  # members without an id are not checked
            members = [m for m in members if m is not None]
            member_set = set(members)
        if len(member_set) != len(members):
            twice = sorted(m for m in member_set if members.count(m) > 1)
            found.add(
                HistoryViolation(
                    "member-twice-in-round",
                    barrier,
                    f"member(s) {twice} released twice in round {r} of {barrier!r}",
                    tuple(i for i in group if history[i].member in twice),
                    r,
                )
            )
        if lo > hi:
            found.add(
                HistoryViolation(
                    "early-release",
                    barrier,
                    f"round {r} of {barrier!r}: operation {first_back} returned at {hi} before "
                    f"operation {last_in} of the same round was invoked at {lo}; the waits of "
                    "one round must all be in progress at the trip point",
                    (first_back, last_in),
                    r,
                )
            )
            continue
        if not temporal_ok:
            continue
        a = max(lo, t_prev)
        if a > hi:
            found.add(
                HistoryViolation(
                    "round-order",
                    barrier,
                    f"round {r} of {barrier!r} must trip by {hi} (operation {first_back} "
                    f"returned then) but an earlier round cannot trip before {t_prev} "
                    f"(operation {set_by}): rounds out of order",
                    tuple(x for x in (set_by, first_back) if x is not None),
                    r,
                )
            )
            temporal_ok = False
            continue
        t, blocker = sweep.earliest(a, hi, member_set)
        if t > hi:
            assert blocker is not None
            until = "the end" if blocker.end == math.inf else f"{blocker.end}"
            found.add(
                HistoryViolation(
                    "missing-member",
                    barrier,
                    f"round {r} of {barrier!r} released {len(group)} member(s) while member "
                    f"{blocker.member!r} was certainly present (joined by {blocker.start}, "
                    f"not withdrawn before {until}) and not released: too few members",
                    tuple(
                        x
                        for x in (blocker.opened_by, blocker.closed_by, first_back)
                        if x is not None
                    ),
                    r,
                )
            )
            temporal_ok = False
            continue
        trips[(barrier, r)] = t
        t_prev, set_by = t, (last_in if t == lo else (blocker.closed_by if blocker else None))
