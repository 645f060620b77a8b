"""What a scan did not read although every source of it was read completely: an account's agents
or identities its exports do not hold (no get-agent export, no authorization details), the keys of
identities a credential report does not list, the regions a scan was not asked to read. A failure
of an earlier scan whose resource lies there is not resolved by its absence: it was not looked at
(``diff.judged_since``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from scanner.model import Finding, Inventory

# an account's collection left unknown -> the types of the resources it holds
_ACCOUNT_PARTS = {
    "identities": ("identity", "credential", "grant"),
    "agents": ("agent",),
    "log_sources": ("log_source",),
}
# an identity's collection left unknown -> the type of the records it holds (uid "HOLDER#…")
_HOLDER_PARTS = {"credentials": "credential", "grants": "grant"}
_REGIONAL_ARN = re.compile(r"^arn:[\w-]+:[\w-]+:([a-z]{2}(?:-[a-z]+)+-\d+):")
_ARN_ACCOUNT = re.compile(r"^arn:[\w-]+:[\w-]+:[\w-]*:(\d{12}):")


@dataclass(slots=True)
class UnreadParts:
    types: dict[str, list[str]] = field(default_factory=dict)  # account -> resource types not read there
    regions: dict[str, list[str]] = field(default_factory=dict)  # account -> the regions read, where said
    holders: dict[str, list[str]] = field(default_factory=dict)  # "credential" | "grant" -> holders not read
    providers: dict[str, str] = field(default_factory=dict)  # account of ``types`` -> its provider

    def document(self) -> dict[str, Any]:
        return {"types": self.types, "regions": self.regions, "holders": self.holders, "providers": self.providers}


def unread_parts(inventory: Inventory) -> UnreadParts:
    parts = UnreadParts()
    for account in inventory.accounts:
        types = sorted({kind for name in account.unknown for kind in _ACCOUNT_PARTS.get(name, ())})
        if types:
            parts.types[account.uid] = types
            parts.providers[account.uid] = account.provider
        regions = account.attributes.get("regions")
        if isinstance(regions, list) and all(isinstance(r, str) for r in regions):
            parts.regions[account.uid] = sorted(regions)
    for identity in inventory.identities:
        for name, kind in _HOLDER_PARTS.items():
            if name in identity.unknown:
                parts.holders.setdefault(kind, []).append(identity.uid)
    return parts


def parts_of_document(document: Any) -> UnreadParts | None:
    """``UnreadParts.document()`` read back; None when it is not of that shape."""
    if not isinstance(document, dict):
        return None
    types, regions, holders = (document.get(name) for name in ("types", "regions", "holders"))
    providers = document.get("providers", {})  # not in a scan stored before it was written
    if not (isinstance(providers, dict) and all(isinstance(v, str) for v in providers.values())):
        return None
    if _lists_by_key(types) and _lists_by_key(regions) and _lists_by_key(holders):
        return UnreadParts(types, regions, holders, providers)
    return None


def _lists_by_key(value: Any) -> TypeGuard[dict[str, list[str]]]:
    return isinstance(value, dict) and all(
        isinstance(key, str) and isinstance(items, list) and all(isinstance(i, str) for i in items)
        for key, items in value.items()
    )


class UnreadIndex:
    """``why_not_read`` for many findings: the parts (``read``: made or read from a stored scan only
    when first asked, as a diff asks only for what it does not find in the newer scan) as sets."""

    def __init__(self, read: Callable[[], UnreadParts | None]) -> None:
        self._read: Callable[[], UnreadParts | None] | None = read
        self.types: dict[str, set[str]] = {}
        self.regions: dict[str, set[str]] = {}
        self.holders: dict[str, set[str]] = {}
        self.providers: dict[str, str] = {}

    def _load(self) -> None:
        read, self._read = self._read, None
        parts = read() if read is not None else None
        if parts is not None:
            self.types = {account: set(types) for account, types in parts.types.items()}
            self.regions = {account: set(regions) for account, regions in parts.regions.items()}
            self.holders = {kind: set(uids) for kind, uids in parts.holders.items()}
            self.providers = parts.providers

    def why_not_read(self, finding: Finding) -> str | None:
        """Why the scan could not have seen the finding's resource, or None where it could."""
        return self._why(finding.resource.uid, finding.resource.type, finding.resource.account)

    def record_not_read(self, uid: str, record_type: str, provider: str) -> bool:
        """Whether a record (of an inventory, which names no account but in an ARN) lay where the
        scan did not read. One whose uid names no account (an Azure object id, a GCP service
        account's e-mail) may lie in any account of its provider whose records of its type were
        not read (any account at all, for a scan stored before the providers were)."""
        account = _ARN_ACCOUNT.match(uid)
        if account is not None or self._why(uid, record_type, None) is not None:
            return self._why(uid, record_type, account.group(1) if account else None) is not None
        return any(
            record_type in types and self.providers.get(unread, provider) == provider
            for unread, types in self.types.items()
        )

    def _why(self, uid: str, resource_type: str, account: str | None) -> str | None:
        if self._read is not None:
            self._load()
        if account is not None and resource_type in self.types.get(account, ()):
            return f"{_plural(resource_type)} of {account} not read"
        holder = uid.partition("#")[0] if "#" in uid else None
        if holder is not None and holder in self.holders.get(resource_type, ()):
            return f"{_plural(resource_type)} of {holder} not read"
        regional = _REGIONAL_ARN.match(uid)
        read = self.regions.get(account) if account is not None else None
        if regional and read is not None and regional.group(1) not in read:
            return f"region {regional.group(1)} of {account} not read"
        return None


def _plural(resource_type: str) -> str:
    return "identities" if resource_type == "identity" else f"{resource_type}s"
