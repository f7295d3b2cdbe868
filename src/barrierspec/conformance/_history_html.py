"""Write a checked history as a self-contained, interactive HTML timeline and as JSON.

The page (inline CSS, SVG and script, no network: it opens offline and can be attached to a
bug) shows one lane per worker with time in milliseconds since the first invocation; each
operation is a bar from invoke to response (a pending one runs to the right edge, dashed).
Released waits are coloured by round (blues and greens that repeat every eight rounds, never a
failure colour), the trip points the checker placed are dashed lines of the round's colour;
the other outcomes have the colours of the legend (one table, :data:`._history_page.COLOURS`).
For a violation: the rule is named and stated, the violation is explained in plain words
(:func:`._history_explain.explain`), the witness operations are outlined and numbered, the
operations the explanation names are outlined dashed, the rounds of the longest consistent
prefix keep their colours while released waits outside it are yellow, and rounds after the
violating one are faded. The page opens zoomed to the violation (when the history is valid, to
all of it but the ends of outlying long operations, such as a 1-second failed wait among
millisecond rounds); wheel zooms, drag pans, buttons set the view, hover shows details.

Long histories are cut to ``max_operations`` operations around the first violation (or the
start of the history when it is valid); the JSON always holds the whole verdict.
"""

from __future__ import annotations

import html
import json
import math
import pathlib
from collections.abc import Mapping, Sequence
from typing import Any

from barrierspec.conformance._history_explain import RULES, explain, named_operations, start_of
from barrierspec.conformance._history_model import (
    HistoryVerdict,
    HistoryViolation,
    Kind,
    Operation,
    Outcome,
)
from barrierspec.conformance._history_page import COLOURS, CSS, ROUND_COLOURS, SCRIPT

__all__ = ["render_timeline", "report_json", "write_report"]

Parties = int | Mapping[str, int] | None


def _size(parties: Parties, barrier: str) -> int | None:
    return parties.get(barrier) if isinstance(parties, Mapping) else parties


def _select(history: Sequence[Operation], verdict: HistoryVerdict, limit: int) -> list[int]:
    if len(history) <= limit:
        return list(range(len(history)))
    witness = [i for v in verdict.violations[:1] for i in v.witness]
    if not witness:
        order = sorted(range(len(history)), key=lambda i: history[i].invoke)
        return sorted(order[:limit])
    lo = min(history[i].invoke for i in witness)
    hi = max(history[i].response or history[i].invoke for i in witness)

    def distance(i: int) -> float:
        op = history[i]
        end = op.response if op.response is not None else math.inf
        return max(0.0, op.invoke - hi, lo - end)

    return sorted(sorted(range(len(history)), key=distance)[:limit])


def _category(op: Operation, assigned: int | None) -> str:
    if op.kind is not Kind.WAIT:
        return str(op.kind.value)
    if op.outcome is Outcome.OK:
        return "round" if assigned is not None else "unplaced"
    return str(op.outcome.value)


def _tip(history: Sequence[Operation], i: int, rnd: int | None, t0: float, role: str) -> str:
    op = history[i]
    rel = (op.invoke - t0) * 1000
    lines = [f"operation {i}: {op.worker} {op.kind.value} on {op.barrier!r}"]
    if op.member is not None and op.member != op.worker:
        lines[0] += f" (member {op.member})"
    if op.response is None:
        lines.append(f"invoked {rel:.3f} ms, never returned")
    else:
        end = (op.response - t0) * 1000
        lines.append(f"invoked {rel:.3f} ms, returned {end:.3f} ms (took {end - rel:.3f} ms)")
    result = "released" if op.released else op.outcome.value
    if op.released:
        result += f" in round {rnd}" if rnd is not None else ", in no consistent round"
    if op.result is not None:
        result += f", arrival index {op.result}"
    lines.append(f"result: {result}")
    if op.timeout is not None:
        lines.append(f"timeout argument: {op.timeout} s")
    if role:
        lines.append(role)
    return "\n".join(lines)


