"""The suite's verdicts on real barriers: every deliberately broken barrier is rejected by the
property its docstring names, with a short counterexample; correct designs are accepted.

The broken barriers are searched with the one property that must catch them (the full suite
also catches them, usually under several properties: see benchmarks/RESULTS_verdicts.md);
the correct ones get the full default suite.
"""

from __future__ import annotations

import attrs
import pytest
from tests.broken import BROKEN, CORRECT

from barrierspec.conformance import CheckSettings, check

FOCUSED = CheckSettings(seed=7, examples=400, budget=10.0, shrink_budget=4.0, generated=False)


@pytest.mark.parametrize("cls", list(BROKEN), ids=lambda c: c.__name__)
def test_each_broken_barrier_is_rejected_by_its_property(cls: type) -> None:
    expected = BROKEN[cls]

    cfg = attrs.evolve(FOCUSED, only=(expected,))
    result = check(cls, settings_=cfg)
    failed = {p.name: p for p in result.failures}
    assert expected in failed, f"{cls.__name__} passed {expected!r}:\n{result.format()}"
    verdict = failed[expected]
    if expected != "argument validation":
        cex = verdict.counterexample
        assert cex is not None and 1 <= len(cex.steps) <= 12, result.format()
        assert cex.reason and cex.expected, result.format()


@pytest.mark.parametrize("cls", CORRECT, ids=lambda c: c.__name__)
def test_correct_designs_are_accepted(cls: type) -> None:
    result = check(cls, settings_=CheckSettings(seed=3, examples=40, budget=1.0, shrink_budget=2.0))
    assert result.conformant, result.format()
    assert any(p.status == "pass" for p in result.properties)


def test_a_barrier_that_refuses_valid_parties_is_a_finding_not_a_crash() -> None:
    from tests.broken.threading_style import NoValidationBarrier

    cfg = attrs.evolve(FOCUSED, only=("release count",), budget=3.0)
    result = check(NoValidationBarrier, settings_=cfg)
    (failure,) = result.failures
    assert "building the barrier with parties=1 raised" in failure.note, result.format()
