"""GCP predefined roles, judged on their published definitions.

A predefined role (``roles/…``) is judged by its name: the GCP source does not read its
permissions, so the tags the capability catalog gives its name, and the permissions its
``role_permissions`` lists for the combinations, are all its holders carry. Together they must hold
at least what the catalog's rules make of the role's published permissions, or the holder passes
controls on what the role plainly allows (Editor creates service-account keys and acts as every
service account of its project). A role that holds every permission of a named role carries that
role's tags too (Owner holds Secret Manager Secret Accessor's), and a name claims no tag its
permissions could show but do not. The comparison is against the catalog's own rules: a permission
no rule judges carries nothing on either side.

The definitions in tests/data/gcp/roles/ are ``gcloud iam roles describe`` output (the IAM API's
Role with ``includedPermissions``) as iann0036/iam-dataset records it (MIT; commits in
tests/data/SOURCES.md), unedited: every role the catalog names, and every role whose definition
holds a permission the combinations look at. The same permissions bound as a custom role of the
project, whose definition the source reads, show what they carry without the name.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path

import pytest

from scanner.engine.context import EvalContext
from scanner.model import Grant, Identity, Inventory
from scanner.sources.gcp.records import policy_grants

ROLES = Path(__file__).parent / "data" / "gcp" / "roles"
PROJECT = "agents-prod"
HOLDER = f"deployer@{PROJECT}.iam.gserviceaccount.com"
COPY = f"projects/{PROJECT}/roles/publishedCopy"
PUBLISHED = sorted(path.name for path in ROLES.glob("*.json"))


@cache
def permissions_of(file_name: str) -> tuple[str, str, frozenset[str]]:
    """(role name, lower case; the name as published; its permissions)."""
    document = json.loads((ROLES / file_name).read_text(encoding="utf-8"))
    return document["name"].lower(), document["name"], frozenset(document["includedPermissions"])


def bound(
    catalogs, *roles: str, custom_roles: dict[str, list[str]] | None = None
) -> tuple[EvalContext, Identity, list[Grant]]:
    """A service account bound to ``roles`` on its project, as the GCP source reads the policy."""
    policy = {"bindings": [{"role": role, "members": [f"serviceAccount:{HOLDER}"]} for role in roles]}
    grants, _ = policy_grants(policy, f"projects/{PROJECT}", None, custom_roles or {})
    holder = Identity(HOLDER, "gcp", PROJECT, "service_account", "deployer")
    inventory = Inventory(collected_at=datetime.now(UTC), identities=[holder], grants=grants)
    return EvalContext(inventory, datetime.now(UTC), catalogs.capabilities), holder, grants


def holder_tags(catalogs, *roles: str, custom_roles: dict[str, list[str]] | None = None) -> frozenset[str]:
    """What a service account bound to ``roles`` on its project carries (their combinations included)."""
    context, holder, _ = bound(catalogs, *roles, custom_roles=custom_roles)
    return context.identity_tags(holder)


def by_name(catalogs, file_name: str) -> frozenset[str]:
    return holder_tags(catalogs, permissions_of(file_name)[1])


def by_permissions(catalogs, file_name: str) -> frozenset[str]:
    return holder_tags(catalogs, COPY, custom_roles={COPY: sorted(permissions_of(file_name)[2])})


@pytest.mark.parametrize("file_name", PUBLISHED)
def test_a_role_carries_at_least_what_its_published_permissions_do(catalogs, file_name) -> None:
    name = permissions_of(file_name)[0]
    lacking = by_permissions(catalogs, file_name) - by_name(catalogs, file_name)
    assert lacking == set(), f"{name}: its name lacks {sorted(lacking)}"


@pytest.mark.parametrize("file_name", PUBLISHED)
def test_a_role_carries_what_every_named_role_it_holds_carries(catalogs, file_name) -> None:
    name, _, held = permissions_of(file_name)
    for other in PUBLISHED:
        other_name, _, other_permissions = permissions_of(other)
        if other != file_name and other_permissions <= held:
            lacking = by_name(catalogs, other) - by_name(catalogs, file_name)
            assert lacking == set(), f"{name} holds every permission of {other_name} but lacks {sorted(lacking)}"


# Google's basic roles Admin, Writer and Reader ("Owner (Legacy)" and the others are the old ones, in
# the roles overview at cloud.google.com/iam/docs/roles-overview): the recorded dataset has no
# definitions of them, and the catalog judges each as the legacy role whose permissions it holds
BASIC_ROLES_AS_LEGACY = {"roles/admin": "roles/owner", "roles/writer": "roles/editor", "roles/reader": "roles/viewer"}


def test_every_role_the_catalog_names_has_its_published_definition_here(catalogs) -> None:
    """A role added to a ``names`` rule stands in for its permissions: its definition belongs here,
    so the tests above compare the two."""
    published = {permissions_of(file_name)[0] for file_name in PUBLISHED} | BASIC_ROLES_AS_LEGACY.keys()
    patterns = {pattern for rule in catalogs.capabilities.rules if rule.provider == "gcp" for pattern in rule.names}
    assert {pattern for pattern in patterns if not any(fnmatchcase(name, pattern) for name in published)} == set()


def combination_patterns(catalogs) -> set[str]:
    return {
        pattern
        for combination in catalogs.capabilities.combinations
        if combination.provider == "gcp"
        for either in combination.all_of
        for pattern in either
    }


@pytest.mark.parametrize("file_name", PUBLISHED)
def test_a_role_holds_for_the_combinations_what_its_published_definition_does(catalogs, file_name) -> None:
    """Its definition is not read: ``role_permissions`` lists what the combinations look at."""
    name, _, held = permissions_of(file_name)
    patterns = combination_patterns(catalogs)
    published = {p.lower() for p in held if any(fnmatchcase(p.lower(), pattern) for pattern in patterns)}
    assert set(catalogs.capabilities.role_permissions.get(("gcp", name), ())) == published


def test_every_role_given_permissions_has_its_published_definition_here(catalogs) -> None:
    published = {permissions_of(file_name)[0] for file_name in PUBLISHED} | BASIC_ROLES_AS_LEGACY.keys()
    assert {role for _, role in catalogs.capabilities.role_permissions} - published == set()


@pytest.mark.parametrize(
    "runs_code", ["roles/run.developer", "roles/cloudfunctions.developer", "roles/cloudscheduler.admin"]
)
def test_two_named_roles_that_escalate_together_combine_as_their_permissions_would(catalogs, runs_code) -> None:
    """Service Account User attaches any account of the project to the VM, service or function the
    other role creates, which then runs with that account's token."""
    assert "privilege_escalation" not in holder_tags(catalogs, "roles/iam.serviceAccountUser")
    assert "privilege_escalation" not in holder_tags(catalogs, runs_code)
    assert "privilege_escalation" in holder_tags(catalogs, "roles/iam.serviceAccountUser", runs_code)
    copies = {f"{COPY}{n}": sorted(permissions_of(f"{role.removeprefix('roles/')}.json")[2]) for n, role in
              enumerate(["roles/iam.serviceAccountUser", runs_code])}  # fmt: skip
    assert "privilege_escalation" in holder_tags(catalogs, *copies, custom_roles=copies)


