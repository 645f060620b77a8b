"""The inventory round-trips through JSON and is validated against its schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scanner.errors import InputError
from scanner.inventory_io import inventory_from_data, inventory_to_json, load_inventory
from scanner.model import (
    Account,
    Agent,
    Credential,
    Grant,
    Identity,
    Inventory,
    LogSource,
    SourceError,
    SourceStatus,
)

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20)
times = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC))
maybe_time = st.one_of(st.none(), times)
tag_map = st.dictionaries(text, text, max_size=3)
attributes = st.dictionaries(
    text, st.one_of(st.integers(), text, st.booleans(), st.lists(text, max_size=2)), max_size=3
)
provider = st.sampled_from(["aws", "azure", "gcp", "manifest"])

identities = st.builds(
    Identity,
    uid=text,
    provider=provider,
    account=text,
    kind=st.sampled_from(["user", "role", "service_principal", "managed_identity", "service_account"]),
    name=text,
    owner=st.one_of(st.none(), text),
    tags=tag_map,
    created=maybe_time,
    last_used=maybe_time,
    interactive=st.one_of(st.none(), st.booleans()),
    attributes=attributes,
    unknown=st.lists(st.sampled_from(["owner", "last_used"]), unique=True),
)
credentials = st.builds(
    Credential,
    uid=text,
    identity_uid=st.one_of(st.none(), text),
    kind=st.sampled_from(["access_key", "client_secret", "sa_key", "plaintext_secret"]),
    created=maybe_time,
    expires=maybe_time,
    last_used=maybe_time,
    last_rotated=maybe_time,
    active=st.booleans(),
    managed_by_provider=st.booleans(),
    attributes=attributes,
)
grants = st.builds(
    Grant,
    identity_uid=text,
    kind=st.sampled_from(["policy", "role", "tool"]),
    name=text,
    actions=st.lists(text, max_size=3),
    resources=st.lists(text, max_size=2),
    source=text,
)
agents = st.builds(
    Agent,
    uid=text,
    provider=provider,
    account=text,
    name=text,
    runs_as=st.one_of(st.none(), text),
    guardrail=st.one_of(st.none(), text),
    human_approval=st.one_of(st.none(), st.booleans()),
    memory_enabled=st.one_of(st.none(), st.booleans()),
    memory_retention_days=st.one_of(st.none(), st.integers(min_value=0, max_value=4000)),
)
log_sources = st.builds(
    LogSource,
    uid=text,
    provider=provider,
    account=text,
    kind=st.sampled_from(["cloudtrail", "model_invocation", "audit_config"]),
    enabled=st.booleans(),
    covers=st.lists(text, max_size=2),
    retention_days=st.one_of(st.none(), st.integers(min_value=0, max_value=9999)),
)
statuses = st.builds(
    SourceStatus,
    name=text,
    account=text,
    status=st.sampled_from(["complete", "partial", "failed"]),
    errors=st.lists(st.builds(SourceError, call=text, message=text, code=text), max_size=2),
)
inventories = st.builds(
    Inventory,
    collected_at=times,
    accounts=st.lists(st.builds(Account, uid=text, provider=provider, name=text), max_size=2),
    identities=st.lists(identities, max_size=3),
    credentials=st.lists(credentials, max_size=3),
    grants=st.lists(grants, max_size=3),
    agents=st.lists(agents, max_size=2),
    log_sources=st.lists(log_sources, max_size=2),
    sources=st.lists(statuses, max_size=2),
)


@settings(max_examples=120, deadline=None)
@given(inventories)
def test_inventories_round_trip_through_json(inventory: Inventory) -> None:
    holders = [r.uid for r in inventory.identities + inventory.agents]
    for uids in (holders, [c.uid for c in inventory.credentials], [g.uid for g in inventory.grants]):
        assume(len(set(uids)) == len(uids))  # a duplicate uid is refused (tests/test_unique_uids.py)
    assume(len({s.uid for s in inventory.log_sources}) == len(inventory.log_sources))
    restored = inventory_from_data(json.loads(inventory_to_json(inventory)), Path("<memory>"))
    assert restored == inventory


def test_the_demo_inventory_round_trips_byte_for_byte() -> None:
    from scanner.resources import demo_inventory_file

    path = demo_inventory_file()
    inventory = load_inventory(path)
    again = inventory_from_data(json.loads(inventory_to_json(inventory)), path)
    assert inventory_to_json(again) == inventory_to_json(inventory)


def minimal() -> dict:
    return {"schema_version": "1.0", "collected_at": "2026-01-01T00:00:00Z"}


@pytest.mark.parametrize(
    ("mutate", "message", "location"),
    [
        (lambda d: d.update(identities=[{"uid": "u"}]), "'provider' is a required property", "$.identities[0]"),
        (lambda d: d.update(collected_at="yesterday"), "'yesterday'", "$.collected_at"),
        (lambda d: d.update(schema_version="2.0"), "schema_version 2.0 is not supported", "$.schema_version"),
        (lambda d: d.update(surprise=True), "Additional properties", "$"),
        (
            lambda d: d.update(credentials=[{"uid": "k", "identity_uid": "u", "kind": "password123"}]),
            "is not one of",
            "$.credentials[0].kind",
        ),
    ],
)
def test_wrong_schema_inventories_name_the_json_path(mutate, message: str, location: str) -> None:
    data = minimal()
    mutate(data)
    with pytest.raises(InputError) as error:
        inventory_from_data(data, Path("snap.json"))
    assert message in error.value.detail
    assert error.value.location == location


def test_relative_times_in_a_fixture_fragment() -> None:
    from .conftest import make_inventory

    inventory = make_inventory({"identities": [{"uid": "u", "created": "-10d", "last_used": "+1d"}]})
    identity = inventory.identities[0]
    assert inventory.collected_at - identity.created == timedelta(days=10)
    assert identity.last_used - inventory.collected_at == timedelta(days=1)


@pytest.mark.parametrize("name", ["inventory", "results", "control", "framework", "capabilities", "waivers"])
def test_shipped_schemas_are_valid_and_compile(name: str) -> None:
    import jsonschema
    import jsonschema_rs

    from scanner.resources import schema_file

    schema = json.loads(schema_file(name).read_text())
    jsonschema.validators.validator_for(schema).check_schema(schema)
    jsonschema_rs.validator_for(schema, validate_formats=True)


@pytest.mark.parametrize("text", ['{"schema_version": "1.0"}', '{"schema_version": "1.0", "accounts": 3}'])
def test_an_inventory_is_read_with_the_cyclic_collector_paused_and_resumed_after(
    text: str, tmp_path: Path, monkeypatch
) -> None:
    """At the collector's default thresholds (a caller of the library; the command line raises
    them), walking millions of parsed values again and again made a 100k-identity read 7.6 s instead
    of 4.5 s; it runs again afterwards, whether the file was read or refused."""
    import contextlib
    import gc

    from scanner import inventory_io

    seen: list[bool] = []
    real_read = inventory_io.read_json

    def read_json(path: Path, check_nesting: bool = True) -> object:
        seen.append(gc.isenabled())
        return real_read(path, check_nesting)

    monkeypatch.setattr(inventory_io, "read_json", read_json)
    path = tmp_path / "inventory.json"
    path.write_text(text)
    assert gc.isenabled()
    with contextlib.suppress(InputError):
        load_inventory(path)
    assert seen == [False] and gc.isenabled()


def test_a_large_inventory_is_kept_out_of_the_collectors_later_passes(monkeypatch) -> None:
    """Its records live as long as the scan; the first collection after the read would walk them
    all (about 2 s at 300,000 identities). A small one is left to the collector."""
    import gc

    from scanner import inventory_io
    from scanner.resources import demo_inventory_file

    frozen_before = gc.get_freeze_count()
    inventory = load_inventory(demo_inventory_file())
    assert gc.get_freeze_count() == frozen_before
    records = sum(len(getattr(inventory, section)) for section in inventory_io.RECORD_SECTIONS)
    monkeypatch.setattr(inventory_io, "FREEZE_FROM_FINDINGS", records)
    try:
        load_inventory(demo_inventory_file())
        assert gc.get_freeze_count() > frozen_before
    finally:
        gc.unfreeze()


def test_merged_inventories_are_judged_at_the_later_collection_time() -> None:
    """An archived inventory scanned with a live source: judged at the archive's older time, a key the
    live source found created since would have a negative age and pass every age control."""
    from datetime import UTC, datetime

    from scanner.model import Inventory

    older, newer = datetime(2024, 1, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)
    assert Inventory(older).merge(Inventory(newer)).collected_at == newer
    assert Inventory(newer).merge(Inventory(older)).collected_at == newer
