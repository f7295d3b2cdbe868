"""The counting search is the concrete search up to renaming participants and indices.

At small bounds, for the four built-in profiles and a profile that is not built in: the
counting states are exactly the quotients of the concrete reachable states (so the state
count modulo symmetry agrees), the concrete state count it derives is the concrete search's,
verdicts agree; under deliberately broken rules it reports the violation the concrete search
reports, at the same depth, with a concrete trace that the readable ``step`` replays; and a
rule change on a variant profile is followed by the counting search as by the others.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import attrs
import pytest

from barrierspec.spec import PROFILES, Bounds, ExplorationStatus, Profile, explore, step
from barrierspec.spec import _rules as rules
from barrierspec.spec._compiled_codes import CompiledState
from barrierspec.spec._compiled_system import CompiledBarrierSystem
from barrierspec.spec._count_system import CountingBarrierSystem
from barrierspec.spec._policies import AbortDrainers, Death, GiveUp, Newcomer, ResetPolicy
from barrierspec.spec._result import ExplorationResult
from barrierspec.spec._state import Fault, Local, Status

# threading's shape with other choices on five axes: no built-in profile has this bundle
CUSTOM = Profile(
    name="custom-counted",
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
ALL = {**PROFILES, CUSTOM.name: CUSTOM}
CONFIGS = [(2, 2, Bounds(rounds=2)), (2, 3, Bounds(rounds=1)), (3, 3, Bounds(rounds=1))]


def _reachable(
    successors: Callable[[CompiledState], list[tuple[object, CompiledState]]],
    initial: CompiledState,
    key: Callable[[CompiledState], CompiledState],
) -> set[CompiledState]:
    """The keys of every state reachable from ``initial``, expanding one state per key."""
    start = key(initial)
    seen = {start}
    frontier = [start]
    while frontier:
        following = []
        for state in frontier:
            for _, post in successors(state):
                k = key(post)
                if k not in seen:
                    seen.add(k)
                    following.append(k)
        frontier = following
    return seen


def _pair(
    profile: Profile, parties: int, participants: int, bounds: Bounds
) -> tuple[CompiledBarrierSystem, CountingBarrierSystem]:
    return (
        CompiledBarrierSystem(profile, parties, participants, bounds),
        CountingBarrierSystem(profile, parties, participants, bounds),
    )


def _assert_quotient(compiled: CompiledBarrierSystem, counted: CountingBarrierSystem) -> int:
    """The counting states are the quotients of the concrete reachable states."""
    initial = compiled.initial_states()[0]
    concrete = _reachable(compiled.successors, initial, lambda s: s)
    counting = _reachable(counted.successors, initial, counted.canonical)
    assert counting == {counted.canonical(s) for s in concrete}
    if len(set(initial[5])) == 1:
        # every renaming of the initial state is initial: the orbits are all reachable
        # (not so under dynamic membership with parties < participants: members come first)
        assert sum(map(counted.orbit_size, counting)) == len(concrete)
    return len(counting)


@pytest.mark.parametrize("profile", sorted(ALL))
@pytest.mark.parametrize(("parties", "participants", "bounds"), CONFIGS)
def test_counting_states_are_the_quotient_of_the_concrete_ones(
    profile: str, parties: int, participants: int, bounds: Bounds
) -> None:
    prof = ALL[profile]
    if prof.policies.membership.name == "DYNAMIC" and participants < parties:
        pytest.fail("configs keep parties <= participants")
    compiled, counted = _pair(prof, parties, participants, bounds)
    assert _assert_quotient(compiled, counted) > 10
    plain = explore(compiled)
    symmetric = explore(compiled, symmetry=True)
    result = explore(counted, symmetry=True)
    assert result.status is plain.status is symmetric.status
    assert result.invariants == plain.invariants
    assert result.transition_invariants == plain.transition_invariants
    assert [h.name for h in result.documented_hangs] == [h.name for h in plain.documented_hangs]
    assert result.concrete_states == symmetric.concrete_states
    if result.status is ExplorationStatus.OK:
        assert result.states <= symmetric.states
        if len(set(compiled.initial_states()[0][5])) == 1:
            assert result.concrete_states == plain.states
    else:  # the custom profile deadlocks once a process dies: the same shortest violation
        assert result.violation is not None and plain.violation is not None
        assert result.violation.name == plain.violation.name
        assert len(result.violation.trace) == len(plain.violation.trace)
        _assert_replays(prof, counted, result)


def test_indices_are_counted_only_under_fixed_membership() -> None:
    fixed = CountingBarrierSystem(PROFILES["threading"], 3, 3)
    dynamic = CountingBarrierSystem(attrs.evolve(PROFILES["grinder"], name="g"), 3, 3)
    assert fixed.counts_indices and not dynamic.counts_indices
    codec = fixed.taken
    # round 0 handed out {2}, round 1 {0, 2}: counted as {0} and {0, 1}
    taken = (codec.present | 0b100) | ((codec.present | 0b101) << codec.width)
    state = (2, 0, False, 3, taken, (0, 0, 0))
    want = (codec.present | 0b1) | ((codec.present | 0b11) << codec.width)
    assert fixed.canonical(state)[4] == want
    assert fixed.orbit_size(fixed.canonical(state)) == 3 * 3  # C(3,1) * C(3,2)
    assert dynamic.canonical(state)[4] == taken


def test_an_index_out_of_range_is_kept() -> None:
    system = CountingBarrierSystem(PROFILES["threading"], 2, 3)
    codec = system.taken
    state = (1, 0, False, 2, codec.present | 0b101, (0, 0, 0))  # index 2 of 0..1
    assert system.canonical(state)[4] == codec.present | 0b101
    assert system.invariants[-1].check(system.canonical(state)) is not None


def test_counts_render_the_multiset() -> None:
    system = CountingBarrierSystem(PROFILES["threading"], 2, 3)
    idle = system.codes.encode_local(Local())
    waiting = system.codes.encode_local(Local(status=Status.WAITING))
    state = (0, 1, False, 2, 0, (idle, idle, waiting))
    assert system.counts(state) == [("idle", 2), ("waiting(r0)", 1)]
    assert system.name.endswith(" counted")


# --- rule variants: the counting search follows one edit ---------------------------------


def _reset_forgets_waiters(policies: object, loc: Local) -> Local:
    """A broken reset rule: waiters are not woken (their arrivals then stand uncounted)."""
    if loc.status is Status.WAITING:
        return loc
    return ORIGINAL_RESET_LOCAL(policies, loc)  # type: ignore[arg-type]


def _drainers_always_break(policies: object, loc: Local) -> Local:
    """A variant of the break rule: a released party always raises (never doomed)."""
    if loc.status is Status.PASSED:
        return Local(status=Status.FAILING, fault=Fault.BROKEN, member=loc.member)
    return ORIGINAL_BROKEN_LOCAL(policies, loc)  # type: ignore[arg-type]


ORIGINAL_RESET_LOCAL = rules.reset_local
ORIGINAL_BROKEN_LOCAL = rules.broken_local


def test_a_rule_variant_is_followed_by_the_counting_search(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    profile, bounds = PROFILES["threading"], Bounds(rounds=2)
    before = _reachable_counted(profile, bounds)
    monkeypatch.setattr(rules, "broken_local", _drainers_always_break)
    after = _reachable_counted(profile, bounds)
    assert before != after
    compiled, counted = _pair(profile, 2, 3, bounds)
    _assert_quotient(compiled, counted)
    doomed = counted.codes.doomed
    assert not any(doomed[c] for s in after for c in s[5])


def _reachable_counted(profile: Profile, bounds: Bounds) -> set[CompiledState]:
    counted = CountingBarrierSystem(profile, 2, 3, bounds)
    return _reachable(counted.successors, counted.initial_states()[0], counted.canonical)


def _assert_replays(
    profile: Profile, system: CompiledBarrierSystem, result: ExplorationResult
) -> None:
    """Every step of the violation's trace is a step of the readable model."""
    assert result.violation is not None
    trace = result.violation.trace
    for before, after in itertools.pairwise(trace):
        pre, post = system.decode(before.state), system.decode(after.state)
        transition = after.label.transition  # type: ignore[attr-defined]
        allowed = {(tuple(s.outputs), s.state) for s in step(profile, pre, transition.event)}
        assert (transition.outputs, post) in allowed, str(transition)


@pytest.mark.parametrize("profile", ["threading", "asyncio", CUSTOM.name])
def test_a_broken_rule_is_rejected_like_the_concrete_search_does(
    profile: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    prof = ALL[profile]
    monkeypatch.setattr(rules, "reset_local", _reset_forgets_waiters)
    compiled, counted = _pair(prof, 2, 3, Bounds(rounds=2))
    want = explore(compiled)
    got = explore(counted, symmetry=True)
    assert want.status is got.status is ExplorationStatus.VIOLATION
    assert want.violation is not None and got.violation is not None
    assert (got.violation.kind, got.violation.name) == (want.violation.kind, want.violation.name)
    assert len(got.violation.trace) == len(want.violation.trace)
    assert got.violation.name == "arrivals_counted"
    _assert_replays(prof, counted, got)
