"""check() under the controlled driver: schedules are part of the program.

The window barriers are rejected by check() itself, the same way twice with a seed, with a
counterexample that names the schedule; schedules replay, shrink towards the default and
are enumerated within the preemption bound; the driver's action is a scheduling point; the
evidence counts schedules and model transitions.
"""

from __future__ import annotations

import attrs
import pytest
from tests.broken.threading_style import NoDrainWaitBarrier
from tests.broken.window_style import WINDOW_BROKEN

from barrierspec import adapters as ad
from barrierspec.adapters._controlled_schedules import Ranked, Schedule, next_schedule
from barrierspec.adapters._ledger import Ledger, RecordingAction
from barrierspec.conformance import CheckSettings, check

WINDOWS = {**WINDOW_BROKEN, NoDrainWaitBarrier: "draining"}
SEEDED = CheckSettings(seed=3, generated=False)


@pytest.mark.parametrize("cls", list(WINDOWS), ids=lambda c: c.__name__)
def test_check_rejects_each_window_bug_deterministically_naming_the_schedule(cls: type) -> None:
    cfg = attrs.evolve(SEEDED, only=(WINDOWS[cls],))
    first, again = check(cls, settings_=cfg), check(cls, settings_=cfg)
    (failure,) = first.failures
    cex = failure.counterexample
    assert cex is not None and len(cex.steps) <= 4, first.format()
    shown = " ".join(seen for _op, seen in cex.steps)
    assert "released but not resumed" in shown or "schedule: " in shown, first.format()
    # the same minimal program and schedule, after the same number of runs
    assert [(f.counterexample, f.programs) for f in first.failures] == [
        (f.counterexample, f.programs) for f in again.failures
    ]
    assert first.driver.startswith("ControlledThreadDriver"), first.driver


def test_the_observing_driver_misses_the_window_bugs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BARRIERSPEC_CONTROLLED", "0")
    for cls in (
        NoDrainWaitBarrier,
        *(c for c in WINDOW_BROKEN if c.__name__ != "ReleaseFlagBarrier"),
    ):
        cfg = attrs.evolve(SEEDED, only=(WINDOWS[cls],), seeded_examples=10)
        result = check(cls, settings_=cfg)
        assert result.driver.startswith("ThreadDriver"), result.driver
        if cls.__name__ != "UnlockedActionBarrier":  # its unlocked action races for real
            assert not result.failures, result.format()


def _decide(schedule: Schedule, turns: list[list[int]]) -> list[int]:
    chooser = schedule.chooser(3)
    return [chooser(list(runnable)) for runnable in turns]


def test_a_schedule_replays_in_ranks_and_its_default_is_non_preemptive() -> None:
    turns = [[0, 1, 2], [0, 1, 2], [1, 2], [0, 2]]
    assert _decide(Schedule(), turns) == [0, 0, 1, 0]  # keep the last runner, else the lowest
    assert _decide(Schedule((1, 0, 1)), turns) == [1, 1, 2, 2]
    assert _decide(Schedule((5,)), turns)[0] == 2  # a rank wraps: every schedule is executable
    pct = Schedule(pct=7)
    assert _decide(pct, turns) == _decide(pct, turns)


def test_next_schedule_enumerates_depth_first_within_the_bound() -> None:
    chooser = Ranked(Schedule(), 2)
    for runnable in ([0, 1], [0, 1], [0, 1]):
        chooser(runnable)
    seen = []
    schedule = next_schedule(chooser.decisions, 1)
    while schedule is not None:
        seen.append(schedule.choices)
        replay = schedule.chooser(2)
        for runnable in ([0, 1], [0, 1], [0, 1]):
            replay(runnable)
        schedule = next_schedule(replay.decisions, 1)
    # the first decision has no running participant, so choosing P1 there is no preemption
    assert seen == [(0, 0, 1), (0, 1), (1,), (1, 0, 1), (1, 1)], seen


def test_a_return_while_the_action_still_runs_counts_against_it() -> None:
    ledger = Ledger()
    action = RecordingAction(ledger)
    first = action.wait_started(0, False)
    action.wait_started(1, False)
    action.pause = lambda _seconds: action.wait_returned(
        first, ad.OpReturned(0)
    )  # P0 returns meanwhile
    action()
    _outcomes, (run,), _log = ledger.drain()
    assert run.returned_before == 1


def test_the_evidence_counts_schedules_and_model_transitions() -> None:
    result = check("threading", settings_=attrs.evolve(SEEDED, only=("draining",)))
    (draining,) = result.properties
    assert " schedules, " in draining.exercised and "model transitions" in draining.exercised
    schedules = int(draining.exercised.split(" schedules")[0].rsplit(" ", 1)[1])
    assert schedules > 10, draining.exercised
