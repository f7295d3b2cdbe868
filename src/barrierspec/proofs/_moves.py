"""The step function over counters: one :class:`Move` per event kind, actor class and branch.

This is :func:`barrierspec.spec.step` (with the environment of
:func:`barrierspec.spec.enabled`, bounds switched off) restated over the counter abstraction.
A concrete step picks a participant ``p`` and an event; here a move picks the *class* of the
acting participant (its count must be at least 1) and one branch of the step's control flow.
Each move carries:

* ``enabled`` -- the event is enabled for a participant of that class and the step takes this
  branch (the branch's path condition, over the pre-state);
* ``choice`` -- a value the step must choose exists (an unused arrival index of the round);
  true for moves that choose nothing;
* ``post`` -- the successor, as terms over the pre-state (the step is a function once the
  branch is fixed: which index is returned is not part of the abstraction);
* ``released`` -- how many participants the move turns into ``PASSED``;
* its :class:`Label`: event kind and arguments, actor class, and the observations (each
  about the actor) -- the abstraction of :class:`~barrierspec.spec.Transition`.

The transition relation of a profile is the disjunction of ``enabled & choice & post' ==
post`` over its moves. Whole-barrier effects (a trip, a break, a reset) are class-to-class
maps applied to every counter, exactly as the Python helpers ``_trip``, ``_break`` and
``_reset`` rewrite every participant. The module ``_agreement`` checks, on every state the
explorer reaches at small bounds, that this relation and the Python step agree exactly.
"""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from barrierspec.proofs._abstraction import LocalClass, Sym, Tag
from barrierspec.proofs._symops import (
    DEAD,
    DEAD_ARRIVAL,
    choose,
    dead_arrival,
    failing,
    idle,
    prune,
    relocate,
    remap,
    settling,
    shift,
    waiting,
)
from barrierspec.proofs._z3 import (
    BoolTerm,
    IntTerm,
    all_of,
    bool_val,
    int_val,
    ite,
)
from barrierspec.spec import (
    AbortDrainers,
    ActionPolicy,
    Cancellation,
    Death,
    Fault,
    GiveUp,
    IndexPolicy,
    Member,
    Membership,
    Newcomer,
    Policies,
    Profile,
    ResetPolicy,
    Status,
)

__all__ = ["EVENT_KINDS", "Label", "Move", "Out", "Variant", "build_moves"]


@attrs.frozen(order=True)
class Out:
    """An observation about the acting participant: ``ActionRan`` / ``Raised`` / ``Returned``.

    ``detail``: whether the action raised (``"True"``/``"False"``), the fault's name, or the
    value returned (``"True"``, ``"False"``, or ``"index"`` for any arrival index).
    """

    kind: str
    detail: str


@attrs.frozen(order=True)
class Label:
    """The abstraction of a transition label: event, its arguments, actor class, outputs."""

    kind: str  # the event class name: "Wait", "Resume", ...
    params: tuple[bool, ...]  # Wait: (timeout, raises); otherwise ()
    actor: LocalClass
    outputs: tuple[Out, ...] = ()

    def __str__(self) -> str:
        args = f"({', '.join(map(str, self.params))})" if self.params else ""
        outs = ", ".join(f"{o.kind} {o.detail}" for o in self.outputs)
        return f"{self.kind}{args} by {self.actor.key}" + (f" -> {outs}" if outs else "")


@attrs.frozen(eq=False)
class Move:
    """One branch of one event for one actor class (see the module docstring)."""

    label: Label
    branch: str
    enabled: BoolTerm
    choice: BoolTerm
    post: Sym
    released: IntTerm

    @property
    def name(self) -> str:
        """Label and branch: ``Wait(False, False) by idle -> ActionRan False [trips the round]``."""
        return f"{self.label} [{self.branch}]"


@attrs.frozen
class Variant:
    """A deliberately altered step, to show that the proofs catch a broken model.

    ``early_trip``: an arrival trips the round when ``arrived + 2 == parties`` (one early).
    ``timeout_policies``: timeouts follow these policies instead of the profile's.
    The default is the model itself.
    """

    name: str = "model"
    early_trip: bool = False
    timeout_policies: Policies | None = None


# ----------------------------------------------------------------------------- moves