@pytest.mark.parametrize("role", ["compute.instanceAdmin.v1", "compute.instanceAdmin"])
def test_an_instance_admin_escalates_alone_by_the_ssh_keys_it_sets_in_metadata(catalogs, role: str) -> None:
    """Setting an instance's metadata adds an SSH key to a VM that runs as a service account, whose
    token the metadata server then hands out: no actAs needed."""
    _, name, published = permissions_of(f"{role}.json")
    assert "compute.instances.setMetadata" in published and "iam.serviceAccounts.actAs" not in published
    assert "privilege_escalation" in holder_tags(catalogs, name)
    copy = {COPY: sorted(published)}
    assert "privilege_escalation" in holder_tags(catalogs, COPY, custom_roles=copy)


@pytest.mark.parametrize(
    "permissions",
    [
        ["storage.hmacKeys.create"],
        ["iam.serviceAccounts.implicitDelegation"],
        ["deploymentmanager.deployments.create"],
        ["compute.projects.setCommonInstanceMetadata"],
        ["iam.serviceAccounts.actAs", "run.services.update"],
        ["iam.serviceAccounts.actAs", "cloudfunctions.functions.update"],
        ["iam.serviceAccounts.actAs", "run.jobs.update"],
        ["iam.serviceAccounts.actAs", "compute.instances.setServiceAccount"],
    ],
)
def test_a_custom_role_of_known_escalation_permissions_escalates(catalogs, permissions: list[str]) -> None:
    """Rhino Security Labs' GCP privilege-escalation methods a custom role may hold (they passed)."""
    assert "privilege_escalation" in holder_tags(catalogs, COPY, custom_roles={COPY: permissions})


