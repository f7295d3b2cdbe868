"""The step function, rule by rule, on hand-written scenarios per profile."""

from __future__ import annotations

import pytest

from barrierspec.errors import InvalidOperationError, UsageError
from barrierspec.spec import (
    PROFILES,
    Abort,
    ActionRan,
    Cancel,
    Die,
    Enter,
    Event,
    Fault,
    Join,
    Notice,
    Observation,
    Raised,
    Reset,
    Resume,
    Returned,
    State,
    Status,
    Timeout,
    Wait,
    get_profile,
    initial_state,
    step,
)


def run(
    profile: str, parties: int, participants: int, events: list[Event]
) -> tuple[State, list[Observation]]:
    """Apply ``events`` in order; each must have exactly one successor (or the first)."""
    prof = get_profile(profile)
    state = initial_state(prof, parties, participants)
    seen: list[Observation] = []
    for event in events:
        succs = step(prof, state, event)
        assert succs, f"{event} has no successor in {state.describe()}"
        state = succs[0].state
        seen.extend(succs[0].outputs)
    return state, seen


def outcomes(profile: str, state: State, event: Event) -> set[tuple[Observation, ...]]:
    return {s.outputs for s in step(get_profile(profile), state, event)}


def test_last_arrival_trips_and_runs_the_action_once_before_release() -> None:
    state, seen = run("threading", 3, 3, [Wait(0), Wait(1)])
    assert state.arrived == 2 and all(loc.status is Status.WAITING for loc in state.locals[:2])
    state, seen = run("threading", 3, 3, [Wait(0), Wait(1), Wait(2)])
    assert seen == [ActionRan(2, False)]
    assert [loc.status for loc in state.locals] == [Status.PASSED] * 3
    assert state.round == 1 and state.arrived == 0


def test_resumed_parties_get_distinct_indices_in_range() -> None:
    state, _ = run("threading", 2, 2, [Wait(0), Wait(1)])
    firsts = outcomes("threading", state, Resume(0))
    assert firsts == {(Returned(0, 0),), (Returned(0, 1),)}
    state, seen = run("threading", 2, 2, [Wait(0), Wait(1), Resume(0)])
    (taken,) = [o for o in seen if isinstance(o, Returned)]
    assert outcomes("threading", state, Resume(1)) == {(Returned(1, 1 - int(taken.value)),)}


def test_threading_timeout_breaks_everyone() -> None:
    state, seen = run("threading", 3, 3, [Wait(0), Wait(1, timeout=True), Timeout(1)])
    assert seen == [Raised(1, Fault.BROKEN)]
    assert state.broken and state.locals[0].status is Status.FAILING
    state, seen = run("threading", 3, 3, [Wait(0), Wait(1, True), Timeout(1), Resume(0), Wait(2)])
    assert seen[-2:] == [Raised(0, Fault.BROKEN), Raised(2, Fault.BROKEN)]


def test_asyncio_timeout_and_cancel_withdraw_without_breaking() -> None:
    state, seen = run("asyncio", 3, 3, [Wait(0), Wait(1, True), Timeout(1)])
    assert seen == [Raised(1, Fault.TIMEOUT)] and not state.broken and state.arrived == 1
    state, seen = run("asyncio", 3, 4, [Wait(0), Wait(1), Cancel(0), Wait(2), Wait(3)])
    assert Raised(0, Fault.CANCELLED) in seen and state.round == 1


def test_index_stays_distinct_after_a_cancelled_waiter() -> None:
    # gh-155233: the stdlib hands index 1 out twice here; the contract forbids it.
    events: list[Event] = [Wait(0), Wait(1), Cancel(0), Wait(2), Wait(3), Resume(1)]
    state, seen = run("asyncio", 3, 4, events)
    first = next(o for o in seen if isinstance(o, Returned))
    rest = outcomes("asyncio", state, Resume(2)) | outcomes("asyncio", state, Resume(3))
    assert all(o[0].value != first.value for o in rest if isinstance(o[0], Returned))


def test_failed_action_raises_in_the_last_arrival_and_breaks_the_others() -> None:
    state, seen = run("threading", 2, 2, [Wait(0), Wait(1, raises=True)])
    assert seen == [ActionRan(1, True), Raised(1, Fault.ACTION)]
    assert state.broken and state.locals[0].fault is Fault.BROKEN


def test_broken_is_sticky_until_reset() -> None:
    state, _ = run("threading", 2, 3, [Abort(2)])
    assert state.broken
    assert outcomes("threading", state, Wait(0)) == {(Raised(0, Fault.BROKEN),)}
    state, _ = run("threading", 2, 3, [Abort(2), Reset(2), Wait(0), Wait(1)])
    assert not state.broken and state.round == 1


