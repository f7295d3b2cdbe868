"""The history checker for free-running barrier runs (façade of the ``_history_*`` modules).

Record each worker's operations as :class:`Operation` (or load them with
:func:`load_history`), call :func:`check_history`, and write a violating history with
:func:`write_report` (self-contained HTML timeline + JSON verdict)::

    verdict = check_history(history)                 # Grinder rules, rounds if recorded
    verdict = check_history(history, parties=4)      # fixed-parties barriers
    if not verdict.valid:
        write_report(history, verdict, "timeline.html", "verdict.json")
"""

from __future__ import annotations

from barrierspec.conformance._history_check import check_history
from barrierspec.conformance._history_html import render_timeline, write_report
from barrierspec.conformance._history_model import (
    Kind,
    Operation,
    Outcome,
    Verdict,
    Violation,
    dump_history,
    load_history,
    operation_from_dict,
    operation_to_dict,
)

__all__ = [
    "Kind",
    "Operation",
    "Outcome",
    "Verdict",
    "Violation",
    "check_history",
    "dump_history",
    "load_history",
    "operation_from_dict",
    "operation_to_dict",
    "render_timeline",
    "write_report",
]