def test_editor_mints_keys_and_acts_as_the_accounts_of_its_project(catalogs) -> None:
    """The basic role a project's default Compute Engine service account is granted on creation, unless
    an organisation policy (iam.automaticIamGrantsForDefaultServiceAccounts) prevents it."""
    _, _, editor = permissions_of("editor.json")
    assert {"iam.serviceAccountKeys.create", "iam.serviceAccounts.actAs", "compute.instances.create"} <= editor
    assert {"credential_create", "impersonation", "privilege_escalation"} <= by_name(catalogs, "editor.json")
    assert {"container.secrets.get", "apikeys.keys.getKeyString"} <= editor  # GKE Secrets, API key strings
    assert "secrets_read" in by_name(catalogs, "editor.json")


def test_owner_carries_every_tag_editor_and_the_other_named_roles_do(catalogs) -> None:
    owner = by_name(catalogs, "owner.json")
    assert {"admin", "secrets_read", "iam_write", "logging_disable"} <= owner
    assert by_name(catalogs, "editor.json") - {"basic_role"} <= owner


def tags_permissions_can_show(catalogs) -> set[str]:
    """The tags some GCP permission carries in the catalog (with the combinations'): for these a
    role's name must not claim more than its permissions show."""
    rules = catalogs.capabilities.rules
    shown = {tag for rule in rules if rule.provider == "gcp" and rule.actions for tag in rule.tags}
    shown |= {c.tag for c in catalogs.capabilities.combinations if c.provider == "gcp"}
    return shown - {"code_execution"}  # running code has rules for few of the services that do it


@pytest.mark.parametrize("file_name", PUBLISHED)
def test_a_named_role_claims_no_tag_its_permissions_could_show_but_do_not(catalogs, file_name) -> None:
    name = permissions_of(file_name)[0]
    over = (by_name(catalogs, file_name) - by_permissions(catalogs, file_name)) & tags_permissions_can_show(catalogs)
    assert over == set(), f"{name}: its name claims {sorted(over)} that its permissions do not show"


