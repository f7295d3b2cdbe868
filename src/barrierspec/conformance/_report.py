"""A whole check's verdict: the property table, distinct defects, findings, exit code.

Verdict rules, written once here:

* a *defect* is one minimal counterexample; properties that failed with the same one are a
  single defect that breaks each of them, and the report leads with the defects;
* a *finding* (a crash, a hang, a leak, a clean-up that hung) makes the target not conformant
  just as a failing property does;
* otherwise a property that is INCONCLUSIVE (its search could not exercise it) makes the whole
  verdict inconclusive: nothing is claimed that was not checked;
* exit codes: 0 conformant, 1 not conformant, 2 usage error (raised before a result
  exists), 3 inconclusive.
"""

from __future__ import annotations

from typing import Any

import attrs

from barrierspec.conformance._result import Finding, ProgramCounterexample, PropertyResult

__all__ = ["EXIT_CONFORMANT", "EXIT_INCONCLUSIVE", "EXIT_NOT_CONFORMANT", "CheckResult", "Defect"]

EXIT_CONFORMANT, EXIT_NOT_CONFORMANT, EXIT_INCONCLUSIVE = 0, 1, 3


@attrs.frozen
class Defect:
    """One minimal counterexample and every property it breaks."""

    counterexample: ProgramCounterexample
    properties: tuple[str, ...]
    note: str

    def lines(self, number: int) -> list[str]:
        """The defect for humans: what broke, where, and the program step by step."""
        out = [f"DEFECT {number}: {self.note}"]
        out.append(f"  breaks: {', '.join(self.properties)}")
        out.extend("  " + line for line in self.counterexample.lines())
        return out


def defects(properties: tuple[PropertyResult, ...]) -> list[Defect]:
    """The failing properties grouped by minimal counterexample, in table order."""
    groups: dict[tuple[object, ...], list[PropertyResult]] = {}
    for p in properties:
        if p.status == "fail" and p.counterexample is not None:
            groups.setdefault(p.counterexample.signature(), []).append(p)
    found = []
    for members in groups.values():
        shortest = min(
            members, key=lambda p: len(p.counterexample.steps) if p.counterexample else 0
        )
        assert shortest.counterexample is not None
        names = tuple(p.name for p in members)
        found.append(Defect(shortest.counterexample, names, shortest.note))
    return found


