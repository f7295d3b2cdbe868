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

import importlib
import typing

if typing.TYPE_CHECKING:
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

_EXPORTS: dict[str, str] = {  # public name -> the module defining it (loaded on first use)
    "BarrierConformanceTests": "barrierspec.conformance._testing",
    "BarrierStateMachine": "barrierspec.conformance._stateful",
    "CheckResult": "barrierspec.conformance._report",
    "CheckSettings": "barrierspec.conformance._check",
    "ConformanceWarning": "barrierspec.conformance._testing",
    "HistoryVerdict": "barrierspec.conformance._history",
    "HistoryViolation": "barrierspec.conformance._history",
    "InputSpace": "barrierspec.conformance._program",
    "Kind": "barrierspec.conformance._history",
    "Mismatch": "barrierspec.conformance._oracle",
    "Operation": "barrierspec.conformance._history",
    "Oracle": "barrierspec.conformance._oracle",
    "Outcome": "barrierspec.conformance._history",
    "PROPERTIES": "barrierspec.conformance._properties",
    "ProgramCounterexample": "barrierspec.conformance._result",
    "Property": "barrierspec.conformance._properties",
    "PropertyResult": "barrierspec.conformance._result",
    "Recorder": "barrierspec.conformance._history",
    "barrier_state_machine": "barrierspec.conformance._stateful",
    "check": "barrierspec.conformance._check",
    "check_history": "barrierspec.conformance._history",
    "dump_history": "barrierspec.conformance._history",
    "explain": "barrierspec.conformance._history",
    "load_files": "barrierspec.conformance._history",
    "load_history": "barrierspec.conformance._history",
    "render_timeline": "barrierspec.conformance._history",
    "write_report": "barrierspec.conformance._history",
}

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


def __getattr__(name: str) -> object:
    """Load a public name's module on first use, so importing one internal module (the
    command line's ``_prespawn``) does not import the whole suite."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
