"""The azure source against what real tenants do: credentials that do not work, national clouds,
pages inside $batch, the sign-in reports as Graph's reference shows them, shards, Resource Graph
throttling, PIM, groups, Lighthouse and licences. Graph and ARM are the local HTTPS fake, driven
through azure-core's real pipeline (and azure-identity's real credentials where a sign-in is
part of the point)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from scanner.model import STAND_IN_UNKNOWN, is_stand_in
from scanner.scan import ScanOptions, run_scan
from scanner.sharding import Shard
from scanner.sources.azure import client as azure_client
from scanner.sources.azure.client import AzureCalls
from scanner.sources.azure.clouds import CLOUDS, resolve_cloud
from scanner.sources.azure.collector import collect_azure

from .azure_estate import DEV, MI_ID, PROD, RECORDED, credential_activity, sign_in_activity
from .azure_fake import FakeAzure, FakeCredential, fake_cloud

NHISCAN = shutil.which("nhiscan", path=str(Path(sys.executable).parent)) or shutil.which("nhiscan")
PAYMENTS_SP = "cccc0001-0000-4000-8000-000000000001"
AUTOMATION_SP = "cccc0002-0000-4000-8000-000000000002"
MANAGED_SP = "cccc0003-0000-4000-8000-000000000003"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
MI_FEDERATED = "azure-cli-recording-arm-userAssignedIdentity-federatedIdentityCredentials-list.json"


@pytest.fixture
def fake(fake_azure: FakeAzure) -> FakeAzure:
    return fake_azure


def scan(fake: FakeAzure, cloud: str = "public", shard: Shard | None = None, tenant_hint: str | None = None):
    calls = AzureCalls(FakeCredential(), fake_cloud(fake, cloud))
    return collect_azure(FakeCredential(), tenant_hint, calls, shard)


def status_of(inventory, account: str):
    return next(s for s in inventory.sources if s.account == account)


def run_nhiscan(fake: FakeAzure, tmp_path: Path, *arguments: str, **environment: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "NHISCAN_", "IDENTITY_", "MSI_"))}
    env |= {"HOME": str(tmp_path), "REQUESTS_CA_BUNDLE": str(fake.cert), "NHISCAN_GRAPH_ENDPOINT": fake.endpoint,
            "NHISCAN_ARM_ENDPOINT": fake.endpoint, "NHISCAN_AZURE_AUTHORITY": fake.endpoint.removeprefix("https://"),
            "AZURE_TENANT_ID": fake.state.tenant, "AZURE_CLIENT_ID": "11111111-2222-4333-8444-555555555555",
            **environment}  # fmt: skip
    command = [str(NHISCAN), "scan", "azure", "--no-history", "--format", "json", "--output-dir", str(tmp_path / "out")]
    return subprocess.run([*command, *arguments], capture_output=True, text=True, env=env, timeout=120)


# credentials


def test_a_rejected_credential_stops_the_scan_with_one_line_and_exit_2(fake, tmp_path: Path) -> None:
    done = run_nhiscan(fake, tmp_path, AZURE_CLIENT_SECRET="not-the-secret")
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nhiscan: error: azure: no usable credentials"), done.stderr
    assert "AADSTS7000215" in lines[0]
    assert not (tmp_path / "out" / "results.json").exists()


def test_a_malformed_credential_setting_is_one_line_and_exit_2(fake, tmp_path: Path) -> None:
    done = run_nhiscan(fake, tmp_path, AZURE_CLIENT_ID="", AZURE_CLIENT_SECRET="x")
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        "nhiscan: error: azure: no usable credentials (client_id should be the id of a Microsoft Entra application)"
    ]


# DefaultAzureCredential's message on a machine with no Azure credential at all (azure-identity 1.2x)
NOTHING_SET_UP = """DefaultAzureCredential failed to retrieve a token from the included credentials.
Attempted credentials:
\tEnvironmentCredential: EnvironmentCredential authentication unavailable. Environment variables are not fully \
configured.
Visit https://aka.ms/azsdk/python/identity/environmentcredential/troubleshoot to troubleshoot this issue.
\tManagedIdentityCredential: ManagedIdentityCredential authentication unavailable.
\tVisualStudioCodeCredential: VisualStudioCodeCredential requires the 'azure-identity-broker' package to be installed.
\tAzureCliCredential: Azure CLI not found on path
\tAzurePowerShellCredential: PowerShell is not installed
\tAzureDeveloperCliCredential: Azure Developer CLI could not be found. Please visit https://aka.ms/azure-dev
To mitigate this issue, please refer to the troubleshooting guidelines."""


def test_with_no_credential_set_up_the_line_names_the_environment_as_documented() -> None:
    """A machine with nothing set up: the line names EnvironmentCredential (docs/sources/azure.md),
    not a credential whose tool or package is missing (it named VisualStudioCodeCredential)."""
    from scanner.sources.azure import credential_problem

    line = credential_problem(Exception(NOTHING_SET_UP))
    assert line.startswith("EnvironmentCredential: EnvironmentCredential authentication unavailable")
    failing = NOTHING_SET_UP.replace("Azure CLI not found on path", "ERROR: AADSTS70043: The refresh token has expired")
    assert credential_problem(Exception(failing)).startswith("AzureCliCredential: ERROR: AADSTS70043")


def test_gaps_of_tenant_wide_calls_are_filed_under_the_tenant(fake) -> None:
    fake.state.deny.add("/beta/reports/servicePrincipalSignInActivities")  # refused, not unlicensed
    inventory = scan(fake)
    tenant = status_of(inventory, fake.state.tenant)
    assert tenant.status == "partial"
    assert [e.call for e in tenant.errors] == ["graph:servicePrincipalSignInActivities"]
    assert all(s.account for s in inventory.sources), "no gap under an empty account"


def test_an_unreadable_organization_files_its_gap_under_the_named_tenant(fake) -> None:
    fake.state.deny.add("/v1.0/organization")
    inventory = scan(fake, tenant_hint=fake.state.tenant)
    assert [e.call for e in status_of(inventory, fake.state.tenant).errors] == ["graph:organization"]


# sovereign clouds


def test_each_cloud_names_endpoints_audiences_and_authority_together() -> None:
    usgov, china = CLOUDS["usgov"], CLOUDS["china"]
    assert (usgov.graph, usgov.graph_scope) == ("https://graph.microsoft.us", "https://graph.microsoft.us/.default")
    assert usgov.arm_scope == "https://management.usgovcloudapi.net/.default"
    assert usgov.authority == "login.microsoftonline.us"
    assert CLOUDS["usgov-dod"].graph_scope == "https://dod-graph.microsoft.us/.default"
    assert china.graph_scope == "https://microsoftgraph.chinacloudapi.cn/.default"
    assert china.arm == "https://management.chinacloudapi.cn" and china.authority == "login.chinacloudapi.cn"


def test_an_endpoint_override_keeps_the_clouds_token_audience(monkeypatch) -> None:
    monkeypatch.setenv("NHISCAN_GRAPH_ENDPOINT", "https://graph-proxy.example")
    cloud = resolve_cloud("usgov")
    assert cloud.graph == "https://graph-proxy.example"
    assert cloud.graph_scope == "https://graph.microsoft.us/.default"


def test_a_us_government_tenant_is_scanned_with_its_own_audiences_and_authority(fake, tmp_path: Path) -> None:
    fake.state.graph_scope = CLOUDS["usgov"].graph_scope
    fake.state.arm_scope = CLOUDS["usgov"].arm_scope
    done = run_nhiscan(fake, tmp_path, "--azure-cloud", "usgov", "--fail-on", "none",
                       AZURE_CLIENT_SECRET=fake.state.client_secret)  # fmt: skip
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert {s["status"] for s in results["scan"]["sources"]} == {"complete"}
    assert fake.state.requests["POST /oauth2/v2.0/token"] == 2, "one token per audience, from the cloud's authority"
    assert fake.state.requests["GET /beta/reports/servicePrincipalSignInActivities"] == 0, "global service only"


def test_a_public_cloud_token_is_refused_by_a_national_cloud(fake) -> None:
    fake.state.graph_scope = CLOUDS["usgov"].graph_scope
    inventory = scan(fake, "public")
    assert {e.code for e in status_of(inventory, "unknown-tenant").errors} == {"401"}


# paging and throttling inside $batch


def test_collections_longer_than_a_page_are_followed_inside_batch(fake) -> None:
    fake.state.page_size = 2
    graph = fake.state.service_principals[0]["id"]
    roles = [{"id": f"0000000{n}-0000-4000-8000-000000000000", "value": f"Role{n}.Read.All"} for n in range(5)]
    fake.state.service_principals[0]["appRoles"] = roles
    fake.state.related[f"/servicePrincipals/{PAYMENTS_SP}/appRoleAssignments"] = [
        {"appRoleId": role["id"], "resourceId": graph, "resourceDisplayName": "Microsoft Graph"} for role in roles
    ]
    fake.state.throttle[f"/v1.0/servicePrincipals/{PAYMENTS_SP}/appRoleAssignments"] = 1
    inventory = scan(fake)
    names = {g.name for g in inventory.grants if g.identity_uid == f"azure:sp:{PAYMENTS_SP}" and g.source}
    assert {f"Role{n}.Read.All" for n in range(5)} <= names, "three pages of two, the first one throttled"
    assert status_of(inventory, fake.state.tenant).status == "complete"


def test_a_request_throttled_inside_batch_for_too_long_is_a_gap(fake, monkeypatch) -> None:
    monkeypatch.setattr(azure_client, "THROTTLED_RESENDS", 1)
    fake.state.throttle[f"/v1.0/servicePrincipals/{PAYMENTS_SP}/appRoleAssignments"] = 5
    inventory = scan(fake)
    payments = next(i for i in inventory.identities if i.uid == f"azure:sp:{PAYMENTS_SP}")
    assert "grants" in payments.unknown
    assert [e.code for e in status_of(inventory, fake.state.tenant).errors] == ["429"]


# sign-in activity


def test_last_use_is_the_last_sign_in_as_a_client_not_as_a_resource(fake) -> None:
    inventory = scan(fake)
    by_name = {i.name: i for i in inventory.identities if i.kind in ("service_principal", "managed_identity")}
    assert by_name["payments-api"].last_used is not None
    assert by_name["it-automation"].last_used is None and "last_used" not in by_name["it-automation"].unknown, (
        "only called as a resource: it has never used its own credentials"
    )
    assert by_name["mi-payments"].last_used is not None
    counts_attempts = {name for name, i in by_name.items() if i.attributes.get("last_used_counts_attempts")}
    assert counts_attempts == {"payments-api", "mi-payments"}, "a time in the report may be an attempt"


def test_recent_sign_in_activity_does_not_pass_the_idle_identity_control(fake, catalogs) -> None:
    """Microsoft: during the preview the report's time may be a partial sign-in, and "doesn't
    establish that authentication completed or succeeded"."""
    inventory = scan(fake)
    findings = run_scan(inventory, catalogs, ScanOptions(keep_passed=True)).findings
    idle = {f.resource.name: f for f in findings if f.control_id == "NHI-OWN-003"}
    assert idle["payments-api"].status == "unknown"
    assert "successful sign-ins of payments-api not collected" in idle["payments-api"].message
    assert idle["it-automation"].status == "fail", "never signed in as a client"


