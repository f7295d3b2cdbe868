"""Plain-words explanations of the checker's violations, with times relative to the start.

``explain(history, violation)`` turns a :class:`HistoryViolation` into one or two sentences a reader
can check against the timeline, e.g. "operation 4 (w1, wait) returned at 3.2 ms, before
operations 6 and 7 of its round were invoked (at 3.5 and 3.9 ms): an early release". Times are
milliseconds from the first invocation of the history (seconds past 10 s). ``RULES`` states
each rule the checker applies, in the words the timeline's legend uses.
"""

from __future__ import annotations

from collections.abc import Sequence

from barrierspec.conformance._history_model import HistoryViolation, Kind, Operation, Outcome

__all__ = ["RULES", "explain", "format_time", "named_operations", "start_of"]

RULES: dict[str, str] = {
    "early-release": "the waits of one round are all in progress at its trip point: none "
    "returns before the last one of its round is invoked",
    "no-round-assignment": "the released waits can be grouped into rounds, in order, each "
    "keeping the barrier rules (all its waits in progress at one trip point)",
    "round-size": "a fixed-parties barrier releases exactly `parties` waits per round",
    "round-order": "the rounds of one barrier trip in order",
    "missing-member": "a round trips only when every member that is certainly present waits",
    "member-twice-in-round": "a member is released at most once per round",
    "member-in-two-rounds": "a member waits once at a time",
    "released-after-withdrawal": "a member that timed out or was cancelled is never released",
    "worker-order": "a worker is one thread of control: its operations do not overlap",
    "malformed": "every operation has finite times, a response after its invocation, and an "
    "outcome that matches its kind",
}


def start_of(history: Sequence[Operation]) -> float:
    """The time the relative times count from: the first invocation."""
    return min((op.invoke for op in history), default=0.0)


def format_time(t: float, t0: float) -> str:
    """``t`` relative to ``t0``: milliseconds, or seconds past 10 s."""
    dt = t - t0
    return f"{dt * 1000:.1f} ms" if abs(dt) < 10 else f"{dt:.3f} s"


def _op(history: Sequence[Operation], i: int) -> str:
    return f"operation {i} ({history[i].worker.rsplit(':', 1)[-1]}, {history[i].kind.value})"


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _late_ids(
    history: Sequence[Operation], i: int, candidates: Sequence[int], limit: int | None = None
) -> list[int]:
    """The first ``limit`` of the ``candidates`` invoked after operation ``i`` returned."""
    end = history[i].response
    assert end is not None
    late = [j for j in candidates if history[j].invoke > end]
    return sorted(late, key=lambda j: history[j].invoke)[:limit]


def _late(
    history: Sequence[Operation],
    i: int,
    candidates: Sequence[int],
    t0: float,
    *,
    limit: int | None = None,
    of: str = "",
) -> str:
    """'operations 6 and 7{of} were invoked (at ...)' for the waits of :func:`_late_ids`."""
    late = _late_ids(history, i, candidates, limit)
    if not late:
        return ""
    what, verb = ("operation", "was") if len(late) == 1 else ("operations", "were")
    times = _join([format_time(history[j].invoke, t0) for j in late])
    return f"{what} {_join([str(j) for j in late])}{of} {verb} invoked (at {times})"


def _same_round(history: Sequence[Operation], violation: HistoryViolation) -> list[int]:
    return [
        j
        for j, op in enumerate(history)
        if op.barrier == violation.barrier and op.released and op.round == violation.round
    ]


def _unplaced(history: Sequence[Operation], violation: HistoryViolation) -> list[int]:
    """The released waits outside the placed prefix that could share a round with the stuck
    one (the witness): not placed, and of another member."""
    placed = {i for group in violation.placed for i in group}
    stuck = violation.witness[0]
    member = history[stuck].member
    return [
        j
        for j, op in enumerate(history)
        if op.barrier == violation.barrier
        and op.released
        and j not in placed
        and (j == stuck or member is None or op.member != member)
    ]


def named_operations(
    history: Sequence[Operation], violation: HistoryViolation, parties: int | None = None
) -> list[int]:
    """The operations :func:`explain` names besides the witness (the late waits)."""
    if not violation.witness:
        return []
    first = violation.witness[0]
    if violation.rule == "early-release":
        return _late_ids(history, first, _same_round(history, violation))
    if violation.rule == "no-round-assignment":
        parties = parties if parties is not None else history[first].parties
        in_progress, late = _round_mates(history, violation, parties)
        if parties is not None and len(in_progress) < parties:
            return late
    return []


