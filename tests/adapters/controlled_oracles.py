"""Oracles for small controlled programs (``adapters._controlled_programs``).

Each returns the list of violations of one property in a :class:`ProgramRun`, in words; an
empty list means the run kept the property. They hold for the programs they are written for
(stated per function), under every schedule, for any barrier keeping threading.Barrier's
contract.
"""

from __future__ import annotations

from barrierspec.adapters._controlled_programs import ProgramRun

ROUNDS = [["wait", "wait"], ["wait", "wait"]]
"""Two parties, two rounds each (with parties=2): every wait is in the round of its rank."""

READ_N_WAITING = [["wait"], ["wait"], ["n_waiting"]]
"""Two parties fill a round while a third participant reads n_waiting (parties=2)."""


def _returns(run: ProgramRun, p: int) -> list[int]:
    return [i for i, e in enumerate(run.log) if e[0] == "return" and e[1] == p]


def rounds(run: ProgramRun, parties: int) -> list[str]:
    """For ROUNDS-like programs (each of ``parties`` participants waits k times): everyone
    returns, round r's indices are 0..parties-1, the action of round r ends before any party
    of round r returns."""
    if run.unfinished:
        return [f"P{p} never finished its script" for p in sorted(run.unfinished)]
    out = []
    ends = [i for i, e in enumerate(run.log) if e[0] == "action-end"]
    per_party = [_returns(run, p) for p in range(parties)]
    for r in range(min(len(x) for x in per_party)):
        values = sorted(run.log[x[r]][2] for x in per_party)  # type: ignore[type-var]
        if values != list(range(parties)):
            out.append(f"round {r}: indices {values}")
        first_return = min(x[r] for x in per_party)
        if ends and (r >= len(ends) or ends[r] > first_return):
            out.append(f"round {r}: a party returned before the round's action ended")
    return out


def n_waiting(run: ProgramRun, parties: int) -> list[str]:
    """n_waiting is never negative nor above parties - 1 (those blocked in a filling round)."""
    values = [e[2] for e in run.events("return") if not isinstance(e[2], bool) and e[1] >= parties]
    return [f"n_waiting read {v} with parties={parties}" for v in values if not 0 <= v < parties]  # type: ignore[operator]
