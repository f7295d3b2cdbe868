"""The pytest front end to end: a user's project subclasses the base class, runs pytest.

Each test writes a small project with ``pytester`` (in a temporary directory, with the
repository root on ``sys.path`` so ``tests.broken`` imports) and runs pytest on it in
process, with tiny budgets: the verdicts, not the search depth, are under test here.
"""

from __future__ import annotations

import io
import json
import pathlib
import re
import subprocess
import sys
import textwrap
import unittest

import pytest
from tests.broken.correct import RoundBarrier
from tests.broken.threading_style import EarlyReleaseBarrier

from barrierspec.conformance import PROPERTIES, BarrierConformanceTests, CheckSettings
from barrierspec.conformance._testing import method_for

pytest_plugins = ("pytester",)

ROOT = pathlib.Path(__file__).resolve().parents[2]
# a correct barrier passes whatever the budget; a broken one must be found whatever the load,
# so its search is bounded by the number of programs, not by the clock
FAST = (
    *("--barrierspec-examples", "8", "--barrierspec-budget", "0.3"),
    *("--barrierspec-programs", "40", "-p", "no:cacheprovider"),
)
FIND = (
    *("--barrierspec-examples", "30", "--barrierspec-budget", "60"),
    *("--barrierspec-programs", "120", "-p", "no:cacheprovider"),
)

