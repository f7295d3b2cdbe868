"""An oracle for small asyncio programs on the controlled loop, and the programs it judges.

:func:`violations` holds under every schedule, for any barrier keeping asyncio.Barrier's
contract, for programs whose participants only wait, cancel, reset and read (no abort): every
returned index and every ``n_waiting`` read is in ``range(parties)``; at quiescence, only
waits are left pending, and fewer than ``parties`` of them (a filling round; released and
woken tasks always resume, and a reset round empties). It does not check that the indices of
one round are distinct (asyncio.Barrier breaks that, gh-155233, and is still accepted here).
"""

from __future__ import annotations

from barrierspec.adapters._controlled_programs import ProgramRun

# name -> (parties, scripts): the programs of the window tests
PROGRAMS: dict[str, tuple[int, list[list[object]]]] = {
    # two rounds of two, a third task cancels P0 once, somewhere
    "cancel": (2, [["wait", "wait"], ["wait", "wait"], [("cancel", 0)]]),
    # two rounds of two, a third task cancels P1 once (P1 may be a blocked newcomer then)
    "cancel newcomer": (2, [["wait", "wait"], ["wait", "wait"], [("cancel", 1)], ["wait"]]),
    # two rounds of two
    "rounds": (2, [["wait", "wait"], ["wait", "wait"]]),
    # two rounds of two, a third task resets once
    "reset": (2, [["wait", "wait"], ["wait", "wait"], ["reset"]]),
}


def _last_call(run: ProgramRun, p: int) -> object:
    calls = [e[2] for e in run.log if e[0] == "call" and e[1] == p]
    return calls[-1] if calls else None


def _is_wait(op: object) -> bool:
    return op == "wait" or (isinstance(op, tuple) and op[0] == "wait")


def violations(run: ProgramRun, parties: int) -> list[str]:
    """What the run breaks of the contract (see the module docstring); [] if nothing."""
    if run.overdue is not None:
        return [f"P{run.overdue} overran its turn"]
    out = []
    reads: dict[int, object] = {}
    for kind, p, value in run.log:
        if kind == "call":
            reads[p] = value
        elif kind == "return" and reads.get(p) in ("wait", "n_waiting"):  # noqa: SIM102
            if not isinstance(value, int) or value not in range(parties):
                out.append(f"P{p}'s {reads[p]} returned {value!r} with parties={parties}")
    blocked = sorted(p for p in run.unfinished if _is_wait(_last_call(run, p)))
    stuck = sorted(set(run.unfinished) - set(blocked))
    out += [f"P{p} is still inside {_last_call(run, p)!r}" for p in stuck]
    if len(blocked) >= parties:
        out.append(f"{len(blocked)} tasks blocked in wait() with parties={parties}: {blocked}")
    return out
