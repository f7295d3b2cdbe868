"""A held party stays released but not resumed until the program lets it go on.

``hold`` makes the next step's woken parties stay inside ``wait()`` through every later step,
until a ``resume`` of them (or the end of the program, where each held party resumes as a
step of its own). So newcomers arrive, and a later round can fill, while a party of the
last round is still draining: ``RoundBarrier`` (a fresh round object per round, newcomers
join the next round at once) is rejected by ``threading-cpython`` (newcomers block while the
last round drains) with a minimal program naming the hold, and passes ``threading``
(either is allowed). The small scope skips programs that run as a shorter one it ran
(an instruction nobody could perform, a hold that held nobody), which makes room for the
five-instruction program that catches ``EntryCancelCountedBarrier``, whatever the seed.
"""

from __future__ import annotations

import attrs
import pytest
from tests.broken.async_window_style import EntryCancelCountedBarrier
from tests.broken.correct import RoundBarrier

from barrierspec.conformance import CheckSettings, check

HELD = "is released but not resumed (schedule: held)"
DRAINING = CheckSettings(seed=0, generated=False, only=("draining",))


def test_a_round_object_barrier_fails_the_strict_profile_naming_the_hold() -> None:
    result = check(RoundBarrier, "threading-cpython", settings_=DRAINING)
    (failure,) = result.failures
    cex = failure.counterexample
    assert cex is not None and len(cex.steps) == 4, result.format()
    _op, last_seen = cex.steps[-1]
    # a newcomer's round passed while P0 of the round before was still inside
    assert "returned" in last_seen and f"P0 {HELD}" in last_seen, result.format()
    assert all(HELD in seen for _op, seen in cex.steps[1:]), result.format()
    # the model keeps the newcomers blocked while P0 is inside
    assert cex.expected == "nothing returns; blocked: P1, P2", result.format()


@pytest.mark.parametrize(
    ("target", "profile"),
    [
        (RoundBarrier, "threading"),
        ("threading", "threading-cpython"),
        ("barrierspec.reference:Barrier", "threading-cpython"),
    ],
)
def test_the_same_search_accepts_what_the_profile_allows(target: object, profile: str) -> None:
    result = check(target, profile, settings_=DRAINING)
    assert result.conformant, result.format()
    # controlled throughout: reference.Barrier's queued newcomer sleeps on a helper's lock
    assert result.driver.startswith("ControlledThreadDriver"), result.driver
    (verdict,) = result.properties
    assert " resume, " in verdict.exercised, result.format()  # held parties resumed


@pytest.mark.parametrize("seed", [0, 5])
def test_the_small_scope_finds_the_blocked_newcomer_cancel_whatever_the_seed(seed: int) -> None:
    cfg = CheckSettings(seed=seed, generated=False, only=("cancellation",))
    result = check(EntryCancelCountedBarrier, settings_=cfg)
    (failure,) = result.failures
    cex = failure.counterexample
    assert cex is not None, result.format()
    assert [op for op, _seen in cex.steps] == [
        "P0 wait()",
        "P1 wait()",
        "P1 wait()",
        "cancel P1",
        "P0 resumes (schedule: the hold ends)",
    ], result.format()
    assert HELD in cex.steps[3][1] and "resumed and waits again" in cex.reason, result.format()


def test_a_resume_of_nobody_held_is_no_operation_and_marks_the_prefix_inert() -> None:
    from barrierspec import adapters as ad
    from barrierspec.conformance import _properties as props
    from barrierspec.conformance._program import Instruction, Timing
    from barrierspec.conformance._runner import run_program
    from barrierspec.spec import PROFILES

    def opener(parties: int, participants: int, chooser: object = None, **_: object) -> object:
        return ad.ControlledThreadDriver("threading", parties, participants)

    program = [Instruction(props.WAIT), Instruction(props.RESUME), Instruction(props.WAIT)]
    run = run_program(
        opener,  # type: ignore[arg-type]
        PROFILES["threading"],
        2,
        3,
        program,
        timing=Timing(0.05),
        real_clock=True,
        observers=False,
    )
    assert run.failure is None and len(run.steps) == 2 and run.inert == 1
    assert attrs.evolve(run, inert=None).inert is None
