"""A ready-made progress display for long explorations, on stderr.

:func:`barrierspec.spec._explorer.explore` calls its ``progress`` callback about every half
second with ``(states, transitions, depth, seconds)``. :class:`StderrProgress` is such a
callback: it stays silent while the run is young (so short runs print nothing), then shows one
line that is rewritten in place on a terminal, or appends a plain line every few seconds when
stderr is a file or a pipe (CI logs). It decides only from the ``seconds`` it is given, never
from a clock of its own, so its output is reproducible.
"""

from __future__ import annotations

import sys
from typing import TextIO

__all__ = ["StderrProgress", "progress_line"]


def progress_line(states: int, transitions: int, depth: int, seconds: float) -> str:
    """One line of progress: counts so far, elapsed time and the rate of new states."""
    rate = states / seconds if seconds > 0 else 0.0
    return (
        f"explore: {states:,} states, {transitions:,} transitions, depth {depth}, "
        f"{seconds:.1f} s ({rate:,.0f} states/s)"
    )


class StderrProgress:
    """A progress callback that writes :func:`progress_line` to a stream (stderr by default).

    Nothing is written before ``delay`` seconds of search. After that, on a TTY every call
    rewrites a single line (carriage return, line cleared); on anything else a line is appended
    at most every ``every`` seconds. :meth:`close` ends the line on a TTY, so whatever is
    printed next starts on a fresh line; it writes nothing if nothing was shown.
    ``isatty`` overrides the stream's own answer (for tests).
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        delay: float = 2.0,
        every: float = 5.0,
        isatty: bool | None = None,
    ) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._delay = delay
        self._every = every
        self._tty = self._stream.isatty() if isatty is None else isatty
        self._next_line = delay
        self._shown = False

    def __call__(self, states: int, transitions: int, depth: int, seconds: float) -> None:
        if seconds < self._delay:
            return
        line = progress_line(states, transitions, depth, seconds)
        if self._tty:
            self._stream.write("\r\x1b[K" + line)
        elif seconds >= self._next_line:
            self._next_line = seconds + self._every
            self._stream.write(line + "\n")
        else:
            return
        self._shown = True
        self._stream.flush()

    @property
    def shown(self) -> bool:
        """True once a progress line has been written."""
        return self._shown

    def close(self) -> None:
        """End the progress display (a newline after the in-place line on a TTY)."""
        if self._shown and self._tty:
            self._stream.write("\n")
            self._stream.flush()
