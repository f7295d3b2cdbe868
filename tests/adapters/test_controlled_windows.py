"""Bugs in the window between "released" and "returned", caught by controlled programs.

For each barrier of ``tests/broken/window_style.py``: a constructed schedule (its decisions,
pinned) makes it break its property, deterministically (two replays, same failing log); the
schedule is minimal in preemptions (every schedule with one preemption fewer is enumerated
and passes); and the one-operation-at-a-time controlled driver does not see the bug (so the
window is what catches it). The stdlib threading.Barrier and the correct designs of
``tests/broken/correct.py`` pass every schedule with at most two preemptions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from tests.broken.correct import DrainingBarrier, RoundBarrier
from tests.broken.window_style import (
    WINDOW_BROKEN,
    DrainingCountedBarrier,
    ReleaseFlagBarrier,
    UnlockedActionBarrier,
)

from barrierspec import adapters as ad
from barrierspec.adapters._controlled_programs import ProgramRun, describe, run_program
from barrierspec.adapters._controlled_schedules import PCT, Scripted, enumerate_schedules

from .controlled_oracles import READ_N_WAITING, ROUNDS, n_waiting, rounds

Oracle = Callable[[ProgramRun, int], list[str]]

# property -> (scripts, oracle, action?): the program that exposes a bug of that property
PROGRAMS: dict[str, tuple[list[list[str]], Oracle, bool]] = {
    "draining": (ROUNDS, rounds, True),
    "single action": (ROUNDS, rounds, True),
    "n_waiting": (READ_N_WAITING, n_waiting, False),
}

# class -> (decisions of the failing schedule, its preemptions, what the log must show)
SCHEDULES: dict[type, tuple[tuple[int, ...], int, str]] = {
    # non-preemptive: P1 releases the round and, before P0 resumes, re-enters and lowers the
    # flag: P0 sleeps again, lapped
    ReleaseFlagBarrier: ((), 0, "P0 never finishes its script (blocked)"),
    # P1 trips the round; at its notify P2 takes the turn and reads both released parties
    DrainingCountedBarrier: ((0, 0, 1, 1, 0, 2, 1), 1, "P2 returns 2"),
    # P1 drops the lock to run the second round's action; P0 takes the turn and returns
    UnlockedActionBarrier: ((0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0), 1, "P0 returns"),
}


def _run(cls: object, prop: str, decisions: tuple[int, ...]) -> ProgramRun:
    scripts, _oracle, action = PROGRAMS[prop]
    return run_program(cls, 2, scripts, Scripted(decisions), action=action)


def _all_schedules(cls: object, prop: str, bound: int) -> list[ProgramRun]:
    scripts, _oracle, action = PROGRAMS[prop]
    found = enumerate_schedules(
        lambda ch: run_program(cls, 2, scripts, ch, action=action), bound=bound, max_runs=1000
    )
    return [run for _decisions, run in found]


def test_every_window_barrier_has_a_schedule() -> None:
    assert set(SCHEDULES) == set(WINDOW_BROKEN)


@pytest.mark.parametrize("cls", list(SCHEDULES), ids=lambda c: c.__name__)
def test_the_constructed_schedule_breaks_the_property_deterministically(cls: type) -> None:
    prop = WINDOW_BROKEN[cls]
    decisions, switches, shown = SCHEDULES[cls]
    oracle = PROGRAMS[prop][1]
    first, second = _run(cls, prop, decisions), _run(cls, prop, decisions)
    assert oracle(first, 2) != [], describe(first)
    assert (first.log, first.turns) == (second.log, second.turns)
    assert first.preemptions == switches
    assert any(step.split(". ", 1)[-1].startswith(shown) for step in describe(first))


@pytest.mark.parametrize("cls", list(SCHEDULES), ids=lambda c: c.__name__)
def test_the_schedule_is_minimal_in_preemptions(cls: type) -> None:
    prop = WINDOW_BROKEN[cls]
    switches = SCHEDULES[cls][1]
    oracle = PROGRAMS[prop][1]
    if switches == 0:  # nothing is smaller; but the bug needs the schedule: some run passes
        assert any(oracle(run, 2) == [] for run in _all_schedules(cls, prop, 1))
        return
    fewer = _all_schedules(cls, prop, switches - 1)
    assert fewer and all(oracle(run, 2) == [] for run in fewer)


def _one_op_at_a_time(cls: type, prop: str) -> list[ad.StepReport]:
    """The program's operations sent one at a time (each runs to quiescence first)."""
    scripts, _oracle, action = PROGRAMS[prop]
    ops: list[ad.Op] = [ad.WaitOp(p) for rank in range(2) for p in (0, 1) if rank < len(scripts[p])]
    with ad.ControlledThreadDriver(cls, 2, len(scripts), action=action) as driver:
        return [driver.perform(op) for op in ops]


