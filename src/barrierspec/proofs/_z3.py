"""The one door to Z3: typed terms, a solver with time limits, and a term evaluator.

Everything else in :mod:`barrierspec.proofs` builds formulas through this module, so the rest
of the package is typed (z3 itself ships no annotations) and z3's names never leak out.

* :class:`IntTerm` / :class:`BoolTerm` wrap z3 expressions. Arithmetic and ordering use the
  Python operators (``a + 1``, ``a < b``); equality is spelled ``a.eq(b)`` / ``a.ne(b)`` so
  that ``==`` keeps its ordinary meaning; connectives are ``&``, ``|``, ``~`` and the
  functions :func:`all_of`, :func:`any_of`, :func:`implies`, :func:`ite`.
* :class:`Solver` answers ``sat`` / ``unsat`` / ``unknown`` within a time limit; every check
  runs in a frame that is popped in ``finally``, so a failed or interrupted query never leaves
  assertions behind.
* :func:`compile_term` turns a term into a Python function of the variables' values, by
  walking z3's own syntax tree: the agreement tests evaluate *the Z3 relation itself* on
  thousands of concrete states without a solver call per state.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import attrs
import z3

__all__ = [
    "BoolLike",
    "BoolTerm",
    "IntLike",
    "IntTerm",
    "Outcome",
    "Solver",
    "Value",
    "all_of",
    "any_of",
    "bool_var",
    "compile_term",
    "implies",
    "int_var",
    "ite",
    "total",
]

Value = int | bool
Env = Mapping[str, Value]


# Terms are built through z3's C-level constructors (``Z3_mk_add``, ``Z3_mk_and``, ...) on
# the main context, not through z3's operators: those coerce their arguments to a common sort
# at every call, which was most of the time of building a proof model. A term here is always
# of the sort its class says (IntTerm: Int, BoolTerm: Bool), so there is nothing to coerce,
# and the constructors are the ones z3's operators end in: the terms are the same.
_CTX = z3.main_ctx()
_REF = _CTX.ref()


def _ints(raw: Any) -> IntTerm:
    # z3's own class for the term: a numeral is an IntNumRef (it has as_long)
    numeral = z3.Z3_is_numeral_ast(_REF, raw)
    return IntTerm(z3.IntNumRef(raw, _CTX) if numeral else z3.ArithRef(raw, _CTX))


def _bools(raw: Any) -> BoolTerm:
    return BoolTerm(z3.BoolRef(raw, _CTX))


def _nary(make: Any, raws: Sequence[Any]) -> Any:
    """``make`` (a z3 n-ary constructor) applied to the z3 terms ``raws``."""
    array = (z3.Ast * len(raws))(*[r.as_ast() for r in raws])
    return make(_REF, len(raws), array)


def _compare(left: Any, right: Any, make: Any, mirrored: Any) -> BoolTerm:
    """The comparison ``make`` of two integer terms, as z3's operator builds it: Python runs
    a comparison with a constant (an IntNumRef, a subclass) on the right of another term as the
    constant's mirrored comparison, so the constant comes first (``(<= 1 parties)`` for
    ``parties >= 1``)."""
    if type(right) is z3.IntNumRef and type(left) is not z3.IntNumRef:
        left, right, make = right, left, mirrored
    return _bools(make(_REF, left.as_ast(), right.as_ast()))


def _distinct(ref: Any, left: Any, right: Any) -> Any:
    """``Z3_mk_distinct`` of two terms, spelled as the binary constructors are."""
    return z3.Z3_mk_distinct(ref, 2, (z3.Ast * 2)(left, right))


class IntTerm:
    """An integer-valued Z3 term."""

    __slots__ = ("raw",)

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def __add__(self, other: IntLike) -> IntTerm:
        return _ints(_nary(z3.Z3_mk_add, (self.raw, _int(other))))

    def __radd__(self, other: int) -> IntTerm:
        return _ints(_nary(z3.Z3_mk_add, (_int(other), self.raw)))

    def __sub__(self, other: IntLike) -> IntTerm:
        return _ints(_nary(z3.Z3_mk_sub, (self.raw, _int(other))))

    def __rsub__(self, other: int) -> IntTerm:
        return _ints(_nary(z3.Z3_mk_sub, (_int(other), self.raw)))

    def __lt__(self, other: IntLike) -> BoolTerm:
        return _compare(self.raw, _int(other), z3.Z3_mk_lt, z3.Z3_mk_gt)

    def __le__(self, other: IntLike) -> BoolTerm:
        return _compare(self.raw, _int(other), z3.Z3_mk_le, z3.Z3_mk_ge)

    def __gt__(self, other: IntLike) -> BoolTerm:
        return _compare(self.raw, _int(other), z3.Z3_mk_gt, z3.Z3_mk_lt)

    def __ge__(self, other: IntLike) -> BoolTerm:
        return _compare(self.raw, _int(other), z3.Z3_mk_ge, z3.Z3_mk_le)

    def eq(self, other: IntLike) -> BoolTerm:
        """``self == other`` as a formula."""
        return _compare(self.raw, _int(other), z3.Z3_mk_eq, z3.Z3_mk_eq)

    def ne(self, other: IntLike) -> BoolTerm:
        """``self != other`` as a formula."""
        return _compare(self.raw, _int(other), _distinct, _distinct)

    def __repr__(self) -> str:
        return f"IntTerm({self.raw})"


class BoolTerm:
    """A Boolean Z3 term (a formula)."""

    __slots__ = ("raw",)

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def __and__(self, other: BoolLike) -> BoolTerm:
        return _bools(_nary(z3.Z3_mk_and, (self.raw, _bool(other))))

    def __or__(self, other: BoolLike) -> BoolTerm:
        return _bools(_nary(z3.Z3_mk_or, (self.raw, _bool(other))))

    def __invert__(self) -> BoolTerm:
        return _bools(z3.Z3_mk_not(_REF, self.raw.as_ast()))

    def eq(self, other: BoolLike) -> BoolTerm:
        """``self <=> other`` as a formula."""
        return _bools(z3.Z3_mk_eq(_REF, self.raw.as_ast(), _bool(other).as_ast()))

    def __repr__(self) -> str:
        return f"BoolTerm({self.raw})"


IntLike = IntTerm | int
BoolLike = BoolTerm | bool


def _int(value: IntLike) -> Any:
    if isinstance(value, IntTerm):
        return value.raw
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"an integer term or int is required, got {value!r}")
    return _int_val(value)


@functools.lru_cache(maxsize=4096)
def _int_val(value: int) -> Any:
    """z3's constant ``value`` (remembered: a constant is built once)."""
    return z3.IntVal(value)


