"""Searching one property's programs for a failure, and shrinking it.

A program is run by a *runner* (:data:`Runner`): ``runner(parties, program, schedule)`` runs
the drawn instructions under a :class:`~barrierspec.adapters._controlled_schedules.Schedule`
and returns the :class:`~._runner.Run`, whose ``decisions`` say what the schedule decided at
each turn with more than one runnable participant. A controlled runner (threads today; any
runner whose driver takes a chooser) makes the schedule part of the program; an observing
one ignores it and reports no decisions. That is the whole interface between the search and
a driver.

Two phases share one time budget:

1. *Small scope*: every program of up to five instructions (as time allows) over the property's key
   operations (a wait, and what the property is about: a kill, a cancel, a reset ...), with 2
   then 3 parties, shortest first; under control, each program under every schedule with at
   most :data:`PREEMPTIONS` preemptions (at most :data:`SCHEDULES_PER_PROGRAM` of them).
   Shallow bugs are found deterministically, already minimal. Then the *scope sweep*
   (properties with ``sweep``): for 1 up to ``InputSpace.max_parties`` parties, one program
   of plain waits filling ``InputSpace.max_rounds`` rounds (``SWEEP_WIDE_ROUNDS`` rounds
   beyond ``SWEEP_DEEP_PARTIES`` parties, to bound its cost; ``SWEEP_WIDE_ROUNDS_CONTROLLED``
   under a controlled driver, whose steps are cheap), under the default schedule, so
   bugs that need many parties or a late round are found deterministically.
2. *Random*: Hypothesis draws whole programs (swarm-style, see ``_program``) -- under control
   with their schedule: a few decisions drawn as ranks, then a seeded PCT scheduler or the
   non-preemptive default -- and shrinks the first failure to a minimal program and schedule,
   within a shrink budget.

How long a search runs is one of three things (:class:`Budget`):

* *counted* (``programs=N``; every search under a controlled driver): exactly N programs,
  a program under a schedule counting once (the schedule is part of the program): the
  small scope gets up to :data:`SMALL_SHARE` of them, the sweep its few, the random phase
  the rest, each drawn example run under :data:`VARIANTS` schedules (the drawn one, then
  PCT schedules with other seeds), so Hypothesis's cost per program is shared; shrinking
  runs at most :data:`SEEDED_SHRINK_RUNS` programs. The same seed runs the same programs on
  any machine, however loaded. The wall clock is only a safety cap (``cap`` seconds); a
  search it stops says so (:attr:`Searched.cut`) and reports the programs that ran.
* *seeded* (``budget=None``, an observing driver): the small scope runs the first
  ``min(SEEDED_SMALL_PROGRAMS, 4 * max(examples, MIN_SMALL))`` programs of its order, the
  random phase exactly ``examples``, shrinking at most ``SEEDED_SHRINK_RUNS`` programs; no
  clock is read.
* *timed* (``budget`` seconds, an unseeded observing run): the small scope until
  ``SMALL_SCOPE_SHARE`` of the budget, then the random phase until the budget is spent;
  shrinking gets ``shrink_budget`` seconds.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable

import attrs
from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky, NoSuchExample

from barrierspec.adapters._controlled_schedules import Schedule, next_schedule
from barrierspec.conformance import _properties as props
from barrierspec.conformance._program import FULL_SPACE, InputSpace, Instruction, instructions
from barrierspec.conformance._runner import Run

__all__ = [
    "PREEMPTIONS",
    "SCHEDULES_PER_PROGRAM",
    "VARIANTS",
    "Budget",
    "Runner",
    "Searched",
    "schedules",
    "search",
]

Runner = Callable[[int, list[Instruction], Schedule], Run]
"""Runs (parties, program) under a schedule (see the module docstring)."""


class _OutOfTime(Exception):  # noqa: N818 -- a signal, not an error
    """Raised inside the search condition when the property's time is up."""


