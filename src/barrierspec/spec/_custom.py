"""Custom contracts without writing Python: policy values over a base profile.

A custom profile is a built-in profile (its *base*) with some axes of its
:class:`~barrierspec.spec.Policies` set to other existing values. It can be stated

* on the command line: ``--profile threading --policy give_up=withdraw`` (repeatable);
* in the project's ``pyproject.toml``, as a named profile usable wherever a profile name is::

      [tool.barrierspec.profiles.my-barrier]
      base = "threading"
      summary = "my barrier: a timeout withdraws the waiter"   # optional
      give_up = "withdraw"
      newcomer = "block"

An axis is named as the field of ``Policies`` (``give_up``; ``give-up`` is accepted too), a
value as the enum's value (``withdraw``) or name (``WITHDRAW``). The custom profile keeps the
base's deviations and documented hang: those describe the standard library's barriers, and the
conformance suite reports them only for the standard library's own factories.

``pyproject.toml`` is the first one found from the current directory upward (the project
root, as pytest and the CLI see it). A name of a built-in profile cannot be redefined there.
"""

from __future__ import annotations

import argparse
import enum
import pathlib
import tomllib
import typing
from collections.abc import Iterable, Mapping

import attrs

from barrierspec.errors import UsageError
from barrierspec.spec._policies import PROFILES, Policies, Profile

__all__ = [
    "AXES",
    "add_policy_argument",
    "customise",
    "is_builtin",
    "parse_assignment",
    "project_profiles",
    "resolve_profile",
]

# axis name -> the enum of its values, read from the fields of Policies (one source).
AXES: dict[str, type[enum.Enum]] = dict(typing.get_type_hints(Policies))

_META_KEYS = frozenset({"base", "summary"})


def _axis(name: str) -> str:
    """The ``Policies`` field called ``name`` (dashes read as underscores)."""
    key = name.strip().replace("-", "_")
    if key not in AXES:
        raise UsageError(f"unknown policy axis {name!r}: choose one of {', '.join(AXES)}")
    return key


def _value(axis: str, text: str) -> enum.Enum:
    """The value of ``axis`` spelled ``text`` (the enum's value, or its name in any case)."""
    kind = AXES[axis]
    for member in kind:
        if text.strip() in (member.value, member.name) or text.strip().upper() == member.name:
            return member
    valid = ", ".join(str(m.value) for m in kind)
    raise UsageError(f"policy {axis}: unknown value {text!r}: choose one of {valid}")


def parse_assignment(text: str) -> tuple[str, str]:
    """Split ``AXIS=VALUE`` (a ``--policy`` argument) into its axis and value texts."""
    axis, sep, value = text.partition("=")
    if not sep or not axis.strip() or not value.strip():
        raise UsageError(f"--policy takes AXIS=VALUE (e.g. give_up=withdraw), got {text!r}")
    return axis, value


def customise(base: Profile, values: Mapping[str, str], *, name: str | None = None) -> Profile:
    """``base`` with each axis in ``values`` set to the value named there.

    The name defaults to the base's followed by the assignments (``threading+give_up=withdraw``).
    """
    if not values:
        return base if name is None else attrs.evolve(base, name=name)
    chosen = {_axis(axis): _value(_axis(axis), str(text)) for axis, text in values.items()}
    policies = attrs.evolve(base.policies, **chosen)  # type: ignore[arg-type]
    spelled = "+".join(f"{axis}={member.value}" for axis, member in chosen.items())
    return attrs.evolve(
        base,
        name=name or f"{base.name}+{spelled}",
        summary=f"{base.summary}; custom: {spelled}",
        policies=policies,
    )


def _find_pyproject(start: pathlib.Path) -> pathlib.Path | None:
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def _table_profile(name: str, table: object, source: pathlib.Path) -> Profile:
    where = f"{source} [tool.barrierspec.profiles.{name}]"
    if not isinstance(table, dict):
        raise UsageError(f"{where}: a profile is a table with a 'base' and policy values")
    if name in PROFILES:
        raise UsageError(f"{where}: {name!r} is a built-in profile; choose another name")
    base_name = table.get("base")
    if base_name not in PROFILES:
        known = ", ".join(sorted(PROFILES))
        raise UsageError(
            f"{where}: 'base' must name a built-in profile ({known}), got {base_name!r}"
        )
    values = {k: v for k, v in table.items() if k not in _META_KEYS}
    for key, value in values.items():
        if not isinstance(value, str):
            raise UsageError(f"{where}: {key} must be a string, got {value!r}")
    try:
        profile = customise(PROFILES[base_name], values, name=name)
    except UsageError as error:
        raise UsageError(f"{where}: {error}") from None
    summary = table.get("summary")
    return attrs.evolve(profile, summary=summary) if isinstance(summary, str) else profile


def project_profiles(start: pathlib.Path | None = None) -> dict[str, Profile]:
    """The named profiles of the nearest ``pyproject.toml`` at or above ``start`` (cwd)."""
    source = _find_pyproject((start or pathlib.Path.cwd()).resolve())
    if source is None:
        return {}
    try:
        document = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise UsageError(f"cannot read the profiles of {source}: {error}") from None
    tables = document.get("tool", {}).get("barrierspec", {}).get("profiles", {})
    if not isinstance(tables, dict):
        raise UsageError(f"{source}: [tool.barrierspec.profiles] must be a table of tables")
    return {name: _table_profile(name, table, source) for name, table in tables.items()}


def resolve_profile(
    wanted: str | Profile,
    policies: Iterable[str] = (),
    *,
    start: pathlib.Path | None = None,
) -> Profile:
    """The profile ``wanted`` names (built-in, else ``pyproject.toml``), with ``policies``.

    ``policies`` are ``AXIS=VALUE`` texts applied over it; a later one wins on the same axis.
    A name may carry them itself, as a custom profile's name spells them
    (``threading+give_up=withdraw``), so that the name of every custom profile resolves back
    to it (a supervised check sends its profile to the worker by name).
    """
    if isinstance(wanted, str) and "+" in wanted:
        wanted, *spelled = wanted.split("+")
        policies = [*spelled, *policies]
    if isinstance(wanted, Profile):
        profile = wanted
    elif wanted in PROFILES:
        profile = PROFILES[wanted]
    else:
        custom = project_profiles(start)
        if wanted not in custom:
            known = ", ".join([*sorted(PROFILES), *sorted(custom)])
            raise UsageError(
                f"unknown profile {wanted!r}: choose one of {known} "
                "(or define it in pyproject.toml under [tool.barrierspec.profiles])"
            )
        profile = custom[wanted]
    values = dict(parse_assignment(text) for text in policies)
    return customise(profile, values)


def is_builtin(profile: Profile) -> bool:
    """Whether ``profile`` is one of the built-in profiles, unchanged."""
    return PROFILES.get(profile.name) == profile


def add_policy_argument(parser: argparse.ArgumentParser) -> None:
    """The ``--policy AXIS=VALUE`` option shared by ``check``, ``explore`` and ``prove``."""
    axes = "; ".join(
        f"{axis}: {'|'.join(str(m.value) for m in kind)}" for axis, kind in AXES.items()
    )
    parser.add_argument(
        "--policy",
        action="append",
        default=[],
        metavar="AXIS=VALUE",
        help=f"set one policy of the profile to another value (repeatable); {axes}",
    )