def _dense(ops: list[dict[str, Any]], factor: float = 20.0) -> list[float]:
    """Every invocation and every response except those of outlying long operations (more than
    ``factor`` times the median duration: a failed wait of a second among waits of a
    millisecond), padded 3 %: the default view of a valid history."""
    durations = sorted(o["e"] - o["s"] for o in ops if o["e"] is not None)
    limit = durations[len(durations) // 2] * factor if durations else 0.0
    points = [o["s"] for o in ops]
    points += [o["e"] for o in ops if o["e"] is not None and o["e"] - o["s"] <= limit]
    lo, hi = min(points), max(points)
    pad = (hi - lo) * 0.03 or 0.5
    return [lo - pad, hi + pad]


def _data(
    history: Sequence[Operation], verdict: HistoryVerdict, shown: list[int], parties: Parties
) -> dict[str, Any]:
    """The JSON the page's script draws (see _timeline.js)."""
    first: HistoryViolation | None = verdict.violations[0] if verdict.violations else None
    assigned = dict(verdict.rounds)
    for v in verdict.violations:
        for number, group in enumerate(v.placed, start=1):
            assigned.update((i, number) for i in group)
    witness = set(first.witness) if first else set()
    named = set(named_operations(history, first, _size(parties, first.barrier))) if first else set()
    cutoff = first.round if first is not None else None
    t0 = start_of(history)

    def rel(t: float) -> float:
        return (t - t0) * 1000

    workers: dict[str, int] = {}
    for i in sorted(shown, key=lambda i: history[i].invoke):
        workers.setdefault(history[i].worker, len(workers))
    short = [w.rsplit(":", 1)[-1] for w in workers]
    labels = short if len(set(short)) == len(short) else list(workers)
    ops: list[dict[str, Any]] = []
    tips: dict[str, str] = {}
    for i in shown:
        op, rnd = history[i], assigned.get(i)
        late = cutoff is not None and op.barrier == first.barrier and (rnd or 0) > cutoff  # type: ignore[union-attr]
        ops.append(
            {
                "i": i,
                "l": workers[op.worker],
                "s": rel(op.invoke),
                "e": None if op.response is None else rel(op.response),
                "c": _category(op, rnd),
                "r": rnd,
                "w": i in witness,
                "n": i in named - witness,
                "f": late,
            }
        )
        role = "named in the explanation" if i in named else ""
        if i in witness and first is not None:
            role = f"witness of {first.rule}"
        tips[str(i)] = _tip(history, i, rnd, t0, role)
    ends = [o["s"] for o in ops] + [o["e"] for o in ops if o["e"] is not None]
    extent = [min(ends), max(ends)] if ends else [0.0, 1.0]
    dense = _dense(ops) if ops else extent
    focus = None
    involved = [o for o in ops if o["w"] or o["n"]]
    if involved:
        lo = min(o["s"] for o in involved)
        hi = max(o["s"] if o["e"] is None else o["e"] for o in involved)
        # the involved operations fill 1 / 2.2 of the view; a margin of the dense window
        # only where they span no time at all
        pad = (hi - lo) * 0.6 if hi > lo else max((dense[1] - dense[0]) * 0.02, 1e-3)
        focus = [lo - pad, hi + pad]
    return {
        "lanes": [[label, w] for label, w in zip(labels, workers, strict=True)],
        "ops": ops,
        "tips": tips,
        "trips": [[r, rel(t)] for (_, r), t in verdict.trips.items()],
        "rounds": list(ROUND_COLOURS),
        "fills": {name: fill for name, (fill, _) in COLOURS.items()},
        "extent": extent,
        "dense": dense,
        "focus": focus,
        "start": focus or dense,
        "marks": [o["s"] for o in involved],
    }


def render_timeline(
    history: Sequence[Operation],
    verdict: HistoryVerdict,
    *,
    title: str = "barrier history",
    max_operations: int = 2000,
    parties: Parties = None,
) -> str:
    """The HTML page (a str) for ``history`` checked as ``verdict``."""
    shown = _select(history, verdict, max_operations)
    data = json.dumps(_data(history, verdict, shown, parties)).replace("</", "<\\/")
    buttons = [
        ("zoom-violation", "Zoom to the violation") if verdict.violations else None,
        ("zoom-dense", "Fit the dense part"),
        ("zoom-all", "Show everything"),
    ]
    bar = "".join(f'<button id="{b[0]}">{b[1]}</button>' for b in buttons if b)
    cut = ""
    if len(shown) < len(history):
        cut = f"<p>{len(shown):,} of {len(history):,} operations shown.</p>"
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>"
        f"{_status(history, verdict, parties)}{_legend()}{cut}"
        f'<div class="bar">{bar}<span id="view"></span></div>'
        '<div id="wrap"><svg id="tl" xmlns="http://www.w3.org/2000/svg"></svg></div>'
        '<div id="tip"></div>'
        f'<script id="data" type="application/json">{data}</script>'
        f"<script>{SCRIPT}</script></body></html>\n"
    )


