"""The oracle: the set of model states consistent with everything observed so far.

A real barrier is observed only at quiescence, after each operation: who returned and how,
who is still blocked, which action runs happened, and what the observers read. Between two
observations the model may take any number of *internal* steps the environment does not
control -- released parties resuming, blocked newcomers entering, and (on a real clock)
timeouts firing. The oracle therefore advances every candidate state by the operation's
event, then closes under internal events, keeping the paths whose outputs are exactly the
observed ones and that end in a quiescent state matching the observed blocked set and
observers. When no candidate survives, the observation is a violation; :class:`Mismatch`
says what was observed and what the model allowed instead.

Both kinds of nondeterminism are handled without guessing: the model's (a free arrival
index, a newcomer that may block or join) and the scheduler's (which timeout fired first).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Hashable, Iterable, Iterator

import attrs

from barrierspec import adapters as ad
from barrierspec.adapters._ops import firing_timeout
from barrierspec.conformance._model_cache import ModelCache
from barrierspec.spec import (
    Abort,
    ActionRan,
    Bounds,
    Call,
    Cancel,
    Cancellation,
    Die,
    Enter,
    Event,
    Fault,
    IndexPolicy,
    Join,
    Notice,
    Profile,
    Raised,
    Reset,
    Resume,
    Returned,
    State,
    Status,
    Successor,
    Timeout,
    Wait,
    initial_state,
)

__all__ = ["Mismatch", "Oracle", "event_of", "model_n_waiting"]

_KIND_OF_FAULT: dict[Fault, str] = {
    Fault.BROKEN: "broken",
    Fault.ACTION: "action",
    Fault.TIMEOUT: "timeout",
    Fault.CANCELLED: "cancelled",
    Fault.CANCELLED_BARRIER: "cancelled_barrier",
}
_MAX_FRONTIER = 200_000  # closure paths explored per observation before giving up
# The events nobody sends: the scheduler resumes released and woken parties and admits blocked
# newcomers, the barrier notices deaths, the clock fires timeouts. ``enabled`` yields them
# whatever the bounds (bounds limit only the calls, kills and cancellations of the checker).
_SCHEDULED = (Resume, Enter, Notice, Timeout)
_ANY_BOUNDS = Bounds()


#: The operations that stand for a model event of the same participant and nothing else
#: (a wait carries its timing and action, an advance is no event); the generated tests
#: invert this table.
EVENT_OF_OP: dict[type[ad.Op], type[Event]] = {
    ad.AbortOp: Abort,
    ad.ResetOp: Reset,
    ad.CancelOp: Cancel,
    ad.KillOp: Die,
    ad.JoinOp: Join,
}


# WaitOp.action_calls -> the model's Wait.calls
CALL_OF_NAME: dict[str | None, Call] = {None: Call.NONE, "abort": Call.ABORT, "reset": Call.RESET}


def event_of(op: ad.Op, default_timeout: float | None = None) -> Event | None:
    """The model event an adapter operation stands for (None for ``Advance``, and for
    ``Resume``: a held party's resumption is the model's internal ``Resume`` event).

    A wait is timed in the model when a timeout can expire during the run: its own, else the
    barrier's constructor default (``default_timeout``), see :func:`firing_timeout`.
    """
    if isinstance(op, ad.WaitOp):
        timed = firing_timeout(op.timeout, default_timeout) is not None
        return Wait(op.participant, timed, op.action_raises, CALL_OF_NAME[op.action_calls])
    if isinstance(op, ad.AdvanceOp | ad.ResumeOp):
        return None
    event: Event = EVENT_OF_OP[type(op)](op.participant)
    return event


def model_n_waiting(state: State) -> int:
    """What ``n_waiting`` (or ``waiting(name)``) reads in a quiescent model state."""
    return 0 if state.broken else state.arrived


def _render(outcome: ad.OpOutcome) -> str:
    if isinstance(outcome, ad.OpReturned):
        return f"returned {outcome.value!r}"
    return f"raised {outcome.type_name}" + (f" ({outcome.message})" if outcome.message else "")


def _matches(model: Returned | Raised, seen: ad.OpOutcome) -> bool:
    if isinstance(model, Returned):
        if not isinstance(seen, ad.OpReturned):
            return False
        if model.value is None or isinstance(model.value, bool):
            return seen.value is model.value
        return type(seen.value) is int and seen.value == model.value
    return isinstance(seen, ad.OpRaised) and seen.kind == _KIND_OF_FAULT[model.fault]


@attrs.frozen
class Mismatch:
    """Why an observation left no model state: what happened and what the model allowed."""

    reason: str  # one sentence: the first rule the observation broke
    observed: str  # what the real barrier did
    expected: str  # what the model allowed instead (a few alternatives)


@attrs.frozen
class _Path:
    state: State
    pending: frozenset[int]  # participants whose observed outcome is not yet explained
    actions: tuple[tuple[int, bool], ...]  # observed action runs not yet explained


@attrs.define
class Oracle:
    """Holds the model states consistent with a real barrier's observations.

    ``real_clock``: timeouts fire by themselves (threads, processes), so they are internal
    events and a quiescent state has no pending timed wait; otherwise (asyncio's virtual
    clock) they fire only on ``Advance``, except a zero timeout (``wait(0)``), which is due at
    once on any clock: its timeout is internal too. ``has_action`` / ``has_n_waiting`` / ...
    say which observations the target makes, so missing capabilities are not held against it.
    """

    profile: Profile
    parties: int
    participants: int
    capabilities: ad.Capabilities
    real_clock: bool
    default_timeout: float | None = None  # the barrier's constructor timeout, if it has one
    states: set[State] = attrs.field(init=False)
    # participants whose pending wait has a zero timeout: due at once, also on a virtual clock
    _due_now: set[int] = attrs.field(init=False, factory=set, eq=False, repr=False)
    # ... of which timed from outside (``asyncio.timeout``): the timeout is a cancellation
    _outside: set[int] = attrs.field(init=False, factory=set, eq=False, repr=False)
    # participants whose wait is timed from outside with a timer the next Advance fires
    _armed: set[int] = attrs.field(init=False, factory=set, eq=False, repr=False)
    # the model's answers, shared by every oracle of the profile (see _model_cache)
    model: ModelCache = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        self.states = {initial_state(self.profile, self.parties, self.participants)}
        self.model = ModelCache.of(self.profile)

    # ------------------------------------------------------------------ public interface

    def observe(self, step_seen: ad.StepReport) -> Mismatch | None:
        """Advance by one observed step; on a violation keep the old states, return why."""
        self._note_timeouts(step_seen.op)
        if step_seen.hang is not None:  # a watchdog finding is never allowed
            return self._diagnose(step_seen)
        late = [a for a in step_seen.actions if a.returned_before > 0]
        if late and self.capabilities.has_action:
            return Mismatch(
                f"the action ran in P{late[0].participant} after {late[0].returned_before} "
                "wait(s) of its round had already returned",
                self._describe_seen(step_seen),
                "the action runs before anyone of its round is released",
            )
        survivors = self._advance(step_seen, strict=True)
        if isinstance(step_seen.op, ad.AdvanceOp):
            self._armed.clear()  # every armed timer fired
        if survivors:
            self.states = survivors
            return None
        return self._diagnose(step_seen)

    def _note_timeouts(self, op: ad.Op) -> None:
        """A wait whose timeout is 0 times out at once (also on a virtual clock); timed from
        outside (asyncio, not ``own``) it cancels the task wherever it next suspends. Any
        other firing timeout from outside is armed until the next clock advance fires it."""
        if isinstance(op, ad.WaitOp):
            p = op.participant
            self._due_now.discard(p)
            self._outside.discard(p)
            self._armed.discard(p)
            fires = firing_timeout(op.timeout, self.default_timeout)
            outside = not self.real_clock and not op.own
            if fires == 0:
                self._due_now.add(p)
                if outside:
                    self._outside.add(p)
            elif fires is not None and outside:
                self._armed.add(p)

    def _advance_cancels(self, state: State) -> Iterator[Event]:
        """On a clock advance, the timer of a wait timed from outside (``asyncio.timeout``)
        that fires while its task is woken but not resumed (released, or woken to fail by a
        break, such as another timer's at the same instant) cancels it: the profile's
        ``Cancel`` rule, seen as TimeoutError. It may also have resumed first."""
        if self.profile.policies.cancellation is Cancellation.NONE:
            return
        for p in self._armed:
            if state.locals[p].status in (Status.PASSED, Status.FAILING):
                yield Cancel(p)

    def _timeout_cancels(self, state: State) -> Iterator[Event]:
        """``asyncio.timeout(0)`` landing on a task released but not resumed (it suspends
        after its round tripped): a cancellation of a released task, the profile's
        ``Cancel`` rule (asyncio: it raises instead of returning; the round stands)."""
        for p in self._outside:
            if state.locals[p].status is Status.PASSED:
                yield Cancel(p)

    def _seen_as(self, model: Returned | Raised, seen: ad.OpOutcome) -> bool:
        """``model`` matches ``seen``; a cancellation by ``asyncio.timeout`` is seen as
        TimeoutError (the context manager turns the CancelledError into one)."""
        if _matches(model, seen):
            return True
        return (
            isinstance(model, Raised)
            and model.fault is Fault.CANCELLED
            and (model.p in self._outside or model.p in self._armed)
            and isinstance(seen, ad.OpRaised)
            and seen.kind == "timeout"
        )

    def _fires_by_itself(self, event: Event) -> bool:
        """Whether a scheduled timeout fires without a clock advance."""
        return self.real_clock or getattr(event, "p", None) in self._due_now

    def is_idle(self, p: int) -> bool:
        """True if ``p`` is outside the barrier in every candidate state."""
        return all(s.locals[p].status is Status.IDLE for s in self.states)

    def is_waiting(self, p: int) -> bool:
        """True if ``p`` waits (counted, or blocked as a newcomer) in every candidate state."""
        return all(s.locals[p].status in (Status.WAITING, Status.BLOCKED) for s in self.states)

    def is_dead(self, p: int) -> bool:
        """True if ``p`` is dead in every candidate state."""
        return all(s.locals[p].status is Status.DEAD for s in self.states)

    def settle(self, state: State, event: Event | None) -> set[State]:
        """The quiescent states ``event`` (None: a clock advance) can lead to from ``state``,
        whatever is observed on the way."""
        advance = event is None
        frontier = [state] if event is None else [s.state for s in self._step(state, event)]
        seen = set(frontier)
        done: set[State] = set()
        while frontier:
            current = frontier.pop()
            if self._quiescent(current, advance):
                done.add(current)
            events = list(self._internal(current))
            if advance:
                events += [t for t in self._timeouts_due(current) if t not in events]
            for ev in events:
                for succ in self._step(current, ev):
                    if succ.state not in seen:
                        seen.add(succ.state)
                        frontier.append(succ.state)
        return done

    def _noticed(self, state: State) -> set[State]:
        """``state`` and every state its pending death notices lead to."""
        found = {state}
        frontier = [state]
        while frontier:
            current = frontier.pop()
            for notice in self._scheduled(current):
                if isinstance(notice, Notice):
                    for succ in self._step(current, notice):
                        if succ.state not in found:
                            found.add(succ.state)
                            frontier.append(succ.state)
        return found

    def _step(self, state: State, event: Event) -> tuple[Successor, ...]:
        return self.model.successors(state, event)

    # -------------------------------------------------------------------------- closure

    def _scheduled(self, state: State) -> tuple[Event, ...]:
        """The events of ``state`` that nobody sends: resumptions, entries, notices, timeouts.

        Which of them can happen is the model's environment rule, :func:`enabled`; the
        oracle only sets apart the events the checker sends (see :data:`_SCHEDULED`).
        """
        return self.model.enabled_of(state, _ANY_BOUNDS, _SCHEDULED)

    def _internal(self, state: State) -> Iterator[Event]:
        """Events the environment does not control: resumptions, entries, real timeouts."""
        for event in self._scheduled(state):
            if not isinstance(event, Timeout) or self._fires_by_itself(event):
                yield event
        if self._outside and self.profile.policies.cancellation is not Cancellation.NONE:
            yield from self._timeout_cancels(state)

    def _timeouts_due(self, state: State) -> Iterator[Event]:
        """The timeouts a clock advance may fire (every pending timed wait's)."""
        return (e for e in self._scheduled(state) if isinstance(e, Timeout))

    def _quiescent(self, state: State, advance: bool, held: frozenset[int] = frozenset()) -> bool:
        """No internal event is due, except those of ``held`` participants (woken, and kept
        from resuming by a controlled schedule)."""
        for event in self._internal(state):
            if isinstance(event, Notice):
                continue  # the barrier may notice a death at any later time, or never
            if getattr(event, "p", None) in held:
                continue
            if not isinstance(event, Timeout) or self._fires_by_itself(event):
                return False
        return not (advance and any(True for _ in self._timeouts_due(state)))

    def _consume(self, path: _Path, outputs: Iterable[object], seen: ad.StepReport) -> _Path | None:
        pending = set(path.pending)
        actions = list(path.actions)
        for o in outputs:
            if isinstance(o, ActionRan):
                if not self.capabilities.has_action:
                    continue
                if (o.p, o.raised) not in actions:
                    return None
                actions.remove((o.p, o.raised))
            elif isinstance(o, Returned | Raised):
                if o.p not in pending or not self._seen_as(o, seen.returned[o.p]):
                    return None
                pending.discard(o.p)
        return _Path(path.state, frozenset(pending), tuple(actions))

    def _paths(self, seen: ad.StepReport) -> tuple[set[_Path], bool]:
        """Every fully-explained quiescent path; the flag says the search was cut short."""
        op = seen.op
        advance = isinstance(op, ad.AdvanceOp)
        event = event_of(op, self.default_timeout)
        observed = dict(seen.returned)
        caller = getattr(op, "participant", None)
        if isinstance(op, ad.AbortOp | ad.ResetOp | ad.JoinOp) and caller in observed:
            observed.pop(caller)  # the call itself returned; nothing to explain
        actions = tuple((a.participant, a.raised) for a in seen.actions)
        # a death may be noticed at any time, so also just before the operation
        start = [
            _Path(s, frozenset(observed), actions)
            for state in self.states
            for s in self._noticed(state)
        ]
        frontier: list[_Path] = []
        for path in start:
            if event is None:
                frontier.append(path)
                continue
            for succ in self._step(path.state, event):
                moved = self._consume(attrs.evolve(path, state=succ.state), succ.outputs, seen)
                if moved is not None:
                    frontier.append(moved)
        done: set[_Path] = set()
        visited: set[_Path] = set(frontier)
        cut = False
        while frontier:
            path = frontier.pop()
            if (
                not path.pending
                and not path.actions
                and self._quiescent(path.state, advance, seen.held)
            ):
                done.add(path)
            events = list(self._internal(path.state))
            if advance:
                events += [t for t in self._timeouts_due(path.state) if t not in events]
                events += [c for c in self._advance_cancels(path.state) if c not in events]
            for ev in events:
                for succ in self._step(path.state, ev):
                    moved = self._consume(attrs.evolve(path, state=succ.state), succ.outputs, seen)
                    if moved is not None and moved not in visited:
                        visited.add(moved)
                        frontier.append(moved)
            if len(visited) > _MAX_FRONTIER:
                cut = True
                break
        return done, cut

    def _fits(self, state: State, seen: ad.StepReport) -> bool:
        """The quiescent ``state`` agrees with the observed blocked set, deaths, observers."""
        inside = (Status.WAITING, Status.BLOCKED)
        blocked = {
            p
            for p, loc in enumerate(state.locals)
            if loc.status in inside
            or (p in seen.held and loc.status in (Status.PASSED, Status.FAILING))
        }
        if blocked != set(seen.blocked) - set(seen.dead):
            return False
        if self.capabilities.has_kill:
            dead = {p for p, loc in enumerate(state.locals) if loc.status is Status.DEAD}
            if dead != set(seen.dead):
                return False
        return self._fits_snapshot(state, seen.snapshot)

    def _fits_snapshot(self, state: State, snap: ad.Snapshot | None) -> bool:
        if snap is None:
            return True
        if snap.n_waiting is not None and snap.n_waiting != model_n_waiting(state):
            return False
        if snap.broken is not None and snap.broken != state.broken:
            return False
        return snap.parties is None or snap.parties == state.parties

    def _advance(self, seen: ad.StepReport, strict: bool) -> set[State]:
        """The quiescent states that explain ``seen`` (``strict``: and fit what it shows of
        the blocked set, deaths and observers). A pure function of the candidate states and
        of what ``seen`` and this oracle's settings say, so remembered across programs."""
        key = self._memo_key(seen, strict)
        if key is None:
            return self._explain(seen, strict)
        found = self.model.explained(key)
        if found is None:
            found = self.model.remember_explained(key, frozenset(self._explain(seen, strict)))
        return set(found)

    def _memo_key(self, seen: ad.StepReport, strict: bool) -> Hashable | None:
        """Everything :meth:`_explain` reads, as a key (None if an observed value is not
        hashable); a returned value is keyed with its type (``True == 1``, not alike here)."""
        returned = tuple(
            sorted(
                (p, type(o.value) if isinstance(o, ad.OpReturned) else None, o)
                for p, o in seen.returned.items()
            )
        )
        key = (
            frozenset(self.states),
            seen.op,
            returned,
            tuple((a.participant, a.raised) for a in seen.actions),
            seen.held,
            seen.blocked,
            seen.dead,
            seen.snapshot,
            strict,
            frozenset(self._due_now),
            frozenset(self._outside),
            frozenset(self._armed),
            self.default_timeout,
            self.real_clock,
            self.capabilities,
        )
        try:
            hash(key)
        except TypeError:
            return None
        return key

    def _explain(self, seen: ad.StepReport, strict: bool) -> set[State]:
        paths, _ = self._paths(seen)
        if not strict:
            return {p.state for p in paths}
        return {p.state for p in paths if self._fits(p.state, seen)}

    # ------------------------------------------------------------------------ diagnosis

    def _diagnose(self, seen: ad.StepReport) -> Mismatch:
        observed = self._describe_seen(seen)
        if seen.hang is not None:
            return Mismatch(
                f"hang: {seen.hang.message}", observed, "every timed wait ends by its timeout"
            )
        loose = self._advance(seen, strict=False)
        if not loose:
            return Mismatch(self._outcome_reason(seen), observed, self._allowed(seen))
        states = sorted(loose, key=lambda s: s.describe())
        if not any(self._fits_snapshot(s, None) and self._blocked_fits(s, seen) for s in states):
            return Mismatch(
                self._blocked_reason(states, seen),
                observed,
                "; ".join(self._blocked_text(s) for s in states[:3]),
            )
        snap = seen.snapshot
        assert snap is not None
        alt = "; ".join(
            f"n_waiting={model_n_waiting(s)} broken={s.broken} parties={s.parties}"
            for s in states[:3]
        )
        field = "observers"
        if snap.n_waiting is not None and all(snap.n_waiting != model_n_waiting(s) for s in states):
            field = "n_waiting"
        elif snap.broken is not None and all(snap.broken != s.broken for s in states):
            field = "broken"
        elif snap.parties is not None and all(snap.parties != s.parties for s in states):
            field = "parties"
        return Mismatch(f"{field} reads a value the model does not allow", observed, alt)

    def _blocked_reason(self, states: list[State], seen: ad.StepReport) -> str:
        """Who is blocked, in words: the difference from the closest state the model allows."""
        observed = set(seen.blocked) - set(seen.dead)

        def blocked_in(state: State) -> set[int]:
            return {
                p
                for p, loc in enumerate(state.locals)
                if loc.status in (Status.WAITING, Status.BLOCKED)
            }

        closest = min(states, key=lambda s: len(blocked_in(s) ^ observed))
        stuck = sorted(observed - blocked_in(closest))
        early = sorted(blocked_in(closest) - observed)
        one = len(stuck) == 1
        names = ", ".join(f"P{p}" for p in stuck)
        if stuck and isinstance(seen.op, ad.AbortOp | ad.ResetOp):
            call = "abort()" if isinstance(seen.op, ad.AbortOp) else "reset()"
            return f"{call} returned but {names} {'was' if one else 'were'} not woken"
        if stuck and isinstance(seen.op, ad.WaitOp):
            its = "its" if one else "their"
            return f"{names} {'is' if one else 'are'} still blocked after {its} round was released"
        if stuck:
            return f"{names} {'is' if one else 'are'} still blocked where the model lets it return"
        left = ", ".join(f"P{p}" for p in early)
        return f"{left} left the barrier where the model keeps it blocked (released too early)"

    def _blocked_fits(self, state: State, seen: ad.StepReport) -> bool:
        return self._fits(state, dataclasses.replace(seen, snapshot=None))

    @staticmethod
    def _blocked_text(state: State) -> str:
        waiting = [
            f"P{p}"
            for p, loc in enumerate(state.locals)
            if loc.status in (Status.WAITING, Status.BLOCKED)
        ]
        return "blocked: " + (", ".join(waiting) if waiting else "nobody")

    @staticmethod
    def _describe_seen(seen: ad.StepReport) -> str:
        parts = [f"P{p} {_render(o)}" for p, o in sorted(seen.returned.items())]
        for a in seen.actions:
            parts.append(f"action ran in P{a.participant}" + (" and raised" if a.raised else ""))
        parts.append("blocked: " + (", ".join(f"P{p}" for p in sorted(seen.blocked)) or "nobody"))
        if seen.snapshot is not None:
            s = seen.snapshot
            parts.append(f"n_waiting={s.n_waiting} broken={s.broken} parties={s.parties}")
        return "; ".join(parts)

    def _allowed(self, seen: ad.StepReport) -> str:
        """A few outcome sets the model allows for this operation (ignoring observations;
        the participants a controlled schedule holds do not resume)."""
        options: Counter[str] = Counter()
        event = event_of(seen.op, self.default_timeout)
        advance = isinstance(seen.op, ad.AdvanceOp)
        for state in sorted(self.states, key=lambda s: s.describe())[:4]:
            for text in self._outcome_sets(state, event, advance, seen.held):
                options[text] += 1
                if len(options) >= 4:
                    break
        return " | ".join(options) if options else "no outcome at all (the operation is invalid)"

    def _shown(self, outputs: Iterable[object]) -> tuple[str, ...]:
        """Outputs as text, leaving out action runs for targets without an action."""
        return tuple(
            str(o) for o in outputs if self.capabilities.has_action or not isinstance(o, ActionRan)
        )

    def _outcome_reason(self, seen: ad.StepReport) -> str:
        """The first rule the observed outcomes break, as precisely as it can be named."""
        wrong = self._wrong_type(seen)
        if wrong is not None:
            return wrong
        indices: dict[object, list[int]] = {}
        for p, o in sorted(seen.returned.items()):
            if isinstance(o, ad.OpReturned) and type(o.value) is int:
                indices.setdefault(o.value, []).append(p)
        parties = {s.parties for s in self.states}
        for value, who in indices.items():
            if len(who) > 1:
                names = " and ".join(f"P{p}" for p in who)
                return f"duplicate arrival index {value} ({names} in one round)"
            if all(not 0 <= value < n for n in parties):  # type: ignore[operator]
                return f"arrival index {value} outside range(parties) (parties={max(parties)})"
        out_of_order = self._out_of_order(seen)
        if out_of_order is not None:
            return out_of_order
        runs = len(seen.actions)
        if self.capabilities.has_action and runs > 1:
            return f"the action ran {runs} times for one operation"
        return self._release_reason(seen) or self._outcome_difference(seen)

    def _release_reason(self, seen: ad.StepReport) -> str | None:
        """A rule of the release the outcomes break: an action that ran in a party that
        stayed blocked, a release its action's ``abort()``/``reset()`` forbids, or an early
        one."""
        for run in seen.actions:
            if not run.raised and run.participant in seen.blocked:
                return (
                    f"P{run.participant} ran the action (its round tripped), then stayed "
                    "blocked in wait()"
                )
        released = [p for p, o in seen.returned.items() if isinstance(o, ad.OpReturned)]
        passed = ", ".join(f"P{p}" for p in sorted(released))
        calls = seen.op.action_calls if isinstance(seen.op, ad.WaitOp) else None
        if released and calls and seen.actions:
            return (
                f"{passed} returned normally though the action called {calls}(), which breaks "
                "the round"
            )
        if released and all(self._must_block(s, seen) for s in self.states):
            return f"{passed} passed the barrier before all parties arrived"
        return None

    def _wrong_type(self, seen: ad.StepReport) -> str | None:
        """``P0 returned None where an index in range(3) is required``, if a wait did that."""
        distinct = self.profile.policies.index in (IndexPolicy.DISTINCT, IndexPolicy.ARRIVAL)
        parties = max(s.parties for s in self.states)
        for p, o in sorted(seen.returned.items()):
            if not isinstance(o, ad.OpReturned) or isinstance(seen.op, ad.AbortOp | ad.ResetOp):
                continue
            if distinct and type(o.value) is not int and o.value is not False:
                return f"P{p} returned {o.value!r} where an index in range({parties}) is required"
            nothing = self.profile.policies.index is IndexPolicy.RETURNS_NONE
            if nothing and o.value is not None and o.value is not False:
                return f"P{p} returned {o.value!r} where wait() returns None"
        return None

    def _out_of_order(self, seen: ad.StepReport) -> str | None:
        """``P1 returned 0 where the arrival order gives 1``, under ``IndexPolicy.ARRIVAL``."""
        if self.profile.policies.index is not IndexPolicy.ARRIVAL:
            return None
        for p, o in sorted(seen.returned.items()):
            if not isinstance(o, ad.OpReturned) or type(o.value) is not int:
                continue
            ranks = sorted({r for s in self.states if (r := _rank(s, p)) is not None})
            if ranks and o.value not in ranks:
                order = " or ".join(map(str, ranks))
                return f"P{p} returned {o.value} where the arrival order gives {order}"
        return None

    def _outcome_difference(self, seen: ad.StepReport) -> str:
        """What was observed that no allowed outcome has, in words."""
        allowed = self._allowed(seen)
        if isinstance(seen.op, ad.ResumeOp) and seen.op.participant in seen.blocked:
            p = seen.op.participant
            return f"P{p} resumed and waits again, although the model has it leave wait()"
        stuck = [
            p for p in sorted(seen.blocked) if p not in seen.returned and f"P{p} returns" in allowed
        ]
        if stuck and isinstance(seen.op, ad.WaitOp):
            names = ", ".join(f"P{p}" for p in stuck)
            verb, its = ("is", "its") if len(stuck) == 1 else ("are", "their")
            return f"{names} {verb} still blocked after {its} round was released"
        if stuck and isinstance(seen.op, ad.AbortOp):
            return f"abort() returned but {', '.join(f'P{p}' for p in stuck)} not woken"
        inside = ", ".join(f"P{p}" for p in sorted(seen.held))
        why = f" while {inside} stayed released but not resumed" if inside else ""
        for p, o in sorted(seen.returned.items()):
            if f"P{p} " not in allowed:
                return f"P{p} {_render(o)}{why}, although the model lets nothing of P{p} end here"
        returned = "; ".join(f"P{p} {_render(o)}" for p, o in sorted(seen.returned.items()))
        return f"{returned or 'nothing returned'}: no outcome the model allows for this step"

    def _must_block(self, state: State, seen: ad.StepReport) -> bool:
        """True if, from ``state``, the operation cannot complete a round."""
        return all(
            t.round == state.round
            for t in self.settle(state, event_of(seen.op, self.default_timeout))
        )

    def _outcome_sets(
        self, state: State, event: Event | None, advance: bool, held: frozenset[int]
    ) -> list[str]:
        found: list[str] = []
        frontier: list[tuple[State, tuple[str, ...]]] = []
        if event is None:
            frontier.append((state, ()))
        else:
            for succ in self._step(state, event):
                frontier.append((succ.state, self._shown(succ.outputs)))
        seen_paths: set[tuple[State, tuple[str, ...]]] = set(frontier)
        while frontier and len(found) < 4 and len(seen_paths) < 5000:
            current, outs = frontier.pop()
            if self._quiescent(current, advance, held):
                text = (", ".join(outs) or "nothing returns") + "; " + self._blocked_text(current)
                if text not in found:
                    found.append(text)
            events = list(self._internal(current))
            if advance:
                events += list(self._timeouts_due(current))
            for ev in (e for e in events if getattr(e, "p", None) not in held):
                for succ in self._step(current, ev):
                    item = (succ.state, outs + self._shown(succ.outputs))
                    if item not in seen_paths:
                        seen_paths.add(item)
                        frontier.append(item)
        return found


def _rank(state: State, p: int) -> int | None:
    """``p``'s arrival position in ``state``: its own once counted, ``arrived`` if it arrives
    now, None while blocked or outside a wait."""
    loc = state.locals[p]
    if loc.status in (Status.WAITING, Status.PASSED):
        return loc.position
    return state.arrived if loc.status is Status.IDLE else None
