"""The supervised check's workers share the properties by claim files: each property is
claimed by exactly one process, which keeps it; a supervised check reports every property
once, whichever worker took it."""

from __future__ import annotations

import pathlib
import subprocess
import sys
import threading

import pytest

from barrierspec.conformance import CheckSettings, _prespawn, check
from barrierspec.conformance._claims import claimed, claimer


def _claim_elsewhere(directory: str, name: str) -> bool:
    """Whether another process's claim on ``name`` succeeds."""
    code = (
        "import sys; from barrierspec.conformance._claims import claimer; "
        f"sys.exit(0 if claimer({directory!r})({name!r}) else 1)"
    )
    return subprocess.run([sys.executable, "-c", code], timeout=60, check=False).returncode == 0


def test_a_property_is_claimed_by_one_process_which_keeps_it(tmp_path: pathlib.Path) -> None:
    directory = str(tmp_path)
    claim = claimer(directory)
    assert not claimed(directory, "lost wake-ups")
    assert claim("lost wake-ups") and claim("lost wake-ups")  # kept: asked again, still mine
    assert claimed(directory, "lost wake-ups")
    assert not _claim_elsewhere(directory, "lost wake-ups")
    assert _claim_elsewhere(directory, "model-generated tests")
    assert not claim("model-generated tests")  # the other process has it


def test_two_workers_check_each_property_once_and_report_every_one() -> None:
    announced: list[str] = []  # every worker's "now checking" events, as the CLI shows them
    cfg = CheckSettings(seed=5, programs=20, generated_tests=20, workers=2)
    result = check(threading.Barrier, settings_=cfg, supervised=True, progress=announced.append)
    names = [p.name for p in result.properties]
    assert len(names) == len(set(names)) == 17, names
    assert result.conformant, result.format()
    searched = {p.name for p in result.properties if p.status != "n/a"}
    assert sorted(announced) == sorted(searched), announced  # each checked by one worker


def test_a_property_no_worker_takes_starts_no_further_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the generated tests switched off nobody claims them: the workers end with the
    properties they took, and no fresh worker is started for what is left unclaimed."""
    started: list[object] = []
    spawn = _prespawn.spawn

    def counted() -> _prespawn.Spawned:
        started.append(None)
        return spawn()

    monkeypatch.setattr(_prespawn, "spawn", counted)
    cfg = CheckSettings(seed=5, programs=20, generated=False, workers=2)
    result = check(threading.Barrier, settings_=cfg, supervised=True)
    assert result.conformant, result.format()
    assert len(started) == 2, f"{len(started)} workers started for a check shared by 2"
