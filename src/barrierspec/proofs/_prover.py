"""The proofs: ``init => Inv`` and ``Inv and step => Inv'`` per clause and per transition.

For a profile, ``Inv`` is the conjunction of its state clauses (named invariants and their
strengthening, :mod:`._clauses`). The obligations, each one solver query with a time limit:

* *initiation*, per state clause ``C``: ``init and not C`` is unsatisfiable;
* *consecution*, per state clause ``C`` and event kind ``E``: ``Inv and (some move of E is
  taken) and not C'`` is unsatisfiable -- the successor satisfies ``C``;
* per transition invariant ``T`` and event kind ``E``: ``Inv and (some move of E is taken)
  and not T`` is unsatisfiable (for ``indices_distinct``: no move of ``E`` that returns an
  index is enabled without a free index);
* *sanity* (non-vacuity), per event kind and for init: ``Inv`` admits at least one such
  state or step, so that no obligation above holds only because ``Inv`` is contradictory.

``unsat`` is reported as *proved*; ``sat`` as a *counterexample*, made small (fewest
participants, then fewest not idle, then the smallest rounds and indices), made concrete
and replayed through the Python model (:mod:`._replay`); anything else (a time limit, an incomplete
answer) as *unknown*, never as proved.

Why this is a proof for every number of parties and participants:

1. Every clause holds initially and is preserved by every move from any state satisfying all
   clauses, so ``Inv`` holds in every reachable *abstract* state; each named invariant,
   being a conjunct, holds too. Counts, rounds and parties are unbounded integers.
2. The abstraction loses nothing the step function reads: the model's shared state names no
   participant and its rules treat participants in the same local state alike, so the
   abstract successors of ``abstract(s)`` are the abstractions of the successors of ``s``.
   The moves restate :func:`barrierspec.spec.step` rule by rule, with the environment of
   :func:`barrierspec.spec.enabled` with every bound lifted; :mod:`._agreement` checks the
   equality on every reachable state of small configurations. The one over-approximation (a
   passer of a round other than ``rho`` may resume without a check for a free index) only
   adds transitions, which is sound for safety.
3. ``rho`` is a free variable, so a clause about round ``rho`` holds for every round.

Assumptions: each event of the model is one atomic step (the model's own granularity); the
properties are safety properties (no liveness is claimed).
"""

from __future__ import annotations

import enum
import functools
import time
from collections.abc import Callable, Sequence

import attrs

from barrierspec.proofs._abstraction import (
    SCALARS,
    AbstractState,
    Sym,
    environment,
    from_values,
)
from barrierspec.proofs._clauses import Clause, StepClause, state_clauses, step_clauses
from barrierspec.proofs._model import ProofModel, proof_model
from barrierspec.proofs._moves import EVENT_KINDS, Move, Variant
from barrierspec.proofs._replay import ProofCounterexample, replay_init, replay_step
from barrierspec.proofs._z3 import (
    BoolTerm,
    Check,
    IntTerm,
    Outcome,
    Solver,
    Value,
    all_of,
    any_of,
    compile_term,
    compile_terms,
    ite,
    total,
)
from barrierspec.spec import Profile, Status, StepFunction, step

__all__ = ["Obligation", "ProofReport", "ProofVerdict", "prove"]

# Rounds of "find a smaller counterexample" after the first one.
_SHRINK_STEPS = 8


class ProofVerdict(enum.Enum):
    """The outcome of one obligation."""

    PROVED = "proved"
    COUNTEREXAMPLE = "counterexample"
    UNKNOWN = "unknown"
    VACUOUS = "vacuous"  # sanity: the invariant rules out every such step


@attrs.frozen
class Obligation:
    """One checked obligation: which clause, which transition, the verdict, the time.

    ``role``: ``state`` (a named state invariant), ``strengthening``, ``transition`` (a
    transition invariant) or ``sanity``. ``transition``: ``init`` or an event kind.
    """

    invariant: str
    role: str
    transition: str
    verdict: ProofVerdict
    seconds: float
    reason: str = ""
    counterexample: ProofCounterexample | None = None


