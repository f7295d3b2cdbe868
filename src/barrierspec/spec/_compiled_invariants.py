"""The model's named invariants on compiled states: generated from the one text.

The invariants are written once (:mod:`barrierspec.spec._invariants`) against the invariant
domain. :class:`Gen` is that domain with Python *source* as its terms: running a formula in
it writes the expression that evaluates it on a compiled tuple (fields are tuple items,
counts are sums over per-round lookup tables of the local codes). Constants fold while the
formula runs, so the label of a step -- its event and outputs, constants in every domain --
leaves only what depends on the states: the transition invariants are generated once per
label, on first use.

:class:`CompiledChecks` holds, for one compiled system:

* the named checks (``state_invariants`` / ``transition_invariants``), one generated
  function each, whose message on failure is the readable check's own, computed on the
  decoded states, so a counterexample reads the same with either system;
* the fused checks of the explorer (:class:`FusedChecks`): one generated function for the
  conjunction of every state invariant and one per label for every transition invariant. A
  fused check fails exactly when a named one does (it is their conjunction, from the same
  formulas), and the explorer then names the first failing one.

The counts a state's invariants compare depend only on ``(round, locals)``, a pair that
recurs with different shared state: they are computed once per pair and remembered, with one
sum over the locals of per-code rows that pack every counted predicate and the passers' rounds.

``tests/spec/test_compiled_invariants.py`` shows verdict and readable check agree on every
reachable state and transition and on randomly corrupted ones.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from itertools import compress
from typing import Any

from barrierspec.spec._classes import class_of
from barrierspec.spec._compiled_codes import PASSED, CompiledState, LocalCodes, TakenCodec
from barrierspec.spec._compiled_labels import Label
from barrierspec.spec._invariant_domain import Pred, StateSpec, StepSpec
from barrierspec.spec._invariants import (
    state_invariants,
    state_specs,
    step_specs,
    transition_invariants,
)
from barrierspec.spec._policies import Profile
from barrierspec.spec._state import Observation, State
from barrierspec.spec._system import FUSED, Invariant, TransitionInvariant

__all__ = ["CompiledChecks", "FusedChecks", "Gen"]

Check = Callable[[CompiledState], str | None]
StepCheck = Callable[[CompiledState, Any, CompiledState], str | None]
Decode = Callable[[CompiledState], State]
_CACHE = 1 << 18  # (round, locals) pairs and locals vectors remembered
# bits per count in a packed sum of fact rows: a count is at most the participants
_FIELD = 32
_FIELD_MASK = (1 << _FIELD) - 1


# --------------------------------------------------------------------- source terms


class Py:
    """A term of generated source: a Python expression (int or bool valued)."""

    __slots__ = ("src",)

    def __init__(self, src: str) -> None:
        self.src = src

    def __add__(self, other: object) -> object:
        return _op(self, "+", other)

    def __radd__(self, other: object) -> object:
        return _op(other, "+", self)

    def __sub__(self, other: object) -> object:
        return _op(self, "-", other)

    def __rsub__(self, other: object) -> object:
        return _op(other, "-", self)

    def __lt__(self, other: object) -> object:
        return _op(self, "<", other)

    def __le__(self, other: object) -> object:
        return _op(self, "<=", other)

    def __gt__(self, other: object) -> object:
        return _op(self, ">", other)

    def __ge__(self, other: object) -> object:
        return _op(self, ">=", other)

    def __bool__(self) -> bool:
        raise TypeError(f"a generated term has no truth value at build time: {self.src}")


_FOLD: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
}


def _src(term: object) -> str:
    return term.src if isinstance(term, Py) else repr(term)


def _op(a: object, op: str, b: object) -> object:
    if not isinstance(a, Py) and not isinstance(b, Py):
        return _FOLD[op](a, b)
    return Py(f"({_src(a)} {op} {_src(b)})")


class _Var:
    """A compiled state in generated source: the name of a tuple variable."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def item(self, i: int) -> Py:
        return Py(f"{self.name}[{i}]")


# ------------------------------------------------------------------ the generating domain


