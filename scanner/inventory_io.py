"""Inventory snapshots: write them for archiving, read them back for offline evaluation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scanner.errors import InputError, ReportError
from scanner.fsutil import write_atomic_pieces
from scanner.loading import read_json, validate
from scanner.model import INVENTORY_SCHEMA_VERSION, Inventory
from scanner.serialize import document_pieces, dumps_document, from_dict


def inventory_from_data(data: object, path: Path) -> Inventory:
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
    validate(data, "inventory", path)
    _refuse_duplicate_uids(data, path)
    try:
        return from_dict(Inventory, data)
    except (ValueError, OverflowError) as exc:  # a time the schema's pattern admits but no calendar has
        raise InputError(f"unreadable value: {exc}", str(path)) from None


# Records findings are about, by uid; identities and agents share one namespace (both hold credentials
# and grants). Grants are named by holder, kind and name, so a duplicate is one grant twice. Accounts
# are left out: two sources reading one account each record it, and the first record stands.
_UID_NAMESPACES = (("identities", "agents"), ("credentials",), ("grants",), ("log_sources",))


def _refuse_duplicate_uids(data: dict[str, Any], path: Path) -> None:
    """Two records with one uid would share findings, fingerprints and waivers: refuse, naming both."""
    for sections in _UID_NAMESPACES:
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
    return inventory_from_data(read_json(path), path)


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
