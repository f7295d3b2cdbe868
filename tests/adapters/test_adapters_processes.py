"""The process driver: fork and spawn, the action across processes, SIGKILL, the
gh-123899 hang as a finding, and no process left behind."""

from __future__ import annotations

import multiprocessing
import os

import pytest
from adapter_helpers import view

from barrierspec.adapters import ActionRun, KillOp, ProcessDriver, ResetOp, WaitOp
from barrierspec.errors import UsageError


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_a_round_across_processes_with_the_action(start_method: str) -> None:
    with ProcessDriver("multiprocessing", 3, 3, action=True, start_method=start_method) as driver:  # type: ignore[arg-type]
        assert driver.perform(WaitOp(0)).blocked == {0}
        driver.perform(WaitOp(1))
        last = driver.perform(WaitOp(2))
        assert view(last) == {0: 0, 1: 1, 2: 2}
        assert last.actions == (
            ActionRun(participant=2, raised=False, n_waiting=3, returned_before=0),
        )
        driver.perform(WaitOp(1))
        driver.perform(WaitOp(2))
        failed = driver.perform(WaitOp(0, action_raises=True))
        assert view(failed) == {0: "action", 1: "broken", 2: "broken"}
        assert failed.snapshot is not None and failed.snapshot.broken is True
        pids = [proc.pid for proc in driver._procs]
    assert all(_gone(pid) for pid in pids)
    assert multiprocessing.active_children() == []


def test_a_timed_wait_in_a_process_breaks_the_barrier() -> None:
    with ProcessDriver("multiprocessing", 2, 2) as driver:
        step = driver.perform(WaitOp(1, timeout=0.05))
        assert view(step) == {1: "broken"}
        assert view(driver.perform(ResetOp(0))) == {0: None}


def test_kill_sends_a_real_sigkill_and_reaps_the_process() -> None:
    with ProcessDriver("multiprocessing", 3, 3) as driver:
        driver.perform(WaitOp(0))
        pid = driver._procs[0].pid
        step = driver.perform(KillOp(0))
        assert step.dead == {0} and step.blocked == frozenset()
        assert "killed p0 (exit code -9)" in step.log
        assert _gone(pid)
        # the dead waiter's arrival still counts in multiprocessing.Barrier (gh-123899)
        assert step.snapshot is not None and step.snapshot.n_waiting == 1
        with pytest.raises(UsageError, match="participant 0 is dead"):
            driver.perform(WaitOp(0))


def test_a_killed_waiter_hangs_stdlib_multiprocessing_and_the_driver_reports_it() -> None:
    # gh-123899: the timed-out survivor blocks forever in notify_all(), holding the lock.
    driver = ProcessDriver("multiprocessing", 3, 3, settle=0.5)
    pids = [proc.pid for proc in driver._procs]
    try:
        driver.perform(WaitOp(0))
        driver.perform(KillOp(0))
        step = driver.perform(WaitOp(1, timeout=0.1))
        assert step.hang is not None and step.hang.participants == {1}
        assert step.hang.message.startswith("participant 1 still blocked")
        assert "after its 0.1 s timeout" in step.hang.message
        assert step.hang.program == (WaitOp(0), KillOp(0), WaitOp(1, timeout=0.1))
        assert step.blocked == {1} and step.dead == {0}
    finally:
        driver.close()
    assert driver.leaked == ()
    assert all(_gone(pid) for pid in pids)
    assert multiprocessing.active_children() == []
