"""Read and merge history files: the recorder's per-process JSON Lines, or JSON documents.

:func:`load_files` takes files and directories (a directory stands for its ``*.jsonl``
files), parses every line and merges the operations in file order. A bad file or line is a
:class:`~barrierspec.errors.UsageError` naming the file and the line. The merge is refused
where the times could not be compared: files recorded on different clocks, monotonic times
from different hosts, or one worker (a single thread of control) appearing in two files.
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable, Iterable
from typing import Any

from barrierspec.conformance._history_model import HEADER_KEY, Operation, operation_from_dict
from barrierspec.errors import UsageError

__all__ = ["expand_paths", "load_files"]

_PROGRESS_EVERY = 200_000


def expand_paths(paths: Iterable[str | pathlib.Path]) -> list[pathlib.Path]:
    """Files as given; a directory becomes its ``*.jsonl`` files, sorted."""
    out: list[pathlib.Path] = []
    for raw in paths:
        path = pathlib.Path(raw)
        if path.is_dir():
            found = sorted(path.glob("*.jsonl"))
            if not found:
                raise UsageError(f"{path}: directory holds no *.jsonl history files")
            out.extend(found)
        elif path.is_file():
            out.append(path)
        else:
            raise UsageError(f"{path}: no such history file or directory")
    return out


def load_files(
    paths: Iterable[str | pathlib.Path], progress: Callable[[str], None] | None = None
) -> list[Operation]:
    """The merged history of ``paths`` (see the module docstring for what is refused)."""
    history: list[Operation] = []
    headers: dict[pathlib.Path, dict[str, Any]] = {}
    owner: dict[str, pathlib.Path] = {}
    for path in expand_paths(paths):
        start = len(history)
        header = _load_one(path, history, progress)
        if header is not None:
            headers[path] = header
        for op in history[start:]:
            if owner.setdefault(op.worker, path) != path:
                raise UsageError(
                    f"worker {op.worker!r} appears in {owner[op.worker]} and in {path}: a "
                    "worker is one thread of control, so its operations belong to one file"
                )
        if progress is not None:
            progress(f"{path}: {len(history) - start:,} operations")
    _check_clocks(headers)
    return history


def _load_one(
    path: pathlib.Path, into: list[Operation], progress: Callable[[str], None] | None
) -> dict[str, Any] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read: {exc}") from None
    if text.lstrip().startswith("["):  # one JSON document: a list of operations
        _load_document(path, text, into)
        return None
    header = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            reason = f"not JSON ({exc.msg})"
            raise UsageError(f"{path}, line {number}: {reason}: {line[:80]!r}") from None
        if not isinstance(entry, dict):
            raise UsageError(f"{path}, line {number}: an operation is a JSON object: {line[:80]!r}")
        if HEADER_KEY in entry:
            header = entry
            continue
        into.append(_operation(entry, path, number))
        if progress is not None and len(into) % _PROGRESS_EVERY == 0:
            progress(f"{path}: read {number:,} lines ({len(into):,} operations in all)")
    return header


def _load_document(path: pathlib.Path, text: str, into: list[Operation]) -> None:
    try:
        entries = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}, line {exc.lineno}: not JSON ({exc.msg})") from None
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise UsageError(f"{path}, entry {index}: an operation is a JSON object: {entry!r}")
        into.append(_operation(entry, path, index, where="entry"))


def _operation(entry: dict[str, Any], path: pathlib.Path, n: int, where: str = "line") -> Operation:
    try:
        return operation_from_dict(entry, n)
    except UsageError as exc:
        reason = str(exc).removeprefix(f"history entry {n}: ")
        raise UsageError(f"{path}, {where} {n}: {reason}") from None


def _check_clocks(headers: dict[pathlib.Path, dict[str, Any]]) -> None:
    clocks = {str(h.get("clock")) for h in headers.values()}
    if len(clocks) > 1:
        listing = ", ".join(f"{p.name}: {h.get('clock')}" for p, h in headers.items())
        raise UsageError(f"the files were recorded on different clocks ({listing})")
    hosts = {str(h.get("host")) for h in headers.values()}
    if clocks == {"monotonic"} and len(hosts) > 1:
        raise UsageError(
            f"the files come from hosts {sorted(hosts)} and use the monotonic clock, which is "
            "not comparable across hosts; record with Recorder(clock='wall') on synchronised "
            "clocks"
        )
