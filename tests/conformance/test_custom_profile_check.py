"""A custom profile is the contract the suite checks: from check(), the CLI and pyproject.toml.

asyncio.Barrier withdraws a waiter whose timeout expires; held to asyncio's profile with the
timeout policy changed to break-all, its timeout property must fail, and pass under asyncio.
"""

from __future__ import annotations

import pathlib

import pytest

from barrierspec._cli import main
from barrierspec.conformance import CheckSettings, check

QUICK = CheckSettings(seed=5, examples=200, budget=3.0, shrink_budget=2.0, only=("timeout",))
pytest_plugins = ("pytester",)

PYPROJECT = """[project]
name = "x"

[tool.barrierspec.profiles.asyncio-breaking]
base = "asyncio"
give_up = "break-all"
"""


def test_the_built_in_profile_accepts_asyncio_timeouts() -> None:
    """The withdrawal on timeout is accepted; what the controlled driver's search may still
    find under the timeout property is the known duplicate index after a withdrawal
    (gh-155233), never a timeout policy mismatch."""
    result = check("asyncio", "asyncio", settings_=QUICK)
    assert all("gh-155233" in f.note for f in result.failures), result.format()


def test_a_named_profile_from_pyproject_is_the_contract_checked(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    monkeypatch.chdir(tmp_path)
    result = check("asyncio", "asyncio-breaking", settings_=QUICK)
    assert result.profile == "asyncio-breaking"
    (failure,) = result.failures
    assert failure.name == "timeout", result.format()
    assert failure.counterexample is not None and len(failure.counterexample.steps) <= 6


def test_the_cli_applies_policy_over_the_default_profile(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "r.json"
    code = main(
        [
            "check",
            "asyncio",
            "--policy",
            "give_up=break-all",
            "--property",
            "timeout",
            "--seed",
            "5",
            "--json",
            str(report),
        ]
    )
    out = capsys.readouterr().out
    assert code == 1, out
    assert "asyncio+give_up=break-all" in out


def test_the_cli_finds_a_named_profile_from_the_current_directory(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    monkeypatch.chdir(tmp_path)
    argv = ["check", "asyncio", "--profile", "asyncio-breaking", "--property", "timeout"]
    code = main([*argv, "--seed", "5"])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "asyncio-breaking" in out and "timeout" in out


def test_the_cli_rejects_a_bad_policy_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "asyncio", "--policy", "give_up=never"]) == 2
    err = capsys.readouterr().err
    assert "policy give_up: unknown value 'never': choose one of break-all" in err


def test_explore_accepts_a_policy(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "explore",
            "--profile",
            "threading",
            "--policy",
            "newcomer=block",
            "--parties",
            "2",
            "--participants",
            "2",
            "--rounds",
            "1",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "threading+newcomer=block" in out


def test_prove_checks_agreement_for_a_custom_profile(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prove", "--profile", "threading", "--policy", "newcomer=block"]) == 0
    out = capsys.readouterr().out
    assert "threading+newcomer=block: encoding agrees with step" in out
    assert main(["prove", "--profile", "threading"]) == 0
    assert "encoding agrees" not in capsys.readouterr().out


def test_the_pytest_plugin_holds_a_class_to_a_named_profile(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:benchmark")  # see test_pytest_plugin.project
    pytester.makepyprojecttoml(PYPROJECT)
    pytester.makepyfile(
        test_user="""
import asyncio
from barrierspec.conformance import BarrierConformanceTests

class TestAsync(BarrierConformanceTests):
    barriertype = asyncio.Barrier
    profile = "asyncio-breaking"
"""
    )
    options = ("--barrierspec-examples", "30", "--barrierspec-seed", "5", "-p", "no:cacheprovider")
    result = pytester.runpytest_inprocess(*options, "-k", "test_timeout")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*breaks 'timeout' of profile asyncio-breaking*"])
