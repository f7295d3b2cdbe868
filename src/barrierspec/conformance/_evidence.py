"""What a property's search actually exercised, and when that is too little to judge.

Every program a search runs goes through an :class:`Accounting` opener: it counts the
programs, the operations performed by kind, the model transitions observed, and times the
construction and the clean-up of each driver. After the search, :func:`insufficient` says
why the evidence cannot support a PASS (the property's key operations never ran, fewer
programs than its minimum); the verdict is then INCONCLUSIVE with that reason. A clean-up
that hangs, observers that raise or read a value of the wrong type, and threads or processes
a program leaves behind are findings in their own right (:attr:`Evidence.findings`).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import attrs

from barrierspec import adapters as ad
from barrierspec.adapters._base import call_bounded
from barrierspec.adapters._controlled_runtime import Chooser
from barrierspec.adapters._ops import LONG_TIMEOUT
from barrierspec.conformance import _properties as props
from barrierspec.conformance._leaks import (
    GRACE,
    Leaks,
    leak_baseline,
    leaked_since,
    processes_baseline,
)
from barrierspec.conformance._program import AS_DECLARED, Construction
from barrierspec.conformance._result import render_op
from barrierspec.conformance._runner import DriverLike, OpenDriver, Run

__all__ = [
    "MIN_PROGRAMS",
    "Accounting",
    "CleanupHung",
    "Evidence",
    "insufficient",
    "kind_of_op",
]

MIN_PROGRAMS = 10  # fewer programs than this never make a PASS
SLOW_CLEANUP = 0.9  # seconds: a driver clean-up taking longer may have hung in the target
HUNG_CLEANUPS = 3  # consecutive slow clean-ups that make a hung clean-up a finding
SLOW_BUILD = 2.0  # seconds: a construction taking longer is reported with the evidence


def kind_of_op(op: ad.Op) -> str:
    """The program kind (``props.WAIT`` ...) an adapter operation belongs to."""
    if isinstance(op, ad.WaitOp):
        if op.action_raises:
            return props.RAISE
        if op.action_calls:
            return next(k for k, name in props.CALLED.items() if name == op.action_calls)
        if op.action_takes:
            return props.SLOW
        if op.timeout is None:
            return props.WAIT
        if op.own:
            return props.OWN_ZERO if op.timeout == 0 else props.OWN_TIMED
        if op.timeout == 0:
            return props.ZERO
        return props.LONG if op.timeout >= LONG_TIMEOUT else props.TIMED
    table: dict[type, str] = {
        ad.AbortOp: props.ABORT,
        ad.ResetOp: props.RESET,
        ad.CancelOp: props.CANCEL,
        ad.KillOp: props.KILL,
        ad.AdvanceOp: props.ADVANCE,
        ad.JoinOp: props.JOIN,
        ad.ResumeOp: props.RESUME,
    }
    return table.get(type(op), type(op).__name__.lower())


@attrs.define
class Evidence:
    """Counts of what one property's search exercised, and the findings it made on the way."""

    programs: int = 0
    ops: Counter[str] = attrs.field(factory=Counter)
    steps: int = 0
    build_seconds: list[float] = attrs.field(factory=list)
    cleanup_seconds: list[float] = attrs.field(factory=list)
    findings: dict[str, str] = attrs.field(factory=dict)  # finding -> the first program
    slow_cleanups: int = 0  # consecutive programs whose clean-up hung
    observer_faults: dict[str, str] = attrs.field(factory=dict)  # fault -> the operation after
    schedules: set[int] = attrs.field(factory=set)  # distinct (program, decisions) run
    transitions: set[int] = attrs.field(factory=set)  # distinct model transitions seen

    def add_run(self, program: str, run: Run) -> None:
        """Count the schedule a run followed (if it made decisions) and its transitions."""
        if run.decisions:
            self.schedules.add(hash((program, tuple(c for _r, _l, c in run.decisions))))
        self.transitions.update(run.transitions)

    def add_finding(self, text: str, program: str = "") -> None:
        """Record ``text`` once, with the first program that showed it."""
        self.findings.setdefault(text, program)

    def summary(self) -> str:
        """``"412 programs, 1630 wait, 211 abort, 2210 steps, 96 schedules, 57 model
        transitions"``: what was exercised (schedules: distinct programs-with-decisions run
        under a controlled driver)."""
        parts = [f"{self.programs} programs"]
        parts += [f"{n} {kind}" for kind, n in sorted(self.ops.items())]
        parts.append(f"{self.steps} steps")
        if self.schedules:
            parts.append(f"{len(self.schedules)} schedules")
        parts.append(f"{len(self.transitions)} model transitions")
        return ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        """Machine-readable form."""
        return {
            "programs": self.programs,
            "ops": dict(sorted(self.ops.items())),
            "steps": self.steps,
            "schedules": len(self.schedules),
            "model_transitions": len(self.transitions),
            "slowest_build_seconds": round(max(self.build_seconds, default=0.0), 3),
            "slowest_cleanup_seconds": round(max(self.cleanup_seconds, default=0.0), 3),
            "findings": dict(self.findings),
        }


