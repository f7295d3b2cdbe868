"""Tiny hand-drawn transition systems for the explorer's own tests.

:class:`GraphSystem` turns an explicit graph into a :class:`TransitionSystem`: states are
strings, edges ``state -> [(label, next), ...]`` in the order ``successors`` yields them.
Properties are given as data: states that break an invariant, labels that break a transition
invariant, dead ends that are deadlocks or documented hangs, and an optional ``canonical``
mapping (to build symmetric -- or deliberately non-symmetric -- reductions).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import attrs

from barrierspec.spec import Invariant, TransitionInvariant


@attrs.define
class GraphSystem:
    """An explicit graph with its properties (see the module docstring)."""

    name: str
    edges: Mapping[str, Sequence[tuple[str, str]]]
    initial: Sequence[str] = ("s0",)
    bad_states: frozenset[str] = frozenset()
    bad_labels: frozenset[str] = frozenset()
    blocked: frozenset[str] = frozenset()  # dead ends where somebody waits forever
    hangs: Mapping[str, str] = attrs.field(factory=dict)  # dead end -> deviation name
    canonical_map: Mapping[str, str] = attrs.field(factory=dict)
    orbits: Mapping[str, int] | None = None

    def initial_states(self) -> Iterable[str]:
        return list(self.initial)

    def successors(self, state: str) -> Iterable[tuple[object, str]]:
        return iter(self.edges.get(state, ()))  # an iterator, not a list, on purpose

    @property
    def invariants(self) -> Sequence[Invariant[str]]:
        def good(state: str) -> str | None:
            return f"{state} is a bad state" if state in self.bad_states else None

        return (Invariant("Good", "no bad state is reachable", good),)

    @property
    def transition_invariants(self) -> Sequence[TransitionInvariant[str]]:
        def no_bad_step(pre: str, label: object, post: str) -> str | None:
            return f"{label} from {pre} is forbidden" if label in self.bad_labels else None

        return (TransitionInvariant("NoBadStep", "no forbidden label fires", no_bad_step),)

    def canonical(self, state: str) -> str:
        return self.canonical_map.get(state, state)

    def stuck(self, state: str) -> str | None:
        if state in self.blocked or state in self.hangs:
            return f"everybody waits forever in {state}"
        return None

    def documented_hang(self, state: str) -> str | None:
        return self.hangs.get(state)

    def describe(self, state: str) -> str:
        return f"<{state}>"


@attrs.define
class OrbitGraph(GraphSystem):
    """A :class:`GraphSystem` that also provides ``orbit_size``."""

    def orbit_size(self, state: str) -> int:
        assert self.orbits is not None
        return self.orbits.get(state, 1)


def philosophers() -> GraphSystem:
    """Two processes take locks A and B in opposite orders: a deadlock in two steps.

    State names: the letters each process holds, ``p1``/``p2`` separated by ``|``; ``done``
    when both finished (a normal end, not a deadlock).
    """
    return GraphSystem(
        name="two philosophers",
        initial=("-|-",),
        edges={
            "-|-": [("p1 takes A", "A|-"), ("p2 takes B", "-|B")],
            "A|-": [("p1 takes B", "AB|-"), ("p2 takes B", "A|B")],
            "-|B": [("p1 takes A", "A|B"), ("p2 takes A", "-|BA")],
            "AB|-": [("p1 releases", "done1")],
            "-|BA": [("p2 releases", "done2")],
            "done1": [("p2 takes B", "done1|B")],
            "done2": [("p1 takes A", "done2|A")],
            "done1|B": [("p2 takes A", "done")],
            "done2|A": [("p1 takes B", "done")],
        },
        blocked=frozenset({"A|B"}),
    )
