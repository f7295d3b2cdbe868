"""Choosers for the controlled runtime, and a bounded exhaustive enumeration of schedules.

A *decision* is the choice made at a turn where more than one participant was runnable;
turns with a single runnable participant are forced and not recorded. A schedule is the
list of its decisions, so replaying the same decisions on the same program gives the same
trace (the runtime is deterministic given its choices).

* :class:`Scripted` replays a list of decisions, then continues non-preemptively.
* :class:`PCT` is the priority scheduler of Burckhardt et al. (ASPLOS 2010): random distinct
  priorities, the highest-priority runnable participant runs, and at ``depth - 1`` random
  turns the running participant drops below every other.
* :func:`enumerate_schedules` runs a program under every schedule with at most
  ``bound`` preemptions (choosing another participant while the last one could go
  on), depth first, stateless (each schedule is a fresh run of the program).
* :class:`Schedule` is the schedule *part of a drawn program* (what the conformance search
  draws, enumerates and shrinks): option ranks for the first decisions, then PCT or
  non-preemptive. :class:`Ranked` is its chooser; :func:`next_schedule` steps a depth-first
  enumeration in ranks. Ranks, not participant ids, so every drawn schedule is executable
  and shrinks towards 0, the non-preemptive default.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

__all__ = [
    "PCT",
    "Decision",
    "Ranked",
    "ReplayDivergedError",
    "Schedule",
    "Scripted",
    "enumerate_schedules",
    "next_schedule",
    "non_preemptive",
    "preemptions",
]

T = TypeVar("T")
Decision = tuple[tuple[int, ...], int | None, int]
"""One decision: the runnable participants, the one that ran last, the one chosen."""


def non_preemptive(runnable: Sequence[int], last: int | None) -> int:
    """Keep the participant that ran last while it can run, else the lowest id."""
    return last if last is not None and last in runnable else runnable[0]


class ReplayDivergedError(RuntimeError):
    """A scripted decision named a participant that was not runnable at that turn."""


def preemptions(decisions: Sequence[tuple[Sequence[int], int | None, int]]) -> int:
    """How many decisions (runnable, last, chosen) switched away from a runnable last one."""
    return sum(1 for runnable, last, chosen in decisions if last in runnable and chosen != last)


@dataclass
class Scripted:
    """Replays ``choices`` at the turns with a choice, then chooses non-preemptively.

    A chooser for :class:`~barrierspec.adapters._controlled_runtime.Scheduler`. ``turns``
    records who got every turn; ``decisions`` every decision, as (runnable, last, chosen).
    """

    choices: Sequence[int] = ()
    decisions: list[tuple[tuple[int, ...], int | None, int]] = field(default_factory=list)
    turns: list[int] = field(default_factory=list)

    def __call__(self, runnable: list[int]) -> int:
        chosen = self._choose(runnable, self.turns[-1] if self.turns else None)
        self.turns.append(chosen)
        return chosen

    def _choose(self, runnable: list[int], last: int | None) -> int:
        if len(runnable) == 1:
            return runnable[0]
        step = len(self.decisions)
        if step < len(self.choices):
            chosen = self.choices[step]
            if chosen not in runnable:
                raise ReplayDivergedError(
                    f"decision {step}: participant {chosen} is not runnable (runnable: "
                    f"{list(runnable)})"
                )
        else:
            chosen = non_preemptive(runnable, last)
        self.decisions.append((tuple(runnable), last, chosen))
        return chosen


class PCT:
    """A PCT priority chooser for ``participants`` threads, seeded (see the module docstring).

    ``steps`` bounds the turn at which the ``depth - 1`` priority change points fall.
    """

    def __init__(self, seed: int, participants: int, *, depth: int = 2, steps: int = 50) -> None:
        if depth < 1 or steps < 1 or participants < 1:
            raise ValueError(
                f"PCT needs depth, steps and participants >= 1, got {depth}, {steps}, "
                f"{participants}"
            )
        rng = random.Random(seed)
        ranks = list(range(depth, depth + participants))
        rng.shuffle(ranks)
        self._priority = dict(enumerate(ranks))
        self._changes = dict(
            zip(sorted(rng.sample(range(steps), depth - 1)), range(depth - 1), strict=True)
        )
        self._turn = 0
        self._last: int | None = None

    def __call__(self, runnable: list[int]) -> int:
        low = self._changes.get(self._turn)
        if low is not None and self._last is not None:
            self._priority[self._last] = low
        self._turn += 1
        self._last = max(runnable, key=lambda pid: self._priority.get(pid, -1))
        return self._last


def enumerate_schedules(
    program: Callable[[Scripted], T], *, bound: int, max_runs: int
) -> Iterator[tuple[tuple[int, ...], T]]:
    """Yield (decisions, result) for every schedule of ``program`` within the bound.

    ``program(chooser)`` runs the program afresh under a scheduler using ``chooser`` and
    returns its result; the decisions yielded are the ones that run made. Raises
    RuntimeError if more than ``max_runs`` schedules exist, so a caller never mistakes a
    cut-off enumeration for an exhaustive one.
    """
    prefix: list[int] = []
    for _ in range(max_runs):
        chooser = Scripted(prefix)
        result = program(chooser)
        made = chooser.decisions
        yield tuple(chosen for _r, _l, chosen in made), result
        prefix = _next_prefix(made, bound)
        if not prefix:
            return
    raise RuntimeError(f"more than {max_runs} schedules within {bound} preemptions")


def _order(pid: int, last: int | None) -> tuple[int, int]:
    """Depth-first order of the options at one decision: the default (non-preemptive) first."""
    return (0 if pid == last else 1, pid)


def _next_prefix(made: Sequence[Decision], budget: int) -> list[int]:
    """The decisions of the next schedule in depth-first order ([] when none is left)."""
    for index in range(len(made) - 1, -1, -1):
        runnable, last, chosen = made[index]
        for option in sorted(runnable, key=lambda pid: _order(pid, last)):
            if _order(option, last) <= _order(chosen, last):
                continue
            trial = [*made[:index], (runnable, last, option)]
            if preemptions(trial) <= budget:
                return [c for _r, _l, c in trial]
    return []


def options(runnable: Sequence[int], last: int | None) -> list[int]:
    """The options of one decision by rank: 0 is the default (the participant that ran last,
    if it can go on, else the lowest id), then the others by id."""
    return sorted(runnable, key=lambda pid: _order(pid, last))


@dataclass(frozen=True)
class Schedule:
    """The schedule part of a program: how every decision of one run is made.

    At its i-th decision the run takes option ``choices[i]`` (a rank, see :func:`options`,
    modulo the number of options); after the last choice, a PCT chooser seeded with ``pct``
    (``depth`` as in :class:`PCT`), or non-preemptive if ``pct`` is None. ``Schedule()`` is
    the non-preemptive schedule every observing driver has anyway.
    """

    choices: tuple[int, ...] = ()
    pct: int | None = None
    depth: int = 2

    def chooser(self, participants: int) -> Ranked:
        """A fresh chooser making this schedule's decisions for ``participants``."""
        return Ranked(self, participants)

    def __str__(self) -> str:
        head = ",".join(map(str, self.choices)) or "-"
        return head + ("" if self.pct is None else f"+pct{self.pct}/{self.depth}")


