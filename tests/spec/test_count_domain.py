"""The counting domain runs the one text of the rules over counts, and agrees with the
counting search (the compiled rules run once per distinct local state).

On every reachable counting state at small bounds, for the four built-in profiles and a
profile that is not built in, both give the same transitions (up to which participant acts
and which free index is returned) to the same counting states; a rule changed in
``spec/_rules.py`` is followed by both.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
import pytest
from tests.spec.test_count_system import CUSTOM

from barrierspec.spec import PROFILES, Bounds, Profile
from barrierspec.spec import _rules as rules
from barrierspec.spec._count_domain import (
    Counts,
    count_violation,
    counted,
    counted_successors,
    listing,
)
from barrierspec.spec._count_system import CountingBarrierSystem
from barrierspec.spec._state import Fault, Local, Returned, Status, Transition

ALL = {**PROFILES, CUSTOM.name: CUSTOM}
Shape = tuple[object, ...]


def _shape(t: Transition) -> Shape:
    """The transition with the actor renamed 0 and any returned index made -1."""
    outputs = tuple(
        attrs.evolve(o, p=0, value=-1)
        if isinstance(o, Returned) and not isinstance(o.value, bool)
        else attrs.evolve(o, p=0)
        for o in t.outputs
    )
    return (attrs.evolve(t.event, p=0), outputs)


def _graph(
    start: Counts, successors: Callable[[Counts], set[tuple[Shape, Counts]]]
) -> dict[Counts, set[tuple[Shape, Counts]]]:
    graph = {}
    seen = {start}
    frontier = [start]
    while frontier:
        following = []
        for state in frontier:
            graph[state] = successors(state)
            for _, post in graph[state]:
                if post not in seen:
                    seen.add(post)
                    following.append(post)
        frontier = following
    return graph


def _both(
    profile: Profile, parties: int, participants: int, bounds: Bounds
) -> tuple[dict[Counts, set[tuple[Shape, Counts]]], dict[Counts, set[tuple[Shape, Counts]]]]:
    system = CountingBarrierSystem(profile, parties, participants, bounds)
    indices = system.counts_indices
    by_counts = {}

    def fast(state: Counts) -> set[tuple[Shape, Counts]]:
        code = by_counts[state]
        out = set()
        for label, post in system.successors(code):
            key = system.canonical(post)
            mapped = counted(system.decode(key), indices=indices)
            by_counts[mapped] = key
            out.add((_shape(label.transition), mapped))
        return out

    def interpreted(state: Counts) -> set[tuple[Shape, Counts]]:
        return {(_shape(t), post) for t, post in counted_successors(profile, bounds, state)}

    initial = system.canonical(system.initial_states()[0])
    start = counted(system.decode(initial), indices=indices)
    by_counts[start] = initial
    return _graph(start, fast), _graph(start, interpreted)


@pytest.mark.parametrize("profile", sorted(ALL))
@pytest.mark.parametrize(
    ("parties", "participants", "bounds"),
    [(2, 3, Bounds(rounds=2)), (3, 3, Bounds(rounds=1)), (2, 2, Bounds(rounds=2, deaths=2))],
)
def test_the_counting_domain_is_the_counting_search(
    profile: str, parties: int, participants: int, bounds: Bounds
) -> None:
    fast, interpreted = _both(ALL[profile], parties, participants, bounds)
    assert interpreted == fast
    assert len(fast) > 20


def _drainers_always_break(policies: object, loc: Local) -> Local:
    """A variant of the break rule: a released party always raises (never doomed)."""
    if loc.status is Status.PASSED:
        return Local(status=Status.FAILING, fault=Fault.BROKEN, member=loc.member)
    return ORIGINAL_BROKEN_LOCAL(policies, loc)  # type: ignore[arg-type]


ORIGINAL_BROKEN_LOCAL = rules.broken_local


def test_a_rule_change_is_followed_by_the_counting_domain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    profile, bounds = PROFILES["threading"], Bounds(rounds=2)
    _, before = _both(profile, 2, 3, bounds)
    monkeypatch.setattr(rules, "broken_local", _drainers_always_break)
    fast, after = _both(profile, 2, 3, bounds)
    assert after == fast and set(after) != set(before)
    assert not any(loc.doomed for state in after for loc, _ in state.counts)


def test_the_state_invariants_read_over_counts() -> None:
    profile, bounds = PROFILES["asyncio"], Bounds(rounds=2)
    _, interpreted = _both(profile, 2, 3, bounds)
    assert all(count_violation(profile, state) is None for state in interpreted)
    some = next(s for s in interpreted if s.taken and len(s.counts) > 1)
    assert counted(listing(some), indices=True) == some


def _reset_forgets_waiters(policies: object, loc: Local) -> Local:
    """A broken reset rule: waiters are not woken (their arrivals then stand uncounted)."""
    if loc.status is Status.WAITING:
        return loc
    return ORIGINAL_RESET_LOCAL(policies, loc)  # type: ignore[arg-type]


ORIGINAL_RESET_LOCAL = rules.reset_local


def test_a_broken_rule_breaks_an_invariant_over_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "reset_local", _reset_forgets_waiters)
    profile = PROFILES["threading"]
    _, interpreted = _both(profile, 2, 3, Bounds(rounds=1))
    found = {v[0] for s in interpreted if (v := count_violation(profile, s)) is not None}
    assert "arrivals_counted" in found
