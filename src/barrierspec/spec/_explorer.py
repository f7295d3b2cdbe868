"""The exhaustive explorer: breadth-first search over every reachable state of a system.

The engine is generic over :class:`~barrierspec.spec._system.TransitionSystem`; it knows
nothing about barriers.

Search. Level by level from the initial states, each state expanded once. One dictionary maps
every visited state to its parent (``None`` for initial states); it is both the visited set
and the only per-state memory. Labels and paths are never stored: when a trace is needed it is
rebuilt by :mod:`barrierspec.spec._trace`.

Properties checked, and when:

* every state invariant, on every state the first time it is reached (initial states too);
* every transition invariant, on every generated transition ``pre --label--> post`` (a
  system's fused checks may instead check all the transitions out of a state in one call,
  an *expansion check*, before the successors are visited; a system with a label-free
  ``successor_states`` is then expanded with that);
* deadlock freedom (unless ``check_deadlock=False``): a reachable state with no successor for
  which ``stuck`` returns a sentence is a deadlock -- unless ``documented_hang`` names a
  documented deviation, which is then recorded once per name (with a shortest trace) and the
  search goes on.

No liveness property other than deadlock freedom is checked. Deadlock is a property of single
states, so checking it on canonical states is sound; symmetry reduction is therefore never
combined with a liveness check that it could make unsound.

Shortest counterexamples. Because the search is breadth-first and checks properties as soon
as a state or transition is generated, the first violation met is one of minimal length.
One refinement keeps that true across kinds: a state or transition violation met while
expanding level ``d`` has ``d`` steps, but a deadlock among the not yet expanded states of
level ``d`` would have ``d - 1``; so before stopping, the rest of the level is scanned for
deadlocks (and a deadlock found there wins).

Symmetry. With ``symmetry=True`` every generated state is replaced by ``canonical(state)``
before the visited test, so the search runs on one representative per symmetry class. The
counterexample is then replayed forward from the concrete initial state, so it is a real
execution with real participant ids. If the system provides the optional member
``orbit_size(state) -> int`` (the number of concrete states a canonical state stands for),
the result carries the number of concrete states and hence the exact reduction factor.
Symmetry is sound only when ``canonical`` is a symmetry of the transition relation and every
invariant is symmetric (permuting participants never changes its verdict); transition
invariants are then checked on the transitions out of the canonical representatives.
"""

from __future__ import annotations

import operator
import sys
import time
from collections.abc import Callable, Hashable
from typing import Any

import attrs

from barrierspec.errors import UsageError
from barrierspec.spec._result import (
    DocumentedHang,
    ExplorationResult,
    ExplorationStatus,
    ExplorationViolation,
    ExplorerError,
    ViolationKind,
)
from barrierspec.spec._system import FUSED, TransitionSystem
from barrierspec.spec._trace import path_to, replay

__all__ = ["ProgressCallback", "explore"]

#: ``progress(states, transitions, depth, seconds)``, called about every ``progress_interval``.
ProgressCallback = Callable[[int, int, int, float], None]

_STEP = ViolationKind.TRANSITION_INVARIANT

# States expanded between two looks at the clock (for progress reports).
_TICK = 512


@attrs.frozen
class _Found:
    """A violation met during the search, before its trace is rebuilt.

    ``state`` is the last search state of the trace (the pre-state for a transition
    invariant, whose ``label`` and generated ``post`` are kept too).
    """

    kind: ViolationKind
    name: str
    message: str
    state: Hashable
    label: object = None
    post: Hashable = None


