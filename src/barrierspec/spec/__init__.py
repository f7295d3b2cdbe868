"""The executable specification: a pure model of barrier semantics.

* :func:`step` -- every successor a profile's contract allows for an event;
* :func:`enabled` -- the events an environment can produce, within :class:`Bounds`;
* :data:`PROFILES` / :func:`get_profile` -- ``threading``, ``multiprocessing``, ``asyncio``,
  ``grinder``, each a bundle of named :class:`Policies`;
* :class:`BarrierSystem` -- a profile's model as a transition system for the explorer;
* :class:`CompiledBarrierSystem` / :func:`compiled_system` -- the same system on tuple states,
  for fast exhaustive search (the CLI uses it);
* :func:`state_invariants` / :func:`transition_invariants` -- the named safety properties;
* :func:`explore` -- exhaustive search of any :class:`TransitionSystem` -> an
  :class:`ExplorationResult` (an :class:`ExplorationViolation` with a shortest trace of
  :class:`TraceStep`), progress through a :data:`ProgressCallback`.

Vocabulary: the model's *events* (:data:`Event`: :class:`Wait`, :class:`Resume`,
:class:`Enter`, :class:`Timeout`, :class:`Cancel`, :class:`Abort`, :class:`Reset`,
:class:`Die`, :class:`Notice`, :class:`Join`) and *observations* (:data:`Observation`:
:class:`Returned`, :class:`Raised`, :class:`ActionRan`) carry the plain names; the operations
a driver sends to a real barrier are :mod:`barrierspec.adapters`' ``WaitOp``, ``AbortOp`` and
so on. :data:`StepFunction` is the type of :func:`step` (another interpretation may be passed
where one is accepted).

Nothing here does I/O, reads a clock or starts a thread: time, cancellation and death are
events.
"""

from barrierspec.spec._barrier_system import BarrierSystem, StepFunction
from barrierspec.spec._compiled_system import CompiledBarrierSystem, compiled_system
from barrierspec.spec._enabled import Bounds, enabled
from barrierspec.spec._explorer import ProgressCallback, explore
from barrierspec.spec._invariants import state_invariants, transition_invariants
from barrierspec.spec._policies import (
    PROFILES,
    AbortDrainers,
    ActionPolicy,
    Cancellation,
    Death,
    Deviation,
    GiveUp,
    IndexPolicy,
    Membership,
    Newcomer,
    PartiesPolicy,
    Policies,
    Profile,
    Reentry,
    ResetPolicy,
    RoundsPolicy,
    get_profile,
)
from barrierspec.spec._progress import StderrProgress
from barrierspec.spec._report import format_result, format_trace, result_to_json
from barrierspec.spec._result import (
    DocumentedHang,
    ExplorationResult,
    ExplorationStatus,
    ExplorationViolation,
    ExplorerError,
    TraceStep,
    ViolationKind,
)
from barrierspec.spec._state import (
    Abort,
    ActionRan,
    Call,
    Cancel,
    Die,
    Enter,
    Event,
    Fault,
    Join,
    Local,
    Member,
    Notice,
    Observation,
    Raised,
    Reset,
    Resume,
    Returned,
    State,
    Status,
    Timeout,
    Transition,
    Wait,
)
from barrierspec.spec._step import Successor, initial_state, step
from barrierspec.spec._system import Invariant, TransitionInvariant, TransitionSystem

__all__ = [
    "PROFILES",
    "Abort",
    "AbortDrainers",
    "ActionPolicy",
    "ActionRan",
    "BarrierSystem",
    "Bounds",
    "Call",
    "Cancel",
    "Cancellation",
    "CompiledBarrierSystem",
    "Death",
    "Deviation",
    "Die",
    "DocumentedHang",
    "Enter",
    "Event",
    "ExplorationResult",
    "ExplorationStatus",
    "ExplorationViolation",
    "ExplorerError",
    "Fault",
    "GiveUp",
    "IndexPolicy",
    "Invariant",
    "Join",
    "Local",
    "Member",
    "Membership",
    "Newcomer",
    "Notice",
    "Observation",
    "PartiesPolicy",
    "Policies",
    "Profile",
    "ProgressCallback",
    "Raised",
    "Reentry",
    "Reset",
    "ResetPolicy",
    "Resume",
    "Returned",
    "RoundsPolicy",
    "State",
    "Status",
    "StderrProgress",
    "StepFunction",
    "Successor",
    "Timeout",
    "TraceStep",
    "Transition",
    "TransitionInvariant",
    "TransitionSystem",
    "ViolationKind",
    "Wait",
    "compiled_system",
    "enabled",
    "explore",
    "format_result",
    "format_trace",
    "get_profile",
    "initial_state",
    "result_to_json",
    "state_invariants",
    "step",
    "transition_invariants",
]