def insufficient(evidence: Evidence, key_kinds: list[str], minimum: int) -> str | None:
    """Why ``evidence`` cannot support a PASS (None: it can)."""
    slow = _slowness(evidence)
    missing = [k for k in key_kinds if evidence.ops[k] == 0]
    if missing:
        return f"no program performed {', '.join(missing)}" + slow
    if evidence.programs < minimum:
        return f"only {evidence.programs} programs ran (minimum {minimum})" + slow
    return None


def _slowness(evidence: Evidence) -> str:
    build = max(evidence.build_seconds, default=0.0)
    cleanup = max(evidence.cleanup_seconds, default=0.0)
    if build > SLOW_BUILD:
        return f"; construction takes {build:.1f} s"
    if cleanup > SLOW_CLEANUP:
        return f"; clean-up hung {cleanup:.1f} s per program"
    return ""


class _Counted:
    """A driver whose operations and clean-up are accounted in an :class:`Evidence`."""

    def __init__(self, inner: DriverLike, evidence: Evidence, observers: bool) -> None:
        self._inner = inner
        self._evidence = evidence
        self._observers = observers
        self.capabilities = inner.capabilities

    def perform(self, op: ad.Op) -> ad.StepReport:
        step = self._inner.perform(op)
        self._evidence.ops[kind_of_op(op)] += 1
        if step.held:
            self._evidence.ops["hold"] += 1  # a step that ended with woken parties held
        self._evidence.steps += 1
        if self._observers:
            for fault in observer_faults(self._inner):
                self._evidence.observer_faults.setdefault(fault, render_op(op))
        return step

    def hold_next(self, plan: int) -> None:
        """The wrapped driver's schedule choice (controlled drivers); else nothing."""
        hold_next = getattr(self._inner, "hold_next", None)
        if hold_next is not None:
            hold_next(plan)

    def recheck(self, grace: float) -> ad.StepReport:
        """The wrapped driver's second look (the runner uses it when present)."""
        step: ad.StepReport = self._inner.recheck(grace)  # type: ignore[attr-defined]
        return step

    def close(self) -> None:
        started = time.monotonic()
        try:
            self._inner.close()
        finally:
            took = time.monotonic() - started
            self._evidence.cleanup_seconds.append(took)
            slow = took > SLOW_CLEANUP
            self._evidence.slow_cleanups = self._evidence.slow_cleanups + 1 if slow else 0


