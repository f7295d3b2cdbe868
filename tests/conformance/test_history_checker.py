"""The history checker accepts consistent histories and rejects seeded violations."""

from __future__ import annotations

import io
import json

import attrs
import pytest

from barrierspec.conformance import (
    Kind,
    Operation,
    Outcome,
    check_history,
    dump_history,
    explain,
    load_history,
    render_timeline,
    write_report,
)
from barrierspec.errors import UsageError

OK, TIMEOUT = Outcome.OK, Outcome.TIMEOUT


def wait(worker, start, end, rnd=None, outcome=OK, barrier="b", member=None):
    return Operation(worker, barrier, start, end, outcome, Kind.WAIT, member or worker, rnd)


def join(worker, start, end, barrier="b", member=None):
    return Operation(worker, barrier, start, end, OK, Kind.JOIN, member or worker)


def unlabelled(history):
    return [attrs.evolve(op, round=None) for op in history]


def rules(verdict):
    return [v.rule for v in verdict.violations]


# Two parties, two rounds, overlapping as a real barrier makes them.
TWO_ROUNDS = [
    wait("a", 0.0, 2.0, 1),
    wait("b", 1.0, 2.1, 1),
    wait("a", 3.0, 5.0, 2),
    wait("b", 4.0, 5.2, 2),
]


@pytest.mark.parametrize("strip", [False, True], ids=["rounds", "search"])
def test_a_consistent_fixed_parties_history_is_accepted(strip) -> None:
    history = unlabelled(TWO_ROUNDS) if strip else TWO_ROUNDS
    verdict = check_history(history, parties=2)
    assert verdict.valid is True, verdict.violations
    assert verdict.methods == {"b": "search" if strip else "rounds"}
    assert verdict.rounds == {0: 1, 1: 1, 2: 2, 3: 2}
    assert 1.0 <= verdict.trips[("b", 1)] <= 2.0 and 4.0 <= verdict.trips[("b", 2)] <= 5.0


def test_a_consistent_grinder_history_with_timeouts_and_cancels_is_accepted() -> None:
    history = [
        join("a", 0.0, 0.1),
        join("b", 0.0, 0.1),
        join("c", 0.0, 0.1),
        wait("a", 1.0, 3.0, 1),
        wait("c", 1.5, 2.0, None, TIMEOUT),  # c gives up: N = 2, a and b release each other
        wait("b", 2.5, 3.1, 1),
        Operation("b", "b", 4.0, 4.1, OK, Kind.CANCEL, "b"),  # N = 1: a alone passes
        wait("a", 5.0, 5.1, 2),
    ]
    for h in (history, unlabelled(history)):
        verdict = check_history(h)
        assert verdict.valid is True, verdict.violations


@pytest.mark.parametrize("strip", [False, True], ids=["rounds", "search"])
def test_a_wait_returning_before_the_last_arrival_of_its_round_is_rejected(strip) -> None:
    history = [wait("a", 0.0, 1.0, 1), wait("b", 1.5, 2.0, 1)]
    verdict = check_history(unlabelled(history) if strip else history, parties=2)
    assert verdict.valid is False
    assert rules(verdict) == ["no-round-assignment" if strip else "early-release"]
    if not strip:
        assert "returned at 1.0 before operation 1" in verdict.violations[0].reason
        assert verdict.violations[0].witness == (0, 1)


def test_a_round_with_too_few_parties_is_rejected() -> None:
    history = [*TWO_ROUNDS[:2], wait("a", 3.0, 5.0, 2)]
    verdict = check_history(history, parties=2)
    assert rules(verdict) == ["round-size"]
    assert "released 1 waits, the barrier has 2 parties" in verdict.violations[0].reason
    assert check_history(unlabelled(history), parties=2).valid is False


def test_a_round_that_leaves_out_a_present_member_is_rejected() -> None:
    history = [
        join("a", 0.0, 0.1),
        join("b", 0.0, 0.1),
        join("c", 0.0, 0.1),  # c stays a member and never waits
        wait("a", 1.0, 2.0, 1),
        wait("b", 1.0, 2.0, 1),
    ]
    verdict = check_history(history)
    assert rules(verdict) == ["missing-member"]
    assert "member 'c' was certainly present" in verdict.violations[0].reason
    assert 2 in verdict.violations[0].witness
    assert explain(history, verdict.violations[0]) == (
        "round 1 of 'b' was released (operation 3 (a, wait) returned at 2000.0 ms) without "
        "member 'c', which had joined at 100.0 ms (operation 2 (c, join)) and never withdrew: "
        "a round released too early, before every member waited"
    )
    assert rules(check_history(unlabelled(history))) == ["no-round-assignment"]


def test_a_member_in_two_rounds_at_once_is_rejected() -> None:
    history = [
        wait("a", 0.0, 2.0, 1, member="m"),
        wait("x", 1.0, 3.0, 2, member="m"),  # another thread waits on the same member
        wait("b", 0.5, 2.5, 1),
        wait("c", 2.2, 3.5, 2),
    ]
    assert "member-in-two-rounds" in rules(check_history(history))


def test_a_member_released_twice_in_one_round_is_rejected() -> None:
    history = [wait("a", 0.0, 2.0, 1, member="m"), wait("x", 0.5, 2.5, 1, member="m")]
    assert "member-twice-in-round" in rules(check_history(history))


