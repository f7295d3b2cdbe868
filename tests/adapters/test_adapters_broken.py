"""Seeded-bug barriers driven through the adapters: their step reports differ from a
correct barrier's at the step where the bug shows (the conformance suite, not these tests,
names the property that rejects each one); correct designs report identical steps."""

from __future__ import annotations

from typing import Any

import pytest
from adapter_helpers import view
from tests.broken import BROKEN, asyncio_style, correct, threading_style
from tests.broken.window_style import WINDOW_BROKEN

from barrierspec.adapters import (
    AbortOp,
    AdvanceOp,
    AsyncioDriver,
    BarrierConstructionError,
    CancelOp,
    Op,
    OpReturned,
    ResetOp,
    StepReport,
    ThreadDriver,
    WaitOp,
)

W = WaitOp


def signature(step: StepReport) -> tuple[Any, ...]:
    """What a checker compares: outcomes, blocked set, action runs, observers, hang or not."""
    snap = step.snapshot
    return (
        view(step),
        sorted(step.blocked),
        [(a.participant, a.raised, a.returned_before) for a in step.actions],
        None if snap is None else (snap.n_waiting, snap.broken),
        step.hang is not None,
    )


def run(factory: object, program: list[Op], driver: type[Any], **options: Any) -> list[Any]:
    with driver(factory, 3, 4, settle=0.3, **options) as d:
        return [signature(d.perform(op)) for op in program]


ROUND = [W(0), W(1), W(2)]
THREAD_CASES = [
    (threading_style.LappingBarrier, ROUND, 2),
    (threading_style.LostWakeupBarrier, ROUND, 2),
    (threading_style.EarlyReleaseBarrier, ROUND, 1),
    (threading_style.DuplicateIndexBarrier, ROUND * 2, 5),
    (threading_style.IndexOutOfRangeBarrier, ROUND, 2),
    (threading_style.ActionTwiceBarrier, ROUND, 2),
    (threading_style.EarlyActionBarrier, ROUND, 0),
    (threading_style.ActionFailureNotBreakingBarrier, [W(0), W(1), W(2, action_raises=True)], 2),
    (threading_style.TimeoutNoBreakBarrier, [W(0), W(1, timeout=0.05)], 1),
    (threading_style.TimeoutIgnoredBarrier, [W(0, timeout=0.05)], 0),
    (threading_style.ResetNoWakeBarrier, [W(0), ResetOp(3)], 1),
    (threading_style.ResetStaysBrokenBarrier, [AbortOp(3), ResetOp(3)], 1),
    (threading_style.AbortOnlyCurrentBarrier, [AbortOp(3)], 0),
    (threading_style.BrokenClearsBarrier, [W(0), W(1, timeout=0.05)], 1),
    (threading_style.NWaitingOffByOneBarrier, [W(0)], 0),
    (threading_style.LateActionBarrier, ROUND, 2),
]
ASYNC_CASES = [
    (asyncio_style.AsyncDuplicateIndexAfterCancelBarrier, [W(0), W(1), CancelOp(0), W(2), W(3)], 4),
    (asyncio_style.CancelBreaksBarrier, [W(0), W(1), CancelOp(0)], 2),
    (asyncio_style.CancelStillCountedBarrier, [W(0), W(1), CancelOp(0), W(2)], 2),
    (asyncio_style.AsyncLostWakeupBarrier, ROUND, 2),
    (asyncio_style.AsyncResetNoWakeBarrier, [W(0), ResetOp(3)], 1),
]


def _first_difference(good: list[Any], bad: list[Any]) -> int | None:
    return next((i for i, (g, b) in enumerate(zip(good, bad, strict=True)) if g != b), None)


@pytest.mark.parametrize(
    ("broken", "program", "at"), THREAD_CASES, ids=[c[0].__name__ for c in THREAD_CASES]
)
def test_a_threading_style_bug_shows_in_the_step_reports(
    broken: type, program: list[Op], at: int
) -> None:
    good = run(correct.DrainingBarrier, program, ThreadDriver, action=True)
    assert _first_difference(good, run(broken, program, ThreadDriver, action=True)) == at


@pytest.mark.parametrize(
    ("broken", "program", "at"), ASYNC_CASES, ids=[c[0].__name__ for c in ASYNC_CASES]
)
def test_an_asyncio_style_bug_shows_in_the_step_reports(
    broken: type, program: list[Op], at: int
) -> None:
    good = run(correct.AsyncDrainingBarrier, program, AsyncioDriver)
    assert _first_difference(good, run(broken, program, AsyncioDriver)) == at


def test_every_broken_class_is_covered_here_or_by_construction() -> None:
    covered = {c[0] for c in THREAD_CASES + ASYNC_CASES} | {threading_style.NoValidationBarrier}
    # the window bugs need a controlled schedule: tests/adapters/test_controlled_windows.py
    windows = {*WINDOW_BROKEN, threading_style.NoDrainWaitBarrier}
    assert covered | windows == set(BROKEN)


def test_off_by_one_validation_refuses_where_a_correct_barrier_constructs() -> None:
    with ThreadDriver(correct.DrainingBarrier, 1, 1) as driver:
        assert driver.perform(W(0)).returned == {0: OpReturned(0)}
    with pytest.raises(BarrierConstructionError, match="parties must be >= 2, got 1"):
        ThreadDriver(threading_style.NoValidationBarrier, 1, 1)


LONG = [
    W(0),
    W(1),
    W(2),
    W(3),
    W(1),
    W(2, action_raises=True),
    ResetOp(3),
    W(0, timeout=0.05),
    W(1),
    W(2),
    ResetOp(3),
    W(0),
    W(1),
    W(2, timeout=0.05),
    AbortOp(3),
    W(0),
    ResetOp(3),
    W(0),
    W(1),
    W(2),
]


def test_correct_threading_designs_report_identical_steps() -> None:
    reference = run("threading", LONG, ThreadDriver, action=True)
    assert run(correct.DrainingBarrier, LONG, ThreadDriver, action=True) == reference
    assert run(correct.RoundBarrier, LONG, ThreadDriver, action=True) == reference


def test_correct_asyncio_design_matches_stdlib_without_cancellation() -> None:
    program = [W(0), W(1), W(2), W(0, timeout=5), AdvanceOp(5), W(1), ResetOp(2), AbortOp(3), W(0)]
    assert run(correct.AsyncDrainingBarrier, program, AsyncioDriver) == run(
        "asyncio", program, AsyncioDriver
    )
