"""GCP exports for ``file:``: ``gcloud iam service-accounts list``, ``gcloud iam service-accounts
keys list``, ``gcloud projects get-iam-policy``, ``gcloud asset search-all-iam-policies`` and
``gcloud iam roles describe`` JSON (gcloud prints the inner list or object), the raw REST responses,
and Cloud Custodian flight recordings of them (the response in ``body``).

A custom role (``projects/P/roles/R``, ``organizations/N/roles/R``) bound in a policy allows what its
definition lists (``includedPermissions``); without that definition among the exports, what its
holders may do is unknown. ``gcloud iam roles list`` prints no permissions, so it does not count.

Which resource an IAM policy belongs to: a ``get-iam-policy`` output does not say (a service
account's own policy has the same shape as a project's), so it is learned, in this order, from
- the file itself, when it records it: Cloud Asset Inventory results name each policy's
  ``resource`` (``//cloudresourcemanager.googleapis.com/projects/P``,
  ``//iam.googleapis.com/projects/P/serviceAccounts/EMAIL``);
- the file's name, when it is a service account's email (``ci@p.iam.gserviceaccount.com.json``),
  or names one after ``serviceAccounts`` as a request path does: that account's own policy (who
  may act as it);
- the folder the file sits in, named by the project id (``exports/my-project/policy.json``): that
  project's policy.
A policy whose resource cannot be learned is not read (a named gap), never guessed. Every project
seen is its own account: exports of several projects never collapse into one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.loading import validate
from scanner.model import Account, Identity, Inventory, SourceError, SourceStatus
from scanner.sources.gcp import records
from scanner.sources.gcp.records import PUBLIC

PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_PROJECT_RESOURCE = re.compile(r"^//cloudresourcemanager\.googleapis\.com/projects/([^/]+)$")
_SA_RESOURCE = re.compile(r"^//iam\.googleapis\.com/projects/([^/]+)/serviceAccounts/([^/]+)$")
_ANCESTOR_RESOURCE = re.compile(r"^//cloudresourcemanager\.googleapis\.com/((?:folders|organizations)/[^/]+)$")
_PROJECT_NUMBER = re.compile(r"^projects/[0-9]+$")
# the accounts Google creates in a project, named by its number or id
_DEFAULT_COMPUTE = re.compile(r"^([0-9]+)-compute@developer\.gserviceaccount\.com$")
_APP_ENGINE = re.compile(r"^([a-z][a-z0-9-]{4,28}[a-z0-9])@appspot\.gserviceaccount\.com$")
ANCESTORS_HINT = (
    "export the policies above with 'gcloud asset search-all-iam-policies --scope=organizations/ORG_ID "
    "--format=json', which names each project's folders and organisation"
)
# a file named by a service account's email, alone or after "serviceAccounts" as in a request path
_SA_IN_FILE_NAME = re.compile(
    r"(?:^|serviceAccounts[-_/])([a-z][a-z0-9-]{4,29}@[a-z0-9.-]+\.gserviceaccount\.com)", re.IGNORECASE
)
_IN_NAME = re.compile(r"^projects/([^/]+)/serviceAccounts/([^/]+)")
_ROLE_NAME = re.compile(r"^(?:roles|(?:projects|organizations)/[^/]+/roles)/[^/]+$")
PLACEMENT_HINT = (
    "an IAM policy that does not say whose it is: put a project's policy in a folder named by the "
    "project id (exports/my-project/policy.json), a service account's in a file named by its email, "
    "or export with 'gcloud asset search-all-iam-policies --format=json'"
)


class UnplacedPolicy(Exception):
    """A bare IAM policy whose resource neither its file name nor its folder names."""


@dataclass(slots=True)
class GcpExports:
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)  # email -> serviceAccounts.list item
    keys: dict[str, dict[str, Any]] = field(default_factory=dict)  # key resource name -> keys.list item
    keys_listed: set[str] = field(default_factory=set)  # emails whose keys were listed
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)  # project -> policy
    account_policies: dict[str, dict[str, Any]] = field(default_factory=dict)  # email -> its own policy
    roles: dict[str, list[str]] = field(default_factory=dict)  # custom role name -> its permissions
    other_resources: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cut_pages: list[str] = field(default_factory=list)  # files holding one page of a longer list
    # project -> the folders and organisation above it, where an asset search result names them
    ancestors: dict[str, list[str]] = field(default_factory=dict)
    ancestor_policies: dict[str, dict[str, Any]] = field(default_factory=dict)  # folders/N, organizations/N
    # project id -> "projects/NUMBER", where an asset search result of the project or one of its
    # accounts names it (None: two results named two numbers)
    project_numbers: dict[str, str | None] = field(default_factory=dict)
    homes: dict[str, str] = field(default_factory=dict)  # email -> its project, where an export names it

    def __bool__(self) -> bool:
        return bool(self.accounts or self.keys or self.policies or self.account_policies)


def is_policy(data: Any) -> bool:
    return isinstance(data, dict) and ("bindings" in data or "auditConfigs" in data) and "etag" in data


def is_role(data: Any) -> bool:
    return isinstance(data, dict) and _ROLE_NAME.match(str(data.get("name", ""))) is not None and not is_policy(data)


def read_gcp_export(data: Any, exports: GcpExports, path: Path, at: tuple[str, ...] = ()) -> bool:
    """Adds what ``data`` holds; False when it is not a GCP export. Raises UnplacedPolicy for a
    policy whose resource cannot be learned, InputError for a malformed export."""
    if isinstance(data, dict) and isinstance(data.get("body"), dict) and "headers" in data:
        data, at = data["body"], (*at, "body")
    if is_policy(data):
        validate(data, "export-gcp-policy", path, at=at)
        _place_policy(data, path, exports)
        return True
    if is_role(data):
        _add_roles(data, exports, path, at)
        return True
    items = data
    if isinstance(data, dict):
        for name in ("accounts", "keys", "results", "roles"):
            if isinstance(data.get(name), list):
                items, at = data[name], (*at, name)
                break
    if not isinstance(items, list) or not items or not isinstance(items[0], dict):
        return False
    # a REST answer names the next page of a list it cut (nextPageToken): what is on it was never exported
    cut = isinstance(data, dict) and bool(data.get("nextPageToken"))
    first = items[0]
    if "email" in first and "/serviceAccounts/" in str(first.get("name", "")):
        validate(items, "export-gcp-service-accounts", path, at=at)
        for account in items:
            exports.accounts[account["email"]] = account
    elif "/keys/" in str(first.get("name", "")) and ("keyType" in first or "validAfterTime" in first):
        validate(items, "export-gcp-keys", path, at=at)
        for key in items:
            exports.keys[key["name"]] = key
            if not cut:  # a holder's other keys may be on the pages after it
                exports.keys_listed.add(_key_holder(key["name"]))
    elif is_role(first):
        _add_roles(items, exports, path, at)
    elif "resource" in first and isinstance(first.get("policy"), dict):
        validate(items, "export-gcp-asset-policies", path, at=at)
        for result in items:
            _recorded_policy(result, exports)
    else:
        return False
    if cut:
        exports.cut_pages.append(str(path))
    return True


def _add_roles(data: Any, exports: GcpExports, path: Path, at: tuple[str, ...]) -> None:
    """``gcloud iam roles describe`` (one role) or a list of roles; a role listed without its
    permissions (``gcloud iam roles list``) stays unread."""
    validate(data, "export-gcp-roles", path, at=at)
    for role in data if isinstance(data, list) else [data]:
        permissions = records.role_permissions(role)
        if permissions is not None:
            exports.roles[str(role["name"])] = permissions


def _place_policy(policy: dict[str, Any], path: Path, exports: GcpExports) -> None:
    recorded = str(policy.get("resourceId") or "")  # Cloud Storage policies name their bucket
    named = _SA_IN_FILE_NAME.search(path.name)
    if recorded:
        _other_resource(recorded, policy, exports)
    elif named:
        _add_account_policy(named.group(1), policy, exports, str(path))
    elif PROJECT_ID.match(path.parent.name):
        _add_policy(path.parent.name, policy, exports, str(path))
    else:
        raise UnplacedPolicy(PLACEMENT_HINT)


def _other_resource(resource: str, policy: dict[str, Any], exports: GcpExports) -> None:
    """A policy of a resource other than a project or service account: not assessed, but its
    public members are named in the notes."""
    exports.other_resources.append(resource)
    public = [
        f"{binding.get('role')} to {member}"
        for binding in policy.get("bindings") or []
        for member in binding.get("members") or []
        if member in ("allUsers", "allAuthenticatedUsers")
    ]
    if public:
        exports.notes.append(f"{resource} (not assessed) grants {', '.join(public)}")


def _recorded_policy(result: dict[str, Any], exports: GcpExports) -> None:
    resource = str(result.get("resource", ""))
    policy = result["policy"]
    if match := _PROJECT_RESOURCE.match(resource):
        _add_policy(match.group(1), policy, exports, resource)
        _number(match.group(1), result, exports)
        # the asset API names the folders and organisation above the project (none: it has no parent)
        folders = [str(f) for f in result.get("folders") or [] if f]
        organization = [str(result["organization"])] if result.get("organization") else []
        exports.ancestors[match.group(1)] = [*folders, *organization]
    elif match := _ANCESTOR_RESOURCE.match(resource):
        _combine(exports.ancestor_policies, match.group(1), match.group(1), policy, exports, resource)
    elif match := _SA_RESOURCE.match(resource):
        _add_account_policy(match.group(2), policy, exports, resource)
        if match.group(1) != "-":
            _number(match.group(1), result, exports)
    else:
        _other_resource(resource, policy, exports)


def _number(project: str, result: dict[str, Any], exports: GcpExports) -> None:
    """The project's number, as an asset search result of the project or of one of its resources
    names it (``"project": "projects/NUMBER"``): what a ``principalSet://…/projects/NUMBER/…``
    member names."""
    number = result.get("project")
    if not isinstance(number, str) or not _PROJECT_NUMBER.match(number):
        return
    if exports.project_numbers.setdefault(project, number) != number:
        exports.project_numbers[project] = None


def _add_policy(project: str, policy: dict[str, Any], exports: GcpExports, where: str) -> None:
    _combine(exports.policies, project, f"projects/{project}", policy, exports, where)


def _add_account_policy(email: str, policy: dict[str, Any], exports: GcpExports, where: str) -> None:
    _combine(exports.account_policies, email, email, policy, exports, where)


def _combine(
    store: dict[str, dict[str, Any]], key: str, label: str, policy: dict[str, Any], exports: GcpExports, where: str
) -> None:
    """Two different exports of one resource's policy: their bindings add up (named in the notes)."""
    known = store.get(key)
    if known is not None and known != policy:
        exports.notes.append(f"two different IAM policies of {label} ({where}): their bindings are combined")
        bindings = {
            json.dumps(b, sort_keys=True): b for b in [*(known.get("bindings") or []), *(policy.get("bindings") or [])]
        }
        configs = {
            json.dumps(c, sort_keys=True): c
            for c in [*(known.get("auditConfigs") or []), *(policy.get("auditConfigs") or [])]
        }
        policy = {
            "bindings": [bindings[k] for k in sorted(bindings)],
            "auditConfigs": [configs[k] for k in sorted(configs)],
        }
    store[key] = policy


