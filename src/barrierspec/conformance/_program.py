"""Programs: what a conformance run asks the participants to do, drawn before anyone starts.

A program is a list of :class:`Instruction` values -- an operation kind and a *pick* -- drawn
by Hypothesis in full before any worker starts, so timing never changes what is drawn. At
run time each instruction becomes a concrete adapter operation: the pick chooses among the
participants for which the model enables the operation's event at that point (``wait`` picks
among the idle ones, ``cancel`` among the waiting ones: :func:`barrierspec.spec.enabled`
says which), so every drawn program is executable and shrinks
cleanly (smaller picks, fewer instructions). An instruction with no candidate is skipped.

The input space (``docs/semantics.md``, "The input space"): a program also fixes how the
barrier is built -- a *construction* instruction anywhere in it (``default-short``,
``default-long``, ``no-action``) builds the barrier with a short or a long constructor
default timeout, or without an action; the first of each wins. Waits come in timeout
classes: none (``wait``: the default applies), short (``timed-wait``), zero (``zero-wait``)
and long (``long-wait``: explicit, never expiring within a run); an asyncio barrier is timed
from outside (``asyncio.timeout``) and, when its ``wait`` takes a timeout, also through it
(``own-timed-wait``, ``own-zero-wait``). A wait's action may take
time (``slow-action-wait``: a timed wait whose action, if it runs there, takes twice the
timeout; under controlled threads it sleeps on the virtual clock, and every other participant
that can run does so meanwhile). :class:`InputSpace` bounds
the scope (parties, rounds) and switches each dimension on or off, so a test can show which
dimension a bug needs.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs
from hypothesis import strategies as st

from barrierspec import adapters as ad
from barrierspec.adapters._ops import LONG_TIMEOUT
from barrierspec.conformance import _properties as props
from barrierspec.conformance._oracle import Oracle
from barrierspec.errors import UsageError
from barrierspec.spec import Abort, Bounds, Cancel, Die, Event, Join, Reset, Status, Wait

__all__ = [
    "AS_DECLARED",
    "FULL_SPACE",
    "Construction",
    "InputSpace",
    "Instruction",
    "Timing",
    "as_input_space",
    "concretise",
    "construction_of",
    "instructions",
    "takes_default_timeout",
]


@attrs.frozen
class Instruction:
    """One drawn step: an operation kind and which candidate participant performs it."""

    kind: str
    pick: int = 0

    def __str__(self) -> str:
        return f"{self.kind}#{self.pick}"


@attrs.frozen
class Timing:
    """Timeouts used by programs: ``timeout`` seconds per timed wait; and how far they run.

    Real-clock targets (threads, processes) use a small real timeout; asyncio targets use a
    virtual one that only ``Advance`` moves. ``long``: an explicit timeout that never expires
    within a run. ``max_rounds``: no wait is sent once this many rounds have tripped.
    """

    timeout: float
    long: float = LONG_TIMEOUT
    max_rounds: int | None = None


@attrs.frozen
class InputSpace:
    """Which dimensions of the input space programs draw, and the scope they reach.

    ``default_timeouts``: build some barriers with a constructor default timeout (short or
    long). ``timeout_values``: draw ``wait(0)`` and a long explicit timeout besides ``wait()``
    and a short one. ``action_absent``: build some barriers without an action.
    ``raising_actions``: draw waits whose action raises. ``calling_actions``: draw waits whose
    action calls ``abort()`` or ``reset()`` back (where the profile's ``reentry`` defines it;
    an asyncio barrier must await its action's result). ``slow_actions``: draw waits whose
    action takes time (controlled thread runs only). ``own_timeouts``: asyncio targets whose
    ``wait`` takes a timeout (or has one mapped) also get timed waits through it, not only
    under ``asyncio.timeout``. ``max_parties``: the scope sweep and
    the random programs use at most this many parties; ``max_rounds``: no wait is sent once
    this many rounds have tripped (the sweep reaches exactly this many).
    """

    default_timeouts: bool = True
    timeout_values: bool = True
    action_absent: bool = True
    raising_actions: bool = True
    calling_actions: bool = True
    slow_actions: bool = True
    own_timeouts: bool = True
    max_parties: int = 6
    max_rounds: int = 6

    def __attrs_post_init__(self) -> None:
        for name in ("max_parties", "max_rounds"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise UsageError(f"InputSpace.{name} must be an int >= 1, got {value!r}")

    def allows(self, kind: str) -> bool:
        """Whether programs may draw instructions of ``kind`` in this space."""
        switches = {
            props.DEFAULT_SHORT: self.default_timeouts,
            props.DEFAULT_LONG: self.default_timeouts,
            props.ZERO: self.timeout_values,
            props.LONG: self.timeout_values,
            props.NO_ACTION: self.action_absent,
            props.RAISE: self.raising_actions,
            props.ABORTING: self.calling_actions,
            props.RESETTING: self.calling_actions,
            props.SLOW: self.slow_actions,
            props.OWN_TIMED: self.own_timeouts,
            props.OWN_ZERO: self.own_timeouts and self.timeout_values,
        }
        return switches.get(kind, True)


def as_input_space(value: InputSpace | Mapping[str, Any]) -> InputSpace:
    """``value`` as an :class:`InputSpace` (a mapping of its fields, as settings cross a
    process boundary as JSON, becomes one)."""
    if isinstance(value, InputSpace):
        return value
    if isinstance(value, Mapping):
        return InputSpace(**value)
    raise UsageError(f"space must be an InputSpace, got {value!r}")


FULL_SPACE = InputSpace()  # every dimension, the default scope


@attrs.frozen
class Construction:
    """How a program's barrier is built: its default timeout, and whether it has an action
    (None: as the target's capabilities say)."""

    default_timeout: float | None = None
    action: bool | None = None

    def kinds(self) -> tuple[str, ...]:
        """The construction instruction kinds this construction stands for."""
        kinds: list[str] = []
        if self.default_timeout is not None:
            long = self.default_timeout >= LONG_TIMEOUT
            kinds.append(props.DEFAULT_LONG if long else props.DEFAULT_SHORT)
        if self.action is False:
            kinds.append(props.NO_ACTION)
        return tuple(kinds)

    def describe(self) -> str:
        """The constructor arguments besides ``parties``: ``timeout=0.05, action=None``."""
        args = [] if self.default_timeout is None else [f"timeout={self.default_timeout!r}"]
        if self.action is False:
            args.append("action=None")
        return ", ".join(args)


AS_DECLARED = Construction()  # no default timeout; an action if the target takes one


def takes_default_timeout(target: ad.Target) -> bool:
    """Whether ``target``'s constructor takes a default ``timeout`` (``threading.Barrier``'s
    ``Barrier(parties, action=None, timeout=None)``; thread and process barriers only)."""
    if target.kind not in ("thread", "process") or not target.capabilities.has_timeout:
        return False
    try:
        params = inspect.signature(target.factory).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == "timeout" or p.kind is p.VAR_KEYWORD for p in params)


def construction_of(program: Sequence[Instruction], timing: Timing) -> Construction:
    """The construction ``program`` asks for (its first construction instruction of each kind)."""
    default: float | None = None
    action: bool | None = None
    for ins in program:
        if ins.kind in (props.DEFAULT_SHORT, props.DEFAULT_LONG) and default is None:
            default = timing.timeout if ins.kind == props.DEFAULT_SHORT else timing.long
        elif ins.kind == props.NO_ACTION:
            action = False
    return Construction(default, action)


PICKS = 8  # candidate participants an instruction can name (``Instruction.pick``)


def instructions(
    prop: props.Property, kinds: Sequence[str]
) -> st.SearchStrategy[list[Instruction]]:
    """Programs for ``prop`` using only ``kinds`` (already filtered by capability).

    Swarm testing: each program first draws which of the optional kinds it may use (the
    property's key operations are always among them), so some programs are dense in cancels
    or resets and others nearly free of them; uniform mixes rarely reach the deep states
    where bugs hide.

    Few draws per program, since Hypothesis's cost is per draw: the subset is one integer
    (a bit mask over the optional kinds) and each instruction one integer, ``kind * PICKS +
    pick``. Both shrink towards 0: no optional kind, the first key operation, the first
    candidate participant.
    """
    keys = [k for k in kinds if k in prop.key_ops] or list(kinds[:1])
    others = [k for k in kinds if k not in keys]
    masks = st.integers(0, 2 ** len(others) - 1)
    made: dict[int, st.SearchStrategy[list[int]]] = {}

    def codes(usable: int) -> st.SearchStrategy[list[int]]:
        if usable not in made:  # one strategy per size: building one per draw is costly
            made[usable] = st.lists(
                st.integers(0, usable * PICKS - 1), min_size=3, max_size=prop.max_ops
            )
        return made[usable]

    @st.composite
    def program(draw: st.DrawFn) -> list[Instruction]:
        mask = draw(masks)
        usable = keys + [k for i, k in enumerate(others) if mask >> i & 1]
        return [Instruction(usable[c // PICKS], c % PICKS) for c in draw(codes(len(usable)))]

    return program()


# Programs bound no round and allow one death (as the explorer's default bound).
_PROGRAM_BOUNDS = Bounds(rounds=sys.maxsize, deaths=1)


def _able(oracle: Oracle, event: Event, quantifier: Callable[[Iterable[bool]], bool] = all) -> bool:
    """Whether the model's environment rule (:func:`enabled`) allows ``event`` in every
    candidate state of ``oracle`` (``quantifier=any``: in some candidate state)."""
    return quantifier(oracle.model.allows(s, event, _PROGRAM_BOUNDS) for s in oracle.states)


_WAITS: tuple[str, ...] = (props.WAIT, props.TIMED, props.RAISE, props.ZERO, props.LONG)
_WAITS += (props.SLOW, *props.OWN, *props.CALLING)
SLOW_FACTOR = 2.0  # a slow action takes this many short timeouts: longer than a timed wait


def _rounds_done(oracle: Oracle, max_rounds: int | None) -> bool:
    return max_rounds is not None and all(s.round >= max_rounds for s in oracle.states)


def _wait(kind: str, p: int, timing: Timing) -> ad.WaitOp:
    """The wait of ``kind`` (one of the timeout classes, or a raising action) by ``p``."""
    if kind == props.TIMED:
        return ad.WaitOp(p, timeout=timing.timeout)
    if kind == props.ZERO:
        return ad.WaitOp(p, timeout=0.0)
    if kind == props.LONG:
        return ad.WaitOp(p, timeout=timing.long)
    if kind == props.SLOW:
        return ad.WaitOp(p, timeout=timing.timeout, action_takes=SLOW_FACTOR * timing.timeout)
    if kind in props.OWN:
        return ad.WaitOp(p, timeout=timing.timeout if kind == props.OWN_TIMED else 0.0, own=True)
    if kind in props.CALLING:
        return ad.WaitOp(p, action_calls=props.CALLED[kind])
    return ad.WaitOp(p, action_raises=kind == props.RAISE)


def _held(oracle: Oracle, p: int) -> bool:
    """Released (or broken) inside wait() and not resumed: between two steps, only a held
    participant of a controlled run is in that state."""
    return all(s.locals[p].status in (Status.PASSED, Status.FAILING) for s in oracle.states)


def concretise(ins: Instruction, oracle: Oracle, timing: Timing) -> ad.Op | None:
    """The adapter operation ``ins`` stands for now, or None if nobody can perform it.

    The candidates are the participants for which the model enables the instruction's event
    in every state the run may be in (a join: in some state). Construction instructions stand
    for no operation (see :func:`construction_of`); once ``timing.max_rounds`` rounds have
    tripped, no wait is sent.
    """
    everyone = range(oracle.participants)
    kind = ins.kind
    candidates: list[int]
    if kind in props.CONSTRUCTION:
        return None
    if kind in _WAITS:
        if _rounds_done(oracle, timing.max_rounds):
            return None
        candidates = [p for p in everyone if _able(oracle, Wait(p))]
    elif kind in (props.ABORT, props.RESET):
        event = Abort if kind == props.ABORT else Reset
        candidates = [p for p in everyone if _able(oracle, event(p))]
    elif kind == props.CANCEL:
        # the cancels the model enables, and a held party of a controlled run
        candidates = [p for p in everyone if _able(oracle, Cancel(p)) or _held(oracle, p)]
    elif kind == props.KILL:
        # one death per program (the bound above), preferably of a waiter
        alive = [p for p in everyone if _able(oracle, Die(p))]
        candidates = [p for p in alive if oracle.is_waiting(p)] or alive
    elif kind == props.JOIN:
        candidates = [p for p in everyone if _able(oracle, Join(p), any)]
    elif kind == props.ADVANCE:
        return ad.AdvanceOp(timing.timeout)
    elif kind == props.RESUME:  # a held party of a controlled run goes on
        candidates = [p for p in everyone if _held(oracle, p)]
    else:
        raise ValueError(f"unknown instruction kind {kind!r}")
    if not candidates:
        return None
    p = candidates[ins.pick % len(candidates)]
    if kind in _WAITS:
        return _wait(kind, p, timing)
    op_class: dict[str, type] = {
        props.ABORT: ad.AbortOp,
        props.RESET: ad.ResetOp,
        props.CANCEL: ad.CancelOp,
        props.KILL: ad.KillOp,
        props.JOIN: ad.JoinOp,
        props.RESUME: ad.ResumeOp,
    }
    op: ad.Op = op_class[kind](p)
    return op
