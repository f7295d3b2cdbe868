"""The class of a participant's local state: its fields with the round made relative.

The invariants (:mod:`barrierspec.spec._invariants`) and the counter abstraction of the
proofs (:mod:`barrierspec.proofs._abstraction`) read a participant through its class: every
field of :class:`~barrierspec.spec._state.Local` but the round, which becomes a
:class:`Tag` -- where it stands relative to the filling round and to one distinguished
round (``rho``: the round an invariant speaks of, or the proof's free round variable).
"""

from __future__ import annotations

import enum
import functools

import attrs

from barrierspec.spec._state import Call, Fault, Local, Member, Status

__all__ = ["LocalClass", "Tag", "class_of", "classify_local", "local_of"]


class Tag(enum.IntEnum):
    """Where a participant's round stands relative to the filling round and ``rho``."""

    NONE = 0  # the status carries no round
    CUR = 1  # WAITING in the filling round
    OTHER = 2  # WAITING in another round
    RHO = 3  # PASSED in the distinguished round rho
    NOT_RHO = 4  # PASSED in another round


@attrs.frozen(order=True, cache_hash=True)
class LocalClass:
    """A participant's local state with its round replaced by a :class:`Tag`."""

    status: Status = Status.IDLE
    tag: Tag = Tag.NONE
    timed: bool = False
    raises: bool = False
    calls: Call = Call.NONE
    doomed: bool = False
    fault: Fault = Fault.NONE
    member: Member = Member.NOT_MEMBER
    arrived: bool = False

    @property
    def key(self) -> str:
        """A short stable name, used for Z3 variables: ``waiting.cur.timed``."""
        return _key(self)


@functools.cache
def _key(c: LocalClass) -> str:
    parts = [c.status.name.lower()]
    if c.tag is not Tag.NONE:
        parts.append(c.tag.name.lower())
    parts += [flag for flag in ("timed", "raises", "doomed", "arrived") if getattr(c, flag)]
    if c.calls is not Call.NONE:
        parts.append(f"calls_{c.calls.name.lower()}")
    if c.fault is not Fault.NONE:
        parts.append(c.fault.name.lower())
    if c.member is not Member.NOT_MEMBER:
        parts.append(c.member.name.lower())
    return ".".join(parts)


@functools.lru_cache(maxsize=4096)
def classify_local(loc: Local, tag: Tag) -> LocalClass:
    return LocalClass(
        status=loc.status,
        tag=tag,
        timed=loc.timed,
        raises=loc.raises,
        calls=loc.calls,
        doomed=loc.doomed,
        fault=loc.fault,
        member=loc.member,
        arrived=loc.arrived,
    )


def local_of(c: LocalClass, rnd: int) -> Local:
    """A local of class ``c`` in round ``rnd`` (the inverse of :func:`classify_local`, the
    round chosen by the caller; an arrival position is not part of a class: 0)."""
    return Local(
        status=c.status,
        round=rnd,
        timed=c.timed,
        raises=c.raises,
        calls=c.calls,
        doomed=c.doomed,
        fault=c.fault,
        member=c.member,
        arrived=c.arrived,
    )


def class_of(loc: Local, filling: int, rho: int | None = None) -> LocalClass:
    """The class of ``loc`` when round ``filling`` fills and ``rho`` is the distinguished
    round (``None``: none is; every passer is then ``NOT_RHO``). Total: any local has one."""
    if loc.status is Status.WAITING:
        tag = Tag.CUR if loc.round == filling else Tag.OTHER
    elif loc.status is Status.PASSED:
        tag = Tag.RHO if loc.round == rho else Tag.NOT_RHO
    else:
        tag = Tag.NONE
    return classify_local(loc, tag)
