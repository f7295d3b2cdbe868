"""Counterexample reconstruction: from the explorer's parent pointers to a readable trace.

The explorer stores one parent pointer per visited state and nothing else: no labels and no
paths. A trace is rebuilt only when one is needed:

1. walk the parent pointers back from the last state to an initial state, giving the path of
   (possibly canonical) states the search went through;
2. replay that path forward from a concrete initial state: at each step regenerate the
   successors of the current concrete state and take the first ``(label, next)`` whose key
   (``canonical(next)`` under symmetry, ``next`` itself otherwise) is the next state on the
   path. Under symmetry this turns a path of canonical states into a real execution with real
   participant ids; without symmetry it simply recovers the labels.

Replay succeeds whenever ``canonical`` really is a symmetry of the system (permuting a state
permutes its successors). If it is not, no matching successor exists and
:class:`ExplorerError` says so, naming the step.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any

from barrierspec.spec._result import ExplorerError, TraceStep
from barrierspec.spec._system import TransitionSystem

__all__ = ["path_to", "replay"]

# Accepts the last step of a trace (pre, label, post); used to pick, among several concrete
# transitions into the last canonical state, one that really violates the property.
StepFilter = Callable[[Any, object, Any], bool]


def path_to(parent: Mapping[Hashable, Hashable | None], state: Hashable) -> list[Hashable]:
    """The states from an initial state to ``state`` along the stored parent pointers."""
    path = [state]
    previous = parent[state]
    while previous is not None:
        path.append(previous)
        previous = parent[previous]
    path.reverse()
    return path


def replay(
    system: TransitionSystem[Any],
    path: list[Hashable],
    *,
    symmetry: bool,
    last_step: StepFilter | None = None,
    key: Callable[[Any], Any] | None = None,
) -> tuple[TraceStep, ...]:
    """A concrete execution that follows ``path`` (a list of search states) step by step.

    ``last_step``, when given, must also accept the final transition (it is used for
    transition-invariant violations, where the violating label matters). Raises
    :class:`ExplorerError` when the path cannot be followed, which means ``canonical`` is not
    a symmetry of the system (or ``successors`` is not deterministic). ``key``, when given,
    maps a state of ``system`` to a search state (an abstraction: a concrete system replays
    the path of a counted one), in place of ``canonical`` or the identity.
    """
    if key is None:
        key = system.canonical if symmetry else _identity
    current = next((s for s in system.initial_states() if key(s) == path[0]), None)
    if current is None:
        raise ExplorerError(
            f"cannot replay a trace of {system.name!r}: no initial state has the key "
            f"{path[0]!r}; initial_states() must be deterministic"
        )
    steps = [TraceStep(0, None, current)]
    final = len(path) - 1
    for index in range(1, len(path)):
        target = path[index]
        check = last_step if index == final else None
        found = None
        for label, post in system.successors(current):
            if key(post) == target and (check is None or check(current, label, post)):
                found = (label, post)
                break
        if found is None:
            raise ExplorerError(
                f"cannot replay step {index} of a trace of {system.name!r}: no successor of "
                f"{system.describe(current)} matches {target!r}; canonical() must be a "
                "symmetry of the system (permuting a state must permute its successors)"
            )
        current = found[1]
        steps.append(TraceStep(index, found[0], current))
    return tuple(steps)


def _identity(state: Any) -> Any:
    return state
