"""Inventory snapshots: write them for archiving, read them back for offline evaluation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scanner.errors import InputError, ReportError
from scanner.fsutil import write_atomic_pieces
from scanner.gc_pause import FREEZE_FROM_FINDINGS, collector_paused
from scanner.loading import MAX_DEPTH, is_valid, nested_deeper_than, read_json, too_deeply_nested, validate
from scanner.model import INVENTORY_SCHEMA_VERSION, RECORD_TYPES, Inventory
from scanner.omitted_evidence import mark_omitted_evidence
from scanner.serialize import document_pieces, dumps_document, from_dict


def inventory_from_data(data: object, path: Path, valid: bool = False, consume: bool = False) -> Inventory:
    """``valid``: the compiled validator has already accepted ``data`` against the schema.
    ``consume``: ``data`` is the caller's own parse, and each record is taken out of it once
    converted, so the parsed document and the model are never both held whole."""
    if not isinstance(data, dict):
        raise InputError("not an nhiscan inventory (expected a JSON object)", str(path), "$")
    version = data.get("schema_version")
    if isinstance(version, str) and version.split(".")[0] != INVENTORY_SCHEMA_VERSION.split(".")[0]:
        raise InputError(
            f"inventory schema_version {version} is not supported (this nhiscan reads "
            f"{INVENTORY_SCHEMA_VERSION.split('.')[0]}.x)",
            str(path),
            "$.schema_version",
        )
    if not valid:
        validate(data, "inventory", path)
    _refuse_duplicate_uids(data, path)
    try:
        return _consumed(data) if consume else from_dict(Inventory, data)
    except (ValueError, OverflowError) as exc:  # a time the schema's pattern admits but no calendar has
        raise InputError(f"unreadable value: {exc}", str(path)) from None


def _consumed(data: dict[str, Any]) -> Inventory:
    """The Inventory of a parsed (and checked) document, each record taken out of ``data`` as its
    model record is made, so the two are never held whole at once."""
    sections = {section: data.pop(section) for section in RECORD_SECTIONS if section in data}
    inventory = from_dict(Inventory, data)
    for section, records in sections.items():
        record_type = RECORD_TYPES[section]
        records.reverse()  # taken from the end, each parsed record is freed as its model record is made
        take = records.pop
        setattr(inventory, section, [from_dict(record_type, take()) for _ in range(len(records))])
    return inventory


# Records findings are about, by uid; identities and agents share one namespace (both hold credentials
# and grants). Grants are named by holder, kind and name, so a duplicate is one grant twice. Accounts
# are left out: two sources reading one account each record it, and the first record stands.
UID_NAMESPACES = (("identities", "agents"), ("credentials",), ("grants",), ("log_sources",))


def _refuse_duplicate_uids(data: dict[str, Any], path: Path) -> None:
    """Two records with one uid would share findings, fingerprints and waivers: refuse, naming both."""
    for sections in UID_NAMESPACES:
        uids = [uid for section in sections for record in data.get(section) or [] if (uid := _uid(section, record))]
        if len(set(uids)) == len(uids):
            continue  # the usual case; otherwise the records are walked again to name the two
        seen: dict[str, str] = {}
        for section in sections:
            for index, record in enumerate(data.get(section) or []):
                uid = _uid(section, record)
                if not uid:
                    continue
                where = f"$.{section}[{index}]"
                if uid in seen:
                    raise InputError(f"duplicate uid {uid!r} at {seen[uid]} and {where}", str(path), where)
                seen[uid] = where


def load_inventory(path: Path) -> Inventory:
    """The inventory in a JSON file (a large one laid out as nhiscan writes it read a line at a
    time: see ``inventory_lines``). Its nesting is checked once the schema has been: the schema
    bounds the depth of every value but the records' attributes, so a valid document's attributes
    are all that needs walking; a document the schema refuses is walked whole first, so that too
    deep a document is named as such before any schema error, as for every JSON file."""
    # imported here: inventory_lines reads through results_lines, which imports this module
    from scanner.inventory_lines import streamed_inventory_data

    with collector_paused() as pause:  # millions of parsed values and records, none in a cycle
        streamed = streamed_inventory_data(path)
        data = streamed if streamed is not None else read_json(path, check_nesting=False)
        valid = is_valid(data, "inventory")
        if nested_deeper_than(data, MAX_DEPTH) if not valid else _attributes_nested_too_deep(data):
            raise too_deeply_nested(path)
        if valid:
            mark_omitted_evidence(data)
        inventory = inventory_from_data(data, path, valid, consume=True)
        # a large estate's records live as long as the scan: the collector's first pass after the
        # pause would walk every one of them (about 2 s at 300,000 identities)
        pause.freeze = sum(len(getattr(inventory, section)) for section in RECORD_SECTIONS) >= FREEZE_FROM_FINDINGS
        return inventory


# Where records sit: $ > section > record, so a record's attributes are nested three levels deep
RECORD_SECTIONS = ("accounts", "identities", "credentials", "grants", "agents", "log_sources")
_ATTRIBUTES_DEPTH = 3


def _attributes_nested_too_deep(data: dict[str, Any]) -> bool:
    limit = MAX_DEPTH - _ATTRIBUTES_DEPTH
    return any(
        record.get("attributes") and nested_deeper_than(record["attributes"], limit)
        for section in RECORD_SECTIONS
        for record in data.get(section) or ()
    )


def inventory_document(inventory: Inventory) -> dict[str, Any]:
    return {name: getattr(inventory, name) for name in _DOCUMENT_FIELDS}


def inventory_to_json(inventory: Inventory) -> str:
    return dumps_document(inventory_document(inventory))


_DOCUMENT_FIELDS = (
    "schema_version",
    "collected_at",
    "accounts",
    "identities",
    "credentials",
    "grants",
    "agents",
    "log_sources",
    "sources",
)


def shared_record_lists(inventory: Inventory, reported: Inventory) -> list[list[Any]]:
    """The record lists inventory.json and results.json's inventory (``reported``) both write: the
    same list objects (all but the grants, which reports filter)."""
    return [
        records
        for section in (*RECORD_SECTIONS, "sources")
        if (records := getattr(reported, section)) is getattr(inventory, section)
    ]


def save_inventory(inventory: Inventory, path: Path) -> None:
    try:
        write_atomic_pieces(path, document_pieces(inventory_document(inventory)))
    except OSError as exc:
        raise ReportError(f"{path}: cannot write: {exc.strerror or exc}") from None


def _uid(section: str, record: Any) -> str | None:
    if not isinstance(record, dict):
        return None
    if section == "grants" and not record.get("uid"):  # derived as the model derives it
        return f"{record.get('identity_uid')}#{record.get('kind')}:{record.get('name')}"
    uid = record.get("uid")
    return str(uid) if uid else None
