"""Supervised checks of hostile targets: a report, the right finding and exit code, nothing
left running -- from the CLI, the library and the pytest plugin."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import uuid

import pytest
from tests.broken import hostile

from barrierspec.conformance import CheckSettings, check

pytest_plugins = ("pytester",)

ROOT = pathlib.Path(__file__).resolve().parents[2]
PROPERTIES = ("release count", "abort", "n_waiting", "broken stickiness", "argument validation")


def _left_running(mark: str) -> list[int]:
    """Processes whose environment carries ``mark`` (the run's workers and their children)."""
    found = []
    for proc in pathlib.Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            environ = (proc / "environ").read_bytes()
            state = (proc / "stat").read_text().rsplit(")", 1)[-1].split()[0]
        except OSError:
            continue
        if f"BARRIERSPEC_TEST_MARK={mark}".encode() in environ and state != "Z":
            found.append(int(proc.name))
    return found


def _cli(target: str, *args: str, json_path: pathlib.Path) -> subprocess.CompletedProcess[str]:
    mark = uuid.uuid4().hex
    env = {**os.environ, "BARRIERSPEC_TEST_MARK": mark}
    words = [sys.executable, "-m", "barrierspec", "check", target, "--seed", "1"]
    words += [f"--property={name}" for name in PROPERTIES] + list(args)
    proc = subprocess.run(
        [*words, "--json", str(json_path)],
        capture_output=True,
        text=True,
        timeout=150,
        cwd=ROOT,
        env=env,
        check=False,
    )
    assert _left_running(mark) == [], f"{target} left processes behind"
    return proc


@pytest.mark.parametrize("cls", list(hostile.HOSTILE), ids=lambda c: c.__name__)
def test_a_hostile_target_gets_its_finding_and_exit_code(cls: type, tmp_path: pathlib.Path) -> None:
    code, phrase = hostile.HOSTILE[cls]
    report = tmp_path / "report.json"
    proc = _cli(f"tests.broken.hostile:{cls.__name__}", json_path=report)
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert any(p in proc.stdout for p in phrase.split("|")), proc.stdout
    doc = json.loads(report.read_text())
    assert doc["exit_code"] == code
    assert proc.stdout.rstrip().splitlines()[-1].startswith("reproduce: barrierspec check")


def test_a_deadlocking_abort_is_never_conformant_on_the_abort_property(
    tmp_path: pathlib.Path,
) -> None:
    report = tmp_path / "report.json"
    proc = _cli("tests.broken.hostile:AbortDeadlockBarrier", json_path=report)
    doc = json.loads(report.read_text())
    statuses = {p["property"]: p["status"] for p in doc["properties"]}
    # a hang found in abort() fails it; a clean-up that hangs leaves it inconclusive
    assert statuses["abort"] in ("fail", "inconclusive"), proc.stdout
    assert proc.returncode == 1
    assert "conformant on" not in proc.stdout.replace("NOT conformant on", "")


def test_a_worker_that_stops_itself_is_killed_as_a_hang() -> None:
    cfg = CheckSettings(seed=1, only=("release count", "abort"), stall=3.0, generated=False)
    result = check(hostile.StopsItselfBarrier, settings_=cfg, supervised=True)
    assert result.exit_code == 1, result.format()
    texts = [f.text for f in result.findings]
    assert any(t.startswith("hang: the worker made no progress for 3 s") for t in texts), texts
    assert {p.name: p.status for p in result.properties} == {
        "release count": "fail",
        "abort": "fail",
    }


def test_a_crash_fails_its_property_and_a_fresh_worker_checks_the_rest() -> None:
    cfg = CheckSettings(seed=1, only=("release count", "argument validation"), generated=False)
    result = check(hostile.ExitZeroBarrier, settings_=cfg, supervised=True)
    statuses = {p.name: p.status for p in result.properties}
    # the second worker dies too (argument validation waits on a barrier of parties=0)
    assert statuses == {"release count": "fail", "argument validation": "fail"}, result.format()
    first, second = result.findings
    assert first.program == "parties=2: wait#0" and first.properties == ("release count",)
    assert second.properties == ("argument validation",)


@pytest.mark.timeout(300)  # two supervised workers, one of them killed after its exit grace
def test_the_pytest_plugin_reports_the_findings_and_exits(
    hostile_pytester: pytest.Pytester,
) -> None:
    pytester = hostile_pytester
    pytester.makepyfile(
        test_user="""
        from barrierspec.conformance import BarrierConformanceTests
        from tests.broken.hostile import ExitOneBarrier, LeaksThreadBarrier

        class TestExits(BarrierConformanceTests):
            barriertype = ExitOneBarrier

        class TestLeaks(BarrierConformanceTests):
            barriertype = LeaksThreadBarrier
        """
    )
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--barrierspec-seed",
        "1",
        "-k",
        "release_count",
        timeout=240,
    )
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*exit: the target's process exited with status 1 while running parties=2: wait#0*",
            "*leak: the target leaves non-daemon threads running after a program*",
        ]
    )


@pytest.fixture
def hostile_pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """pytester whose subprocesses can import this repository's ``tests`` package."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return pytester
