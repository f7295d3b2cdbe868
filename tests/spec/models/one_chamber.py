"""A broken barrier: Barriers.tla with its second chamber removed, so a fast process laps.

The known-bad model the explorer must reject. Each process loops over seven program points:
a0 (local work), a1 take the lock, a2 ``rdv += 1``, a3 if ``rdv = N`` go to a4 else a5,
a4 open the gate (``gate += N``) and reset ``rdv := 0`` for the next round, a5 release the
lock, a6 pass the gate (wait until it is positive, then decrement) and go back to a0.

The flaw: the gate holds N tokens, one meant for each process, but nothing stops a process
that passed from running round the loop and taking a second token before a slow process took
its first. A ghost counter per process counts the passes through the gate; the barrier
property says no process is ever two passes ahead of another. Passes are stored relative to
the slowest process (minus the minimum), which keeps the state space finite up to the first
violation.

State: ``(lock, gate, rdv, (pc_1, pass_1), ..., (pc_N, pass_N))``; processes are
interchangeable, so sorting the (pc, pass) pairs is a symmetry.
"""

from __future__ import annotations

from collections.abc import Iterable

from tests.spec.models.common import Checked, permutations_of

from barrierspec.spec import Invariant

Proc = tuple[int, int]
State = tuple[object, ...]

LOCK, GATE, RDV = 0, 1, 2
PROCS = 3


def _procs(state: State) -> tuple[Proc, ...]:
    return state[PROCS:]  # type: ignore[return-value]


class OneChamberBarrier(Checked[State]):
    """The lapping one-chamber semaphore barrier for ``n`` processes."""

    def __init__(self, n: int) -> None:
        if n < 2:
            raise ValueError(f"lapping needs at least 2 processes, got {n}")
        self.n = n
        self.name = f"one-chamber barrier N={n}"
        self._invariants = (
            Invariant("NoLapping", "no process is two passes ahead of another", self.no_lapping),
        )

    def initial_states(self) -> Iterable[State]:
        return [(1, 0, 0, *([(0, 0)] * self.n))]

    def successors(self, state: State) -> list[tuple[object, State]]:
        lock, gate, rdv = state[LOCK], state[GATE], state[RDV]
        assert isinstance(lock, int) and isinstance(gate, int) and isinstance(rdv, int)
        procs = _procs(state)
        out: list[tuple[object, State]] = []
        for i, (pc, passes) in enumerate(procs):
            shared = (lock, gate, rdv)
            moved: Proc
            if pc == 0:
                moved = (1, passes)
            elif pc == 1:
                if lock != 1:
                    continue
                shared, moved = (0, gate, rdv), (2, passes)
            elif pc == 2:
                shared, moved = (lock, gate, rdv + 1), (3, passes)
            elif pc == 3:
                moved = (4 if rdv == self.n else 5, passes)
            elif pc == 4:
                shared, moved = (lock, gate + self.n, 0), (5, passes)
            elif pc == 5:
                shared, moved = (1, gate, rdv), (6, passes)
            else:
                if gate == 0:
                    continue
                shared, moved = (lock, gate - 1, rdv), (0, passes + 1)
            after = (*procs[:i], moved, *procs[i + 1 :])
            low = min(p for _, p in after)
            if low:
                after = tuple((q, p - low) for q, p in after)
            out.append((f"p{i + 1}: a{pc}", (*shared, *after)))
        return out

    def no_lapping(self, state: State) -> str | None:
        passes = [p for _, p in _procs(state)]
        if max(passes) - min(passes) <= 1:
            return None
        fast = passes.index(max(passes)) + 1
        slow = passes.index(min(passes)) + 1
        return (
            f"process {fast} passed the gate {max(passes) - min(passes)} times more "
            f"than process {slow}"
        )

    def canonical(self, state: State) -> State:
        return (*state[:PROCS], *sorted(_procs(state)))

    def orbit_size(self, state: State) -> int:
        return permutations_of(_procs(state))

    def stuck(self, state: State) -> str | None:
        return "every process is blocked"

    def documented_hang(self, state: State) -> str | None:
        return None

    def describe(self, state: State) -> str:
        procs = " ".join(f"a{pc}/{p}" for pc, p in _procs(state))
        return f"lock={state[LOCK]} gate={state[GATE]} rdv={state[RDV]} pc/passes=[{procs}]"
