"""Compiled form of the model's values: a participant's local state as one small int.

The compiled search (:mod:`barrierspec.spec._compiled_system`) keeps a state as a plain tuple

    ``(round, arrived, broken, parties, taken, locals)``

where ``locals`` is a tuple of *local codes* and ``taken`` one int (see :class:`TakenCodec`).

A local code is the rank of a :class:`~barrierspec.spec._state.Local` in the lexicographic
order of its fields ``(status, round, timed, raises, calls, doomed, fault, member, arrived,
position)`` -- the order attrs gives ``Local`` -- over every combination of field values with
a round in ``0..max_round``, a position in ``0..positions-1`` (``positions`` is 1 unless
the profile's index is the arrival order) and a ``calls`` below ``calls`` (1, only
``Call.NONE``, unless the profile lets the action call back). Sorting codes therefore sorts
the readable locals: the compiled canonical form is exactly the encoding of the readable
canonical form. Codes are dense, so every per-local fact and every per-local rewrite the
successor function needs (the local after a break, after a reset, after a trip in round
``r``) is a list indexed by code.
"""

from __future__ import annotations

from barrierspec.errors import BarrierSpecError
from barrierspec.spec._state import Call, Fault, Local, Member, State, Status

__all__ = [
    "BLOCKED",
    "DEAD",
    "FAILING",
    "IDLE",
    "PASSED",
    "WAITING",
    "CompiledRangeError",
    "CompiledState",
    "LocalCodes",
    "TakenCodec",
    "decode_state",
    "encode_state",
]

#: ``(round, arrived, broken, parties, taken, locals)``, see the module docstring.
CompiledState = tuple[int, int, bool, int, int, tuple[int, ...]]

IDLE, BLOCKED, WAITING, PASSED, FAILING, DEAD = (int(s) for s in Status)
_NOT_MEMBER, _MEMBER, _CANCELLED = (int(m) for m in Member)

_FAULTS = len(Fault)
_MEMBERS = len(Member)
_STATUSES = len(Status)


class CompiledRangeError(BarrierSpecError, ValueError):
    """A value does not fit the compiled encoding (a round or an index beyond its bound)."""


class LocalCodes:
    """The local codes of one compiled system, with a round in ``0..max_round`` and a
    position in ``0..positions-1``.

    Field tables (``status``, ``round``, ``timed``, ``raises``, ``doomed``, ``fault``,
    ``member``, ``arrived``, ``position``; ``calls`` is read through :meth:`local`) give each
    code's fields; ``idle[c]`` is the code of the same participant back outside the barrier
    with its membership kept, ``cancelled[c]`` the same local with its member cancelled.
    """

    def __init__(self, max_round: int, positions: int = 1, calls: int = 1) -> None:
        if max_round < 0:
            raise CompiledRangeError(f"max_round must be >= 0, got {max_round}")
        if positions < 1:
            raise CompiledRangeError(f"positions must be >= 1, got {positions}")
        if not 1 <= calls <= len(Call):
            raise CompiledRangeError(f"calls must be in 1..{len(Call)}, got {calls}")
        self.calls = calls
        self.max_round = max_round
        self.positions = positions
        self._rounds = max_round + 1
        self.size = _STATUSES * self._rounds * 4 * calls * 2 * _FAULTS * _MEMBERS * 2 * positions
        fields = [self.fields(c) for c in range(self.size)]
        self.status: list[int] = [f[0] for f in fields]
        self.round: list[int] = [f[1] for f in fields]
        self.timed: list[bool] = [f[2] for f in fields]
        self.raises: list[bool] = [f[3] for f in fields]
        self.doomed: list[bool] = [f[5] for f in fields]
        self.fault: list[int] = [f[6] for f in fields]
        self.member: list[int] = [f[7] for f in fields]
        self.arrived: list[bool] = [f[8] for f in fields]
        self.position: list[int] = [f[9] for f in fields]
        idle = (IDLE, 0, False, False, 0, False, 0)
        self.idle = [self._pack((*idle, m, False)) for m in self.member]
        self.cancelled = [self._pack((*f[:7], _CANCELLED, f[8])) + f[9] for f in fields]
        self._locals: dict[int, Local] = {}

    def _pack(self, f: tuple[int, int, bool, bool, int, bool, int, int, bool]) -> int:
        """The code of the fields ``f`` (all but the position) at position 0 (add the
        position); :class:`CompiledRangeError` past the bound."""
        status, rnd, timed, raises, calls, doomed, fault, member, arrived = f
        if not 0 <= rnd < self._rounds:
            raise CompiledRangeError(
                f"round {rnd} is beyond the compiled bound 0..{self.max_round}; compile the "
                "system with a larger max_round"
            )
        if not 0 <= calls < self.calls:
            raise CompiledRangeError(
                f"calls {Call(calls).name} is beyond the compiled bound: compile the system "
                "with the profile whose action calls back"
            )
        c = status * self._rounds + rnd
        c = (((c * 2 + timed) * 2 + raises) * self.calls + calls) * 2 + doomed
        c = ((c * _FAULTS + fault) * _MEMBERS + member) * 2 + arrived
        return c * self.positions

    def fields(self, code: int) -> tuple[int, int, bool, bool, int, bool, int, int, bool, int]:
        """``(status, round, timed, raises, calls, doomed, fault, member, arrived, position)``
        of ``code``."""
        code, position = divmod(code, self.positions)
        code, arrived = divmod(code, 2)
        code, member = divmod(code, _MEMBERS)
        code, fault = divmod(code, _FAULTS)
        code, doomed = divmod(code, 2)
        code, calls = divmod(code, self.calls)
        code, raises = divmod(code, 2)
        code, timed = divmod(code, 2)
        status, round_ = divmod(code, self._rounds)
        return (
            status,
            round_,
            bool(timed),
            bool(raises),
            calls,
            bool(doomed),
            fault,
            member,
            bool(arrived),
            position,
        )

    def local(self, code: int) -> Local:
        """The readable local of ``code`` (cached)."""
        loc = self._locals.get(code)
        if loc is None:
            s, r, timed, raises, calls, doomed, fault, member, arrived, position = self.fields(code)
            loc = Local(
                status=Status(s),
                round=r,
                timed=timed,
                raises=raises,
                calls=Call(calls),
                doomed=doomed,
                fault=Fault(fault),
                member=Member(member),
                arrived=arrived,
                position=position,
            )
            self._locals[code] = loc
        return loc

    def encode_local(self, loc: Local) -> int:
        """The code of the readable local ``loc``."""
        if not 0 <= loc.position < self.positions:
            raise CompiledRangeError(
                f"position {loc.position} is beyond the compiled bound 0..{self.positions - 1}"
            )
        fields = (
            int(loc.status),
            loc.round,
            loc.timed,
            loc.raises,
            int(loc.calls),
            loc.doomed,
            int(loc.fault),
            int(loc.member),
            loc.arrived,
        )
        return loc.position + self._pack(fields)


