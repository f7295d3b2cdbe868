"""New policy values, each one edit of the rules that every interpretation follows.

``IndexPolicy.ARRIVAL`` (CPython: ``index = self._count``): the k-th party counted into a round
returns k; a withdrawn arrival moves the later ones down. The strict threading and
multiprocessing profiles pin it; every interpretation follows ``_rules.arrive``.

``IndexPolicy.RETURNS_NONE`` (aiologic's ``Latch``): a successful wait returns None.

``GiveUp.BREAK_ALL_TIMEOUT_ERROR`` (aiologic's async form timed out from outside): a timeout
breaks the barrier, the timer gets TimeoutError and the others BrokenBarrierError.

``RoundsPolicy.SINGLE`` (a latch, aiologic's ``Latch``): after its one trip every later wait
returns at once, or raises once the barrier is broken.

``PartiesPolicy.ZERO_ALLOWED`` (aiologic: ``parties`` defaults to 0): argument validation
accepts ``parties=0`` and requires a lone timed wait on it to give up, not pass.

``Cancellation.BREAK_ALL`` (aiologic: cancelling a waiter breaks the barrier): the readable
step, the compiled search (successors equal on every reachable state), the Z3 moves (exact
agreement with the step function) and the explorer (every invariant holds) all take it from
the one branch in ``spec/_rules.py``; a real barrier that breaks on cancellation passes the
profile that says so and fails asyncio's.
"""

from __future__ import annotations

import attrs
import pytest
from tests.broken.asyncio_style import CancelBreaksBarrier
from tests.broken.input_space import ZeroPartiesAbortIgnoredBarrier, ZeroPartiesBarrier
from tests.broken.threading_style import NoIndexBarrier
from tests.proofs.test_proofs_rules import _compiled_follows, _graph

from barrierspec.conformance import CheckSettings, check
from barrierspec.errors import UsageError
from barrierspec.proofs import ProofVerdict, check_agreement, prove
from barrierspec.spec import PROFILES, BarrierSystem, Bounds, Profile, State, explore, step
from barrierspec.spec._custom import customise
from barrierspec.spec._policies import Cancellation, IndexPolicy, PartiesPolicy
from barrierspec.spec._result import ExplorationStatus
from barrierspec.spec._state import (
    Abort,
    Cancel,
    Event,
    Fault,
    Raised,
    Resume,
    Returned,
    Status,
    Timeout,
    Wait,
)
from barrierspec.spec._step import Successor, initial_state

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


@pytest.mark.parametrize(("parties", "participants"), [(2, 2), (2, 3)])
def test_the_compiled_search_follows_the_new_value(parties: int, participants: int) -> None:
    graph = _graph(BarrierSystem(BREAKS, parties, participants, Bounds(rounds=1)))
    assert any(s.broken for s in graph)  # the new branch is reached
    _compiled_follows(BREAKS, parties, participants)


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


# ------------------------------------------------------------------ IndexPolicy.ARRIVAL

# withdrawals renumber: asyncio's cancellation and timeouts, with the arrival order
ARRIVAL_ASYNC = customise(PROFILES["asyncio"], {"index": "arrival"})
_ARRIVAL = {
    "threading-cpython": PROFILES["threading-cpython"],
    "multiprocessing-cpython": PROFILES["multiprocessing-cpython"],
    "asyncio+arrival": ARRIVAL_ASYNC,
}


def test_the_strict_threading_profiles_pin_the_arrival_order() -> None:
    for name in ("threading-cpython", "multiprocessing-cpython"):
        assert PROFILES[name].policies.index is IndexPolicy.ARRIVAL
    assert ARRIVAL_ASYNC.policies.index is IndexPolicy.ARRIVAL


def _run(profile: Profile, state: State, *events: Event) -> Successor:
    succ = Successor(state)
    for event in events:
        (succ,) = step(profile, succ.state, event)
    return succ


