"""Barriers.tla counted: how many processes are at each of the thirteen program points.

The processes of Barriers.tla are interchangeable, and a process's step depends only on the
shared variables and its own program point. So a state is, up to renaming the processes,
``(lock, gate_1, gate_2, rdv, c_0, ..., c_12)`` with ``c_k`` the number of processes at
``a<k>``, and a step of "some process at ``a<k>``" is the step of
:class:`~tests.spec.models.barriers_tla.BarriersTLA` for one process: :meth:`_moves` runs
that model's own successor function on a one-process state with the same shared variables
(and remembers the answer), so no step of the algorithm is restated here.

A state is packed into one int, a field of ``width`` bits per entry (the counts in the low
fields, ``c_k`` at bit ``k * width``, the shared variables above them), so that a step is one
integer addition of a precomputed delta and a visited-set lookup hashes one int;
:meth:`unpack` gives the tuple back.

The invariants are the model's, read over counts (``Inv`` is the same function of the
counts); the refinement of Barrier.tla is decided from the mover (the label) and the counts.
``concretisation`` names the concrete model and the map from its states to counted ones, so
a counterexample is replayed as a trace of real process ids (see
:func:`~barrierspec.spec._explorer.explore`).
"""

from __future__ import annotations

import math
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

from barrierspec.spec._system import FUSED, Invariant, TransitionInvariant

POINTS = 13  # program points a0..a12

# one process's step: (the shift of its count, the label (program point before, program
# point after), what the step adds to the packed state)
_Move = tuple[int, tuple[int, int], int]


