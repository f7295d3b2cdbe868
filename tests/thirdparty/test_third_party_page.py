"""docs/third-party.md stays true: every section's command is run and its verdict compared.

For each barrier on the page: the exit status is the page's; the properties that do not
pass are exactly those its findings table lists; every "defect of the library" cites a
line that exists in the installed library; every "needs policy AXIS=VALUE, not yet
expressible" names a value barrierspec does not have (once it exists, this test fails and
the page must use it); the commands state the libraries' contracts with the policy values
made for them (aiologic: ``parties=zero-allowed``, ``index=arrival``, ``index=returns-none``,
``rounds=single``, ``cancellation=break-all``, ``give_up=break-all-timeout-error``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import re
import subprocess
import sys

import pytest
from tests.thirdparty.page import Row, Section, sections

from barrierspec.spec._custom import AXES

_SECTIONS = {s.title: s for s in sections()}
_RUN_BOUND = 420.0  # seconds one check may take on a loaded two-core machine


def test_the_page_covers_every_library_of_the_issue() -> None:
    targets = {s.command[2] for s in _SECTIONS.values()}
    assert {"aiologic:Barrier", "aiologic:RBarrier", "aiologic:Latch"} <= targets
    assert {"billiard:Barrier", "multiprocess:Barrier", "aioprocessing:AioBarrier"} <= targets
    assert any("wait=await" in s.command for s in _SECTIONS.values())  # aiologic's async form
    for section in _SECTIONS.values():
        assert section.rows or section.exit_code == 0, section.title
        assert "--seed" in section.command and "--programs" in section.command, section.title


def _policies(section: Section) -> set[tuple[str, str]]:
    words = section.command
    pairs = (words[i + 1].partition("=") for i, w in enumerate(words) if w == "--policy")
    return {(axis, value) for axis, _, value in pairs}


def test_the_commands_state_the_contracts_with_existing_policy_values() -> None:
    used: set[tuple[str, str]] = set()
    for section in _SECTIONS.values():
        for axis, value in _policies(section):
            assert value in {m.value for m in AXES[axis]}, f"{section.title}: {axis}={value}"
            used.add((axis, value))
    made_for_aiologic = {
        ("parties", "zero-allowed"),
        ("index", "arrival"),
        ("index", "returns-none"),
        ("rounds", "single"),
        ("cancellation", "break-always"),
        ("give_up", "break-all-timeout-error"),
    }
    assert made_for_aiologic <= used, sorted(made_for_aiologic - used)


def _site_file(cited: str) -> pathlib.Path:
    package = cited.split("/", maxsplit=1)[0]
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.origin is not None, f"{package} is not installed"
    return pathlib.Path(spec.origin).parents[1] / cited


def _check_kind(row: Row) -> None:
    kinds = ("defect of the library", "difference of contract", "barrierspec limitation")
    assert row.kind.startswith(kinds), f"{row.finding!r}: unknown kind {row.kind!r}"
    for cited, line in re.findall(r"`([\w./]+\.py):(\d+)", row.kind):
        if cited.startswith("adapters/"):
            path = pathlib.Path(__file__).parents[2] / "src" / "barrierspec" / cited
            assert path.exists(), cited
            continue
        lines = _site_file(cited).read_text().splitlines()
        assert 0 < int(line) <= len(lines) and lines[int(line) - 1].strip(), f"{cited}:{line}"
    for axis, value in re.findall(r"needs policy `(\w+)=([\w-]+)`, not yet expressible", row.kind):
        if axis in AXES:
            values = {m.value for m in AXES[axis]}
            assert value not in values, f"{axis}={value} exists now: use it on the page"
    if row.kind.startswith("difference of contract"):
        assert "needs policy" in row.kind or "profile" in row.kind, row.kind


@pytest.mark.parametrize("title", sorted(_SECTIONS))
def test_each_finding_is_classified_with_its_source(title: str) -> None:
    for row in _SECTIONS[title].rows:
        _check_kind(row)


def _run(section: Section, tmp_path: pathlib.Path) -> dict[str, object]:
    report = tmp_path / "report.json"
    words = [sys.executable, "-m", "barrierspec", *section.command[1:], "--json", str(report)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        words, capture_output=True, text=True, timeout=_RUN_BOUND, env=env, check=False
    )
    assert report.exists(), f"{section.title}: no report (exit {done.returncode}): {done.stderr}"
    result: dict[str, object] = json.loads(report.read_text())
    result["returncode"] = done.returncode
    result["stdout"] = done.stdout
    return result


@pytest.mark.timeout(_RUN_BOUND + 30)
@pytest.mark.parametrize("title", sorted(_SECTIONS))
def test_the_command_gives_the_verdict_the_page_states(title: str, tmp_path: pathlib.Path) -> None:
    section = _SECTIONS[title]
    result = _run(section, tmp_path)
    properties = result["properties"]
    assert isinstance(properties, list)
    failing = {p["property"] for p in properties if p["status"] in ("fail", "inconclusive")}
    assert failing == section.failing(), (
        f"{title}: the page lists {sorted(section.failing())}, the run fails "
        f"{sorted(failing)}\n{result['stdout']}"
    )
    assert result["returncode"] == section.exit_code == result["exit_code"], result["stdout"]