def _key_holder(name: str) -> str:
    return name.split("/serviceAccounts/")[-1].split("/keys/")[0]


def home_project(email: str, fallback: str) -> str:
    """The project a service account lives in, from its email (``NAME@PROJECT.iam...``)."""
    project = records.holder_project(email.lower())
    return project if project and not records.is_service_agent(email, "") else fallback


def gcp_inventory(exports: GcpExports, inventory: Inventory) -> None:
    identities: dict[str, Identity] = {}
    for email, listed in sorted(exports.accounts.items()):
        named = _IN_NAME.match(str(listed.get("name", "")))
        project = str(listed.get("projectId") or (named.group(1) if named else home_project(email, "")))
        identities[email] = records.service_account(listed, project)
    for name, key in sorted(exports.keys.items()):
        email = _key_holder(name)
        named = _IN_NAME.match(name)
        project = named.group(1) if named and named.group(1) != "-" else home_project(email, "")
        if named and named.group(1) != "-":
            exports.homes.setdefault(email, named.group(1))
        identities.setdefault(email, _unlisted(email, project))
        inventory.credentials.append(records.service_account_key(key, email))
    for email, listed in exports.accounts.items():
        if listed.get("projectId"):
            exports.homes[email] = str(listed["projectId"])
    # the projects an export lists accounts of, and those it gives anything of (an account list, keys, a policy)
    listed_projects = {identities[email].account for email in exports.accounts}
    given = listed_projects | {identities[_key_holder(name)].account for name in exports.keys} | set(exports.policies)
    projects = {i.account for i in identities.values() if i.account} | set(exports.policies)
    accounts = {project: _project(project) for project in sorted(projects)}
    for project, policy in sorted(exports.policies.items()):
        members = {
            str(m).partition(":")[2] for b in policy.get("bindings") or [] for m in b.get("members") or []
            if str(m).startswith("serviceAccount:")
        }  # fmt: skip
        for email in sorted(members - set(identities)):
            identities[email] = _unlisted(email, _member_home(email, project, exports))
    for email in sorted(exports.account_policies):
        identities.setdefault(email, _unlisted(email, home_project(email, "")))
    homes = {email: _home(email, exports) for email in sorted(identities)}  # where each account lives
    account_sets = _account_sets(exports, homes)
    for project, policy in sorted(exports.policies.items()):
        grants, public = records.policy_grants(
            policy, f"projects/{project}", set(identities), exports.roles, account_sets
        )
        inventory.grants += grants
        inventory.log_sources += records.audit_logs(policy, project)
        if public:
            accounts[project].attributes["public_bindings"] = public
    for email, policy in sorted(exports.account_policies.items()):
        holder = identities[email]
        holder.attributes["iam_policy"] = [
            {"role": b.get("role"), "members": list(b.get("members") or [])} for b in policy.get("bindings") or []
        ]
        _, public = records.policy_grants(policy, f"serviceAccounts/{email}", set())
        if public:  # anyone may act as this account: its project grants to the public
            account = accounts.setdefault(holder.account, _project(holder.account))
            account.attributes.setdefault("public_bindings", []).extend(public)
    above_unread = _inherited(exports, inventory, accounts, set(identities), account_sets)
    for project, unread in accounts.items():
        if project not in exports.policies or project in above_unread:  # public members found already decide
            unread.unknown += ["log_sources"] + ([] if unread.attributes.get("public_bindings") else [PUBLIC])
    keys_unlisted: dict[str, list[str]] = {}  # project -> its accounts no key list holds
    for identity in identities.values():
        if identity.account not in exports.policies or identity.account in above_unread:
            identity.unknown.append("grants")
        if identity.uid not in exports.keys_listed:
            identity.unknown.append("credentials")
            keys_unlisted.setdefault(identity.account, []).append(identity.uid)
        if identity.account and identity.account not in accounts:
            accounts[identity.account] = _project(identity.account, ["log_sources", PUBLIC])
    _account_sets_unresolved(exports, identities, homes)
    _groups_unread(exports, identities)
    unread_roles = records.bound_custom_roles(exports.policies.values()) - set(exports.roles)
    if unread_roles:
        exports.notes.append(
            f"custom roles bound without their permissions among the exports, so what their holders may do is "
            f"unknown: {', '.join(sorted(unread_roles))} (export each with 'gcloud iam roles describe ROLE "
            f"--project=P' or '--organization=N' and '--format=json')"
        )
    if exports.other_resources:
        exports.notes.append(
            f"{len(exports.other_resources)} IAM policies of resources other than projects and service accounts "
            f"not assessed: {', '.join(sorted(exports.other_resources)[:5])}"
        )
    inventory.accounts += accounts.values()
    inventory.identities += identities.values()
    given |= {identities[email].account for email in exports.account_policies}  # an account's own policy
    for project, account in accounts.items():
        if project not in given:  # only named as some member's home: no read of it to report
            continue
        gaps = _not_exported(project, exports, listed_projects, keys_unlisted.get(project, []))
        if project not in listed_projects:
            account.unknown.append("identities")
        inventory.sources.append(SourceStatus("file", project, "partial" if gaps else "complete", gaps))