HEADER = """\
import threading
from barrierspec.conformance import BarrierConformanceTests
from tests.broken.correct import AsyncDrainingBarrier, RoundBarrier
from tests.broken.threading_style import EarlyReleaseBarrier, TimeoutNoBreakBarrier
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    pytester.syspathinsert(ROOT)
    # The inner run reads no project ini: keep pytest-benchmark (where installed) out of it,
    # as the outer addopts do, or its xdist warning is an INTERNALERROR under -n.
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:benchmark")
    return pytester


def _write(pytester: pytest.Pytester, body: str) -> None:
    pytester.makepyfile(test_user=HEADER + textwrap.dedent(body))


def _counterexample(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if re.match(r"^E?\s+\d+\. P\d", line)]


def test_correct_barriers_pass_and_only_inapplicable_properties_skip(
    project: pytest.Pytester,
) -> None:
    _write(
        project,
        """
        class TestStdlib(BarrierConformanceTests):
            barriertype = threading.Barrier

        class TestRounds(BarrierConformanceTests):
            barriertype = staticmethod(RoundBarrier)
        """,
    )
    result = project.runpytest_inprocess(
        *FAST,
        "--barrierspec-seed",
        "3",
        "-rs",
        "-W",
        "ignore::barrierspec.conformance._testing.ConformanceWarning",
    )
    # 17 tests each; cancellation, membership and dead participant do not apply to threads,
    # and the threading profile leaves an action's abort()/reset() undefined (reentry)
    result.assert_outcomes(passed=26, skipped=8)
    result.stdout.fnmatch_lines(
        [
            "SKIPPED [[]1[]] test_user.py:6: cancellation: not applicable (the target has no "
            "cancel)",
            "SKIPPED [[]1[]] test_user.py:9: dead participant: not applicable (the target has "
            "no kill)",
        ]
    )


def test_a_broken_barrier_fails_with_the_property_and_a_numbered_program(
    project: pytest.Pytester,
) -> None:
    _write(
        project,
        """
        class TestEarly(BarrierConformanceTests):
            barriertype = EarlyReleaseBarrier

        class TestTimeout(BarrierConformanceTests):
            barriertype = TimeoutNoBreakBarrier
        """,
    )
    result = project.runpytest_inprocess(
        *FIND,
        "--barrierspec-seed",
        "1",
        "-k",
        "TestEarly and release_count or TestTimeout and test_timeout",
    )
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*EarlyReleaseBarrier breaks 'release count' of profile threading*",
            "*barrier(parties=* with * participants:",
            "*1. P* wait(*",
            "*violation: *",
            "*rerun with --barrierspec-seed 1*",
        ]
    )
    result.stdout.fnmatch_lines(["*TimeoutNoBreakBarrier breaks 'timeout' of profile*"])


def test_the_same_seed_gives_the_same_program_and_the_report_records_it(
    project: pytest.Pytester, tmp_path: pathlib.Path
) -> None:
    _write(
        project,
        """
        class TestEarly(BarrierConformanceTests):
            barriertype = EarlyReleaseBarrier
        """,
    )
    programs = []
    for run in range(2):
        report = tmp_path / f"report{run}.json"
        result = project.runpytest_inprocess(
            *FIND,
            "--barrierspec-seed",
            "11",
            "-k",
            "draining",
            f"--barrierspec-report={report}",
        )
        result.assert_outcomes(failed=1)
        programs.append(_counterexample(result.stdout.str()))
        checks = json.loads(report.read_text())["checks"]
        assert [c["property"] for c in checks] == ["draining"]
        assert checks[0]["seed"] == 11 and checks[0]["conformant"] is False
        failing = [p for p in checks[0]["properties"] if p["status"] == "fail"]
        assert failing and failing[0]["counterexample"]["steps"]
    assert programs[0] and programs[0] == programs[1]


def test_an_asyncio_barrier_is_detected_and_checked_with_cancellation(
    project: pytest.Pytester,
) -> None:
    _write(
        project,
        """
        class TestAsync(BarrierConformanceTests):
            barriertype = AsyncDrainingBarrier
        """,
    )
    result = project.runpytest_inprocess(
        *FAST, "--barrierspec-seed", "2", "-k", "cancellation or single_action", "-rs"
    )
    result.assert_outcomes(passed=1, skipped=1)  # asyncio has cancellation but no action
    result.stdout.fnmatch_lines(
        ["SKIPPED [[]1[]] test_user.py:6: single action: not applicable (the target has no action)"]
    )


def test_expected_failures_are_strict_xfails(project: pytest.Pytester) -> None:
    _write(
        project,
        """
        class TestEarly(BarrierConformanceTests):
            barriertype = EarlyReleaseBarrier
            expected_failures = ("release count",)

        class TestGood(BarrierConformanceTests):
            barriertype = staticmethod(RoundBarrier)
            expected_failures = ("release count",)
        """,
    )
    # seeded: a fixed number of programs (no clock), so the correct class's search is bounded
    result = project.runpytest_inprocess(*FIND, "--barrierspec-seed", "3", "-k", "release_count")
    result.assert_outcomes(xfailed=1, failed=1)  # the passing one is a strict XPASS
    result.stdout.fnmatch_lines(["*XPASS(strict)*TestGood*"])


def test_options_reach_the_fixture_and_the_class_settings(project: pytest.Pytester) -> None:
    _write(
        project,
        """
        from barrierspec.conformance import CheckSettings

        def test_fixture(barrierspec_settings, pytestconfig):
            expected = pytestconfig.getoption("barrierspec_examples")
            assert barrierspec_settings.seed == 5
            assert barrierspec_settings.examples == (expected or 400)
            assert barrierspec_settings.budget == 40.0  # from --barrierspec-thorough

        class TestPinned(BarrierConformanceTests):
            barriertype = "threading"
            check_settings = CheckSettings(examples=3, timeout=0.02)

            def test_settings_merge(self):
                cfg = self.conformance_settings()
                assert (cfg.seed, cfg.examples, cfg.timeout) == (5, 400, 0.02)
        """,
    )
    result = project.runpytest_inprocess(
        "--barrierspec-seed", "5", "--barrierspec-thorough", "-k", "fixture or merge"
    )
    result.assert_outcomes(passed=2)
    result = project.runpytest_inprocess("-k", "merge")
    result.assert_outcomes(failed=1)  # without options the class's own settings hold
    result.stdout.fnmatch_lines(["*assert (None, 3, 0.02) == (5, 400, 0.02)*"])
    result = project.runpytest_inprocess(
        "--barrierspec-seed",
        "5",
        "--barrierspec-thorough",
        "--barrierspec-examples",
        "9",
        "-k",
        "fixture",
    )
    result.assert_outcomes(passed=1)


def test_bad_option_values_and_a_missing_barriertype_are_usage_errors(
    project: pytest.Pytester,
) -> None:
    _write(
        project,
        """
        class TestNothing(BarrierConformanceTests):
            pass
        """,
    )
    result = project.runpytest_inprocess("--barrierspec-examples", "0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--barrierspec-examples must be >= 1, got 0*"])
    result = project.runpytest_inprocess(*FAST, "-k", "release_count")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*TestNothing sets no barriertype*staticmethod(MyBarrier)*"])


def test_every_property_has_a_test_method() -> None:
    names = [p.name for p in PROPERTIES] + ["argument validation", "model-generated tests"]
    methods = sorted(m for m in dir(BarrierConformanceTests) if m.startswith("test_"))
    assert methods == sorted(method_for(n) for n in names)
    assert method_for("lost wake-ups") == "test_lost_wake_ups"


def test_the_base_class_runs_under_unittest_without_pytest() -> None:
    def suite_for(factory: type, *names: str) -> unittest.TestResult:
        case = type(
            "Case",
            (BarrierConformanceTests, unittest.TestCase),
            {
                "barriertype": factory,
                "check_settings": CheckSettings(examples=20, budget=60.0, seed=1),
            },
        )
        suite = unittest.TestSuite(case(n) for n in names)
        return unittest.TextTestRunner(stream=io.StringIO(), verbosity=0).run(suite)

    good = suite_for(RoundBarrier, "test_release_count", "test_dead_participant")
    assert good.wasSuccessful() and len(good.skipped) == 1
    bad = suite_for(EarlyReleaseBarrier, "test_release_count")
    assert len(bad.failures) == 1 and "1. P0 wait()" in bad.failures[0][1]


IMPORT_CHECK = """
import sys, threading
import barrierspec.pytest_plugin
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("z3", "hypothesis", "attrs")
               or m.startswith(("barrierspec.conformance", "barrierspec.adapters",
                                "barrierspec.proofs", "barrierspec.spec", "multiprocessing")))
print(heavy, threading.active_count())
"""

NO_PYTEST_CHECK = """
import sys
sys.modules["pytest"] = None  # any import of pytest now fails
import barrierspec.conformance, barrierspec.conformance._testing
import barrierspec.conformance._stateful
print("ok")
"""


def _python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_loading_the_plugin_imports_nothing_heavy() -> None:
    assert _python(IMPORT_CHECK) == "[] 1"


def test_the_conformance_package_does_not_need_pytest() -> None:
    assert _python(NO_PYTEST_CHECK) == "ok"


def _make_barrier(parties: int, action: object = None, timeout: float | None = None) -> object:
    import threading

    return threading.Barrier(parties, action, timeout)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "written",
    [
        RoundBarrier,
        _make_barrier,
        staticmethod(_make_barrier),
        "threading",
        "tests.broken.correct:AsyncDrainingBarrier",
    ],
    ids=["class", "function", "staticmethod", "stdlib name", "module:attr"],
)
def test_every_form_of_barriertype_resolves(written: object) -> None:
    cls = type("TestForm", (BarrierConformanceTests,), {"barriertype": written})
    target = cls.barrier_target()
    assert target.kind == ("asyncio" if "Async" in str(written) else "thread")
    assert target.capabilities.has_timeout
