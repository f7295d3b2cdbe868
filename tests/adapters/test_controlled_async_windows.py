"""asyncio bugs in the window between "released" and "resumed", caught on the controlled loop.

For each barrier of ``tests/broken/async_window_style.py``: a pinned schedule (its decisions)
makes it break the contract, deterministically (two replays, same failing log), and the log
names the window (who is woken and not resumed, where the cancel lands); the schedule is
minimal (no preemption, and some schedule of the same program passes, so the schedule is
what exposes it); the FIFO :class:`~barrierspec.adapters.AsyncioDriver`, sending the same
operations one at a time, does not see it. asyncio.Barrier, the reference AsyncBarrier, the
correct AsyncDrainingBarrier and GenerationAsyncBarrier (the correct design two of the broken
ones derive from) pass every schedule with at most two preemptions of the same programs, and
seeded PCT finds each bug about as often as its bound promises.
"""

from __future__ import annotations

import asyncio

import pytest
from tests.broken.async_window_style import (
    ASYNC_WINDOW_BROKEN,
    CancelAfterReleaseWithdrawsBarrier,
    EntryCancelCountedBarrier,
    GenerationAsyncBarrier,
    ReleaseFlagAsyncBarrier,
    ResetForgetsDrainersBarrier,
)
from tests.broken.correct import AsyncDrainingBarrier

from barrierspec import adapters as ad
from barrierspec.adapters._controlled_async_programs import describe_async, run_async_program
from barrierspec.adapters._controlled_programs import ProgramRun
from barrierspec.adapters._controlled_schedules import PCT, Scripted, enumerate_schedules
from barrierspec.reference import AsyncBarrier

from .controlled_async_oracles import PROGRAMS, violations

# class -> (program, decisions of the failing schedule, a step its description must show)
SCHEDULES: dict[type, tuple[str, tuple[int, ...], str]] = {
    # P1 releases the round and re-enters; P2 cancels P0 before it resumes: P0 withdraws an
    # arrival of the next round
    CancelAfterReleaseWithdrawsBarrier: ("cancel", (0, 1, 1, 2), "P2 cancels P0, woken but not"),
    # P1 releases the round and re-enters while P0 drains: P1 blocks on entry, is cancelled
    # there and counts itself out of the draining round
    EntryCancelCountedBarrier: (
        "cancel newcomer",
        (0, 1, 1, 2, 1, 0),
        "P2 cancels P1, suspended in its operation",
    ),
    # P1 releases the round and re-enters before P0 resumes: the flag is down again
    ReleaseFlagAsyncBarrier: ("rounds", (0, 1), "P0 is woken inside its operation"),
    # P1 releases the round, P2 resets while P0 is woken but not resumed
    ResetForgetsDrainersBarrier: ("reset", (0, 1, 1, 2, 0), "P2 calls reset"),
}

CORRECT = (asyncio.Barrier, AsyncBarrier, AsyncDrainingBarrier, GenerationAsyncBarrier)


def _run(cls: object, program: str, chooser: object = None) -> ProgramRun:
    parties, scripts = PROGRAMS[program]
    return run_async_program(cls, parties, scripts, chooser)  # type: ignore[arg-type]


def _all_schedules(cls: object, program: str, bound: int) -> list[ProgramRun]:
    parties, scripts = PROGRAMS[program]
    found = enumerate_schedules(
        lambda ch: run_async_program(cls, parties, scripts, ch),  # type: ignore[arg-type]
        bound=bound,
        max_runs=2000,
    )
    return [run for _decisions, run in found]


def test_every_async_window_barrier_has_a_schedule() -> None:
    assert set(SCHEDULES) == set(ASYNC_WINDOW_BROKEN)


@pytest.mark.parametrize("cls", list(SCHEDULES), ids=lambda c: c.__name__)
def test_the_pinned_schedule_breaks_the_contract_deterministically(cls: type) -> None:
    program, decisions, shown = SCHEDULES[cls]
    parties = PROGRAMS[program][0]
    first, second = _run(cls, program, Scripted(decisions)), _run(cls, program, Scripted(decisions))
    assert violations(first, parties) != [], describe_async(first)
    assert (first.log, first.turns) == (second.log, second.turns)
    assert first.decisions == decisions and first.preemptions == 0
    words = [step.split(". ", 1)[-1] for step in describe_async(first)]
    assert any(w.startswith(shown) for w in words), words
    assert any(w.startswith("P0 is woken inside its operation") for w in words), words


