"""Key layout of the Redis-backed named barriers: namespaced, escaped, one hash slot per name.

Every key of the barrier name ``B`` in namespace ``NS`` is ``NS:b:{E}:<part>`` where ``E`` is
``B`` encoded as UTF-8 and percent-encoded, keeping only ``A-Z a-z 0-9 _ . - ~``. ``E`` has no
``:``, ``{``, ``}``, ``*``, ``%`` of its own, so

* two different names never share a key (percent-encoding is injective and the ``}`` after ``E``
  ends it), whatever characters they contain (``:``, braces, glob characters, newlines, unicode);
* ``{E}`` is the Redis Cluster hash tag: all keys of one name live in one slot, so every Lua
  script touches one slot;
* ``SCAN MATCH NS:b:*`` cannot be confused by a name: glob characters are encoded.

Parts: ``meta`` (hash: ``epoch``, ``round``), ``lease`` (sorted set: member id -> lease deadline
in server milliseconds; its cardinality is N), ``wait`` (set of waiting member ids; W),
``arr`` (hash: member id -> nonce of its current wait, which makes a retried arrival
idempotent), ``rel:<member id>`` (list: the wake-up token of the member's current wait).
"""

from __future__ import annotations

import dataclasses
import re
import urllib.parse

from barrierspec.errors import UsageError

__all__ = ["BarrierKeys", "encode_name", "validate_namespace"]

_NAMESPACE = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
_SAFE = "_.-~"  # with ASCII letters and digits, never percent-encoded


def validate_namespace(namespace: object) -> str:
    """Return ``namespace`` if it is 1 to 64 characters of ``A-Z a-z 0-9 _ . -``.

    Raises UsageError otherwise: the namespace is the first part of every key, so it must not
    carry separators or hash-tag braces.
    """
    if not isinstance(namespace, str) or not _NAMESPACE.fullmatch(namespace):
        raise UsageError(
            "namespace must be 1 to 64 characters of A-Z a-z 0-9 _ . - "
            f"(it prefixes every Redis key), got {namespace!r}"
        )
    return namespace


def encode_name(name: object) -> str:
    """Percent-encode a barrier name for use inside a key (injective, no ``:{}*%`` left)."""
    if not isinstance(name, str):
        raise UsageError(f"a barrier name must be a str, got {type(name).__name__}: {name!r}")
    return urllib.parse.quote(name, safe=_SAFE, encoding="utf-8", errors="strict")


@dataclasses.dataclass(frozen=True)
class BarrierKeys:
    """The keys of one barrier name; ``scripts_keys`` is the KEYS list every script takes."""

    namespace: str
    name: str
    base: str

    @classmethod
    def of(cls, namespace: str, name: str) -> BarrierKeys:
        return cls(namespace, name, f"{namespace}:b:{{{encode_name(name)}}}:")

    @property
    def meta(self) -> str:
        return self.base + "meta"

    @property
    def lease(self) -> str:
        return self.base + "lease"

    @property
    def wait(self) -> str:
        return self.base + "wait"

    @property
    def arrivals(self) -> str:
        return self.base + "arr"

    @property
    def release_prefix(self) -> str:
        return self.base + "rel:"

    def release(self, member_id: str) -> str:
        return self.release_prefix + member_id

    @property
    def script_keys(self) -> list[str]:
        return [self.meta, self.lease, self.wait, self.arrivals]
