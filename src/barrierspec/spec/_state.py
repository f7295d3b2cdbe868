"""The model's vocabulary: participant and barrier state, events, observations.

Everything here is an immutable value. A participant's *local* state says where it is with
respect to the barrier; the barrier's state holds what is shared: the round counter, the
number of arrivals in the filling round, whether it is broken, and the arrival indices already
handed out in rounds that are still draining.

Local states (``Status``):

* ``IDLE`` -- outside the barrier; may call ``wait``, ``abort``, ``reset``.
* ``BLOCKED`` -- called ``wait`` while the previous round drains; not yet counted.
* ``WAITING`` -- counted in the filling round ``round``; blocked until it trips or breaks.
* ``PASSED`` -- released in round ``round``; has not yet returned from ``wait``.
* ``FAILING`` -- woken by a break, reset or abort; will raise ``fault`` when it resumes.
* ``DEAD`` -- its process was killed (``arrived``: its arrival in ``round`` still counts).

Arrival indices are handed out lazily: a ``PASSED`` party picks, when it resumes, any index of
``range(parties)`` not yet returned in its round. The documentation promises only "different
for each thread" and "in the range 0 to parties - 1", so every such choice is allowed.
Under ``IndexPolicy.ARRIVAL`` (CPython's ``index = self._count``) the index is fixed at
arrival instead: a counted participant's ``position`` is the number of parties still counted
in its round that arrived before it, and it returns that number.
"""

from __future__ import annotations

import enum

import attrs

__all__ = [
    "Abort",
    "ActionRan",
    "Call",
    "Cancel",
    "Die",
    "Enter",
    "Event",
    "Fault",
    "Join",
    "Local",
    "Member",
    "Notice",
    "Observation",
    "Raised",
    "Reset",
    "Resume",
    "Returned",
    "State",
    "Status",
    "Timeout",
    "Transition",
    "Wait",
]


class Status(enum.IntEnum):
    """Where a participant is with respect to the barrier (ordered for canonical sorting)."""

    IDLE = 0
    BLOCKED = 1
    WAITING = 2
    PASSED = 3
    FAILING = 4
    DEAD = 5


class Fault(enum.IntEnum):
    """How a wait ends when it does not return normally."""

    NONE = 0
    BROKEN = 1  # BrokenBarrierError
    ACTION = 2  # the action's own exception, in the party that ran it
    TIMEOUT = 3  # TimeoutError (asyncio.wait_for / asyncio.timeout around wait)
    CANCELLED = 4  # asyncio.CancelledError
    CANCELLED_BARRIER = 5  # the named-barrier member was cancelled (CancelledBarrierError)


_FAULT_TEXT = {
    Fault.BROKEN: "BrokenBarrierError",
    Fault.ACTION: "the action's exception",
    Fault.TIMEOUT: "TimeoutError",
    Fault.CANCELLED: "CancelledError",
    Fault.CANCELLED_BARRIER: "CancelledBarrierError",
}


class Member(enum.IntEnum):
    """Membership of a participant in a dynamic (named) barrier."""

    NOT_MEMBER = 0  # fixed-membership barriers, or a dead participant
    MEMBER = 1
    CANCELLED = 2  # its member object was cancelled (timeout, cancel()); may join anew


class Call(enum.IntEnum):
    """What the action calls on its own barrier, if this wait trips the round."""

    NONE = 0
    ABORT = 1  # the action calls abort()
    RESET = 2  # the action calls reset()


_CALL_TEXT = {Call.ABORT: "abort()", Call.RESET: "reset()"}


@attrs.frozen(order=True, cache_hash=True)
class Local:
    """One participant's local state (see the module docstring for the statuses)."""

    status: Status = Status.IDLE
    round: int = 0  # WAITING / PASSED / arrived DEAD: the round concerned; else 0
    timed: bool = False  # WAITING / BLOCKED: the pending wait has a timeout
    raises: bool = False  # WAITING / BLOCKED: the action raises if this wait trips the round
    calls: Call = Call.NONE  # WAITING / BLOCKED: what the action calls if this wait trips it
    doomed: bool = False  # PASSED: aborted before resuming; may raise BrokenBarrierError
    fault: Fault = Fault.NONE  # FAILING: what it raises when it resumes
    member: Member = Member.NOT_MEMBER
    arrived: bool = False  # DEAD: its arrival in `round` still counts
    # WAITING / PASSED / arrived DEAD under IndexPolicy.ARRIVAL: how many parties still
    # counted in its round arrived before it (its index); else 0
    position: int = 0

    def describe(self) -> str:
        """A short rendering: ``waiting(r0,t)``."""
        s = self.status
        if s is Status.IDLE:
            text = "idle"
        elif s is Status.BLOCKED:
            text = "blocked" + (",t" if self.timed else "")
        elif s is Status.WAITING:
            text = f"waiting(r{self.round}{',t' if self.timed else ''}{self._at()})"
        elif s is Status.PASSED:
            text = f"passed(r{self.round}{',doomed' if self.doomed else ''}{self._at()})"
        elif s is Status.FAILING:
            text = f"failing({_FAULT_TEXT[self.fault]})"
        else:
            text = f"dead(arrived r{self.round})" if self.arrived else "dead"
        if self.member is Member.CANCELLED:
            text += "[cancelled]"
        return text

    def _at(self) -> str:
        return f",#{self.position}" if self.position else ""