def explore(  # noqa: PLR0912, PLR0915 -- the BFS hot loop, inlined; to split (issue 14)
    system: TransitionSystem[Any],
    *,
    symmetry: bool = False,
    max_states: int | None = None,
    progress: ProgressCallback | None = None,
    check_deadlock: bool = True,
    progress_interval: float = 0.5,
) -> ExplorationResult:
    """Visit every reachable state of ``system`` breadth-first and check its properties.

    Returns an :class:`ExplorationResult` whose status is ``OK`` (everything visited, nothing
    violated), ``VIOLATION`` (the search stopped at the first violation in breadth-first order;
    the result carries a shortest counterexample) or ``BOUND_REACHED`` (at least
    ``max_states`` distinct states were known before the next state was expanded; not a
    verdict). ``progress`` is called about every ``progress_interval`` seconds with
    ``(states, transitions, depth, seconds)``. ``seconds`` in the result is the time of the
    search itself; rebuilding a trace is not counted.

    Raises :class:`UsageError` for ``max_states < 1`` and :class:`ExplorerError` when the
    system has no initial state or a counterexample cannot be replayed (``canonical`` is not a
    symmetry).
    """
    if max_states is not None and max_states < 1:
        raise UsageError(f"max_states must be at least 1 (or None for no bound), got {max_states}")
    clock = time.perf_counter
    started = clock()
    successors = system.successors
    canonical = system.canonical if symmetry else None
    state_checks, step_checks, expansion_checks = _checks(system)
    stuck = system.stuck if check_deadlock else None
    hangs: dict[str, tuple[str, Hashable]] = {}
    parent: dict[Hashable, Hashable | None] = {}
    found: _Found | None = None

    frontier: list[Hashable] = []
    initial = 0
    for state in system.initial_states():
        initial += 1
        key = canonical(state) if canonical is not None else state
        if key not in parent:
            parent[key] = None
            frontier.append(key)
            if found is None:
                found = _check_state(state_checks, key)
    if not initial:
        raise ExplorerError(f"system {system.name!r} has no initial state; nothing to explore")

    transitions = 0
    depth = 1
    status = ExplorationStatus.OK
    limit = max_states if max_states is not None else sys.maxsize
    countdown = _TICK
    next_report = started + progress_interval
    fast = not step_checks
    second = operator.itemgetter(1)
    # without transition checks only the successor states matter: the system's label-free
    # successor function when it has one
    posts_of = getattr(system, "successor_states", None) if fast else None
    expand = successors if posts_of is None else posts_of
    while frontier and found is None and status is ExplorationStatus.OK:
        level: list[Hashable] = []
        append = level.append
        pending = iter(frontier)
        for state in pending:
            if len(parent) >= limit:
                status = ExplorationStatus.BOUND_REACHED
                break
            countdown -= 1
            if not countdown:
                countdown = _TICK
                now = clock()
                if progress is not None and now >= next_report:
                    next_report = now + progress_interval
                    progress(len(parent), transitions, depth + (1 if level else 0), now - started)
            succ = expand(state)
            if type(succ) is not list:
                succ = list(succ)
            if not succ:
                if stuck is not None:
                    found = _stuck(system, stuck, state, hangs)
                    if found is not None:
                        break
                continue
            transitions += len(succ)
            for name, expansion_check in expansion_checks:
                hit = expansion_check(state)
                if hit is not None:
                    found = _Found(_STEP, name, hit[2], state, hit[0], hit[1])
                    break
            if found is not None:
                pass  # an expansion check failed: the successors are not visited
            elif fast:
                # no transition invariant: only the successor states matter (map is C-level)
                posts = succ if posts_of is not None else map(second, succ)
                for key in posts if canonical is None else map(canonical, posts):
                    if key not in parent:
                        parent[key] = state
                        append(key)
                        for name, check in state_checks:
                            message = check(key)
                            if message is not None:
                                found = _Found(ViolationKind.INVARIANT, name, message, key)
                                break
                        if found is not None:
                            break
            else:
                for label, post in succ:
                    for name, step_check in step_checks:
                        message = step_check(state, label, post)
                        if message is not None:
                            found = _Found(_STEP, name, message, state, label, post)
                            break
                    if found is not None:
                        break
                    key = canonical(post) if canonical is not None else post
                    if key not in parent:
                        parent[key] = state
                        append(key)
                        for name, check in state_checks:
                            message = check(key)
                            if message is not None:
                                found = _Found(ViolationKind.INVARIANT, name, message, key)
                                break
                        if found is not None:
                            break
            if found is not None:
                if stuck is not None:
                    # A deadlock in the rest of this level is one step shorter: it wins.
                    for rest in pending:
                        if not any(True for _ in successors(rest)):
                            shorter = _stuck(system, stuck, rest, hangs)
                            if shorter is not None:
                                found = shorter
                                break
                break
        if level:
            depth += 1
        frontier = level

    concrete = None
    orbit_size = getattr(system, "orbit_size", None)
    if symmetry and orbit_size is not None:
        concrete = sum(map(orbit_size, parent))
    seconds = clock() - started
    return ExplorationResult(
        system=system.name,
        status=ExplorationStatus.VIOLATION if found is not None else status,
        states=len(parent),
        transitions=transitions,
        generated=transitions + initial,
        depth=depth,
        seconds=seconds,
        invariants=tuple(inv.name for inv in system.invariants),
        transition_invariants=tuple(inv.name for inv in system.transition_invariants),
        deadlock_checked=check_deadlock,
        symmetry=symmetry,
        concrete_states=concrete,
        max_states=max_states,
        violation=None if found is None else _violation(system, parent, found, symmetry),
        documented_hangs=_hangs(system, parent, hangs, symmetry),
    )


