"""The ``barrierspec`` command line: output, JSON, exit codes (0 ok, 1 finding, 2 usage)."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pytest

from barrierspec._cli import main


def test_explore_prints_the_figures_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["explore", "--profile", "threading", "--parties", "2", "--participants", "2"])
    out = capsys.readouterr().out
    assert code == 0
    assert "no violation" in out and "120 distinct" in out and "transitions" in out


def test_explore_json_is_a_document(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "explore",
            "--profile",
            "grinder",
            "--parties",
            "2",
            "--participants",
            "2",
            "--symmetry",
            "--json",
        ]
    )
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    assert doc["states"] > 0 and doc["status"] == "ok"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["explore", "--profile", "java"], "unknown profile 'java'"),
        (["explore", "--profile", "threading", "--parties", "0"], "parties must be an int >= 1"),
        (
            ["explore", "--profile", "threading", "--parties", "3", "--participants", "2"],
            "--participants 2 < --parties 3",
        ),
        (["explore", "--profile", "threading", "--rounds", "-1"], "rounds must be an int >= 0"),
        (["check", "nope:Thing"], "module 'nope' does not import"),
        (["check", "threading", "--profile", "grinder"], "describes a named-barrier registry"),
        (["check", "threading", "--property", "bogus"], "unknown property 'bogus'"),
        (["check", "threading", "--declare", "has_reset"], "CAPABILITY=true|false"),
    ],
)
def test_usage_errors_exit_2_with_the_rule(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_check_exits_1_with_the_minimal_program(tmp_path: pathlib.Path) -> None:
    report = tmp_path / "report.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "barrierspec",
            "check",
            "tests.broken.threading_style:EarlyReleaseBarrier",
            "--property",
            "release count",
            "--kind",
            "thread",
            "--seed",
            "3",
            "--json",
            str(report),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=pathlib.Path(__file__).resolve().parents[1],
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "DEFECT 1: P0 passed the barrier before all parties arrived" in proc.stdout
    assert "breaks: release count" in proc.stdout
    assert "1. P0 wait()" in proc.stdout
    command = (
        "barrierspec check tests.broken.threading_style:EarlyReleaseBarrier "
        "--kind thread --seed 3 --property 'release count'"
    )
    assert proc.stdout.rstrip().endswith(f"reproduce: {command}")
    # the report opens with the same command, every option included (--kind here)
    assert proc.stdout.splitlines()[0] == command
    doc = json.loads(report.read_text())
    assert doc["conformant"] is False
    (prop,) = doc["properties"]
    assert prop["status"] == "fail" and prop["counterexample"]["steps"]


def test_check_exits_0_for_a_conformant_barrier() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "barrierspec",
            "check",
            "threading",
            "--property",
            "release count",
            "--seed",
            "3",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "threading: conformant on 1 of 1 properties to profile threading" in proc.stdout
