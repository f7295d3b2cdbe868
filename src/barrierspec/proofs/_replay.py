"""Replaying a Z3 counterexample through the Python model before it is reported.

A counterexample from the solver is an abstract pre-state and a move. Replay makes it
concrete and asks the Python model whether it is real:

1. :func:`~barrierspec.proofs._abstraction.concretise` the pre-state (it must abstract back
   to the same abstract state);
2. pick a participant of the move's actor class and build the move's event;
3. run the step function and look for a successor with the same abstract label and the same
   abstract post-state;
4. check the violated property on the concrete states: the model's own invariant (by name)
   where there is one, else the clause on the abstraction of the concrete post-state.

The counterexample is *confirmed* only if every stage succeeds. An unconfirmed one means the
encoding and the model disagree at that state; it is reported as such, never hidden.
"""

from __future__ import annotations

import attrs

from barrierspec.errors import InvalidOperationError, UsageError
from barrierspec.proofs._abstraction import (
    AbstractionError,
    AbstractState,
    abstract,
    abstract_local,
    concretise,
    environment,
)
from barrierspec.proofs._agreement import abstract_transition
from barrierspec.proofs._clauses import Clause, StepClause
from barrierspec.proofs._model import ProofModel
from barrierspec.proofs._moves import Label, Move, wait_of
from barrierspec.proofs._z3 import compile_term
from barrierspec.spec import (
    Abort,
    Cancel,
    Die,
    Enter,
    Event,
    IndexPolicy,
    Join,
    Notice,
    Reset,
    Resume,
    Returned,
    State,
    StepFunction,
    Timeout,
    Transition,
    initial_state,
    state_invariants,
    transition_invariants,
)

__all__ = ["ProofCounterexample", "replay_init", "replay_step"]

_EVENTS: dict[str, type] = {
    "Enter": Enter,
    "Resume": Resume,
    "Timeout": Timeout,
    "Cancel": Cancel,
    "Abort": Abort,
    "Reset": Reset,
    "Die": Die,
    "Notice": Notice,
    "Join": Join,
}


@attrs.frozen
class ProofCounterexample:
    """A concrete state (and step) that breaks a clause, and what the Python model says.

    ``transition`` and ``post`` are ``None`` for a counterexample to ``init => Inv``, and
    ``post`` is ``None`` when the step itself is the problem (no free index). ``rho`` is the
    distinguished round the clause spoke about; ``abstract_pre`` the solver's state.
    """

    abstract_pre: AbstractState
    pre: State | None  # None when the abstract state has no concrete counterpart
    transition: Transition | None
    post: State | None
    move: str
    violation: str
    confirmed: bool
    note: str

    @property
    def rho(self) -> int:
        """The distinguished round the clause spoke about."""
        return self.abstract_pre.rho

    def lines(self) -> list[str]:
        """A trace-like rendering: state, step, state, and the verdict of the replay."""
        if self.pre is None:
            out = [f"counts {self.abstract_pre.describe()}", f"move   {self.move}"]
        else:
            out = [f"state  {self.pre.describe()}"]
        if self.transition is not None:
            out.append(f"step   {self.transition}")
        if self.post is not None:
            out.append(f"state  {self.post.describe()}")
        out.append(f"broken: {self.violation}")
        status = "confirmed by the Python model" if self.confirmed else "NOT confirmed"
        out.append(f"replay: {status}: {self.note}")
        return out


def _event(label: Label, p: int) -> Event:
    if label.kind == "Wait":
        return wait_of(label, p)
    event: Event = _EVENTS[label.kind](p)
    return event


def _named_state_check(model: ProofModel, name: str, state: State) -> str | None:
    for inv in state_invariants(model.profile):
        if inv.name == name:
            return inv.check(state) or ""
    return None


def replay_init(model: ProofModel, clause: Clause, a: AbstractState) -> ProofCounterexample:
    """Replay a counterexample to ``init => clause``."""
    distinct = model.profile.policies.index is IndexPolicy.DISTINCT
    try:
        state = concretise(a, distinct)
    except AbstractionError as exc:
        return ProofCounterexample(a, None, None, None, "init", clause.description, False, str(exc))
    same = False
    try:
        expected = initial_state(model.profile, a.parties, len(state.locals))
        same = sorted(expected.locals) == list(state.locals) and expected == attrs.evolve(
            state, locals=expected.locals
        )
    except UsageError:
        pass  # no initial state has these parameters
    holds = bool(compile_term(clause.formula(model.pre))(environment(a, model.universe)))
    named = _named_state_check(model, clause.name, state)
    violation = named or f"{clause.name}: {clause.description} (false here)"
    confirmed = same and not holds and (named is None or bool(named))
    note = "it is the initial state" if same else "the Python initial state differs"
    return ProofCounterexample(a, state, None, None, "init", violation, confirmed, note)


