"""Base test classes: a user's project subclasses one with a line naming its barrier.

The pattern is CPython's ``Lib/test/lock_tests.py`` (``class BarrierTests: barriertype =
None``) with fsspec-style declared capabilities::

    from barrierspec.conformance import BarrierConformanceTests

    class TestMyBarrier(BarrierConformanceTests):
        barriertype = staticmethod(MyBarrier)

Each named property of the suite is one test method (``test_release_count``,
``test_arrival_index``, ..., ``test_argument_validation``, ``test_model_generated``) that
runs :func:`~barrierspec.conformance.check` for that property alone. A test

* passes when the property holds (``warn`` -- e.g. CPython before 3.13 accepting
  ``parties=0`` -- passes with a :class:`ConformanceWarning`);
* fails with an ``AssertionError`` carrying the rule and the minimal failing program as
  numbered steps when the property is violated;
* is skipped (``unittest.SkipTest``, which pytest and unittest both honour) only when the
  property does not apply to the target -- its profile has no such rule, or the target lacks
  the capability (no ``abort()``, no timeout, ...). A missing capability is detected from the
  factory; declare it in ``capabilities`` when detection is wrong.

The kind of participants (threads, asyncio tasks, processes, named-barrier members) is
detected from the factory, so asyncio and process barriers use the same base class.

This module does not import pytest: the classes also run under ``unittest`` when mixed with
``unittest.TestCase``. The pytest plugin (``barrierspec.pytest_plugin``) feeds them the
``--barrierspec-...`` options and turns ``expected_failures`` into strict xfails.
"""

from __future__ import annotations

import inspect
import unittest
import warnings
from collections.abc import Callable, Collection, Mapping
from typing import Any, ClassVar

import attrs

from barrierspec import adapters as ad
from barrierspec.conformance._check import CheckSettings, check
from barrierspec.conformance._properties import PROPERTIES
from barrierspec.conformance._report import CheckResult
from barrierspec.conformance._result import Finding, PropertyResult
from barrierspec.errors import UsageError
from barrierspec.spec import Profile

__all__ = [
    "PROPERTY_ATTRIBUTE",
    "BarrierConformanceTests",
    "ConformanceWarning",
    "merge_settings",
    "method_for",
]

ARGUMENTS = "argument validation"
GENERATED = "model-generated tests"
PROPERTY_ATTRIBUTE = "__barrierspec_property__"  # set on every generated test function


class ConformanceWarning(UserWarning):
    """A property passed with a reservation (the report's ``warn`` status)."""


def method_for(prop: str) -> str:
    """The test method for a property: ``"lost wake-ups"`` -> ``test_lost_wake_ups``."""
    if prop == GENERATED:
        return "test_model_generated"
    return "test_" + "".join(c if c.isalnum() else "_" for c in prop).replace("__", "_")


def merge_settings(
    base: CheckSettings | None,
    *,
    seed: int | None = None,
    examples: int | None = None,
    budget: float | None = None,
    thorough: bool = False,
    programs: int | None = None,
) -> CheckSettings:
    """``base`` (default settings when None) with the options that were given applied.

    ``thorough`` takes the counts, budget and cap of :meth:`CheckSettings.thorough`;
    ``examples``, ``budget`` and ``programs`` (programs per property under a controlled
    driver), when given, win over both.
    """
    cfg = base or CheckSettings()
    if thorough:
        long = CheckSettings.thorough()
        cfg = attrs.evolve(
            cfg, examples=long.examples, budget=long.budget, programs=long.programs, cap=long.cap
        )
    changes: dict[str, Any] = {}
    if seed is not None:
        changes["seed"] = seed
    if examples is not None:
        changes["examples"] = examples
    if programs is not None:
        changes["programs"] = programs
    if budget is not None:
        changes["budget"] = budget
    return attrs.evolve(cfg, **changes)


