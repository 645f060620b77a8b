"""GCP REST-shaped objects (camelCase, as the REST API and gcloud print them; gRPC messages are
converted to the same shape) into identities, credentials, grants and log sources."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from scanner.model import Agent, Credential, Grant, Identity, LogSource
from scanner.secret_detection import find_secrets_in_text, plaintext_credential
from scanner.serialize import parse_time
from scanner.sources.aws.agent_secrets import SECRETS_PER_TEXT

NEVER_EXPIRES = "9999-12-31"
PUBLIC = "attributes.public_bindings"  # a project's allUsers / allAuthenticatedUsers bindings
OWNER_LABELS = ("owner", "team", "contact")
# service accounts have no labels; teams write "owner: team@example.com" in the description
_OWNER_IN_DESCRIPTION = re.compile(r"\bowner\s*[:=]\s*([^\s,;]+)", re.IGNORECASE)
WORKLOADS = "attributes.workloads"
_DEFAULT_ACCOUNT_SUFFIXES = ("-compute@developer.gserviceaccount.com", "@appspot.gserviceaccount.com")
# Google-managed service agents: accounts Google creates and manages for its services in a
# customer's project (roles granted to them are Google's, their keys and activity are Google's).
# https://cloud.google.com/iam/docs/service-agents lists them; they live in these domains. An agent
# named service-PROJECT_NUMBER@ lives in a gcp-sa-* domain, in a google.com one, or in one of the
# older domains below; the same name in another domain is a customer's account (service-123 is a
# valid account id), judged as any other: left out of the controls, it would pass them unseen.
_OLDER_AGENT_DOMAINS = (
    "appsheet-prod-service-accounts|cloud-cdn-fill|cloud-filer|cloud-memcache-sa|cloud-redis|cloud-tpu"
    "|cloudcomposer-accounts|compute-system|container-analysis|container-engine-robot|containerregistry"
    "|dataflow-service-producer-prod|dataproc-accounts|dlp-api|endpoints-portal|firebase-rules"
    "|gcf-admin-robot|gcp-gae-service|gcp-ri-aiplatform|gs-project-accounts|remotebuildexecution"
    "|serverless-robot-prod|service-consumer-management|service-networking|sourcerepo-service-accounts"
    "|stackdriver-service|trifacta-gcloud-prod"
)
_SERVICE_AGENT = re.compile(
    rf"^(?:service-\d+@(?:{_OLDER_AGENT_DOMAINS}|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.google\.com)\.iam\.gserviceaccount\.com"
    # Storage Transfer Service's and BigQuery's encryption agents are named for the project otherwise
    r"|project-\d+@storage-transfer-service\.iam\.gserviceaccount\.com|bq-\d+@bigquery-encryption\.iam\.gserviceaccount\.com"
    r"|[^@]+@gcp-sa-[a-z0-9-]+\.iam\.gserviceaccount\.com"
    r"|\d+@cloudservices\.gserviceaccount\.com"
    r"|[^@]+@(?:[a-z0-9-]+\.)?system\.gserviceaccount\.com)$"
)


def is_service_agent(email: str, project: str) -> bool:
    """A Google-managed service agent, recognised by its domain. An account in the customer's own
    project's domain is the customer's, whatever its name (``service-123`` is a valid account id)."""
    email = email.lower()
    return _SERVICE_AGENT.match(email) is not None and not email.endswith(f"@{project}.iam.gserviceaccount.com")


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
    home = str(account.get("projectId") or project)
    return Identity(
        uid=email,
        provider="gcp",
        account=home,
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
            # controls skip provider-managed identities (service_linked) the customer cannot act on
            **({"service_agent": True, "service_linked": True} if is_service_agent(email, home) else {}),
        },
        # no VM, function or Cloud Run listing is made, so which workloads run as it is not known
        unknown=["last_used", "created", WORKLOADS],
    )


# Google's reports that a key's private part leaked, in the ServiceAccountKey resource
# (https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts.keys): a reason for
# disabling it, and an extended status that stays for the key's lifetime, also once it is enabled again.
EXPOSURE = "attributes.exposure_reports"
_EXPOSED_REASONS = frozenset(
    {"SERVICE_ACCOUNT_KEY_DISABLE_REASON_EXPOSED", "SERVICE_ACCOUNT_KEY_DISABLE_REASON_COMPROMISE_DETECTED"}
)
_EXPOSED_STATUSES = frozenset(
    {"SERVICE_ACCOUNT_KEY_EXTENDED_STATUS_KEY_EXPOSED", "SERVICE_ACCOUNT_KEY_EXTENDED_STATUS_KEY_COMPROMISE_DETECTED"}
)


def exposure_reports(key: dict[str, Any], fields_read: bool) -> list[str] | None:
    """What Google reports of a key's exposure (``disableReason``, ``extendedStatus``): a list,
    empty where it reports nothing; None where that is not known. Unset fields are left out of the
    JSON, so a key without either says nothing only where the reader is known to carry them
    (``fields_read``); an export or asset record without them may come from a tool that drops them."""
    reason, statuses = key.get("disableReason"), key.get("extendedStatus")
    reports = [str(reason)] if reason in _EXPOSED_REASONS else []
    listed = statuses if isinstance(statuses, list) else []
    for status in listed:
        if isinstance(status, dict) and status.get("key") in _EXPOSED_STATUSES:
            value = str(status.get("value") or "")[:200]
            reports.append(f"{status['key']}: {value}" if value else str(status["key"]))
    if reports:
        return reports
    readable = statuses is None or (isinstance(statuses, list) and all(isinstance(s, dict) for s in statuses))
    if not readable or not (fields_read or reason is not None or statuses is not None):
        return None
    return []


def service_account_key(
    key: dict[str, Any], holder: str, last_used: datetime | str | None = "unknown", exposure_read: bool = False
) -> Credential:
    """``exposure_read``: the reader carries the exposure fields (see ``exposure_reports``)."""
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
    reports = exposure_reports(key, exposure_read)
    if reports is None:
        credential.unknown.append(EXPOSURE)
    else:
        credential.attributes["exposure_reports"] = reports
    if last_used == "unknown":
        credential.unknown.append("last_used")
    else:
        credential.last_used = last_used if isinstance(last_used, datetime) else None
    return credential


# The permissions that act as a service account (https://cloud.google.com/iam/docs/service-account-permissions):
# a role holding one lets its members act as the account it is bound on, or as every account below
# the project, folder or organisation it is bound on. Setting the IAM policy of the account, or of a
# project, folder or organisation above it, is one step from it: its holder grants itself Token Creator.
IMPERSONATION_PERMISSIONS = frozenset(
    {
        "iam.serviceAccounts.setIamPolicy",
        "resourcemanager.projects.setIamPolicy",
        "resourcemanager.folders.setIamPolicy",
        "resourcemanager.organizations.setIamPolicy",
        "iam.serviceAccounts.actAs",
        "iam.serviceAccounts.getAccessToken",
        "iam.serviceAccounts.getOpenIdToken",
        "iam.serviceAccounts.implicitDelegation",
        "iam.serviceAccounts.signBlob",
        "iam.serviceAccounts.signJwt",
        "iam.serviceAccountKeys.create",  # creates the account's keys, and signs in with them
    }
)
_PREDEFINED_ROLES = Path(__file__).with_name("predefined_roles.json")
# The basic roles' new names, holding at least what Owner, Editor and Viewer do
_RENAMED_BASIC_ROLES = {"roles/admin": "roles/owner", "roles/writer": "roles/editor", "roles/reader": "roles/viewer"}


@cache
def predefined_roles() -> dict[str, frozenset[str]]:
    """Every predefined role nhiscan knows, with the permissions of its published definition that
    act as a service account (scripts/gcp_predefined_roles.py writes the file from Google's
    definitions as iann0036/iam-dataset records them)."""
    document = json.loads(_PREDEFINED_ROLES.read_text(encoding="utf-8"))
    roles = {str(name): frozenset(permissions) for name, permissions in document["roles"].items()}
    for name, basic in _RENAMED_BASIC_ROLES.items():
        roles.setdefault(name, roles[basic])
    return roles


def acts_as_service_accounts(role: str, custom_roles: Mapping[str, list[str]]) -> bool:
    """A role whose members may act as the service accounts it reaches: a predefined role whose
    published permissions, or a custom role whose definition (read) holds one of
    ``IMPERSONATION_PERMISSIONS``."""
    permissions = custom_roles.get(role) if is_custom_role(role) else predefined_roles().get(role)
    return bool(IMPERSONATION_PERMISSIONS.intersection(permissions or ()))


# Who adds or changes a workload identity pool's providers decides which tokens the pool admits,
# and so acts as every service account that trusts the pool (a provider of their own issuer).
# Predefined roles holding these permissions (iann0036/iam-dataset gcp/roles at 2073fa52, the
# dataset predefined_roles.json is made from): the pool admin, IAM admin and owner.
POOL_PROVIDER_PERMISSIONS = frozenset(
    {
        "iam.workloadIdentityPoolProviders.create",
        "iam.workloadIdentityPoolProviders.update",
        "iam.googleapis.com/workloadIdentityPoolProviders.create",
        "iam.googleapis.com/workloadIdentityPoolProviders.update",
    }
)
POOL_PROVIDER_ROLES = frozenset(
    {"roles/iam.workloadIdentityPoolAdmin", "roles/iam.admin", "roles/owner", "roles/admin"}  # admin: Owner renamed
)
# whoever may change the policy of the pool's project (or above) may grant themselves the pool admin
_POLICY_PERMISSIONS = frozenset(
    {
        "resourcemanager.projects.setIamPolicy",
        "resourcemanager.folders.setIamPolicy",
        "resourcemanager.organizations.setIamPolicy",
    }
)


def administers_pool_providers(role: str, custom_roles: Mapping[str, list[str]]) -> bool:
    """A role whose members may add or change a pool's providers on the pool's project or above,
    or make themselves able to (by changing that policy)."""
    if is_custom_role(role):
        permissions = frozenset(custom_roles.get(role) or ())
        return bool(permissions & (POOL_PROVIDER_PERMISSIONS | _POLICY_PERMISSIONS))
    return role in POOL_PROVIDER_ROLES or bool(predefined_roles().get(role, frozenset()) & _POLICY_PERMISSIONS)


# members that are or may be people: the public (allUsers, allAuthenticatedUsers) is anyone
_HUMAN_MEMBER_TYPES = ("user", "group", "domain", "allUsers", "allAuthenticatedUsers")
# principal:// and principalSet:// members of a workforce pool are people signed in through an
# external identity provider (workload identity pools are workloads)
_WORKFORCE_MEMBER = re.compile(r"^principal(?:Set)?://iam\.googleapis\.com/locations/[^/]+/workforcePools/")
_SA_DOMAIN = re.compile(r"@([a-z][a-z0-9-]{4,28}[a-z0-9])\.iam\.gserviceaccount\.com$")


def _condition(binding: dict[str, Any]) -> dict[str, str] | None:
    condition = binding.get("condition")
    if not condition:
        return None
    if not isinstance(condition, dict):
        return {"expression": str(condition), "title": "", "description": ""}
    return {k: str(condition.get(k) or "") for k in ("expression", "title", "description")}


def holder_project(email: str) -> str | None:
    """The project a user-managed service account lives in, from its e-mail domain."""
    found = _SA_DOMAIN.search(email)
    return found.group(1) if found else None


# A custom role's name says nothing of what it allows: its permissions are in its definition.
_CUSTOM_ROLE = re.compile(r"^(?:projects|organizations)/[^/]+/roles/[^/]+$")


def is_custom_role(role: str) -> bool:
    return _CUSTOM_ROLE.match(role) is not None


def bound_custom_roles(policies: Iterable[dict[str, Any]]) -> set[str]:
    return {
        str(binding.get("role"))
        for policy in policies
        for binding in policy.get("bindings") or []
        if is_custom_role(str(binding.get("role", "")))
    }


def role_permissions(role: dict[str, Any]) -> list[str] | None:
    """The permissions a role definition grants, or None when it does not hold them (the BASIC
    view, which ``gcloud iam roles list`` prints). Bindings to a deleted custom role have no effect,
    and a role whose stage is DISABLED "will not contribute permissions" (RoleLaunchStage)."""
    if role.get("deleted") or role.get("stage") == "DISABLED":
        return []
    permissions = role.get("includedPermissions")
    return [str(p) for p in permissions] if isinstance(permissions, list) else None


def _role_actions(role: str, custom_roles: Mapping[str, list[str]]) -> tuple[list[str], list[str]]:
    """(actions, unknown) of a bound role: a predefined role is judged by its name; a custom role
    by the permissions its definition lists, and its actions are unknown when that was not read."""
    if not is_custom_role(role):
        return [], []
    permissions = custom_roles.get(role)
    return ([], ["actions"]) if permissions is None else (list(permissions), [])


# every service account of a project, or of every project below a folder or organisation
# (https://cloud.google.com/iam/docs/principal-identifiers): projects/NUMBER, folders/N, organizations/N
_ACCOUNT_SET = re.compile(
    r"^principalSet://cloudresourcemanager\.googleapis\.com/"
    r"((?:projects|folders|organizations)/[^/]+)/type/ServiceAccount$"
)


EVERY_ACCOUNT = "*"  # the key of account_sets listing every service account read


def policy_grants(
    policy: dict[str, Any],
    resource: str,
    known: set[str] | None,
    custom_roles: Mapping[str, list[str]] | None = None,
    account_sets: Mapping[str, Iterable[str]] | None = None,
    group_members: Mapping[str, Iterable[str]] | None = None,
) -> tuple[list[Grant], list[dict[str, Any]]]:
    """Role bindings of service accounts as grants (of the ``known`` ones, or of every service
    account when ``known`` is None: another project's account bound here is a cross-project grant),
    and the public bindings (allUsers, allAuthenticatedUsers) separately. A conditional binding
    keeps its real role; its condition is in ``attributes.condition``. ``custom_roles`` holds the
    permissions of the custom roles whose definitions were read. A member naming every service
    account of a project, folder or organisation grants to each one ``account_sets`` lists under
    ``projects/NUMBER``, ``folders/N`` or ``organizations/N``; a ``group:`` member, to each service
    account ``group_members`` lists under the group's e-mail (lower case), through nested groups;
    ``allUsers`` and ``allAuthenticatedUsers``, to every service account ``account_sets`` lists
    under EVERY_ACCOUNT. An empty ``known`` asks for the public bindings alone."""
    grants: list[Grant] = []
    public: list[dict[str, Any]] = []
    bound_in = resource.split("/")[1] if resource.startswith("projects/") else None
    for binding in policy.get("bindings") or []:
        role = str(binding.get("role", ""))
        condition = _condition(binding)
        actions, unread = _role_actions(role, custom_roles or {})
        for member in binding.get("members") or []:
            member = str(member)
            in_set = _ACCOUNT_SET.match(member)
            kind, _, email = member.partition(":")
            if member in ("allUsers", "allAuthenticatedUsers"):
                public.append({"role": role, "member": member, "resource": resource})
                if known is not None and not known:
                    continue
                # every service account is among "anyone" (Google's principal identifiers)
                holders, via = list((account_sets or {}).get(EVERY_ACCOUNT, ())), f"~{member}"
            elif known is not None and not known:  # only the public bindings are asked for
                continue
            elif in_set:  # via: apart from a binding of the account itself
                holders, via = list((account_sets or {}).get(in_set.group(1), ())), f"~{in_set.group(1)}"
            elif kind == "group":
                holders, via = list((group_members or {}).get(email.lower(), ())), f"~{member}"
            elif kind == "serviceAccount":
                holders, via = [email], ""
            else:
                continue
            for email in holders:
                if known is not None and email not in known:
                    continue
                grant = _binding_grant(email, member, role, resource, bound_in, condition, actions, unread, via)
                grants.append(grant)
    return grants, public


def bound_groups(policies: Iterable[dict[str, Any]]) -> set[str]:
    """The e-mails (lower case) of the Google groups the policies bind to a role: the service
    accounts among their members hold it."""
    return {
        str(member).partition(":")[2].lower()
        for policy in policies
        for binding in policy.get("bindings") or []
        for member in binding.get("members") or []
        if str(member).startswith("group:")
    }


def account_sets_bound(policy: dict[str, Any]) -> set[str]:
    """The projects (``projects/NUMBER``), folders and organisations a policy binds every service
    account of."""
    return {
        found.group(1)
        for binding in policy.get("bindings") or []
        for member in binding.get("members") or []
        if (found := _ACCOUNT_SET.match(str(member)))
    }


def _binding_grant(
    email: str,
    member: str,
    role: str,
    resource: str,
    bound_in: str | None,
    condition: dict[str, str] | None,
    actions: Iterable[str],
    unread: Iterable[str],
    via: str,
) -> Grant:
    attributes: dict[str, Any] = {"member": member}
    if condition:
        attributes.update(condition=condition["expression"], condition_title=condition["title"])
        attributes["conditional"] = True
    home = holder_project(email)
    if bound_in and home and home != bound_in:
        attributes.update(cross_project=True, holder_project=home)
    suffix = f"?{condition['expression']}" if condition else ""
    return Grant(
        identity_uid=email,
        kind="role",
        name=role,
        actions=list(actions),
        resources=[resource],
        source="iamBinding",
        uid=f"{email}#role:{role}@{resource}{via}{suffix}",
        attributes=attributes,
        unknown=list(unread),
    )


def impersonation_bindings(
    policy: dict[str, Any],
    resource: str,
    custom_roles: Mapping[str, list[str]] | None = None,
    acts: Callable[[str, Mapping[str, list[str]]], bool] | None = None,
) -> list[dict[str, Any]]:
    """Members a policy lets act as service accounts (``acts_as_service_accounts``, or ``acts``): on
    a service account's own policy, that account; on a project, folder or organisation, every
    account below."""
    found = []
    custom_roles = custom_roles or {}
    acts = acts or acts_as_service_accounts
    for binding in policy.get("bindings") or []:
        role = str(binding.get("role", ""))
        if not acts(role, custom_roles):
            continue
        condition = _condition(binding)
        for member in binding.get("members") or []:
            member_type = str(member).partition(":")[0] if ":" in str(member) else str(member)
            found.append(
                {
                    "member": str(member),
                    "member_type": member_type,
                    "human": _is_person(str(member)),
                    "role": role,
                    "resource": resource,
                    "condition": condition["expression"] if condition else None,
                }
            )
    return found


def _bindings_of_unread_roles(
    policy: dict[str, Any], custom_roles: Mapping[str, list[str]]
) -> Iterator[tuple[str, list[str]]]:
    """Each binding of a role whose permissions are not known (a custom role whose definition was
    not read, or a predefined role ``predefined_roles`` does not hold: published after it was
    recorded), as the role and its members."""
    known = predefined_roles()
    for binding in policy.get("bindings") or []:
        role = str(binding.get("role", ""))
        if role not in custom_roles if is_custom_role(role) else role.startswith("roles/") and role not in known:
            yield role, [str(m) for m in binding.get("members") or []]


def _is_person(member: str) -> bool:
    return member.partition(":")[0] in _HUMAN_MEMBER_TYPES or bool(_WORKFORCE_MEMBER.match(member))


def unread_roles_of_people(policy: dict[str, Any], custom_roles: Mapping[str, list[str]]) -> list[str]:
    """The roles whose permissions are not known that a policy binds people to. Whether those
    people may act as the service accounts below cannot be told."""
    return [role for role, members in _bindings_of_unread_roles(policy, custom_roles) if any(map(_is_person, members))]


def others_bound_to_unread_roles(policy: dict[str, Any], custom_roles: Mapping[str, list[str]]) -> list[dict[str, str]]:
    """The members other than people (service accounts among them) that a policy binds to roles
    whose permissions are not known, each as ``member`` and ``role``: they may act as the service
    accounts below, and so may whoever may act as them."""
    return [
        {"member": member, "role": role}
        for role, members in _bindings_of_unread_roles(policy, custom_roles)
        for member in members
        if not _is_person(member)
    ]


def workload_identity_provider(provider: dict[str, Any]) -> dict[str, Any]:
    """A workload identity pool provider as recorded on its project (``workload_identity_providers``).
    With no ``attribute_condition`` the provider accepts every token its issuer signs."""
    oidc, aws, saml = provider.get("oidc") or {}, provider.get("aws") or {}, provider.get("saml") or {}
    protocol = "oidc" if oidc else "aws" if aws else "saml" if saml else "x509" if provider.get("x509") else ""
    name = str(provider.get("name", ""))
    return {
        "name": name,
        "pool": name.split("/providers/")[0].rsplit("/", 1)[-1],
        "provider_id": name.rsplit("/", 1)[-1],
        "display_name": provider.get("displayName") or "",
        "protocol": protocol,
        "issuer": oidc.get("issuerUri") or (f"aws:{aws.get('accountId')}" if aws else None),
        "allowed_audiences": list(oidc.get("allowedAudiences") or []),
        "attribute_mapping": dict(provider.get("attributeMapping") or {}),
        "attribute_condition": provider.get("attributeCondition") or None,
        "disabled": bool(provider.get("disabled")),
        "state": provider.get("state") or "",
    }


def audit_logs(policy: dict[str, Any], project: str, scope: str = "") -> list[LogSource]:
    """The data-access audit configs of a policy, as log sources of ``project``; ``scope`` names the
    folder or organisation whose policy set them (they log every project below it)."""
    found = []
    for config in policy.get("auditConfigs") or []:
        service = str(config.get("service", ""))
        configs = [c for c in config.get("auditLogConfigs") or [] if isinstance(c, dict)]
        types = sorted(str(c.get("logType", "")) for c in configs)
        exempted = sorted({str(m) for c in configs for m in c.get("exemptedMembers") or []})
        label = "allServices" if service == "allServices" else service.split(".")[0]
        found.append(
            LogSource(
                uid=f"gcp:{project}:auditConfigs:{label}" + (f"@{scope}" if scope else ""),
                provider="gcp",
                account=project,
                kind="audit_config",
                name=f"{label} data access",
                scope=scope or f"projects/{project}",
                enabled=bool({"DATA_READ", "DATA_WRITE"} & set(types)),
                covers=[service],
                attributes={"log_types": types, "exempted_members": exempted, "inherited": bool(scope)},
                unknown=["retention_days"],
            )
        )
    return found


_APPLICATION_RESTRICTIONS = (
    ("browserKeyRestrictions", "browser"),
    ("serverKeyRestrictions", "server"),
    ("androidKeyRestrictions", "android"),
    ("iosKeyRestrictions", "ios"),
)
# a referrer of wildcards alone (*, */*, https://*, *.*/*) matches every site
_ANY_REFERRER = re.compile(r"^(?:[a-z*]*://)?[*./]*$", re.IGNORECASE)


def _application_restriction(restrictions: dict[str, Any]) -> str | None:
    """The kind of application restriction a key has (browser, server, android, ios), or None when
    it has none or one that admits anything: a referrer of wildcards alone, an address range of
    every address (0.0.0.0/0, ::/0)."""
    kind = next((kind for field, kind in _APPLICATION_RESTRICTIONS if restrictions.get(field)), None)
    if kind == "browser":
        referrers = (restrictions.get("browserKeyRestrictions") or {}).get("allowedReferrers") or []
        if not referrers or any(_ANY_REFERRER.match(str(referrer).strip()) for referrer in referrers):
            return None
    elif kind == "server":
        addresses = (restrictions.get("serverKeyRestrictions") or {}).get("allowedIps") or []
        if not addresses or any(_every_address(str(address)) for address in addresses):
            return None
    return kind


def _every_address(address: str) -> bool:
    try:
        return ipaddress.ip_network(address.strip(), strict=False).prefixlen == 0
    except ValueError:
        return False


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
            "api_restricted": bool(restrictions.get("apiTargets")),
            "application_restriction": _application_restriction(restrictions),
            "service_account": key.get("serviceAccountEmail"),
        },
        unknown=["last_used"],
    )


def description_secrets(agent: Agent) -> list[Credential]:
    """A ``plaintext_secret`` credential for each secret in a Vertex agent's description, its only
    free text the API returns (``password: X`` written there is readable by anyone who can list
    agents). Only a fingerprint is kept. A service account's description is not judged (no control
    reads identities' free text): it is redacted with every other string."""
    found = find_secrets_in_text(str(agent.attributes.get("description") or ""))[:SECRETS_PER_TEXT]
    return [
        plaintext_credential(
            agent.uid,
            "description" + (f"#{ordinal}" if ordinal > 1 else ""),
            "description",
            secret,
            {"field": "description"},
        )
        for ordinal, secret in enumerate(found, 1)
    ]
