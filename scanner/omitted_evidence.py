"""What an inventory file leaves out was not collected.

nhiscan writes every section of an inventory and every field of every record. A file that leaves
one out was written by a person or another tool that did not know it, so what is left out is named
unknown instead of being read as the model's default (no interactive log-in, logs kept for ever, a
key active, an account without agents, every account read completely).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from scanner.model import RECORD_TYPES

# The fields controls read as evidence, by section. Descriptive fields (name, kind, platform, scope,
# source) keep their defaults.
OMITTED_IS_UNKNOWN: dict[str, tuple[str, ...]] = {
    "accounts": ("environment", "tags"),
    "identities": ("owner", "tags", "created", "last_used", "interactive"),
    "credentials": ("created", "expires", "last_used", "last_rotated", "active", "managed_by_provider"),
    "grants": ("actions", "resources"),
    "agents": (
        "runs_as",
        "owner",
        "guardrail",
        "human_approval",
        "memory_enabled",
        "memory_retention_days",
        "created",
        "tags",
    ),
    "log_sources": ("enabled", "covers", "retention_days"),
}
_RECORD_KEYS = {section: len(dataclasses.fields(RECORD_TYPES[section])) for section in OMITTED_IS_UNKNOWN}

# A record section left out, and what each holder then does not know: (holding section, its marker)
_SECTION_HOLDERS: dict[str, tuple[tuple[str, str], ...]] = {
    "identities": (("accounts", "identities"),),
    "agents": (("accounts", "agents"),),
    "log_sources": (("accounts", "log_sources"),),
    "credentials": (("identities", "credentials"), ("agents", "credentials")),
    "grants": (("identities", "grants"), ("agents", "tools")),
}
NO_SOURCES = "the inventory file has no sources section: how completely this account was read is not known"
NO_ACCOUNTS = "the inventory file has no accounts section: this account, which its records name, was not described"


def mark_omitted_evidence(data: dict[str, Any]) -> None:
    """Names in each record's ``unknown`` the evidence fields it leaves out, and in each holder's the
    sections left out; an account of a file without a sources section is read partially, and so is
    each account the records of a file without an accounts section name. ``data`` is a valid
    inventory document."""
    for section, evidence in OMITTED_IS_UNKNOWN.items():
        every_key = _RECORD_KEYS[section]
        for record in data.get(section) or ():
            if len(record) == every_key:  # as nhiscan writes it: nothing left out
                continue
            _mark(record, [name for name in evidence if name not in record])
    for section, holders in _SECTION_HOLDERS.items():
        if section not in data:
            for holding, marker in holders:
                for record in data.get(holding) or ():
                    _mark(record, [marker])
    if "accounts" not in data:  # the accounts its records name were not described: none is judged
        named = {str(r["account"]) for s in ("identities", "agents", "log_sources") for r in data.get(s) or ()}
        data["sources"] = [*(data.get("sources") or ()), *(_partial(uid, NO_ACCOUNTS) for uid in sorted(named))]
    if "sources" not in data:
        data["sources"] = [_partial(account["uid"], NO_SOURCES) for account in data.get("accounts") or ()]


def _partial(account: str, why: str) -> dict[str, Any]:
    return {
        "name": "inventory",
        "account": account,
        "status": "partial",
        "errors": [
            {"call": "read " + ("sources" if why == NO_SOURCES else "accounts"), "message": why, "code": "format"}
        ],
    }


def _mark(record: dict[str, Any], names: list[str]) -> None:
    if names:
        unknown = record.setdefault("unknown", [])
        unknown.extend(name for name in names if name not in unknown)
