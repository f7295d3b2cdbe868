"""Records of a free-running barrier history and of the checker's verdict; JSON in and out.

A history is a list of :class:`Operation`: one call of one worker (a thread of control; its
operations never overlap) on one barrier name, with the time it was invoked and the time it
returned (``None`` if it never did). Kinds:

* ``join``: the member was created (``registry.barrier(name)``; Grinder ``N + 1``);
* ``wait``: ``member.wait(timeout)``; outcome ``ok`` (released, with the ``round`` if known),
  ``timeout`` (returned False; the member is withdrawn), ``cancelled`` / ``expired`` (raised),
  ``failed`` (state lost, connection error: effect unknown), ``broken`` (a fixed-parties
  barrier raised BrokenBarrierError: not released), ``pending`` (no response);
* ``cancel``: ``member.cancel()``;
* ``crash``: the worker's process died or stopped at about ``invoke``: its members may be
  withdrawn from there on (or earlier, since their last release).

Optional call details (written by the recorder, :mod:`._recorder`): ``timeout`` (the argument
of ``wait``), ``result`` (the arrival index a fixed-parties ``wait`` returned) and ``parties``
(the barrier's number of parties, when it has one). The checker reads ``parties`` only through
the command line (``barrierspec history check`` takes it from the records).

Times are floats on one clock shared by all workers (``time.monotonic()`` is system-wide on
Linux, so processes of one host may share it).
"""

from __future__ import annotations

import enum
import json
import math
import pathlib
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

import attrs

from barrierspec.errors import UsageError

__all__ = [
    "HistoryVerdict",
    "HistoryViolation",
    "Kind",
    "Operation",
    "Outcome",
    "dump_history",
    "load_history",
    "operation_from_dict",
    "operation_to_dict",
]


class Kind(enum.Enum):
    """What a recorded call was (see the module docstring for each kind)."""

    JOIN = "join"
    WAIT = "wait"
    CANCEL = "cancel"
    CRASH = "crash"


class Outcome(enum.Enum):
    """How a recorded call ended (see the module docstring for each outcome)."""

    OK = "ok"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    FAILED = "failed"
    BROKEN = "broken"
    PENDING = "pending"


@attrs.frozen
class Operation:
    """One call in a history (see the module docstring for kinds and outcomes)."""

    worker: str
    barrier: str
    invoke: float
    response: float | None
    outcome: Outcome
    kind: Kind = Kind.WAIT
    member: str | None = None
    round: int | None = None
    timeout: float | None = None
    result: int | None = None
    parties: int | None = None

    @property
    def released(self) -> bool:
        """A wait that returned True."""
        return self.kind is Kind.WAIT and self.outcome is Outcome.OK


@attrs.frozen
class HistoryViolation:
    """One broken rule: its name, where, why, and the indices of the operations that show it."""

    rule: str
    barrier: str
    reason: str
    witness: tuple[int, ...] = ()
    round: int | None = None
    placed: tuple[tuple[int, ...], ...] = ()
    """For ``no-round-assignment``: the longest consistent prefix of rounds the search found
    (operation indices per round, in round order)."""


@attrs.frozen
class HistoryVerdict:
    """The checker's answer.

    ``valid`` is True (consistent), False (``violations`` say why) or None (unknown: the search
    without round information hit its budget). ``rounds`` maps the index of each released wait
    to its round (given, or found by the search); ``trips`` maps (barrier, round) to the trip
    instant the checker placed the round at; ``methods`` says per barrier "rounds" or "search".
    """

    valid: bool | None
    violations: tuple[HistoryViolation, ...] = ()
    rounds: Mapping[int, int] = attrs.field(factory=dict)
    trips: Mapping[tuple[str, int], float] = attrs.field(factory=dict)
    methods: Mapping[str, str] = attrs.field(factory=dict)
    notes: tuple[str, ...] = ()

    def to_json(self, history: Sequence[Operation] | None = None) -> dict[str, Any]:
        """A JSON-ready dict; with ``history``, each witness index comes with its operation."""

        def witness(indices: tuple[int, ...]) -> list[Any]:
            if history is None:
                return list(indices)
            return [{"index": i, **operation_to_dict(history[i])} for i in indices]

        return {
            "valid": self.valid,
            "anomalies": [
                {
                    "rule": v.rule,
                    "barrier": v.barrier,
                    "round": v.round,
                    "reason": v.reason,
                    "witness": witness(v.witness),
                    **({"placed": [list(g) for g in v.placed]} if v.placed else {}),
                }
                for v in self.violations
            ],
            "methods": dict(self.methods),
            "notes": list(self.notes),
        }


