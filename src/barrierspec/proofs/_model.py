"""A profile's model as a symbolic transition system: classes, pre-state, moves, init.

The classes of the abstraction are not listed by hand: starting from the classes of the
initial state, :func:`proof_model` adds every class a move can produce, until nothing new
appears. A class no move produces needs no counter, so the universe is as small as the
profile's rules make it (18 classes for ``threading``).
"""

from __future__ import annotations

import attrs

from barrierspec.proofs._abstraction import LocalClass, Sym, Tag
from barrierspec.proofs._moves import Move, Variant, build_moves
from barrierspec.proofs._z3 import BoolTerm, all_of
from barrierspec.spec import Member, Membership, PartiesPolicy, Profile

__all__ = ["ProofModel", "proof_model"]

# More rounds of closure than this means a move keeps inventing classes: a bug.
_MAX_CLOSURE_ROUNDS = 20


@attrs.frozen(eq=False)
class ProofModel:
    """The counter system of ``profile`` (altered by ``variant``): the object the proofs use.

    ``pre`` holds one variable per shared field and per class; each move's ``post`` is a term
    over those variables.
    """

    profile: Profile
    variant: Variant
    universe: tuple[LocalClass, ...]
    pre: Sym
    moves: tuple[Move, ...]

    @property
    def dynamic(self) -> bool:
        """Whether membership is dynamic (parties changes as members join and leave)."""
        return self.profile.policies.membership is Membership.DYNAMIC

    def initial_classes(self) -> tuple[LocalClass, ...]:
        """The classes of :func:`barrierspec.spec.initial_state`: idle (members or not)."""
        return _initial_classes(self.profile)

    def init(self) -> BoolTerm:
        """The initial states, for every number of parties and participants (at least 1).

        Fixed membership: everybody idle. Dynamic: ``parties`` idle members (1 or more), the
        other participants idle without a member. Round 0, nobody arrived, not broken, no
        index taken; ``rho`` is free.
        """
        s = self.pre
        member = LocalClass(member=Member.MEMBER)
        plain = LocalClass()
        least = 0 if self.profile.policies.parties is PartiesPolicy.ZERO_ALLOWED else 1
        clauses = [s.round.eq(0), s.arrived.eq(0), ~s.broken, s.taken.eq(0), s.parties >= least]
        for c in self.universe:
            if c not in self.initial_classes():
                clauses.append(s.n(c).eq(0))
        if self.dynamic:
            clauses += [s.n(member).eq(s.parties), s.n(plain) >= 0]
        else:
            clauses.append(s.n(plain) >= 1)
        return all_of(clauses)


def _initial_classes(profile: Profile) -> tuple[LocalClass, ...]:
    if profile.policies.membership is Membership.DYNAMIC:
        return (LocalClass(), LocalClass(member=Member.MEMBER))
    return (LocalClass(),)


def proof_model(profile: Profile, variant: Variant | None = None) -> ProofModel:
    """The counter system of ``profile``, its class universe closed under the moves."""
    variant = variant or Variant()
    universe = set(_initial_classes(profile))
    for _ in range(_MAX_CLOSURE_ROUNDS):
        ordered = tuple(sorted(universe))
        pre = Sym.variables(ordered)
        moves = build_moves(profile, pre, variant)
        produced = {c for m in moves for c in m.post.counts}
        # a waiter of another round is never produced, but the abstraction can express it,
        # so one_round_each is checked rather than assumed
        produced |= {attrs.evolve(c, tag=Tag.OTHER) for c in produced if c.tag is Tag.CUR}
        if produced <= universe:
            return ProofModel(profile, variant, ordered, pre, tuple(moves))
        universe |= produced
    raise RuntimeError(f"the classes of {profile.name!r} do not close: {sorted(universe)}")
