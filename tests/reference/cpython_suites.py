"""Run one of CPython's own barrier suites against a reference barrier; print a JSON summary.

Usage: ``python cpython_suites.py {threading,asyncio,multiprocessing} [module:attr]``; the
optional second argument replaces the barrier under test (the harness's own tests point it
at deliberately broken barriers, which it must fail). Run in a subprocess
(with a timeout) by ``test_ref_cpython_suites.py``, so a hang is a failure with a message.

* ``threading``: ``test.lock_tests.BarrierTests`` with ``barriertype = barrierspec.Barrier``,
  as CPython's own ``test_threading`` wires ``threading.Barrier``.
* ``asyncio``: ``test.test_asyncio.test_locks.BarrierTests``, its test functions rebound to
  a copy of the module's globals in which ``asyncio`` is the real module with ``Barrier``
  replaced by ``barrierspec.aio.Barrier`` (``barrierspec.reference.AsyncBarrier``; every
  other name, ``asyncio.BrokenBarrierError`` included, is the standard library's, so the
  tests' ``except`` clauses are the stdlib's).
* ``multiprocessing``: ``test._test_multiprocessing._TestBarrier`` in the processes flavour
  (``ProcessesMixin``) with ``Barrier = ProcessBarrier``.

Excluded tests (each with its reason) are listed in ``EXCLUDED``; every other test of the
suite is run and must pass.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
import types
import unittest
from typing import Any

from barrierspec import Barrier
from barrierspec.aio import Barrier as AsyncBarrier
from barrierspec.reference import ProcessBarrier

# Tests left out, each with its reason: only tests that read private attributes of CPython's
# class may be listed (none of the three 3.11 suites does).
EXCLUDED: dict[str, dict[str, str]] = {"threading": {}, "asyncio": {}, "multiprocessing": {}}


def _threading_case(barrier: Any = Barrier) -> type[unittest.TestCase]:
    from test import lock_tests

    class ReferenceBarrierTests(lock_tests.BarrierTests):
        barriertype = staticmethod(barrier)

    return ReferenceBarrierTests


def _rebound(cls: type[unittest.TestCase], **names: Any) -> type[unittest.TestCase]:
    """A subclass of ``cls`` whose ``test_*`` functions see ``names`` as module globals."""
    body: dict[str, Any] = {}
    for attr, fn in vars(cls).items():
        if attr.startswith("test") and isinstance(fn, types.FunctionType):
            env = dict(fn.__globals__, **names)
            body[attr] = types.FunctionType(
                fn.__code__, env, fn.__name__, fn.__defaults__, fn.__closure__
            )
    return type(f"Reference{cls.__name__}", (cls,), body)


def _asyncio_case(barrier: Any = AsyncBarrier) -> type[unittest.TestCase]:
    from test.test_asyncio import test_locks

    patched = types.ModuleType("asyncio")
    patched.__dict__.update(vars(asyncio))
    patched.Barrier = barrier  # type: ignore[attr-defined]
    return _rebound(test_locks.BarrierTests, asyncio=patched)


def _multiprocessing_case(barrier: Any = ProcessBarrier) -> type[unittest.TestCase]:
    from test import _test_multiprocessing as tm

    class ReferenceProcessBarrierTests(tm.ProcessesMixin, tm._TestBarrier, unittest.TestCase):
        Barrier = staticmethod(barrier)

    return ReferenceProcessBarrierTests


CASES = {
    "threading": _threading_case,
    "asyncio": _asyncio_case,
    "multiprocessing": _multiprocessing_case,
}


def _resolve(spec: str) -> Any:
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


def main(which: str, barrier: str | None = None) -> int:
    case = CASES[which]() if barrier is None else CASES[which](_resolve(barrier))
    loader = unittest.TestLoader()
    names = [n for n in loader.getTestCaseNames(case) if n not in EXCLUDED[which]]
    missing = sorted(set(EXCLUDED[which]) - set(loader.getTestCaseNames(case)))
    suite = unittest.TestSuite(case(name) for name in names)
    result = unittest.TextTestRunner(stream=sys.stderr, verbosity=2).run(suite)
    summary = {
        "suite": which,
        "ran": result.testsRun,
        "names": names,
        "failures": [(str(t), tb) for t, tb in result.failures],
        "errors": [(str(t), tb) for t, tb in result.errors],
        "skipped": [(str(t), why) for t, why in result.skipped],
        "excluded_but_absent": missing,
    }
    print(json.dumps(summary))
    return 0 if result.wasSuccessful() and not missing else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