# the number released: the PASSED positions of both locals vectors, as remembered bit masks
# (when only the actor's local changed and it did not move into PASSED, nobody was released)
_RELEASED = (
    "_x, _y = pre[5], post[5]",
    "if _x[:{p}] == _y[:{p}] and _x[{q}:] == _y[{q}:] and (_P[_x[{p}]] or not _P[_y[{p}]]):",
    "    _rl = 0",
    "else:",
    "    _b = _M.get(_x)",
    "    if _b is None:",
    "        _b = _mask(_x)",
    "    _a = _M.get(_y)",
    "    if _a is None:",
    "        _a = _mask(_y)",
    "    _rl = (_a & ~_b).bit_count()",
)


class Gen:
    """The invariant domain whose terms are source over compiled tuples (and one label).

    ``facts``: a state's counts outside :meth:`each_round` come from the remembered facts of
    its ``(round, locals)`` pair (``_fa``), each predicate registered once in :attr:`preds`;
    otherwise they are summed where they are read.
    """

    def __init__(self, tables: _Tables, *, facts: bool, label: Label | None = None) -> None:
        self.tables = tables
        self.facts = facts
        self.label = label
        self.prelude: list[str] = []
        self._rounds = 0

    # -- shared fields
    def round(self, s: _Var) -> Py:
        return s.item(0)

    def arrived(self, s: _Var) -> Py:
        return s.item(1)

    def broken(self, s: _Var) -> Py:
        return s.item(2)

    def parties(self, s: _Var) -> Py:
        return s.item(3)

    # -- participants and rounds
    def count(self, s: _Var, pred: Pred, rnd: Any = None) -> Py:
        k = self.tables.pred_index(pred)
        if rnd is None and self.facts:
            return Py(f"_fa[{self.tables.fact_index(k)}]")
        if rnd is None:
            return Py(f"sum(map(_t{k}[{s.name}[0]].__getitem__, {s.name}[5]))")
        return Py(f"sum(map(_tab({k}, {s.name}[0], {_src(rnd)}), {s.name}[5]))")

    def each_round(self, s: _Var, body: Callable[[Any], Any]) -> object:
        self._rounds += 1
        r = Py(f"_r{self._rounds}")
        holds = body(r)
        if not isinstance(holds, Py):
            return bool(holds)
        passers = "_fa[-1]" if self.facts else f"_passers({s.name}[0], {s.name}[5])"
        return Py(f"all({holds.src} for {r.src} in _rounds({passers}, {s.name}[4]))")

    def taken(self, s: _Var, rnd: Any) -> Py:
        return Py(f"_ntaken({s.name}[4], {_src(rnd)})")

    def stray(self, s: _Var, rnd: Any) -> Py:
        return Py(f"_stray({s.name}[4], {_src(rnd)}, {s.name}[3])")

    # -- connectives (constants fold)
    @staticmethod
    def eq(a: object, b: object) -> object:
        return _op(a, "==", b)

    @staticmethod
    def all(*terms: object) -> object:
        rest = [t for t in terms if isinstance(t, Py) or not t]
        if any(not isinstance(t, Py) for t in rest):
            return False
        if not rest:
            return True
        return rest[0] if len(rest) == 1 else Py("(" + " and ".join(_src(t) for t in rest) + ")")

    @staticmethod
    def any(*terms: object) -> object:
        rest = [t for t in terms if isinstance(t, Py) or t]
        if any(not isinstance(t, Py) for t in rest):
            return True
        if not rest:
            return False
        return rest[0] if len(rest) == 1 else Py("(" + " or ".join(_src(t) for t in rest) + ")")

    @staticmethod
    def not_(a: object) -> object:
        return Py(f"(not {a.src})") if isinstance(a, Py) else not a

    def implies(self, a: object, b: object) -> object:
        return self.any(self.not_(a), b)

    @staticmethod
    def ite(c: object, a: object, b: object) -> object:
        if not isinstance(c, Py):
            return a if c else b
        return Py(f"({_src(a)} if {c.src} else {_src(b)})")

    # -- steps: the label is a constant, the states are the variables pre and post
    def pre(self, t: Label) -> _Var:
        return _Var("pre")

    def post(self, t: Label) -> _Var:
        return _Var("post")

    def event(self, t: Label) -> type:
        return type(t.transition.event)

    def actor(self, t: Label) -> int:
        return t.p

    def outputs(self, t: Label) -> tuple[Observation, ...]:
        return t.transition.outputs

    def released(self, t: Label) -> Py:
        if _RELEASED[0] not in self.prelude:
            self.prelude += [line.format(p=t.p, q=t.p + 1) for line in _RELEASED]
        return Py("_rl")

    def was(self, t: Label, p: int, pred: Pred) -> Py:
        k = self.tables.pred_index(pred)
        return Py(f"_t{k}[pre[0]][pre[5][{p}]]")

    def index_free(self, t: Label, out: Observation) -> object:
        value = getattr(out, "value", None)
        if not isinstance(value, int) or isinstance(value, bool):
            return False
        in_range = f"0 <= {value} < pre[3]"
        if not 0 <= value < self.tables.width - 1:  # no bit of the slot can hold it
            return Py(f"({in_range})")
        at = f"(_R[pre[5][{out.p}]] * {self.tables.width})"
        present = f"(pre[4] >> {at} & {self.tables.present})"
        index = f"(pre[4] >> ({at} + {value}) & 1)"
        return Py(f"({in_range} and (not {present} or not {index}))")


