"""Supervised checks: the target runs in a worker process; the supervisor always reports.

The supervisor starts ``_worker`` in a new process group and follows its JSON-line events
(which property, which program). Whatever the target does, the supervisor writes a result:

* the worker exits before ``done`` (``os._exit`` with any status, a segfault, a signal):
  a finding naming the exit and the program that was running; that property FAILS and a
  fresh worker goes on with the properties not yet checked;
* no event for ``stall`` seconds (a hang outside every bounded call): the process group is
  killed, a finding names the program, the property FAILS, a fresh worker goes on;
* the worker does not exit after ``done`` (non-daemon threads left running), or processes of
  its group outlive it: a leak finding; the group is killed.

Nothing of the target survives the supervisor: every worker's process group is killed
before the result is returned.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import json
import os
import pathlib
import random
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from typing import Any

import attrs

from barrierspec import adapters as ad
from barrierspec.conformance import _prespawn
from barrierspec.conformance import _properties as props
from barrierspec.conformance._claims import claimed, claimer
from barrierspec.conformance._report import CheckResult
from barrierspec.conformance._result import Finding, PropertyResult
from barrierspec.errors import BarrierSpecError, UsageError
from barrierspec.spec import Profile
from barrierspec.spec._custom import resolve_profile

__all__ = ["EXIT_GRACE", "supervised_check"]

EXIT_GRACE = 5.0  # seconds the worker gets to exit after reporting ``done``
_ALL = [p.name for p in props.PROPERTIES] + ["argument validation", "model-generated tests"]
_RULES = {p.name: p.rule for p in props.PROPERTIES}


def _spelling(target: object) -> dict[str, Any]:
    """How the worker resolves ``target``: a name, and the declared kind and capabilities."""
    if isinstance(target, str):
        return {"target": target}
    if isinstance(target, ad.Target):
        caps = dataclasses.asdict(target.capabilities)
        options = {
            "start_method": target.start_method,
            "context": target.context,
            "interface": list(target.interface.spelled()),
        }
        if target.name in ("threading", "asyncio", "multiprocessing") or ":" in target.name:
            spelled = {"target": target.name}
        else:
            spelled = _spelling(target.factory)
        return {**spelled, "kind": target.kind, "capabilities": caps, "options": options}
    module = getattr(target, "__module__", None)
    qualname = getattr(target, "__qualname__", "")
    if not module or "<" in qualname or module == "__main__":
        raise UsageError(
            f"a supervised check runs the target in a worker process, which must import it "
            f"by name; {target!r} has no importable 'module:attr' name (define it at module "
            f"level, or pass supervised=False)"
        )
    return {"target": f"{module}:{qualname}"}


def _resolves(name: str) -> Profile | None:
    try:
        return resolve_profile(name)
    except UsageError:
        return None


def _profile_name(profile: str | Profile | None) -> str | None:
    if profile is None or isinstance(profile, str):
        return profile
    if _resolves(profile.name) != profile:
        raise UsageError(
            f"a supervised check names its profile; {profile.name!r} is not a registered "
            "profile (pass supervised=False to use an unregistered one)"
        )
    return profile.name


@attrs.define
class _Attempt:
    """What one worker reported before it ended."""

    seed: int | None = None
    target: str = ""
    profile: str = ""
    results: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    findings: list[dict[str, Any]] = attrs.field(factory=list)
    current: str = ""  # the property being checked
    program: str = ""  # the program being run
    done: dict[str, Any] | None = None
    usage: str | None = None
    error: str | None = None
    crash: dict[str, Any] | None = None  # the finding that ended this worker early
    driver: str = ""  # the driver the worker ran the target with, and why

    def apply(self, event: dict[str, Any], progress: Any) -> None:
        """Take one worker event into account."""
        kind = event["event"]
        if kind == "start":
            self.seed, self.target, self.profile = event["seed"], event["target"], event["profile"]
            self.driver = event.get("driver", "")
        elif kind == "property":
            self.current, self.program = event["property"], ""
            if progress is not None:
                progress(event["property"])
        elif kind == "program":
            self.program = event["program"]
        elif kind == "result":
            self.results[event["result"]["property"]] = event["result"]
            self.current = self.program = ""
        elif kind == "findings":
            self.findings = list(event["findings"])
        elif kind == "done":
            self.done = event["result"]
        elif kind == "usage":
            self.usage = event["message"]
        elif kind == "error":
            self.error = event["message"]

    def ended(self) -> bool:
        """True once the worker said its last word."""
        return any(x is not None for x in (self.done, self.usage, self.error))

    def finding(self, text: str) -> dict[str, Any]:
        """A finding about the program running now, as JSON."""
        where = f" while running {self.program}" if self.program else ""
        return {
            "text": text + where,
            "program": self.program,
            "properties": [self.current] if self.current else [],
        }


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "did not exit"
    if code < 0:
        try:
            return f"was killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with status {code}"


class _Worker:
    """One worker process and its event pipe."""

    def __init__(self, request: dict[str, Any]) -> None:
        self.proc, self._fd = _prespawn.take()
        self._buffer = b""
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(request).encode())
        self.proc.stdin.close()

    def events(self, stall: float) -> tuple[list[dict[str, Any]], str]:
        """Events arriving within ``stall`` s, and "data", "timeout" or "eof"."""
        ready, _, _ = select.select([self._fd], [], [], stall)
        if not ready:
            return [], "timeout"
        chunk = os.read(self._fd, 65536)
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\n")
        events = [json.loads(line) for line in lines if line.strip()]
        return events, "data" if chunk else "eof"

    def finish(self, grace: float) -> tuple[int | None, bool]:
        """Wait up to ``grace`` s for the exit, then kill the whole group.

        Returns (exit status, None if it had to be killed; whether other processes of its
        group were still running when it had exited).
        """
        try:
            code: int | None = self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            code = None
        survivors = code is not None and _group_alive(self.proc.pid)
        _kill_group(self.proc.pid)
        self.proc.wait(10.0)
        _await_group_end(self.proc.pid, 5.0)
        os.close(self._fd)
        return code, survivors


def _group_alive(pgid: int) -> bool:
    """True if a live (not zombie) process of group ``pgid`` exists."""
    for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if fields[0] not in ("Z", "X") and int(fields[2]) == pgid:
            return True
    return False


def _await_group_end(pgid: int, timeout: float) -> None:
    """Wait (bounded) until every process of the killed group ``pgid`` is gone."""
    deadline = time.monotonic() + timeout
    while _group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.01)  # SIGKILL is asynchronous: poll the observable end, bounded


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _run_worker(request: dict[str, Any], stall: float, progress: Any) -> _Attempt:
    """Run one worker to its end (or kill it); what it reported and how it ended."""
    worker = _Worker(request)
    attempt = _Attempt()
    while not attempt.ended():
        events, state = worker.events(stall)
        for event in events:
            attempt.apply(event, progress)
        if state == "timeout":
            attempt.crash = attempt.finding(f"hang: the worker made no progress for {stall:g} s")
            break
        if state == "eof":
            break
    code, survivors = worker.finish(EXIT_GRACE if attempt.ended() else 2.0)
    if attempt.crash is None and not attempt.ended():
        attempt.crash = attempt.finding(f"exit: the target's process {_describe_exit(code)}")
    elif attempt.done is not None and code is None:
        attempt.findings.append(
            {
                "text": "leak: the worker did not exit after the check (the target left "
                f"non-daemon threads running); it was killed after {EXIT_GRACE:g} s"
            }
        )
    elif attempt.done is not None and survivors:
        attempt.findings.append(
            {"text": "leak: processes started by the target outlived the worker; they were killed"}
        )
    return attempt


def supervised_check(
    target: object,
    profile: str | Profile | None,
    cfg: Any,
    *,
    progress: Any = None,
    command: str | None = None,
) -> CheckResult:
    """:func:`~barrierspec.conformance.check` of ``target`` in supervised worker processes.

    The check is seeded (a seed is drawn here when ``cfg`` has none). The properties are
    shared among ``cfg.workers`` workers running at once (each checks what it takes with
    that seed, so the programs are those one worker would run), each worker taking the next
    property nobody has claimed as soon as it is free (``_claims``); a worker that dies or
    hangs is replaced by a fresh one for the properties not yet claimed; the property it was
    checking FAILS with the finding.
    """
    seed = cfg.seed if cfg.seed is not None else random.randrange(2**32)
    request: dict[str, Any] = {
        **_spelling(target),
        "profile": _profile_name(profile),
        "settings": {**attrs.asdict(cfg), "seed": seed},
        "command": command,
        "path": [p for p in sys.path if p],
    }
    started = time.monotonic()
    names = list(cfg.only) or list(_ALL)
    attempts: list[_Attempt] = []
    failed: dict[str, PropertyResult] = {}
    with tempfile.TemporaryDirectory(prefix="barrierspec-claims-") as claims:
        request["settings"] = {**request["settings"], "claims": claims}
        count = max(1, min(cfg.workers, len(names)))
        with concurrent.futures.ThreadPoolExecutor(count) as pool:
            futures = [
                pool.submit(_supervise_share, request, names, cfg.stall, progress)
                for _ in range(count)
            ]
            for future in futures:  # in order: the first worker's reports come first
                more, lost = future.result()
                attempts += more
                failed.update(lost)
    _prespawn.discard()  # workers started ahead that no share needed
    return _assemble(attempts, failed, cfg, time.monotonic() - started, command)


def _supervise_share(
    request: dict[str, Any], wanted: list[str], stall: float, progress: Any
) -> tuple[list[_Attempt], dict[str, PropertyResult]]:
    """Workers, one after the other, each checking the properties of ``wanted`` that no
    worker has claimed yet (``_claims``), until none is left."""
    claims: str = request["settings"]["claims"]
    attempts: list[_Attempt] = []
    failed: dict[str, PropertyResult] = {}
    while len(attempts) <= len(wanted):
        only = [n for n in wanted if not claimed(claims, n)]
        if not only:  # (an empty selection would mean every property)
            break
        attempt = _run_worker(
            {**request, "settings": {**request["settings"], "only": only}}, stall, progress
        )
        attempts.append(attempt)
        if attempt.usage is not None:
            raise UsageError(attempt.usage)
        if attempt.error is not None:
            raise BarrierSpecError(attempt.error)
        if attempt.crash is None:
            # it claimed all it takes of its selection; what no one claimed, no worker
            # takes (the generated tests switched off, a named target's arguments)
            break
        # a worker that ended before its first property began was starting on the next
        # unclaimed property: that one fails (claimed for it), a fresh worker goes on
        name = attempt.current or _claim_first(claims, only)
        if name is None:
            continue
        if not attempt.current:
            attempt.crash["properties"] = [name]
        failed[name] = PropertyResult(name, _RULES.get(name, ""), "fail", attempt.crash["text"])
    return attempts, failed


def _in_suite_order(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """The findings by the suite's order of the first property each concerns (the workers
    share the properties as they finish, so the order they report in is not reproducible);
    findings of no property last, in the order reported."""
    rank = {name: i for i, name in enumerate(_ALL)}

    def first(finding: Finding) -> int:
        return min((rank.get(p, len(rank)) for p in finding.properties), default=len(rank))

    return tuple(sorted(findings, key=first))  # stable: ties keep the reported order


def _claim_first(claims: str, names: list[str]) -> str | None:
    """Claim the first of ``names`` nobody has (for a worker that died before claiming)."""
    claim = claimer(claims)
    return next((n for n in names if claim(n)), None)


def _assemble(
    attempts: list[_Attempt],
    failed: dict[str, PropertyResult],
    cfg: Any,
    seconds: float,
    command: str | None,
) -> CheckResult:
    """One result from every worker's reports, properties in the suite's order."""
    from barrierspec.conformance._check import _command

    results: dict[str, PropertyResult] = dict(failed)
    findings: dict[str, Finding] = {}
    for attempt in attempts:
        if attempt.done is not None:
            attempt.results.update({p["property"]: p for p in attempt.done["properties"]})
        for name, data in attempt.results.items():
            results.setdefault(name, PropertyResult.from_json(data))
        reported = attempt.done["findings"] if attempt.done else []
        for data in [*reported, *attempt.findings, *([attempt.crash] if attempt.crash else [])]:
            found = Finding.from_json(data)
            known = findings.setdefault(found.text, found)
            extra = tuple(p for p in found.properties if p not in known.properties)
            findings[found.text] = attrs.evolve(known, properties=known.properties + extra)
    first = attempts[0]
    covered = next(
        (a.done["coverage"] for a in attempts if a.done and a.done.get("coverage")), None
    )
    coverage = (int(covered[0]), int(covered[1])) if covered else None
    seed = first.seed if first.seed is not None else 0
    return CheckResult(
        target=first.target,
        profile=first.profile,
        seed=seed,
        properties=tuple(results[n] for n in _ALL if n in results),
        seconds=seconds,
        coverage=coverage,
        findings=_in_suite_order(findings.values()),
        command=command or _command(first.target, first.profile, seed, tuple(cfg.only)),
        selected=len(cfg.only) or None,
        driver=next((a.driver for a in reversed(attempts) if a.driver), ""),
    )
