"""Structured results of a conformance check, and their text and JSON renderings."""

from __future__ import annotations

import re
from typing import Any, Literal

import attrs

from barrierspec import adapters as ad
from barrierspec.conformance._deviations import known_deviation
from barrierspec.conformance._properties import Property
from barrierspec.conformance._runner import Run
from barrierspec.spec import Profile

__all__ = [
    "Finding",
    "ProgramCounterexample",
    "PropertyResult",
    "render_op",
    "render_step",
]

Status = Literal["pass", "fail", "n/a", "warn", "inconclusive"]


def render_op(op: ad.Op) -> str:
    """``P1 wait(0.05)``, ``cancel P2``, ``advance 1.0 s``."""
    if isinstance(op, ad.AdvanceOp):
        return f"advance the clock {op.seconds:g} s"
    p = op.participant
    if isinstance(op, ad.ResumeOp):
        return f"P{p} resumes (schedule: the hold ends)"
    if isinstance(op, ad.WaitOp):
        args = "" if op.timeout is None else f"timeout={op.timeout:g}"
        note = " [the action raises if it runs here]" if op.action_raises else ""
        if op.action_calls:
            note += f" [the action calls {op.action_calls}() if it runs here]"
        if op.action_takes:
            note += f" [the action takes {op.action_takes:g} s if it runs here]"
        if op.own:
            note += " [its own timeout]"
        return f"P{p} wait({args}){note}"
    names = {ad.AbortOp: "abort()", ad.ResetOp: "reset()", ad.JoinOp: "joins: barrier(name)"}
    if type(op) in names:
        return f"P{p} {names[type(op)]}"
    if isinstance(op, ad.CancelOp):
        return f"cancel P{p}"
    return f"kill -9 P{p}"


def _outcome(o: ad.OpOutcome) -> str:
    if isinstance(o, ad.OpReturned):
        return f"returned {o.value!r}"
    return f"raised {o.type_name.rsplit('.', 1)[-1]}" + (f": {o.message}" if o.message else "")


def render_step(step: ad.StepReport) -> str:
    """What one operation led to: the schedule's choices that were not the default, returns,
    action runs, who stays blocked."""
    parts = [line for line in step.log if line.startswith("schedule: ")]
    parts += [f"P{p} {_outcome(o)}" for p, o in sorted(step.returned.items())]
    parts += [
        f"action ran in P{a.participant}" + (" and raised" if a.raised else "")
        for a in step.actions
    ]
    blocked = sorted(step.blocked - step.dead - step.held)
    parts.append("blocked: " + (", ".join(f"P{p}" for p in blocked) if blocked else "nobody"))
    parts += [f"P{p} is released but not resumed (schedule: held)" for p in sorted(step.held)]
    if step.snapshot is not None:
        s = step.snapshot
        reads = [
            f"{name}={value}"
            for name, value in (("n_waiting", s.n_waiting), ("broken", s.broken))
            if value is not None
        ]
        if reads:
            parts.append(" ".join(reads))
    return "; ".join(parts)


