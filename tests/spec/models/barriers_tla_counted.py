"""Barriers.tla counted: how many processes are at each of the thirteen program points.

The processes of Barriers.tla are interchangeable, and a process's step depends only on the
shared variables and its own program point. So a state is, up to renaming the processes,
``(lock, gate_1, gate_2, rdv, c_0, ..., c_12)`` with ``c_k`` the number of processes at
``a<k>``, and a step of "some process at ``a<k>``" is the step of
:class:`~tests.spec.models.barriers_tla.BarriersTLA` for one process: :meth:`_moves` runs
that model's own successor function on a one-process state with the same shared variables
(and remembers the answer), so no step of the algorithm is restated here.

The invariants are the model's, read over counts (``Inv`` is the same function of the
counts); the refinement of Barrier.tla is decided from the counts of (before, after) pairs
of the abstract program counter. ``concretisation`` names the concrete model and the map
from its states to counted ones, so a counterexample is replayed as a trace of real process
ids (see :func:`~barrierspec.spec._explorer.explore`).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable

from tests.spec.models.barriers_tla import (
    _B1_GATE_2_OPEN,
    _B1_GATE_2_SHUT,
    _LOCKED,
    GATE_1,
    GATE_2,
    LOCK,
    PCS,
    RDV,
    BarriersTLA,
    State,
    inv_clauses,
)
from tests.spec.models.common import Checked

from barrierspec.spec._system import Invariant, TransitionInvariant

POINTS = 13  # program points a0..a12

# one process's step: (the index of its count in the state, the label (program point
# before, program point after), what the step adds to each entry of the state)
_Move = tuple[int, tuple[int, int], tuple[int, ...]]


class CountedBarriersTLA(Checked[State]):
    """Barriers.tla for ``n`` processes over counts (``checks=False``: no invariants).

    ``model``: the concrete model whose steps are counted (a deliberately broken variant in
    the tests); by default ``BarriersTLA(n, checks=checks)``.
    """

    def __init__(self, n: int, *, checks: bool = True, model: BarriersTLA | None = None) -> None:
        self.model = model if model is not None else BarriersTLA(n, checks=checks)
        self.n = n
        self.name = f"Barriers.tla N={n} counted"
        self._known: dict[tuple[int, ...], list[_Move]] = {}
        self._factorials = [math.factorial(k) for k in range(n + 1)]
        if checks:
            self._invariants = (
                Invariant("TypeOK", "variables stay in their types", self._type_ok),
                Invariant("LockInv", "at most one process holds the lock", self._lock_inv),
                Invariant("Inv", "the inductive invariant of Barriers.tla", self._inv),
                Invariant("FlushInv", "an open gate admits exactly its chamber", self._flush),
            )
            self._steps = (
                TransitionInvariant(
                    "RefinesBarrier",
                    "every step is a step of the abstract Barrier.tla (or stutters)",
                    self._refines,
                ),
            )

    # --- the transition system ---------------------------------------------------------

    def initial_states(self) -> Iterable[State]:
        return [(1, 0, 0, 0, self.n, *([0] * (POINTS - 1)))]

    def _moves(self, shared: tuple[int, ...]) -> list[_Move]:
        """The steps of one process at each program point, with these shared variables: the
        concrete model's steps of a one-process state, as the change they make to counts."""
        moves = []
        for pc in range(POINTS):
            for _, post in self.model.successors((*shared, pc)):
                delta = [after - before for before, after in zip(shared, post, strict=False)]
                delta += [0] * POINTS
                delta[PCS + pc] -= 1
                delta[PCS + post[PCS]] += 1
                moves.append((PCS + pc, (pc, post[PCS]), tuple(delta)))
        self._known[shared] = moves
        return moves

    def successors(self, state: State) -> list[tuple[object, State]]:
        moves = self._known.get(state[:PCS])
        if moves is None:
            moves = self._moves(state[:PCS])
        plus = operator.add
        return [(label, tuple(map(plus, state, delta))) for k, label, delta in moves if state[k]]

    def canonical(self, state: State) -> State:
        return state  # counts are canonical already

    def orbit_size(self, state: State) -> int:
        """How many pc vectors have these counts (a multinomial coefficient)."""
        size = self._factorials[self.n]
        for count in state[PCS:]:
            if count > 1:
                size //= self._factorials[count]
        return size

    def concretisation(self) -> tuple[BarriersTLA, Callable[[State], State]]:
        """The concrete model, and the counts of one of its states."""

        def counted(state: State) -> State:
            counts = [0] * POINTS
            for pc in state[PCS:]:
                counts[pc] += 1
            return (*state[:PCS], *counts)

        return self.model, counted

    def stuck(self, state: State) -> str | None:
        return "every process is blocked: " + self.describe(state)

    def documented_hang(self, state: State) -> str | None:
        return None

    def describe(self, state: State) -> str:
        points = " ".join(f"{c}@a{pc}" for pc, c in enumerate(state[PCS:]) if c)
        return (
            f"lock={state[LOCK]} gate_1={state[GATE_1]} gate_2={state[GATE_2]} "
            f"rdv={state[RDV]} processes: {points}"
        )

    # --- the invariants over counts -----------------------------------------------------

    def _type_ok(self, state: State) -> str | None:
        counts = state[PCS:]
        if state[LOCK] not in (0, 1):
            return f"lock is {state[LOCK]}, not 0 or 1"
        if state[GATE_1] < 0 or state[GATE_2] < 0:
            return f"a semaphore went negative: gate_1={state[GATE_1]} gate_2={state[GATE_2]}"
        if len(counts) != POINTS or min(counts) < 0 or sum(counts) != self.n:
            return f"the counts {counts} are not {self.n} processes at a0..a12"
        return None

    def _lock_inv(self, state: State) -> str | None:
        holders = sum(state[PCS + pc] for pc in _LOCKED)
        if holders > 1:
            return f"{holders} processes are all inside the lock"
        if holders and state[LOCK] != 0:
            return "a process is inside the lock but lock=1"
        return None

    def _inv(self, state: State) -> str | None:
        why = inv_clauses(self.n, state[GATE_1], state[GATE_2], state[RDV], state[PCS:])
        return None if why is None else f"{why}: {self.describe(state)}"

    def _flush(self, state: State) -> str | None:
        counts = state[PCS:]
        if state[GATE_1] and state[GATE_1] != sum(counts[0:7]):
            return f"gate_1={state[GATE_1]} differs from the processes in chamber 1"
        if state[GATE_2] and state[GATE_2] != sum(counts[7:13]):
            return f"gate_2={state[GATE_2]} differs from the processes in chamber 2"
        return None

    def _refines(self, pre: State, label: object, post: State) -> str | None:
        """Barrier.tla's pc per process before and after, from the counts and the mover.

        ``label`` is ``(source, target)``: one process moved from ``a<source>`` to
        ``a<target>``; that the counts say so is checked first.
        """
        source, target = label  # type: ignore[misc]
        expected = list(pre)
        expected[:PCS] = post[:PCS]
        expected[PCS + source] -= 1
        expected[PCS + target] += 1
        if tuple(expected) != post:
            return f"a{source} -> a{target} is no step of one process: {self.describe(post)}"
        before_map = _B1_GATE_2_OPEN if pre[GATE_2] else _B1_GATE_2_SHUT
        after_map = _B1_GATE_2_OPEN if post[GATE_2] else _B1_GATE_2_SHUT
        b_before, b_after = before_map[source], after_map[target]
        if before_map is after_map:  # nobody else's abstract pc changed
            if b_before == b_after or not b_before:
                return None  # a stuttering step, or b0(p): one process enters the barrier
            entered, left, outside = 0, 1, self.n > 1
        else:
            # pairs[(b before, b after)] = processes; the mover goes source -> target
            pairs = {(0, 0): 0, (0, 1): 0, (1, 0): 0, (1, 1): 0}
            for pc in range(POINTS):
                stay = pre[PCS + pc] - (1 if pc == source else 0)
                pairs[before_map[pc], after_map[pc]] += stay
            pairs[b_before, b_after] += 1
            entered, left = pairs[0, 1], pairs[1, 0]
            if not entered and not left:
                return None  # a stuttering step of Barrier.tla
            if entered == 1 and not left:
                return None  # b0(p): one process enters the barrier
            outside = bool(pairs[0, 0] or pairs[0, 1] or pairs[1, 1])
        if not outside:
            return None  # b1: everybody leaves together
        return f"a{source} -> a{target} is no step of Barrier.tla: {entered} entered, {left} left"
