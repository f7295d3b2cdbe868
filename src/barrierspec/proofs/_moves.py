"""The step function over counters: one :class:`Move` per event kind, actor class and branch.

The moves are not written here: :func:`build_moves` runs the environment rules
(:func:`barrierspec.spec._enabled.actor_events`, every bound lifted) and the event handlers
(:mod:`barrierspec.spec._rules`) in the symbolic domain
(:class:`~barrierspec.proofs._symops.SymDomain`), once per path: every combination of outcomes
of the conditions the rules ask (:func:`~barrierspec.spec._domain.forced_runs`). A concrete
step picks a participant ``p`` and an event; here a move picks the *class* of the acting
participant (its count must be at least 1) and one path of the rules. Each move carries:

* ``enabled`` -- the event is enabled for a participant of that class and the rules take
  this path (the path condition, over the pre-state);
* ``choice`` -- a value the step must choose exists (an unused arrival index of the round);
  true for moves that choose nothing;
* ``post`` -- the successor, as terms over the pre-state;
* ``released`` -- how many participants the move turns into ``PASSED``;
* its :class:`Label`: event kind and arguments, actor class, and the observations (each
  about the actor) -- the abstraction of :class:`~barrierspec.spec.Transition`; its
  ``branch`` names the path (the outcomes of the conditions, in the order asked).

The transition relation of a profile is the disjunction of ``enabled & choice & post' ==
post`` over its moves. The module ``_agreement`` checks, on every state the explorer reaches
at small bounds, that this relation and the Python step agree exactly (a regression test of
the two interpretations of the one text).
"""

from __future__ import annotations

import attrs

from barrierspec.proofs._abstraction import LocalClass, Sym
from barrierspec.proofs._symops import SymDomain, SymState, to_local
from barrierspec.proofs._z3 import BoolTerm, IntTerm, all_of, bool_val, int_val
from barrierspec.spec import (
    ActionRan,
    Bounds,
    Call,
    Enter,
    Event,
    Observation,
    Policies,
    Profile,
    Raised,
    Returned,
    Status,
    Timeout,
    Transition,
    Wait,
    _rules,
)
from barrierspec.spec._domain import Forcing, forced_runs
from barrierspec.spec._enabled import actor_events

__all__ = ["EVENT_KINDS", "Label", "Move", "Out", "Variant", "abstract_out", "build_moves"]


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
    params: tuple[bool | Call, ...]  # Wait: wait_params(event); otherwise ()
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
        """Label and path, e.g.
        ``Wait(False, False) by idle -> ActionRan False [not broken; last arrival]``."""
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

# The environment of the moves: no bound on rounds or deaths, every kind of event on.
UNBOUNDED = Bounds(rounds=10**9, deaths=10**9)


def abstract_out(obs: Observation, actor: int) -> Out:
    """The abstraction of one observation (every observation of the model is the actor's)."""
    who = "" if obs.p == actor else f"@P{obs.p}"
    if isinstance(obs, ActionRan):
        return Out("ActionRan" + who, str(obs.raised))
    if isinstance(obs, Raised):
        return Out("Raised" + who, obs.fault.name)
    assert isinstance(obs, Returned)
    value = obs.value
    detail = str(value) if value is None or isinstance(value, bool) else "index"
    return Out("Returned" + who, detail)


def wait_params(event: Event) -> tuple[bool | Call, ...]:
    """The arguments of a label's event: a wait's ``(timeout, raises)``, and what its action
    calls back when it does (``Policies.reentry``); nothing for other events."""
    if not isinstance(event, Wait):
        return ()
    if event.calls is Call.NONE:
        return (event.timeout, event.raises)
    return (event.timeout, event.raises, event.calls)


def wait_of(label: Label, p: int) -> Wait:
    """The wait of participant ``p`` that ``label`` (a ``Wait`` label) abstracts."""
    timeout, raises, *calls = label.params
    return Wait(p, bool(timeout), bool(raises), Call(calls[0]) if calls else Call.NONE)


def label_of(transition: Transition, actor: LocalClass) -> Label:
    """The abstraction of ``transition`` by a participant of class ``actor``."""
    event = transition.event
    outs = tuple(abstract_out(o, event.p) for o in transition.outputs)
    return Label(type(event).__name__, wait_params(event), actor, outs)


def _event_profile(profile: Profile, variant: Variant, event: Event, loc: object) -> Profile:
    """The profile the handler of ``event`` runs under: the variant's timeout policies apply
    to a waiter's timeout (the environment, and a blocked newcomer, keep the profile's)."""
    if variant.timeout_policies is None or not isinstance(event, Timeout):
        return profile
    if getattr(loc, "status", None) is not Status.WAITING:
        return profile
    return attrs.evolve(profile, policies=variant.timeout_policies)