def _not_exported(
    project: str, exports: GcpExports, listed_projects: set[str], keys_unlisted: list[str]
) -> list[SourceError]:
    """What a project given in part lacks among the exports, each a named gap: its IAM policy (who holds
    which roles in it, its audit logging), its list of service accounts (those no other export names)
    and the key lists of its accounts ``keys_unlisted``. A project only named as some member's home was
    not given at all: it has no read, and its records are unknown."""
    gaps = []
    if project not in exports.policies:
        gaps.append(SourceError(
            "cloudresourcemanager:projects.getIamPolicy",
            f"no IAM policy of project {project} among the exports: who holds which roles in it and its audit "
            f"logging were not read (export it with 'gcloud projects get-iam-policy {project} --format=json')",
            "NotExported",
        ))  # fmt: skip
    if project not in listed_projects:
        gaps.append(SourceError(
            "iam:serviceAccounts.list",
            f"no list of project {project}'s service accounts among the exports: those no other export names were "
            f"not read (export it with 'gcloud iam service-accounts list --project={project} --format=json')",
            "NotExported",
        ))  # fmt: skip
    if keys_unlisted:
        gaps.append(_keys_not_exported(project, sorted(keys_unlisted)))
    return gaps


def _keys_not_exported(project: str, accounts: list[str]) -> SourceError:
    """Keys are listed one service account at a time: those of accounts no key list covers were not
    read (their keys unknown), which read as a complete project and passed NHI-COV-001."""
    named = ", ".join(accounts[:3]) + (f" and {len(accounts) - 3} more" if len(accounts) > 3 else "")
    return SourceError(
        "iam:serviceAccounts.keys.list",
        f"no key list of {len(accounts)} service account(s) of project {project} among the exports ({named}): "
        "their keys were not read (export each with 'gcloud iam service-accounts keys list "
        "--iam-account=EMAIL --format=json')",
        "NotExported",
    )