class Ranked:
    """The chooser of a :class:`Schedule`; records its decisions and describes the ones
    that are not the default through ``note`` (set by the driver: its log)."""

    def __init__(self, schedule: Schedule, participants: int) -> None:
        self.schedule = schedule
        self.decisions: list[Decision] = []
        self.note: Callable[[str], None] | None = None
        self._pct = (
            None if schedule.pct is None else PCT(schedule.pct, participants, depth=schedule.depth)
        )
        self._last: int | None = None

    def __call__(self, runnable: list[int]) -> int:
        tail = None if self._pct is None else self._pct(runnable)  # PCT counts every turn
        last, ranked = self._last, options(runnable, self._last)
        if len(ranked) == 1:
            chosen = ranked[0]
        else:
            step = len(self.decisions)
            if step < len(self.schedule.choices):
                chosen = ranked[self.schedule.choices[step] % len(ranked)]
            else:
                chosen = ranked[0] if tail is None else tail
            self.decisions.append((tuple(runnable), last, chosen))
            if chosen != ranked[0] and self.note is not None:
                self.note(
                    f"schedule: P{chosen} runs to its next scheduling point "
                    f"before P{ranked[0]} goes on"
                )
        self._last = chosen
        return chosen


def rank_of(decision: Decision) -> int:
    """The rank (see :func:`options`) of the option a decision took."""
    runnable, last, chosen = decision
    return options(runnable, last).index(chosen)


def next_schedule(made: Sequence[Decision], bound: int) -> Schedule | None:
    """The next schedule after one that made ``made``, depth first, with at most ``bound``
    preemptions (None: every such schedule was tried). Stateless: replays a prefix."""
    prefix = _next_prefix(made, bound)
    if not prefix:
        return None
    pairs = zip(made, prefix, strict=False)
    return Schedule(tuple(rank_of((runnable, last, c)) for (runnable, last, _c), c in pairs))
