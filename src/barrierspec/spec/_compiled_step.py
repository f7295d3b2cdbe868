"""The compiled successor function: the rules, run at build time, as generated Python code.

:func:`make_successors` returns ``successors(state) -> [(label, next_state), ...]`` for one
profile and one set of bounds, on the tuple states of :mod:`barrierspec.spec._compiled_codes`.
Nothing here restates a rule. For each pair (local code ``c`` of the actor, round counter
``r``) met during the search, :func:`_generate` runs the environment rules
(:func:`~barrierspec.spec._enabled.actor_events`) and the event handlers
(:mod:`barrierspec.spec._rules`) once per path, in :class:`_Codegen`, the *compiled domain*:

* the actor's local and the round counter are constants (they are the key), so every local
  the rules build is encoded to its code while generating, and every policy test is gone;
* the other shared fields (``arrived``, ``broken``, ``parties``, the taken indices, the other
  participants' codes) are Python expressions over the state tuple; a condition
  (:class:`~barrierspec.spec._domain.Cond`) becomes an ``if`` on such an expression, and
  :func:`~barrierspec.spec._domain.forced_runs` runs the rules once per combination of
  outcomes, so the recorded runs form a decision tree;
* a rewrite of every participant (``each``) is a :class:`RuleTable` of the rule, indexed by
  code; the choice of a free index is unrolled over the indices, each guarded by its bit.

The tree becomes the source of one function ``plan(state, p, draining, deaths_left, add)``,
compiled with :func:`compile`. Per state, :func:`make_successors` computes the two facts
shared by every participant (someone is draining; a death is still allowed) and calls each
participant's plan. The order of the successors is the readable model's: the plan follows
the rules' own order of events and outcomes.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from typing import Any

import attrs

from barrierspec.spec import _rules
from barrierspec.spec._compiled_codes import (
    CompiledRangeError,
    CompiledState,
    LocalCodes,
    TakenCodec,
)
from barrierspec.spec._compiled_labels import Label
from barrierspec.spec._compiled_tables import CodeFacts, RuleTable
from barrierspec.spec._domain import Cond, Forcing, LocalRule, forced_runs
from barrierspec.spec._enabled import Bounds, actor_events
from barrierspec.spec._policies import Profile
from barrierspec.spec._state import Local, Transition

__all__ = ["Labels", "Plan", "Successors", "make_successors"]

Successors = Callable[[CompiledState], list[tuple[Label, CompiledState]]]
_Add = Callable[[tuple[Label, CompiledState]], None]
#: The generated events of one participant: ``plan(state, p, draining, deaths_left, add)``.
Plan = Callable[[CompiledState, int, bool, bool, _Add], None]


class Labels:
    """Every label used so far, per transition shape: ``table[k][p]`` for participant ``p``.

    A shape is the transition of participant 0; its label for participant ``p`` renders as
    the same transition by ``p``.
    """

    def __init__(self, participants: int) -> None:
        self.participants = participants
        self.tables: list[list[Label]] = []
        self._index: dict[Transition, int] = {}

    def index(self, shape: Transition) -> int:
        """The table number of ``shape`` (built on first use)."""
        k = self._index.get(shape)
        if k is None:
            k = len(self.tables)
            self.tables.append([Label(_as_participant(shape, p)) for p in range(self.participants)])
            self._index[shape] = k
        return k


def _as_participant(shape: Transition, p: int) -> Transition:
    event = attrs.evolve(shape.event, p=p)
    return Transition(event, tuple(attrs.evolve(o, p=p) for o in shape.outputs))


@attrs.frozen
class _Expr:
    """A state of the compiled domain: Python expressions over the generated function's
    variables (``arrived``, ``broken``, ``parties``, ``taken``, ``L`` and temporaries)."""

    rnd: int
    arrived: str = "arrived"
    broken: str = "broken"
    parties: str = "parties"
    taken: str = "taken"
    locs: str = "L"
    guard: str | None = None
    base: str | None = None  # ``locs`` is ``base`` with the actor replaced

    @property
    def pristine(self) -> bool:
        """Whether the participants are still those of the state being expanded."""
        return self.locs == "L"


class _Codegen:
    """The compiled domain for one actor code, recording one run of the rules."""

    def __init__(self, gen: _Generator, code: int, forcing: Forcing) -> None:
        self.gen = gen
        self.code = code
        self.forcing = forcing
        self.trace: list[tuple[str, str]] = []
        self._temps = 0
        self._keeps: dict[tuple[str, bool], str] = {}

    def _temp(self, prefix: str, value: str) -> str:
        self._temps += 1
        name = f"{prefix}{self._temps}"
        self.trace.append(("stmt", f"{name} = {value}"))
        return name

    def test(self, s: _Expr, cond: Cond) -> bool:
        return self.test_expr(self.gen.condition(s, cond))

    def test_expr(self, expr: str) -> bool:
        """The outcome of the Python condition ``expr`` in this run (an ``if`` in the plan)."""
        if expr in ("True", "False"):
            return expr == "True"
        outcome, new = self.forcing.decide(expr)
        if new:
            self.trace.append(("if" if outcome else "else", expr))
        return outcome

    def each(self, s: _Expr, rule: LocalRule, arg: Hashable) -> _Expr:
        table = self.gen.const(("rule", rule, arg), lambda: self.gen.rule_table(rule, arg))
        return attrs.evolve(s, locs=self._temp("L", f"tuple(map({table}, {s.locs}))"), base=None)

    def set_actor(self, s: _Expr, loc: Local) -> _Expr:
        c = self.gen.codes.encode_local(loc)
        base = s.base or s.locs  # replacing the actor twice: only the last one counts
        locs = self._temp("L", f"{base}[:p] + ({c},) + {base}[p + 1 :]")
        return attrs.evolve(s, locs=locs, base=base)

    def add(self, s: _Expr, *, arrived: int = 0, parties: int = 0) -> _Expr:
        return attrs.evolve(
            s, arrived=_shift(s.arrived, arrived), parties=_shift(s.parties, parties)
        )

    def clear(self, s: _Expr, *, broken: bool) -> _Expr:
        return attrs.evolve(s, arrived="0", broken=str(broken))

    def advance(self, s: _Expr) -> _Expr:
        if s.rnd + 1 > self.gen.codes.max_round:
            message = f"round {s.rnd + 1} is beyond the compiled bound {self.gen.codes.max_round}"
            self.trace.append(("stmt", f"raise RANGE({message!r})"))
        return attrs.evolve(s, rnd=s.rnd + 1, arrived="0")

    def filling_round(self, s: _Expr) -> int:
        return s.rnd

    def position(self, s: _Expr) -> int:
        last = self.gen.codes.positions - 1
        for k in range(last):
            if self.test_expr(f"{s.arrived} == {k}"):
                return k
        return last

    def open_indices(self, s: _Expr) -> _Expr:
        present = self.gen.taken.present << (s.rnd * self.gen.taken.width)
        return attrs.evolve(s, taken=f"({s.taken} | {present})")

    def prune(self, s: _Expr) -> _Expr:
        if s.taken == "0":
            return s
        plain = s.taken == "taken"  # unchanged: the mask is needed only if it is non-zero
        keep = self._keeps.get((s.locs, plain))
        if keep is None:
            value = f"KEEP({s.locs}) if taken else 0" if plain else f"KEEP({s.locs})"
            keep = self._temp("K", value)
            self._keeps[s.locs, plain] = keep
        return attrs.evolve(s, taken=f"({s.taken} & {keep})")

    def pick_index(self, s: _Expr, loc: Local) -> Iterator[tuple[_Expr, int]]:
        width = self.gen.taken.width
        base = loc.round * width
        present = self.gen.taken.present << base
        t = s.taken
        for index in range(width - 1):
            bit = 1 << (base + index)
            guard = f"{index} < {s.parties} and not {t} & {bit}"
            picked = f"({t} | {bit} if {t} & {present} else {t})"
            yield attrs.evolve(s, taken=picked, guard=guard), index

    def emit(self, s: _Expr, shape: Transition) -> None:
        """Record the successor ``s`` with label ``shape``."""
        labels = self.gen.const(("labels", shape), lambda: self.gen.label_table(shape))
        state = f"({s.rnd}, {s.arrived}, {s.broken}, {s.parties}, {s.taken}, {s.locs})"
        line = f"add(({labels}[p], {state}))"
        self.trace.append(("stmt", line if s.guard is None else f"if {s.guard}: {line}"))


def _settling(s: _Expr) -> str:
    """``Cond.SETTLING`` over ``s``: the fact computed per state, or the per-code tables."""
    if s.pristine:
        return "draining"
    if s.broken in ("True", "False"):
        table = "SETTLING_BROKEN" if s.broken == "True" else "SETTLING_OPEN"
    else:
        table = f"(SETTLING_BROKEN if {s.broken} else SETTLING_OPEN)"
    return f"any(map({table}, {s.locs}))"


def _shift(expr: str, by: int) -> str:
    if not by:
        return expr
    return f"({expr} {'+' if by > 0 else '-'} {abs(by)})"


class _Node:
    """A node of the decision tree: statements, then possibly one test with two subtrees."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.test: str | None = None
        self.then: _Node | None = None
        self.other: _Node | None = None

    def insert(self, trace: list[tuple[str, str]]) -> None:
        """Merge one run's trace (runs agree on the lines before their first difference)."""
        node = self
        i = 0
        for kind, text in trace:
            if kind == "stmt":
                if i < len(node.lines):
                    assert node.lines[i] == text, (node.lines[i], text)
                else:
                    node.lines.append(text)
                i += 1
                continue
            assert node.test in (None, text), (node.test, text)
            node.test = text
            if kind == "if":
                node.then = node.then or _Node()
                node = node.then
            else:
                node.other = node.other or _Node()
                node = node.other
            i = 0

    def source(self, indent: str) -> list[str]:
        """The node as Python source lines."""
        out = [indent + line for line in self.lines]
        if self.test is not None:
            out.append(f"{indent}if {self.test}:")
            out += (self.then or _Node()).source(indent + "    ") or [indent + "    pass"]
            if self.other is not None and (body := self.other.source(indent + "    ")):
                out += [f"{indent}else:", *body]
        return out