@attrs.frozen(cache_hash=True)
class State:
    """The whole model state.

    ``arrived`` is the number of arrivals counted in the filling round ``round`` (live waiters
    plus dead arrivals that stand). ``round`` counts completed trips. ``taken`` holds, for each
    round still draining, the indices already returned in it.
    """

    locals: tuple[Local, ...]
    parties: int
    round: int = 0
    arrived: int = 0
    broken: bool = False
    taken: tuple[tuple[int, frozenset[int]], ...] = ()

    def describe(self) -> str:
        """A one-line rendering for traces."""
        flags = " broken" if self.broken else ""
        people = " ".join(f"P{i}:{loc.describe()}" for i, loc in enumerate(self.locals))
        return f"round {self.round}, arrived {self.arrived}/{self.parties}{flags} | {people}"


# --------------------------------------------------------------------------------- events


@attrs.frozen
class Wait:
    """Participant ``p`` calls ``wait()`` (with a timeout if ``timeout``).

    ``raises``: if this call completes the round, the action raises in ``p``; ``calls``: it
    calls ``abort()`` or ``reset()`` on the barrier instead (``Policies.reentry``).
    """

    p: int
    timeout: bool = False
    raises: bool = False
    calls: Call = Call.NONE

    def __str__(self) -> str:
        args = "timeout" if self.timeout else ""
        note = " [action raises]" if self.raises else ""
        if self.calls is not Call.NONE:
            note += f" [action calls {_CALL_TEXT[self.calls]}]"
        return f"P{self.p} wait({args}){note}"


@attrs.frozen
class Resume:
    """A released or woken participant ``p`` returns from ``wait()`` (scheduler step)."""

    p: int

    def __str__(self) -> str:
        return f"P{self.p} resumes"


@attrs.frozen
class Enter:
    """A blocked newcomer ``p`` enters the filling round (scheduler step)."""

    p: int

    def __str__(self) -> str:
        return f"P{self.p} enters the new round"


@attrs.frozen
class Timeout:
    """The timeout of ``p``'s pending wait fires."""

    p: int

    def __str__(self) -> str:
        return f"P{self.p}'s timeout fires"


@attrs.frozen
class Cancel:
    """``p``'s pending wait is cancelled (asyncio) or ``p``'s member is cancelled (named)."""

    p: int

    def __str__(self) -> str:
        return f"cancel P{self.p}"


@attrs.frozen
class Abort:
    """Idle participant ``p`` calls ``abort()``."""

    p: int

    def __str__(self) -> str:
        return f"P{self.p} abort()"


@attrs.frozen
class Reset:
    """Idle participant ``p`` calls ``reset()``."""

    p: int

    def __str__(self) -> str:
        return f"P{self.p} reset()"


@attrs.frozen
class Die:
    """Participant ``p``'s process is killed."""

    p: int

    def __str__(self) -> str:
        return f"P{self.p} is killed"


@attrs.frozen
class Notice:
    """The barrier detects that dead participant ``p`` will never leave its round."""

    p: int

    def __str__(self) -> str:
        return f"the barrier notices P{self.p} is dead"


@attrs.frozen
class Join:
    """Participant ``p`` creates a new member of the named barrier."""

    p: int

    def __str__(self) -> str:
        return f"P{self.p} joins (barrier(name))"


Event = Wait | Resume | Enter | Timeout | Cancel | Abort | Reset | Die | Notice | Join

# ---------------------------------------------------------------------------- observations


@attrs.frozen
class Returned:
    """``p``'s wait returned ``value`` (an arrival index, True / False, or None)."""

    p: int
    value: int | bool | None

    def __str__(self) -> str:
        return f"P{self.p} returns {self.value!r}"


@attrs.frozen
class Raised:
    """``p``'s wait raised the exception ``fault`` stands for."""

    p: int
    fault: Fault

    def __str__(self) -> str:
        return f"P{self.p} raises {_FAULT_TEXT[self.fault]}"


@attrs.frozen
class ActionRan:
    """The action ran in ``p`` (for the round it tripped); ``raised`` if it failed."""

    p: int
    raised: bool

    def __str__(self) -> str:
        return f"action runs in P{self.p}" + (" and raises" if self.raised else "")


Observation = Returned | Raised | ActionRan


@attrs.frozen
class Transition:
    """A step of a trace: the event and what it made observable."""

    event: Event
    outputs: tuple[Observation, ...] = ()

    def __str__(self) -> str:
        if not self.outputs:
            return str(self.event)
        return f"{self.event} -> " + ", ".join(str(o) for o in self.outputs)
