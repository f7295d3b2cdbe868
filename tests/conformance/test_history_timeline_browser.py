"""The HTML timeline of a real violating history, opened in headless Chromium (Debian's
package, driven by Playwright; never a downloaded browser): lanes, the witness highlight,
colours that match the legend, hover details, wheel zoom, drag pan, and "zoom to the
violation" showing the witness at a readable width although 1-second failed waits stretch
the history to 250 times its dense part. The page must make no network request.

Skipped only where no browser can be had: Playwright not installed or /usr/bin/chromium absent
(``.ci/run`` installs both).
"""

from __future__ import annotations

import pathlib
import shutil
import threading

import pytest
from tests.broken.threading_style import EarlyReleaseBarrier

from barrierspec.conformance import Recorder, check_history, write_report
from barrierspec.conformance._history_page import COLOURS

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
if shutil.which(CHROMIUM) is None:
    pytest.skip(f"no browser: {CHROMIUM} is not installed", allow_module_level=True)


def record_early_release_run() -> list:
    """Four threads on a 4-party barrier that releases after 3 arrivals; at the end a thread
    left alone gives up after 1 s (BrokenBarrierError): a real, violating history."""
    recorder = Recorder()
    barrier = recorder.wrap(EarlyReleaseBarrier(4), name="b")

    def body() -> None:
        for _ in range(20):
            try:
                barrier.wait(1.0)
            except threading.BrokenBarrierError:
                return

    threads = [threading.Thread(target=body, name=f"w{i}") for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30.0)
    assert not any(t.is_alive() for t in threads)
    return recorder.history()


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("timeline")
    history = record_early_release_run()
    verdict = check_history(history, parties=4)
    assert verdict.valid is False
    html_path = tmp / "timeline.html"
    write_report(history, verdict, html_path, parties=4)
    requests: list[str] = []
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp / "profile"),  # a fresh user-data-dir
            executable_path=CHROMIUM,
            args=FLAGS,
            headless=True,
            viewport={"width": 1400, "height": 900},
        )
        try:
            tab = context.new_page()
            tab.set_default_timeout(20_000)
            tab.on("request", lambda r: requests.append(r.url))
            tab.goto(html_path.as_uri())
            tab.wait_for_selector("rect.op")
            yield tab, history, verdict
        finally:
            context.close()
    assert all(url.startswith("file://") for url in requests), requests


def width_of(tab, selector: str) -> float:
    return tab.eval_on_selector(selector, "e => e.getBoundingClientRect().width")


def test_one_lane_per_worker_and_the_witness_is_highlighted(page) -> None:
    tab, history, verdict = page
    assert tab.evaluate("window.timeline.view()") == tab.evaluate("window.timeline.focus")
    workers = {op.worker for op in history}
    assert tab.eval_on_selector_all("g.lane", "es => es.length") == len(workers) == 4
    witness = verdict.violations[0].witness
    shown = tab.eval_on_selector_all("rect.op.witness", "es => es.map(e => +e.dataset.i)")
    assert sorted(shown) == sorted(witness)
    stroke = tab.eval_on_selector("rect.op.witness", "e => getComputedStyle(e).stroke")
    assert stroke == "rgb(230, 73, 128)"  # the legend's witness outline
    text = tab.inner_text("div.v")
    assert "no-round-assignment" in text and "an early release" in text
    assert "Longest consistent prefix" in text


def test_colours_match_the_legend(page) -> None:
    tab, _, _ = page
    fill = tab.eval_on_selector("rect.op.unplaced", "e => e.getAttribute('fill')")
    assert fill == COLOURS["unplaced"][0]
    swatches = tab.eval_on_selector_all(".legend i", "es => es.map(e => e.style.background)")
    assert len(swatches) >= len(COLOURS)


def test_zoom_to_the_violation_shows_it_at_readable_width(page) -> None:
    """Zoomed to the violation, the operations it involves (the witness and those the
    explanation names) fill the view: they span at least 40 % of the plot, inside it, and
    the witness is drawn wider than in the whole-run view. (How wide the witness itself is
    depends on the recorded run's timings, which a loaded machine stretches: a named
    operation that waited long takes more of the view, so no fixed pixel width is asked.)"""
    tab, _, _ = page
    tab.click("#zoom-all")
    squeezed = width_of(tab, "rect.op.witness")
    tab.click("#zoom-violation")
    readable = width_of(tab, "rect.op.witness")
    boxes = tab.eval_on_selector_all(
        "rect.op.witness, rect.op.named", "es => es.map(e => e.getBoundingClientRect().toJSON())"
    )
    svg = tab.eval_on_selector("#tl", "e => e.getBoundingClientRect().toJSON()")
    plot = svg["width"] - 150 - 24  # the timeline's lane labels and right margin (_timeline.js)
    left, right = min(b["left"] for b in boxes), max(b["right"] for b in boxes)
    assert right - left >= 0.4 * plot, (left, right, plot)
    assert readable > squeezed, (squeezed, readable)
    assert svg["left"] <= left and right <= svg["right"]


def test_hover_shows_the_operation_details(page) -> None:
    tab, _, verdict = page
    tab.click("#zoom-violation")
    tab.hover("rect.op.witness")
    tip = tab.inner_text("#tip")
    assert f"operation {verdict.violations[0].witness[0]}:" in tip
    assert "invoked" in tip and "returned" in tip and "witness of no-round-assignment" in tip


def test_wheel_zooms_and_drag_pans(page) -> None:
    tab, _, _ = page
    tab.click("#zoom-violation")
    a0, b0 = tab.evaluate("window.timeline.view()")
    box = tab.eval_on_selector("#tl", "e => e.getBoundingClientRect().toJSON()")
    tab.mouse.move(box["left"] + box["width"] / 2, box["top"] + 60)
    tab.mouse.wheel(0, -300)
    tab.wait_for_function(f"window.timeline.view()[1] - window.timeline.view()[0] < {b0 - a0}")
    a1, b1 = tab.evaluate("window.timeline.view()")
    tab.mouse.down()
    tab.mouse.move(box["left"] + box["width"] / 2 + 200, box["top"] + 60)
    tab.mouse.up()
    a2, b2 = tab.evaluate("window.timeline.view()")
    assert a2 < a1 and abs((b2 - a2) - (b1 - a1)) < 1e-9 * (b1 - a1) + 1e-12


def test_screenshot_for_the_readme(page, tmp_path: pathlib.Path) -> None:
    """Writes the README's picture when BARRIERSPEC_SCREENSHOT names a path (else a tmp file)."""
    import os

    tab, _, _ = page
    tab.click("#zoom-violation")
    target = pathlib.Path(os.environ.get("BARRIERSPEC_SCREENSHOT", tmp_path / "shot.png"))
    tab.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000
