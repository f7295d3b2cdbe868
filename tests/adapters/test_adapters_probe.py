"""The profile-hook probe tells blocked from running threads by observation."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable

import pytest

from barrierspec.adapters._probe import Observation, Probe

BOUND = 10.0


def _probed_thread(body: Callable[[], None]) -> Probe:
    """Run ``body`` in a daemon thread with a probe installed; return the probe."""
    probe = Probe()
    started = threading.Event()

    def run() -> None:
        probe.install()
        started.set()
        body()

    threading.Thread(target=run, daemon=True).start()
    assert started.wait(BOUND)
    return probe


def _poll(probe: Probe, until: Callable[[Observation], bool]) -> Observation:
    """Observe until ``until`` holds; fail after BOUND seconds."""
    deadline = time.monotonic() + BOUND
    seen = probe.observe()
    while not until(seen):
        if time.monotonic() > deadline:
            pytest.fail(f"probe never showed the expected state; last: {seen}")
        time.sleep(0.001)  # a polling interval, not a synchronisation guess
        seen = probe.observe()
    return seen


def test_a_thread_in_acquire_of_a_held_lock_is_blocked() -> None:
    lock = threading.Lock()
    lock.acquire()
    try:
        seen = _poll(_probed_thread(lambda: lock.acquire(timeout=BOUND)), lambda o: o.blocked)
        assert "acquire" in seen.where
    finally:
        lock.release()


def test_a_thread_on_a_with_statement_of_a_held_lock_is_blocked() -> None:
    lock = threading.Lock()

    def body() -> None:
        with lock:
            pass

    lock.acquire()
    try:
        seen = _poll(_probed_thread(body), lambda o: o.blocked)
        assert "with-statement" in seen.where or "enter" in seen.where
    finally:
        lock.release()


def test_a_spinning_thread_keeps_moving_its_event_count() -> None:
    # One look may catch it inside a C call; the controller's rule (an unchanged count over
    # consecutive polls) never takes it for blocked.
    stop = threading.Event()

    def spin() -> None:
        deadline = time.monotonic() + BOUND
        while not stop.is_set() and time.monotonic() < deadline:
            pass

    try:
        probe = _probed_thread(spin)
        first = _poll(probe, lambda o: o.events > 0)
        _poll(probe, lambda o: o.events > first.events)
    finally:
        stop.set()


def test_a_sleeping_thread_is_running() -> None:
    seen = _poll(_probed_thread(lambda: time.sleep(5)), lambda o: "sleep" in o.where)
    assert not seen.blocked


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="the OS state is read on Linux")
def test_a_thread_the_os_lists_as_runnable_inside_a_c_call_is_running() -> None:
    # A large hash runs in C with the GIL released, on the CPU: by the C-call rule alone it
    # would look blocked (the CI failure: a participant unscheduled inside struct.pack was
    # taken for blocked in reset()); the OS lists it as runnable, so it is running.
    stop = threading.Event()
    data = bytes(1 << 24)

    def hash_until_stopped() -> None:
        deadline = time.monotonic() + BOUND
        while not stop.is_set() and time.monotonic() < deadline:
            hashlib.sha256(data)

    try:
        seen = _poll(_probed_thread(hash_until_stopped), lambda o: "sha256" in o.where)
        assert not seen.blocked, seen
        assert "runnable" in seen.where
    finally:
        stop.set()


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="the OS state is read on Linux")
def test_a_thread_runnable_in_one_c_call_past_the_grace_is_blocked_again() -> None:
    # One long C call with the GIL released: running for RUNNABLE_GRACE, then the frame's
    # rule stands (a thread starved that long must not hold the driver past its watchdog).
    probe = _probed_thread(lambda: hashlib.pbkdf2_hmac("sha256", b"x", b"y", 2_000_000))
    first = _poll(probe, lambda o: "pbkdf2" in o.where)
    assert not first.blocked and "runnable" in first.where, first
    later = _poll(probe, lambda o: "pbkdf2" in o.where and o.blocked)
    assert later.events == first.events
