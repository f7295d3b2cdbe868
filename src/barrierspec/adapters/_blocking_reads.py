"""Observing a participant that waits on a server: blocked in a server-side blocking read.

A named-barrier member backed by a server (Redis) waits by sending a *blocking command*
(``BLMOVE``, ``BLPOP``, ``XREAD ... BLOCK`` ...) and reading the reply: the thread sits in a
socket receive until the server answers. The thread's
:class:`~barrierspec.adapters._probe.Probe` alone cannot tell that apart from waiting for the
reply of an ordinary command, which takes a round trip and then returns by itself; taking
the latter for "blocked" would let the controller declare quiescence while an arrival is
still on its way to the server. :func:`observe_participant` therefore refines the probe:

* inside a socket receive (``recv``, ``recv_into`` ... on a socket, ``read`` on a TLS
  socket) *below a frame of a blocking command* of the ``redis`` client, with no reply
  waiting to be read on that socket: blocked, "in a server-side BLMOVE". With a reply
  already there (the server released the member, but the OS has not run the process yet):
  running;
* inside a socket receive anywhere else: running ("awaiting a server reply");
* inside any other socket call (``sendall``, ``connect``, ``getaddrinfo`` ...): running -- it
  ends by itself; a participant process that the OS has not scheduled for a while must not
  look blocked there;
* otherwise: the probe's own rules (a held lock: blocked; ``time.sleep``: running ...).

The blocking commands are recognised by the client method on the stack (redis-py names its
methods after the commands); ``XREAD``/``XREADGROUP`` count only with ``block`` set. Known
limit: a client that waits for pub/sub messages or polls is judged by the probe's rules.
"""

from __future__ import annotations

import _socket
import select
import sys
import types

from barrierspec.adapters._probe import Observation, Probe

__all__ = ["BLOCKING_METHODS", "blocking_command", "observe_participant"]

# redis-py client methods that send a command the server holds until data (or its timeout)
BLOCKING_METHODS = frozenset(
    {
        "blmove",
        "blmpop",
        "blpop",
        "brpop",
        "brpoplpush",
        "bzmpop",
        "bzpopmax",
        "bzpopmin",
        "wait",
        "waitaof",
        "xread",
        "xreadgroup",
    }
)
_BLOCK_ARGUMENT = frozenset({"xread", "xreadgroup"})  # blocking only with block=<ms>
_RECEIVES = frozenset({"recv", "recv_into", "recvfrom", "recvfrom_into", "recvmsg", "recvmsg_into"})
_MAX_DEPTH = 64  # frames searched upwards from the receive


def _network_call(func: object) -> str | None:
    """``"receive"`` if ``func`` (a C function being called) reads from a socket, ``"other"``
    for any other socket or name-resolution call, None for the rest."""
    name = getattr(func, "__name__", "")
    owner = getattr(func, "__self__", None)
    if isinstance(owner, _socket.socket):
        return "receive" if name in _RECEIVES else "other"
    if type(owner).__module__ == "_ssl":
        return "receive" if name == "read" else "other"
    return "other" if owner is _socket else None


def _reply_pending(func: object) -> bool:
    """Data is ready to be read by the receive call ``func`` (it will return at once)."""
    owner = getattr(func, "__self__", None)
    try:
        if isinstance(owner, _socket.socket):
            fd = owner.fileno()
            return fd >= 0 and bool(select.select([fd], [], [], 0)[0])
        pending = getattr(owner, "pending", None)  # a TLS socket's decrypted, unread bytes
        return callable(pending) and int(pending()) > 0
    except (OSError, ValueError):
        return False


def blocking_command(frame: types.FrameType | None) -> str | None:
    """The blocking command whose reply the stack ending in ``frame`` awaits, or None."""
    depth = 0
    while frame is not None and depth < _MAX_DEPTH:
        code = frame.f_code
        name = code.co_name
        in_redis = str(frame.f_globals.get("__name__", "")).startswith("redis.")
        if (
            name in BLOCKING_METHODS
            and in_redis
            and (name not in _BLOCK_ARGUMENT or frame.f_locals.get("block") is not None)
        ):
            return name.upper()
        frame = frame.f_back
        depth += 1
    return None


def observe_participant(probe: Probe) -> Observation:
    """One look at the thread ``probe`` watches (see the module docstring for the rules)."""
    events = probe.events
    func = probe.c_func
    network = None if func is None else _network_call(func)
    if network is None:
        return probe.observe()
    if network == "other":
        return Observation(events, False, f"in socket call {getattr(func, '__name__', '?')}")
    frame = sys._current_frames().get(probe.thread_id) if probe.thread_id else None
    command = blocking_command(frame)
    if command is None:
        return Observation(events, False, "awaiting a server reply")
    if _reply_pending(func):
        return Observation(events, False, f"reading the reply of {command}")
    return Observation(events, True, f"in a server-side {command}")
