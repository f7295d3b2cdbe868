"""The participant side of the named-process driver (module level, so ``spawn`` can import it).

A participant process builds its *own* registry by calling the target's factory (a
zero-argument picklable callable, e.g. ``functools.partial(RedisNamedBarriers, url,
namespace=...)``): participants share the barrier only through the registry's backend (a
Redis server), exactly like the worker processes of The Grinder on different hosts.

Two pipes connect it to the controller:

* the *operation* pipe, read by the main thread: ``JoinOp`` creates the member with
  ``registry.barrier(name)``, ``WaitOp`` calls ``member.wait(timeout)``; each is answered with
  ``("done", outcome, live)`` where ``live`` says whether the member is still counted
  (``not member.cancelled``; None when the member has no such attribute). ``None`` or a
  closed pipe ends the process, after ``registry.close()``. Before answering "ready" the
  process reads ``waiting(name)`` once when the registry has it, so connecting to the backend
  happens while all participants start rather than inside the first JoinOp.
* the *control* pipe, read by a daemon thread: ``("probe", seq)`` is answered with an
  observation of the main thread (:func:`~barrierspec.adapters._blocking_reads.
  observe_participant`: a wait blocked in a server-side read is "blocked"), and
  ``("cancel", seq)`` calls ``member.cancel()`` from this thread -- the "cancel from any
  thread" of the named-barrier contract, in the member's own process -- and answers with its
  outcome and the member's liveness.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from barrierspec.adapters._blocking_reads import observe_participant
from barrierspec.adapters._child import _picklable
from barrierspec.adapters._ops import JoinOp, Op, OpOutcome, OpReturned, WaitOp, outcome_of
from barrierspec.adapters._probe import Probe

__all__ = ["member_live", "named_participant_main"]


def member_live(member: object) -> bool | None:
    """Whether ``member`` is still counted: False for none, None when it cannot say."""
    if member is None:
        return False
    flag = getattr(member, "cancelled", None)
    return (not flag) if isinstance(flag, bool) else None


class _Participant:
    """The registry, the member and the operation counter of this process."""

    def __init__(self, registry: Any, name: str) -> None:
        self.registry = registry
        self.name = name
        self.member: Any = None
        self.started = 0  # operations received so far (read by the control thread)

    def execute(self, op: Op) -> OpOutcome:
        """Run ``op`` in the main thread; never raises."""
        try:
            if isinstance(op, JoinOp):
                self.member = self.registry.barrier(self.name)
                return OpReturned(None)
            if isinstance(op, WaitOp):
                member, timeout = self.member, op.timeout
                return OpReturned(member.wait() if timeout is None else member.wait(timeout))
            raise TypeError(f"a named participant process cannot perform {op!r}")
        except BaseException as exc:
            return _picklable(outcome_of(exc))

    def cancel(self) -> tuple[OpOutcome, bool | None]:
        """``member.cancel()`` from the calling (control) thread: its outcome and liveness."""
        member = self.member
        try:
            if member is None:
                raise LookupError("no member to cancel: the participant never joined")
            outcome: OpOutcome = OpReturned(member.cancel())
        except BaseException as exc:
            outcome = outcome_of(exc)
        return _picklable(outcome), member_live(member)


def _serve_control(part: _Participant, probe: Probe, ctl: Connection) -> None:
    while True:
        try:
            message = ctl.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        kind, seq = message
        try:
            if kind == "probe":
                started = part.started  # read before observing: a later op cannot look stale
                seen = observe_participant(probe)
                ctl.send(("probe", seq, started, seen.events, seen.blocked, seen.where))
            elif kind == "cancel":
                outcome, live = part.cancel()
                ctl.send(("cancel", seq, outcome, live))
        except (EOFError, OSError):
            return


def _close_registry(registry: Any) -> None:
    close = getattr(registry, "close", None)
    if callable(close):
        try:
            close()
        except Exception:  # the process is ending; the backend withdraws what is left
            return


def _warm_up(registry: Any, name: str) -> None:
    """One observer read (``waiting(name)``), if the registry has one: connecting to the
    backend then happens while every participant starts, not inside the first JoinOp."""
    waiting = getattr(registry, "waiting", None)
    if callable(waiting):
        try:
            waiting(name)
        except Exception:  # the first real operation reports the problem
            return


def named_participant_main(
    index: int, factory: Callable[[], Any], name: str, conn: Connection, ctl: Connection
) -> None:
    """Build a registry with ``factory()`` and run the operations received on ``conn``."""
    try:
        registry = factory()
    except BaseException as exc:
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        return
    _warm_up(registry, name)
    part = _Participant(registry, name)
    probe = Probe()
    threading.Thread(
        target=_serve_control, args=(part, probe, ctl), name="barrierspec-control", daemon=True
    ).start()
    probe.install()
    conn.send(("ready", index))
    try:
        while True:
            try:
                op = conn.recv()
            except (EOFError, OSError):
                return
            if op is None:
                return
            part.started += 1
            outcome = part.execute(op)
            conn.send(("done", outcome, member_live(part.member)))
    finally:
        sys.setprofile(None)
        _close_registry(registry)
