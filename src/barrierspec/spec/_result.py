"""What an exploration found: the result record of :func:`barrierspec.spec._explorer.explore`.

All records are frozen attrs classes. States inside traces are the system's own state
objects (concrete states, with real participant ids, even when the search ran on
symmetry-reduced canonical states); labels are the system's own label objects, rendered
with ``str(label)`` by :mod:`barrierspec.spec._report`.
"""

from __future__ import annotations

import enum
from typing import Any

import attrs

from barrierspec.errors import BarrierSpecError

__all__ = [
    "DocumentedHang",
    "ExplorationResult",
    "ExplorationStatus",
    "ExplorationViolation",
    "ExplorerError",
    "TraceStep",
    "ViolationKind",
]


class ExplorerError(BarrierSpecError, RuntimeError):
    """The transition system broke a rule the explorer relies on.

    Raised, for example, when ``canonical`` is not a symmetry of the system (a counterexample
    found on canonical states cannot be replayed from the concrete initial state), or when a
    system has no initial state.
    """


class ExplorationStatus(enum.Enum):
    """How an exploration ended."""

    #: Every reachable state was visited; no invariant was violated and no deadlock found.
    OK = "ok"
    #: A safety invariant, a transition invariant or deadlock freedom was violated.
    VIOLATION = "violation"
    #: The search stopped at ``max_states`` before visiting every reachable state.
    BOUND_REACHED = "bound_reached"


class ViolationKind(enum.Enum):
    """Which kind of property a counterexample violates."""

    INVARIANT = "invariant"
    TRANSITION_INVARIANT = "transition_invariant"
    DEADLOCK = "deadlock"


@attrs.frozen
class TraceStep:
    """One numbered step of a trace.

    Step 0 is the initial state (``label`` is ``None``); step ``i > 0`` is the state reached
    by firing ``label`` in the state of step ``i - 1``.
    """

    step: int
    label: object
    state: Any  # the system's own state object (typed by the system, not here)


@attrs.frozen
class ExplorationViolation:
    """A violated property and a shortest trace that violates it.

    ``name`` is the invariant's name (``"deadlock"`` for a deadlock) and ``message`` the
    sentence the check returned on the trace's last state (or last transition; for a deadlock,
    the sentence of ``stuck``). ``trace`` is a real execution from an initial state, and no
    trace from an initial state violates any checked property in fewer steps.
    """

    kind: ViolationKind
    name: str
    message: str
    trace: tuple[TraceStep, ...]


@attrs.frozen
class DocumentedHang:
    """A reachable stuck state explained by a documented deviation (not a deadlock verdict).

    ``name`` is what ``documented_hang`` returned, ``message`` what ``stuck`` returned;
    ``trace`` is a shortest trace to the first such state in breadth-first order.
    """

    name: str
    message: str
    trace: tuple[TraceStep, ...]


@attrs.frozen
class ExplorationResult:
    """The outcome and the figures of one exhaustive exploration.

    Counting conventions (chosen to reproduce TLC's figures exactly):

    * ``states``: distinct states visited (canonical states when ``symmetry`` is on).
    * ``transitions``: successor pairs produced by ``successors``, duplicates included.
    * ``generated``: ``transitions`` plus the number of initial states, i.e. TLC's
      "states generated".
    * ``depth``: the number of breadth-first levels, the initial states being level 1, i.e.
      TLC's "depth of the complete state graph search" (the longest shortest path plus one).
    * ``concrete_states``: with symmetry and a system that provides ``orbit_size``, the number
      of concrete states the canonical states stand for (the sum of their orbit sizes);
      otherwise ``None``.
    """

    system: str
    status: ExplorationStatus
    states: int
    transitions: int
    generated: int
    depth: int
    seconds: float
    invariants: tuple[str, ...]
    transition_invariants: tuple[str, ...]
    deadlock_checked: bool
    symmetry: bool
    concrete_states: int | None = None
    max_states: int | None = None
    violation: ExplorationViolation | None = None
    documented_hangs: tuple[DocumentedHang, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the whole state space was visited and nothing was violated."""
        return self.status is ExplorationStatus.OK

    @property
    def states_per_second(self) -> float:
        """Distinct states visited per second of search (0.0 for an instantaneous run)."""
        return self.states / self.seconds if self.seconds > 0 else 0.0

    @property
    def reduction_factor(self) -> float | None:
        """Concrete states per canonical state (symmetry with ``orbit_size`` only)."""
        if self.concrete_states is None or self.states == 0:
            return None
        return self.concrete_states / self.states
