"""The two-chamber semaphore barrier of tlaplus/Examples ``specifications/barriers/Barriers.tla``.

An outside check of the explorer: TLC's published and measured figures for this spec
(N=6: 29,279 distinct of 104,515 generated, depth 93; N=7: 125,445 / 513,521; N=8:
536,319 / 2,476,393; N=9: 2,289,797 / 11,769,967; by symmetry 368 / 525 / 720 distinct at
N=6/7/8) must come out of :func:`explore` exactly.

The algorithm, per process, loops over thirteen program points a0..a12:
a0 (local work), a1 take the lock, a2 ``rdv += 1``, a3 if ``rdv = N`` go to a4 else a5,
a4 open chamber 1 (``gate_1 += N``), a5 release the lock, a6 pass gate_1 (wait until it is
positive, then decrement), a7 take the lock, a8 ``rdv -= 1``, a9 if ``rdv = 0`` go to a10 else
a11, a10 open chamber 2 (``gate_2 += N``), a11 release the lock, a12 pass gate_2, back to a0.
Each labelled step is one atomic transition of one process, as in the PlusCal translation.

State: a flat tuple ``(lock, gate_1, gate_2, rdv, pc_1, ..., pc_N)`` with pcs as ints 0..12.
Processes are interchangeable, so sorting the pc vector is a symmetry (``canonical``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tests.spec.models.common import Checked, permutations_of

from barrierspec.spec import Invariant, TransitionInvariant

State = tuple[int, ...]

LOCK, GATE_1, GATE_2, RDV = 0, 1, 2, 3
PCS = 4  # index of the first process's pc

# Program points where a process holds the lock (LockInv's lockcs).
_LOCKED = frozenset({2, 3, 4, 5, 8, 9, 10, 11})
# Barrier.tla's pc of a process, by program point, as byte translation tables (1 = b1, inside
# the barrier): a1..a10 are inside; a11/a12 are inside until gate_2 opens; a0 is outside.
_B1_GATE_2_SHUT = bytes(int(1 <= pc <= 12) for pc in range(256))
_B1_GATE_2_OPEN = bytes(int(1 <= pc <= 10) for pc in range(256))


class BarriersTLA(Checked[State]):
    """Barriers.tla for ``n`` processes as a :class:`TransitionSystem` over flat tuples.

    ``checks=False`` drops the invariants (for raw-speed benchmarks).
    """

    def __init__(self, n: int, *, checks: bool = True) -> None:
        if n < 1:
            raise ValueError(f"Barriers.tla needs N >= 1 processes, got {n}")
        self.n = n
        self.name = f"Barriers.tla N={n}"
        self._labels = [[f"p{i + 1}: a{pc}" for pc in range(13)] for i in range(n)]
        self._invariants = ()
        self._steps = ()
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
        return [(1, 0, 0, 0, *([0] * self.n))]

    def successors(self, state: State) -> list[tuple[object, State]]:
        n = self.n
        lock, gate_1, gate_2, rdv = state[LOCK], state[GATE_1], state[GATE_2], state[RDV]
        labels = self._labels
        out: list[tuple[object, State]] = []
        add = out.append
        k = PCS - 1
        for pc in state[PCS:]:
            k += 1
            if pc in (0, 3, 9):  # local steps: a0 skip, a3 / a9 branch on rdv
                nxt = list(state)
                if pc == 0:
                    nxt[k] = 1
                elif pc == 3:
                    nxt[k] = 4 if rdv == n else 5
                else:
                    nxt[k] = 10 if rdv == 0 else 11
            elif pc in (1, 7):  # take the lock
                if lock != 1:
                    continue
                nxt = list(state)
                nxt[LOCK] = 0
                nxt[k] = pc + 1
            elif pc in (5, 11):  # release the lock
                nxt = list(state)
                nxt[LOCK] = 1
                nxt[k] = pc + 1
            elif pc in (2, 8):  # rdv += 1 on the way in, -= 1 on the way out
                nxt = list(state)
                nxt[RDV] = rdv + 1 if pc == 2 else rdv - 1
                nxt[k] = pc + 1
            elif pc == 6:  # Wait(gate_1)
                if not gate_1:
                    continue
                nxt = list(state)
                nxt[GATE_1] = gate_1 - 1
                nxt[k] = 7
            elif pc == 12:  # Wait(gate_2)
                if not gate_2:
                    continue
                nxt = list(state)
                nxt[GATE_2] = gate_2 - 1
                nxt[k] = 0
            elif pc == 4:  # Signal(gate_1)
                nxt = list(state)
                nxt[GATE_1] = gate_1 + n
                nxt[k] = 5
            else:  # a10: Signal(gate_2)
                nxt = list(state)
                nxt[GATE_2] = gate_2 + n
                nxt[k] = 11
            add((labels[k - PCS][pc], tuple(nxt)))
        return out

    def canonical(self, state: State) -> State:
        return state[:PCS] + tuple(sorted(state[PCS:]))

    def orbit_size(self, state: State) -> int:
        """How many pc vectors are permutations of this one (a multinomial coefficient)."""
        return permutations_of(state[PCS:])

    def stuck(self, state: State) -> str | None:
        return "every process is blocked: " + self.describe(state)

    def documented_hang(self, state: State) -> str | None:
        return None

    def describe(self, state: State) -> str:
        pcs = " ".join(f"a{pc}" for pc in state[PCS:])
        return (
            f"lock={state[LOCK]} gate_1={state[GATE_1]} gate_2={state[GATE_2]} "
            f"rdv={state[RDV]} pc=[{pcs}]"
        )

    # --- invariants (one concern each) ----------------------------------------------------

    def _type_ok(self, state: State) -> str | None:
        if state[LOCK] not in (0, 1):
            return f"lock is {state[LOCK]}, not 0 or 1"
        if state[GATE_1] < 0 or state[GATE_2] < 0:
            return f"a semaphore went negative: gate_1={state[GATE_1]} gate_2={state[GATE_2]}"
        if not all(0 <= pc <= 12 for pc in state[PCS:]):
            return f"a pc is outside a0..a12: {state[PCS:]}"
        return None

    def _lock_inv(self, state: State) -> str | None:
        holders = [i + 1 for i, pc in enumerate(state[PCS:]) if pc in _LOCKED]
        if len(holders) > 1:
            return f"processes {holders} are all inside the lock"
        if holders and state[LOCK] != 0:
            return f"process {holders[0]} is inside the lock but lock=1"
        return None

    def _inv(self, state: State) -> str | None:
        count = [0] * 13
        for pc in state[PCS:]:
            count[pc] += 1
        why = inv_clauses(self.n, state[GATE_1], state[GATE_2], state[RDV], count)
        return None if why is None else f"{why}: {self.describe(state)}"

    def _flush(self, state: State) -> str | None:
        pcs = state[PCS:]
        if state[GATE_1] and state[GATE_1] != sum(pc <= 6 for pc in pcs):
            return f"gate_1={state[GATE_1]} differs from the processes in chamber 1"
        if state[GATE_2] and state[GATE_2] != sum(pc >= 7 for pc in pcs):
            return f"gate_2={state[GATE_2]} differs from the processes in chamber 2"
        return None

    # --- refinement of Barrier.tla as a transition invariant ------------------------------

    def _refines(self, pre: State, label: object, post: State) -> str | None:
        # Barrier.tla's pc per process (1 = b1, inside the barrier), one byte each
        before = bytes(pre[PCS:]).translate(_B1_GATE_2_OPEN if pre[GATE_2] else _B1_GATE_2_SHUT)
        after = bytes(post[PCS:]).translate(_B1_GATE_2_OPEN if post[GATE_2] else _B1_GATE_2_SHUT)
        if before == after:
            return None  # a stuttering step of Barrier.tla
        changed = [i for i in range(self.n) if before[i] != after[i]]
        if len(changed) == 1 and not before[changed[0]]:
            return None  # b0(p): one process enters the barrier
        if all(before) and not any(after):
            return None  # b1: everybody leaves together
        return f"{label} is no step of Barrier.tla: processes {[i + 1 for i in changed]} moved"


def inv_clauses(n: int, gate_1: int, gate_2: int, rdv: int, count: Sequence[int]) -> str | None:
    """The first clause of Barriers.tla's inductive invariant that fails, over the number of
    processes at each program point (``count[k]`` at ``a<k>``), or ``None``. The clauses are
    tried in order, each only if the ones before it hold (a sum is taken only where a clause
    can fail: a shut gate never exceeds a count)."""
    # the semaphores stay within 0..N
    if not (0 <= gate_1 <= n and 0 <= gate_2 <= n):
        return "a gate is outside 0..N"
    # rdv counts the processes between its increment and its decrement (a3..a8)
    if rdv != sum(count[3:9]):
        return "rdv does not count the processes at a3..a8"
    # an open gate has someone about to pass it
    if gate_1 and not count[5] + count[6]:
        return "gate_1 is open with nobody at a5/a6"
    if gate_2 and not count[11] + count[12]:
        return "gate_2 is open with nobody at a11/a12"
    # at least one gate is shut
    if gate_1 and gate_2:
        return "both gates are open"
    # the two chambers' entrances are never occupied at once
    arriving = any(count[0:5])  # a0..a4: on the way into chamber 1
    leaving = any(count[7:11])  # a7..a10: on the way into chamber 2
    if arriving and leaving:
        return "processes enter both chambers at once"
    # gate_1 never admits more than chamber 1 (a0..a6) holds, and is shut while anyone arrives
    if gate_1 and gate_1 > sum(count[0:7]):
        return "gate_1 exceeds the processes in chamber 1"
    if arriving and gate_1:
        return "gate_1 is open while a process arrives"
    # whoever opens chamber 1 does so when everybody else waits at a6
    if count[4] and not (rdv == n and count[6] == n - 1):
        return "a4 without everyone at a6"
    # the same three facts for chamber 2 (a7..a12)
    if gate_2 and gate_2 > sum(count[7:13]):
        return "gate_2 exceeds the processes in chamber 2"
    if leaving and gate_2:
        return "gate_2 is open while a process enters chamber 2"
    if count[10] and not (rdv == 0 and count[12] == n - 1):
        return "a10 without everyone at a12"
    return None
