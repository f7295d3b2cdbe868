"""docs/third-party.md read as data: one :class:`Section` per checked barrier.

A section is a ``## `` heading, one fenced ``barrierspec check ...`` command, a
``Verdict: ... (exit N)`` line and a table of findings (``| finding | breaks | kind |``).
"""

from __future__ import annotations

import pathlib
import re
import shlex
from dataclasses import dataclass

PAGE = pathlib.Path(__file__).resolve().parents[2] / "docs" / "third-party.md"


@dataclass(frozen=True)
class Row:
    """One finding: what it is, the properties it breaks, and its kind (defect or contract)."""

    finding: str
    breaks: frozenset[str]
    kind: str


@dataclass(frozen=True)
class Section:
    """One checked barrier: its title, command words, expected exit status and findings."""

    title: str
    command: tuple[str, ...]
    exit_code: int
    rows: tuple[Row, ...]

    def failing(self) -> frozenset[str]:
        """Every property the page says does not pass."""
        return frozenset().union(*(row.breaks for row in self.rows))


def _section(title: str, body: str) -> Section:
    commands = [line for line in body.splitlines() if line.startswith("barrierspec check ")]
    assert len(commands) == 1, f"section {title!r} needs exactly one command, has {commands}"
    verdict = re.search(r"^Verdict: .*\(exit (\d)\)$", body, re.MULTILINE)
    assert verdict is not None, f"section {title!r} has no 'Verdict: ... (exit N)' line"
    rows = []
    for line in body.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("| ") or cells[0] in ("finding", "---") or len(cells) != 3:
            continue
        breaks = frozenset(name.strip() for name in cells[1].split(","))
        rows.append(Row(cells[0], breaks, cells[2]))
    return Section(title, tuple(shlex.split(commands[0])), int(verdict.group(1)), tuple(rows))


def sections(text: str | None = None) -> tuple[Section, ...]:
    """Every checked barrier on the page."""
    text = PAGE.read_text() if text is None else text
    parts = re.split(r"^## ", text, flags=re.MULTILINE)[1:]
    return tuple(_section(part.splitlines()[0].strip(), part) for part in parts)
