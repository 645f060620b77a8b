"""Azure exports for ``file:``: ``az ad app list``, ``az ad sp list`` (JSON arrays) and raw Graph
list responses (``{"value": [...]}``) of applications, service principals and an application's
federated identity credentials.

Also read: the legacy Azure AD Graph shape ``az ad sp list`` / ``az ad app list`` printed before
azure-cli 2.37 (``objectId`` and ``objectType`` instead of ``id``, credentials with
``startDate``/``endDate``), and Graph lists fetched with ``$select`` (the context names the
entity set, ``#servicePrincipals(id,appId,...)``, and ``servicePrincipalType`` may be absent).
Objects are merged by object id, whatever the order of the files.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.loading import validate
from scanner.model import Account, Identity, Inventory, SourceError, SourceStatus
from scanner.sources.azure import records

_APP_IN_CONTEXT = re.compile(r"applications\('([0-9a-f-]{36})'\)/federatedIdentityCredentials", re.IGNORECASE)
_APP_IN_ID = re.compile(r"Application\('([0-9a-f-]{36})'\)/federatedIdentityCredentials", re.IGNORECASE)
_ENTITY_SET = re.compile(r"#(servicePrincipals|applications)(?:\(|/|$)", re.IGNORECASE)
_LEGACY_DATES = {"startDate": "startDateTime", "endDate": "endDateTime"}


@dataclass(slots=True)
class AzureExports:
    applications: dict[str, dict[str, Any]] = field(default_factory=dict)  # object id -> application
    service_principals: dict[str, dict[str, Any]] = field(default_factory=dict)  # object id -> service principal
    federated: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # application object id -> FICs
    federated_files: dict[str, set[str]] = field(default_factory=dict)  # application object id -> files
    unattached_federated: list[str] = field(default_factory=list)  # files of FICs naming no application
    cut_pages: list[str] = field(default_factory=list)  # files holding one page of a longer list
    paged_federated: set[str] = field(default_factory=set)  # application object ids whose FICs are a page
    notes: list[str] = field(default_factory=list)  # how the same object in two exports was merged
    # file -> the ids of its objects that leave their keys out ($select, --query)
    without_credentials: dict[str, set[str]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.applications or self.service_principals or self.federated)


def read_azure_export(data: Any, exports: AzureExports, where: str = "", at: tuple[str, ...] = ()) -> bool:
    """Adds what ``data`` holds to ``exports``; False when it is not an Azure export."""
    context = ""
    items = data
    if isinstance(data, dict) and isinstance(data.get("value"), list):
        context, items, at = str(data.get("@odata.context", "")), data["value"], (*at, "value")
    if not isinstance(items, list) or not items or not isinstance(items[0], dict):
        return False
    # Graph names the next page of a list it cut (@odata.nextLink): what is on it was never exported
    cut = isinstance(data, dict) and bool(data.get("@odata.nextLink"))
    first = items[0]
    if "issuer" in first and "subject" in first:
        validate(items, "export-azure-federated", Path(where), at=at)
        match = _APP_IN_CONTEXT.search(context) or _APP_IN_ID.search(str(first.get("@odata.id", "")))
        if match:
            exports.federated.setdefault(match.group(1), []).extend(items)
            exports.federated_files.setdefault(match.group(1), set()).add(where)
            if cut:
                exports.paged_federated.add(match.group(1))
        else:
            exports.unattached_federated.append(where)
        if cut:
            exports.cut_pages.append(where)
        return True
    if "appId" not in first:
        return False
    validate(items, "export-azure-objects", Path(where), at=at)
    if cut:
        exports.cut_pages.append(where)
    entity_set = _ENTITY_SET.search(context)
    for item in (_from_aad_graph(i) for i in items):
        if _lacks_credentials(item):
            exports.without_credentials.setdefault(where, set()).add(str(item["id"]))
        if _is_service_principal(item, entity_set.group(1) if entity_set else None):
            _keep(exports.service_principals, item, exports.notes)
        else:
            _keep(exports.applications, item, exports.notes)
    return True


_CREDENTIAL_FIELDS = ("passwordCredentials", "keyCredentials")


def _keep(objects: dict[str, dict[str, Any]], item: dict[str, Any], notes: list[str]) -> None:
    """The object, merged with the same one (by id) from another export: a $select list and a
    full one, or two lists of different days. Each credential is kept once (by its keyId and
    kind); a field only one export holds is kept; where both hold a field with different
    values, the export read first (in file order) is kept and the note says so."""
    held = objects.get(item["id"])
    if held is None:
        objects[item["id"]] = item
        return
    differing = []
    for name, value in item.items():
        if name in _CREDENTIAL_FIELDS and isinstance(value, list) and isinstance(held.get(name), list):
            seen = {json.dumps(c, sort_keys=True) for c in held[name]}
            held[name] = held[name] + [c for c in value if json.dumps(c, sort_keys=True) not in seen]
        elif name not in held or held[name] is None:
            held[name] = value
        elif value is not None and value != held[name]:
            differing.append(name)
    if differing:
        notes.append(
            f"object {item['id']} is in two exports that differ in {', '.join(sorted(differing)[:5])}: "
            "the values of the export read first are kept"
        )


ROLE_ASSIGNMENTS_NOT_EXPORTED = SourceError(
    "arm:roleAssignments, graph:appRoleAssignments",
    "role assignments and application permissions are in none of these exports: what each application and "
    "service principal may do was not read (scan the tenant with the azure: source)",
    "NotExported",
)


def _not_exported(applications: bool, service_principals: bool) -> list[SourceError]:
    """What a tenant given by these exports lacks, each a named gap: always its grants, which no list
    export holds, and the list of applications (their secrets) or of service principals not given."""
    gaps = [ROLE_ASSIGNMENTS_NOT_EXPORTED]
    if not applications:
        gaps.append(SourceError(
            "graph:applications",
            "no application list among the exports: the tenant's app registrations and their secrets and "
            "certificates were not read (export them with 'az ad app list --all')",
            "NotExported",
        ))  # fmt: skip
    if not service_principals:
        gaps.append(SourceError(
            "graph:servicePrincipals",
            "no service principal list among the exports: the tenant's service principals, managed identities "
            "and their credentials were not read (export them with 'az ad sp list --all')",
            "NotExported",
        ))  # fmt: skip
    return gaps


def _lacks_credentials(obj: dict[str, Any]) -> bool:
    """Whether an object was exported without its secrets or certificates (a $select or --query list
    that leaves passwordCredentials or keyCredentials out, or null)."""
    return any(obj.get(name) is None for name in _CREDENTIAL_FIELDS)


def _credentials_unread(identity: Identity, obj: dict[str, Any]) -> None:
    """Such an object's credentials are unknown, not none."""
    if _lacks_credentials(obj) and "credentials" not in identity.unknown:
        identity.unknown.append("credentials")