@pytest.mark.parametrize("cls", list(SCHEDULES), ids=lambda c: c.__name__)
def test_the_schedule_is_minimal_and_needed(cls: type) -> None:
    """No preemption is needed (nothing is smaller), but the schedule is: some schedule of
    the same program passes."""
    program = SCHEDULES[cls][0]
    parties = PROGRAMS[program][0]
    runs = _all_schedules(cls, program, 1)
    assert any(violations(run, parties) == [] for run in runs)
    assert any(violations(run, parties) != [] for run in runs)


def _fifo(cls: type, program: str) -> list[ad.StepReport]:
    """The program's operations sent one at a time, rank by rank, to the FIFO driver (a
    cancel of an idle participant is not sendable there and is skipped)."""
    parties, scripts = PROGRAMS[program]
    steps = []
    with ad.AsyncioDriver(cls, parties, len(scripts)) as driver:
        for rank in range(max(len(s) for s in scripts)):
            for p, script in enumerate(scripts):
                if rank >= len(script):
                    continue
                op = script[rank]
                if isinstance(op, tuple) and op[0] == "cancel":
                    if op[1] not in driver._busy:
                        continue
                    steps.append(driver.perform(ad.CancelOp(op[1])))  # type: ignore[arg-type]
                else:
                    steps.append(driver.perform(ad.ResetOp(p) if op == "reset" else ad.WaitOp(p)))
    return steps


@pytest.mark.parametrize("cls", list(SCHEDULES), ids=lambda c: c.__name__)
def test_the_fifo_driver_misses_the_bug(cls: type) -> None:
    program = SCHEDULES[cls][0]
    parties = PROGRAMS[program][0]
    steps = _fifo(cls, program)
    assert all(step.hang is None for step in steps)
    for step in steps:
        for outcome in step.returned.values():
            if isinstance(outcome, ad.OpReturned) and outcome.value is not None:
                assert outcome.value in range(parties)
    assert len(steps[-1].blocked) < parties
    # and the FIFO order is one of the controlled loop's schedules, where the bug is absent
    assert any(ad.OpReturned(0) in s.returned.values() for s in steps)


@pytest.mark.parametrize("program", list(PROGRAMS))
@pytest.mark.parametrize("cls", CORRECT, ids=lambda c: c.__qualname__)
def test_correct_barriers_pass_every_schedule_within_two_preemptions(
    cls: type, program: str
) -> None:
    parties = PROGRAMS[program][0]
    runs = _all_schedules(cls, program, 2)
    assert len(runs) >= 2  # the enumeration did branch (and was not cut off: it would raise)
    assert [violations(run, parties) for run in runs] == [[] for _ in runs]


@pytest.mark.parametrize("cls", list(SCHEDULES), ids=lambda c: c.__name__)
def test_pct_finds_each_bug_about_as_often_as_its_bound_promises(cls: type) -> None:
    """PCT with depth d=2 among n participants and k turns finds a depth-2 bug with
    probability >= 1/(n k); over fixed seeds the hits must reach half of that."""
    program = SCHEDULES[cls][0]
    parties, scripts = PROGRAMS[program]
    n, seeds = len(scripts), 200
    k = len(run_async_program(cls, parties, scripts).turns)
    hits = sum(
        1
        for seed in range(seeds)
        if violations(
            run_async_program(cls, parties, scripts, PCT(seed, n, depth=2, steps=k)), parties
        )
    )
    assert hits >= 1 and hits >= seeds / (n * k) / 2, (hits, n, k)


def test_a_cancel_that_lands_before_the_round_trips_leaves_the_round_standing() -> None:
    """P0 is cancelled while filling, but P1 arrives before P0 resumes: the round trips with
    P0 counted (P1 returns 1), P0 gets CancelledError, and the next round still works. The
    reference AsyncBarrier used to deadlock here (its withdrawal forgot to end the round)."""
    scripts: list[list[object]] = [["wait", "wait"], ["wait", "wait"], [("cancel", 0)]]
    for cls in CORRECT:
        run = run_async_program(cls, 2, scripts, Scripted((0, 2, 1)))
        words = [step.split(". ", 1)[-1] for step in describe_async(run)]
        assert "P2 cancels P0, suspended in its operation" in words, (cls, words)
        assert words.index("P1 returns 1") < words.index("P0 raises CancelledError"), words
        assert violations(run, 2) == [] and run.unfinished == frozenset(), (cls, words)