HEADER_KEY = "barrierspec-history"
"""The key that marks a recorder file's header line (clock, host, pid), not an operation."""

_FIELDS = (
    "worker",
    "barrier",
    "invoke",
    "response",
    "outcome",
    "kind",
    "member",
    "round",
    "timeout",
    "result",
    "parties",
)
_OPTIONAL = ("member", "round", "timeout", "result", "parties")


def operation_to_dict(op: Operation) -> dict[str, Any]:
    """The JSON form of one operation (enums by value, absent optionals omitted)."""
    out: dict[str, Any] = {
        "worker": op.worker,
        "barrier": op.barrier,
        "kind": op.kind.value,
        "invoke": op.invoke,
        "response": op.response,
        "outcome": op.outcome.value,
    }
    for name in _OPTIONAL:
        value = getattr(op, name)
        if value is not None:
            out[name] = value
    return out


def operation_from_dict(data: Mapping[str, Any], index: int = 0) -> Operation:
    """Parse one operation; UsageError names the entry and the bad field."""
    unknown = set(data) - set(_FIELDS)
    if unknown:
        raise UsageError(f"history entry {index}: unknown fields {sorted(unknown)}")
    try:
        invoke = float(data["invoke"])
        response = None if data.get("response") is None else float(data["response"])
        outcome = Outcome(data.get("outcome", "pending" if response is None else "ok"))
        kind = Kind(data.get("kind", "wait"))
        rnd = data.get("round")
        timeout, result, parties = data.get("timeout"), data.get("result"), data.get("parties")
        op = Operation(
            worker=str(data["worker"]),
            barrier=str(data["barrier"]),
            invoke=invoke,
            response=response,
            outcome=outcome,
            kind=kind,
            member=None if data.get("member") is None else str(data["member"]),
            round=None if rnd is None else int(rnd),
            timeout=None if timeout is None else float(timeout),
            result=None if result is None else int(result),
            parties=None if parties is None else int(parties),
        )
    except KeyError as exc:
        raise UsageError(f"history entry {index}: missing field {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise UsageError(f"history entry {index}: {exc}: {dict(data)!r}") from None
    if not math.isfinite(invoke) or (response is not None and not math.isfinite(response)):
        raise UsageError(f"history entry {index}: times must be finite, got {dict(data)!r}")
    return op


def load_history(source: str | pathlib.Path | IO[str]) -> list[Operation]:
    """Read a history: a JSON list of operations, or an object with an ``operations`` list.

    JSON Lines (one operation object per line) is accepted too, with or without the
    recorder's header line. To merge the per-process files of a recorder, with checks that
    their clocks compare, use :func:`~barrierspec.conformance._history_files.load_files`.
    """
    if isinstance(source, str | pathlib.Path):
        text = pathlib.Path(source).read_text(encoding="utf-8")
    else:
        text = source.read()
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError:  # more than one document: JSON Lines
        data = [json.loads(line) for line in text.splitlines() if line.strip()]
    if isinstance(data, dict):
        data = data.get("operations", [data])
    entries = data
    if isinstance(entries, list):  # a recorder file's header line is not an operation
        entries = [e for e in entries if not (isinstance(e, dict) and HEADER_KEY in e)]
    if not isinstance(entries, list):
        raise UsageError(f"a history is a JSON list of operations, got {type(entries).__name__}")
    return [operation_from_dict(entry, i) for i, entry in enumerate(entries)]


def dump_history(history: Iterable[Operation], target: str | pathlib.Path | IO[str]) -> None:
    """Write a history as JSON Lines (one operation per line)."""
    lines = "".join(json.dumps(operation_to_dict(op)) + "\n" for op in history)
    if isinstance(target, str | pathlib.Path):
        pathlib.Path(target).write_text(lines, encoding="utf-8")
    else:
        target.write(lines)