class _Generator:
    """Builds, on demand, the plan of each (actor code, round) of one compiled system."""

    def __init__(
        self, profile: Profile, bounds: Bounds, codes: LocalCodes, taken: TakenCodec, labels: Labels
    ) -> None:
        self.profile = profile
        self.bounds = bounds
        self.codes = codes
        self.taken = taken
        self.labels = labels
        self.facts = CodeFacts(codes, taken)
        self.globals: dict[str, Any] = {
            "RANGE": CompiledRangeError,
            "KEEP": self.facts.keep,
            "SETTLING_OPEN": self.facts.settling_open,
            "SETTLING_BROKEN": self.facts.settling_broken,
            "IS_DEAD": self.facts.is_dead,
        }
        self._names: dict[Hashable, str] = {}
        # whether the environment asks about deaths at all (else no state counts them)
        self.uses_deaths = "deaths_left" in self.source(codes.encode_local(Local()), 0)

    def const(self, key: Hashable, make: Callable[[], object]) -> str:
        """The global name of the constant ``key`` (made on first use)."""
        name = self._names.get(key)
        if name is None:
            name = f"C{len(self._names)}"
            self.globals[name] = make()
            self._names[key] = name
        return name

    def rule_table(self, rule: LocalRule, arg: Hashable) -> Callable[[int], int]:
        return RuleTable(self.codes, lambda loc: rule(arg, loc)).__getitem__

    def label_table(self, shape: Transition) -> list[Label]:
        return self.labels.tables[self.labels.index(shape)]

    def condition(self, s: _Expr, cond: Cond) -> str:
        """``cond`` as a Python expression over ``s`` ("True"/"False" when known now)."""
        if cond is Cond.BROKEN:
            return s.broken
        if cond is Cond.SETTLING:
            return _settling(s)
        if cond is Cond.LAST:
            return f"{s.arrived} + 1 == {s.parties}"
        if cond is Cond.FULL:
            return f"{s.parties} > 0 and {s.arrived} == {s.parties}"
        if cond is Cond.TRIPPED or cond is Cond.ROUNDS_LEFT:  # the round is the plan's key
            return str(s.rnd > 0 if cond is Cond.TRIPPED else s.rnd < self.bounds.rounds)
        if self.bounds.deaths == 0:
            return "False"
        if s.pristine:
            return "deaths_left"
        return f"sum(map(IS_DEAD, {s.locs})) < {self.bounds.deaths}"

    def source(self, code: int, rnd: int) -> str:
        """The Python source of the plan of actor code ``code`` in round ``rnd``."""
        loc = self.codes.local(code)
        tree = _Node()

        def run(forcing: Forcing) -> None:
            d = _Codegen(self, code, forcing)
            s = _Expr(rnd)
            for event in actor_events(d, self.profile, self.bounds, s, 0, loc):
                for after, outputs in _rules.successors(d, self.profile, s, event, loc):
                    d.emit(after, Transition(event, outputs))
            tree.insert(d.trace)

        forced_runs(run)
        body = tree.source("    ") or ["    pass"]
        head = [
            "def plan(state, p, draining, deaths_left, add):",
            "    _, arrived, broken, parties, taken, L = state",
        ]
        return "\n".join(head + body) + "\n"

    def plan(self, code: int, rnd: int) -> Plan:
        """The compiled plan of actor code ``code`` in round ``rnd``."""
        namespace: dict[str, Any] = {}
        source = self.source(code, rnd)
        exec(compile(source, f"<plan c={code} r={rnd}>", "exec"), self.globals, namespace)
        plan: Plan = namespace["plan"]
        return plan


