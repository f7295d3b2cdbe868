"""Rendering an :class:`ExplorationResult`: readable text and a stable JSON document.

Both renderings carry the same content: the verdict, the figures (states, transitions, TLC's
"states generated", depth, seconds, states per second, the symmetry reduction), the names of
the properties checked, and for a violation or a documented hang a numbered trace. States are
rendered with the system's ``describe`` and labels with ``str(label)``; step 0 is the initial
state and has no label.

JSON keys (stable; new keys may be added, none renamed): ``system``, ``status`` (``"ok"``,
``"violation"``, ``"bound_reached"``), ``states``, ``transitions``, ``generated``, ``depth``,
``seconds``, ``states_per_second``, ``symmetry``, ``concrete_states``, ``reduction_factor``,
``max_states``, ``invariants``, ``transition_invariants``, ``deadlock_checked``, ``violation``
(``null`` or ``{kind, name, message, trace}``) and ``documented_hangs`` (a list of
``{name, message, trace}``); a trace is a list of ``{step, label, state}``.
"""

from __future__ import annotations

from typing import Any

from barrierspec.spec._result import (
    ExplorationResult,
    ExplorationStatus,
    TraceStep,
    ViolationKind,
)
from barrierspec.spec._system import TransitionSystem

__all__ = ["format_result", "format_trace", "result_to_json"]


def format_result(result: ExplorationResult, system: TransitionSystem[Any]) -> str:
    """The result as human-readable text (several lines, no trailing newline)."""
    lines = [f"{result.system}: {_verdict(result)}"]
    lines += [f"  {name:<23}{value}" for name, value in _figures(result)]
    for hang in result.documented_hangs:
        lines.append("")
        lines.append(
            f"Documented deviation {hang.name} (a known hang, not reported as a deadlock), "
            f"reached in {_steps(len(hang.trace) - 1)}:"
        )
        lines.append(format_trace(hang.trace, system))
        lines.append(f"Stuck: {hang.message}")
    violation = result.violation
    if violation is not None:
        steps = len(violation.trace) - 1
        lines.append("")
        lines.append(f"Shortest counterexample ({_steps(steps)}):")
        lines.append(format_trace(violation.trace, system))
        what = "deadlock" if violation.name == "deadlock" else f"{violation.name} violated"
        lines.append(f"{what}: {violation.message}")
    return "\n".join(lines)


def format_trace(trace: tuple[TraceStep, ...], system: TransitionSystem[Any]) -> str:
    """A numbered trace: ``N. label`` then the state reached, indented, one step per pair."""
    width = len(str(len(trace) - 1))
    lines = []
    for step in trace:
        label = "initial state" if step.step == 0 else str(step.label)
        lines.append(f"  {step.step:>{width}}. {label}")
        lines.append(f"  {'':>{width}}  {system.describe(step.state)}")
    return "\n".join(lines)


def result_to_json(result: ExplorationResult, system: TransitionSystem[Any]) -> dict[str, Any]:
    """The result as a JSON-serialisable dictionary with the stable keys listed above."""
    violation = result.violation
    return {
        "system": result.system,
        "status": result.status.value,
        "states": result.states,
        "transitions": result.transitions,
        "generated": result.generated,
        "depth": result.depth,
        "seconds": round(result.seconds, 6),
        "states_per_second": round(result.states_per_second, 1),
        "symmetry": result.symmetry,
        "concrete_states": result.concrete_states,
        "reduction_factor": result.reduction_factor,
        "max_states": result.max_states,
        "invariants": list(result.invariants),
        "transition_invariants": list(result.transition_invariants),
        "deadlock_checked": result.deadlock_checked,
        "violation": None
        if violation is None
        else {
            "kind": violation.kind.value,
            "name": violation.name,
            "message": violation.message,
            "trace": _trace_json(violation.trace, system),
        },
        "documented_hangs": [
            {"name": h.name, "message": h.message, "trace": _trace_json(h.trace, system)}
            for h in result.documented_hangs
        ],
    }


def _steps(count: int) -> str:
    return f"{count} step" if count == 1 else f"{count} steps"


def _verdict(result: ExplorationResult) -> str:
    if result.status is ExplorationStatus.VIOLATION:
        violation = result.violation
        assert violation is not None
        if violation.kind is ViolationKind.DEADLOCK:
            return "VIOLATION of deadlock freedom"
        return f"VIOLATION of {violation.kind.value.replace('_', ' ')} {violation.name}"
    if result.status is ExplorationStatus.BOUND_REACHED:
        return (
            f"bound reached: stopped at max_states={result.max_states:,} before visiting every "
            "reachable state (no verdict)"
        )
    hangs = len(result.documented_hangs)
    if hangs:
        plural = "s" if hangs != 1 else ""
        return f"no violation; every reachable state visited; {hangs} documented hang{plural}"
    return "no violation; every reachable state visited"


def _figures(result: ExplorationResult) -> list[tuple[str, str]]:
    initial = result.generated - result.transitions
    figures = [
        ("states", f"{result.states:,} distinct" + (" canonical" if result.symmetry else "")),
        (
            "transitions",
            f"{result.transitions:,} ({result.generated:,} states generated, counting the "
            f"{initial:,} initial state{'s' if initial != 1 else ''}, as TLC does)",
        ),
        ("depth", f"{result.depth} (breadth-first levels, initial states = 1, as TLC)"),
        ("time", f"{result.seconds:.2f} s ({result.states_per_second:,.0f} states/s)"),
        ("symmetry", _symmetry(result)),
        ("invariants", ", ".join(result.invariants) or "none"),
        ("transition invariants", ", ".join(result.transition_invariants) or "none"),
        ("deadlock", "checked" if result.deadlock_checked else "not checked"),
    ]
    return figures


def _symmetry(result: ExplorationResult) -> str:
    if not result.symmetry:
        return "off"
    factor = result.reduction_factor
    if result.concrete_states is None or factor is None:
        return "on (the system gives no orbit sizes, so the reduction factor is unknown)"
    return (
        f"on: {result.states:,} canonical states stand for {result.concrete_states:,} "
        f"concrete states (reduction factor {factor:,.1f})"
    )


def _trace_json(trace: tuple[TraceStep, ...], system: TransitionSystem[Any]) -> list[Any]:
    return [
        {
            "step": step.step,
            "label": None if step.step == 0 else str(step.label),
            "state": system.describe(step.state),
        }
        for step in trace
    ]