@attrs.frozen
class ProofReport:
    """Every obligation of one profile (altered by ``variant`` unless it is ``model``)."""

    profile: str
    variant: str
    classes: int
    moves: int
    obligations: tuple[Obligation, ...]
    seconds: float

    @property
    def proved(self) -> bool:
        """True only if every obligation is proved (sanity: witnessed)."""
        return all(o.verdict is ProofVerdict.PROVED for o in self.obligations)


def _people(a: AbstractState) -> int:
    return sum(n for _, n in a.counts)


def _busy(a: AbstractState) -> int:
    return sum(n for c, n in a.counts if c.status is not Status.IDLE)


def _rounds(a: AbstractState) -> int:
    return abs(a.round) + abs(a.rho) + abs(a.taken)


def _measures(s: Sym) -> list[tuple[Callable[[AbstractState], int], IntTerm]]:
    """What a small counterexample minimises: participants, those not idle, rounds and indices."""
    people = total(s.counts.values())
    busy = s.count(lambda c: c.status is not Status.IDLE)
    rounds = total(ite(x >= 0, x, 0 - x) for x in (s.round, s.rho, s.taken))
    return [(_people, people), (_busy, busy), (_rounds, rounds)]


class _Run:
    """One profile's obligations against one solver."""

    def __init__(
        self,
        model: ProofModel,
        step_function: StepFunction,
        timeout_ms: int,
        clauses: Sequence[Clause],
        tclauses: Sequence[StepClause],
    ) -> None:
        self.model = model
        self.step_function = step_function
        self.solver = Solver(timeout_ms)
        self.clauses = clauses
        self.tclauses = tclauses
        self.watch = model.pre.fields()
        self.out: list[Obligation] = []
        self.kinds = [k for k in EVENT_KINDS if any(m.label.kind == k for m in model.moves)]

    def moves(self, kind: str) -> list[Move]:
        return [m for m in self.model.moves if m.label.kind == kind]

    # -- solving ---------------------------------------------------------------------

    def _shrink(self, goals: list[BoolTerm], first: Check) -> AbstractState:
        """A small model of ``goals``, by the measures of :func:`_measures` in turn."""
        universe = self.model.universe
        best = from_values(first.model, universe)
        for measure, term in _measures(self.model.pre):
            for _ in range(_SHRINK_STEPS):
                smaller = self.solver.check([*goals, term < measure(best)], self.watch)
                if smaller.outcome is not Outcome.SAT:
                    break
                best = from_values(smaller.model, universe)
            goals = [*goals, term <= measure(best)]
        return best

    def obligation(
        self,
        name: str,
        role: str,
        transition: str,
        goals: list[BoolTerm],
        explain: Callable[[AbstractState], ProofCounterexample],
    ) -> None:
        start = time.perf_counter()
        result = self.solver.check(goals, self.watch)
        if result.outcome is Outcome.UNSAT:
            verdict, reason, cex = ProofVerdict.PROVED, "", None
        elif result.outcome is Outcome.UNKNOWN:
            verdict, reason, cex = ProofVerdict.UNKNOWN, result.reason, None
        else:
            a = self._shrink(goals, result)
            verdict, reason, cex = ProofVerdict.COUNTEREXAMPLE, "", explain(a)
        seconds = time.perf_counter() - start
        self.out.append(Obligation(name, role, transition, verdict, seconds, reason, cex))

    def sanity(self, transition: str, goals: list[BoolTerm]) -> None:
        start = time.perf_counter()
        result = self.solver.check(goals)
        verdict = {Outcome.SAT: ProofVerdict.PROVED, Outcome.UNSAT: ProofVerdict.VACUOUS}.get(
            result.outcome, ProofVerdict.UNKNOWN
        )
        self.out.append(
            Obligation(
                "non_vacuous",
                "sanity",
                transition,
                verdict,
                time.perf_counter() - start,
                result.reason,
            )
        )

    # -- counterexamples -------------------------------------------------------------

    def _step_cex(
        self, moves: list[Move], query: Callable[[Move], BoolTerm], clause: Clause | StepClause
    ) -> Callable[[AbstractState], ProofCounterexample]:
        def explain(a: AbstractState) -> ProofCounterexample:
            env = environment(a, self.model.universe)
            move = next(m for m in moves if compile_term(query(m))(env))
            post = _evaluate_post(self.model, move, env)
            return replay_step(self.model, self.step_function, move, a, post=post, clause=clause)

        return explain

    # -- the obligations -------------------------------------------------------------

    def run(self) -> None:
        """Every obligation, in report order: per clause, init then each event kind."""
        model, pre = self.model, self.model.pre
        init = model.init()
        inv = all_of([c.formula(pre) for c in self.clauses])
        for c in self.clauses:
            self.obligation(
                c.name,
                _role(c),
                "init",
                [init, ~c.formula(pre)],
                functools.partial(replay_init, model, c),
            )
        self.sanity("init", [init, inv])
        with self.solver.frame():
            self.solver.add(inv)  # the induction hypothesis, shared by every query below
            for c in self.clauses:
                for kind in self.kinds:
                    self._consecution(c, kind)
            for t in self.tclauses:
                for kind in self.kinds:
                    self._transition(t, kind)
            for kind in self.kinds:
                self.sanity(kind, [any_of([m.enabled & m.choice for m in self.moves(kind)])])

    def _consecution(self, c: Clause, kind: str) -> None:
        """``Inv and (a move of kind) => c'``."""

        def query(m: Move) -> BoolTerm:
            return m.enabled & m.choice & ~c.formula(m.post)

        moves = self.moves(kind)
        goal = any_of([query(m) for m in moves])
        self.obligation(c.name, _role(c), kind, [goal], self._step_cex(moves, query, c))

    def _transition(self, t: StepClause, kind: str) -> None:
        """``Inv and (a move of kind) => t`` (or: its choice exists, for ``on_choice``)."""
        pre = self.model.pre

        def query(m: Move) -> BoolTerm:
            holds, on_choice = t.read(pre, m)
            taken = m.enabled if on_choice else m.enabled & m.choice
            return taken & ~holds

        moves = self.moves(kind)
        goal = any_of([query(m) for m in moves])
        self.obligation(t.name, "transition", kind, [goal], self._step_cex(moves, query, t))