def _inherited(
    exports: GcpExports,
    inventory: Inventory,
    accounts: dict[str, Account],
    known: set[str],
    account_sets: dict[str, list[str]],
) -> set[str]:
    """Adds what the exported policies of the folders and organisations above each project grant
    (bindings hold on every project below them): grants, public members, audit configs. Returns
    the projects some policy above which is not among the exports (or whose ancestors no export
    names: a get-iam-policy output does not say): what they inherit is unknown."""
    unread: dict[str, list[str]] = {}
    granted: set[str] = set()  # an ancestor's grants are added once, whatever the projects below it
    for project in sorted(exports.policies):
        above = exports.ancestors.get(project)
        if above is None:
            unread[project] = ["the folders and organisation above it (not named by its export)"]
            continue
        # a search scoped to the organisation lists every policy under it: a folder it does not list has none
        organization = next((node for node in above if node.startswith("organizations/")), None)
        searched = organization in exports.ancestor_policies
        for node in above:
            policy = exports.ancestor_policies.get(node)
            if policy is None and searched:
                continue
            if policy is None:
                unread.setdefault(project, []).append(node)
                continue
            grants, public = records.policy_grants(policy, node, known, exports.roles, account_sets)
            if node not in granted:
                inventory.grants += grants
                granted.add(node)
            if public:
                accounts[project].attributes.setdefault("public_bindings", []).extend(public)
            inventory.log_sources += records.audit_logs(policy, project, node)
    if unread:
        named = [f"{project} ({', '.join(nodes)})" for project, nodes in sorted(unread.items())]
        exports.notes.append(
            f"what {len(unread)} projects inherit from the policies above them is unknown, those policies not being "
            f"among the exports: {'; '.join(named[:5])}{' …' if len(named) > 5 else ''} ({ANCESTORS_HINT})"
        )
    return set(unread)


