"""Rendering of exploration results (text and JSON) and the stderr progress display."""

from __future__ import annotations

import io
import json

from tests.spec.models.barriers_tla import BarriersTLA
from tests.spec.models.graphs import GraphSystem, philosophers
from tests.spec.models.one_chamber import OneChamberBarrier

from barrierspec.spec import StderrProgress, explore, format_result, result_to_json
from barrierspec.spec._progress import progress_line

JSON_KEYS = {
    "system",
    "status",
    "states",
    "transitions",
    "generated",
    "depth",
    "seconds",
    "states_per_second",
    "symmetry",
    "concrete_states",
    "reduction_factor",
    "max_states",
    "invariants",
    "transition_invariants",
    "deadlock_checked",
    "violation",
    "documented_hangs",
}


def test_a_passing_run_shows_every_figure() -> None:
    system = BarriersTLA(4)
    text = format_result(explore(system, symmetry=True), system)
    lines = text.splitlines()
    assert lines[0] == "Barriers.tla N=4: no violation; every reachable state visited"
    assert "  states                 " in text and "distinct canonical" in text
    assert "states generated, counting the 1 initial state, as TLC does" in text
    assert "reduction factor" in text and "states/s" in text
    assert "TypeOK, LockInv, Inv, FlushInv" in text and "RefinesBarrier" in text
    assert lines[-1].split() == ["deadlock", "checked"]


def test_a_violation_prints_a_numbered_trace_and_the_broken_invariant() -> None:
    system = OneChamberBarrier(2)
    lines = format_result(explore(system), system).splitlines()
    assert lines[0] == "one-chamber barrier N=2: VIOLATION of invariant NoLapping"
    start = lines.index("Shortest counterexample (18 steps):")
    assert lines[start + 1].strip() == "0. initial state"
    assert lines[start + 2].strip() == "lock=1 gate=0 rdv=0 pc/passes=[a0/0 a0/0]"
    assert lines[start + 3].strip() == "1. p1: a0"
    assert lines[start + 4].strip() == "lock=1 gate=0 rdv=0 pc/passes=[a1/0 a0/0]"
    assert lines[-2].strip() == "lock=1 gate=0 rdv=1 pc/passes=[a0/2 a6/0]"
    assert lines[-1] == (
        "NoLapping violated: process 1 passed the gate 2 times more than process 2"
    )


def test_deadlocks_and_documented_hangs_are_named() -> None:
    system = philosophers()
    text = format_result(explore(system), system)
    assert text.splitlines()[0] == "two philosophers: VIOLATION of deadlock freedom"
    assert text.splitlines()[-1] == "deadlock: everybody waits forever in A|B"
    hang = GraphSystem("hang", {"s0": [("x", "h")]}, hangs={"h": "gh-123899"})
    text = format_result(explore(hang), hang)
    assert text.splitlines()[0] == (
        "hang: no violation; every reachable state visited; 1 documented hang"
    )
    assert "Documented deviation gh-123899 (a known hang, not reported as a deadlock)" in text
    assert "reached in 1 step:" in text
    assert text.splitlines()[-1] == "Stuck: everybody waits forever in h"


def test_json_has_the_stable_keys_and_the_trace() -> None:
    system = OneChamberBarrier(2)
    document = result_to_json(explore(system, symmetry=True), system)
    assert set(document) == JSON_KEYS
    json.dumps(document)  # serialisable as is
    assert document["status"] == "violation" and document["symmetry"] is True
    violation = document["violation"]
    assert violation["kind"] == "invariant" and violation["name"] == "NoLapping"
    trace = violation["trace"]
    assert [step["step"] for step in trace] == list(range(19))
    assert trace[0] == {
        "step": 0,
        "label": None,
        "state": "lock=1 gate=0 rdv=0 pc/passes=[a0/0 a0/0]",
    }
    assert all(isinstance(step["label"], str) for step in trace[1:])


def test_json_of_a_passing_run() -> None:
    system = BarriersTLA(3)
    document = result_to_json(explore(system), system)
    assert document["status"] == "ok" and document["violation"] is None
    assert document["states"] == 353 and document["depth"] == 45
    assert document["concrete_states"] is None and document["reduction_factor"] is None
    bounded = result_to_json(explore(system, max_states=100), system)
    assert bounded["status"] == "bound_reached" and bounded["max_states"] == 100


def test_progress_stays_silent_on_short_runs() -> None:
    stream = io.StringIO()
    progress = StderrProgress(stream, delay=2.0, isatty=True)
    progress(100, 200, 3, 1.9)
    progress.close()
    assert stream.getvalue() == "" and not progress.shown


def test_progress_rewrites_one_line_on_a_terminal() -> None:
    stream = io.StringIO()
    progress = StderrProgress(stream, delay=2.0, isatty=True)
    progress(1_000, 4_000, 10, 2.0)
    progress(3_000, 9_000, 12, 2.5)
    progress.close()
    assert stream.getvalue() == (
        "\r\x1b[K"
        + progress_line(1_000, 4_000, 10, 2.0)
        + "\r\x1b[K"
        + progress_line(3_000, 9_000, 12, 2.5)
        + "\n"
    )


def test_progress_appends_a_line_every_few_seconds_elsewhere() -> None:
    stream = io.StringIO()
    progress = StderrProgress(stream, delay=2.0, every=5.0, isatty=False)
    for second in (2.0, 2.5, 6.9, 7.0, 11.0, 12.5):
        progress(int(second * 1000), int(second * 4000), 5, second)
    progress.close()
    lines = stream.getvalue().splitlines()
    assert [line.split(", ")[3].split(" ")[0] for line in lines] == ["2.0", "7.0", "12.5"]
    assert lines[0] == "explore: 2,000 states, 8,000 transitions, depth 5, 2.0 s (1,000 states/s)"