def test_overlapping_rounds_out_of_order_are_rejected() -> None:
    history = [
        wait("a", 3.0, 5.0, 1),
        wait("b", 4.0, 5.0, 1),
        wait("c", 0.0, 2.0, 2),  # round 2 returned before round 1 could trip
        wait("d", 0.5, 2.0, 2),
    ]
    verdict = check_history(history, parties=2)
    assert rules(verdict) == ["round-order"]
    assert "rounds out of order" in verdict.violations[0].reason
    assert check_history(unlabelled(history), parties=2).valid is True  # renumbered, fine


def test_a_release_after_a_timeout_withdrew_the_member_is_rejected() -> None:
    history = [wait("a", 0.0, 1.0, None, TIMEOUT), wait("a", 2.0, 3.0, 1)]
    assert rules(check_history(history)) == ["released-after-withdrawal"]


def test_a_worker_with_overlapping_operations_is_rejected() -> None:
    history = [wait("a", 0.0, 2.0, 1, member="m1"), wait("a", 1.0, 3.0, 2, member="m2")]
    assert rules(check_history(history)) == ["worker-order"]


def test_timeouts_and_cancels_do_not_count_as_releases() -> None:
    history = [wait("a", 0.0, 1.0, None, TIMEOUT), wait("b", 0.0, 1.0, 1)]
    assert rules(check_history(history, parties=2)) == ["round-size"]


def test_mixed_round_information_is_malformed() -> None:
    history = [wait("a", 0.0, 1.0, 1), wait("b", 0.0, 1.0, None)]
    assert rules(check_history(history)) == ["malformed"]


def test_search_past_its_budget_is_unknown_not_valid() -> None:
    history = [wait(f"w{i}", 0.0, 10.0) for i in range(13)]  # 13 waits, rounds of 3: none fits
    verdict = check_history(history, parties=3, max_search_nodes=5)
    assert verdict.valid is None
    assert "gave up after 5 candidate rounds" in verdict.notes[-1]


def test_json_round_trip_and_loader_errors(tmp_path) -> None:
    history = [*TWO_ROUNDS, join("c", 0.0, 0.5), Operation("d", "b", 1.0, None, Outcome.PENDING)]
    path = tmp_path / "h.jsonl"
    dump_history(history, path)
    assert load_history(path) == history
    as_list = json.dumps([json.loads(line) for line in path.read_text().splitlines()])
    assert load_history(io.StringIO(as_list)) == history
    assert load_history(io.StringIO(json.dumps({"operations": json.loads(as_list)}))) == history
    with pytest.raises(UsageError, match="entry 0: missing field 'barrier'"):
        load_history(io.StringIO('[{"worker": "a", "invoke": 0}]'))
    with pytest.raises(UsageError, match="entry 0: unknown fields"):
        load_history(io.StringIO('[{"worker": "a", "barrier": "b", "invoke": 0, "x": 1}]'))


def test_a_violation_is_written_as_self_contained_html_and_json(tmp_path) -> None:
    history = [wait("a </script><&>", 0.0, 1.0, 1), wait("b", 1.5, 2.0, 1)]
    verdict = check_history(history, parties=2)
    write_report(history, verdict, tmp_path / "t.html", tmp_path / "v.json", title="seeded")
    page = (tmp_path / "t.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "<style>" in page
    assert "early-release" in page and "a &lt;/script&gt;&lt;&amp;&gt;" in page  # in the text
    marker = '<script id="data" type="application/json">'
    data = json.loads(page.split(marker, 1)[1].split("</script>", 1)[0])  # names cannot end it
    assert [lane[1] for lane in data["lanes"]] == ["a </script><&>", "b"]
    assert [op["w"] for op in data["ops"]] == [True, True]  # the witness is highlighted
    for external in ("<script src", "<link", "href=", "src=", "@import", "url("):
        assert external not in page
    data = json.loads((tmp_path / "v.json").read_text())
    assert data["valid"] is False
    assert data["anomalies"][0]["rule"] == "early-release"
    assert data["anomalies"][0]["witness"][0]["worker"] == "a </script><&>"
    assert "an early release" in data["anomalies"][0]["explanation"]


def test_long_histories_are_cut_around_the_violation() -> None:
    history = [wait(f"w{i % 4}", 10.0 * i, 10.0 * i + 1, i + 1, barrier="x") for i in range(100)]
    history.append(wait("late", 0.0, 0.5, 1, barrier="y"))
    history.append(wait("later", 0.8, 0.9, 1, barrier="y"))
    verdict = check_history(history, parties=None)
    assert rules(verdict) == ["early-release"]
    page = render_timeline(history, verdict, max_operations=10)
    assert "10 of 102 operations shown" in page


def test_a_valid_timeline_opens_on_the_dense_part_not_on_a_long_timeout() -> None:
    from barrierspec.conformance._history_html import _data

    history = [
        op for r in range(40) for op in (wait("a", 2 * r, 2 * r + 1), wait("b", 2 * r, 2 * r + 1))
    ]
    history.append(wait("c", 0.0, 1000.0, outcome=TIMEOUT))  # one 1000 s timeout
    verdict = check_history(history)
    assert verdict.valid is True
    data = _data(history, verdict, list(range(len(history))), None)
    assert data["extent"][1] == 1000.0 * 1000  # the whole history, in ms
    assert data["start"] == data["dense"] and data["dense"][1] < 100 * 1000  # the 80 s of rounds
    assert data["focus"] is None


def test_round_colours_are_distinct_from_every_other_category() -> None:
    from barrierspec.conformance._history_page import COLOURS, ROUND_COLOURS

    fills = {fill for fill, _ in COLOURS.values()}
    assert len(fills) == len(COLOURS) and not fills & set(ROUND_COLOURS)
    assert len(set(ROUND_COLOURS)) == len(ROUND_COLOURS)
