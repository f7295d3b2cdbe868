"""The controlled asyncio loop, its program runner and its driver: the mechanics.

Replaying a run's decisions replays the run; a cancel lands at every suspension point
(suspended, woken but not resumed, idle); timeouts fire on the virtual clock, exactly; a
callback that keeps the thread, a task that never blocks and an executor job that never hands
over are reported, never hangs; a task awaiting an executor job (``asyncio.to_thread``) is
not blocked while the job runs, and blocked when the job's thread is, for the FIFO driver
too (issue 11); the controlled driver holds a released task
so that a ``Cancel`` lands on it before it resumes.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

import pytest
from tests.broken.async_window_style import CancelAfterReleaseWithdrawsBarrier

from barrierspec import adapters as ad
from barrierspec.adapters._controlled_async_programs import describe_async, run_async_program
from barrierspec.adapters._controlled_schedules import PCT, Scripted, enumerate_schedules

CANCEL_ONE = [["wait"], ["wait"], [("cancel", 0)]]


def test_replaying_the_decisions_replays_the_run() -> None:
    for seed in range(5):
        first = run_async_program(asyncio.Barrier, 2, CANCEL_ONE, PCT(seed, 3, steps=8))
        again = run_async_program(asyncio.Barrier, 2, CANCEL_ONE, Scripted(first.decisions))
        assert (again.log, again.turns, again.decisions) == (
            first.log,
            first.turns,
            first.decisions,
        )


def test_a_cancel_lands_at_every_suspension_point_and_after_a_release() -> None:
    runs = [
        run
        for _d, run in enumerate_schedules(
            lambda ch: run_async_program(asyncio.Barrier, 2, CANCEL_ONE, ch), bound=2, max_runs=500
        )
    ]
    wheres = {e[2][1] for run in runs for e in run.log if e[0] == "cancel"}  # type: ignore[index]
    assert wheres == {"suspended", "woken, not resumed", "idle"}
    for run in runs:
        cancel = next(e for e in run.log if e[0] == "cancel")
        if cancel[2] == (0, "woken, not resumed"):  # released, then cancelled: the round stands
            assert ("raise", 0, "CancelledError") in run.log and ("return", 1, 1) in run.log


def test_timeouts_fire_on_the_virtual_clock_in_deadline_order() -> None:
    run = run_async_program(asyncio.Barrier, 3, [[("wait", 5.0)], [("wait", 2.0)]])
    raised = [e for e in run.log if e[0] == "raise"]
    assert raised == [("raise", 1, "TimeoutError"), ("raise", 0, "TimeoutError")]
    assert run.virtual_time == 5.0 and run.unfinished == frozenset()


def test_scripts_are_checked_before_anything_runs() -> None:
    with pytest.raises(ValueError, match=r"unknown operation 'jump'"):
        run_async_program(asyncio.Barrier, 2, [["wait", "jump"]])
    with pytest.raises(ValueError, match=r"\('cancel', 5\) must name a participant"):
        run_async_program(asyncio.Barrier, 2, [["wait"], [("cancel", 5)]])


class KeepsTheThread:
    """wait() blocks the loop's thread on a real event (uncontrolled, synchronous)."""

    gate = threading.Event()

    def __init__(self, parties: int) -> None:
        self.parties = parties

    async def wait(self) -> int:
        self.gate.wait(10)
        return 0


class NeverBlocks:
    """wait() yields forever without ever blocking."""

    def __init__(self, parties: int) -> None:
        self.parties = parties

    async def wait(self) -> int:
        while True:
            await asyncio.sleep(0)


def test_a_callback_keeping_the_thread_is_overdue_not_a_hang() -> None:
    try:
        run = run_async_program(KeepsTheThread, 2, [["wait"], ["wait"]], bound=0.2)
    finally:
        KeepsTheThread.gate.set()
    assert run.overdue == 0 and run.unfinished == {0, 1}
    assert describe_async(run)[0] == "1. P0 keeps the thread (a callback that never yields)"


def test_a_task_that_never_blocks_is_stopped_by_the_turn_limit() -> None:
    run = run_async_program(NeverBlocks, 2, [["wait"]], max_turns=500)
    assert run.overdue == 0 and run.unfinished == {0}


class ArrivesThroughAThread:
    """asyncio.Barrier, but each arrival first runs ``job`` on the default executor: a job
    that runs a while (``time.sleep``: running, by the probe's rules) or one that blocks on
    ``gate`` (a held lock: blocked) until the test opens it."""

    gate = threading.Event()
    job: Callable[[], object] = staticmethod(lambda: ArrivesThroughAThread.gate.wait(10))

    def __init__(self, parties: int) -> None:
        self._barrier = asyncio.Barrier(parties)

    async def wait(self) -> int:
        await asyncio.to_thread(self.job)
        return await self._barrier.wait()

    @property
    def n_waiting(self) -> int:
        return self._barrier.n_waiting


class WorksInAThread(ArrivesThroughAThread):
    job = staticmethod(lambda: time.sleep(0.05))  # the target's own work, not a test's wait


class WorksForEverInAThread(ArrivesThroughAThread):
    job = staticmethod(lambda: time.sleep(10))


def test_a_task_awaiting_a_running_executor_job_is_not_blocked() -> None:
    """Issue 11: a task waiting on an executor thread that runs is not blocked: the loop
    waits for the job's hand-over."""
    run = run_async_program(WorksInAThread, 2, [["wait"], ["wait"]], bound=5.0)
    assert run.overdue is None and run.unfinished == frozenset()
    assert sorted(e[2] for e in run.events("return")) == [0, 1]  # type: ignore[type-var]