def test_the_kth_arrival_returns_k() -> None:
    strict = PROFILES["threading-cpython"]
    tripped = _run(strict, _fresh(strict, 3), Wait(2), Wait(0), Wait(1))
    resumed = [step(strict, tripped.state, Resume(p)) for p in (0, 1, 2)]
    assert [[s.outputs for s in r] for r in resumed] == [
        [(Returned(0, 1),)],
        [(Returned(1, 2),)],
        [(Returned(2, 0),)],
    ]
    # the contract lets each of them return any free index
    assert (
        len(
            step(
                PROFILES["threading"],
                _run(
                    PROFILES["threading"],
                    _fresh(PROFILES["threading"], 3),
                    Wait(2),
                    Wait(0),
                    Wait(1),
                ).state,
                Resume(0),
            )
        )
        == 3
    )


def test_a_withdrawn_arrival_moves_the_later_ones_down() -> None:
    state = _run(ARRIVAL_ASYNC, _fresh(ARRIVAL_ASYNC, 3), Wait(0), Wait(1), Cancel(0)).state
    assert state.locals[1].position == 0
    tripped = _run(ARRIVAL_ASYNC, state, Wait(2), Wait(0)).state
    assert [loc.position for loc in tripped.locals] == [2, 0, 1]


def _positions_are_the_arrival_order(state: State) -> bool:
    waiting = sorted(
        loc.position
        for loc in state.locals
        if loc.status is Status.WAITING or (loc.status is Status.DEAD and loc.arrived)
    )
    passed: dict[int, list[int]] = {}
    for loc in state.locals:
        if loc.status is Status.PASSED:
            passed.setdefault(loc.round, []).append(loc.position)
    ranks_ok = all(len(set(ps)) == len(ps) for ps in passed.values())
    return waiting == list(range(state.arrived)) and ranks_ok


@pytest.mark.parametrize(
    ("name", "parties", "participants"),
    [("threading-cpython", 3, 3), ("multiprocessing-cpython", 2, 3), ("asyncio+arrival", 3, 3)],
)
def test_every_reachable_state_numbers_its_round_by_arrival(
    name: str, parties: int, participants: int
) -> None:
    graph = _graph(BarrierSystem(_ARRIVAL[name], parties, participants, Bounds(rounds=2)))
    assert any(loc.position for s in graph for loc in s.locals)
    bad = [s.describe() for s in graph if not _positions_are_the_arrival_order(s)]
    assert not bad, bad[:3]


@pytest.mark.parametrize(
    ("name", "parties", "participants"),
    [("threading-cpython", 2, 3), ("multiprocessing-cpython", 2, 3), ("asyncio+arrival", 3, 3)],
)
def test_the_compiled_search_follows_the_arrival_order(
    name: str, parties: int, participants: int
) -> None:
    _compiled_follows(_ARRIVAL[name], parties, participants)


@pytest.mark.parametrize(
    ("name", "parties", "participants"),
    [("threading-cpython", 3, 3), ("multiprocessing-cpython", 2, 3), ("asyncio+arrival", 3, 3)],
)
def test_the_z3_moves_agree_with_the_arrival_order(
    name: str, parties: int, participants: int
) -> None:
    result = check_agreement(_ARRIVAL[name], parties, participants, rounds=2)
    assert result.ok, "\n".join(result.mismatches)


def test_the_explorer_finds_every_invariant_kept_under_the_arrival_order() -> None:
    result = explore(BarrierSystem(ARRIVAL_ASYNC, 3, 3, Bounds(rounds=2)))
    assert result.status is ExplorationStatus.OK, result.violation


def _every_interpretation_follows(profile: Profile) -> None:
    """The compiled search, the Z3 moves, the explorer and prove, on a new value."""
    _compiled_follows(profile, 2, 3)
    result = check_agreement(profile, 3, 3, rounds=2)
    assert result.ok, "\n".join(result.mismatches)
    explored = explore(BarrierSystem(profile, 2, 3, Bounds(rounds=2)))
    assert explored.status is ExplorationStatus.OK, explored.violation
    assert prove(profile).proved


# -------------------------------------------------------------- IndexPolicy.RETURNS_NONE

NOTHING = customise(PROFILES["threading"], {"index": "returns-none"})


