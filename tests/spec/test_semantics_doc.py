"""docs/semantics.md must stay true to the model in ``barrierspec.spec``.

Each check reads the document's text and returns the problems it finds, one message per
problem; the tests assert the real document has none, and that each check does report a
deliberately broken copy (so none of them can pass vacuously).
"""

from __future__ import annotations

import enum
import importlib
import pkgutil
import re
import typing
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import attrs
import pytest

import barrierspec.spec as spec
from barrierspec.conformance import InputSpace
from barrierspec.conformance import _properties as props
from barrierspec.spec import (
    PROFILES,
    Bounds,
    Fault,
    Policies,
    Status,
    _rules,
    state_invariants,
    transition_invariants,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "semantics.md"

SPEC_MODULES = frozenset(info.name for info in pkgutil.iter_modules(spec.__path__))
RULE_ID = re.compile(r"^[A-Z]-\d{2}$")
DOTTED = re.compile(r"^(_?[A-Za-z]\w*)((?:\.\w+)+)(?:\(\))?$")
PROFILE_HEADING = re.compile(r"^Profile `([^`]+)`$")

Check = Callable[[str], list[str]]

# ------------------------------------------------------------------------------ parsing


@attrs.frozen
class Section:
    """A heading and the lines up to the next heading of any level."""

    title: str
    lines: tuple[str, ...]


def _sections(text: str) -> list[Section]:
    sections: list[Section] = []
    title, lines = "", list[str]()
    for line in text.splitlines():
        if line.startswith("#"):
            sections.append(Section(title, tuple(lines)))
            title, lines = line.lstrip("#").strip(), []
        else:
            lines.append(line)
    sections.append(Section(title, tuple(lines)))
    return sections


def _rows(lines: tuple[str, ...] | list[str]) -> list[list[str]]:
    """The body rows of the markdown tables in ``lines`` (header and rule lines dropped)."""
    rows: list[list[str]] = []
    previous_was_table = False
    for line in lines:
        if not line.startswith("|"):
            previous_was_table = False
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        is_rule = all(set(cell) <= set("-: ") for cell in cells)
        if previous_was_table and not is_rule:
            rows.append(cells)
        previous_was_table = True
    return rows


def _ticked(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def _section(text: str, contains: str) -> Section | None:
    found = [s for s in _sections(text) if contains in s.title]
    return found[0] if len(found) == 1 else None


def _keyed_rows(text: str, contains: str) -> dict[str, list[str]] | None:
    """The rows of the one section whose heading has ``contains``, keyed by their first span."""
    section = _section(text, contains)
    if section is None:
        return None
    return {_ticked(cells[0])[0]: cells for cells in _rows(section.lines) if _ticked(cells[0])}


def _no_section(contains: str) -> list[str]:
    return [f"no (single) section with {contains!r} in its heading"]


def _profile_names(cell: str) -> set[str]:
    """Profiles named in a cell: backticked names only; ``all`` stands for every profile."""
    if cell.strip().lower() == "all":
        return set(PROFILES)
    return {name for name in _ticked(cell) if name in PROFILES}


# --------------------------------------------------------------------- model references


def _resolve(span: str) -> tuple[bool, str | None]:
    """Whether ``span`` is a model reference, and the problem with it if it does not resolve.

    ``_module.name`` and ``module.name`` refer to ``barrierspec.spec._module``; ``Name.attr``
    refers to a name exported by ``barrierspec.spec``. An underscored head that names no module
    is an error (a misspelt module); anything else (``threading.Barrier``) is not a reference.
    """
    match = DOTTED.match(span)
    if not match:
        return False, None
    head, chain = match.group(1), match.group(2).split(".")[1:]
    module_name = head if head.startswith("_") else f"_{head}"
    target: object
    if module_name in SPEC_MODULES:
        target = importlib.import_module(f"barrierspec.spec.{module_name}")
    elif head.startswith("_"):
        return True, f"`{span}`: barrierspec.spec has no module {head}"
    elif hasattr(spec, head) and not isinstance(getattr(spec, head), ModuleType):
        target = getattr(spec, head)
    else:
        return False, None
    for part in chain:
        if not hasattr(target, part):
            return True, f"`{span}`: {part!r} does not exist"
        target = getattr(target, part)
    return True, None


def _reference_problems(text: str) -> list[str]:
    problems: list[str] = []
    checked = 0
    for span in _ticked(text):
        is_ref, problem = _resolve(span)
        checked += is_ref
        if problem:
            problems.append(problem)
    if checked < 50:
        problems.append(f"only {checked} model references found: is the parser still right?")
    return problems


# ---------------------------------------------------------------------------- the rules


def _rule_rows(text: str) -> list[tuple[str, list[str]]]:
    """Every rule row as (title of its section, cells)."""
    return [
        (section.title, cells)
        for section in _sections(text)
        for cells in _rows(section.lines)
        if RULE_ID.match(cells[0])
    ]


def _rule_problems(text: str) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for title, cells in _rule_rows(text):
        rule = cells[0]
        if rule in seen:
            problems.append(f"rule id {rule} is used twice")
        seen.add(rule)
        if len(cells) != 4 or not cells[1] or not cells[2]:
            problems.append(f"{rule} must have a rule, a source and a model column: {cells}")
            continue
        refs = [span for span in _ticked(cells[3]) if _resolve(span) == (True, None)]
        if not refs:
            problems.append(f"{rule} names no existing model function: {cells[3]!r}")
        if not PROFILE_HEADING.match(title):
            problems.append(f"{rule} is outside a profile section ({title!r})")
    if not seen:
        problems.append("no rule rows found")
    return problems


def _profile_problems(text: str) -> list[str]:
    problems: list[str] = []
    prefixes: dict[str, str] = {}
    documented: set[str] = set()
    for section in _sections(text):
        match = PROFILE_HEADING.match(section.title)
        if not match:
            continue
        name = match.group(1)
        documented.add(name)
        ids = [cells[0] for cells in _rows(section.lines) if RULE_ID.match(cells[0])]
        if name not in PROFILES:
            problems.append(f"section for {name!r}, which is not in PROFILES")
        if not ids:
            problems.append(f"profile {name!r} has no rules")
            continue
        own = {rule.split("-")[0] for rule in ids}
        if len(own) != 1:
            problems.append(f"profile {name!r} mixes rule prefixes {sorted(own)}")
        prefix = min(own)
        if prefix in prefixes:
            problems.append(f"profiles {prefixes[prefix]!r} and {name!r} share prefix {prefix}")
        prefixes[prefix] = name
        for deviation in PROFILES[name].deviations if name in PROFILES else ():
            if deviation.key not in "\n".join(section.lines):
                problems.append(f"profile {name!r} does not cite its deviation {deviation.key}")
    for name in sorted(set(PROFILES) - documented):
        problems.append(f"profile {name!r} has no section 'Profile `{name}`'")
    return problems


# ------------------------------------------------------------------------- the policies


def _policy_problems(text: str) -> list[str]:
    problems: list[str] = []
    hints = typing.get_type_hints(Policies)
    for field in attrs.fields(Policies):
        axis = hints[field.name]
        assert issubclass(axis, enum.Enum)
        section = _section(text, f"`{axis.__name__}`")
        if section is None:
            problems.append(f"no (single) section with `{axis.__name__}` in its heading")
            continue
        rows = {cells[0]: cells for cells in _rows(section.lines)}
        for member in axis:
            key = f"`{axis.__name__}.{member.name}`"
            if key not in rows:
                problems.append(f"policy value {key} has no row")
                continue
            expected = {
                name
                for name, profile in PROFILES.items()
                if getattr(profile.policies, field.name) is member
            }
            listed = _profile_names(rows[key][2])
            if listed != expected:
                problems.append(
                    f"{key}: the doc lists profiles {sorted(listed)}, the code {sorted(expected)}"
                )
    return problems


# ----------------------------------------------------------------------- the invariants


def _invariant_problems(text: str) -> list[str]:
    problems: list[str] = []
    kinds: dict[str, str] = {}
    users: dict[str, set[str]] = {}
    for name, profile in PROFILES.items():
        for kind, invariants in (
            ("state", state_invariants(profile)),
            ("transition", transition_invariants(profile)),
        ):
            for inv in invariants:
                kinds[inv.name] = kind
                users.setdefault(inv.name, set()).add(name)
    rows = _keyed_rows(text, "invariants")
    if rows is None:
        return _no_section("invariants")
    for name in sorted(kinds):
        if name not in rows:
            problems.append(f"invariant {name!r} has no row")
            continue
        cells = rows[name]
        if len(cells) != 4 or not cells[1]:
            problems.append(f"invariant {name!r}: expected name, statement, kind, profiles")
            continue
        if cells[2] != kinds[name]:
            problems.append(f"invariant {name!r} is a {kinds[name]} invariant, not {cells[2]!r}")
        if _profile_names(cells[3]) != users[name]:
            problems.append(
                f"invariant {name!r} applies to {sorted(users[name])}, the doc says {cells[3]!r}"
            )
    for name in sorted(set(rows) - set(kinds)):
        problems.append(f"the doc lists {name!r}, which no profile checks")
    return problems


# ----------------------------------------------------------- vocabulary, events, bounds


def _event_problems(text: str) -> list[str]:
    rows = _keyed_rows(text, "Events")
    if rows is None:
        return _no_section("Events")
    problems = []
    for event, handler in _rules.HANDLERS.items():
        expected = f"_rules.{handler.__name__}"
        cells = rows.get(event.__name__)
        if cells is None:
            problems.append(f"event {event.__name__} has no row")
        elif expected not in _ticked(cells[-1]):
            problems.append(f"event {event.__name__} is handled by `{expected}`: {cells[-1]!r}")
    return problems


def _vocabulary_problems(text: str) -> list[str]:
    spans = set(_ticked(text))
    problems = []
    for vocabulary in (Status, Fault):
        for member in vocabulary:
            qualified = f"{vocabulary.__name__}.{member.name}"
            if member.name not in spans and qualified not in spans:
                problems.append(f"{qualified} is never named")
    return problems


def _bounds_problems(text: str) -> list[str]:
    rows = _keyed_rows(text, "bounds")
    if rows is None:
        return _no_section("bounds")
    problems = []
    for field in attrs.fields(Bounds):
        cells = rows.get(field.name)
        if cells is None:
            problems.append(f"bound {field.name!r} has no row")
        elif cells[1] != str(field.default):
            problems.append(f"bound {field.name!r} defaults to {field.default}, not {cells[1]}")
    for name in sorted(set(rows) - {f.name for f in attrs.fields(Bounds)}):
        problems.append(f"the doc lists bound {name!r}, which Bounds does not have")
    return problems


def _first_spans(text: str, contains: str) -> dict[str, list[str]] | None:
    """Rows of the one section with ``contains`` in its heading, by each span of the first cell."""
    section = _section(text, contains)
    if section is None:
        return None
    return {span: cells for cells in _rows(section.lines) for span in _ticked(cells[0])}


def _input_space_problems(text: str) -> list[str]:
    """Every instruction kind and every InputSpace switch has a row, with the right default."""
    kinds = _first_spans(text, "Program instructions")
    switches = _first_spans(text, "InputSpace")
    if kinds is None or switches is None:
        return _no_section("Program instructions" if kinds is None else "InputSpace")
    problems = [f"instruction kind {k!r} has no row" for k in props.KINDS if k not in kinds]
    problems += [
        f"the doc lists instruction {k!r}, which programs cannot hold"
        for k in kinds
        if k not in props.KINDS
    ]
    for field in attrs.fields(InputSpace):
        cells = switches.get(field.name)
        if cells is None:
            problems.append(f"InputSpace.{field.name} has no row")
        elif cells[1] != str(field.default):
            problems.append(f"InputSpace.{field.name} defaults to {field.default}, not {cells[1]}")
    for name in sorted(set(switches) - {f.name for f in attrs.fields(InputSpace)}):
        problems.append(f"the doc lists switch {name!r}, which InputSpace does not have")
    return problems


CHECKS: dict[str, Check] = {
    "references": _reference_problems,
    "rules": _rule_problems,
    "profiles": _profile_problems,
    "policies": _policy_problems,
    "invariants": _invariant_problems,
    "events": _event_problems,
    "vocabulary": _vocabulary_problems,
    "bounds": _bounds_problems,
    "input space": _input_space_problems,
}

# -------------------------------------------------------------------------------- tests


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_doc_matches_the_model(doc: str, check: str) -> None:
    assert CHECKS[check](doc) == []


def _replace_line(prefix: str, old: str, new: str) -> Callable[[str], str]:
    def mutate(text: str) -> str:
        lines = text.splitlines()
        hits = [i for i, line in enumerate(lines) if line.startswith(prefix)]
        assert len(hits) == 1, f"mutation anchor {prefix!r} must match one line"
        assert old in lines[hits[0]], f"{old!r} not in the line {prefix!r}"
        lines[hits[0]] = lines[hits[0]].replace(old, new)
        return "\n".join(lines)

    return mutate


def _replace_all(old: str, new: str) -> Callable[[str], str]:
    def mutate(text: str) -> str:
        assert old in text, f"mutation anchor {old!r} not in the doc"
        return text.replace(old, new)

    return mutate


DRIFTS: dict[str, tuple[str, Callable[[str], str]]] = {
    "renamed function": ("references", _replace_all("`_rules.trip`", "`_rules.trip_renamed`")),
    "misspelt module": ("references", _replace_line("| T-02 |", "`_rules.", "`_rulse.")),
    "duplicate rule id": ("rules", _replace_line("| T-02 |", "T-02", "T-01")),
    "rule without model": ("rules", _replace_line("| G-06 |", "`_rules.on_resume`", "step")),
    "lost profile": ("profiles", _replace_all("### Profile `grinder`", "### Profile grinder")),
    "mixed prefixes": ("profiles", _replace_line("| A-03 |", "A-03", "T-99")),
    "dropped deviation": ("profiles", _replace_all("gh-155233", "gh-1")),
    "policy users": (
        "policies",
        _replace_line("| `GiveUp.BREAK_ALL` |", "`threading`, `multiprocessing`", "`threading`"),
    ),
    "missing policy value": (
        "policies",
        _replace_line("| `Newcomer.BLOCK` |", "Newcomer.BLOCK", "Newcomer.BLOCKS"),
    ),
    "missing invariant": (
        "invariants",
        _replace_line("| `fixed_parties` |", "`fixed_parties`", "`fixed_party`"),
    ),
    "invariant users": (
        "invariants",
        _replace_line("| `members_are_parties` |", "`grinder`", "all"),
    ),
    "invariant kind": (
        "invariants",
        _replace_line("| `broken_is_sticky` |", "| transition |", "| state |"),
    ),
    "wrong handler": ("events", _replace_line("| `Enter` |", "on_enter", "on_wait")),
    "missing status": ("vocabulary", _replace_all("`DEAD`", "`Dead`")),
    "bound default": ("bounds", _replace_line("| `rounds` |", "| 2 |", "| 3 |")),
    "missing bound": ("bounds", _replace_line("| `joins` |", "`joins`", "`join`")),
    "missing instruction": (
        "input space",
        _replace_line("| `zero-wait` |", "`zero-wait`", "zero-wait"),
    ),
    "unknown instruction": (
        "input space",
        _replace_line("| `long-wait` |", "`long-wait`", "`longer-wait`"),
    ),
    "switch default": ("input space", _replace_line("| `max_parties` |", "| 6 |", "| 5 |")),
    "missing switch": (
        "input space",
        _replace_line("| `action_absent` |", "`action_absent`", "`no_action`"),
    ),
}


@pytest.mark.parametrize("drift", sorted(DRIFTS))
def test_each_check_reports_drift(doc: str, drift: str) -> None:
    check, mutate = DRIFTS[drift]
    assert CHECKS[check](mutate(doc)) != []