@pytest.mark.parametrize("driver", [ad.AsyncioDriver, ad.ControlledAsyncioDriver])
def test_the_drivers_take_a_task_whose_executor_job_is_blocked_for_blocked(
    driver: type[ad.Driver],
) -> None:
    """A job blocked on a lock (aioprocessing's ``coro_wait`` in ``wait()``) leaves its task
    blocked, not hung: the step ends quiescent; opening the gate lets it go on."""
    ArrivesThroughAThread.gate.clear()
    try:
        with driver(ArrivesThroughAThread, 2, 2, settle=2.0) as open_driver:
            step = open_driver.perform(ad.WaitOp(0))
            assert step.hang is None and step.blocked == {0}, step
    finally:
        ArrivesThroughAThread.gate.set()


@pytest.mark.parametrize("driver", [ad.AsyncioDriver, ad.ControlledAsyncioDriver])
def test_the_drivers_wait_for_an_executor_job_and_report_one_that_never_hands_over(
    driver: type[ad.Driver],
) -> None:
    with driver(WorksInAThread, 1, 1) as open_driver:
        step = open_driver.perform(ad.WaitOp(0))
        assert step.returned == {0: ad.OpReturned(0)} and step.hang is None
    with driver(WorksForEverInAThread, 1, 1, settle=0.3) as open_driver:
        step = open_driver.perform(ad.WaitOp(0))
        assert step.hang is not None and "executor job" in step.hang.message


def test_the_controlled_driver_holds_a_released_task_and_a_cancel_lands_on_it() -> None:
    """hold_next keeps the released P0 from resuming; the Cancel lands after its release and
    before it resumes: asyncio.Barrier gives P0 CancelledError and keeps P1's index."""
    with ad.ControlledAsyncioDriver("asyncio", 2, 2) as driver:
        assert driver.perform(ad.WaitOp(0)).blocked == {0}
        driver.hold_next(1)
        released = driver.perform(ad.WaitOp(1))
        assert released.held == {0} and released.returned == {1: ad.OpReturned(1)}
        cancelled = driver.perform(ad.CancelOp(0))
        assert cancelled.returned[0].type_name.endswith("CancelledError")  # type: ignore[union-attr]
        assert cancelled.held == frozenset() and cancelled.blocked == frozenset()
        assert cancelled.snapshot is not None and cancelled.snapshot.n_waiting == 0


def test_the_controlled_driver_exposes_the_withdrawal_bug_the_fifo_driver_misses() -> None:
    ops = [ad.WaitOp(0), ad.WaitOp(1), ad.CancelOp(0), ad.WaitOp(1)]
    with ad.AsyncioDriver(CancelAfterReleaseWithdrawsBarrier, 2, 2) as fifo:
        fifo.perform(ops[0])
        fifo.perform(ops[1])  # both return: the Cancel has nothing left to cancel
        assert fifo.perform(ops[3]).snapshot.n_waiting == 1  # type: ignore[union-attr]
    with ad.ControlledAsyncioDriver(CancelAfterReleaseWithdrawsBarrier, 2, 2) as driver:
        driver.perform(ops[0])
        driver.hold_next(1)
        driver.perform(ops[1])
        assert driver.perform(ops[2]).snapshot.n_waiting == -1  # type: ignore[union-attr]


def test_the_controlled_driver_records_its_decisions_through_the_chooser() -> None:
    chooser = Scripted(())
    with ad.ControlledAsyncioDriver("asyncio", 3, 3, chooser=chooser) as driver:
        driver.perform(ad.WaitOp(0))
        driver.perform(ad.WaitOp(1))
        step = driver.perform(ad.WaitOp(2))
    assert sorted(step.returned) == [0, 1, 2]
    assert chooser.decisions and all(len(r) > 1 for r, _l, _c in chooser.decisions)


def test_a_held_task_stays_held_through_later_steps_until_it_resumes() -> None:
    """P0 is released and held; P1's next wait() blocks on entry behind it (asyncio.Barrier
    lets no newcomer in while a round drains); a Cancel of the blocked newcomer lands, P0 is
    still held, and its ResumeOp lets it return its index. The broken
    EntryCancelCountedBarrier laps P0 instead. An Advance lets every held task resume."""
    from tests.broken.async_window_style import EntryCancelCountedBarrier

    for cls, p0_returns in (("asyncio", True), (EntryCancelCountedBarrier, False)):
        with ad.ControlledAsyncioDriver(cls, 2, 2) as driver:
            driver.perform(ad.WaitOp(0))
            driver.hold_next(1)
            assert driver.perform(ad.WaitOp(1)).held == {0}
            newcomer = driver.perform(ad.WaitOp(1))
            assert newcomer.held == {0} and newcomer.blocked == {0, 1}, cls
            cancelled = driver.perform(ad.CancelOp(1))
            assert cancelled.returned[1].kind == "cancelled"  # type: ignore[union-attr]
            assert cancelled.held == {0}, cls
            resumed = driver.perform(ad.ResumeOp(0))
            assert (resumed.returned.get(0) == ad.OpReturned(0)) is p0_returns, cls
    with ad.ControlledAsyncioDriver("asyncio", 2, 2) as driver:
        driver.perform(ad.WaitOp(0))
        driver.hold_next(1)
        driver.perform(ad.WaitOp(1))
        released = driver.perform(ad.AdvanceOp(0.0))
        assert released.returned == {0: ad.OpReturned(0)} and released.held == frozenset()