def _account_sets(exports: GcpExports, homes: Homes) -> dict[str, list[str]]:
    """The exported service accounts in each project (``projects/NUMBER``, where an asset search
    result names the number) and below each folder and organisation (where one names the project's
    ancestors): whom a ``principalSet://…/type/ServiceAccount`` member names."""
    sets: dict[str, list[str]] = {records.EVERY_ACCOUNT: list(homes)}  # whom allUsers names
    for email, (project, number) in homes.items():
        for node in ((number,) if number else ()) + tuple(exports.ancestors.get(project or "", ())):
            sets.setdefault(node, []).append(email)
    return sets


def _member_home(email: str, naming_project: str, exports: GcpExports) -> str:
    """The project of an account known only as a policy's member: its email's (``@PROJECT.iam…``,
    ``PROJECT@appspot…``; ``NUMBER-compute@developer…`` where an asset search result numbers a
    project so, else none: ""); a service agent's, the project naming it."""
    found = _home(email, exports)[0]
    if found is not None:
        return found
    return "" if _DEFAULT_COMPUTE.match(email) else home_project(email, naming_project)


Homes = dict[str, tuple[str | None, str | None]]  # email -> its project and number (``_home``)


def _home(email: str, exports: GcpExports) -> tuple[str | None, str | None]:
    """The project an account lives in, and its number, as far as the exports tie them: the project
    an account list or key name gives, or its email's (``@PROJECT.iam…``, ``PROJECT@appspot…``,
    ``NUMBER-compute@developer…``). Never the project whose policy merely names it: a default
    compute account of project 333 bound in project 111 is 333's."""
    engine = _APP_ENGINE.match(email)
    project = exports.homes.get(email) or home_project(email, "") or (engine.group(1) if engine else "")
    if project:
        return project, exports.project_numbers.get(project)
    compute = _DEFAULT_COMPUTE.match(email)
    if compute is None:
        return None, None
    number = f"projects/{compute.group(1)}"
    return next((p for p, n in exports.project_numbers.items() if n == number), None), number


