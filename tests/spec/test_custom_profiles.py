"""Custom profiles: ``--policy AXIS=VALUE`` over a base, and named profiles in pyproject.toml."""

from __future__ import annotations

import pathlib

import attrs
import pytest

from barrierspec.errors import UsageError
from barrierspec.spec import PROFILES, GiveUp, Newcomer, Policies
from barrierspec.spec._custom import (
    AXES,
    customise,
    is_builtin,
    parse_assignment,
    project_profiles,
    resolve_profile,
)


def _project(tmp_path: pathlib.Path, body: str) -> pathlib.Path:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n' + body)
    return tmp_path


def test_the_axes_are_the_fields_of_policies() -> None:
    assert list(AXES) == [field.name for field in attrs.fields(Policies)]
    assert AXES["give_up"] is GiveUp and len(AXES) == 12


def test_a_policy_over_a_base_changes_that_axis_only() -> None:
    base = PROFILES["threading"]
    custom = resolve_profile("threading", ["give-up=withdraw", "newcomer=BLOCK"])
    assert custom.name == "threading+give_up=withdraw+newcomer=block"
    assert custom.policies.give_up is GiveUp.WITHDRAW
    assert custom.policies.newcomer is Newcomer.BLOCK
    assert custom.policies.index is base.policies.index
    assert custom.deviations == base.deviations
    assert not is_builtin(custom) and is_builtin(base)
    assert resolve_profile("threading") is base
    assert resolve_profile(custom.name) == custom  # the name spells the profile


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("give_up", "--policy takes AXIS=VALUE (e.g. give_up=withdraw), got 'give_up'"),
        ("=withdraw", "--policy takes AXIS=VALUE"),
        ("colour=red", "unknown policy axis 'colour': choose one of membership, index, action"),
        (
            "give_up=sometimes",
            "policy give_up: unknown value 'sometimes': choose one of break-all, withdraw, "
            "withdraw-member",
        ),
    ],
)
def test_a_bad_policy_names_the_axis_or_value_and_the_valid_ones(text: str, message: str) -> None:
    with pytest.raises(UsageError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        resolve_profile("threading", [text])


def test_parse_assignment_keeps_the_texts() -> None:
    assert parse_assignment("newcomer = block") == ("newcomer ", " block")
    assert customise(PROFILES["asyncio"], {}) is PROFILES["asyncio"]


def test_a_named_profile_in_pyproject_is_found_by_name(tmp_path: pathlib.Path) -> None:
    root = _project(
        tmp_path,
        '[tool.barrierspec.profiles.strict-async]\nbase = "asyncio"\n'
        'summary = "asyncio, newcomers block"\nnewcomer = "block"\n',
    )
    nested = root / "src" / "pkg"
    nested.mkdir(parents=True)
    profile = resolve_profile("strict-async", start=nested)
    assert profile.name == "strict-async" and profile.summary == "asyncio, newcomers block"
    assert profile.policies.newcomer is Newcomer.BLOCK
    assert profile.policies.give_up is GiveUp.WITHDRAW  # from the base
    over = resolve_profile("strict-async", ["give_up=break-all"], start=nested)
    assert over.name == "strict-async+give_up=break-all"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('base = "threading"\n', "'threading' is a built-in profile; choose another name"),
        ('newcomer = "block"\n', "'base' must name a built-in profile"),
        ('base = "thread"\n', "'base' must name a built-in profile .* got 'thread'"),
        ('base = "threading"\nnewcomer = 3\n', "newcomer must be a string, got 3"),
        ('base = "threading"\nnewcomer = "late"\n', "policy newcomer: unknown value 'late'"),
    ],
)
def test_a_bad_named_profile_says_where_and_why(
    tmp_path: pathlib.Path, body: str, message: str
) -> None:
    name = "threading" if "built-in profile;" in message else "mine"
    _project(tmp_path, f"[tool.barrierspec.profiles.{name}]\n" + body)
    with pytest.raises(UsageError, match=rf"pyproject.toml \[tool.barrierspec.profiles.{name}\]"):
        project_profiles(tmp_path)
    with pytest.raises(UsageError, match=message):
        project_profiles(tmp_path)


def test_an_unknown_name_lists_built_in_and_project_profiles(tmp_path: pathlib.Path) -> None:
    _project(tmp_path, '[tool.barrierspec.profiles.mine]\nbase = "grinder"\n')
    with pytest.raises(
        UsageError,
        match="choose one of asyncio, asyncio-cpython, grinder, multiprocessing, "
        "multiprocessing-cpython, threading, threading-cpython, mine",
    ):
        resolve_profile("yours", start=tmp_path)


def test_no_pyproject_means_no_project_profiles(tmp_path: pathlib.Path) -> None:
    empty = tmp_path / "a"
    empty.mkdir()
    assert project_profiles(empty) == {}
    with pytest.raises(UsageError, match="unknown profile 'mine'"):
        resolve_profile("mine", start=empty)
