"""``Reentry.BREAKS_ROUND``: an action that calls ``abort()`` or ``reset()`` on its barrier.

The documentation of the standard library is silent, and CPython does two different things
(``threading`` deadlocks, ``multiprocessing`` loses the call), so the built-in profiles leave
it undefined and never draw it; the reference barriers document that the call breaks the
round, the action's own party included. The value is one branch of ``_rules.trip``; the
readable step, the compiled search, the counting search, the Z3 moves and the explorer all
follow it, and the conformance suite draws such waits only where the profile defines them.
"""

from __future__ import annotations

import re

import attrs
import pytest
from tests.broken.input_space import ReentrantLostAbortBarrier
from tests.proofs.test_proofs_rules import _compiled_follows, _graph
from tests.spec.test_count_system import _assert_quotient, _pair

from barrierspec.conformance import CheckSettings, InputSpace, check
from barrierspec.errors import InvalidOperationError
from barrierspec.proofs import check_agreement
from barrierspec.reference import AsyncBarrier, Barrier, ProcessBarrier
from barrierspec.spec import (
    PROFILES,
    ActionRan,
    BarrierSystem,
    Bounds,
    Call,
    ExplorationStatus,
    Fault,
    Profile,
    Raised,
    Reentry,
    State,
    Status,
    Wait,
    explore,
    initial_state,
    step,
)
from barrierspec.spec._custom import customise

REENTRY = customise(PROFILES["threading-cpython"], {"reentry": "breaks-round"})
ASYNC_REENTRY = customise(PROFILES["asyncio"], {"reentry": "breaks-round"})


def _one_waiting() -> State:
    (first,) = step(REENTRY, initial_state(REENTRY, 2, 3), Wait(0))
    return first.state


@pytest.mark.parametrize("call", [Call.ABORT, Call.RESET])
def test_the_call_breaks_the_round_and_the_action_s_party_raises(call: Call) -> None:
    (last,) = step(REENTRY, _one_waiting(), Wait(1, calls=call))
    assert last.outputs == (ActionRan(1, False), Raised(1, Fault.BROKEN))
    after = last.state
    assert after.round == 0 and after.arrived == 0  # the round did not trip
    assert after.locals[0].status is Status.FAILING and after.locals[0].fault is Fault.BROKEN
    assert after.locals[1].status is Status.IDLE
    assert after.broken is (call is Call.ABORT)  # abort() breaks; reset() leaves it usable


def test_a_call_the_profile_leaves_undefined_is_no_event() -> None:
    threading = PROFILES["threading"]
    assert threading.policies.reentry is Reentry.UNDEFINED
    state = step(threading, initial_state(threading, 2, 2), Wait(0))[0].state
    with pytest.raises(InvalidOperationError, match="reentry=undefined"):
        step(threading, state, Wait(1, calls=Call.ABORT))
    with pytest.raises(InvalidOperationError, match="either raises or calls back"):
        step(REENTRY, state, Wait(1, raises=True, calls=Call.RESET))


def _calls_reached(profile: Profile) -> tuple[set[Call], bool]:
    """The calls of the waits drawn anywhere in the reachable graph (2 parties, 3
    participants, 2 rounds), and whether a blocked newcomer ever carries one."""
    graph = _graph(BarrierSystem(profile, 2, 3, Bounds(rounds=2)))
    events = [t.event for successors in graph.values() for t, _ in successors]  # type: ignore[attr-defined]
    drawn = {e.calls for e in events if isinstance(e, Wait)}
    kept = any(
        loc.status is Status.BLOCKED and loc.calls is not Call.NONE
        for state in graph
        for loc in state.locals
    )
    return drawn - {Call.NONE}, kept


def test_a_blocked_newcomer_keeps_its_call_until_it_enters() -> None:
    either = customise(PROFILES["threading"], {"reentry": "breaks-round"})
    explored = explore(BarrierSystem(either, 2, 3, Bounds(rounds=2)))
    assert explored.status is ExplorationStatus.OK, explored.violation
    drawn, kept = _calls_reached(either)
    assert drawn == {Call.ABORT, Call.RESET}
    assert kept, "no blocked newcomer ever carried its action's call"


@pytest.mark.parametrize("profile", [REENTRY, ASYNC_REENTRY], ids=lambda p: p.name)
def test_the_explorer_finds_every_invariant_kept(profile: object) -> None:
    result = explore(BarrierSystem(profile, 2, 3, Bounds(rounds=2)))  # type: ignore[arg-type]
    assert result.status is ExplorationStatus.OK, result.violation


def test_the_compiled_search_follows() -> None:
    _compiled_follows(REENTRY, 2, 3)


def test_the_counting_search_is_the_quotient() -> None:
    compiled, counted = _pair(REENTRY, 2, 3, Bounds(rounds=1))
    assert _assert_quotient(compiled, counted) > 10


def test_the_z3_moves_agree() -> None:
    result = check_agreement(REENTRY, 2, 3, rounds=2)
    assert result.ok, "\n".join(result.mismatches)


def test_the_undefined_profiles_draw_no_call() -> None:
    for name in ("threading", "threading-cpython", "multiprocessing", "asyncio"):
        assert _calls_reached(PROFILES[name]) == (set(), False), name


FOCUSED = CheckSettings(seed=5, examples=60, budget=10.0, generated=False, only=("action reentry",))


def test_the_reference_barrier_passes_and_the_stdlib_is_rejected() -> None:
    assert check(Barrier, REENTRY, settings_=FOCUSED).conformant
    # CPython's threading.Barrier deadlocks: the action runs under a non-reentrant lock
    result = check("threading:Barrier", REENTRY, settings_=FOCUSED)
    assert not result.conformant
    assert "the action calls" in result.format()


def test_the_reference_process_barrier_passes_the_multiprocessing_contract() -> None:
    contract = customise(PROFILES["multiprocessing-cpython"], {"reentry": "breaks-round"})
    cfg = attrs.evolve(FOCUSED, examples=20)
    result = check(ProcessBarrier, contract, settings_=cfg)
    (verdict,) = result.properties
    assert verdict.status == "pass", result.format()
    assert "aborting-action-wait" in verdict.exercised, verdict.exercised
    assert "resetting-action-wait" in verdict.exercised


def test_the_reference_async_barrier_awaits_the_call_its_action_returns() -> None:
    contract = customise(PROFILES["asyncio-cpython"], {"reentry": "breaks-round"})
    result = check(AsyncBarrier, contract, settings_=FOCUSED)
    (verdict,) = result.properties
    assert verdict.status == "pass", result.format()
    assert "aborting-action-wait" in verdict.exercised, verdict.exercised


def test_a_lost_abort_is_caught_only_with_the_calling_dimension() -> None:
    without = attrs.evolve(FOCUSED, space=InputSpace(calling_actions=False))
    (off,) = check(ReentrantLostAbortBarrier, REENTRY, settings_=without).properties
    assert off.status == "pass"
    result = check(ReentrantLostAbortBarrier, REENTRY, settings_=FOCUSED)
    (verdict,) = result.properties
    report = result.format()
    assert verdict.status == "fail", report
    assert "[the action calls" in report
    steps = [line for line in report.splitlines() if re.match(r"\s+\d+\. P\d", line)]
    assert 1 <= len(steps) <= 6, report
