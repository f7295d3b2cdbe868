"""The interface between a model and the explorer: a finite transition system.

The explorer (:mod:`barrierspec.spec._explorer`) is generic: it knows nothing about barriers.
Anything that implements :class:`TransitionSystem` can be explored -- the barrier model of
each profile, the two-chamber barrier of ``Barriers.tla`` used to cross-check the engine
against TLC, and the deliberately broken models in ``tests/``.

States must be hashable and compare by value (tuples, or frozen attrs classes). Labels are
whatever the system finds readable in a trace; the explorer never stores them, it recomputes
them from ``successors`` when it prints a counterexample.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Generic, Protocol, TypeVar

import attrs

__all__ = [
    "FUSED",
    "Invariant",
    "S",
    "TransitionInvariant",
    "TransitionSystem",
]

S = TypeVar("S", bound=Hashable)

#: The name a fused check carries (see ``fused_checks`` in :class:`TransitionSystem`).
FUSED = "<fused>"


@attrs.frozen
class Invariant(Generic[S]):
    """A named safety property of single states.

    ``check(state)`` returns ``None`` when the state satisfies the property, otherwise a short
    sentence saying what is wrong in this state (shown under the counterexample).
    """

    name: str
    description: str
    check: Callable[[S], str | None]


@attrs.frozen
class TransitionInvariant(Generic[S]):
    """A named safety property of single transitions ``pre --label--> post``.

    ``check(pre, label, post)`` returns ``None`` or a sentence saying what the step did wrong.
    """

    name: str
    description: str
    check: Callable[[S, object, S], str | None]


class TransitionSystem(Protocol[S]):
    """A finite transition system the explorer can search.

    * ``initial_states()``: the initial states (usually one).
    * ``successors(state)``: every ``(label, next_state)`` pair enabled in ``state``.
    * ``invariants`` / ``transition_invariants``: the named safety properties to check.
    * ``canonical(state)``: a representative of the state's symmetry class (the identity when
      the system declares no symmetry). Used only when the explorer runs with symmetry.
    * ``stuck(state)``: called for states with no successor; ``None`` if that is a normal end
      (nobody is blocked), otherwise a sentence naming who waits forever.
    * ``documented_hang(state)``: for a stuck state, the name of the documented deviation
      that explains the hang (the explorer then reports it as that deviation, not as a
      deadlock), or ``None``.
    * ``describe(state)``: a one-line readable rendering of a state for traces.

    Optional (looked up with ``getattr``, so not part of the protocol's required members):

    * ``orbit_size(state) -> int``: for a canonical state, how many concrete states it
      stands for (the size of its symmetry class). When present, a symmetric exploration
      reports the number of concrete states and the exact reduction factor.
    * ``fused_checks()``: ``None``, or an object whose ``state_checks()`` and
      ``transition_checks()`` give ``(name, check)`` pairs the explorer runs *instead of* the
      named invariants, each named :data:`FUSED` or by an invariant's name. A fused check must
      fail exactly when some named invariant does; the explorer then names the first named
      invariant (in order) that fails on that state or transition. The object may also have
      ``expansion_checks()``: ``(name, check)`` pairs with ``check(state)`` returning
      ``None`` or ``(label, post, message)`` for a failing transition out of ``state``; the
      explorer runs them once per expanded state, right after computing its successors and
      before visiting them, so that a system can check every transition of a state in one
      call and skip the ones it knows pass.
    * ``successor_states(state) -> list``: the states of ``successors(state)``, in the same
      order, without labels. When present, the explorer expands states with it wherever no
      label is needed (no transition check is run; traces are rebuilt with ``successors``).
    * ``concretisation() -> (concrete_system, abstract)``: for a system whose states abstract
      another's (a counted system), the concrete system and the map from its states to this
      system's; a counterexample is then replayed on the concrete system (its invariants
      give the messages), so traces show concrete states.
    """

    @property
    def name(self) -> str: ...

    def initial_states(self) -> Iterable[S]: ...

    def successors(self, state: S) -> Iterable[tuple[object, S]]: ...

    @property
    def invariants(self) -> Sequence[Invariant[S]]: ...

    @property
    def transition_invariants(self) -> Sequence[TransitionInvariant[S]]: ...

    def canonical(self, state: S) -> S: ...

    def stuck(self, state: S) -> str | None: ...

    def documented_hang(self, state: S) -> str | None: ...

    def describe(self, state: S) -> str: ...
