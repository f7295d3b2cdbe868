"""The verdict rules: one defect per violation, words for the violation, INCONCLUSIVE
without evidence, deviation labels by shape and target, seeded runs that repeat."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections import Counter

from tests.broken import hostile
from tests.broken.threading_style import LostWakeupBarrier

from barrierspec import adapters as ad
from barrierspec.conformance import (
    CheckResult,
    CheckSettings,
    ProgramCounterexample,
    PropertyResult,
    check,
)
from barrierspec.conformance._arguments import check_arguments
from barrierspec.conformance._deviations import applies_to, known_deviation
from barrierspec.conformance._evidence import Evidence, insufficient
from barrierspec.conformance._result import Finding
from barrierspec.spec import get_profile


def _cex(reason: str, steps: int = 2) -> ProgramCounterexample:
    return ProgramCounterexample(
        3, 4, tuple((f"P{i} wait()", "...") for i in range(steps)), reason, "x"
    )


def _fail(name: str, cex: ProgramCounterexample) -> PropertyResult:
    return PropertyResult(name, "rule", "fail", cex.reason, cex, 10)


def test_failures_with_the_same_violation_are_one_defect_listing_its_properties() -> None:
    lost = "P1 is still blocked after its round was released"
    props = (
        _fail("release count", _cex(lost, 3)),
        _fail("lost wake-ups", _cex(lost, 2)),
        _fail("arrival index", _cex("P0 returned None where an index in range(3) is required")),
        PropertyResult("abort", "rule", "pass", "", None, 50),
    )
    renamed = _fail("timeout", _cex(lost.replace("P1", "P3"), 3))
    result = CheckResult("t", "threading", 1, (*props, renamed), 1.0)
    text = result.format()
    assert text.count("DEFECT ") == 2, text
    assert "DEFECT 1: P1 is still blocked after its round was released" in text
    assert "  breaks: release count, lost wake-ups, timeout" in text  # P3 for P1: one defect
    assert text.count("  1. P0 wait()") == 2 and "  3. P2 wait()" not in text  # the shortest
    assert "NOT conformant (2 defects)" in text
    assert result.exit_code == 1
    selected = CheckResult("t", "threading", 1, props, 1.0, selected=4)
    assert "NOT conformant on 3 of 4 properties (2 defects)" in selected.format()


def test_a_lost_wake_up_is_one_defect_stated_in_words() -> None:
    cfg = CheckSettings(seed=2, generated=False)
    result = check(LostWakeupBarrier, settings_=cfg)
    text = result.format()
    assert text.count("DEFECT ") == 1, text
    assert "P1 is still blocked after its round was released" in text
    assert "not allowed by the model" not in text and "who is blocked differs" not in text
    assert result.exit_code == 1


def test_the_generated_tests_run_where_a_lost_wake_up_shows() -> None:
    # at 2 parties the generated tests passed this barrier with "120/120 transitions (100%)"
    cfg = CheckSettings(seed=1, only=("model-generated tests",), generated_tests=60)
    result = check(LostWakeupBarrier, settings_=cfg)
    (generated,) = result.properties
    assert generated.status == "fail", result.format()
    assert generated.counterexample is not None and generated.counterexample.parties >= 3
    assert "is still blocked after its round was released" in generated.note
    assert result.coverage is not None and result.coverage[0] < result.coverage[1]
    assert "NOT conformant on 1 of 1 properties" in result.format()


def test_a_search_that_never_ran_its_key_operations_is_inconclusive() -> None:
    evidence = Evidence(programs=50, ops=Counter({"wait": 200}))
    assert insufficient(evidence, ["wait", "abort"], 10) == "no program performed abort"
    few = Evidence(programs=2, ops=Counter({"wait": 4, "abort": 2}), cleanup_seconds=[2.0])
    assert insufficient(few, ["wait", "abort"], 10) == (
        "only 2 programs ran (minimum 10); clean-up hung 2.0 s per program"
    )
    assert insufficient(Evidence(programs=10, ops=Counter({"wait": 9})), ["wait"], 10) is None
    props = (PropertyResult("abort", "r", "inconclusive", "no program performed abort"),)
    result = CheckResult("t", "threading", 1, props, 1.0, selected=1)
    assert result.exit_code == 3
    assert "INCONCLUSIVE on 0 of 1 properties (could not exercise: abort)" in result.format()
    finding = (Finding("clean-up hung", "parties=2: wait#0", ("abort",)),)
    assert CheckResult("t", "threading", 1, props, 1.0, findings=finding).exit_code == 1


def test_deviation_labels_need_the_shape_and_the_target() -> None:
    threading_profile = get_profile("threading")
    (gh121474,) = threading_profile.deviations
    assert applies_to(gh121474, ad.resolve_target("threading"), (3, 12))
    assert not applies_to(gh121474, ad.resolve_target("threading"), (3, 13))
    assert not applies_to(gh121474, ad.resolve_target(hostile.ZeroPartiesBarrier), (3, 12))
    asyncio_profile = get_profile("asyncio")
    ops = [ad.WaitOp(0), ad.CancelOp(0), ad.WaitOp(1)]
    reason = "duplicate arrival index 0 (P1 and P2 in one round)"
    stdlib = ad.resolve_target("asyncio")
    assert known_deviation(asyncio_profile, ops, reason, target=stdlib) is not None
    assert known_deviation(asyncio_profile, ops[:1], reason, target=stdlib) is None  # no cancel
    assert known_deviation(asyncio_profile, ops, reason, target="tests:Other") is None


def test_gh_121474_labels_only_parties_le_0_of_the_stdlib_barrier() -> None:
    profile = get_profile("threading")
    stdlib = check_arguments(ad.resolve_target(threading.Barrier), profile)
    assert stdlib.status == "warn"
    label = stdlib.note.index("(the known deviation gh-121474")
    assert "parties=0" in stdlib.note[:label] and "parties=1.5" not in stdlib.note[:label]
    other = check_arguments(ad.resolve_target(hostile.ZeroPartiesBarrier), profile)
    assert other.status == "fail" and "gh-121474" not in other.note
    assert "accepts parties=0: parties <= 0 must raise ValueError" in other.note


def _programs(cfg: CheckSettings) -> list[str]:
    seen: list[str] = []

    def listen(event: dict[str, object]) -> None:
        if event["event"] == "program":
            seen.append(f"{event['property']}: {event['program']}")

    check("threading", settings_=cfg, listener=listen)
    return seen


def test_a_seeded_check_runs_the_same_programs_on_a_loaded_machine() -> None:
    cfg = CheckSettings(seed=5, only=("reset", "timeout"), generated=False)
    quiet = _programs(cfg)
    busy = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"])  # load, not synchronisation
        for _ in range(3)
    ]
    try:
        loaded = _programs(cfg)
    finally:
        for proc in busy:
            proc.kill()
            proc.wait(10)
    assert len(quiet) > 50
    assert loaded == quiet