class Accounting:
    """An opener wrapper: every driver it opens is counted into ``evidence``.

    Leaks: the threads a program leaves are looked for after every program; child processes
    after every program too when ``processes_each`` (targets whose participants are
    processes), else once, over all the programs of the property (:meth:`processes_left`):
    a thread or asyncio barrier that starts processes is rare, and scanning /proc after each
    of thousands of programs would cost more than running them.
    """

    def __init__(
        self,
        opener: OpenDriver,
        evidence: Evidence,
        *,
        observers: bool,
        processes_each: bool = True,
    ) -> None:
        self._opener = opener
        self.evidence = evidence
        self._observers = observers
        self._processes_each = processes_each
        self._start = None if processes_each else processes_baseline()
        self.last_program: str = ""

    def open(
        self,
        parties: int,
        participants: int,
        chooser: Chooser | None = None,
        construction: Construction = AS_DECLARED,
    ) -> DriverLike:
        """Open a driver, timing its construction; leaks are checked when it closes."""
        self.evidence.programs += 1
        started = time.monotonic()
        driver = self._opener(parties, participants, chooser, construction)
        for kind in construction.kinds():
            self.evidence.ops[kind] += 1
        self.evidence.build_seconds.append(time.monotonic() - started)
        if not hasattr(driver, "recheck"):
            return _NoRecheck(driver, self.evidence, self._observers)
        return _Counted(driver, self.evidence, self._observers)

    def leak_check(self, program: str) -> Callable[[], None]:
        """A function to call after ``program`` ran: it records what it left running."""
        before = leak_baseline(processes=self._processes_each)
        self.last_program = program

        def after() -> None:
            # once a leak is on record, later programs are not given the grace period again
            leaks = leaked_since(before, self._grace())
            self._record(leaks, f"{program} (left {leaks.describe()})")
            if self.evidence.slow_cleanups >= HUNG_CLEANUPS:
                took = max(self.evidence.cleanup_seconds[-HUNG_CLEANUPS:])
                self.evidence.add_finding(
                    "clean-up hung: closing the barrier (abort() and joining its "
                    f"participants) took {took:.1f} s in {HUNG_CLEANUPS} programs in a row",
                    program,
                )
                raise CleanupHung(took)

        return after

    def processes_left(self) -> None:
        """After the property's last program (when processes are not scanned after each):
        record the child processes its programs left running, naming the last program."""
        if self._start is None or not self.last_program:
            return
        leaks = leaked_since(self._start, self._grace())
        if leaks.processes:
            n = self.evidence.programs
            left = f"the {n} programs up to this one left {leaks.describe()}"
            self._record(leaks, f"{self.last_program} ({left})")

    def _grace(self) -> float:
        return 0.0 if self.evidence.findings else GRACE

    def _record(self, leaks: Leaks, program: str) -> None:
        """A leak finding for ``program`` (its text says what was left), if ``leaks``."""
        if leaks.threads:
            self.evidence.add_finding(
                "leak: the target leaves non-daemon threads running after a program", program
            )
        elif leaks.processes:
            self.evidence.add_finding(
                "leak: the target leaves child processes running after a program", program
            )


class CleanupHung(Exception):  # noqa: N818 -- a signal that ends the search, not an error
    """Raised after a program when clean-ups keep hanging: searching on would only wait."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"clean-up hung {seconds:.1f} s per program")
        self.seconds = seconds


class _NoRecheck(_Counted):
    """A counted driver that cannot look again (the runner then judges the first look)."""

    recheck = None  # type: ignore[assignment]


def observer_faults(driver: object) -> list[str]:
    """How the barrier's ``n_waiting`` / ``broken`` break their contract, read now."""
    get = getattr(driver, "_barrier_for_snapshot", None)
    caps = getattr(driver, "capabilities", None)
    if get is None or caps is None or caps.named:  # named: waiting(name) is read by the driver
        return []
    barrier = get()
    if barrier is None:
        return []
    faults = []
    if caps.has_n_waiting:
        faults += _read_fault(barrier, "n_waiting", "an int >= 0", _is_count)
    if caps.has_broken:
        faults += _read_fault(barrier, "broken", "a bool", lambda v: isinstance(v, bool))
    return faults


def _is_count(value: object) -> bool:
    return type(value) is int and value >= 0


def _read_fault(
    barrier: object,
    name: str,
    wanted: str,
    ok: Callable[[object], bool],
) -> list[str]:
    got = call_bounded(lambda: getattr(barrier, name), 1.0)
    if got is None:
        return [f"reading {name} hangs"]
    if isinstance(got, ad.OpRaised):
        kind = got.type_name.removeprefix("builtins.")
        return [f"reading {name} raised {kind}: {got.message}"]
    if not ok(got.value):
        return [f"{name} read {got.value!r} where {wanted} is required"]
    return []
