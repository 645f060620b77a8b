"""IAM policy documents into grants, and trust policies into trust entries.

Pure functions over the JSON AWS returns, shared by the live source and the export importer.

A policy becomes grants by part, so that controls see what each part allows: ``NAME`` (Allow
statements on every resource), ``NAME [scoped]`` (Allow statements on named resources),
``NAME [NotAction]`` (an Allow with NotAction: everything but the listed actions; a second one is
``NAME [NotAction 2]``, and so on, each its own), ``NAME [deny]``
(Deny statements on every resource) and ``NAME [deny scoped]`` (Deny statements on named
resources, or on all but some: ``attributes.not_resources``). Statements with conditions mark
their grant ``conditional``.

An attached managed policy whose document an export lacks is resolved from the live API when
scanning live (``iam:GetPolicy`` + ``iam:GetPolicyVersion``), else, for AWS-managed policies, from
the AWS managed policy documents moto ships (where moto is installed); each grant records where
its document came from (``attributes.document_source``). A policy found nowhere becomes a grant
whose actions are unknown, and no privilege control passes on it.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
from collections.abc import Callable, Iterable
from fnmatch import fnmatchcase
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from scanner.arn_patterns import every_arn, every_resource
from scanner.engine.trust import narrows
from scanner.model import Grant

if TYPE_CHECKING:
    from scanner.sources.aws.calls import AwsCalls

# an IAM principal's ARN, or an STS session's (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION)
_ARN_ACCOUNT = re.compile(
    r"^arn:aws[\w-]*:(?:iam|sts)::(\d{12}):(root|user/.+|role/.+|assumed-role/.+|federated-user/.+)$"
)


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


_LISTS_OF_NAMES = ("Action", "NotAction", "Resource", "NotResource")


def unreadable(document: Any, trust: bool = False) -> str | None:
    """Why ``document`` is not a policy IAM would hold (None when it is one): no object, a
    ``Statement`` that is not an object or a list of them, an ``Effect`` other than Allow or Deny,
    actions or resources that are not names, a ``Principal`` or ``Condition`` of another shape.
    What such a document allows is unknown: dropping what cannot be read would allow less."""
    try:
        parsed = parse_document(document) if isinstance(document, dict | str) else None
    except ValueError:
        return "not JSON"
    if not parsed or not isinstance(parsed, dict):
        return "not a policy document"
    listed = parsed.get("Statement")
    if not isinstance(listed, dict | list) or not all(isinstance(one, dict) for one in as_list(listed)):
        return "a Statement that is not a list of statements"
    for statement in as_list(listed):
        if statement.get("Effect") not in ("Allow", "Deny"):
            return "an Effect other than Allow or Deny"
        for key in _LISTS_OF_NAMES:
            if key in statement and not _names(statement[key]):
                return f"a {key} that is not a name or a list of names"
        if "Condition" in statement and not isinstance(statement["Condition"], dict):
            return "a Condition that is not an object"
        if trust and not _principal(statement.get("Principal", statement.get("NotPrincipal"))):
            return "a Principal that is not * or an object of names"
    return None


def _names(value: Any) -> bool:
    """A name or a list of names; an empty list (IAM keeps one, Access Analyzer only suggests
    removing it) names nothing."""
    if isinstance(value, list):
        return all(isinstance(one, str) for one in value)
    return isinstance(value, str)


def _principal(value: Any) -> bool:
    return value == "*" or (isinstance(value, dict) and bool(value) and all(map(_names, value.values())))


def policy_grants(
    holder: str, name: str, document: Any, source: str, arn: str | None = None, document_source: str | None = None
) -> list[Grant]:
    reason = unreadable(document)
    if reason is not None:
        grant = unread_policy_grant(holder, name, arn or "", source)
        grant.attributes = {**({"policy_arn": arn} if arn else {}), "unreadable": reason}
        return [grant]
    parts: dict[str, dict[str, Any]] = {}

    def part(suffix: str) -> dict[str, Any]:
        return parts.setdefault(
            suffix, {"actions": set(), "resources": set(), "not_actions": set(), "not_resources": set(), "cond": False}
        )

    for statement in statements(document):
        effect = statement.get("Effect", "Allow")
        resources = {str(r) for r in as_list(statement.get("Resource"))}
        excepted = {str(r) for r in as_list(statement.get("NotResource"))}
        if "NotResource" in statement:
            resources = {"*"}  # everything but a few resources is, for reach, every resource
        if effect == "Deny":
            # only a Deny of every resource takes an action away; one on named resources (or on all
            # but some) is kept apart, so that it never reads as a Deny of its actions everywhere.
            # An account's ARNs (arn:aws:*:*:ACCOUNT:*) are not every resource here: S3 buckets and
            # objects name no account (read as everything on the Allow side, the cautious reading
            # there, it would take away on the Deny side what stays allowed)
            everywhere = any(map(every_arn, resources)) and not excepted
            target = part(" [deny]" if everywhere else " [deny scoped]")
            target["not_resources"].update(excepted)
            if everywhere:
                resources = {"*"}
        elif "NotAction" in statement:
            # each its own grant: joined, the exclusions of one would be taken for the other's too
            # (everything but IAM, beside everything but one action, read as no administrator)
            count = sum(1 for suffix in parts if suffix.startswith(" [NotAction"))
            target = part(" [NotAction]" if not count else f" [NotAction {count + 1}]")
            target["not_actions"].update(str(a) for a in as_list(statement["NotAction"]))
        else:
            target = part("" if any(map(every_resource, resources)) else " [scoped]")
        target["actions"].update(str(a) for a in as_list(statement.get("Action")))
        target["resources"].update(resources)
        target["cond"] = target["cond"] or bool(statement.get("Condition"))

    grants = []
    for suffix, collected in parts.items():
        attributes: dict[str, Any] = {}
        if arn:
            attributes["policy_arn"] = arn
        if document_source:
            attributes["document_source"] = document_source
        if suffix in (" [deny]", " [deny scoped]"):
            attributes["effect"] = "Deny"
        if collected["not_actions"]:
            attributes["not_actions"] = sorted(collected["not_actions"])
        if collected["not_resources"]:
            attributes["not_resources"] = sorted(collected["not_resources"])
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
                uid=grant_uid(holder, name + suffix, source),
            )
        )
    return grants


def grant_uid(holder: str, name: str, source: str) -> str:
    """A policy held through a group is a grant of its own: the same policy may also be attached to
    the user directly, or through another group (seen in real exports), and each needs its own uid."""
    via = f"@{source}" if source.startswith("group:") else ""
    return f"{holder}#policy:{name}{via}"


def unread_policy_grant(holder: str, name: str, arn: str, source: str) -> Grant:
    """An attached managed policy whose document no source had: what it allows is unknown."""
    return Grant(
        holder,
        "policy",
        name,
        source=source,
        attributes={"policy_arn": arn},
        unknown=["actions"],
        uid=grant_uid(holder, name, source),
    )


def unread_group_grant(holder: str, group: str) -> Grant:
    """The policies a user holds through a group the authorization details did not list (an export
    filtered to users and roles lists none): what they allow is unknown, not nothing."""
    source = f"group:{group}"
    return Grant(
        holder,
        "policy",
        f"policies of group {group}",
        source=source,
        attributes={"group": group, "group_not_listed": True},
        unknown=["actions"],
        uid=grant_uid(holder, "(group not listed)", source),
    )


def trust_entries(document: Any, own_account: str) -> list[dict[str, Any]]:
    """Who may assume a role, one entry per principal of each Allow statement."""
    entries = []
    for statement in statements(document):
        if statement.get("Effect", "Allow") != "Allow" or not _may_assume(statement):
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


_ASSUMING = ("sts:assumerole", "sts:assumerolewithwebidentity", "sts:assumerolewithsaml")


def _may_assume(statement: dict[str, Any]) -> bool:
    """Whether a trust statement allows assuming the role: a statement of ``sts:TagSession`` or
    ``sts:SetSourceIdentity`` alone only adds to a session another statement allows (one without
    ``Action``, or with ``NotAction``, is kept: what it allows is not narrowed)."""
    if "Action" not in statement:
        return True
    return any(
        fnmatchcase(assuming, str(action).lower()) for action in as_list(statement["Action"]) for assuming in _ASSUMING
    )


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
    """The token subject a federated trust is restricted to (``…:sub``), if any: by a test that
    admits only the values it lists (``StringNotLike`` admits every other subject)."""
    for operator, tests in (conditions or {}).items():
        if not isinstance(tests, dict) or not narrows(str(operator)):
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


# ---------------------------------------------------------------------- managed policy documents

# An AWS-managed policy: arn:<partition>:iam::aws:policy<path><name>
_AWS_MANAGED = re.compile(r"^arn:aws[\w-]*:iam::aws:policy(/(?:[^/]+/)*)([^/]+)$")
_PACKAGED_MODULE = ("iam", "aws_managed_policies.py")  # inside the moto package
_PACKAGED_NAME = "aws_managed_policies_data"


def attached_policy_arns(details: dict[str, list[Any]]) -> set[str]:
    """Every managed policy attached to a user, group or role of an authorization-details export."""
    arns = set()
    for name in ("UserDetailList", "GroupDetailList", "RoleDetailList"):
        for principal in details.get(name) or []:
            for attached in principal.get("AttachedManagedPolicies") or []:
                if isinstance(attached, dict) and attached.get("PolicyArn"):
                    arns.add(str(attached["PolicyArn"]))
    return arns


def missing_policies(
    details: dict[str, list[Any]], fetch: Callable[[str], dict[str, Any] | None] | None = None
) -> list[dict[str, Any]]:
    """``Policies`` entries for the attached managed policies whose document the details lack:
    from ``fetch`` (the live API) when given, else from the packaged AWS-managed policy data.
    A policy found in neither stays absent, and its grants unknown."""
    listed = [p for p in details.get("Policies") or [] if isinstance(p, dict)]
    have = {str(p.get("Arn")) for p in listed if default_document(p) is not None}
    found = []
    for arn in sorted(attached_policy_arns(details) - have):
        entry = fetch(arn) if fetch is not None else None
        if entry is None:
            entry = packaged_policy(arn)
        if entry is not None:
            found.append(entry)
    return found


def default_document(policy: dict[str, Any]) -> Any | None:
    """The document of a ``Policies`` entry's default version (the one marked so, or the one
    ``DefaultVersionId`` names), or None when the entry does not hold it."""
    versions = [v for v in policy.get("PolicyVersionList") or [] if isinstance(v, dict)]
    marked = next((v for v in versions if v.get("IsDefaultVersion")), None)
    named = next((v for v in versions if v.get("VersionId") == policy.get("DefaultVersionId")), None)
    chosen = marked or named
    return None if chosen is None else chosen.get("Document")


def policy_entry(arn: str, name: str, version: str, document: Any, source: str) -> dict[str, Any]:
    """A ``Policies`` entry as get-account-authorization-details gives it, and where its document came from."""
    return {
        "Arn": arn,
        "PolicyName": name,
        "DefaultVersionId": version,
        "PolicyVersionList": [{"Document": document, "VersionId": version, "IsDefaultVersion": True}],
        "DocumentSource": source,
    }


def fetch_policy(calls: AwsCalls, arn: str) -> dict[str, Any] | None:
    """A managed policy's default document from the live API, or None (the refusal is recorded)."""
    policy = (calls.call("iam", "get_policy", PolicyArn=arn) or {}).get("Policy") or {}
    version = policy.get("DefaultVersionId")
    if not version:
        return None
    response = calls.call("iam", "get_policy_version", PolicyArn=arn, VersionId=version) or {}
    document = (response.get("PolicyVersion") or {}).get("Document")
    if document is None:
        return None
    name = str(policy.get("PolicyName") or arn.rsplit("/", 1)[-1])
    return policy_entry(arn, name, str(version), document, f"iam:GetPolicyVersion ({version})")