_BOOL_VALS = {True: z3.BoolVal(True), False: z3.BoolVal(False)}


def _bool(value: BoolLike) -> Any:
    if isinstance(value, BoolTerm):
        return value.raw
    if not isinstance(value, bool):
        raise TypeError(f"a Boolean term or bool is required, got {value!r}")
    return _BOOL_VALS[value]


def int_var(name: str) -> IntTerm:
    """A fresh integer variable called ``name``."""
    return IntTerm(z3.Int(name))


def bool_var(name: str) -> BoolTerm:
    """A fresh Boolean variable called ``name``."""
    return BoolTerm(z3.Bool(name))


def int_val(value: int) -> IntTerm:
    """The integer constant ``value``."""
    return IntTerm(_int(value))


def bool_val(value: bool) -> BoolTerm:
    """The Boolean constant ``value``."""
    return BoolTerm(_bool(value))


def all_of(terms: Iterable[BoolLike]) -> BoolTerm:
    """The conjunction of ``terms`` (true when empty)."""
    return _bools(_nary(z3.Z3_mk_and, [_bool(t) for t in terms]))


def any_of(terms: Iterable[BoolLike]) -> BoolTerm:
    """The disjunction of ``terms`` (false when empty)."""
    return _bools(_nary(z3.Z3_mk_or, [_bool(t) for t in terms]))


