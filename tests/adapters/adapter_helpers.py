"""Helpers for the adapter tests: compact views of steps."""

from __future__ import annotations

import threading

from barrierspec.adapters import OpReturned, StepReport
from barrierspec.adapters._controlled_runtime import end_idle_threads


def view(step: StepReport) -> dict[int, object]:
    """Each finished participant's index/value, or the kind of exception it raised."""
    return {p: (o.value if isinstance(o, OpReturned) else o.kind) for p, o in step.returned.items()}


def driver_threads() -> set[threading.Thread]:
    """The live threads a driver started (participants, loop, bounded calls), once the idle
    pooled ones are ended (as a check ends them when it is done): a thread still counted is
    one a driver left running."""
    before = {t for t in threading.enumerate() if t.name.startswith("barrierspec-")}
    end_idle_threads()
    for thread in before:
        thread.join(timeout=2.0)  # an ended idle worker exits at once; a stuck one stays
    return {t for t in before if t.is_alive()}
