"""The input space check() draws: each dimension catches a barrier that only it can catch.

For every broken barrier of ``tests/broken/input_space.py`` (and the raising action of
``threading_style``), the property that must reject it is run twice: with the dimension the
bug needs switched off in :class:`InputSpace` the barrier passes, with it on it fails with a
short counterexample that names the construction. So each dimension is shown to be needed,
and to be drawn.
"""

from __future__ import annotations

import re

import attrs
import pytest
from tests.broken import input_space as bad
from tests.broken.threading_style import ActionFailureNotBreakingBarrier

from barrierspec import adapters as ad
from barrierspec.adapters._ops import firing_timeout
from barrierspec.conformance import CheckSettings, InputSpace, check
from barrierspec.conformance._program import (
    Construction,
    Instruction,
    Timing,
    construction_of,
    takes_default_timeout,
)
from barrierspec.conformance._properties import (
    DEFAULT_LONG,
    DEFAULT_SHORT,
    NO_ACTION,
    WAIT,
)
from barrierspec.errors import UsageError

FOCUSED = CheckSettings(
    seed=7, examples=60, budget=10.0, shrink_budget=4.0, generated=False, settle=1.0
)

# class -> (property, the InputSpace switch that turns the dimension off, what the program shows)
CASES: dict[type, tuple[str, dict[str, object], str]] = {
    bad.DefaultTimeoutIgnoredBarrier: ("timeout", {"default_timeouts": False}, "timeout=0.05"),
    bad.DefaultBeatsExplicitBarrier: ("timeout", {"default_timeouts": False}, "timeout=1000000.0"),
    bad.ZeroTimeoutAsNoneBarrier: ("timeout", {"timeout_values": False}, "wait(timeout=0)"),
    bad.ManyPartiesDuplicateIndexBarrier: ("arrival index", {"max_parties": 4}, "parties=5"),
    bad.FourthRoundDuplicateIndexBarrier: ("arrival index", {"max_rounds": 3}, "parties=2"),
    bad.MissingActionCalledBarrier: ("single action", {"action_absent": False}, "action=None"),
    bad.ZeroDefaultTimeoutRejectedBarrier: (
        "argument validation",
        {"default_timeouts": False},
        "parties=2, timeout=0.0 is valid but construction raises",
    ),
    bad.SlowActionTimesOutBarrier: (
        "timeout",
        {"slow_actions": False},
        "wait(timeout=0.05) [the action takes 0.1 s if it runs here]",
    ),
    bad.AsyncOwnTimeoutIgnoredBarrier: ("timeout", {"own_timeouts": False}, "[its own timeout]"),
    bad.AsyncOwnZeroAsNoneBarrier: (
        "timeout",
        {"timeout_values": False},
        "wait(timeout=0) [its own timeout]",
    ),
    bad.AsyncZeroTimeoutLeakBarrier: ("timeout", {"timeout_values": False}, "wait(timeout=0)"),
    ActionFailureNotBreakingBarrier: (
        "action failure",
        {"raising_actions": False},
        "[the action raises if it runs here]",
    ),
}


def _verdict(cls: type, prop: str, space: InputSpace) -> tuple[str, str]:
    result = check(cls, settings_=attrs.evolve(FOCUSED, only=(prop,), space=space))
    (verdict,) = result.properties
    return verdict.status, result.format()


@pytest.mark.parametrize("cls", list(CASES), ids=lambda c: c.__name__)
def test_each_dimension_is_needed_and_drawn(cls: type) -> None:
    prop, off, shown = CASES[cls]
    status, report = _verdict(cls, prop, InputSpace(**off))  # type: ignore[arg-type]
    assert status == "pass", f"{cls.__name__} is caught without {off}:\n{report}"
    status, report = _verdict(cls, prop, InputSpace())
    assert status == "fail", f"{cls.__name__} passed {prop!r} in the full space:\n{report}"
    assert shown in report, report
    if prop != "argument validation":  # a probe of the constructor, not a program
        steps = [line for line in report.splitlines() if re.match(r"\s+\d+\. P\d", line)]
        assert 1 <= len(steps) <= 8, report


def test_the_default_timeout_dimension_applies_only_where_the_constructor_takes_one() -> None:
    assert takes_default_timeout(ad.resolve_target("threading"))
    assert takes_default_timeout(ad.resolve_target("multiprocessing"))
    assert not takes_default_timeout(ad.resolve_target("asyncio"))


def test_a_program_names_its_construction_and_the_first_of_each_wins() -> None:
    timing = Timing(0.05)
    program = [Instruction(WAIT), Instruction(DEFAULT_LONG), Instruction(DEFAULT_SHORT)]
    assert construction_of(program, timing) == Construction(default_timeout=timing.long)
    built = construction_of([Instruction(NO_ACTION), Instruction(DEFAULT_SHORT)], timing)
    assert built == Construction(default_timeout=0.05, action=False)
    assert built.describe() == "timeout=0.05, action=None"
    assert construction_of([Instruction(WAIT)], timing).describe() == ""


