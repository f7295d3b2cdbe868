"""The controlled thread driver: exact quiescence, a virtual clock, uncontrolled code found.

Every test here can fail: the steps are compared with what threading.Barrier must do, the
virtual clock with the timeout it must have reached, and the fallback with its reason.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time

import pytest
from tests.adapters.target_shapes import SPELLED_MAP, SpelledBarrier

from barrierspec import adapters as ad
from barrierspec.adapters._controlled_view import RunsUncontrolled, Uncontrollable
from barrierspec.conformance._drivers import driver_choice
from barrierspec.errors import UsageError


def test_a_round_releases_everyone_and_quiescence_is_exact() -> None:
    with ad.ControlledThreadDriver("threading", 2, 3, action=True) as driver:
        first = driver.perform(ad.WaitOp(0))
        assert first.returned == {} and first.blocked == {0}
        assert first.snapshot is not None and first.snapshot.n_waiting == 1
        second = driver.perform(ad.WaitOp(1))
        assert second.returned == {0: ad.OpReturned(0), 1: ad.OpReturned(1)}
        assert second.blocked == frozenset()
        assert [a.participant for a in second.actions] == [1]
    assert driver.leaked == ()


def test_a_timed_wait_times_out_on_the_virtual_clock() -> None:
    with ad.ControlledThreadDriver("threading", 2, 2) as driver:
        step = driver.perform(ad.WaitOp(0, timeout=3600.0))
        assert step.returned[0] == ad.OpRaised("timeout", "TimeoutError", "") or (
            isinstance(step.returned[0], ad.OpRaised) and step.returned[0].kind == "broken"
        )
        assert driver.scheduler.clock.now == 3600.0  # the hour passed virtually
        after = driver.perform(ad.WaitOp(1))
        assert isinstance(after.returned[1], ad.OpRaised) and after.returned[1].kind == "broken"


def test_close_unwinds_participants_blocked_forever() -> None:
    driver = ad.ControlledThreadDriver("threading", 3, 2)
    assert driver.perform(ad.WaitOp(0)).blocked == {0}
    assert driver.perform(ad.WaitOp(1)).blocked == {0, 1}
    driver.close()
    assert driver.leaked == ()


class RealQueueBarrier:
    """Waits on a real queue nobody fills: code the runtime does not control."""

    def __init__(self, parties: int) -> None:
        self.parties = parties
        self._gate: queue.SimpleQueue[int] = queue.SimpleQueue()

    def wait(self) -> int:
        with contextlib.suppress(queue.Empty):
            self._gate.get(timeout=2.0)
        return 0


_REAL_LOCK = threading.Lock


def test_blocking_on_an_uncontrolled_primitive_is_reported_not_taken_for_quiescence() -> None:
    driver = ad.ControlledThreadDriver(RealQueueBarrier, 2, 1, settle=0.2)
    with driver, pytest.raises(RunsUncontrolled, match="without reaching a controlled primitive"):
        driver.perform(ad.WaitOp(0))


def test_check_falls_back_to_observation_when_a_target_runs_uncontrolled() -> None:
    from barrierspec.conformance import CheckSettings, check

    cfg = CheckSettings(seed=1, generated=False, only=("release count",), settle=0.3)
    result = check(RealQueueBarrier, settings_=cfg)
    assert result.driver.startswith("ThreadDriver (observed, not controlled: at run time, ")
    assert "without reaching a controlled primitive" in result.driver
    assert "driver: ThreadDriver" in result.format()


def test_targets_that_cannot_be_controlled_fall_back_to_observation() -> None:

    def factory(parties: int) -> threading.Barrier:
        return threading.Barrier(parties)

    with pytest.raises(Uncontrollable, match="a factory, not a class"):
        ad.ControlledThreadDriver(factory, 2, 1)
    choice = driver_choice(ad.resolve_target(factory))
    assert choice.name == "ThreadDriver" and "a factory, not a class" in choice.reason
    assert driver_choice(ad.resolve_target("threading")).controlled


def test_the_real_primitives_stay_untouched() -> None:
    with ad.ControlledThreadDriver("threading", 2, 1) as driver:
        driver.perform(ad.WaitOp(0))
        assert threading.Lock is _REAL_LOCK and time.monotonic() > 0
        assert type(driver.barrier) is not threading.Barrier
        assert isinstance(driver.barrier, threading.Barrier)


def test_a_window_bug_is_rejected_with_the_schedule_named() -> None:
    from tests.broken.threading_style import NoDrainWaitBarrier

    from barrierspec.conformance import CheckSettings, check

    cfg = CheckSettings(seed=7, examples=200, generated=False, only=("draining",))
    result = check(NoDrainWaitBarrier, settings_=cfg)
    (failure,) = result.failures
    text = result.format()
    assert "is released but not resumed" in text, text
    assert failure.counterexample is not None and len(failure.counterexample.steps) <= 4, text


def test_a_held_party_stays_inside_through_later_steps_until_it_resumes() -> None:
    """CPython's newcomers block while P0 (released, held) has not left; P0's ResumeOp lets
    it return and the newcomers in. A round-object barrier lets them pass at once."""
    from tests.broken.correct import RoundBarrier

    with ad.ControlledThreadDriver("threading", 2, 3) as driver:
        driver.perform(ad.WaitOp(0))
        driver.hold_next(1)
        released = driver.perform(ad.WaitOp(1))
        assert released.returned == {1: ad.OpReturned(1)} and released.held == {0}
        newcomer = driver.perform(ad.WaitOp(1))  # CPython: a newcomer waits while P0 drains
        assert newcomer.returned == {} and newcomer.blocked == {0, 1} and newcomer.held == {0}
        second = driver.perform(ad.WaitOp(2))
        assert second.returned == {} and second.blocked == {0, 1, 2} and second.held == {0}
        resumed = driver.perform(ad.ResumeOp(0))
        assert resumed.returned == {0: ad.OpReturned(0), 1: ad.OpReturned(0), 2: ad.OpReturned(1)}
        assert resumed.held == frozenset() and resumed.blocked == frozenset()
        with pytest.raises(UsageError, match="participant 0 is not held"):
            driver.perform(ad.ResumeOp(0))
    with ad.ControlledThreadDriver(RoundBarrier, 2, 3) as driver:
        driver.perform(ad.WaitOp(0))
        driver.hold_next(1)
        driver.perform(ad.WaitOp(1))
        driver.perform(ad.WaitOp(1))
        lapped = driver.perform(ad.WaitOp(2))  # the next round passes while P0 is inside
        assert lapped.returned == {1: ad.OpReturned(0), 2: ad.OpReturned(1)}
        assert lapped.held == {0}


def test_the_controlled_driver_reads_observers_through_the_interface_map() -> None:
    target = ad.resolve_target(SpelledBarrier, interface=SPELLED_MAP)
    assert target.capabilities.has_n_waiting
    for _ in range(2):  # the second driver reuses the first one's controlled view
        with ad.ControlledThreadDriver(target, 3, 3) as driver:
            step = driver.perform(ad.WaitOp(0))
            assert step.blocked == {0}
            assert step.snapshot is not None and step.snapshot.n_waiting == 1, step.snapshot