def packaged_policy(arn: str) -> dict[str, Any] | None:
    """An AWS-managed policy's default document from the data moto ships (refreshed from AWS with
    each moto release), or None: not AWS-managed, not in the data, or moto not installed."""
    match = _AWS_MANAGED.match(arn)
    if match is None:
        return None
    path, name = match.groups()
    entry = _packaged_policies().get(name)
    if not isinstance(entry, dict) or entry.get("Path", "/") != path:
        return None
    version = str(entry.get("DefaultVersionId", ""))
    source = f"AWS managed policy data of moto {_moto_version()} ({version}, updated {entry.get('UpdateDate', '?')})"
    return policy_entry(arn, name, version, entry.get("Document") or {}, source)


@lru_cache(maxsize=1)
def _packaged_policies() -> dict[str, Any]:
    """Read without importing moto (whose import pulls in its mocks): the module is one JSON string."""
    spec = importlib.util.find_spec("moto")
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = Path(spec.submodule_search_locations[0]).joinpath(*_PACKAGED_MODULE)
    if not path.is_file():
        return {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == _PACKAGED_NAME for t in node.targets)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            data = json.loads(node.value.value)
            return data if isinstance(data, dict) else {}
    return {}


def _moto_version() -> str:
    try:
        return metadata.version("moto")
    except metadata.PackageNotFoundError:  # pragma: no cover - the data was found, so moto is there
        return "?"
