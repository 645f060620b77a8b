"""GCP exports for ``file:``: ``gcloud iam service-accounts list``, ``gcloud iam service-accounts
keys list`` and ``gcloud projects get-iam-policy`` JSON (gcloud prints the inner list or object),
the raw REST responses, and Cloud Custodian flight recordings of them (the response in ``body``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scanner.model import Account, Inventory, SourceStatus
from scanner.sources.gcp import records


@dataclass(slots=True)
class GcpExports:
    accounts: list[dict[str, Any]] = field(default_factory=list)
    keys: list[dict[str, Any]] = field(default_factory=list)
    policies: list[dict[str, Any]] = field(default_factory=list)


def read_gcp_export(data: Any, exports: GcpExports) -> bool:
    if isinstance(data, dict) and isinstance(data.get("body"), dict) and "headers" in data:
        data = data["body"]
    items = data
    if isinstance(data, dict):
        if "bindings" in data or "auditConfigs" in data:
            exports.policies.append(data)
            return True
        items = data.get("accounts", data.get("keys"))
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        return False
    first = items[0]
    if "email" in first and "/serviceAccounts/" in str(first.get("name", "")):
        exports.accounts.extend(items)
    elif "/keys/" in str(first.get("name", "")) and ("keyType" in first or "validAfterTime" in first):
        exports.keys.extend(items)
    else:
        return False
    return True


def gcp_inventory(exports: GcpExports, inventory: Inventory) -> None:
    projects = {str(a.get("projectId") or "") for a in exports.accounts} - {""}
    project = sorted(projects)[0] if len(projects) == 1 else "gcp-export"
    identities = {a["email"]: records.service_account(a, project) for a in exports.accounts if a.get("email")}
    for key in exports.keys:
        email = str(key.get("name", "")).split("/serviceAccounts/")[-1].split("/keys/")[0]
        identities.setdefault(email, records.service_account({"email": email}, project))
        inventory.credentials.append(records.service_account_key(key, email))
    for policy in exports.policies:
        known = set(identities) | {
            str(m).partition(":")[2] for b in policy.get("bindings") or [] for m in b.get("members") or []
            if str(m).startswith("serviceAccount:")
        }  # fmt: skip
        for email in known - set(identities):
            identities[email] = records.service_account({"email": email}, project)
        grants, _ = records.policy_grants(policy, f"projects/{project}", known)
        inventory.grants += grants
        inventory.log_sources += records.audit_logs(policy, project)
    unknown = ["agents"] + ([] if exports.policies else ["log_sources"])
    inventory.accounts.append(Account(uid=project, provider="gcp", name=project, kind="project", unknown=unknown))
    for identity in identities.values():
        if not exports.policies:
            identity.unknown.append("grants")
        if not exports.keys:
            identity.unknown.append("credentials")
    inventory.identities += identities.values()
    inventory.sources.append(SourceStatus("file", project, "complete"))
