"""barrierspec.conformance: hold real barriers to the model.

* :func:`check` -- the whole suite, pytest-free: every named property searched with
  Hypothesis (programs drawn whole before any worker starts, failures shrunk to a minimal
  program), the argument-validation property, and the model-generated tests with their
  transition coverage; returns a :class:`CheckResult`;
* :class:`BarrierConformanceTests` -- the base class for a user's tests (``barriertype = ...``),
  and :func:`barrier_state_machine` -- a Hypothesis ``RuleBasedStateMachine`` in lock-step
  with the oracle;
* :class:`Oracle` -- the set of model states consistent with a real barrier's observations;
* :data:`PROPERTIES` -- the named properties; :class:`InputSpace` -- the dimensions and the
  scope of the programs they draw (``CheckSettings.space``);
* :func:`check_history` -- the history checker for free-running runs (set-linearizability of
  barrier rounds): :class:`Recorder` records a run of any barrier (:class:`Operation` records
  of :class:`Kind` and :class:`Outcome`, in memory or per-process JSON Lines files that
  :func:`load_files` merges), :func:`write_report` writes the JSON verdict and an interactive
  HTML timeline, :func:`explain` says a violation in plain words; from the command line:
  ``barrierspec history check FILE...``.
"""

from barrierspec.conformance._check import CheckSettings, check
from barrierspec.conformance._history import (
    HistoryVerdict,
    HistoryViolation,
    Kind,
    Operation,
    Outcome,
    Recorder,
    check_history,
    dump_history,
    explain,
    load_files,
    load_history,
    render_timeline,
    write_report,
)
from barrierspec.conformance._oracle import Mismatch, Oracle
from barrierspec.conformance._program import InputSpace
from barrierspec.conformance._properties import PROPERTIES, Property
from barrierspec.conformance._report import CheckResult
from barrierspec.conformance._result import ProgramCounterexample, PropertyResult
from barrierspec.conformance._stateful import BarrierStateMachine, barrier_state_machine
from barrierspec.conformance._testing import BarrierConformanceTests, ConformanceWarning

__all__ = [
    "PROPERTIES",
    "BarrierConformanceTests",
    "BarrierStateMachine",
    "CheckResult",
    "CheckSettings",
    "ConformanceWarning",
    "HistoryVerdict",
    "HistoryViolation",
    "InputSpace",
    "Kind",
    "Mismatch",
    "Operation",
    "Oracle",
    "Outcome",
    "ProgramCounterexample",
    "Property",
    "PropertyResult",
    "Recorder",
    "barrier_state_machine",
    "check",
    "check_history",
    "dump_history",
    "explain",
    "load_files",
    "load_history",
    "render_timeline",
    "write_report",
]
