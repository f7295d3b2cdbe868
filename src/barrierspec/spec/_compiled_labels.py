"""Transition labels of the compiled search, built once and shared.

A label is the readable :class:`~barrierspec.spec._state.Transition` (event and outputs) of a
step. Its outputs concern only the participant that acted, so there are a few dozen labels
per participant: the compiled successor function builds each one once
(:class:`~barrierspec.spec._compiled_step.Labels`) and picks them from lists instead of
building objects. ``str(label)`` renders exactly like the readable model's transition; the
compact fields (``kind``, ``p``, ``runs``, ``returns``, ``raised``) are what the compiled
transition invariants read.
"""

from __future__ import annotations

from barrierspec.spec._state import (
    Abort,
    ActionRan,
    Cancel,
    Die,
    Enter,
    Event,
    Fault,
    Join,
    Notice,
    Observation,
    Raised,
    Reset,
    Resume,
    Returned,
    Timeout,
    Transition,
    Wait,
)

__all__ = [
    "ENTER",
    "RESET",
    "TIMEOUT",
    "WAIT",
    "Label",
    "Outcome",
]

WAIT, RESUME, ENTER, TIMEOUT, CANCEL, ABORT, RESET, DIE, NOTICE, JOIN = range(10)
_KINDS: dict[type, int] = {
    Wait: WAIT,
    Resume: RESUME,
    Enter: ENTER,
    Timeout: TIMEOUT,
    Cancel: CANCEL,
    Abort: ABORT,
    Reset: RESET,
    Die: DIE,
    Notice: NOTICE,
    Join: JOIN,
}


class Outcome:
    """Indices into the per-event label tuples: which outputs an arrival produced."""

    PLAIN = 0  # no output (blocked, counted, or a trip without action)
    RAN = 1  # the action ran and succeeded: ActionRan(p, False)
    RAN_RAISED = 2  # the action raised: ActionRan(p, True), Raised(p, ACTION)
    CANCELLED_BARRIER = 3  # Raised(p, CANCELLED_BARRIER) (a cancelled member waits)
    BROKEN = 4  # Raised(p, BROKEN) (a wait on a broken barrier)


class Label:
    """A compiled step's label: the readable transition plus the facts invariants read.

    * ``kind``: the event's kind (``WAIT``, ``ENTER``, ``TIMEOUT``, ``RESET``, ...);
    * ``p``: the participant that acted;
    * ``runs``: ``(p, raised)`` per ``ActionRan`` output;
    * ``returns``: ``(p, value)`` per ``Returned`` output;
    * ``raised``: ``(p, fault)`` per ``Raised`` output.
    """

    __slots__ = ("kind", "p", "raised", "returns", "runs", "transition")

    def __init__(self, transition: Transition) -> None:
        self.transition = transition
        self.kind = _KINDS[type(transition.event)]
        self.p = transition.event.p
        outputs = transition.outputs
        self.runs = tuple((o.p, o.raised) for o in outputs if isinstance(o, ActionRan))
        self.returns = tuple((o.p, o.value) for o in outputs if isinstance(o, Returned))
        self.raised = tuple((o.p, int(o.fault)) for o in outputs if isinstance(o, Raised))

    def __str__(self) -> str:
        return str(self.transition)

    def __repr__(self) -> str:
        return f"Label({self.transition!r})"


def _label(event: Event, *outputs: Observation) -> Label:
    return Label(Transition(event, outputs))


def _arrivals(event: Event, p: int) -> tuple[Label, ...]:
    """The labels of an arrival, indexed by :class:`Outcome`."""
    return (
        _label(event),
        _label(event, ActionRan(p, False)),
        _label(event, ActionRan(p, True), Raised(p, Fault.ACTION)),
        _label(event, Raised(p, Fault.CANCELLED_BARRIER)),
        _label(event, Raised(p, Fault.BROKEN)),
    )
