"""An action that calls ``abort()`` or ``reset()`` on its own barrier: what CPython does.

The documentation of ``threading.Barrier`` and ``multiprocessing.Barrier`` is silent on it,
and the two implementations disagree, so no contract profile defines it and programs do not
draw it (``docs/semantics.md``, "The input space"). These tests pin the two facts that
decision rests on, each in a child process (a deadlocked thread cannot be ended otherwise):

* ``threading.Barrier``: the action runs in ``_release`` under ``self._cond``, a
  ``Condition(Lock())``; ``abort()``/``reset()`` take that non-reentrant lock again, so the
  last arrival deadlocks inside its own ``wait()``, timeouts included;
* ``multiprocessing.Barrier``: ``ctx.Condition()`` defaults to an ``RLock``, so the call
  re-enters, and ``_release`` then sets ``_state = 1``: the round is released, the barrier
  neither broken nor reset, as if the call had not been made.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

_CHILD = """
import multiprocessing, sys, threading
which, family = sys.argv[1], sys.argv[2]
box = {}
def action():
    getattr(box["barrier"], which)()
if family == "threading":
    box["barrier"] = threading.Barrier(1, action, timeout=0.5)
else:
    box["barrier"] = multiprocessing.get_context("fork").Barrier(1, action, timeout=0.5)
out = []
def run():
    try:
        out.append(repr(box["barrier"].wait()))
    except Exception as exc:
        out.append(type(exc).__name__)
worker = threading.Thread(target=run, daemon=True)
worker.start()
worker.join(5.0)  # a bound on a blocking call: a deadlocked worker is still alive after it
if worker.is_alive():
    print("stuck")
else:
    print(out[0], box["barrier"].broken)
"""


def _outcome(which: str, family: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, which, family],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


@pytest.mark.parametrize("which", ["abort", "reset"])
def test_threading_barrier_deadlocks_when_its_action_calls_it(which: str) -> None:
    assert _outcome(which, "threading") == "stuck"


@pytest.mark.parametrize("which", ["abort", "reset"])
def test_multiprocessing_barrier_overwrites_what_its_action_did(which: str) -> None:
    assert _outcome(which, "multiprocessing") == "0 False"  # released, not broken