@pytest.mark.parametrize(
    ("precedence", "timed"),
    [
        ((None, None), False),  # no timeout at all
        ((None, 0.05), True),  # wait() takes the constructor's default
        ((0.05, 1e6), True),  # the explicit timeout wins over a long default
        ((1e6, 0.05), False),  # ... and over a short one: a long wait is untimed in a run
        ((0.0, None), True),  # wait(0) is a timeout that expires at once, not None
    ],
)
def test_explicit_timeouts_win_over_the_default(
    precedence: tuple[float | None, float | None], timed: bool
) -> None:
    own, default = precedence
    assert (firing_timeout(own, default) is not None) is timed


@pytest.mark.parametrize("field", ["max_parties", "max_rounds"])
@pytest.mark.parametrize("value", [0, -1, True, 2.5])
def test_a_scope_bound_must_be_a_positive_int(field: str, value: object) -> None:
    with pytest.raises(UsageError, match=f"InputSpace.{field} must be an int >= 1, got"):
        InputSpace(**{field: value})  # type: ignore[arg-type]


def test_a_slow_action_sleeps_on_the_virtual_clock_while_the_round_trips() -> None:
    from tests.broken.correct import DrainingBarrier

    with ad.ControlledThreadDriver(DrainingBarrier, 2, 2, action=True) as driver:
        driver.perform(ad.WaitOp(0))
        step = driver.perform(ad.WaitOp(1, timeout=0.05, action_takes=0.1))
        assert driver.scheduler.clock.now >= 0.1
    assert {p: o.value for p, o in step.returned.items()} == {0: 0, 1: 1}  # type: ignore[union-attr]
    (run,) = step.actions
    assert run.participant == 1 and run.returned_before == 0


def test_a_slow_action_needs_a_driver_with_an_action() -> None:
    with (
        ad.ControlledThreadDriver("threading", 2, 2) as driver,
        pytest.raises(UsageError, match="action_takes needs a driver built with action=True"),
    ):
        driver.perform(ad.WaitOp(0, action_takes=0.1))


def test_an_async_barrier_has_its_own_timeout_when_its_wait_takes_one_or_one_is_mapped() -> None:
    assert ad.resolve_target("barrierspec.reference:AsyncBarrier").capabilities.own_timeout
    assert ad.resolve_target(bad.AsyncTimedBarrier).capabilities.own_timeout
    assert not ad.resolve_target("asyncio").capabilities.own_timeout
    assert not ad.resolve_target("threading").capabilities.own_timeout  # always its own
    with (
        ad.AsyncioDriver("asyncio", 2, 2) as driver,
        pytest.raises(UsageError, match="has no timeout of its own"),
    ):
        driver.perform(ad.WaitOp(0, timeout=1.0, own=True))


@pytest.mark.parametrize("target", ["barrierspec.reference:AsyncBarrier", bad.AsyncTimedBarrier])
def test_async_barriers_with_their_own_timeout_pass_both_forms_and_wait_0(target: object) -> None:
    result = check(target, settings_=attrs.evolve(FOCUSED, only=("timeout",)))
    (verdict,) = result.properties
    assert verdict.status == "pass", result.format()
    for kind in ("own-timed-wait", "own-zero-wait", " timed-wait", "zero-wait"):
        assert kind in verdict.exercised, verdict.exercised


def test_each_timeout_form_is_drawn_only_where_the_target_and_driver_have_it() -> None:
    from barrierspec.conformance._check import _kinds
    from barrierspec.conformance._properties import PROPERTIES, SLOW
    from barrierspec.spec import PROFILES

    (timeout,) = [p for p in PROPERTIES if p.name == "timeout"]
    thread = ad.resolve_target("threading")
    threading_profile, asyncio_profile = PROFILES["threading"], PROFILES["asyncio"]
    assert SLOW in _kinds(timeout, thread, threading_profile, "thread", controlled=True)
    assert SLOW not in _kinds(timeout, thread, threading_profile, "thread", controlled=False)
    plain = _kinds(timeout, ad.resolve_target("asyncio"), asyncio_profile, "asyncio", True)
    assert "zero-wait" in plain and "own-timed-wait" not in plain
    own = ad.resolve_target("barrierspec.reference:AsyncBarrier")
    assert {"own-timed-wait", "own-zero-wait"} <= set(
        _kinds(timeout, own, asyncio_profile, "asyncio", True)
    )
    off = InputSpace(own_timeouts=False)
    assert "own-timed-wait" not in _kinds(timeout, own, asyncio_profile, "asyncio", True, off)