class CountedBarriersTLA(Checked[int]):
    """Barriers.tla for ``n`` processes over counts (``checks=False``: no invariants).

    ``model``: the concrete model whose steps are counted (a deliberately broken variant in
    the tests); by default ``BarriersTLA(n, checks=checks)``.
    """

    def __init__(self, n: int, *, checks: bool = True, model: BarriersTLA | None = None) -> None:
        self.model = model if model is not None else BarriersTLA(n, checks=checks)
        self.n = n
        self.name = f"Barriers.tla N={n} counted"
        self.width = max(8, (4 * n + 4).bit_length())  # room for a gate or count of 4N
        self._mask = (1 << self.width) - 1
        self._counts_bits = POINTS * self.width
        self._known: dict[int, list[_Move]] = {}
        self._unfit: dict[int, list[tuple[int, str]]] = {}
        self._factorials = [math.factorial(k) for k in range(n + 1)]
        self._last: tuple[int, State] = (-1, ())
        top = PCS + POINTS - 1
        self._fields = tuple(self.width * (top - i) for i in range(PCS + POINTS))
        self._shifts = tuple((POINTS - 1 - pc) * self.width for pc in range(POINTS))
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

    # --- packing ------------------------------------------------------------------------

    def pack(self, entries: State) -> int:
        """The int of ``(lock, gate_1, gate_2, rdv, c_0, ..., c_12)``."""
        value = 0
        for entry in entries:  # the first entry ends up in the highest field
            if not 0 <= entry <= self._mask:
                raise ValueError(f"{entries}: {entry} does not fit a {self.width}-bit field")
            value = value << self.width | entry
        return value

    def unpack(self, state: int) -> State:
        """``(lock, gate_1, gate_2, rdv, c_0, ..., c_12)`` of a packed state (cached: the
        invariants of one state read it in turn)."""
        if self._last[0] == state:
            return self._last[1]
        mask = self._mask
        entries = tuple([state >> shift & mask for shift in self._fields])
        self._last = (state, entries)
        return entries

    # --- the transition system ---------------------------------------------------------

    def initial_states(self) -> Iterable[int]:
        return [self.pack((1, 0, 0, 0, self.n, *([0] * (POINTS - 1))))]

    def _shift(self, pc: int) -> int:
        """Where the count of processes at ``a<pc>`` sits in a packed state."""
        return self._shifts[pc]

    def _moves(self, shared: int) -> list[_Move]:
        """The steps of one process at each program point, with these shared variables: the
        concrete model's steps of a one-process state, as additions to a packed state."""
        entries = self.unpack(shared << self._counts_bits)[:PCS]
        moves = []
        for pc in range(POINTS):
            for _, post in self.model.successors((*entries, pc)):
                try:
                    after = self.pack((*post[:PCS], *([0] * POINTS)))
                except ValueError as error:  # fails only if a process is at a<pc>
                    self._unfit.setdefault(shared, []).append((self._shift(pc), str(error)))
                    continue
                delta = after - (shared << self._counts_bits)
                delta += (1 << self._shift(post[PCS])) - (1 << self._shift(pc))
                moves.append((self._shift(pc), (pc, post[PCS]), delta))
        self._known[shared] = moves
        return moves

    def successors(self, state: int) -> list[tuple[object, int]]:
        moves = self._known.get(state >> self._counts_bits)
        if moves is None:
            moves = self._moves(state >> self._counts_bits)
        mask = self._mask
        for shift, message in self._unfit.get(state >> self._counts_bits, ()):
            if state >> shift & mask:
                raise ValueError(f"a step leaves the packed fields: {message}")
        return [(label, state + delta) for shift, label, delta in moves if state >> shift & mask]

    def canonical(self, state: int) -> int:
        return state  # counts are canonical already

    def orbit_size(self, state: int) -> int:
        """How many pc vectors have these counts (a multinomial coefficient)."""
        size = self._factorials[self.n]
        for count in self.unpack(state)[PCS:]:
            if count > 1:
                size //= self._factorials[count]
        return size

    def concretisation(self) -> tuple[BarriersTLA, Callable[[State], int]]:
        """The concrete model, and the packed counts of one of its states."""

        def counted(state: State) -> int:
            counts = [0] * POINTS
            for pc in state[PCS:]:
                counts[pc] += 1
            return self.pack((*state[:PCS], *counts))

        return self.model, counted

    def stuck(self, state: int) -> str | None:
        return "every process is blocked: " + self.describe(state)

    def documented_hang(self, state: int) -> str | None:
        return None

    def describe(self, state: int) -> str:
        entries = self.unpack(state)
        points = " ".join(f"{c}@a{pc}" for pc, c in enumerate(entries[PCS:]) if c)
        return (
            f"lock={entries[LOCK]} gate_1={entries[GATE_1]} gate_2={entries[GATE_2]} "
            f"rdv={entries[RDV]} processes: {points}"
        )

    # --- the invariants over counts -----------------------------------------------------

    def fused_checks(self) -> CountedBarriersChecks | None:
        """One state check for the four invariants (one unpacking), the refinement as is."""
        return CountedBarriersChecks(self) if self._invariants else None

    def _type_ok(self, state: int) -> str | None:
        return self._type_ok_of(self.unpack(state))

    def _lock_inv(self, state: int) -> str | None:
        return self._lock_inv_of(self.unpack(state))

    def _inv(self, state: int) -> str | None:
        return self._inv_of(self.unpack(state))

    def _flush(self, state: int) -> str | None:
        return self._flush_of(self.unpack(state))

    def _type_ok_of(self, entries: State) -> str | None:
        counts = entries[PCS:]
        if entries[LOCK] not in (0, 1):
            return f"lock is {entries[LOCK]}, not 0 or 1"
        if sum(counts) != self.n:
            return f"the counts {counts} are not {self.n} processes at a0..a12"
        return None  # fields are never negative: a decrement below 0 is caught below

    def _lock_inv_of(self, entries: State) -> str | None:
        holders = sum(entries[PCS + pc] for pc in _LOCKED)
        if holders > 1:
            return f"{holders} processes are all inside the lock"
        if holders and entries[LOCK] != 0:
            return "a process is inside the lock but lock=1"
        return None

    def _inv_of(self, e: State) -> str | None:
        why = inv_clauses(self.n, e[GATE_1], e[GATE_2], e[RDV], e[PCS:])
        return None if why is None else f"{why}: {self.describe(self.pack(e))}"

    def _flush_of(self, entries: State) -> str | None:
        counts, gate_1, gate_2 = entries[PCS:], entries[GATE_1], entries[GATE_2]
        if gate_1 and gate_1 != sum(counts[0:7]):
            return f"gate_1={gate_1} differs from the processes in chamber 1"
        if gate_2 and gate_2 != sum(counts[7:13]):
            return f"gate_2={gate_2} differs from the processes in chamber 2"
        return None

    def _refines(self, pre: int, label: object, post: int) -> str | None:
        """Barrier.tla's pc per process before and after, from the counts and the mover.

        ``label`` is ``(source, target)``: one process moved from ``a<source>`` to
        ``a<target>``; that the counts say so is checked first.
        """
        source, target = label  # type: ignore[misc]
        w, mask, bits, shifts = self.width, self._mask, self._counts_bits, self._shifts
        counts = (1 << bits) - 1
        moved = (pre & counts) - (1 << shifts[source]) + (1 << shifts[target])
        if not pre >> shifts[source] & mask or (post & ~counts) | moved != post:
            return f"a{source} -> a{target} is no step of one process: {self.describe(post)}"
        gate_2_shift = bits + (PCS - 1 - GATE_2) * w
        before_map = _B1_GATE_2_OPEN if pre >> gate_2_shift & mask else _B1_GATE_2_SHUT
        after_map = _B1_GATE_2_OPEN if post >> gate_2_shift & mask else _B1_GATE_2_SHUT
        b_before, b_after = before_map[source], after_map[target]
        if before_map is after_map:  # nobody else's abstract pc changed
            if b_before == b_after or not b_before:
                return None  # a stuttering step, or b0(p): one process enters the barrier
            entered, left, outside = 0, 1, self.n > 1
        else:
            # pairs[(b before, b after)] = processes; the mover goes source -> target
            before = self.unpack(pre)[PCS:]
            pairs = {(0, 0): 0, (0, 1): 0, (1, 0): 0, (1, 1): 0}
            for pc in range(POINTS):
                stay = before[pc] - (1 if pc == source else 0)
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


class CountedBarriersChecks:
    """The fused checks of :class:`CountedBarriersTLA`: the four state invariants on one
    unpacked state (the named checks' own functions, in their order), the refinement as is."""

    def __init__(self, model: CountedBarriersTLA) -> None:
        unpack = model.unpack
        checks = (model._type_ok_of, model._lock_inv_of, model._inv_of, model._flush_of)

        def state(s: int) -> str | None:
            entries = unpack(s)
            for check in checks:
                message = check(entries)
                if message is not None:
                    return message
            return None

        self.state = state
        self.refines = model._refines

    def state_checks(self) -> tuple[tuple[str, Callable[[int], str | None]], ...]:
        return ((FUSED, self.state),)

    def transition_checks(self) -> tuple[tuple[str, Callable[..., str | None]], ...]:
        return (("RefinesBarrier", self.refines),)
