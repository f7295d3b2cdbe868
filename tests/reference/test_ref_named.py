"""barrierspec.reference.NamedBarriers: The Grinder's dynamic-membership semantics (threads)."""

from __future__ import annotations

import re

import pytest
from ref_helpers import DEADLINE, Runner, wait_until

from barrierspec.errors import CancelledBarrierError, InvalidOperationError
from barrierspec.reference import NamedBarriers


def test_all_members_waiting_releases_them(runner: Runner) -> None:
    registry = NamedBarriers()
    members = [registry.barrier("x") for _ in range(3)]
    assert (registry.members("x"), registry.waiting("x")) == (3, 0)
    for i, m in enumerate(members[:2]):
        runner.start(f"m{i}", lambda m=m: m.wait(DEADLINE))
    wait_until(lambda: registry.waiting("x") == 2)
    assert members[2].wait(DEADLINE) is True
    assert runner.join() == {"m0": True, "m1": True}
    assert (registry.members("x"), registry.waiting("x"), registry.rounds("x")) == (3, 0, 1)


def test_a_lone_member_passes_at_once() -> None:
    registry = NamedBarriers()
    assert registry.barrier("solo").wait(0) is True


def test_members_are_reused_round_after_round(runner: Runner) -> None:
    registry = NamedBarriers()
    a, b = registry.barrier("r"), registry.barrier("r")
    runner.start("a", lambda: [a.wait(DEADLINE) for _ in range(30)])
    assert [b.wait(DEADLINE) for _ in range(30)] == [True] * 30
    assert runner.join() == {"a": [True] * 30}
    assert registry.rounds("r") == 30


def test_timeout_cancels_the_member_and_releases_the_others(runner: Runner) -> None:
    registry = NamedBarriers()
    a, b, slow = (registry.barrier("t") for _ in range(3))
    runner.start("a", lambda: a.wait(DEADLINE))
    wait_until(lambda: registry.waiting("t") == 1)
    # b times out while `slow` never arrives: b is cancelled (N 3 -> 2), a keeps waiting
    assert b.wait(0.01) is False
    assert b.cancelled and registry.members("t") == 2
    slow.cancel()  # now a is the only member left, and it is waiting: released
    assert runner.join() == {"a": True}
    assert registry.members("t") == 1


def test_cancel_from_another_thread_raises_in_the_waiter(runner: Runner) -> None:
    registry = NamedBarriers()
    a, _other = registry.barrier("c"), registry.barrier("c")
    runner.start("a", lambda: a.wait(DEADLINE))
    wait_until(lambda: registry.waiting("c") == 1)
    a.cancel()
    a.cancel()  # idempotent
    result = runner.join()["a"]
    assert isinstance(result, CancelledBarrierError)
    assert str(result) == "member of barrier 'c' cancelled while waiting"
    assert (registry.members("c"), registry.waiting("c")) == (1, 0)


def test_cancelling_the_last_non_waiting_member_releases_the_rest(runner: Runner) -> None:
    registry = NamedBarriers()
    members = [registry.barrier("d") for _ in range(3)]
    for i, m in enumerate(members[:2]):
        runner.start(f"m{i}", lambda m=m: m.wait(DEADLINE))
    wait_until(lambda: registry.waiting("d") == 2)
    members[2].cancel()
    assert runner.join() == {"m0": True, "m1": True}


def test_waiting_on_a_cancelled_member_raises() -> None:
    registry = NamedBarriers()
    member = registry.barrier("z")
    member.cancel()
    with pytest.raises(
        CancelledBarrierError,
        match=re.escape(
            "member of barrier 'z' is cancelled; create a new one with registry.barrier(name)"
        ),
    ):
        member.wait(1)


def test_a_second_concurrent_wait_on_one_member_is_refused(runner: Runner) -> None:
    registry = NamedBarriers()
    member, _other = registry.barrier("q"), registry.barrier("q")
    runner.start("first", lambda: member.wait(DEADLINE))
    wait_until(lambda: registry.waiting("q") == 1)
    with pytest.raises(InvalidOperationError, match="another thread is already waiting"):
        member.wait(1)
    _other.wait(DEADLINE)
    assert runner.join() == {"first": True}


def test_a_name_is_forgotten_when_its_last_member_leaves() -> None:
    registry = NamedBarriers()
    member = registry.barrier("gone")
    member.cancel()
    assert (registry.members("gone"), registry.waiting("gone")) == (0, 0)
    assert registry.barrier("gone").wait(0) is True  # a fresh group


def test_reprs() -> None:
    registry = NamedBarriers()
    member = registry.barrier("n")
    assert repr(member) == "<NamedBarrier 'n': idle, waiting=0/1>"
    assert repr(registry) == "<NamedBarriers waiting/members {'n': 0/1}>"
