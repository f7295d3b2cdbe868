"""New policy values, each one edit of the rules that every interpretation follows.

``Cancellation.BREAK_ALL`` (aiologic: cancelling a waiter breaks the barrier): the readable
step, the compiled search (successors equal on every reachable state), the Z3 moves (exact
agreement with the step function) and the explorer (every invariant holds) all take it from
the one branch in ``spec/_rules.py``; a real barrier that breaks on cancellation passes the
profile that says so and fails asyncio's.
"""

from __future__ import annotations

from collections import Counter

import attrs
import pytest
from tests.broken.asyncio_style import CancelBreaksBarrier

from barrierspec.conformance import CheckSettings, check
from barrierspec.proofs import check_agreement
from barrierspec.spec import PROFILES, BarrierSystem, Bounds, Profile, State, explore, step
from barrierspec.spec._compiled_system import CompiledBarrierSystem
from barrierspec.spec._custom import customise
from barrierspec.spec._policies import Cancellation
from barrierspec.spec._result import ExplorationStatus
from barrierspec.spec._state import Cancel, Fault, Raised, Status, Wait

BREAKS = customise(PROFILES["asyncio"], {"cancellation": "break-all"})


def test_the_custom_profile_takes_the_new_value() -> None:
    assert BREAKS.policies.cancellation is Cancellation.BREAK_ALL
    assert BREAKS.policies == attrs.evolve(
        PROFILES["asyncio"].policies, cancellation=Cancellation.BREAK_ALL
    )


def test_cancelling_a_counted_waiter_breaks_the_barrier_for_the_others() -> None:
    (first,) = step(BREAKS, _fresh(BREAKS, 3), Wait(0))
    (second,) = step(BREAKS, first.state, Wait(1))
    (cancelled,) = step(BREAKS, second.state, Cancel(0))
    assert cancelled.outputs == (Raised(0, Fault.CANCELLED),)
    after = cancelled.state
    assert after.broken and after.arrived == 0
    assert after.locals[1].status is Status.FAILING and after.locals[1].fault is Fault.BROKEN
    # under asyncio's contract the same cancel withdraws the arrival and breaks nothing
    (withdrawn,) = step(PROFILES["asyncio"], second.state, Cancel(0))
    assert not withdrawn.state.broken and withdrawn.state.arrived == 1


def _fresh(profile: Profile, parties: int) -> State:
    from barrierspec.spec._step import initial_state

    return initial_state(profile, parties, parties)


def _graph(system: BarrierSystem) -> dict[State, Counter[tuple[object, State]]]:
    frontier = system.initial_states()
    graph: dict[State, Counter[tuple[object, State]]] = {}
    while frontier:
        following = []
        for state in frontier:
            successors = Counter(system.successors(state))
            graph[state] = successors
            following += [post for _, post in successors if post not in graph]
        frontier = list(dict.fromkeys(following))
    return graph


@pytest.mark.parametrize(("parties", "participants"), [(2, 2), (2, 3)])
def test_the_compiled_search_follows_the_new_value(parties: int, participants: int) -> None:
    bounds = Bounds(rounds=1)
    compiled = CompiledBarrierSystem(BREAKS, parties, participants, bounds)
    graph = _graph(BarrierSystem(BREAKS, parties, participants, bounds))
    assert any(s.broken for s in graph)  # the new branch is reached
    for state, want in graph.items():
        got = Counter(
            (label.transition, compiled.decode(post))
            for label, post in compiled.successors(compiled.encode(state))
        )
        assert got == want, state.describe()


@pytest.mark.parametrize(("parties", "participants"), [(2, 3), (3, 3)])
def test_the_z3_moves_agree_with_the_new_value(parties: int, participants: int) -> None:
    result = check_agreement(BREAKS, parties, participants, rounds=2)
    assert result.ok, "\n".join(result.mismatches)


def test_the_explorer_finds_every_invariant_kept_under_the_new_value() -> None:
    result = explore(BarrierSystem(BREAKS, 2, 3, Bounds(rounds=2)))
    assert result.status is ExplorationStatus.OK, result.violation


def test_a_barrier_that_breaks_on_cancellation_passes_the_profile_that_says_so() -> None:
    cfg = CheckSettings(seed=3, examples=40, budget=1.0, generated=False, only=("cancellation",))
    assert check(CancelBreaksBarrier, BREAKS, settings_=cfg).conformant
    assert not check(CancelBreaksBarrier, "asyncio", settings_=cfg).conformant
