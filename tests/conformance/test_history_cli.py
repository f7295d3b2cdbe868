"""`barrierspec history check`: exit codes, errors that name the file and line, progress, and
the refusal to merge files whose times cannot be compared."""

from __future__ import annotations

import json

import pytest

from barrierspec._cli import main
from barrierspec.conformance import Kind, Operation, Outcome, dump_history


def wait(worker, start, end, rnd=None, parties=2):
    return Operation(worker, "b", start, end, Outcome.OK, Kind.WAIT, worker, rnd, parties=parties)


GOOD = [wait("a", 0.0, 2.0, 1), wait("b", 1.0, 2.1, 1)]
EARLY = [wait("a", 0.0, 1.0, 1), wait("b", 1.5, 2.0, 1)]


def run(capsys, *args) -> tuple[int, str, str]:
    code = main(["history", "check", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_valid_exits_0_and_violation_exits_1_with_the_early_release_in_words(
    tmp_path, capsys
) -> None:
    dump_history(GOOD, tmp_path / "good.jsonl")
    dump_history(EARLY, tmp_path / "early.jsonl")
    assert run(capsys, tmp_path / "good.jsonl")[0] == 0
    code, out, err = run(capsys, tmp_path / "early.jsonl", "--html", tmp_path / "t.html")
    assert code == 1
    assert (
        "operation 0 (a, wait) returned at 1000.0 ms, before operation 1 of its round was "
        "invoked (at 1500.0 ms): an early release" in out
    )
    assert "checking barrier 'b'" in err  # progress goes to stderr
    assert "early-release" in (tmp_path / "t.html").read_text()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"worker": "a", "barrier": "b"', "line 2: not JSON"),
        ('{"worker": "a", "barrier": "b", "invoke": 1, "colour": 3}', "line 2: unknown fields"),
        ('{"barrier": "b", "invoke": 1}', "line 2: missing field 'worker'"),
        ("[1, 2]", "line 2: an operation is a JSON object"),
    ],
)
def test_a_bad_line_exits_2_naming_the_file_and_line(tmp_path, capsys, line, message) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text(json.dumps({"worker": "a", "barrier": "b", "invoke": 0.0}) + "\n" + line)
    code, _, err = run(capsys, path)
    assert code == 2
    assert f"{path}, {message}" in err


def test_missing_file_and_missing_parties_are_usage_errors(tmp_path, capsys) -> None:
    code, _, err = run(capsys, tmp_path / "nope.jsonl")
    assert code == 2 and "no such history file" in err
    dump_history([Operation("a", "b", 0.0, 1.0, Outcome.OK)], tmp_path / "h.jsonl")
    code, _, err = run(capsys, tmp_path / "h.jsonl", "--profile", "threading")
    assert code == 2 and "give --parties N" in err
    assert run(capsys, tmp_path / "h.jsonl", "--profile", "threading", "--parties", "1")[0] == 0


def _header(clock, host):
    return json.dumps({"barrierspec-history": 1, "clock": clock, "host": host, "pid": 1}) + "\n"


def test_files_on_incomparable_clocks_are_refused(tmp_path, capsys) -> None:
    line = json.dumps({"worker": "x", "barrier": "b", "invoke": 0.0, "response": 1.0})
    (tmp_path / "1.jsonl").write_text(_header("monotonic", "h1") + line.replace("x", "p") + "\n")
    (tmp_path / "2.jsonl").write_text(_header("monotonic", "h2") + line.replace("x", "q") + "\n")
    code, _, err = run(capsys, tmp_path)
    assert code == 2 and "not comparable across hosts" in err
    (tmp_path / "2.jsonl").write_text(_header("wall", "h2") + line.replace("x", "q") + "\n")
    code, _, err = run(capsys, tmp_path)
    assert code == 2 and "different clocks" in err
    (tmp_path / "2.jsonl").write_text(_header("monotonic", "h1") + line.replace("x", "p") + "\n")
    code, _, err = run(capsys, tmp_path)
    assert code == 2 and "worker 'p' appears in" in err


def test_inconclusive_search_exits_3(tmp_path, capsys) -> None:
    ops = [wait(f"w{i}", 0.0, 1.0, parties=5) for i in range(12)]
    dump_history(ops, tmp_path / "h.jsonl")
    code, out, _ = run(capsys, tmp_path / "h.jsonl", "--max-search-nodes", "1", "--quiet")
    assert code == 3 and "INCONCLUSIVE" in out