def test_a_managed_identity_the_report_does_not_list_has_an_unknown_last_use(fake) -> None:
    fake.state.sign_ins = [a for a in fake.state.sign_ins or [] if a["appId"] != "dddd0003-0000-4000-8000-000000000003"]
    inventory = scan(fake)
    managed = next(i for i in inventory.identities if i.name == "mi-payments")
    assert managed.last_used is None and "last_used" in managed.unknown


def test_the_reports_as_graphs_reference_prints_them_give_named_gaps_for_unreadable_times(fake) -> None:
    recorded = json.loads((RECORDED / "msgraph-docs-beta-list-servicePrincipalSignInActivities.json").read_text())
    credentials = json.loads((RECORDED / "msgraph-docs-beta-list-appCredentialSignInActivities.json").read_text())
    fake.state.sign_ins = recorded["value"]
    fake.state.credential_sign_ins = credentials["value"]
    inventory = scan(fake)
    tenant = status_of(inventory, fake.state.tenant)
    assert tenant.status == "partial"
    malformed = [e for e in tenant.errors if e.code == "malformed"]
    assert malformed and all("-8:00" in e.message for e in malformed), "the reference's '-8:00' offsets"


def test_without_the_credential_report_licence_secret_use_stays_unknown_without_a_gap(fake) -> None:
    fake.state.credential_sign_ins = None
    inventory = scan(fake)
    secrets = [c for c in inventory.credentials if c.kind == "client_secret"]
    assert secrets and all("last_used" in c.unknown for c in secrets)
    assert status_of(inventory, fake.state.tenant).status == "complete"