def implies(premise: BoolLike, conclusion: BoolLike) -> BoolTerm:
    """``premise => conclusion``."""
    return _bools(z3.Z3_mk_implies(_REF, _bool(premise).as_ast(), _bool(conclusion).as_ast()))


def ite(cond: BoolLike, then: IntLike, other: IntLike) -> IntTerm:
    """``then if cond else other`` for integers."""
    made = z3.Z3_mk_ite(_REF, _bool(cond).as_ast(), _int(then).as_ast(), _int(other).as_ast())
    return _ints(made)


def ite_bool(cond: BoolLike, then: BoolLike, other: BoolLike) -> BoolTerm:
    """``then if cond else other`` for formulas."""
    made = z3.Z3_mk_ite(_REF, _bool(cond).as_ast(), _bool(then).as_ast(), _bool(other).as_ast())
    return _bools(made)


def total(terms: Iterable[IntLike]) -> IntTerm:
    """The sum of ``terms`` (0 when empty)."""
    raws = [_int(t) for t in terms]
    return _ints(_nary(z3.Z3_mk_add, raws)) if raws else IntTerm(_int_val(0))


__all__ += ["bool_val", "int_val", "ite_bool"]

# ----------------------------------------------------------------------------- solving


class Outcome(enum.Enum):
    """What a satisfiability check found."""

    SAT = "sat"
    UNSAT = "unsat"
    UNKNOWN = "unknown"


@attrs.frozen
class Check:
    """The answer to one query: the outcome, Z3's reason for an unknown, and a model."""

    outcome: Outcome
    reason: str = ""
    model: Mapping[str, Value] = attrs.field(factory=dict)


class Solver:
    """A Z3 solver whose every check has a time limit (``timeout_ms``, > 0).

    ``check(goals, names)`` decides the conjunction of the asserted background and ``goals``
    inside a fresh frame (popped in ``finally``), and on ``sat`` returns the values of the
    variables in ``names``. ``frame()`` opens a longer-lived frame for shared assumptions.
    """

    def __init__(self, timeout_ms: int) -> None:
        if isinstance(timeout_ms, bool) or not isinstance(timeout_ms, int) or timeout_ms <= 0:
            raise ValueError(f"the solver time limit must be an int > 0 ms, got {timeout_ms!r}")
        self._solver = z3.SolverFor("QF_LIA")
        self._solver.set("timeout", timeout_ms)

    def add(self, *terms: BoolLike) -> None:
        """Assert ``terms`` in the current frame."""
        self._solver.add(*[_bool(t) for t in terms])

    @contextmanager
    def frame(self) -> Iterator[None]:
        """A frame for assertions that are retracted on exit, whatever happens."""
        self._solver.push()
        try:
            yield
        finally:
            self._solver.pop()

    def check(
        self, goals: Iterable[BoolLike], watch: Mapping[str, IntTerm | BoolTerm] | None = None
    ) -> Check:
        """Is the background plus ``goals`` satisfiable? On sat, the values of ``watch``."""
        with self.frame():
            self._solver.add(*[_bool(g) for g in goals])
            answer = self._solver.check()
            if answer == z3.unsat:
                return Check(Outcome.UNSAT)
            if answer != z3.sat:
                return Check(Outcome.UNKNOWN, str(self._solver.reason_unknown()))
            model = self._solver.model()
            values = {name: _value(model, term) for name, term in (watch or {}).items()}
            return Check(Outcome.SAT, model=values)


def _value(model: Any, term: IntTerm | BoolTerm) -> Value:
    # model_completion: a variable the model leaves free gets a default (0 / False).
    value = model.eval(term.raw, model_completion=True)
    if z3.is_int_value(value):
        return int(value.as_long())
    return bool(z3.is_true(value))


__all__ += ["Check"]