def _class_moves(profile: Profile, pre: Sym, c: LocalClass, variant: Variant) -> list[Move]:
    """The moves of an actor of class ``c``: one per path of the rules and successor."""
    loc = to_local(c)
    found: dict[tuple[tuple[bool, ...], int], _Path] = {}

    def run(forcing: Forcing) -> None:
        d = SymDomain(forcing)
        s = SymState(pre, c, int_val(0))
        ordinal = 0
        for event in actor_events(d, profile, UNBOUNDED, s, 0, loc):
            d.early = variant.early_trip and isinstance(event, (Wait, Enter))
            rules_profile = _event_profile(profile, variant, event, loc)
            for after, outputs in _rules.successors(d, rules_profile, s, event, loc):
                key = (tuple(forcing.made), ordinal)
                ordinal += 1
                if key not in found:
                    label = label_of(Transition(event, outputs), c)
                    choice = bool_val(True) if after.choice is None else after.choice
                    found[key] = _Path(label, tuple(d.steps), choice, after.sym, after.released)
            d.early = False

    forced_runs(run)
    enabled = pre.n(c) >= 1
    return [p.move(enabled) for p in _merged(list(found.values()))]


@attrs.frozen(eq=False)
class _Path:
    """One successor of one path of the rules: its decisions ``(text, term)`` in order."""

    label: Label
    steps: tuple[tuple[str, BoolTerm], ...]
    choice: BoolTerm
    post: Sym
    released: IntTerm

    def key(self) -> tuple[object, ...]:
        """What the successor is (label and terms), whatever the path that led to it."""
        terms = [self.choice, self.released, *(self.post.fields().values())]
        return (self.label, tuple(sorted(self.post.fields())), tuple(t.raw.get_id() for t in terms))

    def move(self, enabled: BoolTerm) -> Move:
        """The move of this path: its guard is the conjunction of its decisions."""
        branch = "; ".join(text for text, _ in self.steps) or "always"
        guard = all_of([enabled, *(term for _, term in self.steps)])
        return Move(self.label, branch, guard, self.choice, self.post, self.released)


def _merged(paths: list[_Path]) -> list[_Path]:
    """Paths to the same successor that differ in one decision only, merged (that decision
    did not matter), until no two can be: each move's guard keeps only what it needs."""
    groups: dict[tuple[object, ...], list[tuple[int, _Path]]] = {}
    for i, path in enumerate(paths):
        groups.setdefault(path.key(), []).append((i, path))
    out: list[tuple[int, _Path]] = []
    for group in groups.values():
        out += _merge_group(group)
    return [path for _, path in sorted(out, key=lambda item: item[0])]


def _merge_group(paths: list[tuple[int, _Path]]) -> list[tuple[int, _Path]]:
    """:func:`_merged` within paths to one successor, each with its order of discovery."""
    changed = True
    while changed:
        changed = False
        for i, (first, a) in enumerate(paths):
            for j in range(i + 1, len(paths)):
                at = _one_apart(a, paths[j][1])
                if at is not None:
                    paths[i] = (first, attrs.evolve(a, steps=a.steps[:at] + a.steps[at + 1 :]))
                    del paths[j]
                    changed = True
                    break
            if changed:
                break
    return paths


def _one_apart(a: _Path, b: _Path) -> int | None:
    """The one position where ``a`` and ``b`` take opposite outcomes, all else equal."""
    if len(a.steps) != len(b.steps):
        return None
    apart = [
        i
        for i, (x, y) in enumerate(zip(a.steps, b.steps, strict=True))
        if x[1].raw.get_id() != y[1].raw.get_id()
    ]
    if len(apart) != 1:
        return None
    i = apart[0]
    opposite = a.steps[i][1].raw.get_id() == (~b.steps[i][1]).raw.get_id() or (
        b.steps[i][1].raw.get_id() == (~a.steps[i][1]).raw.get_id()
    )
    return i if opposite else None


def _name_apart(moves: list[Move]) -> list[Move]:
    """Moves of one label and path are told apart by their order: ``#2``, ``#3``..."""
    seen: dict[str, int] = {}
    out = []
    for m in moves:
        k = seen.get(m.name, 0) + 1
        seen[m.name] = k
        out.append(m if k == 1 else attrs.evolve(m, branch=f"{m.branch} #{k}"))
    return out


def build_moves(profile: Profile, pre: Sym, variant: Variant | None = None) -> list[Move]:
    """Every move of ``profile`` from the symbolic pre-state ``pre``, over its classes."""
    variant = variant or Variant()
    moves: list[Move] = []
    for c in sorted(pre.counts):
        moves.extend(_class_moves(profile, pre, c, variant))
    order = {kind: i for i, kind in enumerate(EVENT_KINDS)}
    moves.sort(key=lambda m: order[m.label.kind])  # stable: by class, then path, within a kind
    return _name_apart(moves)
