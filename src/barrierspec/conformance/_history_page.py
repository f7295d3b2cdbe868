"""The static part of the HTML timeline: colours, CSS and the script that draws it.

The script (``_timeline.js`` beside this module, inlined into each page) reads the page's JSON
data (``<script id="data">``, built by :mod:`._history_html`) and draws an SVG: an overview
strip of the whole history with the current view, a time axis (milliseconds since the first
invocation), one lane per worker, each operation a bar from invoke to response. Wheel zooms
around the pointer, dragging pans, the buttons set the view (the violation, the dense part,
everything); hovering a bar shows its details. A bar cut by the view ends in an arrow, so a long
failed wait never squeezes the rest. ``window.timeline`` exposes ``setView(a, b)``, ``view()``
and ``focus`` for tests. No network, no libraries.
"""

from __future__ import annotations

import importlib.resources

__all__ = ["COLOURS", "CSS", "ROUND_COLOURS", "SCRIPT"]

# Rounds: blues, greens and teals only, so that no round looks like a failure or a join.
ROUND_COLOURS = (
    "#1c7ed6",
    "#37b24d",
    "#1098ad",
    "#4263eb",
    "#74b816",
    "#0b7285",
    "#5c940d",
    "#339af0",
)
# class -> (fill, legend text); the legend and the script read this one table.
COLOURS: dict[str, tuple[str, str]] = {
    "unplaced": ("#ffd43b", "released, in no consistent round"),
    "timeout": ("#adb5bd", "timed out"),
    "cancelled": ("#f08c00", "cancelled"),
    "expired": ("#9c36b5", "expired"),
    "broken": ("#8d6e63", "broken (BrokenBarrierError)"),
    "failed": ("#e03131", "failed (effect unknown)"),
    "pending": ("#ffffff", "no response"),
    "join": ("#495057", "join"),
    "cancel": ("#212529", "cancel()"),
    "crash": ("#000000", "crash"),
}

CSS = """
body{font:13px system-ui,sans-serif;margin:16px;color:#222}
h1{font-size:18px;margin:0 0 6px}.ok{color:#2b8a3e}.bad{color:#c92a2a}.unk{color:#8a6d00}
.v{border-left:4px solid #e64980;background:#fff0f6;padding:8px 12px;margin:8px 0}
.v .rule{display:inline-block;background:#e64980;color:#fff;border-radius:3px;padding:0 6px;
 font-weight:600;margin-right:6px}.v .law{color:#555;font-style:italic}
.legend span{display:inline-block;margin:2px 12px 2px 0}
.legend i{display:inline-block;width:14px;height:10px;margin-right:4px;border:1px solid #555;
 vertical-align:middle}
.legend i.wit{border:3px solid #e64980;background:#fff}
.legend i.named{border:2px dashed #e64980;background:#fff}
.bar button{margin-right:6px}#view{color:#555;margin-left:8px}
#wrap{border:1px solid #dee2e6;margin-top:6px;overflow:hidden;cursor:grab;user-select:none}
#tip{position:fixed;display:none;background:#212529;color:#fff;padding:6px 8px;
 border-radius:4px;font:12px ui-monospace,monospace;white-space:pre;pointer-events:none;z-index:9}
svg text{font-size:11px}
.op.witness{stroke:#e64980;stroke-width:3}.op.named{stroke:#e64980;stroke-width:2;
 stroke-dasharray:4 2}.op.faded{opacity:.3}
"""

SCRIPT = importlib.resources.files(__package__).joinpath("_timeline.js").read_text("utf-8")