# --------------------------------------------------------------------------- evaluating

_INFIX = {
    z3.Z3_OP_ADD: " + ",
    z3.Z3_OP_SUB: " - ",
    z3.Z3_OP_MUL: " * ",
    z3.Z3_OP_AND: " and ",
    z3.Z3_OP_OR: " or ",
    z3.Z3_OP_EQ: " == ",
    z3.Z3_OP_IFF: " == ",
    z3.Z3_OP_LE: " <= ",
    z3.Z3_OP_LT: " < ",
    z3.Z3_OP_GE: " >= ",
    z3.Z3_OP_GT: " > ",
    z3.Z3_OP_XOR: " != ",
}
# Python renderings of the operators that are not plain infix ({i} is the i-th argument)
_TEMPLATES: dict[int, str] = {
    z3.Z3_OP_ITE: "({1} if {0} else {2})",
    z3.Z3_OP_NOT: "(not {0})",
    z3.Z3_OP_UMINUS: "(-{0})",
    z3.Z3_OP_IMPLIES: "((not {0}) or {1})",
    z3.Z3_OP_DISTINCT: "({0} != {1})",  # two arguments only
}


class _Emitter:
    """Python source for z3 terms; variables become locals read once from ``env``."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.cache: dict[int, str] = {}

    def emit(self, e: Any) -> str:
        key = e.get_id()
        text = self.cache.get(key)
        if text is None:
            text = self._emit(e)
            self.cache[key] = text
        return text

    def _emit(self, e: Any) -> str:
        if z3.is_int_value(e):
            return str(e.as_long())
        if z3.is_true(e):
            return "True"
        if z3.is_false(e):
            return "False"
        kind = e.decl().kind()
        if kind == z3.Z3_OP_UNINTERPRETED and e.num_args() == 0:
            name = e.decl().name()
            return self.names.setdefault(name, f"v{len(self.names)}")
        args = [self.emit(e.arg(i)) for i in range(e.num_args())]
        template = _TEMPLATES.get(kind)
        if template is not None and (kind != z3.Z3_OP_DISTINCT or len(args) == 2):
            return template.format(*args)
        if kind in _INFIX and args:
            return "(" + _INFIX[kind].join(args) + ")"
        raise ValueError(f"compile_term: unsupported Z3 operator {e.decl().name()!r} in {e}")


def compile_terms(
    terms: Sequence[IntTerm | BoolTerm], guard: BoolTerm | None = None
) -> Callable[[Env], tuple[Value, ...] | None]:
    """A Python function computing the values of ``terms`` from the values of the variables.

    With a ``guard``, the function returns ``None`` where the guard is false. The function is
    generated from z3's own syntax trees, so evaluating it *is* evaluating the Z3 terms. Only
    the quantifier-free linear vocabulary this package builds is supported; any other operator
    raises :class:`ValueError` naming it, so nothing is evaluated silently wrong.
    """
    emitter = _Emitter()
    body = [emitter.emit(t.raw) for t in terms]
    test = emitter.emit(guard.raw) if guard is not None else None
    lines = ["def _compiled(env):"]
    lines += [f"    {local} = env[{name!r}]" for name, local in emitter.names.items()]
    if test is not None:
        lines.append(f"    if not {test}:")
        lines.append("        return None")
    lines.append(f"    return ({', '.join(body)}{',' if len(body) == 1 else ''})")
    namespace: dict[str, Any] = {}
    exec("\n".join(lines), namespace)  # the source is generated above from z3 terms only
    compiled: Callable[[Env], tuple[Value, ...] | None] = namespace["_compiled"]
    return compiled


def compile_term(term: IntTerm | BoolTerm) -> Callable[[Env], Value]:
    """A Python function computing ``term``'s value (see :func:`compile_terms`)."""
    many = compile_terms([term])

    def value(env: Env) -> Value:
        result = many(env)
        assert result is not None  # no guard, so never None
        return result[0]

    return value


__all__ += ["compile_terms"]
