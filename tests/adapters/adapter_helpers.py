"""Helpers for the adapter tests: compact views of steps."""

from __future__ import annotations

import threading

from barrierspec.adapters import OpReturned, StepReport


def view(step: StepReport) -> dict[int, object]:
    """Each finished participant's index/value, or the kind of exception it raised."""
    return {p: (o.value if isinstance(o, OpReturned) else o.kind) for p, o in step.returned.items()}


def driver_threads() -> set[threading.Thread]:
    """The live threads a driver started (participants, loop, bounded calls)."""
    return {t for t in threading.enumerate() if t.name.startswith("barrierspec-")}
