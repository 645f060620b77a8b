"""Building model records from JSON-ready dicts (serialize.from_dict): every field read, times
parsed, defaults filled in, and a record that lacks a required field refused as the model refuses it."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from scanner import model
from scanner.serialize import dumps, from_dict


def _is_plain(field: dataclasses.Field[object]) -> bool:
    """A field whose JSON value is used as it is: not a time, not a record, not a list of records."""
    hint = str(field.type)
    return "datetime" not in hint and "list[" not in hint and not hint[:1].isupper()


def _required(field: dataclasses.Field[object]) -> bool:
    return field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING


# the model's classes whose required fields are all plain values
PLAIN_MODEL_CLASSES = [
    cls
    for cls in vars(model).values()
    if isinstance(cls, type)
    and dataclasses.is_dataclass(cls)
    and cls.__module__ == model.__name__
    and all(_is_plain(f) for f in dataclasses.fields(cls) if f.init and _required(f))
]


def _credential(**given: object) -> dict[str, object]:
    return {"uid": "aws:1:user/a#key1", "identity_uid": "aws:1:user/a", "kind": "access_key", **given}


def test_a_written_record_reads_back_equal() -> None:
    credential = model.Credential(
        uid="aws:1:user/a#key1",
        identity_uid="aws:1:user/a",
        kind="access_key",
        created=datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),
        last_used=datetime(2024, 2, 1, tzinfo=timezone(timedelta(hours=2))),
        active=False,
        attributes={"status": "Inactive", "nested": {"list": [1, 2]}},
        unknown=["x"],
    )
    read = from_dict(model.Credential, json.loads(dumps(credential)))
    assert read == credential
    assert read.last_used is not None and read.last_used.utcoffset() == timedelta(0)  # written in UTC


def test_fields_left_out_take_the_models_defaults_each_a_fresh_object() -> None:
    first = from_dict(model.Credential, _credential())
    second = from_dict(model.Credential, _credential())
    assert first == model.Credential(uid="aws:1:user/a#key1", identity_uid="aws:1:user/a", kind="access_key")
    assert first.attributes is not second.attributes
    assert first.unknown is not second.unknown


def test_a_time_given_as_null_stays_null_and_a_time_without_zone_is_utc() -> None:
    read = from_dict(model.Credential, _credential(created=None, last_used="2024-03-01T10:00:00"))
    assert read.created is None
    assert read.last_used == datetime(2024, 3, 1, 10, tzinfo=UTC)


def test_a_key_the_model_does_not_have_is_passed_over() -> None:
    assert from_dict(model.Credential, _credential(surplus=1)) == from_dict(model.Credential, _credential())


def test_nested_records_and_lists_of_records_are_built_too() -> None:
    inventory = from_dict(
        model.Inventory,
        {"collected_at": "2024-01-01T00:00:00Z", "credentials": [_credential(created="2023-05-06T07:08:09Z")]},
    )
    assert isinstance(inventory.credentials[0], model.Credential)
    assert inventory.credentials[0].created == datetime(2023, 5, 6, 7, 8, 9, tzinfo=UTC)


def test_a_record_missing_a_required_field_is_refused_as_the_model_refuses_it() -> None:
    with pytest.raises(TypeError, match="identity_uid"):
        from_dict(model.Credential, {"uid": "aws:1:user/a#key1", "kind": "access_key"})


@pytest.mark.parametrize("cls", PLAIN_MODEL_CLASSES, ids=lambda cls: cls.__name__)
def test_every_plain_field_is_read_into_itself(cls: type) -> None:
    """Each plain field given a value of its own is read into that field and no other."""
    data = {f.name: f"value of {f.name}" for f in dataclasses.fields(cls) if f.init and _is_plain(f)}
    read = from_dict(cls, data)
    for name, value in data.items():
        assert getattr(read, name) == value


def test_most_model_classes_are_covered_field_for_field() -> None:
    assert {cls.__name__ for cls in PLAIN_MODEL_CLASSES} >= {"Account", "Identity", "Credential", "Grant", "Agent"}