def test_a_malformed_credential_date_is_a_gap_and_the_rest_is_read(fake) -> None:
    fake.state.applications[-2]["passwordCredentials"][0]["endDateTime"] = "not-a-time"
    inventory = scan(fake)
    ci = next(c for c in inventory.credentials if c.attributes["display_id"].startswith("ci "))
    assert ci.expires is None and "expires" in ci.unknown and ci.created is not None
    errors = status_of(inventory, fake.state.tenant).errors
    assert [e.code for e in errors] == ["malformed"] and "not-a-time" in errors[0].message


# directory roles: PIM and groups


def test_pim_eligible_and_group_held_directory_roles_are_grants(fake) -> None:
    """The fake answers the group members' OData cast with an empty list, as Graph does, unless the
    batched request carries ConsistencyLevel: eventual and $count=true."""
    group = "eeee0001-0000-4000-8000-000000000001"
    fake.state.eligible_roles = [{"principalId": PAYMENTS_SP, "directoryScopeId": "/", "memberType": "Direct",
                                  "roleDefinition": {"displayName": "Application Administrator"}}]  # fmt: skip
    fake.state.directory_roles.append(
        {
            "principalId": group,
            "directoryScopeId": "/",
            "roleDefinition": {"displayName": "Cloud Application Administrator"},
        }
    )
    fake.state.directory_objects[group] = {"@odata.type": "#microsoft.graph.group", "id": group}
    fake.state.related[f"/groups/{group}/transitiveMembers/microsoft.graph.servicePrincipal"] = [{"id": AUTOMATION_SP}]
    inventory = scan(fake)
    roles = {(g.identity_uid, g.name, g.attributes.get("membership"), g.attributes.get("via_group"))
             for g in inventory.grants if g.source.startswith("directoryRole")}  # fmt: skip
    assert (f"azure:sp:{PAYMENTS_SP}", "Application Administrator", "eligible", None) in roles
    assert (f"azure:sp:{AUTOMATION_SP}", "Cloud Application Administrator", "active", group) in roles


