"""IAM policy documents into grants, and trust policies into trust entries.

Pure functions over the JSON AWS returns, shared by the live source and the export importer.

A policy becomes up to four grants, so that controls see what each part allows:
``NAME`` (Allow statements on every resource), ``NAME [scoped]`` (Allow statements on named
resources), ``NAME [NotAction]`` (Allow with NotAction: everything but the listed actions) and
``NAME [deny]`` (Deny statements). Statements with conditions mark their grant ``conditional``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

from scanner.model import Grant

_ARN_ACCOUNT = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):(root|user/.+|role/.+|assumed-role/.+|federated-user/.+)$")


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def parse_document(document: Any) -> dict[str, Any]:
    """A policy document as IAM returns it: a dict, JSON text, or URL-encoded JSON text."""
    if isinstance(document, dict):
        return document
    if isinstance(document, str):
        text = unquote(document) if document.lstrip().startswith("%7B") else document
        parsed = json.loads(text)
        return parsed if isinstance(parsed, dict) else {}
    return {}


def statements(document: Any) -> list[dict[str, Any]]:
    return [s for s in as_list(parse_document(document).get("Statement")) if isinstance(s, dict)]


def policy_grants(holder: str, name: str, document: Any, source: str, arn: str | None = None) -> list[Grant]:
    parts: dict[str, dict[str, Any]] = {}

    def part(suffix: str) -> dict[str, Any]:
        return parts.setdefault(suffix, {"actions": set(), "resources": set(), "not_actions": set(), "cond": False})

    for statement in statements(document):
        effect = statement.get("Effect", "Allow")
        resources = {str(r) for r in as_list(statement.get("Resource"))}
        if "NotResource" in statement:
            resources = {"*"}  # everything but a few resources is, for reach, every resource
        if effect == "Deny":
            target = part(" [deny]")
        elif "NotAction" in statement:
            target = part(" [NotAction]")
            target["not_actions"].update(str(a) for a in as_list(statement["NotAction"]))
        else:
            target = part("" if "*" in resources else " [scoped]")
        target["actions"].update(str(a) for a in as_list(statement.get("Action")))
        target["resources"].update(resources)
        target["cond"] = target["cond"] or bool(statement.get("Condition"))

    grants = []
    for suffix, collected in parts.items():
        attributes: dict[str, Any] = {}
        if arn:
            attributes["policy_arn"] = arn
        if suffix == " [deny]":
            attributes["effect"] = "Deny"
        if collected["not_actions"]:
            attributes["not_actions"] = sorted(collected["not_actions"])
        if collected["cond"]:
            attributes["conditional"] = True
        grants.append(
            Grant(
                identity_uid=holder,
                kind="policy",
                name=name + suffix,
                actions=sorted(collected["actions"]),
                resources=sorted(collected["resources"]),
                source=source,
                attributes=attributes,
            )
        )
    return grants


def trust_entries(document: Any, own_account: str) -> list[dict[str, Any]]:
    """Who may assume a role, one entry per principal of each Allow statement."""
    entries = []
    for statement in statements(document):
        if statement.get("Effect", "Allow") != "Allow":
            continue
        conditions = statement.get("Condition") or None
        principal = statement.get("Principal")
        if principal == "*":
            principal = {"AWS": "*"}
        if not isinstance(principal, dict):
            continue
        for kind, values in principal.items():
            for value in as_list(values):
                entries.append(_trust_entry(kind, str(value), own_account, conditions))
    return entries


def _trust_entry(kind: str, value: str, own_account: str, conditions: dict[str, Any] | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"principal": value, "conditions": conditions}
    if kind == "Service":
        entry.update(principal_type="service", external=False)
    elif kind == "Federated":
        provider = value.split("oidc-provider/", 1)[-1] if "oidc-provider/" in value else value
        if "saml-provider/" in value:
            provider = "saml:" + value.split("saml-provider/", 1)[1]
        entry.update(principal_type="federated", external=False, provider=provider, subject=_subject(conditions))
    elif value == "*":
        entry.update(principal_type="wildcard", external=True)
    else:
        account, principal_type = _aws_principal(value)
        entry.update(principal_type=principal_type, account=account, external=account != own_account)
    return entry


def _aws_principal(value: str) -> tuple[str | None, str]:
    if re.fullmatch(r"\d{12}", value):
        return value, "account"
    match = _ARN_ACCOUNT.match(value)
    if not match:
        return None, "unknown"
    resource = match.group(2)
    kind = "account" if resource == "root" else resource.split("/", 1)[0].replace("assumed-role", "role")
    return match.group(1), kind


def _subject(conditions: dict[str, Any] | None) -> str | None:
    """The token subject a federated trust is restricted to (``…:sub``), if any."""
    for operator, tests in (conditions or {}).items():
        if not isinstance(tests, dict) or not operator.startswith(("StringEquals", "StringLike", "ForAnyValue")):
            continue
        for key, value in tests.items():
            if key.endswith(":sub") or key.endswith(":subject"):
                return ", ".join(str(v) for v in as_list(value))
    return None


def owner_from_tags(tags: Iterable[dict[str, Any]] | dict[str, str]) -> tuple[dict[str, str], str | None]:
    """Tags as a dict, and the owner they name (keys owner, Owner, owner-email, contact, team)."""
    if isinstance(tags, dict):
        found = dict(tags)
    else:
        found = {str(t.get("Key")): str(t.get("Value", "")) for t in tags if isinstance(t, dict)}
    lowered = {key.lower(): value for key, value in found.items()}
    for key in ("owner", "owner-email", "owner_email", "contact", "team"):
        if lowered.get(key):
            return found, lowered[key]
    return found, None
