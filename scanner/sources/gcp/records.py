"""GCP REST-shaped objects (camelCase, as the REST API and gcloud print them; gRPC messages are
converted to the same shape) into identities, credentials, grants and log sources."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from scanner.model import Credential, Grant, Identity, LogSource
from scanner.serialize import parse_time

NEVER_EXPIRES = "9999-12-31"
OWNER_LABELS = ("owner", "team", "contact")
# service accounts have no labels; teams write "owner: team@example.com" in the description
_OWNER_IN_DESCRIPTION = re.compile(r"\bowner\s*[:=]\s*([^\s,;]+)", re.IGNORECASE)
_DEFAULT_ACCOUNT_SUFFIXES = ("-compute@developer.gserviceaccount.com", "@appspot.gserviceaccount.com")


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value or value.startswith(NEVER_EXPIRES):
        return None
    return parse_time(value.replace("Z", "+00:00"))


def service_account(account: dict[str, Any], project: str) -> Identity:
    email = str(account.get("email") or str(account.get("name", "")).rsplit("/", 1)[-1])
    labels = {k: str(v) for k, v in (account.get("labels") or {}).items()}
    described = _OWNER_IN_DESCRIPTION.search(str(account.get("description") or ""))
    owner = next((labels[k] for k in OWNER_LABELS if labels.get(k)), None) or (
        described.group(1) if described else None
    )
    return Identity(
        uid=email,
        provider="gcp",
        account=str(account.get("projectId") or project),
        kind="service_account",
        name=str(account.get("displayName") or email.split("@")[0]),
        owner=owner,
        tags=labels,
        interactive=False,
        attributes={
            "email": email,
            "unique_id": account.get("uniqueId"),
            "disabled": bool(account.get("disabled")),
            "description": account.get("description") or "",
            "default_service_account": email.endswith(_DEFAULT_ACCOUNT_SUFFIXES),
        },
        unknown=["last_used", "created"],
    )


def service_account_key(key: dict[str, Any], holder: str, last_used: datetime | str | None = "unknown") -> Credential:
    key_id = str(key.get("name", "")).rsplit("/", 1)[-1]
    managed = key.get("keyType") == "SYSTEM_MANAGED"
    credential = Credential(
        uid=f"{holder}#sa_key:{key_id}",
        identity_uid=holder,
        kind="sa_key",
        created=_time(key.get("validAfterTime")),
        expires=_time(key.get("validBeforeTime")),
        active=not key.get("disabled"),
        managed_by_provider=managed,
        attributes={
            "display_id": f"key…{key_id[-6:]}",
            "key_id": key_id,
            "origin": key.get("keyOrigin"),
            "algorithm": key.get("keyAlgorithm"),
        },
    )
    if last_used == "unknown":
        credential.unknown.append("last_used")
    else:
        credential.last_used = last_used if isinstance(last_used, datetime) else None
    return credential


def policy_grants(policy: dict[str, Any], resource: str, known: set[str]) -> tuple[list[Grant], list[dict[str, Any]]]:
    """Role bindings of known service accounts as grants, and the public bindings (allUsers,
    allAuthenticatedUsers) separately."""
    grants: list[Grant] = []
    public: list[dict[str, Any]] = []
    for binding in policy.get("bindings") or []:
        role = str(binding.get("role", ""))
        condition = binding.get("condition")
        for member in binding.get("members") or []:
            member = str(member)
            if member in ("allUsers", "allAuthenticatedUsers"):
                public.append({"role": role, "member": member, "resource": resource})
                continue
            kind, _, email = member.partition(":")
            if kind != "serviceAccount" or email not in known:
                continue
            attributes: dict[str, Any] = {"member": member}
            if condition:
                attributes["condition"] = condition.get("expression") if isinstance(condition, dict) else str(condition)
                attributes["conditional"] = True
            grants.append(
                Grant(
                    identity_uid=email,
                    kind="role",
                    name=role,
                    resources=[resource],
                    source="iamBinding",
                    uid=f"{email}#role:{role}@{resource}",
                    attributes=attributes,
                )
            )
    return grants, public


def audit_logs(policy: dict[str, Any], project: str) -> list[LogSource]:
    found = []
    for config in policy.get("auditConfigs") or []:
        service = str(config.get("service", ""))
        types = sorted(str(c.get("logType", "")) for c in config.get("auditLogConfigs") or [])
        label = "allServices" if service == "allServices" else service.split(".")[0]
        found.append(
            LogSource(
                uid=f"gcp:{project}:auditConfigs:{label}",
                provider="gcp",
                account=project,
                kind="audit_config",
                name=f"{label} data access",
                scope=f"projects/{project}",
                enabled=bool({"DATA_READ", "DATA_WRITE"} & set(types)),
                covers=[service],
                attributes={"log_types": types},
                unknown=["retention_days"],
            )
        )
    return found


def api_key(key: dict[str, Any], project: str) -> Credential:
    restrictions = key.get("restrictions") or {}
    key_id = str(key.get("uid") or str(key.get("name", "")).rsplit("/", 1)[-1])
    return Credential(
        uid=f"gcp:{project}#api_key:{key_id}",
        identity_uid=None,
        kind="api_key",
        created=_time(key.get("createTime")),
        active=not key.get("deleteTime"),
        attributes={
            "display_id": str(key.get("displayName") or key_id),
            "provider": "gcp",
            "account": project,
            "restricted": bool(restrictions),
            "api_targets": [t.get("service") for t in restrictions.get("apiTargets") or []],
            "service_account": key.get("serviceAccountEmail"),
        },
        unknown=["last_used"],
    )
