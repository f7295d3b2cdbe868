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


def test_the_constructors_build_the_terms_z3s_operators_build() -> None:
    # the wrapper calls z3's C-level constructors; the terms must be z3's own, to the letter
    # (Z3 hash-conses terms, so equal terms are one AST: eq compares the ids)
    a, b = int_var("a"), int_var("b")
    p, q = bool_var("p"), bool_var("q")
    za, zb, zp, zq = z3.Int("a"), z3.Int("b"), z3.Bool("p"), z3.Bool("q")
    one, zero = z3.IntVal(1), z3.IntVal(0)
    pairs: list[tuple[IntTerm | BoolTerm, z3.ExprRef]] = [
        (a + b, za + zb),
        (a + 1, za + one),
        (1 + a, one + za),
        (a - 1, za - one),
        (1 - a, one - za),
        (a < b, za < zb),
        (a <= 1, za <= one),  # Python builds (>= 1 a): the constant's mirrored comparison
        (a > 1, za > one),
        (a >= 1, za >= one),
        (a.eq(0), za == zero),
        (a.ne(b), za != zb),
        (a.ne(0), za != zero),
        (p & q, z3.And(zp, zq)),
        (p | True, z3.Or(zp, True)),
        (~p, z3.Not(zp)),
        (p.eq(q), zp == zq),
        (all_of([p, q, True]), z3.And([zp, zq, True])),
        (all_of([]), z3.And([])),
        (any_of([p, q]), z3.Or([zp, zq])),
        (implies(p, q), z3.Implies(zp, zq)),
        (ite(p, a, 2), z3.If(zp, za, z3.IntVal(2))),
        (ite_bool(p, q, False), z3.If(zp, zq, False)),
        (total([a, b, 3]), z3.Sum([za, zb, z3.IntVal(3)])),
        (total([a]), z3.Sum([za])),
    ]
    for ours, theirs in pairs:
        assert ours.raw.eq(theirs), (ours, theirs)
        assert type(ours.raw) is type(theirs), (ours, theirs)
    assert total([]).raw.eq(zero)
