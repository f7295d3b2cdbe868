"""Write a checked history as a self-contained HTML timeline and as JSON.

One lane per worker; each operation is a bar from invoke to response (a pending one runs to the
right edge, dashed). Released waits are coloured by round (one hue per round), the trip points
the checker placed are vertical lines of the same hue, timeouts are grey, cancellations orange,
expiries violet, failures red. The operations of the first violation's witness are outlined in
red and the violations are listed above the timeline. Hovering a bar shows the operation (SVG
``<title>``). Inline CSS and SVG only: the file opens offline and can be attached to a bug.

Long histories are cut to ``max_operations`` operations around the first violation (or the
start of the history when it is valid); the JSON always holds the whole verdict.
"""

from __future__ import annotations

import html
import json
import math
import pathlib
from collections.abc import Mapping, Sequence

from barrierspec.conformance._history_model import Kind, Operation, Outcome, Verdict

__all__ = ["render_timeline", "write_report"]

_FILL = {
    Outcome.TIMEOUT: "#b9b9b9",
    Outcome.CANCELLED: "#f0a040",
    Outcome.EXPIRED: "#b57cf2",
    Outcome.FAILED: "#e04040",
    Outcome.PENDING: "#ffffff",
}
_KIND_FILL = {Kind.JOIN: "#7fbf7f", Kind.CANCEL: "#404040", Kind.CRASH: "#000000"}
_LANE, _LEFT, _WIDTH, _TOP = 22, 140, 1100, 30
_CSS = """
body{font:13px system-ui,sans-serif;margin:16px;color:#222}
h1{font-size:18px}.ok{color:#1a7f37}.bad{color:#c62828}.unk{color:#8a6d00}
.v{border-left:4px solid #c62828;background:#fff3f3;padding:6px 10px;margin:6px 0}
.legend span{display:inline-block;margin-right:14px}
.legend i{display:inline-block;width:14px;height:10px;margin-right:4px;border:1px solid #555}
svg text{font-size:11px}
"""


def _hue(round_number: int) -> float:
    return (round_number * 0.618033988749895 * 360) % 360


def _select(history: Sequence[Operation], verdict: Verdict, limit: int) -> list[int]:
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


def render_timeline(
    history: Sequence[Operation],
    verdict: Verdict,
    *,
    title: str = "barrier history",
    max_operations: int = 2000,
) -> str:
    """The HTML page (a str) for ``history`` checked as ``verdict``."""
    shown = _select(history, verdict, max_operations)
    workers = sorted({history[i].worker for i in shown})
    lane = {w: n for n, w in enumerate(workers)}
    times = [history[i].invoke for i in shown]
    times += [history[i].response for i in shown if history[i].response is not None]  # type: ignore[misc]
    t0, t1 = (min(times), max(times)) if times else (0.0, 1.0)
    span = (t1 - t0) or 1.0

    def x(t: float) -> float:
        return _LEFT + (t - t0) / span * _WIDTH

    witness = {i for v in verdict.violations[:1] for i in v.witness}
    height = _TOP + _LANE * len(workers) + 20
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_LEFT + _WIDTH + 20}" height="{height}">'
    ]
    for w, n in lane.items():
        y = _TOP + n * _LANE
        parts.append(
            f'<text x="4" y="{y + 14}">{html.escape(w[:20])}</text>'
            f'<line x1="{_LEFT}" x2="{_LEFT + _WIDTH}" y1="{y + _LANE - 2}" '
            f'y2="{y + _LANE - 2}" stroke="#eee"/>'
        )
    for (barrier, number), t in verdict.trips.items():
        if t0 <= t <= t1:
            parts.append(
                f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{_TOP - 6}" y2="{height - 20}" '
                f'stroke="hsl({_hue(number):.0f},70%,45%)" stroke-width="1" opacity="0.6">'
                f"<title>trip of round {number} of {html.escape(barrier)} at {t}</title></line>"
            )
    for i in shown:
        y = _TOP + lane[history[i].worker] * _LANE + 3
        end = x(t1) if history[i].response is None else x(history[i].response)  # type: ignore[arg-type]
        parts.append(
            _bar(history[i], i, verdict.rounds.get(i), (x(history[i].invoke), end, y), i in witness)
        )
    parts.append(
        f'<text x="{_LEFT}" y="{height - 4}">t = {t0:.6f}</text>'
        f'<text x="{_LEFT + _WIDTH - 120}" y="{height - 4}">t = {t1:.6f}</text></svg>'
    )
    return _page(history, verdict, title, len(shown), "".join(parts))