def test_reset_while_draining_keeps_drainers_in_threading_breaks_them_in_asyncio() -> None:
    state, _ = run("threading", 2, 3, [Wait(0), Wait(1), Reset(2)])
    assert state.locals[0].status is Status.PASSED
    state, _ = run("asyncio", 2, 3, [Wait(0), Wait(1), Reset(2)])
    assert state.locals[0].status is Status.FAILING and state.locals[0].fault is Fault.BROKEN


def test_newcomer_during_draining_may_block_or_join_in_the_contract() -> None:
    state, _ = run("threading", 2, 3, [Wait(0), Wait(1)])
    succs = step(get_profile("threading"), state, Wait(2))
    assert {s.state.locals[2].status for s in succs} == {Status.BLOCKED, Status.WAITING}
    blocked = next(s.state for s in succs if s.state.locals[2].status is Status.BLOCKED)
    with pytest.raises(InvalidOperationError, match="still draining"):
        step(get_profile("threading"), blocked, Enter(2))


def test_abort_may_break_released_parties_that_have_not_resumed() -> None:
    state, _ = run("threading", 2, 3, [Wait(0), Wait(1), Abort(2)])
    got = outcomes("threading", state, Resume(0))
    assert (Raised(0, Fault.BROKEN),) in got and (Returned(0, 0),) in got


def test_grinder_cancel_of_the_last_non_waiting_member_releases_the_others() -> None:
    state, seen = run("grinder", 3, 3, [Wait(0), Wait(1), Cancel(2)])
    assert state.round == 1 and state.parties == 2 and not seen
    assert outcomes("grinder", state, Resume(0)) == {(Returned(0, True),)}


def test_grinder_timeout_returns_false_and_cancels_the_member() -> None:
    state, seen = run("grinder", 2, 2, [Wait(0, True), Timeout(0)])
    assert seen == [Returned(0, False)] and state.parties == 1
    _, seen = run("grinder", 2, 2, [Wait(0, True), Timeout(0), Wait(0)])
    assert seen[-1] == Raised(0, Fault.CANCELLED_BARRIER)
    state, _ = run("grinder", 2, 2, [Wait(0, True), Timeout(0), Join(0)])
    assert state.parties == 2


def test_grinder_death_withdraws_the_member() -> None:
    state, _ = run("grinder", 3, 3, [Wait(0), Wait(1), Die(2)])
    assert state.round == 1 and state.locals[2].status is Status.DEAD


def test_multiprocessing_death_of_a_waiter_is_undocumented_so_every_reaction_is_allowed() -> None:
    state, _ = run("multiprocessing", 3, 3, [Wait(0), Wait(1), Die(0)])
    assert state.arrived == 2 and state.locals[0].arrived  # its arrival stands ...
    succs = step(get_profile("multiprocessing"), state, Notice(0))  # ... until noticed
    assert {(s.state.broken, s.state.arrived) for s in succs} == {(False, 1), (True, 0)}
    # the dead arrival may also complete the round before anyone notices
    tripped, _ = run("multiprocessing", 3, 3, [Wait(0), Wait(1), Die(0), Wait(2)])
    assert tripped.round == 1 and not tripped.locals[0].arrived


@pytest.mark.parametrize(
    ("profile", "event", "rule"),
    [
        ("threading", Cancel(0), "has no cancellation"),
        ("asyncio", Die(0), "has no process to kill"),
        ("grinder", Abort(0), "has no abort"),
        ("threading", Join(0), "fixed membership"),
        ("threading", Resume(0), "has not been released"),
        ("threading", Timeout(0), "no pending wait with a timeout"),
        ("threading", Wait(9), "there is no participant 9"),
    ],
)
def test_invalid_events_name_the_rule(profile: str, event: Event, rule: str) -> None:
    prof = get_profile(profile)
    with pytest.raises(InvalidOperationError, match=rule):
        step(prof, initial_state(prof, 2, 2), event)


def test_waiting_twice_is_invalid() -> None:
    state, _ = run("threading", 3, 3, [Wait(0)])
    with pytest.raises(InvalidOperationError, match="already inside wait"):
        step(get_profile("threading"), state, Wait(0))


@pytest.mark.parametrize("parties", [0, -1, 1.5, True, "3", None])
def test_bad_parties_are_usage_errors(parties: object) -> None:
    with pytest.raises(UsageError, match="parties must be an int >= 1"):
        initial_state(get_profile("threading"), parties, 2)  # type: ignore[arg-type]


def test_unknown_profile_lists_the_known_ones() -> None:
    with pytest.raises(
        UsageError, match=r"unknown profile 'java'.*asyncio, asyncio-cpython, grinder"
    ):
        get_profile("java")
    strict = {"threading-cpython", "multiprocessing-cpython", "asyncio-cpython"}
    assert set(PROFILES) == {"threading", "multiprocessing", "asyncio", "grinder", *strict}
