"""``barrierspec explore --counters``: the counting search from the command line."""

from __future__ import annotations

import json
import re

import pytest

from barrierspec._cli import main


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["explore", *argv])
    return code, capsys.readouterr().out


def test_counters_report_the_concrete_state_count(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(["--profile", "threading", "--parties", "3", "--participants", "3"], capsys)
    assert code == 0 and "1,586 distinct" in out
    code, out = _run(
        ["--profile", "threading", "--parties", "3", "--participants", "3", "--counters", "--json"],
        capsys,
    )
    doc = json.loads(out)
    assert code == 0 and doc["status"] == "ok" and doc["symmetry"] is True
    assert doc["concrete_states"] == 1586 and doc["states"] < 353  # --symmetry: 353
    assert doc["system"].endswith(" counted")


def _trace(out: str) -> list[str]:
    """The numbered labels of the counterexample."""
    return re.findall(r"^\s+\d+\. (.*)$", out, flags=re.MULTILINE)


def test_counters_print_the_same_numbered_counterexample(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = [
        "--profile",
        "threading",
        "--policy",
        "death=any",
        "--parties",
        "2",
        "--participants",
        "2",
    ]
    code, plain = _run(argv, capsys)
    assert code == 1 and "VIOLATION of deadlock freedom" in plain
    code, counted = _run([*argv, "--counters"], capsys)
    assert code == 1 and "VIOLATION of deadlock freedom" in counted
    assert _trace(counted) == _trace(plain)
    assert "Shortest counterexample (2 steps)" in counted