def _bar(
    op: Operation, i: int, assigned: int | None, box: tuple[float, float, int], highlighted: bool
) -> str:
    """One operation as an SVG rect spanning ``box`` = (x start, x end, y)."""
    start, end, y = box
    number = op.round if assigned is None else assigned
    if op.kind is not Kind.WAIT:
        fill = _KIND_FILL[op.kind]
    elif op.outcome is Outcome.OK:
        fill = f"hsl({_hue(number or 0):.0f},70%,60%)"
    else:
        fill = _FILL[op.outcome]
    stroke = 'stroke="#d00000" stroke-width="3"' if highlighted else 'stroke="#555"'
    dash = ' stroke-dasharray="4 2"' if op.response is None else ""
    tip = html.escape(
        f"#{i} {op.worker} {op.kind.value} {op.barrier!r} member={op.member} "
        f"outcome={op.outcome.value} round={number} invoke={op.invoke} response={op.response}"
    )
    return (
        f'<rect x="{start:.1f}" y="{y}" width="{max(2.0, end - start):.1f}" '
        f'height="{_LANE - 8}" fill="{fill}" {stroke}{dash}><title>{tip}</title></rect>'
    )


def _page(
    history: Sequence[Operation], verdict: Verdict, title: str, n_shown: int, svg: str
) -> str:
    if verdict.valid is True:
        status = '<p class="ok">consistent with the barrier semantics</p>'
    elif verdict.valid is None:
        status = '<p class="unk">unknown: the search hit its budget</p>'
    else:
        status = f'<p class="bad">{len(verdict.violations)} violation(s)</p>'
    items = "".join(
        f'<div class="v"><b>{html.escape(v.rule)}</b> ({html.escape(v.barrier)}'
        f"{'' if v.round is None else f', round {v.round}'}): {html.escape(v.reason)} "
        f"<br>witness: operations {', '.join(map(str, v.witness))}</div>"
        for v in verdict.violations
    )
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in verdict.notes)
    legend = (
        '<p class="legend"><span><i style="background:hsl(40,70%,60%)"></i>released (hue = '
        'round)</span><span><i style="background:#b9b9b9"></i>timeout</span><span><i '
        'style="background:#f0a040"></i>cancelled</span><span><i style="background:#b57cf2">'
        '</i>expired</span><span><i style="background:#e04040"></i>failed</span><span><i '
        'style="background:#7fbf7f"></i>join</span><span><i style="background:#404040"></i>'
        'cancel</span><span><i style="border:3px solid #d00000"></i>witness</span></p>'
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>{status}{items}"
        f"<ul>{notes}</ul>{legend}<p>{n_shown} of {len(history)} operations shown.</p>"
        f"{svg}</body></html>\n"
    )


def write_report(
    history: Sequence[Operation],
    verdict: Verdict,
    html_path: str | pathlib.Path,
    json_path: str | pathlib.Path | None = None,
    *,
    title: str = "barrier history",
    parties: int | Mapping[str, int] | None = None,
) -> None:
    """Write the HTML timeline to ``html_path`` and, if given, the JSON verdict to ``json_path``
    (``{"valid", "anomalies": [{rule, barrier, round, reason, witness: [operations]}], ...}``).
    """
    pathlib.Path(html_path).write_text(render_timeline(history, verdict, title=title), "utf-8")
    if json_path is not None:
        text = json.dumps(verdict.to_json(history), indent=2)
        pathlib.Path(json_path).write_text(text + "\n", "utf-8")
