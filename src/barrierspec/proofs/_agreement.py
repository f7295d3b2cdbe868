"""The Z3 encoding and the Python model are the same model: checked state by state.

For every state the explorer reaches in a small configuration (breadth-first search over
:class:`~barrierspec.spec.BarrierSystem`, one state per symmetry class), and for every choice
of the distinguished round ``rho`` that can matter (the filling round, each round with a
passer or taken indices, and one round that never was), two sets must be equal:

* the Python side: every event the environment can produce in the state (:func:`enabled`,
  with every bound lifted, so that the moves' unbounded environment is what is compared),
  every successor :func:`step` allows, each abstracted: ``(label, abstract successor,
  number of participants released)``;
* the Z3 side: every move whose ``enabled & choice`` term is true on the abstract state, with
  its ``post`` and ``released`` terms evaluated there (by :func:`compile_terms`, which runs
  z3's own syntax trees).

Equality means the moves neither miss a transition of the model nor invent one, on every
state checked, including the exact observations (as counts per kind). The result also names
the moves taken somewhere (:attr:`Agreement.moves_taken`), so that a test can require a set
of configurations to exercise every move of the encoding.
"""

from __future__ import annotations

import functools
from collections import Counter, deque
from collections.abc import Callable, Hashable

import attrs

from barrierspec.proofs._abstraction import (
    SCALARS,
    AbstractState,
    LocalClass,
    abstract,
    abstract_local,
    environment,
)
from barrierspec.proofs._model import ProofModel, proof_model
from barrierspec.proofs._moves import UNBOUNDED, Label, Variant, abstract_out, wait_params
from barrierspec.proofs._z3 import Value, compile_terms
from barrierspec.spec import (
    BarrierSystem,
    Bounds,
    Event,
    Local,
    Observation,
    Profile,
    State,
    Status,
    StepFunction,
    Successor,
    enabled,
    step,
)

__all__ = ["Agreement", "abstract_transition", "check_agreement", "reachable_states"]

Image = tuple[Label, AbstractState, int]


@attrs.frozen
class Agreement:
    """The outcome of one comparison run: sizes, and the first disagreements found."""

    system: str
    states: int
    comparisons: int  # (state, rho) pairs compared
    transitions: int  # abstract transitions compared, summed over the comparisons
    mismatches: tuple[str, ...]
    moves_taken: frozenset[str] = frozenset()  # Move.name of each move enabled somewhere

    @property
    def ok(self) -> bool:
        """Whether the two sides agreed everywhere."""
        return not self.mismatches


def abstract_transition(
    pre: State, event: Event, outputs: tuple[Observation, ...], rho: int
) -> Label:
    """The abstraction of ``pre --Transition(event, outputs)-->``."""
    actor = abstract_local(pre.locals[event.p], pre, rho)
    outs = tuple(abstract_out(o, event.p) for o in outputs)
    return Label(type(event).__name__, wait_params(event), actor, outs)


def released_count(pre: State, post: State) -> int:
    """How many participants a step moved into ``PASSED``."""
    return sum(
        1
        for a, b in zip(pre.locals, post.locals, strict=True)
        if b.status is Status.PASSED and a.status is not Status.PASSED
    )


def reachable_states(system: BarrierSystem) -> list[State]:
    """Every state reachable in ``system``, one per symmetry class (breadth-first)."""
    start = [system.canonical(s) for s in system.initial_states()]
    seen: dict[Hashable, None] = dict.fromkeys(start)
    queue = deque(start)
    while queue:
        state = queue.popleft()
        for _, nxt in system.successors(state):
            key = system.canonical(nxt)
            if key not in seen:
                seen[key] = None
                queue.append(key)
    return [s for s in seen if isinstance(s, State)]


