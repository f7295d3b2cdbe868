"""Barriers.tla counted: how many processes are at each of the thirteen program points.

The processes of Barriers.tla are interchangeable, and a process's step depends only on the
shared variables and its own program point. So a state is, up to renaming the processes,
``(lock, gate_1, gate_2, rdv, c_0, ..., c_12)`` with ``c_k`` the number of processes at
``a<k>``, and a step of "some process at ``a<k>``" is the step of
:class:`~tests.spec.models.barriers_tla.BarriersTLA` for one process: :meth:`_moves` runs
that model's own successor function on a one-process state with the same shared variables
(and remembers the answer), so no step of the algorithm is restated here.

A state is packed into one int, a byte per entry (the first entry in the highest byte, the
counts in the low bytes), so that a step is one integer addition of a precomputed delta, a
visited-set lookup hashes one int, and ``int.to_bytes`` unpacks a state for the invariants.
The steps of a state depend only on its *key*: the shared variables and which program points
are occupied (one addition and one mask, see :meth:`successors`); the explorer takes them
label-free (:meth:`successor_states`, a list of additions remembered by key), and
:meth:`successors` gives them with labels for traces.

The invariants are the model's, read over counts (``Inv`` is the same function of the
counts); the refinement of Barrier.tla is decided from the mover (the label) and the counts.
It is checked once per expanded state (an expansion check, see
:class:`~barrierspec.spec._system.TransitionSystem`), on the steps that need it: a move that
neither opens nor shuts gate_2 and whose mover stutters or enters the barrier passes
whatever the counts (:func:`_free`), so it is skipped.
``concretisation`` names the concrete model and the map from its states to counted ones, so
a counterexample is replayed as a trace of real process ids (see
:func:`~barrierspec.spec._explorer.explore`).
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

from barrierspec.spec._system import FUSED, Invariant, TransitionInvariant

POINTS = 13  # program points a0..a12
ENTRIES = PCS + POINTS  # lock, gate_1, gate_2, rdv, c_0, ..., c_12
MAX_N = 127  # a count n plus 127 still fits a byte (how successors sees who is where)

# The caches hold flat tuples of ints (a step is the program point it goes to and what it
# adds to the packed state), which the cyclic garbage collector stops tracking at its first
# look; nested tuples or lists it would traverse at every full collection (0.2-0.4 s at N=64).
# The steps of one process at a program point for some shared variables: each step's target
# program point, each step's delta, and the steps RefinesBarrier checks (not _free) as
# (target, delta) pairs laid end to end.
_Steps = tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]
# What the explorer needs of the states of one key: the steps RefinesBarrier checks as
# (source, target, delta) triples laid end to end, and every step's delta.
_Expansion = tuple[tuple[int, ...], tuple[int, ...]]


class CountedBarriersTLA(Checked[int]):
    """Barriers.tla for ``n`` processes over counts (``checks=False``: no invariants).

    ``model``: the concrete model whose steps are counted (a deliberately broken variant in
    the tests); by default ``BarriersTLA(n, checks=checks)``. Each entry of a state is a byte,
    so ``n`` is at most :data:`MAX_N`; a step that takes a shared variable outside 0..255 is
    reported by :meth:`successors` as leaving the packed fields.
    """

    def __init__(self, n: int, *, checks: bool = True, model: BarriersTLA | None = None) -> None:
        if not 1 <= n <= MAX_N:
            raise ValueError(f"the counted model keeps a count in a byte: N is 1..{MAX_N}, not {n}")
        self.model = model if model is not None else BarriersTLA(n, checks=checks)
        self.n = n
        self.name = f"Barriers.tla N={n} counted"
        self.width = 8  # bits per entry
        self._mask = 0xFF
        self._counts_bits = POINTS * 8
        self._shifts = tuple((POINTS - 1 - pc) * 8 for pc in range(POINTS))
        # key(state) = (state + _occupy) & _key_mask: the shared variables, and the top bit of
        # each count's byte set exactly when the count is not 0 (a count is at most 127)
        ones = int.from_bytes(bytes([1] * POINTS), "big")
        self._occupy = 0x7F * ones
        self._key_mask = 0x80 * ones | ((1 << ENTRIES * 8) - 1) ^ ((1 << self._counts_bits) - 1)
        self._flags = tuple(0x80 << shift for shift in self._shifts)  # "a<pc> is occupied"
        self._any_flag = sum(self._flags)
        self._points: dict[int, tuple[int, ...]] = {}  # the occupied program points, by flags
        self._known: dict[int, _Steps] = {}  # by shared variables * POINTS + pc
        self._expansions: dict[int, _Expansion] = {}  # by key
        self._factorials = [math.factorial(k) for k in range(n + 1)]
        self._locked = operator.itemgetter(*(PCS + pc for pc in sorted(_LOCKED)))
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
        """The int of ``(lock, gate_1, gate_2, rdv, c_0, ..., c_12)``, a byte each (the first
        the highest); :class:`ValueError` if an entry is not in 0..255."""
        try:
            return int.from_bytes(bytes(entries), "big")
        except ValueError:
            raise ValueError(f"{entries}: an entry does not fit a byte") from None

    def unpack(self, state: int) -> State:
        """``(lock, gate_1, gate_2, rdv, c_0, ..., c_12)`` of a packed state."""
        return tuple(state.to_bytes(ENTRIES, "big"))

    # --- the transition system ---------------------------------------------------------

    def initial_states(self) -> Iterable[int]:
        return [self.pack((1, 0, 0, 0, self.n, *([0] * (POINTS - 1))))]

    def _moves(self, shared: int, pc: int) -> _Steps:
        """The steps of one process at ``a<pc>`` with these shared variables: the concrete
        model's steps of a one-process state, as additions to a packed state (asked only
        when some process is at ``a<pc>``, so a step leaving the packed fields is an error)."""
        entries = tuple(shared.to_bytes(PCS, "big"))
        bits, shifts, gate_2 = self._counts_bits, self._shifts, entries[GATE_2]
        base = (shared << bits) + (1 << shifts[pc])
        targets: list[int] = []
        deltas: list[int] = []
        checked: list[int] = []
        for _, post in self.model.successors((*entries, pc)):
            target = post[PCS]
            try:
                after = int.from_bytes(bytes(post[:PCS]), "big") << bits
            except ValueError:
                raise ValueError(
                    f"a step from a{pc} leaves the packed fields: {post[:PCS]} is not bytes"
                ) from None
            delta = after + (1 << shifts[target]) - base
            targets.append(target)
            deltas.append(delta)
            if not _free(pc, target, gate_2, post[GATE_2]):
                checked += (target, delta)
        moves = (tuple(targets), tuple(deltas), tuple(checked))
        self._known[shared * POINTS + pc] = moves
        return moves

    def _parts(self, key: int) -> list[tuple[int, _Steps]]:
        """Each occupied program point of the states with this key (these shared variables,
        and processes at these program points), in order, with its steps."""
        shared = key >> self._counts_bits
        occupied = key & self._any_flag
        points = self._points.get(occupied)
        if points is None:
            points = tuple(pc for pc, flag in enumerate(self._flags) if occupied & flag)
            self._points[occupied] = points
        known, first = self._known, shared * POINTS
        return [(pc, known.get(first + pc) or self._moves(shared, pc)) for pc in points]

    def _expansion(self, key: int) -> _Expansion:
        """What the explorer needs of the states with this key, remembered."""
        checked: list[int] = []
        deltas: tuple[int, ...] = ()
        for pc, (_, more, checks) in self._parts(key):
            deltas += more
            for i in range(0, len(checks), 2):
                checked += (pc, checks[i], checks[i + 1])
        expansion = self._expansions[key] = (tuple(checked), deltas)
        return expansion

    def successors(self, state: int) -> list[tuple[object, int]]:
        key = (state + self._occupy) & self._key_mask
        return [
            ((pc, target), state + delta)
            for pc, (targets, deltas, _) in self._parts(key)
            for target, delta in zip(targets, deltas, strict=True)
        ]

    def successor_states(self, state: int) -> list[int]:
        """The states of :meth:`successors`, in its order (the explorer's label-free path; the
        steps of a key are remembered for this one)."""
        key = (state + self._occupy) & self._key_mask
        expansion = self._expansions.get(key)
        if expansion is None:
            expansion = self._expansion(key)
        return [state + delta for delta in expansion[1]]

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

    # --- the invariants over counts (``entries``: the bytes of a packed state) --------

    def fused_checks(self) -> CountedBarriersChecks | None:
        """One state check for the four invariants (one unpacking), the refinement as an
        expansion check."""
        return CountedBarriersChecks(self) if self._invariants else None

    def _type_ok(self, state: int) -> str | None:
        return self._type_ok_of(state.to_bytes(ENTRIES, "big"))

    def _lock_inv(self, state: int) -> str | None:
        return self._lock_inv_of(state.to_bytes(ENTRIES, "big"))

    def _inv(self, state: int) -> str | None:
        return self._inv_of(state.to_bytes(ENTRIES, "big"))

    def _flush(self, state: int) -> str | None:
        return self._flush_of(state.to_bytes(ENTRIES, "big"))

    def _type_ok_of(self, entries: bytes) -> str | None:
        counts = entries[PCS:]
        if entries[LOCK] not in (0, 1):
            return f"lock is {entries[LOCK]}, not 0 or 1"
        if sum(counts) != self.n:
            return f"the counts {tuple(counts)} are not {self.n} processes at a0..a12"
        return None  # fields are never negative: a decrement below 0 is caught below

    def _lock_inv_of(self, entries: bytes) -> str | None:
        holders = sum(self._locked(entries))
        if holders > 1:
            return f"{holders} processes are all inside the lock"
        if holders and entries[LOCK] != 0:
            return "a process is inside the lock but lock=1"
        return None

    def _inv_of(self, e: bytes) -> str | None:
        why = inv_clauses(self.n, e[GATE_1], e[GATE_2], e[RDV], e[PCS:])
        return None if why is None else f"{why}: {self.describe(int.from_bytes(e, 'big'))}"

    def _flush_of(self, entries: bytes) -> str | None:
        gate_1, gate_2 = entries[GATE_1], entries[GATE_2]
        if gate_1 and gate_1 != sum(entries[PCS : PCS + 7]):  # a0..a6
            return f"gate_1={gate_1} differs from the processes in chamber 1"
        if gate_2 and gate_2 != sum(entries[PCS + 7 :]):  # a7..a12
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
        gate_2_before, gate_2_after = pre >> gate_2_shift & mask, post >> gate_2_shift & mask
        if _free(source, target, gate_2_before, gate_2_after):
            return None
        before_map = _B1_GATE_2_OPEN if gate_2_before else _B1_GATE_2_SHUT
        after_map = _B1_GATE_2_OPEN if gate_2_after else _B1_GATE_2_SHUT
        b_before, b_after = before_map[source], after_map[target]
        if before_map is after_map:  # not free: the mover alone leaves the barrier
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


def _free(source: int, target: int, gate_2_before: int, gate_2_after: int) -> bool:
    """Whether a move of one process from ``a<source>`` to ``a<target>``, with gate_2 as given
    before and after, is a step of Barrier.tla whatever the other processes' program points:
    gate_2 neither opens nor shuts (so no other process's abstract pc changes) and the mover
    stays where it is abstractly or enters the barrier (b0)."""
    if bool(gate_2_before) != bool(gate_2_after):
        return False
    b_map = _B1_GATE_2_OPEN if gate_2_before else _B1_GATE_2_SHUT
    return not b_map[source] or b_map[source] == b_map[target]


class CountedBarriersChecks:
    """The fused checks of :class:`CountedBarriersTLA`: the four state invariants on one
    unpacked state (the named checks' own functions, in their order), the refinement once per
    expanded state on the moves that need it (:attr:`refines_all`)."""

    def __init__(self, model: CountedBarriersTLA) -> None:
        type_ok, lock_inv, flush, n = (
            model._type_ok_of,
            model._lock_inv_of,
            model._flush_of,
            model.n,
        )

        def state(s: int) -> str | None:
            e = s.to_bytes(ENTRIES, "big")
            # the named checks' functions in their order (Inv's without its message: the
            # explorer names the failing invariant and asks it); a message is never empty
            return (
                type_ok(e)
                or lock_inv(e)
                or inv_clauses(n, e[GATE_1], e[GATE_2], e[RDV], e[PCS:])
                or flush(e)
            )

        expansions, expansion, occupy, key_mask, refines = (
            model._expansions,
            model._expansion,
            model._occupy,
            model._key_mask,
            model._refines,
        )

        def refines_all(s: int) -> tuple[object, int, str] | None:
            # RefinesBarrier on every step out of s: the first failing one as (label, post,
            # message), or None. The _free moves are skipped: _refines passes them once their
            # counts are a step of one process, which successors makes them by construction
            # (one count moved by a precomputed delta); the steps are the ones successor_states
            # moves by (remembered by key)
            key = (s + occupy) & key_mask
            checked = (expansions.get(key) or expansion(key))[0]
            for i in range(0, len(checked), 3):
                label, post = (checked[i], checked[i + 1]), s + checked[i + 2]
                message = refines(s, label, post)
                if message is not None:
                    return label, post, message
            return None

        self.state = state
        self.refines_all = refines_all

    def state_checks(self) -> tuple[tuple[str, Callable[[int], str | None]], ...]:
        return ((FUSED, self.state),)

    def transition_checks(self) -> tuple[tuple[str, Callable[..., str | None]], ...]:
        return ()  # RefinesBarrier is an expansion check

    def expansion_checks(self) -> tuple[tuple[str, Callable[..., object]], ...]:
        return (("RefinesBarrier", self.refines_all),)
