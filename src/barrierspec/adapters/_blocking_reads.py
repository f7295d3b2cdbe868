"""Observing a participant that waits on a server: blocked in a server-side blocking read.

A named-barrier member backed by a server (Redis) waits by sending a *blocking command*
(``BLMOVE``, ``BLPOP``, ``XREAD ... BLOCK`` ...) and reading the reply: the thread sits in a
socket receive until the server answers. The thread's
:class:`~barrierspec.adapters._probe.Probe` alone cannot tell that apart from waiting for the
reply of an ordinary command, which takes a round trip and then returns by itself; taking
the latter for "blocked" would let the controller declare quiescence while an arrival is
still on its way to the server. :func:`observe_participant` therefore refines the probe:

* inside a socket receive (``recv``, ``recv_into`` ... on a socket, ``read`` on a TLS
  socket) *below a frame of a blocking command* of the ``redis`` client: blocked, "in a
  server-side BLMOVE";
* inside a socket receive anywhere else: running ("awaiting a server reply");
* otherwise: the probe's own rules (a held lock: blocked; ``time.sleep``: running ...).

The blocking commands are recognised by the client method on the stack (redis-py names its
methods after the commands); ``XREAD``/``XREADGROUP`` count only with ``block`` set. Known
limit: a client that waits for pub/sub messages or polls is judged by the probe's rules.
"""

from __future__ import annotations

import _socket
import sys
import types

from barrierspec.adapters._probe import Observation, Probe

__all__ = ["BLOCKING_METHODS", "blocking_command", "observe_participant"]

# redis-py client methods that send a command the server holds until data (or its timeout)
BLOCKING_METHODS = frozenset({
    "blmove", "blmpop", "blpop", "brpop", "brpoplpush", "bzmpop", "bzpopmax", "bzpopmin",
    "wait", "waitaof", "xread", "xreadgroup",
})
_BLOCK_ARGUMENT = frozenset({"xread", "xreadgroup"})  # blocking only with block=<ms>
_RECEIVES = frozenset({"recv", "recv_into", "recvfrom", "recvfrom_into", "recvmsg", "recvmsg_into"})
_MAX_DEPTH = 64  # frames searched upwards from the receive


def _is_receive(func: object) -> bool:
    """``func`` (a C function being called) reads from a socket."""
    name = getattr(func, "__name__", "")
    owner = getattr(func, "__self__", None)
    if name in _RECEIVES and isinstance(owner, _socket.socket):
        return True
    return name == "read" and type(owner).__module__ == "_ssl"


def blocking_command(frame: types.FrameType | None) -> str | None:
    """The blocking command whose reply the stack ending in ``frame`` awaits, or None."""
    depth = 0
    while frame is not None and depth < _MAX_DEPTH:
        code = frame.f_code
        name = code.co_name
        if name in BLOCKING_METHODS and str(frame.f_globals.get("__name__", "")).startswith(
            "redis."
        ):
            if name not in _BLOCK_ARGUMENT or frame.f_locals.get("block") is not None:
                return name.upper()
        frame = frame.f_back
        depth += 1
    return None


def observe_participant(probe: Probe) -> Observation:
    """One look at the thread ``probe`` watches (see the module docstring for the rules)."""
    events = probe.events
    func = probe.c_func
    if func is None or not _is_receive(func):
        return probe.observe()
    frame = sys._current_frames().get(probe.thread_id) if probe.thread_id else None
    command = blocking_command(frame)
    if command is None:
        return Observation(events, False, "awaiting a server reply")
    return Observation(events, True, f"in a server-side {command}")