SMALL_SCOPE_LENGTH = 5
SMALL_SCOPE_SHARE = 0.4  # of the budget
SEEDED_SMALL_PROGRAMS = 130  # a seeded search's small scope: this many programs, in order
MIN_SMALL = 12  # ... or four times the random examples (at least this many), if fewer
SWEEP_DEEP_PARTIES = 3  # the sweep fills every round up to max_rounds up to this many parties
SWEEP_WIDE_ROUNDS = 2  # ... and this many rounds with more parties (observed drivers)
SWEEP_WIDE_ROUNDS_CONTROLLED = 4  # ... under a controlled driver, where a step costs little
SEEDED_SHRINK_RUNS = 200  # programs a seeded search may run while shrinking a failure
PREEMPTIONS = 1  # small scope: schedules with at most this many preemptions
SCHEDULES_PER_PROGRAM = 4  # ... and at most this many schedules of one program
DRAWN_DECISIONS = 6  # random phase: decisions drawn as ranks before PCT (or the default)
SMALL_SHARE = 0.6  # a counted search: the small scope's share of the programs
VARIANTS = 4  # a counted search: schedules each drawn example runs under (controlled)


@attrs.frozen
class Budget:
    """How long one property's search runs (see the module docstring).

    ``programs``: a counted search of that many programs (``cap``: its safety cap in
    seconds, None for none); else ``seconds`` (None: a seeded search), ``examples`` random
    programs, and ``shrink`` seconds of shrinking (timed searches).
    """

    examples: int = 40
    seconds: float | None = None
    shrink: float = 6.0
    programs: int | None = None
    cap: float | None = None


@attrs.frozen
class Searched:
    """What a search did: ``runs`` programs, the minimal failing ``run`` (None: none
    failed), and ``cut``: why a counted search stopped short of its count, if it did."""

    runs: int
    run: Run | None
    cut: str | None = None


def schedules() -> st.SearchStrategy[Schedule]:
    """Drawn schedules: up to DRAWN_DECISIONS ranks, then PCT (seeded) or non-preemptive.
    Shrinks towards ``Schedule()``: no choices, no PCT."""
    ranks = st.lists(st.integers(0, 3), max_size=DRAWN_DECISIONS).map(tuple)
    pct = st.none() | st.integers(0, 2**16)
    return st.builds(Schedule, ranks, pct, st.sampled_from([2, 3]))


def _scheduled(
    runner: Runner,
    parties: int,
    program: list[Instruction],
    controlled: bool,
    room: int | None = None,
) -> tuple[int, Run | None, int | None]:
    """Every schedule of the small scope for one program (at most ``room`` of them):
    (runs, the failing run or None, where the default schedule's run found an inert
    prefix: ``Run.inert``)."""
    schedule: Schedule | None = Schedule()
    runs = 0
    inert: int | None = None
    most = SCHEDULES_PER_PROGRAM if controlled else 1
    most = most if room is None else min(most, room)
    while schedule is not None and runs < most:
        runs += 1
        run = runner(parties, program, schedule)
        if runs == 1:
            inert = run.inert
        if run.failure is not None:
            return runs, run, inert
        schedule = next_schedule(run.decisions, PREEMPTIONS)
    return runs, None, inert


def _redundant(program: tuple[Instruction, ...], inert: set[tuple[Instruction, ...]]) -> bool:
    """Whether ``program`` runs as a shorter one the small scope ran before: it ends with a
    ``hold`` (no step follows it), holds two ``hold`` in a row, or extends a prefix found
    inert (see ``Run.inert``)."""
    kinds = [ins.kind for ins in program]
    if kinds[-1] == props.HOLD or any(
        a == b == props.HOLD for a, b in itertools.pairwise(kinds)
    ):  # a hold with no step after it, or replaced by the next one
        return True
    return any(program[:n] in inert for n in range(1, len(program)))


def _sweep(
    prop: props.Property, runner: Runner, space: InputSpace, deadline: float, controlled: bool
) -> tuple[int, Run | None]:
    """Full rounds of plain waits, for every number of parties up to the space's bound."""
    if not prop.sweep:
        return 0, None
    count = 0
    for parties in range(1, space.max_parties + 1):
        if time.monotonic() > deadline:
            break
        count += 1
        wide = SWEEP_WIDE_ROUNDS_CONTROLLED if controlled else SWEEP_WIDE_ROUNDS
        rounds = space.max_rounds if parties <= SWEEP_DEEP_PARTIES else wide
        program = [Instruction(props.WAIT, 0)] * (parties * min(rounds, space.max_rounds))
        run = runner(parties, program, Schedule())
        if run.failure is not None:
            return count, run
    return count, None


