"""The barrierspec pytest plugin (registered through the ``pytest11`` entry point).

Thin by design: loading it imports pytest and the standard library only -- no z3, no
Hypothesis, no driver, no thread. The conformance machinery is imported when a test uses it.

Options (all namespaced ``--barrierspec-...``):

* ``--barrierspec-seed N``: seed of the drawn programs (default: random, printed on failure);
* ``--barrierspec-programs N``: programs per property under a controlled driver (thread and
  asyncio targets; default 300): a count, so the search is the
  same on any machine;
* ``--barrierspec-examples N``: random programs tried per property (observing drivers);
* ``--barrierspec-budget SECONDS``: search time per property (observing drivers);
* ``--barrierspec-thorough``: the long search of ``CheckSettings.thorough()``;
* ``--barrierspec-report PATH``: write every check run by the session to ``PATH`` as JSON;
* ``--barrierspec-start-method fork|spawn|forkserver``: how the participants of every process
  target start (overrides the class's ``start_method``).

They apply to the test classes derived from
:class:`~barrierspec.conformance.BarrierConformanceTests`, whose ``expected_failures`` become
strict xfails here, and to the ``barrierspec_settings`` fixture, which gives the
:class:`~barrierspec.conformance.CheckSettings` they describe for tests calling ``check()``
or the state machine themselves.
"""

from __future__ import annotations

import json
import pathlib
import sys
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from barrierspec.conformance._check import CheckSettings
    from barrierspec.conformance._report import CheckResult

_TESTING = "barrierspec.conformance._testing"
_RECORDS = pytest.StashKey[list[dict[str, Any]]]()


# (name, type, metavar, help) of the valued options; None means "not given"
_VALUED = (
    ("seed", int, "N", "seed for the drawn programs (default: random, shown on failure)"),
    (
        "programs",
        int,
        "N",
        "programs per conformance property under a controlled driver (default: 300)",
    ),
    (
        "examples",
        int,
        "N",
        "random programs per property, observing drivers (default: 1000)",
    ),
    ("budget", float, "SECONDS", "search time per property, observing drivers (default: 3)"),
)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the ``--barrierspec-...`` options."""
    group = parser.getgroup("barrierspec", "barrier conformance (barrierspec)")
    for name, kind, metavar, text in _VALUED:
        group.addoption(
            f"--barrierspec-{name}", type=kind, default=None, metavar=metavar, help=text
        )
    group.addoption(
        "--barrierspec-thorough",
        action="store_true",
        default=False,
        help="search many more programs per property (slow)",
    )
    group.addoption(
        "--barrierspec-start-method",
        choices=("fork", "spawn", "forkserver"),
        default=None,
        help="how process participants start, for every process target (default: fork)",
    )
    group.addoption(
        "--barrierspec-report",
        action="store",
        default=None,
        metavar="PATH",
        help="write the conformance checks of this session to PATH as JSON",
    )


def _validate(config: pytest.Config) -> None:
    for name, low in (("seed", 0), ("examples", 1), ("programs", 1), ("budget", 0)):
        value = config.getoption(f"barrierspec_{name}")
        if value is not None and value < low:
            raise pytest.UsageError(f"--barrierspec-{name} must be >= {low}, got {value}")


def pytest_configure(config: pytest.Config) -> None:
    """Check the option values; prepare the report."""
    _validate(config)
    config.stash[_RECORDS] = []


def settings_from(config: pytest.Config, base: CheckSettings | None = None) -> CheckSettings:
    """``base`` (default settings when None) with the command-line options applied."""
    from barrierspec.conformance._testing import merge_settings

    return merge_settings(
        base,
        seed=config.getoption("barrierspec_seed"),
        examples=config.getoption("barrierspec_examples"),
        budget=config.getoption("barrierspec_budget"),
        thorough=config.getoption("barrierspec_thorough"),
        programs=config.getoption("barrierspec_programs"),
    )


@pytest.fixture
def barrierspec_settings(request: pytest.FixtureRequest) -> CheckSettings:
    """The :class:`~barrierspec.conformance.CheckSettings` the command line asks for."""
    return settings_from(request.config)


def _property_of(item: pytest.Item) -> str | None:
    """The property a conformance test method checks (None for any other test)."""
    testing = sys.modules.get(_TESTING)
    if testing is None:  # nothing imported the base classes: no conformance test exists
        return None
    func = getattr(item, "function", None)
    name = getattr(func, testing.PROPERTY_ATTRIBUTE, None)
    return name if isinstance(name, str) else None


_SELECTED = pytest.StashKey[dict[type, tuple[str, ...]]]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the properties a class lists in ``expected_failures`` as strict xfails; note
    which properties of each conformance class were selected (one worker checks them)."""
    selected: dict[type, list[str]] = {}
    for item in items:
        prop = _property_of(item)
        owner = getattr(item, "cls", None)
        if prop is not None and owner is not None:
            selected.setdefault(owner, []).append(prop)
    config.stash[_SELECTED] = {k: tuple(v) for k, v in selected.items()}
    for item in items:
        name = _property_of(item)
        cls = getattr(item, "cls", None)
        if cls is not None and name is not None and name in getattr(cls, "expected_failures", ()):
            item.add_marker(
                pytest.mark.xfail(
                    reason=f"{name!r} is in {cls.__qualname__}.expected_failures",
                    raises=AssertionError,
                    strict=True,
                )
            )


def _is_conformance_test(item: pytest.Item) -> bool:
    """True for a test of a class derived from BarrierConformanceTests."""
    testing = sys.modules.get(_TESTING)
    cls = getattr(item, "cls", None)
    return (
        testing is not None and cls is not None and issubclass(cls, testing.BarrierConformanceTests)
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Hand the command-line settings (and the report sink) to a conformance test."""
    instance = getattr(item, "instance", None)
    if instance is None or not _is_conformance_test(item):
        return
    config = item.config
    instance.barrierspec_settings = settings_from(config, instance.check_settings)
    instance.barrierspec_properties = config.stash.get(_SELECTED, {}).get(type(instance), ())
    instance.barrierspec_start_method = config.getoption("barrierspec_start_method")
    if config.getoption("barrierspec_report"):
        records = config.stash[_RECORDS]

        def record(name: str, result: CheckResult) -> None:
            records.append({"test": item.nodeid, "property": name, **result.to_json()})

        instance.barrierspec_record = record


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Report a not-applicable skip at the user's test class, not inside barrierspec."""
    report = yield
    longrepr = report.longrepr
    if report.skipped and isinstance(longrepr, tuple) and _is_conformance_test(item):
        cls = item.getparent(pytest.Class)
        line = cls.reportinfo()[1] if cls is not None else None
        report.longrepr = (item.nodeid.split("::")[0], (line or 0) + 1, longrepr[2])
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write the JSON report if ``--barrierspec-report`` asked for one."""
    path = session.config.getoption("barrierspec_report")
    if path:
        records = session.config.stash.get(_RECORDS, [])
        pathlib.Path(path).write_text(json.dumps({"checks": records}, indent=2) + "\n")
