"""The controlled runtime running whole programs: one participant at a time, a virtual clock
that jumps exactly to a deadline, choosers that replay, threading.Barrier's behaviour.

Every test can fail: overlaps are counted, not assumed; the clock is compared with the
deadline it must reach; replays compare whole traces.
"""

from __future__ import annotations

import contextlib
import queue
import sys
import threading
import time

import pytest

from barrierspec.adapters._controlled_programs import describe, run_program
from barrierspec.adapters._controlled_schedules import (
    PCT,
    ReplayDivergedError,
    Scripted,
    enumerate_schedules,
)

from .controlled_oracles import ROUNDS, rounds


class OverlapProbe:
    """A target whose wait() runs stretches of plain Python between controlled lock
    operations and counts how often two participants were inside such a stretch at once."""

    active: list[int] = []  # noqa: RUF012 -- shared on purpose, reset per test
    overlaps = 0

    def __init__(self, parties: int) -> None:
        self.parties = parties
        self._lock = threading.Lock()

    def wait(self) -> int:
        for _ in range(20):
            OverlapProbe.active.append(threading.get_ident())
            for _ in range(2000):  # plain Python: the GIL would switch here without control
                if len(OverlapProbe.active) > 1:
                    OverlapProbe.overlaps += 1
                    break
            OverlapProbe.active.remove(threading.get_ident())
            with self._lock:  # two scheduling points
                pass
        return 0


def test_only_one_participant_runs_at_a_time() -> None:
    OverlapProbe.active, OverlapProbe.overlaps = [], 0
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # invite the GIL to switch as often as it can
    try:
        run = run_program(OverlapProbe, 3, [["wait"]] * 3, PCT(seed=1, participants=3))
    finally:
        sys.setswitchinterval(old)
    assert run.unfinished == frozenset() and run.overdue is None
    assert len(set(run.turns)) == 3 and run.preemptions > 0  # they did interleave
    assert OverlapProbe.overlaps == 0


class Sleeper:
    """Sleeps and reads the clocks through ``time`` (controlled for the target's code)."""

    def __init__(self, parties: int) -> None:
        self.parties = parties

    def wait(self) -> tuple[float, float]:
        start = time.monotonic()
        time.sleep(90.5)
        return start, time.monotonic() - start


def test_sleep_and_timeouts_run_on_the_virtual_clock_exactly() -> None:
    slept = run_program(Sleeper, 1, [["wait"]])
    assert slept.events("return") == [("return", 0, (0.0, 90.5))]
    assert slept.virtual_time == 90.5
    timed = run_program(threading.Barrier, 3, [[("wait", 7.25)], [("wait", 3600.0)]])
    assert [e[2] for e in timed.events("raise")] == ["BrokenBarrierError"] * 2
    assert timed.virtual_time == 7.25  # the earlier deadline fired; the hour never passed
    assert timed.unfinished == frozenset()


def test_a_timer_fires_only_when_nobody_can_run() -> None:
    run = run_program(threading.Barrier, 2, [[("wait", 5.0)], ["wait"]])
    assert sorted(e[2] for e in run.events("return")) == [0, 1]  # type: ignore[type-var]
    assert run.virtual_time == 0.0 and run.events("raise") == []


def test_replaying_the_decisions_gives_the_same_trace() -> None:
    runs = [
        run_program(threading.Barrier, 2, ROUNDS, PCT(seed, participants=2), action=True)
        for seed in range(6)
    ]
    assert len({r.turns for r in runs}) > 1  # the seeds give different schedules
    for run in runs:
        again = run_program(threading.Barrier, 2, ROUNDS, Scripted(run.decisions), action=True)
        assert (again.turns, again.log) == (run.turns, run.log)


def test_a_decision_naming_a_participant_that_cannot_run_is_an_error() -> None:
    with pytest.raises(ReplayDivergedError, match="decision 0: participant 5 is not runnable"):
        run_program(threading.Barrier, 2, ROUNDS, Scripted([5]))


def test_unknown_operations_are_refused() -> None:
    with pytest.raises(ValueError, match="participant 1: unknown operation 'jump'"):
        run_program(threading.Barrier, 2, [["wait"], ["jump"]])


def test_stdlib_rounds_and_indices_under_every_schedule() -> None:
    runs = list(
        enumerate_schedules(
            lambda ch: run_program(threading.Barrier, 2, ROUNDS, ch, action=True),
            bound=1,
            max_runs=200,
        )
    )
    assert len(runs) > 10
    assert [rounds(run, 2) for _d, run in runs] == [[] for _ in runs]
    assert len({run.log for _d, run in runs}) > 1  # the schedules differ observably


def test_stdlib_three_parties_indices_are_a_permutation_per_round() -> None:
    run = run_program(threading.Barrier, 3, [["wait"] * 2] * 3, PCT(3, participants=3))
    assert rounds(run, 3) == []


def test_stdlib_abort_breaks_a_waiter_and_reset_repairs() -> None:
    run = run_program(threading.Barrier, 2, [["wait"], ["abort", "broken", "reset", "broken"]])
    assert ("raise", 0, "BrokenBarrierError") in run.log
    assert [e[2] for e in run.events("return") if e[1] == 1] == [None, True, None, False]
    assert "1. P0 calls wait" in describe(run)


def test_stdlib_reset_breaks_a_waiter_then_the_barrier_works_again() -> None:
    run = run_program(threading.Barrier, 2, [["wait", "wait"], ["reset", "wait"]])
    assert run.log[:2] == (("call", 0, "wait"), ("call", 1, "reset"))
    assert run.log.index(("raise", 0, "BrokenBarrierError")) > 1  # broken by the reset
    assert sorted(e[2] for e in run.events("return") if e[2] is not None) == [0, 1]  # type: ignore[type-var]
    assert run.unfinished == frozenset()


class Spinner:
    """Blocks on a real (uncontrolled) queue nobody fills: the turn is not handed back."""

    def __init__(self, parties: int) -> None:
        self.parties = parties
        self._never: queue.SimpleQueue[int] = queue.SimpleQueue()

    def wait(self) -> int:
        with contextlib.suppress(queue.Empty):
            self._never.get(timeout=3.0)
        return 0


def test_a_participant_that_keeps_the_turn_is_reported_overdue() -> None:
    run = run_program(Spinner, 2, [["wait"], ["wait"]], bound=0.3)
    assert run.overdue == 0 and 0 in run.unfinished