# ------------------------------------------------------------ tables and helper functions


class _Tables:
    """The lookup tables and helpers generated code calls, for one system's codes."""

    def __init__(self, codes: LocalCodes, taken: TakenCodec) -> None:
        self.codes = codes
        self.width, self.present, self.full = taken.width, taken.present, taken.full
        self.preds: list[Pred] = []
        self.facts: list[int] = []  # pred indices the remembered facts hold, in order
        self._tabs: dict[tuple[int, int, int | None], Callable[[int], bool]] = {}
        self._by_round: dict[int, _ByRound] = {}
        self._passed = [s == PASSED for s in codes.status]
        self._pass = self._passed.__getitem__
        self._masks: dict[tuple[int, ...], int] = {}
        self._facts: dict[tuple[int, tuple[int, ...]], tuple[Any, ...]] = {}
        self._rows: dict[int, _FactRows] = {}

    def by_round(self, k: int) -> _ByRound:
        table = self._by_round.get(k)
        if table is None:
            table = self._by_round[k] = _ByRound(self, k)
        return table

    def pred_index(self, pred: Pred) -> int:
        for k, known in enumerate(self.preds):
            if known is pred:
                return k
        self.preds.append(pred)
        return len(self.preds) - 1

    def fact_index(self, k: int) -> int:
        if k not in self.facts:
            if self._facts:
                raise RuntimeError("a count was added to the facts after they were computed")
            self.facts.append(k)
        return self.facts.index(k)

    def namespace(self) -> dict[str, Any]:
        return {
            "_tab": self.tab,
            "_facts": self.compute_facts,
            "_F": self._facts,
            "_rounds": self.rounds,
            "_passers": self.passers,
            "_ntaken": self.ntaken,
            "_stray": self.stray,
            "_M": self._masks,
            "_mask": self._mask,
            "_R": self.codes.round,
            "_P": self._passed,
            **{f"_t{k}": self.by_round(k) for k in range(len(self.preds))},
        }

    def tab(self, k: int, filling: int, rnd: int | None) -> Callable[[int], bool]:
        """``table[code]``: whether predicate ``k`` holds of the code's class (each entry
        computed on first use: few of the codes occur)."""
        key = (k, filling, rnd)
        table = self._tabs.get(key)
        if table is None:
            table = self._tabs[key] = _Lazy(self.preds[k], self.codes, filling, rnd).__getitem__
        return table

    def passers(self, filling: int, locs: tuple[int, ...]) -> frozenset[int]:
        return frozenset(compress(map(self.codes.round.__getitem__, locs), map(self._pass, locs)))

    def compute_facts(self, filling: int, locs: tuple[int, ...]) -> tuple[Any, ...]:
        """The registered counts of ``(filling, locs)`` and the passers' rounds (remembered).

        One sum over the locals: each code's row (:class:`_FactRows`) packs a
        :data:`_FIELD`-bit field per registered predicate (1 if it holds of the code's class)
        and one per round (1 if the code has passed in that round), so the sum's fields are
        the counts and the number of passers of each round."""
        rows = self._rows.get(filling)
        if rows is None:
            rows = self._rows[filling] = _FactRows(self, filling)
        packed = sum(map(rows.__getitem__, locs))
        fields = [packed >> shift & _FIELD_MASK for shift in rows.shifts]
        k = len(self.facts)
        passers = frozenset(r for r, n in enumerate(fields[k:]) if n)
        if len(self._facts) >= _CACHE:
            self._facts.clear()
        facts = self._facts[filling, locs] = (*fields[:k], passers)
        return facts

    def rounds(self, passers: frozenset[int], taken: int) -> Sequence[int]:
        """The rounds a passer or a handed-out index names."""
        if not taken:
            return sorted(passers)
        found, r = set(passers), 0
        while taken:
            if taken & self.present:
                found.add(r)
            taken >>= self.width
            r += 1
        return sorted(found)

    def _ids(self, taken: int, r: int) -> int:
        slot = taken >> (r * self.width) & self.full
        return slot & (self.present - 1) if slot & self.present else 0

    def ntaken(self, taken: int, r: int) -> int:
        return self._ids(taken, r).bit_count()

    def stray(self, taken: int, r: int, parties: int) -> bool:
        ids = self._ids(taken, r)
        return ids != 0 if parties <= 0 else ids >> parties != 0

    def _mask(self, locs: tuple[int, ...]) -> int:
        mask = 0
        for i, c in enumerate(locs):
            if self._passed[c]:
                mask |= 1 << i
        if len(self._masks) >= _CACHE:
            self._masks.clear()
        self._masks[locs] = mask
        return mask


