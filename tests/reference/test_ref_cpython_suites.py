"""CPython's own barrier suites, run against the reference barriers (see cpython_suites.py).

Each suite runs in a fresh interpreter with a timeout, so a hang is a failure that names the
suite and shows what it printed. Every test of each suite must run and pass, except those in
``cpython_suites.EXCLUDED`` (each listed there with its reason).
"""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import subprocess
import sys

import pytest
from cpython_suites import EXCLUDED

SCRIPT = pathlib.Path(__file__).with_name("cpython_suites.py")
TIMEOUT = 90.0  # seconds per suite; each takes 0.5 to 3 s on an idle 2-core machine
# every test of CPython 3.11's suites (none is excluded: see cpython_suites.EXCLUDED)
EXPECTED_RUN = {"threading": 11, "asyncio": 22, "multiprocessing": 11}


ROOT = SCRIPT.parents[2]


def _run_suite(
    suite: str, *barrier: str, timeout: float = TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """Run one suite in a fresh interpreter; a hang fails the test with what it printed."""
    if importlib.util.find_spec("test.lock_tests") is None:
        pytest.fail(
            "CPython's test package is not importable: install the distribution's test-suite"
            " package (Debian: libpython3.X-testsuite); .ci/run does it"
        )
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    try:
        return subprocess.run(
            [sys.executable, str(SCRIPT), suite, *barrier],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=dict(os.environ, PYTHONPATH=path),
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        pytest.fail(f"CPython's {suite} barrier suite hung (no result in {timeout} s):\n{err}")


@pytest.mark.parametrize("suite", sorted(EXPECTED_RUN))
def test_cpython_suite_passes(suite: str) -> None:
    proc = _run_suite(suite)
    assert proc.stdout.strip(), f"the {suite} suite printed no summary:\n{proc.stderr}"
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    problems = summary["failures"] + summary["errors"]
    assert not problems, "\n\n".join(f"{name}\n{tb}" for name, tb in problems)
    assert summary["skipped"] == []
    assert summary["excluded_but_absent"] == []
    assert summary["ran"] == EXPECTED_RUN[suite]
    assert not set(EXCLUDED[suite]) & set(summary["names"])
    assert proc.returncode == 0, proc.stderr


def test_the_harness_fails_a_broken_barrier() -> None:
    """The suites can fail: a deliberately broken barrier from tests/broken/ is rejected."""
    proc = _run_suite("threading", "tests.broken.threading_style:ActionTwiceBarrier")
    assert proc.returncode == 1, proc.stderr
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    failed = [name for name, _ in summary["failures"] + summary["errors"]]
    assert any(name.startswith("test_action ") for name in failed), failed


def test_a_hanging_suite_is_a_failure_with_a_message() -> None:
    """EarlyReleaseBarrier wedges CPython's suite; the timeout turns that into a failure."""
    with pytest.raises(pytest.fail.Exception, match=r"threading barrier suite hung \(no result"):
        _run_suite("threading", "tests.broken.threading_style:EarlyReleaseBarrier", timeout=5)