def _role(c: Clause) -> str:
    return "strengthening" if c.strengthening else "state"


def _evaluate_post(model: ProofModel, move: Move, env: dict[str, Value]) -> AbstractState:
    """The move's successor of the abstract state ``env``, evaluated from its Z3 terms."""
    post = move.post
    names = list(model.pre.fields())
    terms = [getattr(post, n) for n in SCALARS] + [post.n(c) for c in model.universe]
    values = compile_terms(terms)(env)
    assert values is not None  # no guard
    return from_values(dict(zip(names, values, strict=True)), model.universe)


def prove(
    profile: Profile,
    *,
    timeout: float = 5.0,
    variant: Variant | None = None,
    step_function: StepFunction = step,
    drop: Sequence[str] = (),
) -> ProofReport:
    """Check every obligation of ``profile``; each solver call is limited to ``timeout`` s.

    ``variant`` and ``step_function`` alter the encoded and the replayed step together (to
    show that a broken model is caught); ``drop`` leaves clauses out of the invariant (to
    show that the strengthening is needed).
    """
    start = time.perf_counter()
    model = proof_model(profile, variant)
    clauses = [c for c in state_clauses(profile) if c.name not in drop]
    tclauses = [c for c in step_clauses(profile) if c.name not in drop]
    run = _Run(model, step_function, max(1, int(timeout * 1000)), clauses, tclauses)
    run.run()
    return ProofReport(
        profile=profile.name,
        variant=model.variant.name,
        classes=len(model.universe),
        moves=len(model.moves),
        obligations=tuple(run.out),
        seconds=time.perf_counter() - start,
    )