class _FactRows(dict[int, int]):
    """``rows[code]``: for one filling round, the code's facts packed into one int: field
    ``i`` is 1 if registered predicate ``facts[i]`` holds of the code's class, field
    ``len(facts) + r`` is 1 if the code has passed in round ``r`` (``shifts``: each
    field's)."""

    def __init__(self, tables: _Tables, filling: int) -> None:
        super().__init__()
        self.tables, self.filling = tables, filling
        fields = len(tables.facts) + tables.codes.max_round + 1
        self.shifts = range(0, _FIELD * fields, _FIELD)

    def __missing__(self, code: int) -> int:
        tables = self.tables
        row = 0
        for i, k in enumerate(tables.facts):
            if tables.by_round(k)[self.filling][code]:
                row |= 1 << (i * _FIELD)
        if tables._passed[code]:
            row |= 1 << ((len(tables.facts) + tables.codes.round[code]) * _FIELD)
        self[code] = row
        return row


class _ByRound(dict[int, "_Lazy"]):
    """Predicate ``k``'s lazy table of each filling round (no distinguished round)."""

    def __init__(self, tables: _Tables, k: int) -> None:
        super().__init__()
        self.tables, self.k = tables, k

    def __missing__(self, filling: int) -> _Lazy:
        table = self[filling] = _Lazy(self.tables.preds[self.k], self.tables.codes, filling, None)
        return table


class _Lazy(dict[int, bool]):
    """``pred`` of each local code's class for one (filling round, distinguished round)."""

    def __init__(self, pred: Pred, codes: LocalCodes, filling: int, rnd: int | None) -> None:
        super().__init__()
        self.pred, self.local, self.filling, self.rnd = pred, codes.local, filling, rnd

    def __missing__(self, code: int) -> bool:
        holds = self[code] = self.pred(class_of(self.local(code), self.filling, self.rnd))
        return holds


# ------------------------------------------------------------------------ generated code


def _function(args: str, prelude: Sequence[str], expr: object, tables: _Tables) -> Any:
    body = [f"def check({args}):", *(f"    {line}" for line in prelude)]
    body.append(f"    return {_src(expr)}")
    namespace = tables.namespace()
    exec(compile("\n".join(body), "<generated invariant>", "exec"), namespace)
    return namespace["check"]


_FACTS_PRELUDE = ("_fa = _F.get((s[0], s[5]))", "if _fa is None:", "    _fa = _facts(s[0], s[5])")


def _state_function(specs: Sequence[StateSpec], tables: _Tables) -> Any:
    gen = Gen(tables, facts=True)
    s = _Var("s")
    expr = gen.all(*(spec.formula(gen, s) for spec in specs))
    return _function("s", _FACTS_PRELUDE if "_fa" in _src(expr) else (), expr, tables)


def _step_function(specs: Sequence[StepSpec], tables: _Tables, label: Label) -> Any:
    gen = Gen(tables, facts=False, label=label)
    expr = gen.all(*(spec.formula(gen, label) for spec in specs))
    return _function("pre, post", gen.prelude, expr, tables)


