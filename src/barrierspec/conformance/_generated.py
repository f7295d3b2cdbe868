"""Model-generated tests: operation sequences that cover every transition of a profile.

At small bounds (3 parties, 4 participants, 3 rounds: the scope where lost wake-ups and
lapped rounds show) the model's *operation graph* is built:
its nodes are quiescent model states, its edges ``(state, operation)`` lead to the quiescent
states the operation can end in. For every edge, the shortest operation sequence that
reaches its source and then takes it is a test; sequences that are prefixes of others are
dropped. Each test is replayed on the real barrier through the oracle, and the report says
how many of the graph's edges were exercised (transition coverage).
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

import attrs

from barrierspec import adapters as ad
from barrierspec.conformance._deviations import known_deviation
from barrierspec.conformance._drivers import DriverChoice, opener
from barrierspec.conformance._oracle import CALL_OF_NAME, EVENT_OF_OP, Oracle
from barrierspec.conformance._program import Timing
from barrierspec.conformance._result import (
    ProgramCounterexample,
    PropertyResult,
    render_op,
    render_step,
)
from barrierspec.conformance._second_look import judge
from barrierspec.spec import (
    Abort,
    Bounds,
    Cancel,
    Die,
    Event,
    Join,
    Profile,
    Reset,
    State,
    Wait,
    initial_state,
)

__all__ = ["Limits", "operation_graph", "run_generated"]

_NAME = "model-generated tests"
_RULE = "every transition of the profile's operation graph, replayed on the real barrier"
PARTIES, PARTICIPANTS, ROUNDS = 3, 4, 3
Edge = tuple[State, Event | None]  # None: advance the virtual clock


def _operations(
    oracle: Oracle, state: State, caps: ad.Capabilities, kind: str
) -> Iterator[Event | None]:
    """The operations a test may send in ``state``: the model's environment rule
    (:func:`enabled`) within the generator's bounds, less what the target cannot do."""
    bounds = Bounds(
        rounds=ROUNDS,
        timeouts=caps.has_timeout,
        action_failures=caps.has_action,
        action_calls=caps.has_action,
        cancels=caps.has_cancel,
        deaths=1 if caps.has_kill else 0,
    )
    for event in oracle.model.enabled(state, bounds):
        if _sendable(event, caps):
            yield event
    if kind == "asyncio" and caps.has_timeout:
        yield None


def _sendable(event: Event, caps: ad.Capabilities) -> bool:
    """Whether a test sends ``event``: the scheduler's events are not sent, and two choices
    keep the graph small at no loss (a failing or calling-back action is tried on untimed
    waits, and only P0 is killed: one death is enough at these bounds)."""
    if isinstance(event, Wait):
        return not ((event.raises or event.calls) and event.timeout)
    if isinstance(event, Abort):
        return caps.has_abort
    if isinstance(event, Reset):
        return caps.has_reset
    if isinstance(event, Die):
        return event.p == 0
    return isinstance(event, Cancel | Join)


def operation_graph(
    oracle: Oracle, caps: ad.Capabilities, kind: str
) -> tuple[dict[State, list[Event | None]], dict[Edge, set[State]]]:
    """BFS over quiescent states: (shortest path to each node, edge -> its targets)."""
    start = initial_state(oracle.profile, PARTIES, PARTICIPANTS)
    paths: dict[State, list[Event | None]] = {start: []}
    edges: dict[Edge, set[State]] = {}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        for op in _operations(oracle, state, caps, kind):
            targets = oracle.settle(state, op)
            edges[(state, op)] = targets
            for t in targets:
                if t not in paths:
                    paths[t] = [*paths[state], op]
                    queue.append(t)
    return paths, edges


_OP_OF_EVENT = {event: op for op, event in EVENT_OF_OP.items()}
_NAME_OF_CALL = {call: name for name, call in CALL_OF_NAME.items()}


def _to_op(event: Event | None, timing: Timing) -> ad.Op:
    if event is None:
        return ad.AdvanceOp(timing.timeout)
    if isinstance(event, Wait):
        timeout = timing.timeout if event.timeout else None
        return ad.WaitOp(event.p, timeout, event.raises, action_calls=_NAME_OF_CALL[event.calls])
    op: ad.Op = _OP_OF_EVENT[type(event)](event.p)
    return op