def _round_mates(
    history: Sequence[Operation], violation: HistoryViolation, parties: int | None
) -> tuple[list[int], list[int]]:
    """For the wait that cannot be placed: the unplaced waits of distinct members invoked by
    the time it returned (its possible round), and the first waits of further members invoked
    after it returned (up to the ``parties`` its round lacked)."""
    stuck = violation.witness[0]
    end = history[stuck].response
    assert end is not None
    seen: set[str | None] = set()
    in_progress: list[int] = []
    late: list[int] = []
    for j in sorted(_unplaced(history, violation), key=lambda j: history[j].invoke):
        member = history[j].member
        if member is not None and member in seen:
            continue
        seen.add(member)
        (in_progress if history[j].invoke <= end else late).append(j)
    missing = max(0, (parties or 0) - len(in_progress))
    return in_progress, late[:missing]


def explain(
    history: Sequence[Operation], violation: HistoryViolation, parties: int | None = None
) -> str:
    """One violation in plain words (falls back to the checker's reason with the operations)."""
    t0 = start_of(history)
    if violation.rule == "early-release" and violation.witness:
        first = violation.witness[0]
        same = _same_round(history, violation)
        end = history[first].response
        assert end is not None
        return (
            f"{_op(history, first)} returned at {format_time(end, t0)}, before "
            f"{_late(history, first, same, t0, of=' of its round')}: an early release (round "
            f"{violation.round} of {violation.barrier!r})"
        )
    if violation.rule == "no-round-assignment" and violation.witness:
        return _explain_unplaced(history, violation, parties, t0)
    if violation.rule == "missing-member" and _clear_withdrawal(history, violation):
        return _explain_missing(history, violation, t0)
    ops = "; ".join(_span(history, i, t0) for i in violation.witness)
    return f"{violation.reason}" + (f" [{ops}]" if ops else "")


def _clear_withdrawal(history: Sequence[Operation], violation: HistoryViolation) -> bool:
    """The member's certain presence ends at a known invocation (a cancel, a timeout, a
    cancelled or pending wait) or never: the case :func:`_explain_missing` words."""
    if len(violation.witness) == 2:
        return True
    if len(violation.witness) != 3:
        return False
    op = history[violation.witness[1]]
    return op.kind is Kind.CANCEL or op.outcome in (
        Outcome.TIMEOUT,
        Outcome.CANCELLED,
        Outcome.PENDING,
    )


def _explain_missing(history: Sequence[Operation], violation: HistoryViolation, t0: float) -> str:
    """Round r released while a member that had joined and not left did not wait."""
    join, *rest = violation.witness
    released = rest[-1]
    member = history[join].member
    joined = history[join].response
    assert joined is not None
    left = (
        f", and did not withdraw before {_op(history, rest[0])} at "
        f"{format_time(history[rest[0]].invoke, t0)}"
        if len(rest) == 2
        else " and never withdrew"
    )
    end = history[released].response
    assert end is not None
    return (
        f"round {violation.round} of {violation.barrier!r} was released ({_op(history, released)}"
        f" returned at {format_time(end, t0)}) without member {member!r}, which had joined at "
        f"{format_time(joined, t0)} ({_op(history, join)}){left}: a round released too early, "
        "before every member waited"
    )


def _span(history: Sequence[Operation], i: int, t0: float) -> str:
    op = history[i]
    end = "never returned" if op.response is None else format_time(op.response, t0)
    return f"{_op(history, i)}: {format_time(op.invoke, t0)} to {end}, {op.outcome.value}"


def _explain_unplaced(
    history: Sequence[Operation], violation: HistoryViolation, parties: int | None, t0: float
) -> str:
    stuck = violation.witness[0]
    end = history[stuck].response
    assert end is not None
    prefix = (
        f"the first {len(violation.placed)} round(s) of {violation.barrier!r} can be placed; "
        if violation.placed
        else ""
    )
    if parties is None:
        parties = history[stuck].parties
    in_progress, mates = _round_mates(history, violation, parties)
    if parties is not None and len(in_progress) < parties:
        late = _late(history, stuck, mates, t0)
        return (
            f"{prefix}{_op(history, stuck)} returned at {format_time(end, t0)}, when only "
            f"{len(in_progress)} of the {parties} waits of its round had been invoked"
            + (f"; the next, {late}" if late else "")
            + ": an early release"
        )
    return (
        f"{prefix}{_op(history, stuck)} (invoked at {format_time(history[stuck].invoke, t0)}, "
        f"returned at {format_time(end, t0)}) cannot be placed in any round: no set of the waits "
        "in progress with it keeps the rules (a member certainly present did not wait, or the "
        "waits it overlaps are needed by earlier rounds)"
    )
