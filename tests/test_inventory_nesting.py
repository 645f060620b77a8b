"""An inventory file's nesting limit, checked after its schema: the schema bounds the depth of
everything but the records' attributes, so only those are walked for a valid document, and every
document is refused or accepted exactly as walking all of it would."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scanner.errors import InputError
from scanner.inventory_io import RECORD_SECTIONS, _attributes_nested_too_deep, load_inventory
from scanner.loading import MAX_DEPTH, _schema, nested_deeper_than

_FREE_FORM = {"type": "object"}


def _free_places(schema: dict[str, Any], path: str = "") -> list[str]:
    """Where the schema admits values of any depth: a schema that names no type, or an object or
    array whose members it leaves open."""
    found = []
    if not {"type", "enum", "const", "$ref", "anyOf"} & schema.keys():
        found.append(path)
    if schema.get("type") == "object" and "additionalProperties" not in schema:  # named properties or not
        found.append(path)
    if schema.get("type") == "array" and "items" not in schema:
        found.append(path)
    inner = [
        (f"{path}/{key}/{name}", sub) for key in ("properties", "$defs") for name, sub in schema.get(key, {}).items()
    ]
    inner += [(f"{path}/anyOf/{n}", sub) for n, sub in enumerate(schema.get("anyOf", []))]
    inner += [
        (f"{path}/{key}", schema[key]) for key in ("items", "additionalProperties") if isinstance(schema.get(key), dict)
    ]
    for place, sub in inner:
        found += _free_places(sub, place)
    return found


def test_the_schema_leaves_only_the_records_attributes_free() -> None:
    """What makes walking the attributes alone enough; a schema change that leaves another place
    open fails here, before a deep document could pass unwalked."""
    definitions = {
        "accounts": "account",
        "identities": "identity",
        "credentials": "credential",
        "grants": "grant",
        "agents": "agent",
        "log_sources": "log_source",
    }
    assert set(definitions) == set(RECORD_SECTIONS)
    expected = {f"/$defs/{name}/properties/attributes" for name in definitions.values()}
    assert set(_free_places(_schema("inventory"))) == expected
    schema = _schema("inventory")
    for section, name in definitions.items():
        assert schema["properties"][section]["items"] == {"$ref": f"#/$defs/{name}"}
        attributes = schema["$defs"][name]["properties"]["attributes"]
        assert attributes == _FREE_FORM or (attributes["type"] == "object" and "additionalProperties" not in attributes)


def _nested(levels: int) -> Any:
    value: Any = {}
    for _ in range(levels - 1):
        value = {"deeper": value}
    return value


def _inventory(attributes_levels: int, section: str = "credentials") -> dict[str, Any]:
    record = {"uid": "c1", "identity_uid": "u1", "kind": "access_key"}
    if section == "identities":
        record = {"uid": "u2", "provider": "aws", "account": "a", "kind": "role", "name": "r"}
    record["attributes"] = _nested(attributes_levels)
    return {"schema_version": "1.0", "collected_at": "2026-11-01T00:00:00Z", section: [record]}


@pytest.mark.parametrize("levels", range(MAX_DEPTH - 6, MAX_DEPTH + 3))
@pytest.mark.parametrize("section", ["credentials", "identities"])
def test_walking_the_attributes_decides_as_walking_everything(levels: int, section: str) -> None:
    document = _inventory(levels, section)
    assert _attributes_nested_too_deep(document) == nested_deeper_than(document, MAX_DEPTH)


def test_an_inventory_at_the_limit_loads_and_one_level_deeper_is_refused(tmp_path: Path) -> None:
    at_limit, too_deep = tmp_path / "at.json", tmp_path / "deep.json"
    at_limit.write_text(json.dumps(_inventory(MAX_DEPTH - 3)))
    too_deep.write_text(json.dumps(_inventory(MAX_DEPTH - 2)))
    assert load_inventory(at_limit).credentials[0].uid == "c1"
    with pytest.raises(InputError) as raised:
        load_inventory(too_deep)
    assert str(raised.value) == f"{too_deep}: invalid JSON: nested more than {MAX_DEPTH} levels"


def test_too_deep_is_named_before_a_schema_error(tmp_path: Path) -> None:
    document = _inventory(MAX_DEPTH)
    document["credentials"][0]["kind"] = "not a kind"
    document["unexpected"] = [[[]]]
    path = tmp_path / "inv.json"
    path.write_text(json.dumps(document))
    with pytest.raises(InputError) as raised:
        load_inventory(path)
    assert str(raised.value) == f"{path}: invalid JSON: nested more than {MAX_DEPTH} levels"
