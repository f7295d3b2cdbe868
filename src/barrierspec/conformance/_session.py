"""One check run in this process: every property searched, its evidence judged.

For each property the session opens drivers through an :class:`~._evidence.Accounting`
opener, runs the search, and turns what the search exercised into the verdict:

* a failing program is FAIL (with its minimal counterexample);
* an observer that raised or read a value of the wrong type is FAIL;
* a search that never performed the property's key operations, or ran fewer programs than
  the minimum, is INCONCLUSIVE with the reason -- never PASS;
* a construction slower than the bound, or clean-ups that keep hanging, end the search of
  every remaining property (INCONCLUSIVE: "not searched: ..."); the hung clean-up is also a
  finding, as are threads and processes a program leaves behind.

Progress goes to an optional listener as small JSON-able events, which is how the
supervisor (``_supervise``) knows which program was running when its worker died.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from barrierspec import adapters as ad
from barrierspec.adapters._base import call_bounded
from barrierspec.adapters._controlled_runtime import Chooser
from barrierspec.adapters._controlled_schedules import Schedule
from barrierspec.conformance import _properties as props
from barrierspec.conformance._drivers import DriverChoice, opener
from barrierspec.conformance._evidence import Accounting, CleanupHung, Evidence, insufficient
from barrierspec.conformance._program import (
    AS_DECLARED,
    Construction,
    InputSpace,
    Instruction,
    Timing,
)
from barrierspec.conformance._result import Finding, PropertyResult
from barrierspec.conformance._runner import DriverLike, Run, run_program
from barrierspec.conformance._search import Budget, Runner, Searched, search
from barrierspec.spec import PartiesPolicy, Profile

__all__ = ["Listener", "Session", "program_text"]

Listener = Callable[[dict[str, Any]], None]
_OBSERVED = {"n_waiting": "n_waiting", "broken stickiness": "broken"}  # property -> observer
# participants are processes: child processes are looked for after every program (for the
# other kinds once per property, see Accounting)
_PROCESS_KINDS = frozenset({"process", "named-process"})


def program_text(
    parties: int, program: Sequence[Instruction], schedule: Schedule | None = None
) -> str:
    """``parties=3: wait#0 cancel#1 wait#0``: a drawn program, as findings name it; with a
    schedule other than the default, `` [schedule 0,1]``."""
    text = f"parties={parties}: " + (" ".join(str(i) for i in program) or "(empty)")
    if schedule is not None and schedule != Schedule():
        text += f" [schedule {schedule}]"
    return text


@attrs.define
class Session:
    """The state of one run: target, profile, settings, findings so far."""

    target: ad.Target
    profile: Profile
    seed: int
    kinds: Callable[[props.Property], list[str]]
    budget: Budget  # how long each property's search runs
    min_programs: int
    timing: Timing
    real_clock: bool
    settle: float
    driver: DriverChoice
    listener: Listener | None = None
    space: InputSpace = attrs.field(factory=InputSpace)
    abandoned: str | None = None  # why the remaining properties are not searched
    findings: dict[str, Finding] = attrs.field(factory=dict)

    def emit(self, event: dict[str, Any]) -> None:
        """Send ``event`` to the listener, if there is one."""
        if self.listener is not None:
            self.listener(event)

    def probe_construction(self, bound: float) -> None:
        """Abandon the run if building one barrier does not finish within ``bound`` s."""
        self.emit({"event": "program", "property": "", "program": "construction parties=2"})
        started = time.monotonic()
        built = call_bounded(lambda: self.target.build(2), bound)
        if built is None:
            self.abandoned = f"construction with parties=2 takes more than {bound:g} s"
        elif time.monotonic() - started > bound / 2:
            took = time.monotonic() - started
            self.abandoned = f"construction takes {took:.1f} s"

    def not_searched(self, name: str, rule: str) -> PropertyResult:
        """The INCONCLUSIVE verdict of a property the run could not search."""
        return PropertyResult(name, rule, "inconclusive", f"not searched: {self.abandoned}")

    def check_property(self, prop: props.Property) -> PropertyResult:
        """Search ``prop``; judge the search's evidence; record its findings."""
        if self.abandoned is not None:
            return self.not_searched(prop.name, prop.rule)
        evidence = Evidence()
        accounting = Accounting(
            opener(
                self.target,
                action=self.target.capabilities.has_action,
                settle=self.settle,
                choice=self.driver,
            ),
            evidence,
            observers=prop.observers,
            processes_each=self.target.kind in _PROCESS_KINDS,
        )
        started = time.monotonic()
        kinds = self.kinds(prop)
        if self.profile.policies.parties is PartiesPolicy.ZERO_ALLOWED:
            prop = attrs.evolve(prop, min_parties=0)
        try:
            searched = search(
                prop,
                self._runner(prop, accounting),
                kinds,
                self.seed,
                budget=self.budget,
                controlled=self.driver.controlled,
                space=self.space,
            )
        except CleanupHung as hung:
            self.abandoned = str(hung)
            searched = Searched(evidence.programs, None)
        count, run = searched.runs, searched.run
        accounting.processes_left()
        self._record(prop.name, evidence)
        result = PropertyResult.from_run(
            prop, self.profile, run, count, time.monotonic() - started, target=self.target
        )
        return attrs.evolve(
            self._judge(prop, result, evidence, kinds),
            exercised=evidence.summary() + self._bounded_by(searched),
        )

    def _runner(self, prop: props.Property, accounting: Accounting) -> Runner:
        def runner(parties: int, program: list[Instruction], schedule: Schedule) -> Run:
            text = program_text(parties, program, schedule)
            self.emit({"event": "program", "property": prop.name, "program": text})
            after = accounting.leak_check(text)
            ranked = schedule.chooser(parties + prop.extra) if self.driver.controlled else None

            def open_driver(
                parties: int,
                participants: int,
                chooser: Chooser | None = None,
                construction: Construction = AS_DECLARED,
            ) -> DriverLike:
                return accounting.open(parties, participants, ranked, construction)

            try:
                run = run_program(
                    open_driver,
                    self.profile,
                    parties,
                    parties + prop.extra,
                    program,
                    timing=self.timing,
                    real_clock=self.real_clock,
                    observers=prop.observers,
                )
            finally:
                after()
            if ranked is not None:
                run = attrs.evolve(run, schedule=schedule, decisions=tuple(ranked.decisions))
            accounting.evidence.add_run(text, run)
            return run

        return runner

    def _bounded_by(self, searched: Searched) -> str:
        """How the search was bounded, for the evidence line: a counted search's cut, or a
        timed search's budget (what it ran then depends on the machine's speed and load)."""
        if searched.cut is not None:
            return f"; {searched.cut}"
        if self.budget.programs is None and self.budget.seconds is not None:
            return f"; bounded by time ({self.budget.seconds:g} s per property)"
        return ""

    def _judge(
        self, prop: props.Property, result: PropertyResult, evidence: Evidence, kinds: list[str]
    ) -> PropertyResult:
        if result.status != "pass":
            return result
        field = _OBSERVED.get(prop.name)
        faults = [(f, a) for f, a in evidence.observer_faults.items() if not field or field in f]
        if faults:
            fault, after = faults[0]
            return attrs.evolve(result, status="fail", note=f"{fault} (read after {after})")
        keys = [k for k in prop.key_ops if k in kinds]
        why = insufficient(evidence, keys, self.min_programs)
        if why is None and self.abandoned is not None:
            why = f"search cut short: {self.abandoned}"
        if why is not None:
            return attrs.evolve(result, status="inconclusive", note=why)
        return result

    def _record(self, name: str, evidence: Evidence) -> None:
        for text, program in evidence.findings.items():
            known = self.findings.get(text)
            if known is None:
                self.findings[text] = Finding(text, program, (name,))
            elif name not in known.properties:
                self.findings[text] = attrs.evolve(known, properties=(*known.properties, name))
