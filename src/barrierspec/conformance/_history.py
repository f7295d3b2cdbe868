"""The history checker for free-running barrier runs (façade of the ``_history_*`` modules).

Record a run with :class:`Recorder` (it wraps any barrier or registry and writes
:class:`Operation` records, in memory or one JSON Lines file per process), or build the
operations yourself; read files with :func:`load_files`; call :func:`check_history` (or the
command ``barrierspec history check FILE...``); write a violating history with
:func:`write_report` (self-contained HTML timeline + JSON verdict); :func:`explain` says a
violation in plain words::

    recorder = Recorder()
    barrier = recorder.wrap(threading.Barrier(4), name="b")
    ...                                              # run the workers
    verdict = check_history(recorder.history(), parties=4)

    verdict = check_history(history)                 # Grinder rules, rounds if recorded
    verdict = check_history(history, parties=4)      # fixed-parties barriers
    if not verdict.valid:
        write_report(history, verdict, "timeline.html", "verdict.json")
"""

from __future__ import annotations

from barrierspec.conformance._history_check import check_history
from barrierspec.conformance._history_explain import explain
from barrierspec.conformance._history_files import load_files
from barrierspec.conformance._history_html import render_timeline, write_report
from barrierspec.conformance._history_model import (
    HistoryVerdict,
    HistoryViolation,
    Kind,
    Operation,
    Outcome,
    dump_history,
    load_history,
    operation_from_dict,
    operation_to_dict,
)
from barrierspec.conformance._recorder import Recorder

__all__ = [
    "HistoryVerdict",
    "HistoryViolation",
    "Kind",
    "Operation",
    "Outcome",
    "Recorder",
    "check_history",
    "dump_history",
    "explain",
    "load_files",
    "load_history",
    "operation_from_dict",
    "operation_to_dict",
    "render_timeline",
    "write_report",
]