class TakenCodec:
    """``State.taken`` as one int: a slot of ``width`` bits per round.

    Slot ``r`` (bits ``r * width`` up) holds a presence bit (the top bit of the slot: round
    ``r`` has an entry) and one bit per index already returned in round ``r``. Entries decode
    in increasing round order, the order the model appends them in.
    """

    def __init__(self, width: int, max_round: int) -> None:
        self.width = width
        self.max_round = max_round
        self.present = 1 << (width - 1)
        self.full = (1 << width) - 1

    def slot_mask(self, r: int) -> int:
        """Every bit of round ``r``'s slot."""
        return self.full << (r * self.width)

    def encode(self, taken: tuple[tuple[int, frozenset[int]], ...]) -> int:
        """The int of ``taken``; :class:`CompiledRangeError` when it has no compiled form."""
        value = 0
        last = -1
        for r, ids in taken:
            if not last < r <= self.max_round:
                raise CompiledRangeError(
                    f"taken rounds must increase within 0..{self.max_round}, got {taken!r}"
                )
            last = r
            slot = self.present
            for index in ids:
                if not 0 <= index < self.width - 1:
                    raise CompiledRangeError(
                        f"index {index} of round {r} is outside 0..{self.width - 2}"
                    )
                slot |= 1 << index
            value |= slot << (r * self.width)
        return value

    def decode(self, value: int) -> tuple[tuple[int, frozenset[int]], ...]:
        """The ``State.taken`` tuple of ``value``."""
        entries = []
        r = 0
        while value:
            slot = value & self.full
            if slot & self.present:
                ids = frozenset(i for i in range(self.width - 1) if slot >> i & 1)
                entries.append((r, ids))
            value >>= self.width
            r += 1
        return tuple(entries)


def encode_state(codes: LocalCodes, taken: TakenCodec, state: State) -> CompiledState:
    """The compiled tuple of the readable ``state``."""
    return (
        state.round,
        state.arrived,
        state.broken,
        state.parties,
        taken.encode(state.taken),
        tuple(codes.encode_local(loc) for loc in state.locals),
    )


def decode_state(codes: LocalCodes, taken: TakenCodec, state: CompiledState) -> State:
    """The readable state of the compiled tuple ``state``."""
    rnd, arrived, broken, parties, taken_bits, locs = state
    return State(
        locals=tuple(codes.local(c) for c in locs),
        parties=parties,
        round=rnd,
        arrived=arrived,
        broken=broken,
        taken=taken.decode(taken_bits),
    )
