"""``check()`` on asyncio targets runs the controlled asyncio driver, and rejects the window bugs.

Each barrier of ``tests/broken/async_window_style.py`` is rejected by the property
``ASYNC_WINDOW_BROKEN`` names, with a counterexample whose steps name the hold (a released
task not resumed), seeded so the same programs run on any machine; the same seeded check
under the observing FIFO driver (``BARRIERSPEC_CONTROLLED=0``) passes that property, so the
window is what catches it. The report names the driver.
"""

from __future__ import annotations

import attrs
import pytest
from tests.broken.async_window_style import ASYNC_WINDOW_BROKEN

from barrierspec.conformance import CheckSettings, check

# a counted search (300 programs under the controlled asyncio driver): the small scope
# (those that run as a shorter one skipped) reaches every two-party program of five
# instructions, so the blocked-newcomer bug (wait, hold, wait, wait, cancel) is found there,
# whatever the seed
FOCUSED = CheckSettings(
    seed=0, examples=400, seeded_examples=40, budget=10.0, shrink_budget=4.0, generated=False
)
HELD = "is released but not resumed (schedule: held)"


@pytest.mark.parametrize("cls", list(ASYNC_WINDOW_BROKEN), ids=lambda c: c.__name__)
def test_check_rejects_each_async_window_barrier_and_the_fifo_driver_does_not(
    cls: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    prop = ASYNC_WINDOW_BROKEN[cls]
    cfg = attrs.evolve(FOCUSED, only=(prop,))
    result = check(cls, settings_=cfg)
    assert result.driver.startswith("ControlledAsyncioDriver"), result.driver
    failed = {p.name: p for p in result.failures}
    assert prop in failed, result.format()
    cex = failed[prop].counterexample
    assert cex is not None and 1 <= len(cex.steps) <= 8, result.format()
    assert any(HELD in seen for _op, seen in cex.steps), result.format()
    monkeypatch.setenv("BARRIERSPEC_CONTROLLED", "0")
    fifo = check(cls, settings_=cfg)
    assert fifo.driver.startswith("AsyncioDriver"), fifo.driver
    assert fifo.conformant, fifo.format()