@attrs.frozen
class ProgramCounterexample:
    """A minimal failing program, step by step, and what the model expected at the end."""

    parties: int
    participants: int
    steps: tuple[tuple[str, str], ...]  # (operation, what happened)
    reason: str
    expected: str
    built: str = ""  # constructor arguments besides parties: "timeout=0.05", "action=None"

    def lines(self) -> list[str]:
        """Numbered steps for humans."""
        args = ", ".join(a for a in (f"parties={self.parties}", self.built) if a)
        head = f"barrier({args}) with {self.participants} participants:"
        out = [head]
        for i, (op, seen) in enumerate(self.steps, 1):
            out.append(f"  {i}. {op}  ->  {seen}")
        out.append(f"  violation: {self.reason}")
        out.append(f"  the model allows: {self.expected}")
        return out

    def to_json(self) -> dict[str, Any]:
        """Machine-readable form."""
        return {
            "parties": self.parties,
            "participants": self.participants,
            "steps": [
                {"step": i, "op": op, "observed": seen}
                for i, (op, seen) in enumerate(self.steps, 1)
            ],
            "reason": self.reason,
            "expected": self.expected,
            "built": self.built,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProgramCounterexample:
        """The inverse of :meth:`to_json`."""
        steps = tuple((s["op"], s["observed"]) for s in data["steps"])
        return cls(data["parties"], data["participants"], steps, data["reason"], data["expected"])

    def signature(self) -> tuple[object, ...]:
        """What makes two failures one defect: the same violation, in the same words up to
        the names of the participants.

        The reasons name the participants and what they did ("P1 is still blocked after its
        round was released"), so properties whose minimal programs end in the same broken
        rule are one defect, shown with the shortest of their programs. Participants are
        interchangeable, so "P3 is still blocked ..." found by another property's program is
        the same defect.
        """
        return (_PARTICIPANT.sub("P*", self.reason),)


_PARTICIPANT = re.compile(r"\bP\d+\b")


@attrs.frozen
class Finding:
    """An event outside the property table: a crash, a hang, a leak, a hung clean-up.

    ``program`` names the program that caused it (empty when none was running);
    ``properties`` the properties whose search saw it.
    """

    text: str
    program: str = ""
    properties: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        """The finding for humans."""
        out = [f"FINDING {self.text}"]
        if self.properties:
            out.append(f"  seen while checking: {', '.join(self.properties)}")
        if self.program:
            out.append(f"  program: {self.program}")
        return out

    def to_json(self) -> dict[str, Any]:
        """Machine-readable form."""
        return {"text": self.text, "program": self.program, "properties": list(self.properties)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        """The inverse of :meth:`to_json`."""
        return cls(data["text"], data.get("program", ""), tuple(data.get("properties", ())))


@attrs.frozen
class PropertyResult:
    """One property's verdict."""

    name: str
    rule: str
    status: Status
    note: str = ""
    counterexample: ProgramCounterexample | None = None
    programs: int = 0
    seconds: float = 0.0
    exercised: str = ""  # what the search exercised ("412 programs, 1630 wait, ...")

    @classmethod
    def from_run(
        cls,
        prop: Property,
        profile: Profile,
        run: Run | None,
        programs: int,
        seconds: float,
        *,
        target: ad.Target | str = "",
    ) -> PropertyResult:
        """The verdict of a search that found ``run`` (None: nothing failed)."""
        if run is None or run.failure is None:
            return cls(
                prop.name, prop.rule, "pass", f"{programs} programs", None, programs, seconds
            )
        failure = run.failure
        cex = ProgramCounterexample(
            run.parties,
            run.participants,
            tuple((render_op(s.op), render_step(s)) for s in failure.steps),
            failure.mismatch.reason,
            failure.mismatch.expected,
            run.construction.describe(),
        )
        note = failure.mismatch.reason
        known = known_deviation(profile, [s.op for s in failure.steps], note, target=target)
        if known is not None:
            note += f" (looks like the known deviation {known.key}: {known.summary})"
        return cls(prop.name, prop.rule, "fail", note, cex, programs, seconds)

    def to_json(self) -> dict[str, Any]:
        """Machine-readable form."""
        return {
            "property": self.name,
            "rule": self.rule,
            "status": self.status,
            "note": self.note,
            "programs": self.programs,
            "seconds": round(self.seconds, 3),
            "exercised": self.exercised,
            "counterexample": self.counterexample.to_json() if self.counterexample else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PropertyResult:
        """The inverse of :meth:`to_json`."""
        cex = data.get("counterexample")
        return cls(
            data["property"],
            data["rule"],
            data["status"],
            data.get("note", ""),
            ProgramCounterexample.from_json(cex) if cex else None,
            data.get("programs", 0),
            data.get("seconds", 0.0),
            data.get("exercised", ""),
        )