def test_a_released_party_returns_none() -> None:
    tripped = _run(NOTHING, _fresh(NOTHING, 2), Wait(0), Wait(1))
    assert [s.outputs for s in step(NOTHING, tripped.state, Resume(0))] == [(Returned(0, None),)]


def test_every_interpretation_follows_returns_none() -> None:
    _every_interpretation_follows(NOTHING)


def test_a_barrier_returning_none_passes_the_profile_that_says_so() -> None:
    cfg = CheckSettings(seed=5, examples=30, budget=1.0, generated=False, only=("arrival index",))
    assert check(NoIndexBarrier, NOTHING, settings_=cfg).conformant
    result = check(NoIndexBarrier, "threading", settings_=cfg)
    assert "returned None where an index in range" in result.format(), result.format()


# ------------------------------------------------------------ PartiesPolicy.ZERO_ALLOWED

_ARGUMENTS = CheckSettings(seed=1, examples=10, generated=False, only=("argument validation",))
_WAITING = {"interface": ["n_waiting=waiting"]}  # aiologic's name for n_waiting


def test_zero_parties_are_accepted_where_the_profile_allows_them() -> None:
    zero = customise(PROFILES["threading"], {"parties": "zero-allowed"})
    assert zero.policies.parties is PartiesPolicy.ZERO_ALLOWED
    assert PROFILES["threading"].policies.parties is PartiesPolicy.POSITIVE
    aiologic = check("aiologic:Barrier", zero, settings_=_ARGUMENTS, target_options=_WAITING)
    assert aiologic.conformant, aiologic.format()
    assert "parties=0" not in aiologic.format()  # its only remark is accepting parties=1.5
    # the same barrier under threading's contract fails on parties=0 ...
    strict = check("aiologic:Barrier", "threading", settings_=_ARGUMENTS, target_options=_WAITING)
    assert "accepts parties=0: parties <= 0 must raise" in strict.format(), strict.format()
    # ... and a barrier that rejects parties=0 fails the profile that allows it
    rejects = check("barrierspec.reference:Barrier", zero, settings_=_ARGUMENTS)
    assert "which the profile allows (zero-allowed)" in rejects.format(), rejects.format()


@pytest.mark.parametrize(
    "profile",
    [
        PROFILES["threading-cpython"],
        PROFILES["multiprocessing-cpython"],
        ARRIVAL_ASYNC,
        NOTHING,
        BREAKS,
    ],
    ids=lambda profile: profile.name,
)
def test_prove_proves_every_obligation_under_the_new_values(profile: Profile) -> None:
    report = prove(profile)
    assert report.proved, [o for o in report.obligations if o.verdict is not ProofVerdict.PROVED]


# -------------------------------------------------------- GiveUp.BREAK_ALL_TIMEOUT_ERROR

AIOLOGIC_ASYNC = customise(
    PROFILES["asyncio"], {"cancellation": "break-all", "give_up": "break-all-timeout-error"}
)


def test_a_timeout_breaks_the_barrier_and_the_timer_gets_timeout_error() -> None:
    waiting = _run(AIOLOGIC_ASYNC, _fresh(AIOLOGIC_ASYNC, 3), Wait(0, timeout=True), Wait(1))
    (timed_out,) = step(AIOLOGIC_ASYNC, waiting.state, Timeout(0))
    assert timed_out.outputs == (Raised(0, Fault.TIMEOUT),)
    assert timed_out.state.broken and timed_out.state.locals[1].fault is Fault.BROKEN


def test_every_interpretation_follows_break_all_timeout_error() -> None:
    _every_interpretation_follows(AIOLOGIC_ASYNC)


# ----------------------------------------------------------------- RoundsPolicy.SINGLE

LATCH = customise(PROFILES["threading"], {"rounds": "single", "index": "returns-none"})


def test_a_tripped_latch_lets_later_waits_through_until_it_is_broken() -> None:
    tripped = _run(LATCH, _fresh(LATCH, 2), Wait(0), Wait(1), Resume(0), Resume(1))
    (late,) = step(LATCH, tripped.state, Wait(0))
    assert late.outputs == (Returned(0, None),) and late.state == tripped.state
    # a cyclic barrier counts the same wait into its next round
    assert step(NOTHING, tripped.state, Wait(0))[0].state.arrived == 1
    aborted = _run(LATCH, tripped.state, Abort(1))
    assert [s.outputs for s in step(LATCH, aborted.state, Wait(0))] == [(Raised(0, Fault.BROKEN),)]


