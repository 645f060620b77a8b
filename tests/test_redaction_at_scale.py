"""Redacting a large inventory: records' strings are searched many at a time for anything that may
be a secret, and the result is exactly what redacting each string on its own gives."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.model import PERMISSION_ATTRIBUTES, Credential, Grant, Identity, Inventory, SourceError, SourceStatus
from scanner.redact import (
    _UIDS,
    REDACTED,
    _field_names,
    _keep_uids_apart,
    _names_or_holds_a_secret,
    _redacted_uid,
    redact_inventory,
    redact_text,
    redact_value,
)

_PIECES = [
    "svc-",
    "role/app",
    "password=hunter2hunter2",
    "https://deploy:s3cr3tpassw0rd@git.example.com/x",
    "sk-" + "a1B2" * 10,
    "Bearer abcdefghijklmnop",
    "--token abc123def456",
    '{"secret": "value123"}',
    "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
    "\x00",
    "\ud800",
    "é",
    "=",
    "-",
    "x" * 9,
    "s3://b",  # user-info's "://" with no "/" after it, then an "@" in a later text of the list
    "ops@",
]
_TEXT = st.lists(st.sampled_from(_PIECES), max_size=4).map("".join)
_ATTRIBUTES = st.dictionaries(_TEXT, _TEXT | st.lists(_TEXT, max_size=2), max_size=2)


@st.composite
def _inventories(draw: Any) -> Inventory:
    identities = [
        Identity(
            uid=draw(_TEXT) + str(n),
            provider="aws",
            account=draw(_TEXT),
            kind="role",
            name=draw(_TEXT),
            owner=draw(_TEXT),
            tags=draw(st.dictionaries(_TEXT, _TEXT, max_size=2)),
            attributes=draw(_ATTRIBUTES),
        )
        for n in range(draw(st.integers(0, 6)))
    ]
    credentials = [
        Credential(uid=draw(_TEXT), identity_uid=draw(_TEXT), kind="access_key", attributes=draw(_ATTRIBUTES))
        for _ in range(draw(st.integers(0, 4)))
    ]
    grants = [
        Grant(
            identity_uid=draw(_TEXT),
            kind="policy",
            name=draw(_TEXT),
            actions=draw(st.lists(_TEXT, min_size=1, max_size=3)),
            resources=draw(st.lists(_TEXT, min_size=1, max_size=3)),
            source=draw(_TEXT),
            # a hand-written inventory may put an object in an attribute's list
            attributes={"not_actions": draw(st.lists(_TEXT | _ATTRIBUTES, max_size=3)), "note": draw(_TEXT)},
        )
        for _ in range(draw(st.integers(0, 4)))
    ]
    sources = [SourceStatus(name="aws", account=draw(_TEXT), errors=[SourceError(call="c", message=draw(_TEXT))])]
    return Inventory(
        datetime(2026, 11, 1, tzinfo=UTC),
        identities=identities,
        credentials=credentials,
        grants=grants,
        sources=sources,
    )


def _redacted_one_by_one(inventory: Inventory) -> Inventory:
    """The definition: each string field of 8 characters or more through redact_text (a uid, and a
    field naming a record by its uid, with its name read apart), each list, dict or nested record
    through redact_value; uids that are one once redacted told apart by their order."""
    changed = []
    for name in ("accounts", "identities", "credentials", "grants", "agents", "log_sources", "sources"):
        for record in getattr(inventory, name):
            if isinstance(record, Grant):  # its own step: the attributes' action lists are not walked with the rest
                _permissions_redacted_one_by_one(record)
            for field in _field_names(type(record)):
                value = getattr(record, field)
                if isinstance(value, str):
                    if len(value) >= 8:
                        redacted = _redacted_uid(value) if field in _UIDS else redact_text(value)
                        setattr(record, field, redacted)
                        if field in _UIDS and redacted != value:
                            changed.append((record, field, value, redacted))
                elif isinstance(record, Grant) and field == "attributes":  # its action lists are held out
                    held = {key: value[key] for key in PERMISSION_ATTRIBUTES if isinstance(value.get(key), list)}
                    value.update({key: [] for key in held})
                    redact_value(value)
                    value.update(held)
                elif value:
                    redact_value(value)
    _keep_uids_apart(changed)
    return inventory


def _permissions_redacted_one_by_one(grant: Grant) -> None:
    """A grant's actions and resources, and the action lists its attributes hold: each string
    through redact_text, and a list that changed unknown (the attributes' lists count as actions)."""
    lists = [("actions", grant.actions, "actions"), ("resources", grant.resources, "resources")]
    lists += [(key, grant.attributes[key], "actions") for key in PERMISSION_ATTRIBUTES
              if isinstance(grant.attributes.get(key), list)]  # fmt: skip
    for _, listed, unknown in lists:  # each that may name or hold a secret (a narrower test than _MAYBE)
        redacted = [redact_text(item) if isinstance(item, str) and _names_or_holds_a_secret(item)
                    else redact_value(copy.deepcopy(item)) if isinstance(item, dict | list) else item
                    for item in listed]  # fmt: skip
        if redacted != listed:
            listed[:] = redacted
            if unknown not in grant.unknown:
                grant.unknown.append(unknown)


@settings(max_examples=300, deadline=None)
@given(inventory=_inventories())
def test_redacting_records_together_equals_redacting_each_string(inventory: Inventory) -> None:
    expected = _redacted_one_by_one(copy.deepcopy(inventory))
    assert redact_inventory(inventory) == expected


def test_one_secret_among_thousands_of_plain_records_is_redacted() -> None:
    identities = [Identity(uid=f"u{n}", provider="aws", account="a", kind="role", name=f"n{n}") for n in range(5000)]
    identities[4321].owner = "https://deploy:s3cr3tpassw0rd@git.example.com/x"
    inventory = redact_inventory(Inventory(datetime(2026, 11, 1, tzinfo=UTC), identities=identities))
    assert inventory.identities[4321].owner == f"https://{REDACTED}@git.example.com/x"
    assert inventory.identities[4320].name == "n4320"


def test_a_secret_between_a_url_and_an_address_in_one_list_is_redacted() -> None:
    """Searched as one text joined by NUL, "s3://bucket" and the "@" of a later text read as
    user-info around the token between them: the three were taken for one text, none of them a
    list's, and the token was kept."""
    grant = Grant(identity_uid="r", kind="policy", name="p", actions=["s3:GetObject"], source="inline",
                  resources=["s3://bucket", "arn:x:token=abcd1234efgh5678", "ops@example.com"])  # fmt: skip
    (redacted,) = redact_inventory(Inventory(datetime(2026, 11, 1, tzinfo=UTC), grants=[grant])).grants
    assert redacted.resources == ["s3://bucket", f"arn:x:token={REDACTED}", "ops@example.com"]
    assert "resources" in redacted.unknown


def test_an_object_in_a_grant_s_action_list_is_redacted() -> None:
    grant = Grant(identity_uid="r", kind="policy", name="p", actions=["s3:GetObject"], source="inline",
                  attributes={"not_actions": [{"password": "hunter2hunter2"}, ["token=abcd1234efgh5678"]]})  # fmt: skip
    (redacted,) = redact_inventory(Inventory(datetime(2026, 11, 1, tzinfo=UTC), grants=[grant])).grants
    assert redacted.attributes["not_actions"] == [{"password": REDACTED}, [f"token={REDACTED}"]]
    assert "actions" in redacted.unknown
