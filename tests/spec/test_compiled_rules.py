"""The compiled search follows the readable rules: on a custom profile, and under a variant.

The per-participant rules of a break, a reset and a trip live once in ``spec/_step.py``; the
compiled successor function tabulates them. A profile that is not built in must compile to
exactly the readable model, and replacing one rule (one edit, here a monkeypatch of
``_step.broken_local``) must change both systems the same way.
"""

from __future__ import annotations

from collections import Counter

import attrs
import pytest

from barrierspec.spec import (
    PROFILES,
    AbortDrainers,
    BarrierSystem,
    Bounds,
    CompiledBarrierSystem,
    Death,
    Fault,
    GiveUp,
    Local,
    Newcomer,
    Profile,
    ResetPolicy,
    State,
    Status,
)
from barrierspec.spec import _rules as rules

# threading's shape with other choices on five axes: no built-in profile has this bundle
CUSTOM = Profile(
    name="custom",
    summary="a test profile: withdraw on timeout, break drainers, newcomers block, deaths",
    policies=attrs.evolve(
        PROFILES["threading"].policies,
        give_up=GiveUp.WITHDRAW,
        reset=ResetPolicy.BREAK_DRAINERS,
        abort=AbortDrainers.BREAK,
        newcomer=Newcomer.BLOCK,
        death=Death.ANY,
    ),
)


def _graph(system: BarrierSystem) -> list[tuple[State, Counter[tuple[object, State]]]]:
    frontier = system.initial_states()
    seen = set(frontier)
    out = []
    while frontier:
        following = []
        for state in frontier:
            successors = list(system.successors(state))
            out.append((state, Counter(successors)))
            for _, post in successors:
                if post not in seen:
                    seen.add(post)
                    following.append(post)
        frontier = following
    return out


def _assert_same(profile: Profile, parties: int, participants: int, bounds: Bounds) -> int:
    readable = BarrierSystem(profile, parties, participants, bounds)
    compiled = CompiledBarrierSystem(profile, parties, participants, bounds)
    graph = _graph(readable)
    for state, want in graph:
        got = Counter(
            (label.transition, compiled.decode(post))
            for label, post in compiled.successors(compiled.encode(state))
        )
        assert got == want, state.describe()
    return len(graph)


def test_custom_profile_is_not_built_in() -> None:
    assert all(p.policies != CUSTOM.policies for p in PROFILES.values())


@pytest.mark.parametrize(
    ("parties", "participants", "bounds"),
    [(2, 2, Bounds(rounds=2)), (2, 3, Bounds(rounds=1)), (1, 2, Bounds(rounds=2, deaths=2))],
)
def test_custom_profile_compiles_to_the_readable_model(
    parties: int, participants: int, bounds: Bounds
) -> None:
    assert _assert_same(CUSTOM, parties, participants, bounds) > 50


def _drainers_always_break(policies: object, loc: Local) -> Local:
    """A variant of the break rule: a released party always raises (never doomed)."""
    if loc.status is Status.PASSED:
        return Local(status=Status.FAILING, fault=Fault.BROKEN, member=loc.member)
    return ORIGINAL_BROKEN_LOCAL(policies, loc)  # type: ignore[arg-type]


ORIGINAL_BROKEN_LOCAL = rules.broken_local


def test_a_rule_variant_is_one_edit_that_the_compiled_search_follows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    profile = PROFILES["threading"]  # AbortDrainers.EITHER: a drainer is doomed today
    bounds = Bounds(rounds=2)
    before = {s for s, _ in _graph(BarrierSystem(profile, 2, 3, bounds))}
    monkeypatch.setattr(rules, "broken_local", _drainers_always_break)
    after = {s for s, _ in _graph(BarrierSystem(profile, 2, 3, bounds))}
    assert before != after  # the variant changes the model
    assert not any(loc.doomed for s in after for loc in s.locals)
    _assert_same(profile, 2, 3, bounds)  # and the compiled search follows it