def _owner_of_prod(fake: FakeAzure, principal: str, principal_type: str, assignment: str) -> None:
    """Owner of the production subscription assigned to ``principal``."""
    owner = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
    base = f"/subscriptions/{PROD}/providers/Microsoft.Authorization"
    fake.state.arm[f"{base}/roleDefinitions"].append(
        {"id": f"{base}/roleDefinitions/{owner}", "properties": {"roleName": "Owner", "type": "BuiltInRole"}}
    )
    fake.state.arm[f"{base}/roleAssignments"].append(
        {"id": f"{base}/roleAssignments/{assignment}", "properties": {
            "principalId": principal, "principalType": principal_type, "scope": f"/subscriptions/{PROD}",
            "roleDefinitionId": f"{base}/roleDefinitions/{owner}"}}
    )  # fmt: skip


def _owner_through_a_group(fake: FakeAzure) -> str:
    """Owner of the production subscription assigned to a group the automation principal is in."""
    group = "eeee0002-0000-4000-8000-000000000002"
    _owner_of_prod(fake, group, "Group", "ra-group")
    fake.state.related[f"/groups/{group}/transitiveMembers/microsoft.graph.servicePrincipal"] = [{"id": AUTOMATION_SP}]
    return group


def test_a_role_assigned_to_a_group_is_held_by_the_principals_in_it(fake, catalogs) -> None:
    """Before, an assignment to a group was dropped: a principal Owner through a group passed NHI-PRIV-001."""
    from scanner.scan import ScanOptions, run_scan

    group = _owner_through_a_group(fake)
    inventory = scan(fake)
    held = [g for g in inventory.grants if g.identity_uid == f"azure:sp:{AUTOMATION_SP}" and g.name == "Owner"]
    assert [g.attributes.get("via_group") for g in held] == [group]
    found = {(f.control_id, f.resource.uid): f.status for f in run_scan(inventory, catalogs, ScanOptions()).findings}
    assert found[("NHI-PRIV-001", f"azure:sp:{AUTOMATION_SP}")] == "fail"