class _Plans(dict[int, Plan]):
    """``plans[code]``: the plan of one round, generated the first time it is read."""

    def __init__(self, generator: _Generator, rnd: int) -> None:
        super().__init__()
        self._generator = generator
        self._rnd = rnd

    def __missing__(self, code: int) -> Plan:
        plan = self._generator.plan(code, self._rnd)
        self[code] = plan
        return plan


def make_successors(
    profile: Profile,
    bounds: Bounds,
    codes: LocalCodes,
    taken: TakenCodec,
    labels: Labels,
    *,
    one_per_local: bool = False,
) -> Successors:
    """The successor function of ``profile`` within ``bounds`` (see the module docstring).

    ``one_per_local``: a participant whose local equals its left neighbour's has no events of
    its own (on a sorted state: one representative per local state, whose events stand for
    those of every participant in that state up to a permutation; the counting search).
    """
    generator = _Generator(profile, bounds, codes, taken, labels)
    by_round = [_Plans(generator, r) for r in range(codes.max_round + 1)]
    facts = generator.facts
    settling_open, settling_broken, is_dead = (
        facts.settling_open,
        facts.settling_broken,
        facts.is_dead,
    )
    max_deaths = bounds.deaths if generator.uses_deaths else 0

    def successors(state: CompiledState) -> list[tuple[Label, CompiledState]]:
        locs = state[5]
        out: list[tuple[Label, CompiledState]] = []
        add = out.append
        draining = any(map(settling_broken if state[2] else settling_open, locs))
        deaths_left = max_deaths > 0 and max_deaths > sum(map(is_dead, locs))
        plans = by_round[state[0]]
        if one_per_local:
            previous = -1
            for p, c in enumerate(locs):
                if c != previous:
                    plans[c](state, p, draining, deaths_left, add)
                    previous = c
            return out
        for p, c in enumerate(locs):
            plans[c](state, p, draining, deaths_left, add)
        return out

    return successors
