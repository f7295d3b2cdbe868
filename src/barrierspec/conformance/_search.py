"""Searching one property's programs for a failure, and shrinking it.

Two phases share one time budget:

1. *Small scope*: every program of up to five instructions (as time allows) over the property's key
   operations (a wait, and what the property is about: a kill, a cancel, a reset ...), with 2
   then 3 parties, shortest first. Shallow bugs are found deterministically, already minimal.
2. *Random*: Hypothesis draws whole programs (swarm-style, see ``_program``) and shrinks the
   first failure to a minimal one, within a shrink budget.

A *seeded* search (``budget=None``) reads no clock: the small scope runs the first
``min(SEEDED_SMALL_PROGRAMS, 4 * max(examples, MIN_SMALL))`` programs of its order, the random phase
exactly ``examples``, and
shrinking at most ``SEEDED_SHRINK_RUNS`` programs, so the same seed runs the same programs on
any machine, however loaded.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable

from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky, NoSuchExample

from barrierspec.conformance import _properties as props
from barrierspec.conformance._program import Instruction, instructions
from barrierspec.conformance._runner import Run

__all__ = ["search"]

Runner = Callable[[int, list[Instruction]], Run]


class _OutOfTime(Exception):  # noqa: N818 -- a signal, not an error
    """Raised inside the search condition when the property's time is up."""


SMALL_SCOPE_LENGTH = 5
SMALL_SCOPE_SHARE = 0.4  # of the budget
SEEDED_SMALL_PROGRAMS = 130  # a seeded search's small scope: this many programs, in order
MIN_SMALL = 12  # ... or four times the random examples (at least this many), if fewer
SEEDED_SHRINK_RUNS = 200  # programs a seeded search may run while shrinking a failure


def _small_scope(
    prop: props.Property, runner: Runner, kinds: list[str], deadline: float, limit: int | None
) -> tuple[int, Run | None]:
    keys = [k for k in prop.key_ops if k in kinds]
    if not keys:
        return 0, None
    alphabet = [Instruction(k, 0) for k in keys]
    count = 0
    for size in range(1, SMALL_SCOPE_LENGTH + 1):
        for parties in (2, 3):
            if parties > prop.max_parties:
                continue
            for program in itertools.product(alphabet, repeat=size):
                if time.monotonic() > deadline or count == limit:
                    return count, None
                count += 1
                run = runner(parties, list(program))
                if run.failure is not None:
                    return count, run
    return count, None


def search(
    prop: props.Property,
    runner: Runner,
    kinds: list[str],
    seed: int,
    *,
    examples: int,
    budget: float | None,
    shrink_budget: float,
) -> tuple[int, Run | None]:
    """Look for a failing program; return (programs run, the minimal failing run or None).

    ``budget``: seconds for the search (None: no clock, see the module docstring).
    """
    start = time.monotonic()
    if budget is None:
        small_deadline = deadline = shrink = float("inf")
        limit: int | None = min(SEEDED_SMALL_PROGRAMS, 4 * max(examples, MIN_SMALL))
    else:
        budget *= prop.budget_factor
        small_deadline = start + budget * SMALL_SCOPE_SHARE
        deadline, shrink, limit = start + budget, shrink_budget, None
    small, found = _small_scope(prop, runner, kinds, small_deadline, limit)
    if found is not None:
        return small, found
    count, run = _random(
        prop,
        runner,
        kinds,
        seed=seed,
        examples=examples,
        deadline=deadline,
        shrink_budget=shrink,
        shrink_runs=SEEDED_SHRINK_RUNS if budget is None else None,
    )
    return small + count, run


def _random(
    prop: props.Property,
    runner: Runner,
    kinds: list[str],
    *,
    seed: int,
    examples: int,
    deadline: float,
    shrink_budget: float,
    shrink_runs: int | None = None,
) -> tuple[int, Run | None]:
    """Hypothesis's search and shrinking, until ``deadline`` (shrinking: its own budget)."""
    failures: dict[tuple[int, tuple[Instruction, ...]], Run] = {}
    count = 0

    errors: list[BaseException] = []
    shrink_deadline = [float("inf")]
    first_failure = [0]

    def fails(example: tuple[int, list[Instruction]]) -> bool:
        nonlocal count
        parties, program = example
        now = time.monotonic()
        if errors:
            return False
        if (not failures and now > deadline) or (failures and now > shrink_deadline[0]):
            raise _OutOfTime  # stop Hypothesis at once; keep the smallest failure so far
        if failures and shrink_runs is not None and count - first_failure[0] >= shrink_runs:
            raise _OutOfTime  # a seeded search shrinks by a count of programs, not the clock
        count += 1
        try:
            run = runner(parties, program)
        except Exception as exc:  # a driver or usage error: not a finding; re-raised below
            errors.append(exc)
            return False
        if run.failure is not None:
            if not failures:
                shrink_deadline[0] = time.monotonic() + shrink_budget
                first_failure[0] = count
            failures[(parties, tuple(program))] = run
            return True
        return False

    # parties: 2 first (the smallest interesting barrier, where shrinking should land), then
    # larger ones, and 1 (a barrier that always passes) last
    parties = st.sampled_from([*range(2, prop.max_parties + 1), 1])
    strategy = st.tuples(parties, instructions(prop, kinds))
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
        if not failures:
            raise errors[0] if errors else RuntimeError(f"{prop.name}: flaky search") from None
    # the smallest failure seen: find's answer, unless the shrink budget cut shrinking short
    key = min(failures, key=lambda k: (len(failures[k].steps), k[0], len(k[1])))
    return count, failures[key]
