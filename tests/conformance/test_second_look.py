"""Every judge of an observed step gives a participant that only *looks* blocked a second look.

``LateTripBarrier`` is a correct barrier whose tripping wait, after releasing its round,
pauses in a timed lock wait (it looks blocked to the observing driver) before it returns. On a
loaded machine any participant can look like that for a while. The programs, the
model-generated tests and the Hypothesis state machine must all wait for the late return
before they call the step a lost wake-up; a barrier whose tripper never returns is still
rejected.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, Phase, settings

from barrierspec.conformance import CheckSettings, barrier_state_machine, check

PAUSE = 0.05  # seconds the tripper looks blocked: far above the driver's quiescence (3 ms)


class LateTripBarrier:
    """``threading.Barrier`` whose tripping wait pauses (in a timed lock wait) before it
    returns; otherwise the stdlib's."""

    def __init__(
        self, parties: int, action: Callable[[], None] | None = None, timeout: float | None = None
    ) -> None:
        self._inner = threading.Barrier(parties, action, timeout)
        self.parties = parties

    def wait(self, timeout: float | None = None) -> int:
        index = self._inner.wait(timeout)
        if index == self.parties - 1:  # the arrival that tripped the barrier
            threading.Event().wait(PAUSE)
        return index

    def abort(self) -> None:
        self._inner.abort()

    @property
    def n_waiting(self) -> int:
        return self._inner.n_waiting

    @property
    def broken(self) -> bool:
        return self._inner.broken


class NeverTripsBackBarrier(LateTripBarrier):
    """The tripping wait releases its round and then does not return until the barrier is
    aborted (as the driver does when it closes): a real defect."""

    def __init__(
        self, parties: int, action: Callable[[], None] | None = None, timeout: float | None = None
    ) -> None:
        super().__init__(parties, action, timeout)
        self._aborted = threading.Event()

    def wait(self, timeout: float | None = None) -> int:
        index = self._inner.wait(timeout)
        if index == self.parties - 1:
            self._aborted.wait()
        return index

    def abort(self) -> None:
        self._aborted.set()
        super().abort()


SETTINGS = CheckSettings(
    seed=3,
    seeded_examples=20,
    generated=True,
    generated_tests=20,
    only=("release count", "model-generated tests"),
)


@pytest.fixture(autouse=True)
def _observing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BARRIERSPEC_CONTROLLED", "0")


def _statuses(target: object) -> dict[str, str]:
    result = check(target, profile="threading-cpython", settings_=SETTINGS)
    assert result.driver.startswith("ThreadDriver"), result.driver
    return {p.name: p.status for p in result.properties}


def test_programs_and_generated_tests_wait_for_a_late_return() -> None:
    statuses = _statuses(LateTripBarrier)
    assert statuses == {"release count": "pass", "model-generated tests": "pass"}, statuses


def test_a_tripper_that_never_returns_is_still_rejected() -> None:
    statuses = _statuses(NeverTripsBackBarrier)
    assert statuses == {"release count": "fail", "model-generated tests": "fail"}, statuses


def _machine_run(target: object, phases: tuple[Phase, ...]) -> None:
    machine = barrier_state_machine(
        target,
        "threading-cpython",
        parties=2,
        participants=3,
        hypothesis_settings=settings(
            max_examples=20,
            stateful_step_count=10,
            deadline=None,
            database=None,
            derandomize=True,
            phases=phases,
            suppress_health_check=list(HealthCheck),
        ),
    )
    machine.TestCase("runTest").runTest()


def test_the_state_machine_waits_for_a_late_return() -> None:
    _machine_run(LateTripBarrier, (Phase.generate, Phase.shrink))


def test_the_state_machine_rejects_a_tripper_that_never_returns() -> None:
    with pytest.raises(AssertionError, match="still blocked"):
        _machine_run(NeverTripsBackBarrier, (Phase.generate,))  # unshrunk: each try pays
        # the second look