def _tests(
    paths: dict[State, list[Event | None]], edges: dict[Edge, set[State]]
) -> list[list[Event | None]]:
    tests = sorted(
        {tuple([*paths[s], op]) for (s, op) in edges}, key=lambda t: (len(t), repr(t)), reverse=True
    )
    kept: list[tuple[Event | None, ...]] = []
    prefixes: set[tuple[Event | None, ...]] = set()
    for t in tests:
        if t in prefixes:
            continue
        kept.append(t)
        prefixes.update(t[:i] for i in range(1, len(t) + 1))
    return [list(t) for t in reversed(kept)]


@attrs.frozen
class Limits:
    """How much of the generated tests to replay: a time, a count drawn with a seed."""

    seconds: float = 10.0
    tests: int | None = None  # None: every test
    seed: int | None = None


def _chosen(tests: list[list[Event | None]], cap: int | None, seed: int | None) -> list[int]:
    """Indices of the tests to replay: all, or ``cap`` of them drawn with ``seed``.

    Every kept test ends in a transition no other test ends in, so a cap always costs coverage;
    a seeded sample spreads it over the whole graph (the first ``cap`` would keep only the
    shortest tests), and the same seed draws the same tests on any machine.
    """
    if cap is None or cap >= len(tests):
        return list(range(len(tests)))
    return sorted(random.Random(seed).sample(range(len(tests)), cap))


def run_generated(
    target: ad.Target,
    profile: Profile,
    *,
    timing: Timing,
    real_clock: bool,
    settle: float,
    limits: Limits = Limits(),
    emit: Callable[[dict[str, Any]], None] | None = None,
    choice: DriverChoice | None = None,
) -> tuple[PropertyResult, tuple[int, int]]:
    """Replay the generated tests; return the verdict and (edges exercised, edges).

    The replay stops after ``limits.seconds`` or after ``limits.tests`` tests (drawn with
    ``limits.seed``, replayed in their stable order), whichever comes first; a seeded run
    passes an infinite time and a count, so it replays the same tests on any machine. ``emit``
    receives a ``program`` event per test (the supervisor's sign of progress). ``choice``: the
    driver (default: :func:`~._drivers.driver_choice`'s, controlled for pure-Python thread
    targets).
    """
    budget, max_tests, seed = limits.seconds, limits.tests, limits.seed
    caps = target.capabilities
    model = Oracle(profile, PARTIES, PARTICIPANTS, caps, real_clock)
    paths, edges = operation_graph(model, caps, target.kind)
    tests = _tests(paths, edges)
    covered: set[Edge] = set()
    open_driver = opener(target, action=caps.has_action, settle=settle, choice=choice)
    started = time.monotonic()
    ran = 0
    for index in _chosen(tests, max_tests, seed):
        if time.monotonic() - started > budget:
            break
        test = tests[index]
        ran += 1
        if emit is not None:
            emit({"event": "program", "property": _NAME, "program": f"generated test {index}"})
        oracle = Oracle(profile, PARTIES, PARTICIPANTS, caps, real_clock)
        driver = open_driver(PARTIES, PARTICIPANTS)
        steps: list[ad.StepReport] = []
        try:
            if caps.named:  # the model starts with PARTIES members: create them
                for p in range(PARTIES):
                    driver.perform(ad.JoinOp(p))
            for event in test:
                before = set(oracle.states)
                seen, mismatch = judge(driver, oracle, driver.perform(_to_op(event, timing)))
                steps.append(seen)
                if mismatch is not None:
                    cex = ProgramCounterexample(
                        PARTIES,
                        PARTICIPANTS,
                        tuple((render_op(s.op), render_step(s)) for s in steps),
                        mismatch.reason,
                        mismatch.expected,
                    )
                    note = mismatch.reason
                    known = known_deviation(profile, [s.op for s in steps], note, target=target)
                    if known is not None:
                        note += f" (looks like the known deviation {known.key}: {known.summary})"
                    result = PropertyResult(
                        _NAME, _RULE, "fail", note, cex, ran, time.monotonic() - started
                    )
                    return result, (len(covered), len(edges))
                # an edge counts only if the observation checked its outcome: it started in a
                # state the run could be in and ended in one the observation kept
                covered.update(
                    (s, event)
                    for s in before
                    if (s, event) in edges and edges[(s, event)] & oracle.states
                )
        finally:
            driver.close()
    note = f"{ran}/{len(tests)} tests, {len(covered)}/{len(edges)} transitions"
    result = PropertyResult(_NAME, _RULE, "pass", note, None, ran, time.monotonic() - started)
    return result, (len(covered), len(edges))