def _factory(cls: type) -> object:
    """The class attribute ``barriertype`` as written, unwrapping ``staticmethod``."""
    raw = inspect.getattr_static(cls, "barriertype", None)
    if isinstance(raw, staticmethod | classmethod):
        raw = raw.__func__
    return raw


class BarrierConformanceTests:
    """The conformance suite as test methods; subclass and set ``barriertype``.

    Class attributes to override:

    * ``barriertype``: the barrier class or factory (``staticmethod(f)`` for a plain
      function), or a target spelling (``"threading"``, ``"package.module:Class"``);
    * ``profile``: the profile name or object to hold it to (default: by kind);
    * ``capabilities``: declared capability flags overriding detection
      (``{"has_abort": False}``);
    * ``kind``: force the participant kind (``"thread"``, ``"asyncio"``, ``"process"``,
      ``"named"``, ``"named-process"``) when detection from the factory is wrong;
    * ``start_method``, ``context``, ``interface``: as ``check()``'s ``target_options``
      (the CLI's ``--start-method``, ``--context``, ``--map``); the plugin's
      ``--barrierspec-start-method`` overrides ``start_method`` for every process target;
    * ``check_settings``: a :class:`CheckSettings` baseline (the plugin's command-line
      options override its seed, examples and budget);
    * ``expected_failures``: property names known to fail (under pytest each becomes a
      strict xfail: the test errors out if the property starts to pass);
    * ``supervised``: run the target in a supervised worker process (default True), so a
      target that exits, crashes, hangs or leaks fails the tests with a finding instead of
      taking the test run down. The class's properties selected for the run are checked by
      one worker, the first time one of them is tested; each test reads its verdict.
    """

    barriertype: ClassVar[object] = None
    profile: ClassVar[str | Profile | None] = None
    capabilities: ClassVar[Mapping[str, bool]] = {}
    kind: ClassVar[ad.TargetKind | None] = None
    start_method: ClassVar[str | None] = None
    context: ClassVar[str | None] = None
    interface: ClassVar[tuple[str, ...]] = ()
    check_settings: ClassVar[CheckSettings | None] = None
    expected_failures: ClassVar[Collection[str]] = ()
    supervised: ClassVar[bool] = True

    # set on the instance by the pytest plugin before each test
    barrierspec_settings: CheckSettings | None = None
    barrierspec_record: Callable[[str, CheckResult], None] | None = None
    barrierspec_properties: tuple[str, ...] = ()  # the class's properties selected (plugin)
    barrierspec_start_method: str | None = None  # --barrierspec-start-method (plugin)

    _targets: ClassVar[dict[type, ad.Target]] = {}
    _results: ClassVar[dict[tuple[type, CheckSettings], CheckResult]] = {}

    @classmethod
    def barrier_target(cls) -> ad.Target:
        """The resolved target of this class (resolved once, then cached)."""
        if cls not in BarrierConformanceTests._targets:
            factory = _factory(cls)
            if factory is None:
                raise UsageError(
                    f"{cls.__qualname__} sets no barriertype: write "
                    "`barriertype = staticmethod(MyBarrier)` (or a class, or 'module:attr')"
                )
            BarrierConformanceTests._targets[cls] = ad.resolve_target(
                factory,
                kind=cls.kind,
                capabilities=dict(cls.capabilities) or None,
                start_method=cls.start_method,
                context=cls.context,
                interface=cls.interface,
            )
        return BarrierConformanceTests._targets[cls]

    def conformance_settings(self) -> CheckSettings:
        """The settings this run uses: the plugin's (if any), else the class's, else default."""
        if self.barrierspec_settings is not None:
            return self.barrierspec_settings
        return self.check_settings or CheckSettings()

    def check_property(self, name: str) -> PropertyResult:
        """Check one property; skip if n/a, fail with the counterexample if violated."""
        __tracebackhide__ = True
        result = self._result_for(name)
        if self.barrierspec_record is not None:
            self.barrierspec_record(name, result)
        found = [p for p in result.properties if p.name == name]
        if not found:  # check() does not run it at all for this kind (named: no parties)
            raise unittest.SkipTest(
                f"{name}: not applicable to a {self.barrier_target().kind} target"
            )
        prop = found[0]
        if prop.status == "n/a":
            raise unittest.SkipTest(f"{name}: not applicable ({prop.note})")
        if prop.status == "warn":
            warnings.warn(f"{name}: {prop.note}", ConformanceWarning, stacklevel=2)
        if prop.status == "fail":
            raise AssertionError(_failure_message(result, prop))
        findings = [f for f in result.findings if not f.properties or name in f.properties]
        if findings:
            raise AssertionError(_finding_message(result, name, findings))
        if prop.status == "inconclusive":
            raise AssertionError(
                f"{result.target}: {name!r} is INCONCLUSIVE: {prop.note}\n"
                f"  reproduce: {result.command}"
            )
        return prop

    def driven_target(self) -> ad.Target:
        """:meth:`barrier_target` with the plugin's ``--barrierspec-start-method`` applied
        (to process targets only)."""
        target = self.barrier_target()
        method = self.barrierspec_start_method
        if method is not None and target.kind in ("process", "named-process"):
            target = ad.resolve_target(target, start_method=method)
        return target

    def _result_for(self, name: str) -> CheckResult:
        """The check result holding ``name``: one supervised worker per class, or in-process."""
        base = self.conformance_settings()
        if not self.supervised:
            cfg = attrs.evolve(base, only=(name,), generated=name == GENERATED)
            return check(self.driven_target(), self.profile, settings_=cfg)
        key = (type(self), base)
        cached = BarrierConformanceTests._results.get(key)
        if cached is not None and any(p.name == name for p in cached.properties):
            return cached
        wanted = tuple(self.barrierspec_properties) or (name,)
        if name not in wanted:
            wanted = (name,)
        cfg = attrs.evolve(base, only=wanted, generated=GENERATED in wanted)
        result = check(self.driven_target(), self.profile, settings_=cfg, supervised=True)
        BarrierConformanceTests._results[key] = result
        return result


