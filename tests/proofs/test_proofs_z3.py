"""The z3 wrapper: compiled terms evaluate exactly as Z3 does."""

from __future__ import annotations

import random

import pytest
import z3

from barrierspec.proofs._z3 import (
    BoolTerm,
    IntTerm,
    all_of,
    any_of,
    bool_var,
    compile_term,
    compile_terms,
    implies,
    int_var,
    ite,
    ite_bool,
    total,
)


def _z3_value(term: IntTerm | BoolTerm, env: dict[str, int | bool]) -> int | bool:
    subst = []
    for name, value in env.items():
        if isinstance(value, bool):
            subst.append((z3.Bool(name), z3.BoolVal(value)))
        else:
            subst.append((z3.Int(name), z3.IntVal(value)))
    out = z3.simplify(z3.substitute(term.raw, *subst))
    return bool(z3.is_true(out)) if z3.is_bool(out) else int(out.as_long())


def test_compiled_terms_agree_with_z3_on_random_values() -> None:
    a, b, c = int_var("a"), int_var("b"), int_var("c")
    p, q = bool_var("p"), bool_var("q")
    terms: list[IntTerm | BoolTerm] = [
        total([a, b, 3 - c]) - (a + 1),
        ite(p & (a < b), a, ite(q, b - c, 0 - c)),
        implies(a >= b, p) | ~q,
        all_of([a.eq(b), b.ne(c), p.eq(q)]),
        any_of([a > 2, c <= -1]),
        ite_bool(q, p, a.eq(c)),
    ]
    rng = random.Random(7)
    for _ in range(200):
        env: dict[str, int | bool] = {
            "a": rng.randint(-3, 3),
            "b": rng.randint(-3, 3),
            "c": rng.randint(-3, 3),
            "p": rng.random() < 0.5,
            "q": rng.random() < 0.5,
        }
        for term in terms:
            assert compile_term(term)(env) == _z3_value(term, env), (term, env)


def test_a_guard_makes_the_compiled_function_return_none() -> None:
    a = int_var("a")
    fn = compile_terms([a + 1, a > 0], guard=a.ne(0))
    assert fn({"a": 2}) == (3, True)
    assert fn({"a": 0}) is None


def test_an_unsupported_operator_is_refused_not_evaluated_wrong() -> None:
    a = int_var("a")
    modulo = IntTerm(a.raw % 2)
    with pytest.raises(ValueError, match="unsupported Z3 operator"):
        compile_term(modulo)


def test_mixing_a_python_bool_into_arithmetic_is_refused() -> None:
    # bool is an int to the type checker: only the runtime check can refuse it
    with pytest.raises(TypeError, match="an integer term or int is required"):
        int_var("a") + True