def _small_scope(
    prop: props.Property,
    runner: Runner,
    kinds: list[str],
    deadline: float,
    limit: int | None,
    controlled: bool,
    runs_limit: int | None = None,
) -> tuple[int, Run | None]:
    """Runs of the small scope, and the first failing one; ``limit`` counts programs,
    ``runs_limit`` runs (a program under each of its schedules)."""
    keys = [k for k in prop.key_ops if k in kinds]
    if not keys:
        return 0, None
    # a controlled run's hold is part of its schedule: enumerated with the key operations;
    # with holds, a cancel may land on a held party or on a waiter: both picks are tried
    holds = controlled and props.HOLD in kinds
    alphabet = [Instruction(k, 0) for k in keys + ([props.HOLD] if holds else [])]
    if holds and props.CANCEL in keys:
        alphabet.append(Instruction(props.CANCEL, 1))
    count = programs = 0
    inert: dict[int, set[tuple[Instruction, ...]]] = {2: set(), 3: set()}
    for size in range(1, SMALL_SCOPE_LENGTH + 1):
        for parties in (2, 3):
            if parties > prop.max_parties:
                continue
            for program in itertools.product(alphabet, repeat=size):
                if _redundant(program, inert[parties]):
                    continue
                if time.monotonic() > deadline or programs == limit:
                    return count, None
                if runs_limit is not None and count >= runs_limit:
                    return count, None
                programs += 1
                room = None if runs_limit is None else runs_limit - count
                runs, run, prefix = _scheduled(runner, parties, list(program), controlled, room)
                count += runs
                if run is not None:
                    return count, run
                if prefix is not None and controlled:  # observing runs: every program, as before
                    inert[parties].add(program[: prefix + 1])
    return count, None


def search(
    prop: props.Property,
    runner: Runner,
    kinds: list[str],
    seed: int,
    *,
    budget: Budget,
    controlled: bool = False,
    space: InputSpace = FULL_SPACE,
) -> Searched:
    """Look for a failing program within ``budget`` (see the module docstring); return the
    runs, the minimal failing run if one failed, and why a counted search was cut short.

    ``controlled``: the runner obeys schedules, so they are enumerated and drawn.
    ``space``: the scope (parties, rounds) of the sweep and of the random programs.
    """
    prop = attrs.evolve(prop, max_parties=min(prop.max_parties, space.max_parties))
    if budget.programs is not None:
        return _counted(prop, runner, kinds, seed, budget, controlled, space)
    start = time.monotonic()
    examples = budget.examples
    if budget.seconds is None:
        small_deadline = deadline = shrink = float("inf")
        limit: int | None = min(SEEDED_SMALL_PROGRAMS, 4 * max(examples, MIN_SMALL))
    else:
        seconds = budget.seconds * prop.budget_factor
        small_deadline = start + seconds * SMALL_SCOPE_SHARE
        deadline, shrink, limit = start + seconds, budget.shrink, None
    small, found = _small_scope(prop, runner, kinds, small_deadline, limit, controlled)
    if found is not None:
        return Searched(small, found)
    swept, found = _sweep(prop, runner, space, deadline, controlled)
    small += swept
    if found is not None:
        return Searched(small, found)
    limits = _Limits(deadline, shrink, SEEDED_SHRINK_RUNS if budget.seconds is None else None)
    count, run = _random(
        prop, runner, kinds, seed=seed, examples=examples, limits=limits, controlled=controlled
    )
    return Searched(small + count, run)