def test_every_interpretation_follows_the_latch() -> None:
    _every_interpretation_follows(LATCH)


# ------------------------------------------------------------ Cancellation.BREAK_ALWAYS

# aiologic: `finally: if not success: self.abort()` -- any cancelled wait breaks the barrier
ALWAYS = customise(PROFILES["asyncio"], {"cancellation": "break-always"})


def test_cancelling_a_released_party_breaks_the_barrier_and_its_round_stands() -> None:
    (first,) = step(ALWAYS, _fresh(ALWAYS, 2), Wait(0))
    (tripped,) = step(ALWAYS, first.state, Wait(1))
    assert tripped.state.locals[0].status is Status.PASSED
    (cancelled,) = step(ALWAYS, tripped.state, Cancel(0))
    after = cancelled.state
    assert after.broken and after.round == 1  # broken, and the round it left still tripped
    assert after.locals[0].status is Status.FAILING and after.locals[0].fault is Fault.CANCELLED
    # under break-all the same cancel breaks nothing: only a counted waiter's does
    (kept,) = step(BREAKS, tripped.state, Cancel(0))
    assert not kept.state.broken


@pytest.mark.parametrize(("parties", "participants"), [(2, 2), (2, 3)])
def test_the_compiled_search_follows_break_always(parties: int, participants: int) -> None:
    _compiled_follows(ALWAYS, parties, participants)


def test_the_z3_moves_and_the_explorer_follow_break_always() -> None:
    result = check_agreement(ALWAYS, 2, 3, rounds=2)
    assert result.ok, "\n".join(result.mismatches)
    explored = explore(BarrierSystem(ALWAYS, 2, 3, Bounds(rounds=2)))
    assert explored.status is ExplorationStatus.OK, explored.violation


def test_a_barrier_that_breaks_only_for_counted_waiters_fails_break_always() -> None:
    cfg = CheckSettings(seed=3, examples=60, budget=2.0, generated=False, only=("cancellation",))
    assert check(CancelBreaksBarrier, BREAKS, settings_=cfg).conformant
    result = check(CancelBreaksBarrier, ALWAYS, settings_=cfg)
    assert not result.conformant, result.format()
    assert "cancel" in result.format()


# ------------------------------------------------- PartiesPolicy.ZERO_ALLOWED beyond validation

ZERO = customise(PROFILES["threading"], {"parties": "zero-allowed"})


def test_a_barrier_of_no_parties_never_trips_and_its_untimed_waits_are_the_contract() -> None:
    assert initial_state(ZERO, 0, 2).parties == 0
    with pytest.raises(UsageError, match="parties must be an int >= 1"):
        initial_state(PROFILES["threading"], 0, 2)
    (first,) = step(ZERO, initial_state(ZERO, 0, 2), Wait(0))
    (second,) = step(ZERO, first.state, Wait(1))
    assert second.state.arrived == 2 and second.state.round == 0  # piled up, not tripped
    result = explore(BarrierSystem(ZERO, 0, 3, Bounds(rounds=2)))
    assert result.status is ExplorationStatus.OK, result.violation
    assert [h.name for h in result.documented_hangs] == [ZERO.hang_reason(0, False)]
    assert check_agreement(ZERO, 2, 3, rounds=2).ok
    assert prove(ZERO).proved


def test_a_barrier_of_no_parties_is_checked_beyond_argument_validation() -> None:
    cfg = CheckSettings(seed=2, examples=80, budget=10.0, generated=False, only=("abort",))
    assert check(ZeroPartiesBarrier, ZERO, settings_=cfg).conformant
    result = check(ZeroPartiesAbortIgnoredBarrier, ZERO, settings_=cfg)
    report = result.format()
    assert not result.conformant, report
    assert "barrier(parties=0)" in report