def replay_step(
    model: ProofModel,
    step_function: StepFunction,
    move: Move,
    a: AbstractState,
    *,
    post: AbstractState | None,
    clause: Clause | StepClause,
) -> ProofCounterexample:
    """Replay ``move`` from abstract state ``a``; ``post`` is its abstract successor."""
    distinct = model.profile.policies.index is IndexPolicy.DISTINCT
    rho, label = a.rho, move.label
    name = move.name
    try:
        pre = concretise(a, distinct)
    except AbstractionError as exc:
        return ProofCounterexample(
            a,
            None,
            None,
            None,
            name,
            clause.description,
            False,
            f"no concrete state has these counts: {exc}",
        )

    def fail(note: str, transition: Transition | None = None) -> ProofCounterexample:
        return ProofCounterexample(a, pre, transition, None, name, clause.description, False, note)

    if abstract(pre, rho) != a:
        return fail("the concrete state does not abstract back to the counterexample")
    actors = [i for i, loc in enumerate(pre.locals) if abstract_local(loc, pre, rho) == label.actor]
    if not actors:
        return fail(f"no participant is in class {label.actor.key}")
    event = _event(label, actors[0])
    try:
        successors = step_function(model.profile, pre, event)
    except InvalidOperationError as exc:
        return fail(f"the model refuses the event: {exc}")
    if isinstance(clause, StepClause) and clause.on_choice(model.pre, move):
        # the move is enabled but no value can be chosen: the model must have no such step
        index_steps = [s for s in successors if any(isinstance(o, Returned) for o in s.outputs)]
        note = f"{event} finds no unused index of round {rho} in range(parties)"
        if index_steps:
            return fail(f"the model returns {index_steps[0].outputs} here")
        return ProofCounterexample(
            a, pre, Transition(event), None, name, clause.description, True, note
        )
    for succ in successors:
        if abstract_transition(pre, event, succ.outputs, rho) != label:
            continue
        if post is not None and abstract(succ.state, rho) != post:
            continue
        transition = Transition(event, succ.outputs)
        return _judge(model, clause, a, (pre, transition, succ.state), name)
    return fail(f"the model has no step {event} with this outcome", Transition(event))


def _judge(
    model: ProofModel,
    clause: Clause | StepClause,
    a: AbstractState,
    replayed: tuple[State, Transition, State],
    name: str,
) -> ProofCounterexample:
    """Does the replayed step ``(pre, transition, post)`` break ``clause`` in the model?"""
    pre, transition, post = replayed
    rho = a.rho
    if isinstance(clause, StepClause):
        for tinv in transition_invariants(model.profile):
            if tinv.name == clause.name:
                message = tinv.check(pre, transition, post)
                confirmed = message is not None
                note = "the model's own check fails" if confirmed else "the model's check passes"
                violation = message or clause.description
                return ProofCounterexample(
                    a, pre, transition, post, name, violation, confirmed, note
                )
        return ProofCounterexample(
            a,
            pre,
            transition,
            post,
            name,
            clause.description,
            False,
            f"the model has no transition invariant {clause.name!r}",
        )
    env = environment(abstract(post, rho), model.universe)
    holds = bool(compile_term(clause.formula(model.pre))(env))
    named = _named_state_check(model, clause.name, post)
    if named is not None:
        confirmed = bool(named) and not holds
        note = "the model's own check fails" if confirmed else "the model's check passes"
        return ProofCounterexample(
            a, pre, transition, post, name, named or clause.description, confirmed, note
        )
    note = (
        f"the clause is false on the concrete successor (round rho = {rho})"
        if not holds
        else "the clause holds on the concrete successor"
    )
    violation = f"{clause.name}: {clause.description}"
    return ProofCounterexample(a, pre, transition, post, name, violation, not holds, note)