@attrs.frozen
class CheckResult:
    """Every property's verdict for one target under one profile, and the run's findings."""

    target: str
    profile: str
    seed: int
    properties: tuple[PropertyResult, ...]
    seconds: float
    coverage: tuple[int, int] | None = None  # (transitions checked, transitions in graph)
    findings: tuple[Finding, ...] = ()
    command: str = ""  # the command line that reproduces this run
    selected: int | None = None  # with --property: how many were asked for
    driver: str = ""  # the driver that ran the target, and why (controlled or observed)

    @property
    def conformant(self) -> bool:
        """True when no property failed, nothing was found, and nothing is inconclusive."""
        return self.exit_code == EXIT_CONFORMANT

    @property
    def failures(self) -> tuple[PropertyResult, ...]:
        """The failing properties."""
        return tuple(p for p in self.properties if p.status == "fail")

    @property
    def inconclusive(self) -> tuple[PropertyResult, ...]:
        """The properties whose search could not support a verdict."""
        return tuple(p for p in self.properties if p.status == "inconclusive")

    @property
    def exit_code(self) -> int:
        """0 conformant, 1 not conformant (a failure or a finding), 3 inconclusive."""
        if self.failures or self.findings:
            return EXIT_NOT_CONFORMANT
        if self.inconclusive:
            return EXIT_INCONCLUSIVE
        return EXIT_CONFORMANT

    def verdict(self) -> str:
        """``conformant`` / ``NOT conformant (...)`` / ``INCONCLUSIVE (...)``."""
        if self.exit_code == EXIT_CONFORMANT:
            return "conformant" + self._scope(("pass", "warn"))
        if self.exit_code == EXIT_INCONCLUSIVE:
            names = ", ".join(p.name for p in self.inconclusive)
            return f"INCONCLUSIVE{self._scope(('pass', 'warn'))} (could not exercise: {names})"
        scope = self._scope(("fail",))
        parts = []
        explained = {name for f in self.findings for name in f.properties}
        n_defects = len(defects(self.properties)) + sum(
            p.counterexample is None and p.name not in explained for p in self.failures
        )
        if n_defects:
            parts.append(f"{n_defects} defect{'s' if n_defects > 1 else ''}")
        if self.findings:
            n = len(self.findings)
            parts.append(f"{n} finding{'s' if n > 1 else ''}")
        return f"NOT conformant{scope} ({', '.join(parts)})"

    def _scope(self, counted: tuple[str, ...]) -> str:
        """With ``--property``: `` on N of M properties``, N those whose status is ``counted``.

        A conformant or inconclusive run counts the properties that held, a failing one those
        that failed ("NOT conformant on 1 of 2 properties").
        """
        if not self.selected:
            return ""
        judged = [p for p in self.properties if p.status != "n/a"]
        return f" on {sum(p.status in counted for p in judged)} of {len(judged)} properties"

    def format(self) -> str:
        """The report: the command, defects and findings, then the table, then the verdict.

        The first line is the command that reruns the check (every option it was given, as in
        the ``reproduce:`` line) when it is known, else target, profile and seed.
        """
        header = f"barrierspec check {self.target} --profile {self.profile} --seed {self.seed}"
        lines = [self.command or header]
        for number, defect in enumerate(defects(self.properties), 1):
            lines.append("")
            lines.extend(defect.lines(number))
        for finding in self.findings:
            lines.append("")
            lines.extend(finding.lines())
        lines.append("")
        lines.extend(self._table())
        if self.coverage is not None:
            done, total = self.coverage
            pct = 100.0 * done / total if total else 100.0
            lines.append(f"\n  model transitions checked: {done}/{total} ({pct:.0f}%)")
        if self.driver:
            lines.append(f"  driver: {self.driver}")
        lines.append("")
        lines.append(
            f"{self.target}: {self.verdict()} to profile {self.profile} in {self.seconds:.1f} s"
        )
        if self.command:
            lines.append(f"reproduce: {self.command}")
        return "\n".join(lines)

    def _table(self) -> list[str]:
        width = max((len(p.name) for p in self.properties), default=0)
        number = {
            name: i for i, d in enumerate(defects(self.properties), 1) for name in d.properties
        }
        rows = []
        for p in self.properties:
            note = p.note
            if p.name in number:
                note = f"defect {number[p.name]}"
            elif p.status == "pass" and p.exercised:
                note = p.exercised
            label = "INCONCL" if p.status == "inconclusive" else p.status.upper()
            rows.append(f"  {p.name.ljust(width)}  {label:7}  {note}")
        return rows

    def to_json(self) -> dict[str, Any]:
        """Machine-readable form of the whole report."""
        return {
            "target": self.target,
            "profile": self.profile,
            "seed": self.seed,
            "conformant": self.conformant,
            "exit_code": self.exit_code,
            "verdict": self.verdict(),
            "seconds": round(self.seconds, 3),
            "coverage": list(self.coverage) if self.coverage else None,
            "defects": [
                {"properties": list(d.properties), "note": d.note, **d.counterexample.to_json()}
                for d in defects(self.properties)
            ],
            "findings": [f.to_json() for f in self.findings],
            "properties": [p.to_json() for p in self.properties],
            "command": self.command,
            "selected": self.selected,
            "driver": self.driver,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CheckResult:
        """The inverse of :meth:`to_json` (the supervisor rebuilds its worker's result)."""
        return cls(
            data["target"],
            data["profile"],
            data["seed"],
            tuple(PropertyResult.from_json(p) for p in data["properties"]),
            data["seconds"],
            tuple(data["coverage"]) if data.get("coverage") else None,
            tuple(Finding.from_json(f) for f in data.get("findings", ())),
            data.get("command", ""),
            data.get("selected"),
            data.get("driver", ""),
        )