class _PerLabel:
    """``holds(pre, label, post)``: ``specs`` generated for each label on first use."""

    def __init__(self, specs: Sequence[StepSpec], tables: _Tables) -> None:
        self.specs, self.tables = specs, tables
        self.functions: dict[Label, Any] = {}

    def function(self, label: Label) -> Any:
        fn = self.functions.get(label)
        if fn is None:
            fn = self.functions[label] = _step_function(self.specs, self.tables, label)
        return fn


class CompiledChecks:
    """The invariants of ``profile`` on one system's compiled states (see the module)."""

    def __init__(
        self, profile: Profile, codes: LocalCodes, taken: TakenCodec, decode: Decode
    ) -> None:
        self.tables = _Tables(codes, taken)
        self.decode = decode
        self.state_specs = state_specs(profile)
        self.step_specs = step_specs(profile)
        self._readable = {inv.name: inv.check for inv in state_invariants(profile)}
        self._readable_steps = {inv.name: inv.check for inv in transition_invariants(profile)}
        self.invariants = [self._named(spec) for spec in self.state_specs]
        self.all_states = _state_function(self.state_specs, self.tables)
        self.transition_invariants = [self._named_step(spec) for spec in self.step_specs]
        self.all_steps = _PerLabel(self.step_specs, self.tables)

    def _named(self, spec: StateSpec) -> Invariant[CompiledState]:
        holds, readable, decode = _state_function([spec], self.tables), self._readable, self.decode

        def check(s: CompiledState) -> str | None:
            if holds(s):
                return None
            message = readable[spec.name](decode(s))
            return message or f"{spec.name}: the compiled check disagrees with the model on {s}"

        return Invariant(spec.name, spec.description, check)

    def _named_step(self, spec: StepSpec) -> TransitionInvariant[CompiledState]:
        per_label, readable, decode = (
            _PerLabel([spec], self.tables),
            self._readable_steps,
            self.decode,
        )

        def check(pre: CompiledState, t: object, post: CompiledState) -> str | None:
            assert isinstance(t, Label)
            if per_label.function(t)(pre, post):
                return None
            message = readable[spec.name](decode(pre), t.transition, decode(post))
            return message or f"{spec.name}: the compiled check disagrees with the model on {t}"

        return TransitionInvariant(spec.name, spec.description, check)


class FusedChecks:
    """One state check and one transition check standing for every invariant of a compiled
    (or counting) ``system``: the generated conjunctions, then the first failing named
    check's message. Built per exploration from the system's current invariants: where they
    are not the generated ones (a test added one), the named checks run in order."""

    def __init__(self, system: Any) -> None:
        checks: CompiledChecks = system.compiled_checks
        named = tuple(inv.check for inv in system.invariants)
        step_named = tuple(inv.check for inv in system.transition_invariants)
        holds = checks.all_states
        if list(system.invariants) != checks.invariants:
            holds = _never
        function, functions = checks.all_steps.function, checks.all_steps.functions
        if list(system.transition_invariants) != checks.transition_invariants:
            function, functions = _never_step, {}

        def state(s: CompiledState) -> str | None:
            if holds(s):
                return None
            return _first(named, s)

        def transition(pre: CompiledState, t: Label, post: CompiledState) -> str | None:
            fn = functions.get(t) or function(t)
            if fn(pre, post):
                return None
            for check in step_named:
                message: str | None = check(pre, t, post)
                if message is not None:
                    return message
            return None

        self.state = state
        self.transition = transition

    def state_checks(self) -> tuple[tuple[str, Check], ...]:
        """The explorer's state checks: the fused one."""
        return ((FUSED, self.state),)

    def transition_checks(self) -> tuple[tuple[str, StepCheck], ...]:
        """The explorer's transition checks: the fused one."""
        return ((FUSED, self.transition),)


def _never(s: CompiledState) -> bool:
    return False


def _never_holds(pre: CompiledState, post: CompiledState) -> bool:
    return False


def _never_step(label: Label) -> Any:
    return _never_holds


def _first(checks: Sequence[Check], s: CompiledState) -> str | None:
    for check in checks:
        message = check(s)
        if message is not None:
            return message
    return None
