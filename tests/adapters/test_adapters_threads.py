"""The thread driver: observed quiescence, timeouts, the action, the watchdog, clean-up."""

from __future__ import annotations

import threading

import pytest
from adapter_helpers import driver_threads, view
from tests.broken.correct import DrainingBarrier
from tests.broken.threading_style import TimeoutIgnoredBarrier

from barrierspec.adapters import (
    AbortOp,
    ActionRun,
    AdvanceOp,
    KillOp,
    ResetOp,
    Snapshot,
    ThreadDriver,
    WaitOp,
)
from barrierspec.adapters._quiesce import CONFIRM_HANG
from barrierspec.errors import UsageError


def test_a_waiting_participant_is_blocked_and_the_last_arrival_releases_everyone() -> None:
    with ThreadDriver("threading", 3, 3, action=True) as driver:
        first = driver.perform(WaitOp(0))
        assert first.returned == {} and first.blocked == {0}
        assert first.snapshot == Snapshot(n_waiting=1, broken=False, parties=3)
        second = driver.perform(WaitOp(1))
        assert second.blocked == {0, 1} and second.snapshot is not None
        assert second.snapshot.n_waiting == 2
        last = driver.perform(WaitOp(2))
        assert view(last) == {0: 0, 1: 1, 2: 2}
        assert last.blocked == frozenset()
        # the action ran once, in the last arrival, before anyone returned
        assert last.actions == (
            ActionRun(participant=2, raised=False, n_waiting=3, returned_before=0),
        )
        assert last.log[:2] == ("send p2 wait()", "action p2")


def test_rounds_repeat_with_fresh_indices() -> None:
    with ThreadDriver("threading", 2, 2) as driver:
        for _ in range(3):
            driver.perform(WaitOp(1))
            assert view(driver.perform(WaitOp(0))) == {0: 1, 1: 0}


def test_a_timed_wait_is_waited_out_and_breaks_a_threading_barrier() -> None:
    with ThreadDriver("threading", 3, 3) as driver:
        driver.perform(WaitOp(0))
        step = driver.perform(WaitOp(1, timeout=0.05))
        assert view(step) == {0: "broken", 1: "broken"}
        assert step.snapshot is not None and step.snapshot.broken is True
        assert view(driver.perform(ResetOp(2))) == {2: None}
        assert view(driver.perform(WaitOp(2, timeout=0.01))) == {2: "broken"}


def test_the_default_timeout_bounds_an_untimed_wait() -> None:
    with ThreadDriver("threading", 2, 2, default_timeout=0.05) as driver:
        assert view(driver.perform(WaitOp(0))) == {0: "broken"}


def test_an_action_that_raises_breaks_the_round() -> None:
    with ThreadDriver("threading", 2, 2, action=True) as driver:
        driver.perform(WaitOp(0))
        step = driver.perform(WaitOp(1, action_raises=True))
        assert view(step) == {0: "broken", 1: "action"}
        assert step.actions == (ActionRun(1, True, 2, 0),)


def test_abort_breaks_waiters() -> None:
    with ThreadDriver(DrainingBarrier, 3, 3) as driver:
        driver.perform(WaitOp(0))
        step = driver.perform(AbortOp(1))
        assert view(step) == {0: "broken", 1: None}
        assert step.snapshot == Snapshot(0, True, 3)


def test_operations_the_driver_cannot_perform_are_usage_errors() -> None:
    with ThreadDriver("threading", 2, 2) as driver:
        driver.perform(WaitOp(0))
        with pytest.raises(UsageError, match="participant 0 is still inside wait"):
            driver.perform(WaitOp(0))
        with pytest.raises(UsageError, match=r"participant must be in 0\.\.1, got 5"):
            driver.perform(WaitOp(5))
        with pytest.raises(UsageError, match="does not support killing"):
            driver.perform(KillOp(1))
        with pytest.raises(UsageError, match="AdvanceOp"):
            driver.perform(AdvanceOp(1.0))
        with pytest.raises(UsageError, match="action_raises needs a driver built with action"):
            driver.perform(WaitOp(1, action_raises=True))
        with pytest.raises(UsageError, match="action_calls needs a driver built with action"):
            driver.perform(WaitOp(1, action_calls="abort"))
    with pytest.raises(UsageError, match="is closed"):
        driver.perform(WaitOp(1))
    with ThreadDriver("threading", 2, 2, action=True) as driver:
        with pytest.raises(UsageError, match=r"action_calls must be one of \('abort', 'reset'\)"):
            driver.perform(WaitOp(1, action_calls="wait"))
        with pytest.raises(UsageError, match="either raises or calls back"):
            driver.perform(WaitOp(1, action_raises=True, action_calls="reset"))


def test_a_timeout_that_never_fires_is_a_hang_finding_and_close_frees_it() -> None:
    before = driver_threads()
    driver = ThreadDriver(TimeoutIgnoredBarrier, 2, 2, settle=0.3)
    try:
        step = driver.perform(WaitOp(0, timeout=0.05))
        assert step.hang is not None
        assert step.hang.participants == {0}
        assert step.hang.message.startswith("participant 0 still blocked")
        assert "after its 0.05 s timeout" in step.hang.message
        assert step.hang.program == (WaitOp(0, timeout=0.05),)
        assert step.blocked == {0}
        with pytest.raises(UsageError, match="stuck after a hang"):
            driver.perform(WaitOp(0))
        # the other participant can still be driven; a reset frees the stuck one
        step = driver.perform(ResetOp(1))
        assert view(step) == {0: "broken", 1: None} and step.blocked == frozenset()
        driver.perform(WaitOp(0, timeout=0.05))  # usable again (and hangs again)
    finally:
        driver.close()
    assert driver.leaked == ()
    assert driver_threads() <= before
    driver.close()  # idempotent


def test_an_abort_that_blocks_is_a_hang_finding() -> None:
    gate = threading.Event()

    class StuckAbortBarrier(DrainingBarrier):
        def abort(self) -> None:
            gate.wait(30)

    driver = ThreadDriver(StuckAbortBarrier, 2, 2, settle=0.3)
    try:
        step = driver.perform(AbortOp(1))
        assert step.hang is not None and step.hang.participants == {1}
        assert "blocked in abort()" in step.hang.message
    finally:
        gate.set()  # free the stuck thread so that close() can end it
        driver.close()
    assert driver.leaked == ()


def test_an_abort_that_looks_blocked_for_a_few_polls_then_returns_is_no_hang() -> None:
    # A participant that a loaded machine leaves unscheduled inside a C call looks blocked for
    # a few polls; a hang is a defect claim, so it needs CONFIRM_HANG s of blocking, not 3 ms.
    held = threading.Lock()
    held.acquire()

    class SlowAbortBarrier(DrainingBarrier):
        def abort(self) -> None:
            held.acquire(timeout=CONFIRM_HANG / 5)  # looks blocked (a held lock), then ends
            super().abort()

    driver = ThreadDriver(SlowAbortBarrier, 2, 2, settle=0.3)
    try:
        step = driver.perform(AbortOp(1))
        assert step.hang is None, step.hang
        assert view(step) == {1: None}
    finally:
        held.release()
        driver.close()


def test_close_ends_every_thread_even_with_waiters_inside() -> None:
    before = driver_threads()
    with ThreadDriver("threading", 4, 3) as driver:
        for p in range(3):
            driver.perform(WaitOp(p))
        assert len(driver_threads() - before) == 3
    assert driver.leaked == ()
    assert driver_threads() <= before
