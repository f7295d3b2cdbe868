"""Per-local tables of the compiled successor function, computed by the readable rules.

The per-participant rewrites of the model (the local after a break, after a reset, after a
trip in round ``r``) are the functions ``broken_local``, ``reset_local`` and
``released_local`` of :mod:`barrierspec.spec._rules`. :class:`RuleTable` tabulates one of
them over local codes: decode the code, apply the rule, encode the result, once per code and
on demand (a dict with ``__missing__``, so a lookup of a code seen before is a C-level dict
hit). Nothing here restates a rule.

:class:`CodeFacts` holds what the compiled domain needs per code to answer the conditions
that range over every participant (``Cond.SETTLING``, ``Cond.DEATHS_LEFT``) and to prune the
taken indices: each is computed by the concrete domain on a state of that one participant.
"""

from __future__ import annotations

from collections.abc import Callable

from barrierspec.spec._compiled_codes import LocalCodes, TakenCodec
from barrierspec.spec._domain import Cond
from barrierspec.spec._state import Local, State
from barrierspec.spec._step import Concrete

__all__ = ["CodeFacts", "RuleTable"]


class RuleTable(dict[int, int]):
    """``table[code]`` is the code of ``rule(local(code))``, computed the first time it is read."""

    def __init__(self, codes: LocalCodes, rule: Callable[[Local], Local]) -> None:
        super().__init__()
        self.codes = codes
        self._rule = rule

    def __missing__(self, code: int) -> int:
        result = self.codes.encode_local(self._rule(self.codes.local(code)))
        self[code] = result
        return result


class CodeFacts:
    """Per-code facts, each the concrete domain's answer for a state of one participant.

    ``settling_open[c]`` / ``settling_broken[c]``: the participant alone makes the barrier
    settle (``Cond.SETTLING``) when it is not / is broken; ``is_dead[c]``: 1 if it counts
    against the bound on deaths (``Cond.DEATHS_LEFT``); ``keep(locs)``: the bits of the taken
    indices that :meth:`Concrete.prune` keeps for these participants.
    """

    def __init__(self, codes: LocalCodes, taken: TakenCodec) -> None:
        concrete = Concrete(0, deaths=1)
        alone = [State(locals=(codes.local(c),), parties=1) for c in range(codes.size)]
        self.settling_open = [concrete.test(s, Cond.SETTLING) for s in alone].__getitem__
        self.settling_broken = [
            concrete.test(State(locals=s.locals, parties=1, broken=True), Cond.SETTLING)
            for s in alone
        ].__getitem__
        self.is_dead = [int(not concrete.test(s, Cond.DEATHS_LEFT)) for s in alone].__getitem__
        every_round = tuple((r, frozenset[int]()) for r in range(codes.max_round + 1))
        masks = []
        for s in alone:
            kept = concrete.prune(State(locals=s.locals, parties=1, taken=every_round)).taken
            mask = 0
            for r, _ in kept:
                mask |= taken.slot_mask(r)
            masks.append(mask)
        self.masks = masks

    def keep(self, locs: tuple[int, ...]) -> int:
        """The taken bits that survive a prune with participants ``locs``."""
        masks = self.masks
        keep = 0
        for c in locs:
            keep |= masks[c]
        return keep