class _Builder:
    """Generates the moves of one profile over one universe of classes."""

    def __init__(self, profile: Profile, pre: Sym, variant: Variant) -> None:
        self.pol = profile.policies
        self.profile = profile
        self.pre = pre
        self.variant = variant
        self.timeout_pol = variant.timeout_policies or self.pol
        self.dynamic = self.pol.membership is Membership.DYNAMIC
        self.distinct = self.pol.index is IndexPolicy.DISTINCT
        self.settling = settling(pre)

    # -- whole-barrier effects -------------------------------------------------------

    def _break(self, s: Sym) -> Sym:
        """``_break``: waiters fail with BrokenBarrierError, drainers are doomed or fail."""
        breaks_drainers = self.pol.abort is AbortDrainers.BREAK

        def f(c: LocalClass) -> LocalClass:
            if c.status in (Status.WAITING, Status.BLOCKED):
                return failing(c, Fault.BROKEN)
            if c.status is Status.PASSED:
                return failing(c, Fault.BROKEN) if breaks_drainers else attrs.evolve(c, doomed=True)
            return DEAD if dead_arrival(c) else c

        broken = attrs.evolve(remap(s, f), arrived=int_val(0), broken=bool_val(True))
        return prune(broken)

    def _release(self, s: Sym, actor: LocalClass | None) -> tuple[Sym, IntTerm]:
        """``_trip`` after the action: every waiter (and the actor) passes the round."""
        here = s.rho.eq(s.round)

        def passed(tag: Tag) -> Sym:
            def f(c: LocalClass) -> LocalClass:
                if waiting(c):
                    return LocalClass(status=Status.PASSED, tag=tag, member=c.member)
                return DEAD if dead_arrival(c) else c

            out = remap(s, f)
            if actor is not None:
                out = shift(out, LocalClass(status=Status.PASSED, tag=tag, member=actor.member), 1)
            return out

        merged = choose(here, passed(Tag.RHO), passed(Tag.NOT_RHO))
        taken = ite(here, 0, s.taken) if self.distinct else s.taken
        post = attrs.evolve(merged, round=s.round + 1, arrived=int_val(0), taken=taken)
        # the filling round changed: a participant still waiting now waits in another round
        post = remap(post, lambda c: attrs.evolve(c, tag=Tag.OTHER) if waiting(c) else c)
        released = s.count(waiting) + (1 if actor is not None else 0)
        return prune(post), released

    def _leave(self, s: Sym, c: LocalClass, new: LocalClass) -> Sym:
        """``_leave``: member of class ``c`` leaves; its arrival, if any, is withdrawn."""
        moved = relocate(s, c, new)
        arrived = s.arrived - (1 if waiting(c) else 0)
        return attrs.evolve(moved, parties=s.parties - 1, arrived=arrived)

    # -- move constructors -----------------------------------------------------------

    def _move(
        self,
        label: Label,
        branch: str,
        enabled: BoolTerm,
        post: Sym,
        *,
        choice: BoolTerm | None = None,
        released: IntTerm | None = None,
    ) -> Move:
        gate = all_of([self.pre.n(label.actor) >= 1, enabled])
        return Move(
            label,
            branch,
            gate,
            bool_val(True) if choice is None else choice,
            post,
            int_val(0) if released is None else released,
        )

    def _recheck(self, label: Label, s: Sym, how: str = "leaves") -> Iterator[Move]:
        """``_recheck``: after a member left, release the round if all who remain wait.

        ``how`` names the leaving in the branch names, which must tell apart two moves of one
        label.
        """
        full = (s.parties > 0) & s.arrived.eq(s.parties)
        post, released = self._release(s, None)
        yield self._move(label, f"{how}; the round is complete", full, post, released=released)
        yield self._move(label, how, ~full, s)

    def _arrive(
        self,
        kind: str,
        params: tuple[bool, ...],
        c: LocalClass,
        gate: BoolTerm,
        *,
        timed: bool,
        raises: bool,
    ) -> Iterator[Move]:
        """``_arrive``: counted in the filling round; the last arrival trips it."""
        pre = self.pre
        parties = pre.parties - 1 if self.variant.early_trip else pre.parties
        last = (pre.arrived + 1).eq(parties)
        arrival = LocalClass(
            status=Status.WAITING, tag=Tag.CUR, timed=timed, raises=raises, member=c.member
        )
        waits = attrs.evolve(relocate(pre, c, arrival), arrived=pre.arrived + 1)
        yield self._move(Label(kind, params, c), "arrives", gate & ~last, waits)
        rest = shift(pre, c, -1)
        if self.pol.action is ActionPolicy.LAST_ARRIVAL:
            ran = Out("ActionRan", str(raises))
            if raises:
                failed = self._break(shift(rest, idle(c), 1))
                label = Label(kind, params, c, (ran, Out("Raised", Fault.ACTION.name)))
                yield self._move(label, "trips; the action raises", gate & last, failed)
                return
            label = Label(kind, params, c, (ran,))
        else:
            label = Label(kind, params, c)
        post, released = self._release(rest, c)
        yield self._move(label, "trips the round", gate & last, post, released=released)

    # -- one generator per event kind --------------------------------------------------

    def wait(self, c: LocalClass) -> Iterator[Move]:
        pol, pre = self.pol, self.pre
        if c.status is not Status.IDLE or (self.dynamic and c.member is Member.NOT_MEMBER):
            return
        would_trip = ~pre.broken & (pre.arrived + 1).eq(pre.parties)
        if pol.newcomer is Newcomer.BLOCK:
            would_trip = would_trip & ~self.settling
        raise_options = (False, True) if pol.action is ActionPolicy.LAST_ARRIVAL else (False,)
        for timed in (False, True):
            for raises in raise_options:
                params = (timed, raises)
                gate = would_trip if raises else bool_val(True)
                if self.dynamic and c.member is Member.CANCELLED:
                    label = Label("Wait", params, c, (Out("Raised", "CANCELLED_BARRIER"),))
                    yield self._move(label, "its member was cancelled", gate, pre)
                    continue
                broken_label = Label("Wait", params, c, (Out("Raised", Fault.BROKEN.name),))
                yield self._move(broken_label, "the barrier is broken", gate & pre.broken, pre)
                gate = gate & ~pre.broken
                if pol.newcomer is not Newcomer.JOIN_NEXT:
                    blocked = LocalClass(
                        status=Status.BLOCKED, timed=timed, raises=raises, member=c.member
                    )
                    yield self._move(
                        Label("Wait", params, c),
                        "blocks while the last round drains",
                        gate & self.settling,
                        relocate(pre, c, blocked),
                    )
                if pol.newcomer is Newcomer.BLOCK:
                    gate = gate & ~self.settling
                yield from self._arrive("Wait", params, c, gate, timed=timed, raises=raises)

    def enter(self, c: LocalClass) -> Iterator[Move]:
        if c.status is not Status.BLOCKED:
            return
        gate = ~self.settling & ~self.pre.broken
        yield from self._arrive("Enter", (), c, gate, timed=c.timed, raises=c.raises)

    def resume(self, c: LocalClass) -> Iterator[Move]:
        pre = self.pre
        if c.status is Status.FAILING:
            label = Label("Resume", (), c, (Out("Raised", c.fault.name),))
            yield self._move(label, "raises", bool_val(True), prune(relocate(pre, c, idle(c))))
            return
        if c.status is not Status.PASSED:
            return
        left = relocate(pre, c, idle(c))
        if c.doomed:
            label = Label("Resume", (), c, (Out("Raised", Fault.BROKEN.name),))
            yield self._move(label, "aborted before resuming", bool_val(True), prune(left))
        if not self.distinct:
            label = Label("Resume", (), c, (Out("Returned", "True"),))
            yield self._move(label, "returns", bool_val(True), prune(left))
            return
        label = Label("Resume", (), c, (Out("Returned", "index"),))
        if c.tag is Tag.RHO:
            post = prune(attrs.evolve(left, taken=pre.taken + 1))
            yield self._move(
                label, "returns a fresh index", bool_val(True), post, choice=pre.taken < pre.parties
            )
        else:
            yield self._move(label, "returns a fresh index", bool_val(True), prune(left))

    def timeout(self, c: LocalClass) -> Iterator[Move]:
        pre, give_up = self.pre, self.timeout_pol.give_up
        if not c.timed:
            return
        if c.status is Status.BLOCKED:
            if self.pol.give_up is GiveUp.BREAK_ALL:  # the environment: not while blocked
                return
            label = Label("Timeout", (), c, (Out("Raised", Fault.TIMEOUT.name),))
            yield self._move(label, "gives up", bool_val(True), relocate(pre, c, idle(c)))
            return
        if c.status is not Status.WAITING:
            return
        left = relocate(pre, c, idle(c))
        if give_up is GiveUp.BREAK_ALL:
            label = Label("Timeout", (), c, (Out("Raised", Fault.BROKEN.name),))
            yield self._move(label, "breaks the barrier", bool_val(True), self._break(left))
        elif give_up is GiveUp.WITHDRAW:
            label = Label("Timeout", (), c, (Out("Raised", Fault.TIMEOUT.name),))
            post = attrs.evolve(left, arrived=pre.arrived - 1)
            yield self._move(label, "withdraws", bool_val(True), post)
        else:
            label = Label("Timeout", (), c, (Out("Returned", "False"),))
            cancelled = LocalClass(member=Member.CANCELLED)
            yield from self._recheck(label, self._leave(pre, c, cancelled))

    def cancel(self, c: LocalClass) -> Iterator[Move]:
        pre, mode = self.pre, self.pol.cancellation
        if mode is Cancellation.CANCEL_MEMBER:
            if not self.dynamic or c.member is not Member.MEMBER:
                return
            if waiting(c):
                label = Label("Cancel", (), c, (Out("Raised", "CANCELLED_BARRIER"),))
                left = self._leave(pre, c, LocalClass(member=Member.CANCELLED))
                yield from self._recheck(label, left)
                return
            label = Label("Cancel", (), c)
            left = self._leave(pre, c, attrs.evolve(c, member=Member.CANCELLED))
            yield from self._recheck(label, left)
            if c.status is Status.PASSED:  # the cancel may win the race with the wake-up
                woken = LocalClass(
                    status=Status.FAILING, fault=Fault.CANCELLED_BARRIER, member=Member.CANCELLED
                )
                yield from self._recheck(
                    label, prune(self._leave(pre, c, woken)), "leaves before its wake-up"
                )
            return
        if mode is Cancellation.NONE or self.dynamic:
            return
        raised = (Out("Raised", Fault.CANCELLED.name),)
        if waiting(c):
            post = attrs.evolve(relocate(pre, c, idle(c)), arrived=pre.arrived - 1)
            yield self._move(Label("Cancel", (), c, raised), "withdraws", bool_val(True), post)
        elif c.status is Status.BLOCKED:
            post = relocate(pre, c, idle(c))
            yield self._move(Label("Cancel", (), c, raised), "withdraws", bool_val(True), post)
        elif c.status is Status.PASSED:
            post = prune(relocate(pre, c, failing(c, Fault.CANCELLED)))
            yield self._move(
                Label("Cancel", (), c), "cancelled after release", bool_val(True), post
            )

    def abort(self, c: LocalClass) -> Iterator[Move]:
        if c.status is Status.IDLE and self.profile.has_abort:
            yield self._move(
                Label("Abort", (), c), "breaks the barrier", bool_val(True), self._break(self.pre)
            )

    def reset(self, c: LocalClass) -> Iterator[Move]:
        if c.status is not Status.IDLE or not self.profile.has_reset:
            return
        drainers = self.pol.reset is ResetPolicy.BREAK_DRAINERS

        def f(x: LocalClass) -> LocalClass:
            if waiting(x) or (drainers and x.status is Status.PASSED):
                return failing(x, Fault.BROKEN)
            return DEAD if dead_arrival(x) else x

        post = attrs.evolve(remap(self.pre, f), arrived=int_val(0), broken=bool_val(False))
        yield self._move(Label("Reset", (), c), "resets", bool_val(True), prune(post))

    def die(self, c: LocalClass) -> Iterator[Move]:
        pre, death = self.pre, self.pol.death
        if death is Death.NONE or c.status is Status.DEAD:
            return
        label = Label("Die", (), c)
        if death is Death.WITHDRAW and c.member is Member.MEMBER:
            yield from self._recheck(label, prune(self._leave(pre, c, DEAD)))
            return
        if death is Death.WITHDRAW or not waiting(c):
            yield self._move(label, "dies", bool_val(True), prune(relocate(pre, c, DEAD)))
            return
        # its arrival stands until the barrier notices the death (see notice)
        stands = relocate(pre, c, DEAD_ARRIVAL)
        yield self._move(label, "dies; its arrival stands", bool_val(True), stands)

    def notice(self, c: LocalClass) -> Iterator[Move]:
        if self.pol.death is not Death.ANY or c != DEAD_ARRIVAL:
            return
        label = Label("Notice", (), c)
        withdrawn = attrs.evolve(relocate(self.pre, c, DEAD), arrived=self.pre.arrived - 1)
        yield self._move(label, "its arrival is withdrawn", bool_val(True), withdrawn)
        yield self._move(label, "the barrier breaks", bool_val(True), self._break(withdrawn))

    def join(self, c: LocalClass) -> Iterator[Move]:
        if not self.dynamic or c.status is not Status.IDLE or c.member is Member.MEMBER:
            return
        post = attrs.evolve(
            relocate(self.pre, c, LocalClass(member=Member.MEMBER)), parties=self.pre.parties + 1
        )
        yield self._move(Label("Join", (), c), "joins", bool_val(True), post)


EVENT_KINDS = (
    "Wait",
    "Enter",
    "Resume",
    "Timeout",
    "Cancel",
    "Abort",
    "Reset",
    "Die",
    "Notice",
    "Join",
)


def build_moves(profile: Profile, pre: Sym, variant: Variant | None = None) -> list[Move]:
    """Every move of ``profile`` from the symbolic pre-state ``pre``, over its classes."""
    builder = _Builder(profile, pre, variant or Variant())
    moves: list[Move] = []
    for kind in EVENT_KINDS:
        generate = getattr(builder, kind.lower())
        for c in sorted(pre.counts):
            moves.extend(generate(c))
    return moves
