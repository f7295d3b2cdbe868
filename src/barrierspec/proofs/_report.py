"""Rendering proof reports: one text line per obligation, and a JSON document.

Text: a header per profile, then one line per (clause, transition) with its verdict and time;
under a counterexample, the concrete state, the step and the successor, like an explorer
trace, with the replay's verdict. JSON: the same content as a document (schema below), for
CI pipelines.

JSON schema (``barrierspec-proofs/1``)::

    {"format": "barrierspec-proofs/1", "proved": bool, "seconds": float,
     "timeout_seconds": float,
     "profiles": [{"profile": str, "variant": str, "classes": int, "moves": int,
                   "proved": bool, "seconds": float,
                   "obligations": [{"invariant": str, "role": str, "transition": str,
                                    "verdict": "proved"|"counterexample"|"unknown"|"vacuous",
                                    "seconds": float, "reason": str,
                                    "counterexample": null | {...}}]}]}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from barrierspec.proofs._prover import Obligation, ProofReport, ProofVerdict
from barrierspec.proofs._replay import ProofCounterexample

__all__ = ["FORMAT", "render_text", "to_document"]

FORMAT = "barrierspec-proofs/1"

_SANITY_TEXT = {ProofVerdict.PROVED: "witnessed", ProofVerdict.VACUOUS: "VACUOUS"}


def _line(o: Obligation) -> str:
    if o.role == "sanity":
        verdict = _SANITY_TEXT.get(o.verdict, o.verdict.value)
    else:
        verdict = o.verdict.value
    ms = f"{o.seconds * 1000:8.1f} ms"
    text = f"  {o.role:<13} {o.invariant:<27} {o.transition:<8} {verdict:<15}{ms}"
    if o.reason:
        text += f"  ({o.reason})"
    return text


def render_text(report: ProofReport) -> list[str]:
    """The lines printed for one profile."""
    variant = "" if report.variant == "model" else f", variant {report.variant!r}"
    lines = [
        f"{report.profile}: {report.classes} local classes, {report.moves} moves{variant}; "
        "for every number of parties and participants"
    ]
    for o in report.obligations:
        lines.append(_line(o))
        if o.counterexample is not None:
            lines.extend("      " + text for text in o.counterexample.lines())
    failed = [o for o in report.obligations if o.verdict is not ProofVerdict.PROVED]
    total = len(report.obligations)
    if failed:
        kinds = sorted({o.verdict.value for o in failed})
        summary = f"{len(failed)} of {total} obligations not proved ({', '.join(kinds)})"
    else:
        summary = f"all {total} obligations proved"
    lines.append(f"{report.profile}: {summary} in {report.seconds:.2f} s")
    return lines


def _cex(c: ProofCounterexample) -> dict[str, Any]:
    return {
        "abstract_state": c.abstract_pre.describe(),
        "rho": c.rho,
        "state": c.pre.describe() if c.pre is not None else None,
        "move": c.move,
        "transition": str(c.transition) if c.transition is not None else None,
        "next_state": c.post.describe() if c.post is not None else None,
        "violation": c.violation,
        "confirmed": c.confirmed,
        "replay": c.note,
    }


def _obligation(o: Obligation) -> dict[str, Any]:
    return {
        "invariant": o.invariant,
        "role": o.role,
        "transition": o.transition,
        "verdict": o.verdict.value,
        "seconds": round(o.seconds, 6),
        "reason": o.reason,
        "counterexample": _cex(o.counterexample) if o.counterexample else None,
    }


def to_document(reports: Sequence[ProofReport], timeout: float) -> dict[str, Any]:
    """The JSON document for ``reports`` (see the module docstring for the schema)."""
    return {
        "format": FORMAT,
        "proved": all(r.proved for r in reports),
        "seconds": round(sum(r.seconds for r in reports), 6),
        "timeout_seconds": timeout,
        "profiles": [
            {
                "profile": r.profile,
                "variant": r.variant,
                "classes": r.classes,
                "moves": r.moves,
                "proved": r.proved,
                "seconds": round(r.seconds, 6),
                "obligations": [_obligation(o) for o in r.obligations],
            }
            for r in reports
        ],
    }