# what a role judged to reach nothing may do besides reading metadata: its workload's own telemetry, and three
# checks
TELEMETRY_WRITES = {
    "logging.logEntries.create",
    "logging.logEntries.route",
    "monitoring.metricDescriptors.create",
    "monitoring.timeSeries.create",
    "cloudtrace.traces.patch",
    "telemetry.traces.write",
    "errorreporting.errorEvents.create",
    "cloudprofiler.profiles.create",
    "cloudprofiler.profiles.update",
    "stackdriver.resourceMetadata.write",
    "opsconfigmonitoring.resourceMetadata.write",
    "autoscaling.sites.writeMetrics",
    "serviceusage.services.use",
    "serviceusage.values.test",  # tests a policy value
    "logging.queries.usePrivate",  # runs one's own saved log queries
    "cloudasset.othercloudconnections.verify",  # checks a connection's settings
}
# verbs that read metadata, never data: the data reads among GCP's "get"s are named below
METADATA_VERBS = ("get", "list", "getIamPolicy", "listEffectiveTags", "listTagBindings", "search", "query", "analyze")
# data among the reads named get or list (a denylist: the roles judged to reach nothing are few and curated)
DATA_READS = {
    "storage.objects.get",
    "storage.objects.list",
    "bigquery.tables.getData",
    "apikeys.keys.getKeyString",
    "container.secrets.get",
    "container.secrets.list",
    "logging.logEntries.list",
    "logging.privateLogEntries.list",
    "source.repos.get",
    "compute.instances.getSerialPortOutput",
    "iam.serviceAccounts.getAccessToken",
    "iam.serviceAccounts.getOpenIdToken",
}
DATA_READ_RESOURCES = (".entities.", ".documents.", ".rows.", ".messages.", ".logs.", ".views.")
PULLS = {
    "artifactregistry.files.download",
    "artifactregistry.repositories.downloadArtifacts",
    "artifactregistry.repositories.exportArtifacts",
    "artifactregistry.repositories.readViaVirtualRepository",
}
ASSET_METADATA = "cloudasset.assets."  # Cloud Asset Inventory: the resources' metadata and IAM policies


def judged_to_reach_nothing(catalogs) -> set[str]:
    """Roles named only by rules without tags."""
    rules = [rule for rule in catalogs.capabilities.rules if rule.provider == "gcp"]
    untagged = {name for rule in rules if not rule.tags for name in rule.names}
    return untagged - {name for rule in rules if rule.tags for name in rule.names}


def test_a_role_judged_to_reach_nothing_holds_only_reads_of_metadata_and_its_own_telemetry(catalogs) -> None:
    published = {permissions_of(file_name)[0]: permissions_of(file_name)[2] for file_name in PUBLISHED}
    judged = judged_to_reach_nothing(catalogs)
    assert judged and judged <= published.keys(), "each has its published definition here"
    beyond = {
        name: sorted(
            permission
            for permission in published[name] - TELEMETRY_WRITES - PULLS
            if permission in DATA_READS
            or any(resource in permission for resource in DATA_READ_RESOURCES)
            or not (permission.split(".")[-1].startswith(METADATA_VERBS) or permission.startswith(ASSET_METADATA))
        )[:5]
        for name in sorted(judged)
    }
    assert {name: held for name, held in beyond.items() if held} == {}
    assert {name: by_name(catalogs, f"{permissions_of_name(name)}.json") for name in judged} == dict.fromkeys(
        judged, frozenset()
    )


def permissions_of_name(name: str) -> str:
    """The file name (without .json) of a published role by its lower-case name."""
    return next(f[:-5] for f in PUBLISHED if permissions_of(f)[0] == name)


def test_a_predefined_role_nobody_judged_leaves_its_holders_privileges_unknown(catalogs) -> None:
    """As a tool the catalog does not know: what the role allows was judged by nobody."""
    context, holder, (log_writer, dataproc_editor) = bound(catalogs, "roles/logging.logWriter", "roles/dataproc.editor")
    assert context.identity_gap(holder) == "reach of role roles/dataproc.editor"
    assert context.grant_gap(log_writer) is None, "a role the catalog judged to reach nothing"
    assert context.grant_gap(dataproc_editor) is not None


@pytest.mark.parametrize(("basic", "legacy"), sorted(BASIC_ROLES_AS_LEGACY.items()))
def test_a_basic_role_is_judged_as_the_legacy_role_it_replaces(catalogs, basic, legacy) -> None:
    """Never a role nobody judged: that is never administration nor a basic role (see
    EvalContext.grant_gap_never), which Admin is."""
    assert holder_tags(catalogs, basic) == holder_tags(catalogs, legacy)
    context, holder, _ = bound(catalogs, basic)
    assert context.identity_gap(holder) is None