def test_a_group_whose_members_could_not_be_read_leaves_every_principals_grants_unknown(fake) -> None:
    group = _owner_through_a_group(fake)
    fake.state.deny.add(f"/v1.0/groups/{group}/")
    inventory = scan(fake)
    principals = [i for i in inventory.identities if i.kind in ("service_principal", "managed_identity")]
    assert principals and all("grants" in i.unknown for i in principals)


def test_a_tenant_without_pim_licence_has_no_eligible_roles_and_no_gap(fake) -> None:
    fake.state.eligible_roles = None  # 400 AadPremiumLicenseRequired
    inventory = scan(fake)
    assert status_of(inventory, fake.state.tenant).status == "complete"


# subscriptions: shards, Resource Graph, Lighthouse, managed identities


def _contributor_assigned_to_payments(fake: FakeAzure) -> None:
    """Contributor of the production subscription assigned to the payments service principal."""
    base = f"/subscriptions/{PROD}/providers/Microsoft.Authorization"
    fake.state.arm[f"{base}/roleAssignments"].append(
        {"id": f"{base}/roleAssignments/ra2", "properties": {
            "principalId": PAYMENTS_SP, "principalType": "ServicePrincipal", "scope": f"/subscriptions/{PROD}",
            "roleDefinitionId": f"/providers/Microsoft.Authorization/roleDefinitions/{CONTRIBUTOR}"}}
    )  # fmt: skip


def _later_shard_owning_prod() -> Shard:
    return next(Shard(i, n) for n in range(2, 9) for i in range(2, n + 1) if Shard(i, n).owns(PROD))


def test_a_later_shard_finds_the_service_principals_that_hold_a_role_through_a_group(fake) -> None:
    """A later shard knows only the principals its own assignments name: before, the members of a
    group holding Owner were dropped there, and the merged scan passed NHI-PRIV-001 for them."""
    group = _owner_through_a_group(fake)
    automation = {"@odata.type": "#microsoft.graph.servicePrincipal", "id": AUTOMATION_SP}
    fake.state.directory_objects[AUTOMATION_SP] = automation | {"servicePrincipalType": "Application"}
    inventory = scan(fake, shard=_later_shard_owning_prod())
    held = [(g.identity_uid, g.attributes.get("via_group")) for g in inventory.grants if g.name == "Owner"]
    assert held == [(f"azure:sp:{AUTOMATION_SP}", group)], "linked to the uid shard 1 reports"
    assert all("grants" not in i.unknown for i in inventory.identities)


def test_a_later_shard_that_cannot_look_up_the_principals_its_assignments_name_leaves_the_grants_unknown(
    fake,
) -> None:
    """Before, their role grants were dropped without a word, and the merged scan passed them."""
    _contributor_assigned_to_payments(fake)
    fake.state.deny.add("/v1.0/directoryObjects/getByIds")
    inventory = scan(fake, shard=_later_shard_owning_prod())
    assert inventory.identities and all("grants" in i.unknown for i in inventory.identities)


def test_a_role_whose_holder_could_not_be_looked_up_leaves_the_principal_unknown_in_the_merged_run(
    fake, catalogs
) -> None:
    """The later shard read an Owner assignment but not who holds it: the role went nowhere, and a
    merged run accepting partial reads (--allow-partial) passed NHI-PRIV-001 on shard 1's record."""
    from scanner.history.merge import merge_results
    from scanner.scan import ScanOptions, run_scan

    _owner_assigned_to_payments(fake)
    later = _later_shard_owning_prod()
    first = run_scan(scan(fake, shard=Shard(1, later.count)), catalogs, ScanOptions(allow_partial=True))
    fake.state.deny.add("/v1.0/directoryObjects/getByIds")
    second = run_scan(scan(fake, shard=later), catalogs, ScanOptions(allow_partial=True))
    merged = merge_results([first, second], catalogs, "weekly")
    payments = f"azure:sp:{PAYMENTS_SP}"
    statuses = {f.status for f in merged.findings if f.resource.uid == payments and f.control_id == "NHI-PRIV-001"}
    assert statuses and statuses <= {"fail", "unknown"}


def test_a_later_shard_that_cannot_look_up_a_groups_members_leaves_the_grants_unknown(fake) -> None:
    _owner_through_a_group(fake)
    fake.state.deny.add("/v1.0/directoryObjects/getByIds")
    inventory = scan(fake, shard=_later_shard_owning_prod())
    assert [g for g in inventory.grants if g.name == "Owner"] == []
    assert inventory.identities and all("grants" in i.unknown for i in inventory.identities)


