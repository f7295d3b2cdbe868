"""``barrierspec prove``: output, JSON document, exit codes."""

from __future__ import annotations

import functools
import json
import pathlib
from typing import Any

import pytest

from barrierspec._cli import main
from barrierspec.proofs import prove


def prove_threading(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, dict[str, Any]]:
    """Run ``barrierspec prove --profile threading --json ...``: exit code, stdout, document."""
    out_file = tmp_path / "proofs.json"
    code = main(["prove", "--profile", "threading", "--json", str(out_file)])
    return code, capsys.readouterr().out, json.loads(out_file.read_text())


def test_prove_prints_every_obligation_and_exits_0(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, doc = prove_threading(tmp_path, capsys)
    assert code == 0
    assert "threading: 18 local classes" in out
    assert "arrivals_counted            Wait     proved" in out
    assert "release_needs_all_parties   Enter    proved" in out
    assert out.rstrip().splitlines()[-1].startswith("everything proved: 1 profiles")
    assert doc["format"] == "barrierspec-proofs/1" and doc["proved"] is True
    (profile,) = doc["profiles"]
    assert profile["profile"] == "threading" and profile["proved"] is True
    lines = [line for line in out.splitlines() if line.startswith("  ")]
    assert len(profile["obligations"]) == len(lines)
    assert {o["verdict"] for o in profile["obligations"]} == {"proved"}


def test_a_counterexample_is_printed_as_a_replayed_trace_and_exits_1(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    weakened = functools.partial(prove, drop=["parties_positive"])
    monkeypatch.setattr("barrierspec.proofs._prove_cli.prove", weakened)
    code, out, doc = prove_threading(tmp_path, capsys)
    assert code == 1
    assert "round_not_full              Wait     counterexample" in out
    assert "state  round 0, arrived 0/0 | P0:idle" in out
    assert "step   P0 wait()" in out
    assert "state  round 0, arrived 1/0 | P0:waiting(r0)" in out
    assert "replay: confirmed by the Python model" in out
    assert out.rstrip().splitlines()[-1].startswith("NOT everything proved")
    bad = [o for o in doc["profiles"][0]["obligations"] if o["verdict"] == "counterexample"]
    assert bad and bad[0]["counterexample"]["confirmed"] is True
    assert bad[0]["counterexample"]["transition"] == "P0 wait()"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--profile", "nope"], "unknown profile 'nope'"),
        (["--timeout", "0"], "--timeout must be a number of seconds > 0, got 0.0"),
        (["--timeout", "nan"], "--timeout must be a number of seconds > 0, got nan"),
        (["--json", "/nonexistent-dir/x.json"], "directory '/nonexistent-dir' does not exist"),
    ],
)
def test_usage_errors_exit_2_and_say_why(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["prove", *argv]) == 2
    assert message in capsys.readouterr().err