def _account_sets_unresolved(exports: GcpExports, identities: dict[str, Identity], homes: Homes) -> None:
    """A binding of every service account of a project (by its number), folder or organisation
    names accounts by where they live. An account whose project's number (for ``projects/N``) or
    ancestors (for a folder or organisation) no export names may be one of them: its grants are
    unknown, and a note says why. A number another exported project has is never its project's."""
    policies = _every_policy(exports)
    bound = sorted(set().union(*(records.account_sets_bound(policy) for policy in policies)))
    numbers = {number for number in exports.project_numbers.values() if number}
    # for projects/N: a known number is the account's project's or not, and a number an exported
    # project has is never the project of an account another export places elsewhere
    unnumbered = [email for email, (_, number) in homes.items() if number is None]
    unplaced = [email for email, (project, number) in homes.items() if number is None and project is None]
    # for a folder or organisation: the project's ancestors ([] for a project with no parent)
    no_ancestors = [
        email for email, (project, _) in homes.items() if project is None or project not in exports.ancestors
    ]
    undetermined: dict[str, list[str]] = {}
    for node in bound:
        emails = no_ancestors
        if node.startswith("projects/"):
            emails = unplaced if node in numbers else unnumbered
        if emails:
            undetermined[node] = emails
    for email in {email for emails in undetermined.values() for email in emails}:
        if "grants" not in identities[email].unknown:
            identities[email].unknown.append("grants")
    if undetermined:
        named = [
            f"{node} ({len(emails):,} account{'s' * (len(emails) != 1)})"
            for node, emails in sorted(undetermined.items())
        ]
        exports.notes.append(
            f"bindings of every service account of {', '.join(named[:5])}{' …' if len(named) > 5 else ''}: "
            "whether they hold these accounts is not in the exports (an asset search result of their project "
            "names its number and ancestors), so their grants are unknown"
        )


def _groups_unread(exports: GcpExports, identities: dict[str, Identity]) -> None:
    """A Google group bound to a role gives it to the service accounts among its members, which no
    export lists (Cloud Identity holds them; a live scan reads them): every account may be one, so
    every account's grants are unknown, and a note names the groups."""
    policies = _every_policy(exports)
    groups = sorted(records.bound_groups(policies))
    if not groups or not identities:
        return
    for identity in identities.values():
        if "grants" not in identity.unknown:
            identity.unknown.append("grants")
    exports.notes.append(
        f"roles bound to {len(groups):,} Google group{'s' * (len(groups) != 1)} ({', '.join(groups[:5])}"
        f"{' …' if len(groups) > 5 else ''}): which service accounts are members is not in the exports, so every "
        "service account's grants are unknown (a live scan, `nhiscan scan gcp`, reads the members from Cloud Identity)"
    )


def _every_policy(exports: GcpExports) -> list[dict[str, Any]]:
    """The exported policies of projects, of the folders and organisations above them, and of accounts."""
    return [*exports.policies.values(), *exports.ancestor_policies.values(), *exports.account_policies.values()]


def _unlisted(email: str, project: str) -> Identity:
    """A service account known only from a key list, a policy's members or its own policy: what only
    the account list shows (its labels and description, so its owner, and whether it is disabled)
    is unknown, never "none" or "enabled"."""
    identity = records.service_account({"email": email}, project)
    identity.attributes["disabled"] = None
    identity.attributes["description"] = None
    identity.unknown += ["owner", "attributes.disabled", "attributes.description"]
    return identity


def _project(project: str, unread: list[str] | None = None) -> Account:
    return Account(uid=project, provider="gcp", name=project, kind="project", unknown=["agents", *(unread or [])])
