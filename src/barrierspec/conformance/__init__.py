"""barrierspec.conformance: hold real barriers to the model.

* :func:`check` -- the whole suite, pytest-free: every named property searched with
  Hypothesis (programs drawn whole before any worker starts, failures shrunk to a minimal
  program), the argument-validation property, and the model-generated tests with their
  transition coverage; returns a :class:`CheckResult`;
* :class:`Oracle` -- the set of model states consistent with a real barrier's observations;
* :data:`PROPERTIES` -- the named properties;
* :func:`check_history` -- the history checker for free-running runs (set-linearizability of
  barrier rounds), with :func:`load_history` / :func:`write_report` (JSON and HTML timeline).
"""

from barrierspec.conformance._check import CheckSettings, check
from barrierspec.conformance._history import (
    Operation,
    Verdict,
    Violation,
    check_history,
    dump_history,
    load_history,
    render_timeline,
    write_report,
)
from barrierspec.conformance._oracle import Mismatch, Oracle
from barrierspec.conformance._properties import PROPERTIES, Property
from barrierspec.conformance._result import CheckResult, Counterexample, PropertyResult

__all__ = [
    "PROPERTIES",
    "CheckResult",
    "CheckSettings",
    "Counterexample",
    "Mismatch",
    "Operation",
    "Oracle",
    "Property",
    "PropertyResult",
    "Verdict",
    "Violation",
    "check",
    "check_history",
    "dump_history",
    "load_history",
    "render_timeline",
    "write_report",
]
