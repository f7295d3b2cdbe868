"""Per-local tables of the compiled successor function, built from the readable rules.

The per-participant rewrites of the model (the local after a break, after a reset, after a
trip in round ``r``) are the functions :func:`~barrierspec.spec._step.broken_local`,
:func:`~barrierspec.spec._step.reset_local` and :func:`~barrierspec.spec._step.released_local`.
:class:`RuleTable` tabulates one of them over local codes: decode the code, apply the rule,
encode the result, once per code and on demand (a dict with ``__missing__``, so a lookup of a
code seen before is a C-level dict hit). Changing a rule in ``_step`` therefore changes the
compiled search with it; nothing here restates the rule.

:class:`LocalTables` gathers the tables and the per-code facts the successor function reads.
"""

from __future__ import annotations

from collections.abc import Callable

from barrierspec.spec import _rules as rules
from barrierspec.spec._compiled_codes import (
    BLOCKED,
    DEAD,
    FAILING,
    IDLE,
    PASSED,
    WAITING,
    LocalCodes,
    TakenCodec,
)
from barrierspec.spec._policies import Cancellation, Membership, Profile
from barrierspec.spec._state import Local, Member

__all__ = ["LocalTables", "RuleTable"]

_MEMBER = int(Member.MEMBER)


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


class LocalTables:
    """Everything per local code that the compiled successor function looks up.

    ``broken``, ``reset`` and ``released(r)`` are :class:`RuleTable` s of the readable rules;
    the others are the locals that the handlers of ``_step`` build (a waiter, a blocked
    newcomer, a failing party, a dead arrival) and facts read from the codes.
    """

    def __init__(self, profile: Profile, codes: LocalCodes, taken: TakenCodec) -> None:
        pol = profile.policies
        # looked up when the system is built, so a variant of a rule in _step is followed
        broken, reset, self._released_rule = (
            rules.broken_local,
            rules.reset_local,
            rules.released_local,
        )
        self.broken = RuleTable(codes, lambda loc: broken(pol, loc)).__getitem__
        self.reset = RuleTable(codes, lambda loc: reset(pol, loc)).__getitem__
        self.codes = codes
        self._released: dict[int, Callable[[int], int]] = {}
        rounds = range(codes.max_round + 1)
        flags = [(t, x) for t in (0, 1) for x in (0, 1)]  # (timed, raises), index t * 2 + x
        self.passed = [[codes.code(PASSED, r, member=m) for m in range(3)] for r in rounds]
        self.waiting = [
            [
                [codes.code(WAITING, r, timed=t, raises=x, member=m) for m in range(3)]
                for t, x in flags
            ]
            for r in rounds
        ]
        self.blocked = [
            [codes.code(BLOCKED, timed=t, raises=x, member=m) for m in range(3)] for t, x in flags
        ]
        self.failing = [
            [codes.code(FAILING, fault=f, member=m) for m in range(3)] for f in range(6)
        ]
        self.stands = [codes.code(DEAD, r, arrived=True) for r in rounds]
        self.dead = codes.code(DEAD)
        self.idle_member = codes.code(IDLE, member=_MEMBER)
        self.idle_cancelled = codes.code(IDLE, member=int(Member.CANCELLED))
        status = codes.status
        self.settling_open = [s in (PASSED, FAILING) for s in status].__getitem__
        self.settling_broken = [s == PASSED for s in status].__getitem__
        self.is_dead = [int(s == DEAD) for s in status].__getitem__
        self.dead_arrival = [s == DEAD and a for s, a in zip(status, codes.arrived, strict=True)]
        self.slot_of_passed = [
            taken.slot_mask(codes.round[c]) if status[c] == PASSED else 0 for c in range(codes.size)
        ]
        dynamic = pol.membership is Membership.DYNAMIC
        can_cancel = pol.cancellation is not Cancellation.NONE
        self.cancellable = [
            can_cancel
            and ((dynamic and m == _MEMBER) or (not dynamic and s in (WAITING, BLOCKED, PASSED)))
            for s, m in zip(status, codes.member, strict=True)
        ]

    def released(self, r: int) -> Callable[[int], int]:
        """The table of :func:`~barrierspec.spec._step.released_local` for round ``r``."""
        table = self._released.get(r)
        if table is None:
            rule = self._released_rule
            table = RuleTable(self.codes, lambda loc: rule(r, loc)).__getitem__
            self._released[r] = table
        return table