@pytest.mark.parametrize("cls", list(SCHEDULES), ids=lambda c: c.__name__)
def test_one_operation_at_a_time_misses_the_bug(cls: type) -> None:
    steps = _one_op_at_a_time(cls, WINDOW_BROKEN[cls])
    released = [s.returned for s in steps if s.returned]
    assert all(sorted(r) == [0, 1] for r in released) and len(released) == len(steps) // 2
    for step in steps:
        if step.snapshot is not None:
            assert step.snapshot.n_waiting in (0, 1)


CORRECT_THREAD_BARRIERS = (threading.Barrier, DrainingBarrier, RoundBarrier)


@pytest.mark.parametrize("prop", ["draining", "n_waiting"])  # the two distinct programs
@pytest.mark.parametrize("cls", CORRECT_THREAD_BARRIERS, ids=lambda c: c.__qualname__)
def test_correct_barriers_pass_every_schedule_within_two_preemptions(cls: type, prop: str) -> None:
    runs = _all_schedules(cls, prop, 2)
    oracle = PROGRAMS[prop][1]
    assert len(runs) > 50  # the enumeration did branch (and was not cut off: it would raise)
    assert [oracle(run, 2) for run in runs] == [[] for _ in runs]


@pytest.mark.parametrize("cls", list(SCHEDULES), ids=lambda c: c.__name__)
def test_pct_finds_each_bug_about_as_often_as_its_bound_promises(cls: type) -> None:
    """PCT with depth d=2 among n participants and k turns finds a depth-2 bug with
    probability >= 1/(n k); over fixed seeds (so the count is deterministic) the hits must
    reach half of what that bound predicts."""
    prop = WINDOW_BROKEN[cls]
    scripts, oracle, action = PROGRAMS[prop]
    n, seeds = len(scripts), 300
    k = len(run_program(cls, 2, scripts, action=action).turns)
    hits = sum(
        1
        for seed in range(seeds)
        if oracle(run_program(cls, 2, scripts, PCT(seed, n, depth=2, steps=k), action=action), 2)
    )
    assert hits >= 1 and hits >= seeds / (n * k) / 2, (hits, n, k)


def _outcomes(cls: type, scripts: list[list[str]]) -> set[tuple[str, str]]:
    """Per schedule, how P0 and P1's wait() ended (every schedule within one preemption)."""
    found = enumerate_schedules(lambda ch: run_program(cls, 2, scripts, ch), bound=1, max_runs=1000)
    return {
        (
            next(e[0] for e in run.log if e[0] in ("return", "raise") and e[1] == 0),
            next(e[0] for e in run.log if e[0] in ("return", "raise") and e[1] == 1),
        )
        for _d, run in found
    }


def test_abort_can_land_on_a_released_party_that_has_not_resumed() -> None:
    """CPython's choice (design.md): a released party that has not resumed when abort() comes
    gets BrokenBarrierError, so one party of the round returns and the other raises. The
    fresh-round design returns both. Only a held released party makes this observable."""
    scripts = [["wait"], ["wait"], ["abort"]]
    for cls in (threading.Barrier, DrainingBarrier):
        assert {("return", "raise"), ("raise", "return")} <= _outcomes(cls, scripts)
    assert _outcomes(RoundBarrier, scripts) == {("return", "return"), ("raise", "raise")}
    steps = _one_op_at_a_time(threading.Barrier, "draining")
    assert all(not isinstance(o, ad.OpRaised) for s in steps for o in s.returned.values())