def test_a_scan_of_the_whole_tenant_looks_nothing_up_for_a_groups_members(fake) -> None:
    """It reads every principal of the tenant: a member it does not know is none of the scan's (a
    first-party service principal)."""
    group = _owner_through_a_group(fake)
    members = fake.state.related[f"/groups/{group}/transitiveMembers/microsoft.graph.servicePrincipal"]
    members.append({"id": "ffff0002-0000-4000-8000-00000000000f"})
    inventory = scan(fake)
    assert fake.state.requests["POST /v1.0/directoryObjects/getByIds"] == 0
    assert [g.identity_uid for g in inventory.grants if g.name == "Owner"] == [f"azure:sp:{AUTOMATION_SP}"]


def test_a_later_shard_still_links_role_assignments_of_service_principals(fake) -> None:
    shard = next(Shard(i, n) for n in range(2, 9) for i in range(2, n + 1) if Shard(i, n).owns(PROD))
    _contributor_assigned_to_payments(fake)
    fake.state.directory_objects[PAYMENTS_SP] = {"@odata.type": "#microsoft.graph.servicePrincipal", "id": PAYMENTS_SP,
                                                 "servicePrincipalType": "Application"}  # fmt: skip
    inventory = scan(fake, shard=shard)
    graph_objects = [i for i in inventory.identities if i.kind != "managed_identity"]
    assert graph_objects and all(is_stand_in(i) for i in graph_objects), "Graph objects are shard 1's"
    holders = sorted(g.identity_uid for g in inventory.grants if g.name == "Contributor")
    assert holders == sorted([MI_ID, f"azure:sp:{PAYMENTS_SP}"]), "linked to the uids shard 1 reports"
    assert fake.state.requests["POST /v1.0/directoryObjects/getByIds"] == 1


def _owner_assigned_to_payments(fake: FakeAzure) -> None:
    """Owner of the production subscription assigned to the payments service principal itself."""
    _owner_of_prod(fake, PAYMENTS_SP, "ServicePrincipal", "ra-owner")
    fake.state.directory_objects[PAYMENTS_SP] = {"@odata.type": "#microsoft.graph.servicePrincipal", "id": PAYMENTS_SP,
                                                 "servicePrincipalType": "Application"}  # fmt: skip


def test_a_later_shard_holds_a_stand_in_for_each_principal_its_assignments_name(fake) -> None:
    """It knows the principal only by the role it holds here: its other evidence is shard 1's."""
    _owner_assigned_to_payments(fake)
    inventory = scan(fake, shard=_later_shard_owning_prod())
    (payments,) = [i for i in inventory.identities if i.uid == f"azure:sp:{PAYMENTS_SP}"]
    assert is_stand_in(payments) and payments.kind == "service_principal"
    assert payments.account == fake.state.tenant and payments.unknown == list(STAND_IN_UNKNOWN)
    assert not [i for i in scan(fake).identities if is_stand_in(i)], "a whole tenant holds none"


def test_a_stand_in_says_what_the_directory_told_of_the_principal(fake, catalogs) -> None:
    """Its name, type and owning tenant: without the owning tenant NHI-PRIV-011 (third-party apps)
    was unknown for every stand-in, and the merged report kept that over shard 1's result."""
    from scanner.scan import ScanOptions, run_scan

    _owner_assigned_to_payments(fake)
    fake.state.directory_objects[PAYMENTS_SP] |= {
        "displayName": "payments-api",
        "appOwnerOrganizationId": fake.state.tenant,
    }
    result = run_scan(scan(fake, shard=_later_shard_owning_prod()), catalogs, ScanOptions(keep_passed=True))
    assert result.inventory is not None
    (payments,) = [i for i in result.inventory.identities if i.uid == f"azure:sp:{PAYMENTS_SP}"]
    assert payments.name == "payments-api" and payments.attributes["app_owner_tenant"] == fake.state.tenant
    assert ("NHI-PRIV-011", "unknown") not in {(f.control_id, f.status) for f in result.findings
                                               if f.resource.uid == payments.uid}  # fmt: skip