def _hangs(
    system: TransitionSystem[Any],
    parent: dict[Hashable, Hashable | None],
    hangs: dict[str, tuple[str, Hashable]],
    symmetry: bool,
) -> tuple[DocumentedHang, ...]:
    """Each documented hang met, with a shortest concrete trace to it."""
    concrete, key = _concrete(system, symmetry)
    return tuple(
        DocumentedHang(
            name, message, replay(concrete, path_to(parent, state), symmetry=symmetry, key=key)
        )
        for name, (message, state) in hangs.items()
    )


_Checks = tuple[tuple[str, Callable[..., str | None]], ...]


def _checks(system: TransitionSystem[Any]) -> tuple[_Checks, _Checks, _Checks]:
    """The state, transition and expansion checks to run: the system's fused ones, else the
    named ones (and no expansion check)."""
    fused_checks = getattr(system, "fused_checks", None)
    fused = fused_checks() if fused_checks is not None else None
    if fused is not None:
        expansion_checks = getattr(fused, "expansion_checks", None)
        return (
            tuple(fused.state_checks()),
            tuple(fused.transition_checks()),
            tuple(expansion_checks()) if expansion_checks is not None else (),
        )
    return (
        tuple((inv.name, inv.check) for inv in system.invariants),
        tuple((inv.name, inv.check) for inv in system.transition_invariants),
        (),
    )


def _named(system: TransitionSystem[Any], found: _Found) -> _Found:
    """``found`` with the name of the first named invariant that fails there (fused checks)."""
    if found.name != FUSED:
        return found
    if found.kind is ViolationKind.INVARIANT:
        for inv in system.invariants:
            message = inv.check(found.state)
            if message is not None:
                return attrs.evolve(found, name=inv.name, message=message)
    else:
        for step in system.transition_invariants:
            message = step.check(found.state, found.label, found.post)
            if message is not None:
                return attrs.evolve(found, name=step.name, message=message)
    raise ExplorerError(
        f"a fused check of {system.name!r} failed where no named invariant does: "
        f"{found.message}; fused_checks() must fail exactly when a named invariant does"
    )


def _check_state(
    checks: tuple[tuple[str, Callable[[Any], str | None]], ...], state: Hashable
) -> _Found | None:
    for name, check in checks:
        message = check(state)
        if message is not None:
            return _Found(ViolationKind.INVARIANT, name, message, state)
    return None


def _stuck(
    system: TransitionSystem[Any],
    stuck: Callable[[Any], str | None],
    state: Hashable,
    hangs: dict[str, tuple[str, Hashable]],
) -> _Found | None:
    """The deadlock at a state without successors, or ``None`` (normal end, documented hang)."""
    message = stuck(state)
    if message is None:
        return None
    deviation = system.documented_hang(state)
    if deviation is None:
        return _Found(ViolationKind.DEADLOCK, "deadlock", message, state)
    hangs.setdefault(deviation, (message, state))
    return None


def _concrete(
    system: TransitionSystem[Any], symmetry: bool
) -> tuple[TransitionSystem[Any], Callable[[Any], Any]]:
    """The system a trace is replayed on, and the map from its states to search states.

    A system with ``concretisation()`` (a counted one) names its concrete system and the
    abstraction; otherwise the trace is replayed on ``system`` itself.
    """
    concretisation = getattr(system, "concretisation", None)
    if concretisation is not None:
        concrete: TransitionSystem[Any]
        concrete, abstract = concretisation()
        return concrete, abstract
    return system, system.canonical if symmetry else _same


def _same(state: Any) -> Any:
    return state


def _violation(
    system: TransitionSystem[Any],
    parent: dict[Hashable, Hashable | None],
    found: _Found,
    symmetry: bool,
) -> ExplorationViolation:
    """Rebuild a concrete shortest trace for ``found`` and re-derive its message on it."""
    found = _named(system, found)
    path = path_to(parent, found.state)
    concrete, key = _concrete(system, symmetry)
    if found.kind is ViolationKind.TRANSITION_INVARIANT:
        check = next(i.check for i in concrete.transition_invariants if i.name == found.name)
        path.append(system.canonical(found.post) if symmetry else found.post)

        def violates(pre: Any, label: object, post: Any) -> bool:
            return check(pre, label, post) is not None

        trace = replay(concrete, path, symmetry=symmetry, last_step=violates, key=key)
        last = trace[-1]
        message = check(trace[-2].state, last.label, last.state)
    else:
        trace = replay(concrete, path, symmetry=symmetry, key=key)
        last_state = trace[-1].state
        if found.kind is ViolationKind.INVARIANT:
            check_state = next(i.check for i in concrete.invariants if i.name == found.name)
            message = check_state(last_state)
        else:
            message = concrete.stuck(last_state)
    return ExplorationViolation(found.kind, found.name, message or found.message, trace)