def _counted(
    prop: props.Property,
    runner: Runner,
    kinds: list[str],
    seed: int,
    budget: Budget,
    controlled: bool,
    space: InputSpace,
) -> Searched:
    """A counted search: ``budget.programs`` programs in all phases, the clock a cap."""
    assert budget.programs is not None
    total = budget.programs
    cap = float("inf") if budget.cap is None else time.monotonic() + budget.cap
    share = max(1, int(total * SMALL_SHARE))
    runs, found = _small_scope(prop, runner, kinds, cap, None, controlled, share)
    if found is None:
        swept, found = _sweep(prop, runner, space, cap, controlled)
        runs += swept
    if found is None and runs < total:
        limits = _Limits(cap, float("inf"), SEEDED_SHRINK_RUNS, runs=total - runs)
        count, found = _random(
            prop,
            runner,
            kinds,
            seed=seed,
            examples=-(-(total - runs) // (VARIANTS if controlled else 1)),
            limits=limits,
            controlled=controlled,
            variants=VARIANTS if controlled else 1,
        )
        runs += count
    cut = None
    if found is None and runs < total:
        why = (
            f"the {budget.cap:g} s safety cap"
            if time.monotonic() > cap and budget.cap is not None
            else "running out of distinct programs"
        )
        cut = f"stopped by {why} after {runs} of {total} programs"
    return Searched(runs, found, cut)


@attrs.frozen
class _Limits:
    """When the random phase stops: ``deadline`` (monotonic seconds) or ``runs`` programs
    (a counted search) before a failure, then ``shrink`` seconds or ``shrink_runs``
    programs (seeded and counted searches) of shrinking."""

    deadline: float
    shrink: float
    shrink_runs: int | None
    runs: int | None = None


def _variants(schedule: Schedule, variants: int) -> list[Schedule]:
    """The schedules one drawn example runs under: the drawn one, then ``variants - 1``
    PCT schedules with the same drawn choices and other seeds (derived from the drawn
    schedule, so an example always runs the same ones)."""
    base = 0 if schedule.pct is None else schedule.pct + 1
    return [schedule] + [
        Schedule(schedule.choices, base * variants + i, 2 + i % 2) for i in range(1, variants)
    ]


def _random(
    prop: props.Property,
    runner: Runner,
    kinds: list[str],
    *,
    seed: int,
    examples: int,
    limits: _Limits,
    controlled: bool = False,
    variants: int = 1,
) -> tuple[int, Run | None]:
    """Hypothesis's search and shrinking, until the limits; each drawn example runs under
    ``variants`` schedules (see :func:`_variants`) until one fails."""
    deadline, shrink_budget, shrink_runs = limits.deadline, limits.shrink, limits.shrink_runs
    failures: dict[tuple[int, tuple[Instruction, ...], Schedule], Run] = {}
    count = 0

    errors: list[BaseException] = []
    shrink_deadline = [float("inf")]
    first_failure = [0]

    def fails(example: tuple[int, list[Instruction], Schedule]) -> bool:
        parties, program, drawn = example
        if errors:
            return False
        for schedule in _variants(drawn, variants) if variants > 1 else [drawn]:
            if not failures and limits.runs is not None and count >= limits.runs:
                return False  # a counted search ran its programs (raising would be shrunk)
            check_limits()
            run = run_one(parties, program, schedule)
            if run is None:
                return False
            if run.failure is not None:
                if not failures:
                    shrink_deadline[0] = time.monotonic() + shrink_budget
                    first_failure[0] = count
                failures[(parties, tuple(program), schedule)] = run
                return True
        return False

    def check_limits() -> None:
        now = time.monotonic()
        if (not failures and now > deadline) or (failures and now > shrink_deadline[0]):
            raise _OutOfTime  # stop Hypothesis at once; keep the smallest failure so far
        if failures and shrink_runs is not None and count - first_failure[0] >= shrink_runs:
            raise _OutOfTime  # a seeded search shrinks by a count of programs, not the clock

    def run_one(parties: int, program: list[Instruction], schedule: Schedule) -> Run | None:
        nonlocal count
        count += 1
        try:
            return runner(parties, program, schedule)
        except Exception as exc:  # a driver or usage error: not a finding; re-raised below
            errors.append(exc)
            return None

    # parties: 2 first (the smallest interesting barrier, where shrinking should land), then
    # larger ones, 1 (a barrier that always passes), and 0 (one that never trips) last
    last = [1, 0] if prop.min_parties == 0 else [1]
    parties = st.sampled_from([*range(2, prop.max_parties + 1), *last])
    drawn = schedules() if controlled else st.just(Schedule())
    strategy = st.tuples(parties, instructions(prop, kinds), drawn)
    conf = settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate, Phase.shrink],
    )
    try:
        find(strategy, fails, settings=conf, random=random.Random(seed))
    except (NoSuchExample, _OutOfTime):
        if errors:
            raise errors[0] from None
        if not failures:
            return count, None
    except Flaky:
        # Hypothesis saw the predicate behave inconsistently (a real-process target under
        # load; the clock check raising mid-search). With no failure recorded nothing failed:
        # the programs run so far are the evidence, judged like any other (INCONCLUSIVE if
        # too few); a driver error is still re-raised.
        if not failures:
            if errors:
                raise errors[0] from None
            return count, None
    # the smallest failure seen: find's answer, unless the shrink budget cut shrinking short
    key = min(
        failures,
        key=lambda k: (len(failures[k].steps), k[0], len(k[1]), _weight(k[2])),
    )
    return count, failures[key]


def _weight(schedule: Schedule) -> tuple[int, int]:
    """How far a schedule is from the default (smaller: closer), to pick the minimal one."""
    return (schedule.pct is not None, sum(1 for c in schedule.choices if c))