def test_a_later_shard_holds_no_stand_in_for_microsoft_s_own_principals(fake) -> None:
    """A whole tenant leaves them out; a later shard made stand-ins of them, which failed
    NHI-PRIV-001 and -006 in sharded runs alone."""
    _owner_assigned_to_payments(fake)
    microsoft = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
    fake.state.directory_objects[PAYMENTS_SP] |= {"appOwnerOrganizationId": microsoft}
    inventory = scan(fake, shard=_later_shard_owning_prod())
    assert f"azure:sp:{PAYMENTS_SP}" not in {i.uid for i in inventory.identities}
    assert f"azure:sp:{PAYMENTS_SP}" not in {g.identity_uid for g in inventory.grants}


def test_a_role_a_later_shard_reads_fails_the_principal_in_the_merged_run(fake, catalogs) -> None:
    """Owner of a subscription of a later shard, held by a principal shard 1 reads: shard 1 judged
    the principal without it, the later shard held no record to judge, and the merged run passed
    it. The later shard fails it; controls on what only shard 1 read do not judge the stand-in."""
    from scanner.engine.evidence import evidence_read
    from scanner.history.merge import merge_results
    from scanner.scan import ScanOptions, run_scan

    _owner_assigned_to_payments(fake)
    later = _later_shard_owning_prod()
    first = run_scan(scan(fake, shard=Shard(1, later.count)), catalogs, ScanOptions())
    second = run_scan(scan(fake, shard=later), catalogs, ScanOptions())
    payments = f"azure:sp:{PAYMENTS_SP}"

    def failing(result) -> set[str]:
        return {f.control_id for f in result.findings if f.resource.uid == payments and f.status == "fail"}

    assert "NHI-PRIV-001" not in failing(first)
    assert "NHI-PRIV-001" in failing(second)
    judged_here = {f.control_id for f in second.findings if f.resource.uid == payments}
    reads_grants = {c.id for c in catalogs.controls if ("identity", "grants") in evidence_read(c)}
    assert judged_here and judged_here <= reads_grants, judged_here - reads_grants

    merged = merge_results([first, second], catalogs, "weekly")
    assert "NHI-PRIV-001" in failing(merged)
    # the principal is counted once, as failing: shard 1's pass gives way to the later shard's failure
    c1, c2, both = ({c.id: c for c in r.controls}["NHI-PRIV-001"].counts for r in (first, second, merged))
    assert both["fail"] == c1["fail"] + c2["fail"] and both["pass"] == c1["pass"] + c2["pass"] - 1
    # and evaluated once: a framework item counts what was evaluated and not decided as passing
    for result in (first, second, merged):
        for control in result.controls:
            assert sum(control.counts.values()) == sum(control.evaluated_by_scope.values()), control.id
    assert merged.inventory is not None
    (record,) = [i for i in merged.inventory.identities if i.uid == payments]
    assert not is_stand_in(record), "the merged inventory keeps shard 1's whole record"


def test_resource_graph_asks_about_many_subscriptions_at_once_and_waits_when_throttled(fake) -> None:
    fake.state.page_size = 1
    web = f"/subscriptions/{DEV}/resourceGroups/rg/providers/Microsoft.Web/sites/dev-web"
    fake.state.resource_graph.append({"subscriptionId": DEV, "id": web, "type": "microsoft.web/sites",
                                      "identities": [MI_ID]})  # fmt: skip
    fake.state.resource_graph_quota = [0, 5]  # the first answer says the quota is spent
    inventory = scan(fake)
    managed = next(i for i in inventory.identities if i.uid == MI_ID)
    assert len(managed.attributes["workloads"]) == 2
    assert fake.state.requests["POST /providers/Microsoft.ResourceGraph/resources"] == 2, "one query, two pages"


def test_a_delegated_subscription_is_labelled_with_its_home_tenant(fake) -> None:
    customer = "99999999-9999-4999-8999-999999999999"
    fake.state.subscriptions[1]["tenantId"] = customer
    inventory = scan(fake)
    dev = next(a for a in inventory.accounts if a.uid == DEV)
    assert dev.attributes == {"delegated_from_tenant": customer, "delegation": "Azure Lighthouse"}