def _status(history: Sequence[Operation], verdict: HistoryVerdict, parties: Parties) -> str:
    counts = f"{len(history):,} operations, {len({op.worker for op in history})} workers"
    if verdict.valid is True:
        head = f'<p class="ok">consistent with the barrier semantics ({counts})</p>'
    elif verdict.valid is None:
        head = f'<p class="unk">inconclusive: the round search hit its budget ({counts})</p>'
    else:
        head = f'<p class="bad">{len(verdict.violations)} violation(s) ({counts})</p>'
    items = [_violation(history, v, parties, verdict.violations) for v in verdict.violations]
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in verdict.notes)
    return head + "".join(items) + (f"<ul>{notes}</ul>" if notes else "")


def _first_of_its_barrier(v: HistoryViolation, violations: Sequence[HistoryViolation]) -> bool:
    """No other violation of v's barrier is in an earlier round or outside any round."""
    others = [w for w in violations if w.barrier == v.barrier and w is not v]
    return v.round is not None and all(w.round is not None and w.round > v.round for w in others)


def _violation(
    history: Sequence[Operation],
    v: HistoryViolation,
    parties: Parties,
    violations: Sequence[HistoryViolation],
) -> str:
    where = html.escape(v.barrier) + ("" if v.round is None else f", round {v.round}")
    prefix = ""
    if v.rule == "no-round-assignment" and v.witness:
        prefix = (
            f"<br>Longest consistent prefix: {len(v.placed)} round(s) "
            f"({sum(map(len, v.placed))} waits, coloured by round); operation {v.witness[0]} is "
            "the first that cannot be placed (waits in no round are yellow)."
        )
    elif v.round is not None and _first_of_its_barrier(v, violations):
        prefix = (
            f"<br>Rounds before {v.round} break no rule checked; round {v.round} is the first "
            "that cannot be placed (later rounds are faded)."
        )
    return (
        f'<div class="v"><span class="rule">{html.escape(v.rule)}</span>({where}) '
        f"<b>{html.escape(explain(history, v, _size(parties, v.barrier)))}</b>"
        f'<br><span class="law">Rule: {html.escape(RULES.get(v.rule, v.rule))}.</span>'
        f"<br>Witness: operation(s) {', '.join(map(str, v.witness))}.{prefix}</div>"
    )


def _legend() -> str:
    rounds = "".join(f'<i style="background:{c}"></i>' for c in ROUND_COLOURS[:4])
    items = [f"<span>{rounds}released, by round (8 colours, repeating)</span>"]
    items += [
        f'<span><i style="background:{fill}"></i>{html.escape(text)}</span>'
        for fill, text in COLOURS.values()
    ]
    items.append('<span><i class="wit"></i>witness</span>')
    items.append('<span><i class="named"></i>named in the explanation</span>')
    items.append("<span>dashed line: a round's trip point</span>")
    return f'<p class="legend">{"".join(items)}</p>'


def report_json(
    history: Sequence[Operation], verdict: HistoryVerdict, parties: Parties = None
) -> dict[str, Any]:
    """The verdict as JSON (:meth:`HistoryVerdict.to_json`), each anomaly explained."""
    data = verdict.to_json(history)
    for item, violation in zip(data["anomalies"], verdict.violations, strict=True):
        item["explanation"] = explain(history, violation, _size(parties, violation.barrier))
    return data


def write_report(
    history: Sequence[Operation],
    verdict: HistoryVerdict,
    html_path: str | pathlib.Path,
    json_path: str | pathlib.Path | None = None,
    *,
    title: str = "barrier history",
    parties: Parties = None,
) -> None:
    """Write the HTML timeline to ``html_path`` and, if given, the JSON verdict to ``json_path``
    (``{"valid", "anomalies": [{rule, barrier, round, reason, explanation, witness:
    [operations]}], ...}``). ``parties`` as for :func:`check_history` (for the explanations).
    """
    page = render_timeline(history, verdict, title=title, parties=parties)
    pathlib.Path(html_path).write_text(page, "utf-8")
    if json_path is not None:
        text = json.dumps(report_json(history, verdict, parties), indent=2)
        pathlib.Path(json_path).write_text(text + "\n", "utf-8")
