"""Schema validation: the compiled validator that runs first accepts exactly what the reference
validator (jsonschema, whose messages are shown) accepts, so a large inventory is judged in a
fraction of a second without changing what nhiscan accepts or what it says about a bad file."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.synthetic import build
from scanner.errors import InputError
from scanner.inventory_io import inventory_document
from scanner.loading import is_valid, schema_errors, validate
from scanner.serialize import dumps

_TIMES = [
    "2026-11-01T00:00:00Z",
    "2026-11-01T00:00Z",
    "2026-02-30T00:00:00Z",
    "2026-11-01T25:00:00Z",
    "2026-11-01T00:00:00.5+01:00",
    "2026-11-01 00:00:00Z",
    "2026-11-01T00:00:60Z",
    "20261101T000000Z",
]
_WORDS = [
    "",
    "aws",
    "azure",
    "gcp",
    "manifest",
    "user",
    "role",
    "policy",
    "access_key",
    "complete",
    "1.0",
    "2.0",
    "x",
    "arn:aws:iam::111111111111:role/r",
    *_TIMES,
]
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([0.5, 1.0, -1.0]),
    st.sampled_from(_WORDS),
    st.text(st.characters(blacklist_characters="\n", blacklist_categories=("Cs",)), max_size=6),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(_WORDS), inner, max_size=3),
    max_leaves=6,
)


@pytest.fixture(scope="module")
def synthetic_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(dumps(inventory_document(build(8, seed=3))))
    return document


def _places(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``value``, the value itself included."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _places(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _places(item, (*path, index))
    return found


def _changed(document: dict[str, Any], path: tuple[Any, ...], action: str, value: Any) -> Any:
    changed = copy.deepcopy(document)
    if not path:
        return value
    parent = changed
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if action == "remove":
        del parent[last]
    elif action == "add" and isinstance(parent[last], dict):
        parent[last]["unexpected" if value is None else str(value)[:8]] = value
    else:
        parent[last] = value
    return changed


def test_a_valid_inventory_is_valid_for_both(synthetic_document: dict[str, Any]) -> None:
    assert is_valid(synthetic_document, "inventory")
    assert schema_errors(synthetic_document, "inventory") is None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_both_validators_judge_every_changed_inventory_alike(synthetic_document: dict[str, Any], data: Any) -> None:
    places = _places(synthetic_document)
    path = data.draw(st.sampled_from(places))
    action = data.draw(st.sampled_from(["replace", "remove", "add"] if path else ["replace"]))
    changed = _changed(synthetic_document, path, action, data.draw(st.sampled_from(_TIMES) | _VALUES))
    assert is_valid(changed, "inventory") == (schema_errors(changed, "inventory") is None)


@pytest.mark.parametrize(
    ("change", "message", "where"),
    [
        (lambda d: d["identities"][0].update(kind="robot"), "is not one of", "$.identities[0].kind"),
        (lambda d: d["credentials"][1].pop("kind"), "'kind' is a required property", "$.credentials[1]"),
        (lambda d: d["grants"][0].update(actions="s3:*"), "is not of type 'array'", "$.grants[0].actions"),
        (
            lambda d: d["identities"][2].update(created="2026-02-30T00:00:00Z"),
            "is not a 'date-time'",
            "$.identities[2].created",
        ),
    ],
)
def test_an_invalid_inventory_names_the_reference_validators_error(
    synthetic_document: dict[str, Any], change: Any, message: str, where: str
) -> None:
    document = copy.deepcopy(synthetic_document)
    change(document)
    with pytest.raises(InputError) as raised:
        validate(document, "inventory", Path("inv.json"))
    assert message in raised.value.detail
    assert raised.value.location == where


def test_a_pattern_the_validators_read_differently_is_refused_naming_the_rule(
    synthetic_document: dict[str, Any],
) -> None:
    """Python's "$" also matches before a final newline; the compiled validator's does not. Such a
    value is refused, naming the rule and the place without echoing the value."""
    document = copy.deepcopy(synthetic_document)
    document["schema_version"] = "1.0\n"
    with pytest.raises(InputError) as raised:
        validate(document, "inventory", Path("inv.json"))
    assert raised.value.detail == "the value breaks the schema's pattern rule"
    assert raised.value.location == "$.schema_version"


def test_a_value_json_cannot_hold_is_judged_by_the_reference_validator() -> None:
    """YAML can hold bytes (!!binary); the compiled validator cannot read them, jsonschema can."""
    with pytest.raises(InputError) as raised:
        waiver = {"control": b"NHI", "resource": "r", "owner": "o", "reason": "r", "expires": "2026-12-01"}
        validate({"waivers": [waiver]}, "waivers", Path("w.yaml"))
    assert raised.value.location == "$.waivers[0].control"