def test_federated_credentials_of_user_assigned_identities_as_the_azure_cli_recorded_them(fake) -> None:
    recorded = json.loads((RECORDED / MI_FEDERATED).read_text())
    fake.state.arm[f"{MI_ID}/federatedIdentityCredentials"] = recorded["value"]
    inventory = scan(fake)
    managed = next(i for i in inventory.identities if i.uid == MI_ID)
    assert [(t["provider"], t["subject"]) for t in managed.attributes["trust"]] == [
        ("https://oidc.prod-aks.azure.com/IssuerGUID", "system:serviceaccount:ns:svcaccount1"),
        ("https://oidc.prod-aks.azure.com/IssuerGUID", "system:serviceaccount:ns:svcaccount2"),
    ]


def test_the_credential_report_with_certificates(fake) -> None:
    app = fake.state.applications[-1]
    app["keyCredentials"] = [{"keyId": "0f0f0f0f-0000-4000-8000-000000000001", "displayName": "CN=deploy",
                              "startDateTime": "2026-01-01T00:00:00Z",
                              "endDateTime": "2027-01-01T00:00:00Z"}]  # fmt: skip
    fake.state.credential_sign_ins = (fake.state.credential_sign_ins or []) + [
        credential_activity(app["appId"], "0f0f0f0f-0000-4000-8000-000000000001", "certificate", "2026-11-30T08:00:00Z")
    ]
    inventory = scan(fake)
    certificate = next(c for c in inventory.credentials if c.kind == "certificate")
    assert certificate.last_used is not None and certificate.last_used.day == 30


# faults


def test_an_endpoint_that_never_answers_ends_in_seconds_as_a_failed_tenant(fake, monkeypatch) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections and never answers
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.extend(silent.accept() for _ in range(1)), daemon=True).start()
    monkeypatch.setattr(azure_client, "CONNECT_TIMEOUT", 1)
    monkeypatch.setattr(azure_client, "READ_TIMEOUT", 1)
    cloud = fake_cloud(fake)
    endpoint = f"https://127.0.0.1:{silent.getsockname()[1]}"
    calls = AzureCalls(FakeCredential(), type(cloud)(**{**_fields(cloud), "graph": endpoint, "arm": endpoint}))
    started = time.monotonic()
    inventory = collect_azure(FakeCredential(), None, calls)
    elapsed = time.monotonic() - started
    silent.close()
    assert elapsed < 30, f"{elapsed:.0f} s: one dead endpoint must cost one call's retries, not every call's"
    assert status_of(inventory, "unknown-tenant").status == "failed"
    assert {e.code for e in status_of(inventory, "unknown-tenant").errors} == {"unreachable"}


def _fields(cloud) -> dict:
    return {name: getattr(cloud, name) for name in cloud.__dataclass_fields__}


def test_sign_in_activity_variation_helpers_keep_the_reference_shape() -> None:
    activity = sign_in_activity("app", client="2026-01-01T00:00:00Z", delegated=None, resource=None)
    recorded = json.loads((RECORDED / "msgraph-docs-beta-list-servicePrincipalSignInActivities.json").read_text())
    assert set(activity) == set(recorded["value"][0])


def test_the_tenant_every_shard_reads_is_counted_once_in_the_merged_run(fake, catalogs) -> None:
    """Each shard reads the tenant and evaluates the account controls on it: a failure both hold is
    one finding, but each shard counted its own pass. The merged run counts every account control
    as one scan of the whole tenant does. Before, NHI-COV-001 counted 4 passes for 3 accounts."""
    from scanner.history.merge import merge_results
    from scanner.scan import ScanOptions, run_scan

    _owner_assigned_to_payments(fake)
    later = _later_shard_owning_prod()
    first = run_scan(scan(fake, shard=Shard(1, later.count)), catalogs, ScanOptions())
    second = run_scan(scan(fake, shard=later), catalogs, ScanOptions())
    tenants = [{a.uid for a in r.inventory.accounts if a.kind == "tenant"} for r in (first, second) if r.inventory]
    assert len(tenants) == 2 and tenants[0] == tenants[1], "both shards read the one tenant"
    merged = merge_results([first, second], catalogs, "weekly")
    at_once = run_scan(scan(fake), catalogs, ScanOptions())
    for control in (c for c in merged.controls if c.resource == "account"):
        alone = next(c for c in at_once.controls if c.id == control.id)
        assert (control.counts, control.evaluated_by_scope) == (alone.counts, alone.evaluated_by_scope), control.id