class _Evaluator:
    """The moves of a model compiled to Python functions of an abstract state."""

    def __init__(self, model: ProofModel) -> None:
        self.model = model
        self.universe: tuple[LocalClass, ...] = model.universe
        self.compiled: list[tuple[Label, Callable[[dict[str, Value]], tuple[Value, ...] | None]]]
        self.compiled = []
        self.names = [move.name for move in model.moves]
        for move in model.moves:
            post = move.post
            terms = [getattr(post, name) for name in SCALARS]
            terms += [post.n(c) for c in self.universe]
            terms.append(move.released)
            fn = compile_terms(terms, guard=move.enabled & move.choice)
            self.compiled.append((move.label, fn))

    def images(self, a: AbstractState, taken: set[int]) -> set[Image]:
        """The abstract transitions of ``a``; the indices of the moves taken go to ``taken``."""
        env = environment(a, self.universe)
        out: set[Image] = set()
        k = len(SCALARS)
        for i, (label, fn) in enumerate(self.compiled):
            values = fn(env)
            if values is None:
                continue
            taken.add(i)
            counts = frozenset(
                (c, int(n)) for c, n in zip(self.universe, values[k:-1], strict=True) if n
            )
            post = AbstractState(
                parties=int(values[0]),
                round=int(values[1]),
                arrived=int(values[2]),
                broken=bool(values[3]),
                rho=int(values[4]),
                taken=int(values[5]),
                counts=counts,
            )
            out.add((label, post, int(values[-1])))
        return out


_Succ = tuple[Event, Successor, int, Counter[Local]]


def _python_images(state: State, rho: int, successors: list[_Succ]) -> set[Image]:
    out: set[Image] = set()
    for event, succ, released, tally in successors:
        label = abstract_transition(state, event, succ.outputs, rho)
        out.add((label, abstract(succ.state, rho, tally), released))
    return out


def _successors(profile: Profile, state: State, step_function: StepFunction) -> list[_Succ]:
    return [
        (event, succ, released_count(state, succ.state), Counter(succ.state.locals))
        for event in enabled(profile, state, UNBOUNDED)
        for succ in step_function(profile, state, event)
    ]


@functools.lru_cache(maxsize=16)
def _evaluator(profile: Profile, variant: Variant) -> _Evaluator:
    return _Evaluator(proof_model(profile, variant))


def _rhos(state: State) -> list[int]:
    """The values of ``rho`` that can tell states apart.

    ``rho`` matters through the passers of round ``rho``, the indices taken in it, and
    whether it is the filling round (a trip then releases into it). Any other value behaves
    like a round that never was, represented by -1.
    """
    rounds = {-1, state.round}
    rounds.update(loc.round for loc in state.locals if loc.status is Status.PASSED)
    rounds.update(r for r, _ in state.taken)
    return sorted(rounds)


def check_agreement(
    profile: Profile,
    parties: int,
    participants: int,
    rounds: int = 2,
    *,
    variant: Variant | None = None,
    step_function: StepFunction = step,
    max_report: int = 5,
) -> Agreement:
    """Compare the moves with the step function on every reachable state of the configuration.

    The states are those the *model* reaches (:func:`step`); ``variant`` alters the encoded
    moves and ``step_function`` the Python side of the comparison, so that a test can show
    that a difference between them is found.
    """
    system = BarrierSystem(profile, parties, participants, Bounds(rounds=rounds))
    evaluator = _evaluator(profile, variant or Variant())
    states = reachable_states(system)
    mismatches: list[str] = []
    comparisons = transitions = 0
    taken: set[int] = set()
    for state in states:
        successors = _successors(profile, state, step_function)
        tally = Counter(state.locals)
        for rho in _rhos(state):
            comparisons += 1
            z3_side = evaluator.images(abstract(state, rho, tally), taken)
            py_side = _python_images(state, rho, successors)
            transitions += len(py_side)
            if z3_side != py_side and len(mismatches) < max_report:
                mismatches.append(_explain(state, rho, z3_side, py_side))
    names = frozenset(evaluator.names[i] for i in taken)
    return Agreement(system.name, len(states), comparisons, transitions, tuple(mismatches), names)


def _explain(state: State, rho: int, z3_side: set[Image], py_side: set[Image]) -> str:
    lines = [f"in {state.describe()} (rho={rho}):"]
    for label, post, released in sorted(py_side - z3_side, key=str):
        lines.append(f"  only Python: {label} => {post.describe()} (released {released})")
    for label, post, released in sorted(z3_side - py_side, key=str):
        lines.append(f"  only Z3:     {label} => {post.describe()} (released {released})")
    return "\n".join(lines)
