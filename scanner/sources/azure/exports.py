"""Azure exports for ``file:``: ``az ad app list``, ``az ad sp list`` (JSON arrays) and raw Graph
list responses (``{"value": [...]}``) of applications, service principals and an application's
federated identity credentials."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from scanner.model import Account, Inventory, SourceStatus
from scanner.sources.azure import records

_APP_IN_CONTEXT = re.compile(r"applications\('([0-9a-f-]{36})'\)/federatedIdentityCredentials", re.IGNORECASE)
_APP_IN_ID = re.compile(r"Application\('([0-9a-f-]{36})'\)/federatedIdentityCredentials", re.IGNORECASE)


@dataclass(slots=True)
class AzureExports:
    applications: list[dict[str, Any]] = field(default_factory=list)
    service_principals: list[dict[str, Any]] = field(default_factory=list)
    federated: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # application object id -> FICs
    unattached_federated: list[dict[str, Any]] = field(default_factory=list)


def read_azure_export(data: Any, exports: AzureExports) -> bool:
    """Adds what ``data`` holds to ``exports``; False when it is not an Azure export."""
    context = ""
    items = data
    if isinstance(data, dict) and isinstance(data.get("value"), list):
        context, items = str(data.get("@odata.context", "")), data["value"]
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        return False
    first = items[0]
    if "issuer" in first and "subject" in first:
        match = _APP_IN_CONTEXT.search(context) or _APP_IN_ID.search(str(first.get("@odata.id", "")))
        if match:
            exports.federated.setdefault(match.group(1), []).extend(items)
        else:
            exports.unattached_federated.extend(items)
        return True
    if "appId" not in first:
        return False
    if "servicePrincipalType" in first or context.endswith("#servicePrincipals"):
        exports.service_principals.extend(items)
    else:
        exports.applications.extend(items)
    return True


def azure_inventory(exports: AzureExports, inventory: Inventory) -> None:
    owners = {str(sp.get("appOwnerOrganizationId")) for sp in exports.service_principals}
    owners.discard("None")
    tenant = sorted(owners)[0] if len(owners) == 1 else "azure-export"
    inventory.accounts.append(
        Account(uid=tenant, provider="azure", name=tenant, kind="tenant", unknown=["log_sources", "agents"])
    )
    for app in exports.applications:
        identity = records.application(app, tenant, None)
        federated = exports.federated.get(str(app.get("id")))
        if federated is not None:
            identity.attributes["trust"] = records.federated_trust(federated)
        identity.unknown.append("grants")
        inventory.identities.append(identity)
        inventory.credentials += records.key_credentials(identity.uid, app)
    for sp in exports.service_principals:
        identity = records.service_principal(sp, tenant, None)
        identity.unknown.append("grants")  # app role assignments and roles are not in these lists
        inventory.identities.append(identity)
        inventory.credentials += records.key_credentials(identity.uid, sp)
    inventory.sources.append(SourceStatus("file", tenant, "complete"))