def _failure_message(result: CheckResult, prop: PropertyResult) -> str:
    lines = [f"{result.target} breaks {prop.name!r} of profile {result.profile}: {prop.rule}"]
    cex = prop.counterexample
    if cex is None or prop.note != cex.reason:  # e.g. "(matches the known deviation ...)"
        lines.append(f"  {prop.note}")
    if cex is not None:
        lines.extend("  " + line for line in cex.lines())
    lines.append(f"  (seed {result.seed}: rerun with --barrierspec-seed {result.seed})")
    return "\n".join(lines)


def _finding_message(result: CheckResult, name: str, findings: list[Finding]) -> str:
    lines = [f"{result.target}: checking {name!r} made {len(findings)} finding(s):"]
    for finding in findings:
        lines.extend("  " + line for line in finding.lines())
    lines.append(f"  reproduce: {result.command}")
    return "\n".join(lines)


def _property_test(name: str, rule: str) -> Callable[[BarrierConformanceTests], None]:
    def test(self: BarrierConformanceTests) -> None:
        __tracebackhide__ = True
        self.check_property(name)

    test.__name__ = test.__qualname__ = method_for(name)
    test.__doc__ = f"{name}: {rule}."
    setattr(test, PROPERTY_ATTRIBUTE, name)
    return test


_RULES = {p.name: p.rule for p in PROPERTIES}
_RULES[ARGUMENTS] = "parties must be an int >= 1; bad values are rejected at construction"
_RULES[GENERATED] = "every transition of the profile's small state graph, replayed"
for _name, _rule in _RULES.items():
    setattr(BarrierConformanceTests, method_for(_name), _property_test(_name, _rule))
del _name, _rule
