"""The search (no round information) agrees with the round sweep on small random histories:
the search accepts a history exactly when some numbering of its rounds passes the sweep."""

from __future__ import annotations

import itertools

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from barrierspec.conformance import Kind, Operation, Outcome, check_history


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[Operation], int | None]:
    parties = draw(st.sampled_from([None, None, 1, 2]))
    joins = draw(st.booleans())
    history: list[Operation] = []
    released = 0
    for w in range(draw(st.integers(1, 3))):
        worker = f"w{w}"
        t = float(draw(st.integers(0, 3)))
        if joins:
            end = t + draw(st.integers(0, 1))
            history.append(Operation(worker, "b", t, end, Outcome.OK, Kind.JOIN, worker))
            t = end
        for _ in range(draw(st.integers(1, 3))):
            t += draw(st.integers(0, 3))
            end = t + draw(st.integers(0, 4))
            ok = released < 4 and draw(st.booleans())
            if ok:
                released += 1
                rnd = draw(st.integers(1, 3))
                history.append(Operation(worker, "b", t, end, Outcome.OK, Kind.WAIT, worker, rnd))
            else:
                outcome = draw(st.sampled_from([Outcome.TIMEOUT, Outcome.CANCELLED]))
                history.append(Operation(worker, "b", t, end, outcome, Kind.WAIT, worker))
            t = end
            if not ok:
                break  # a timeout or cancel withdraws the member
    return history, parties


def relabel(history: list[Operation], labels: dict[int, int]) -> list[Operation]:
    return [attrs.evolve(op, round=labels.get(i)) for i, op in enumerate(history)]


def some_numbering_passes(history: list[Operation], parties: int | None) -> bool:
    released = [i for i, op in enumerate(history) if op.released]
    n = len(released)
    for labels in itertools.product(range(1, n + 1), repeat=n):
        if set(labels) != set(range(1, max(labels, default=0) + 1)):
            continue
        if check_history(
            relabel(history, dict(zip(released, labels, strict=True))), parties=parties
        ).valid:
            return True
    return n == 0 and check_history(history, parties=parties).valid is True


@settings(max_examples=300, deadline=None)
@given(histories())
def test_search_accepts_exactly_when_some_round_numbering_passes(case) -> None:
    history, parties = case
    unlabelled = relabel(history, {})
    search = check_history(unlabelled, parties=parties)
    assert search.valid is not None  # tiny histories never exhaust the budget
    assert search.valid == some_numbering_passes(history, parties)
    if check_history(history, parties=parties).valid:
        assert search.valid  # the recorded numbering is one the search may find
    if search.valid:
        found = {i: r for i, r in search.rounds.items()}
        assert check_history(relabel(history, found), parties=parties).valid