def _is_service_principal(item: dict[str, Any], entity_set: str | None) -> bool:
    if entity_set:
        return entity_set.lower() == "serviceprincipals"
    if item.get("objectType"):
        return str(item["objectType"]) == "ServicePrincipal"
    return "servicePrincipalType" in item or "servicePrincipalNames" in item or "appOwnerOrganizationId" in item


def _from_aad_graph(item: dict[str, Any]) -> dict[str, Any]:
    """An object in the legacy Azure AD Graph shape, in the Microsoft Graph shape."""
    if "id" in item or "objectId" not in item:
        return item
    converted = {**item, "id": item["objectId"]}
    for name in ("passwordCredentials", "keyCredentials"):
        if name in item:  # absent stays absent: what the export left out is not "none"
            converted[name] = [
                {_LEGACY_DATES.get(key, key): value for key, value in credential.items()}
                for credential in item.get(name) or []
            ]
    return converted


def azure_inventory(exports: AzureExports, inventory: Inventory) -> list[SourceError]:
    """Adds the tenant's records; returns the federated credentials that could not be placed on an
    application of the exports, each a named gap (a trust nothing can be judged on, never dropped)."""
    service_principals = [sp for _, sp in sorted(exports.service_principals.items())]
    applications = [app for _, app in sorted(exports.applications.items())]
    owners = {str(sp.get("appOwnerOrganizationId")) for sp in service_principals}
    owners.discard("None")
    tenant = sorted(owners)[0] if len(owners) == 1 else "azure-export"
    tenant_account = Account(
        uid=tenant, provider="azure", name=tenant, kind="tenant", unknown=["log_sources", "agents"]
    )
    inventory.accounts.append(tenant_account)
    for app in applications:
        identity = records.application(app, tenant, None)
        federated = exports.federated.get(str(app.get("id")))
        if federated is not None:
            identity.attributes["trust"] = records.federated_trust(federated)
            if str(app.get("id")) in exports.paged_federated:  # the credentials on later pages were not read
                identity.unknown.append("trust")
        else:
            identity.unknown.append("trust")  # an application list does not hold federated credentials
        identity.unknown.append("grants")
        _credentials_unread(identity, app)
        inventory.identities.append(identity)
        inventory.credentials += records.key_credentials(identity.uid, app)
    for sp in service_principals:
        identity = records.service_principal(sp, tenant, None)
        identity.unknown.append("grants")  # app role assignments and roles are not in these lists
        _credentials_unread(identity, sp)
        if identity.kind == "managed_identity":
            # its owner tag is ARM's, and so are a user-assigned identity's federated credentials (a
            # system-assigned identity can have none)
            unread = ("trust", "owner") if records.is_user_assigned(identity) else ("owner",)
            identity.unknown += [name for name in unread if name not in identity.unknown]
        inventory.identities.append(identity)
        inventory.credentials += records.key_credentials(identity.uid, sp)
    gaps = _not_exported(bool(applications), bool(service_principals))
    if len(gaps) > 1:  # one of the two lists is missing: the identities it holds were not read
        tenant_account.unknown.insert(0, "identities")
    inventory.sources.append(SourceStatus("file", tenant, "partial", gaps))
    placed = {str(app.get("id")) for app in applications}
    unplaced = [
        SourceError(f"read {Path(where).name}", f"federated credentials of application {app_id}, which no "
                    "application export lists", "format")
        for app_id, files in sorted(exports.federated_files.items()) if app_id not in placed for where in sorted(files)
    ]  # fmt: skip
    unplaced += [
        SourceError(f"read {Path(where).name}", "federated credentials that name no application", "format")
        for where in sorted(exports.unattached_federated)
    ]
    # a file whose objects another export completed is no gap
    merged = {str(o.get("id")): o for o in [*applications, *service_principals]}
    unplaced += [
        SourceError(f"read {Path(where).name}", "objects listed without passwordCredentials or keyCredentials "
                    "($select, --query): their credentials are unknown", "format")
        for where, ids in sorted(exports.without_credentials.items()) if any(_lacks_credentials(merged[i]) for i in ids)
    ]  # fmt: skip
    return unplaced
