"""The gcp source through the real client libraries: google-cloud-iam and google-cloud-asset over
gRPC to a local server, Resource Manager and the other REST APIs to a local HTTP server, answering as
Google's APIs do (see gcp_fake). An organisation with nested folders, read both ways."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.cloud import resourcemanager_v3

from scanner.redact import redact_inventory
from scanner.scan import ScanOptions, run_scan
from scanner.sources import SourceSpec, collect
from scanner.sources.gcp.collector import FALLBACK, GcpScope, collect_gcp
from scanner.sources.permissions import render

from .conftest import REPO_ROOT
from .gcp_estate import ALICE, BUSINESS_HOURS, DEV, ML, ORG, PLATFORM, PROD, REALWORLD, seed
from .gcp_fake import FakeGcp


@pytest.fixture
def fake_gcp() -> Iterator[FakeGcp]:
    fake = FakeGcp()
    seed(fake.state)
    yield fake
    fake.stop()


def scan(fake: FakeGcp, assets: bool = True, **scope):
    clients = fake.clients(assets=assets)
    return collect_gcp(clients, GcpScope(**({"projects": (PROD, DEV)} | scope))), clients


def failing(result, status: str = "fail") -> set[tuple[str, str]]:
    return {(f.control_id, re.sub(r"key…\w+", "key", f.resource.name)) for f in result.findings if f.status == status}


def by_uid(records) -> dict:
    return {r.uid: r for r in records}


def email(project: str, name: str) -> str:
    return f"{name}@{project}.iam.gserviceaccount.com"


def test_a_project_scan_finds_exactly_the_seeded_failures(fake_gcp, catalogs) -> None:
    inventory, _ = scan(fake_gcp)
    result = run_scan(inventory, catalogs, ScanOptions())
    recorded = [f"My Test Service Account {n}" for n in range(1, 5)]  # served as Cloud Custodian recorded them
    assert failing(result) == {
        ("NHI-AGENT-001", "support-agent"),  # its service account is an Editor
        ("NHI-AGENT-002", "support-agent"),
        ("NHI-AGENT-006", "support-agent"),  # an Editor identity changes data without approval
        ("NHI-AGENT-008", "support-agent"),
        ("NHI-COV-001", DEV),  # API keys could not be listed
        ("NHI-CRED-001", "sa_key key of scc"),  # the recorded user-managed key, from 2021
        ("NHI-CRED-001", "sa_key key of payments-api"),  # 200 days old
        ("NHI-CRED-003", "sa_key key of scc"),  # neither recorded key has authenticated
        ("NHI-CRED-005", "sa_key key of scc"),  # valid until 9999
        ("NHI-CRED-005", "sa_key key of payments-api"),
        ("NHI-CRED-008", "sa_key key of scc"),
        ("NHI-CRED-008", "sa_key key of payments-api"),
        *(("NHI-OWN-001", name) for name in [*recorded, "scc", "payments-api", "deployer", "token-minter"]),
        ("NHI-PRIV-003", "token-minter"),  # iam.serviceAccountTokenCreator
        ("NHI-PRIV-005", "token-minter"),  # every identity of the GitHub pool may act as it
        ("NHI-PRIV-003", "payments-api"),  # serviceAccountKeyAdmin on the organisation
        ("NHI-PRIV-015", DEV),  # roles/viewer granted to allUsers
        ("NHI-PRIV-006", "deployer"),  # roles/editor
        ("NHI-PRIV-003", "deployer"),  # Editor creates keys for, and acts as, the project's accounts
        ("NHI-AGENT-014", "support-agent"),  # running as that Editor
        # people who can act as service accounts: ml-ops (Service Account User, inherited) on every
        # account of the project, alice (Token Creator) on the deployer's own policy
        *(("NHI-PRIV-013", name) for name in [*recorded, "scc", "payments-api", "deployer", "token-minter"]),
        # payments-api makes keys for every account of the organisation, and people may act as it
        ("NHI-PRIV-013", "etl"),
        ("NHI-PRIV-014", PROD),  # the pool's provider has no attribute condition
        ("NHI-CRED-011", "api_key maps"),  # no API or application restriction
    }
    assert ("NHI-OWN-001", "etl") not in failing(result), "owner from the description"
    assert ("NHI-LOG-006", DEV) not in failing(result), "the organisation's audit config logs DEV too"


def test_what_the_inventory_records(fake_gcp) -> None:
    inventory, _ = scan(fake_gcp)
    keys = {c.uid.rsplit(":", 1)[-1]: c for c in inventory.credentials if c.kind == "sa_key"}
    assert keys["1"].managed_by_provider and not keys["2"].managed_by_provider
    assert keys["2"].expires is None, "9999-12-31 means the key never expires"
    payments = next(i for i in inventory.identities if i.name == "payments-api")
    assert payments.last_used is not None and "last_used" not in payments.unknown
    accounts = by_uid(inventory.accounts)
    assert accounts[PROD].attributes["workload_identity_pools"] == ["github"]
    assert accounts[PROD].attributes["ancestors"] == [ML, PLATFORM, ORG]
    assert accounts[DEV].attributes["public_bindings"][0]["member"] == "allUsers"
    (agent,) = inventory.agents
    assert agent.runs_as == email(PROD, "deployer")


@pytest.mark.parametrize("assets", [True, False], ids=["cloud-asset-inventory", "project-by-project"])
def test_an_organisation_covers_every_project_through_nested_folders(fake_gcp, assets) -> None:
    inventory, _ = scan(fake_gcp, assets=assets, projects=(), parent=ORG)
    path = "cloud_asset_inventory" if assets else "per_project"
    assert {(a.uid, a.attributes["collection_path"]) for a in inventory.accounts} == {(PROD, path), (DEV, path)}
    assert len(inventory.identities) == 9 and len(inventory.agents) == 1
    inherited = {(g.identity_uid, g.name) for g in inventory.grants if g.resources == [ORG]}
    assert inherited == {(email(PROD, "payments-api"), "roles/iam.serviceAccountKeyAdmin")}


def test_both_paths_read_the_same_organisation(fake_gcp) -> None:
    fake_gcp.state.deny.add("/v2/projects/")  # API keys: each path has its own permission for them
    bulk, _ = scan(fake_gcp, projects=(), parent=ORG)
    fake_gcp.state.deny.discard("/v2/projects/")
    one_by_one, _ = scan(fake_gcp, assets=False, projects=(), parent=ORG)
    for name in ("identities", "credentials", "grants", "log_sources", "agents"):
        assert sorted(r.uid for r in getattr(bulk, name)) == sorted(r.uid for r in getattr(one_by_one, name)), name
    for identity in bulk.identities:
        twin = by_uid(one_by_one.identities)[identity.uid]
        assert identity.attributes["impersonators"] == twin.attributes["impersonators"]


def test_the_asset_path_reads_the_organisation_in_a_few_calls(fake_gcp) -> None:
    scan(fake_gcp, projects=(), parent=ORG)
    calls = fake_gcp.state.requests
    assert calls["grpc ListAssets"] == 2 and calls["grpc SearchAllIamPolicies"] == 1
    assert calls["grpc SearchAllResources"] == 1, "only projects with Vertex AI on are asked for agent engines"
    assert not calls["grpc ListServiceAccounts"] and not any("/serviceAccounts/" in call for call in calls)
    assert (
        calls[
            "GET /v1/organizations/X/locations/global/activityTypes/serviceAccountLastAuthentication/activities:query"
        ]
        == 1
    )


@pytest.mark.parametrize("refusal", ["deny", "disabled"])
def test_without_cloud_asset_inventory_the_projects_are_read_one_by_one(fake_gcp, refusal) -> None:
    getattr(fake_gcp.state, refusal).add("SearchAllIamPolicies")
    inventory, _ = scan(fake_gcp, projects=(), parent=ORG)
    assert {a.attributes["collection_path"] for a in inventory.accounts} == {"per_project"}
    status = by_uid([type("S", (), {"uid": s.account, "s": s}) for s in inventory.sources])[ORG].s
    (note,) = status.errors
    assert (status.status, note.call, note.code) == ("complete", "cloudasset:assets.searchAllIamPolicies", FALLBACK)
    assert "read project by project instead" in note.message
    assert ("API not enabled" in note.message) == (refusal == "disabled")


def test_user_credentials_without_a_quota_project_are_told_so(fake_gcp) -> None:
    fake_gcp.state.disabled.add("ListAssets")
    original = fake_gcp.state.number
    fake_gcp.state.number = lambda project: original(project)  # type: ignore[method-assign]
    import tests.gcp_fake as module

    real = module.error_info
    module.error_info = lambda reason, domain, metadata: real(
        reason, domain, {**metadata, "consumer": "projects/764086051850"}
    )
    try:
        inventory, _ = scan(fake_gcp, projects=(), parent=ORG)
    finally:
        module.error_info = real
    note = next(s for s in inventory.sources if s.account == ORG).errors[0]
    assert "set-quota-project" in note.message


def test_policies_are_read_as_version_3(fake_gcp) -> None:
    inventory, _ = scan(fake_gcp, projects=(PROD,))
    (conditional,) = [g for g in inventory.grants if g.attributes.get("conditional")]
    assert conditional.name == "roles/storage.admin", "a conditional grant keeps its real role"
    assert conditional.attributes["condition"] == BUSINESS_HOURS["expression"]
    assert conditional.attributes["condition_title"] == BUSINESS_HOURS["title"]
    assert not [g for g in inventory.grants if "_withcond_" in g.name]
    # what an older request would have seen: the fake answers as Google documents
    projects = fake_gcp.clients().projects
    old = projects.get_iam_policy(resource=f"projects/{PROD}")
    assert any("_withcond_" in b.role for b in old.bindings) and not any(b.condition.expression for b in old.bindings)
    assert isinstance(projects, resourcemanager_v3.ProjectsClient)


def test_a_named_project_inherits_its_folders_and_organisation_policy(fake_gcp, catalogs) -> None:
    inventory, _ = scan(fake_gcp, projects=(DEV,))
    audit = [log for log in inventory.log_sources if log.account == DEV]
    assert [(log.scope, log.attributes["inherited"]) for log in audit] == [(ORG, True)]
    result = run_scan(inventory, catalogs, ScanOptions())
    assert ("NHI-LOG-006", DEV) not in failing(result) | failing(result, "unknown"), "the organisation's audit config"
    inventory, _ = scan(fake_gcp, projects=(PROD,))
    group = [i for i in by_uid(inventory.identities)[email(PROD, "payments-api")].attributes["impersonators"]]
    # the folder's group, and the project's Owner in the recorded policy: Owner creates keys for
    # every account of the project and acts as each (bound here, not through another account)
    assert {(i["member"], i["resource"]) for i in group if i["human"] and not i.get("via")} == {
        ("group:ml-ops@acme.example", PLATFORM),
        ("user:abc@gmail.com", f"projects/{PROD}"),
    }


def test_an_unreadable_ancestor_leaves_inherited_policy_unknown(fake_gcp) -> None:
    fake_gcp.state.deny.add(f"/v3/{PLATFORM}:getIamPolicy")
    inventory, _ = scan(fake_gcp, projects=(PROD,))
    account = by_uid(inventory.accounts)[PROD]
    assert "log_sources" in account.unknown and account.attributes["unread_policies"] == [PLATFORM]
    assert all("attributes.impersonators" in i.unknown for i in inventory.identities)
    assert [s.status for s in inventory.sources if s.account == PLATFORM] == ["partial"]


def test_another_projects_service_account_bound_here_is_kept_and_linked(fake_gcp) -> None:
    inventory, _ = scan(fake_gcp)
    (grant,) = [g for g in inventory.grants if g.name == "roles/bigquery.dataViewer"]
    assert grant.resources == [f"projects/{DEV}"] and grant.identity_uid == email(PROD, "payments-api")
    assert grant.attributes["cross_project"] and grant.attributes["holder_project"] == PROD
    assert grant.identity_uid in by_uid(inventory.identities)


def test_who_can_act_as_a_service_account_is_collected(fake_gcp) -> None:
    inventory, _ = scan(fake_gcp)
    deployer = by_uid(inventory.identities)[email(PROD, "deployer")]
    found = {(i["member"], i["role"], i["human"]) for i in deployer.attributes["impersonators"]}
    found.discard(next(f for f in found if f[0].startswith("principalSet://")))
    assert found == {
        (ALICE, "roles/iam.serviceAccountTokenCreator", True),
        (f"serviceAccount:{email(DEV, 'etl')}", "roles/iam.serviceAccountUser", False),
        ("group:ml-ops@acme.example", "roles/iam.serviceAccountUser", True),  # from the platform folder
        (f"serviceAccount:{email(PROD, 'token-minter')}", "roles/iam.serviceAccountTokenCreator", False),  # project
        # from the organisation: it creates the keys of every service account below, and signs in with them
        (f"serviceAccount:{email(PROD, 'payments-api')}", "roles/iam.serviceAccountKeyAdmin", False),
        # Owner and Editor of the project create its accounts' keys and act as them (Google's
        # published permissions): the recorded policy's, and the deployer's own Editor binding
        ("user:abc@gmail.com", "roles/owner", True),
        ("serviceAccount:abc@testproject.iam.gserviceaccount.com", "roles/owner", False),
        ("serviceAccount:def@testproject.iam.gserviceaccount.com", "roles/editor", False),
        (f"serviceAccount:{email(PROD, 'deployer')}", "roles/editor", False),
    }
    (organisation_wide,) = [
        i for i in by_uid(inventory.identities)[email(DEV, "etl")].attributes["impersonators"] if not i.get("via")
    ]
    assert (organisation_wide["member"], organisation_wide["resource"]) == (
        f"serviceAccount:{email(PROD, 'payments-api')}",
        ORG,
    )


def test_workload_identity_providers_and_their_conditions(fake_gcp) -> None:
    inventory, _ = scan(fake_gcp, projects=(PROD,))
    providers = {
        p["provider_id"]: p for p in by_uid(inventory.accounts)[PROD].attributes["workload_identity_providers"]
    }
    assert providers["actions"]["attribute_condition"] is None, "trusts every token GitHub signs"
    assert providers["actions-acme"]["attribute_condition"] == "assertion.repository_owner == 'acme'"
    assert providers["actions"]["issuer"] == "https://token.actions.githubusercontent.com"
    assert providers["actions"]["attribute_mapping"]["attribute.repository"] == "assertion.repository"


def test_workload_identity_federation_becomes_trust_on_the_service_accounts(fake_gcp) -> None:
    inventory, _ = scan(fake_gcp, projects=(PROD,))
    identities = by_uid(inventory.identities)
    (scoped,) = identities[email(PROD, "deployer")].attributes["trust"]
    (everyone,) = identities[email(PROD, "token-minter")].attributes["trust"]
    assert (scoped["principal_type"], scoped["subject"]) == ("federated", "acme/deploy")  # the repository
    assert everyone["subject"] is None, "principalSet://…/github/* trusts every identity of the pool"
    assert everyone["provider"] == "https://token.actions.githubusercontent.com"
    assert everyone["conditions"] == ["assertion.repository_owner == 'acme'"]
    assert everyone["unconditioned_providers"] == ["actions"]


AWS_ROLE = (  # Google's documented mapping for AWS callers: the role of an assumed-role session
    "assertion.arn.contains('assumed-role') ? assertion.arn.extract('{account_arn}assumed-role/') + 'assumed-role/' "
    "+ assertion.arn.extract('assumed-role/{role_name}/') : assertion.arn"
)


@pytest.mark.parametrize(
    ("selector", "mapping", "specific"),
    [
        ("attribute.repository/acme/deploy", "assertion.repository", "pass"),
        ("attribute.repository_id/123456", "assertion.repository_id", "pass"),
        ("attribute.project_id/42", "assertion.project_id", "pass"),
        ("attribute.aws_role/arn:aws:sts::111122223333:assumed-role/deployer", AWS_ROLE, "pass"),
        ("attribute.owner/acme", "assertion.repository_owner", "fail"),  # every repository of the organisation
        ("attribute.ref/refs/heads/main", "assertion.ref", "unknown"),  # a claim nhiscan does not weigh
        ("group/release-bots", None, "fail"),  # every identity of the group
        ("subject/repo:acme/deploy:ref:refs/heads/main", None, "pass"),
    ],
)
def test_a_workload_identity_member_names_one_workload_only_by_what_its_attribute_holds(
    fake_gcp, catalogs, selector: str, mapping: str | None, specific: str
) -> None:
    """principalSet://…/POOL/attribute.owner/acme admits every token whose mapped attribute is acme:
    mapped from repository_owner, every repository of the organisation (it passed NHI-PRIV-005)."""
    pool = _github_pool(fake_gcp)
    if mapping:
        fake_gcp.state.rest[f"/v1/{pool}/providers"][0]["attributeMapping"][selector.split("/")[0]] = mapping
    deployer = _deployer_trusting(fake_gcp, f"principalSet://iam.googleapis.com/{pool}/{selector}")
    inventory, _ = scan(fake_gcp, projects=(PROD,))
    assert statuses(inventory, catalogs, deployer)["NHI-PRIV-005"] == specific


def _github_pool(fake: FakeGcp) -> str:
    return f"projects/{fake.state.number(PROD)}/locations/global/workloadIdentityPools/github"


def _deployer_trusting(fake: FakeGcp, member: str) -> str:
    """The deployer's own policy lets ``member`` act as it (Workload Identity User); its e-mail."""
    deployer = email(PROD, "deployer")
    fake.state.account_policies[deployer] = {
        "bindings": [{"role": "roles/iam.workloadIdentityUser", "members": [member]}]
    }
    return deployer


def test_a_subject_member_names_many_where_google_subject_is_mapped_from_an_owner(fake_gcp, catalogs) -> None:
    pool = _github_pool(fake_gcp)
    for provider in fake_gcp.state.rest[f"/v1/{pool}/providers"]:
        provider["attributeMapping"]["google.subject"] = "assertion.repository_owner"
    deployer = _deployer_trusting(fake_gcp, f"principal://iam.googleapis.com/{pool}/subject/acme")
    inventory, _ = scan(fake_gcp, projects=(PROD,))
    assert statuses(inventory, catalogs, deployer)["NHI-PRIV-005"] == "fail"


def test_an_attribute_member_of_a_pool_whose_providers_were_not_read_leaves_the_trust_unknown(
    fake_gcp, catalogs
) -> None:
    pool = f"projects/{fake_gcp.state.number(PROD)}/locations/global/workloadIdentityPools/github"
    fake_gcp.state.rest[f"/v1/{pool}/providers"] = []
    deployer = email(PROD, "deployer")
    inventory, _ = scan(fake_gcp, projects=(PROD,))
    assert "trust" in by_uid(inventory.identities)[deployer].unknown
    assert statuses(inventory, catalogs, deployer)["NHI-PRIV-005"] == "unknown"


def test_api_key_restrictions(fake_gcp) -> None:
    inventory, _ = scan(fake_gcp, projects=(PROD,))
    keys = {c.attributes["display_id"]: c.attributes for c in inventory.credentials if c.kind == "api_key"}
    assert (keys["maps"]["api_restricted"], keys["maps"]["application_restriction"]) == (False, None)
    assert (keys["web"]["api_restricted"], keys["web"]["application_restriction"]) == (True, "browser")


@pytest.mark.parametrize(
    ("application", "kind"),
    [
        ({"browserKeyRestrictions": {"allowedReferrers": ["*"]}}, None),  # every site
        ({"browserKeyRestrictions": {"allowedReferrers": ["https://*/*"]}}, None),
        ({"browserKeyRestrictions": {"allowedReferrers": ["*.acme.example/*", "*.*/*"]}}, None),
        ({"browserKeyRestrictions": {"allowedReferrers": ["*.acme.example/*"]}}, "browser"),
        ({"serverKeyRestrictions": {"allowedIps": ["0.0.0.0/0"]}}, None),  # every address
        ({"serverKeyRestrictions": {"allowedIps": ["203.0.113.7", "::/0"]}}, None),
        ({"serverKeyRestrictions": {"allowedIps": ["203.0.113.0/24"]}}, "server"),
        ({"androidKeyRestrictions": {"allowedApplications": [{"packageName": "com.acme.app"}]}}, "android"),
    ],
)
def test_an_application_restriction_that_admits_anything_restricts_nothing(application, kind) -> None:
    """The API's restriction fields (v2 Key.restrictions) hold wildcards as given: a key usable from
    every site or address fails NHI-CRED-011 as one without the restriction (both passed)."""
    from scanner.sources.gcp.records import api_key

    restrictions = {**application, "apiTargets": [{"service": "maps-backend.googleapis.com"}]}
    key = api_key({"name": "projects/p/locations/global/keys/k", "restrictions": restrictions}, "p")
    assert key.attributes["application_restriction"] == kind


@pytest.mark.parametrize(
    ("refusal", "gap"),
    [
        ("deny", "PERMISSION_DENIED"),
        ("exhausted", "RESOURCE_EXHAUSTED"),
        ("failing", "UNAVAILABLE"),
        ("disabled", None),
    ],
)
def test_optional_calls_hide_only_a_disabled_api(fake_gcp, refusal, gap) -> None:
    target = f"/v1/projects/{PROD}/locations/global/activityTypes/"
    state = fake_gcp.state
    if refusal in ("exhausted", "failing"):
        getattr(state, refusal)[target] = 100  # more than the retries
    else:
        getattr(state, refusal).add(target)
    inventory, _ = scan(fake_gcp, projects=(PROD,))
    (status,) = [s for s in inventory.sources if s.account == PROD]
    assert [e.code for e in status.errors] == ([gap] if gap else [])
    assert all("last_used" in i.unknown for i in inventory.identities)


def test_agent_engines_are_looked_for_in_every_agent_engine_region(fake_gcp) -> None:
    inventory, _ = scan(fake_gcp, projects=(PROD,))
    assert [a.uid.split("/")[3] for a in inventory.agents] == ["europe-west4"]
    assert "agents" not in by_uid(inventory.accounts)[PROD].unknown
    inventory, _ = scan(fake_gcp, projects=(PROD,), regions=("us-central1",))
    assert inventory.agents == []
    calls = [k for k in fake_gcp.state.requests if "reasoningEngines" in k]
    assert calls, "asked"


def test_agent_engine_regions_left_out_of_gcp_regions_leave_the_project_s_agents_unknown(fake_gcp) -> None:
    """--gcp-regions us-central1: the agent in europe-west4 was never listed, and NHI-LOG-003 read
    the project as running none. Its agents are unknown, the regions left out named; the project's
    reading stays complete (a scope the caller chose)."""
    inventory, _ = scan(fake_gcp, projects=(PROD,), regions=("us-central1",))
    project = by_uid(inventory.accounts)[PROD]
    assert "agents" in project.unknown
    assert "europe-west4" in project.attributes["agent_regions_not_read"]
    assert "us-central1" not in project.attributes["agent_regions_not_read"]
    (status,) = [s for s in inventory.sources if s.account == PROD]
    assert status.status == "complete"


def test_a_refused_agent_engine_listing_is_a_gap_not_no_agents(fake_gcp) -> None:
    fake_gcp.state.deny.add(f"/v1/projects/{PROD}/locations/europe-west4/reasoningEngines")
    inventory, _ = scan(fake_gcp, projects=(PROD,))
    (status,) = [s for s in inventory.sources if s.account == PROD]
    assert [(e.call, e.code) for e in status.errors] == [("aiplatform:reasoningEngines.list", "PERMISSION_DENIED")]
    assert "agents" in by_uid(inventory.accounts)[PROD].unknown, "no agents found is not no agents"


def test_when_it_is_unknown_which_projects_run_vertex_ai_their_agents_are_unknown(fake_gcp) -> None:
    fake_gcp.state.deny.add("SearchAllResources")
    inventory, _ = scan(fake_gcp, projects=(), parent=ORG)
    assert all("agents" in a.unknown for a in inventory.accounts)
    (gap,) = next(s for s in inventory.sources if s.account == ORG).errors
    assert (gap.call, gap.code) == ("cloudasset:assets.searchAllResources", "PERMISSION_DENIED")


def test_throttling_and_unavailability_are_retried_on_every_call(fake_gcp) -> None:
    state = fake_gcp.state
    for name in ("ListAssets", "SearchAllIamPolicies", "SearchAllResources", f"/v3/{ORG}", "ListServiceAccounts"):
        state.exhausted[name] = 1
        state.failing[name] = 1
    inventory, _ = scan(fake_gcp, projects=(), parent=ORG)
    assert [(s.account, e.call) for s in inventory.sources for e in s.errors] == []
    assert state.requests["grpc ListAssets"] == 4
    for name in (f"/v3/projects/{PROD}", f"/v3/{ML}", f"/v3/{PLATFORM}:getIamPolicy", "GetIamPolicy",
                 f"/v1/projects/{PROD}/serviceAccounts/",
                 f"/v1/projects/{PROD}/locations/global/workloadIdentityPools"):  # fmt: skip
        state.exhausted[name] = 1
        state.failing[name] = 1
    inventory, _ = scan(fake_gcp, projects=(PROD,))
    assert [(s.account, e.call, e.message) for s in inventory.sources for e in s.errors] == []
    assert not any(state.exhausted.values()) and not any(state.failing.values()), "every refusal was met"


def test_pages_are_as_large_as_google_allows_and_tokens_travel_encoded(fake_gcp) -> None:
    state = fake_gcp.state
    state.accounts[PROD] += [dict(state.accounts[PROD][-1], email=f"extra-{n}@x", uniqueId=str(n)) for n in range(150)]
    state.rest[f"/v2/projects/{PROD}/locations/global/keys"] *= 200  # 400 keys: pages of 300
    inventory, _ = scan(fake_gcp, projects=(PROD,))
    assert state.requests["grpc ListServiceAccounts"] == 2  # 158 accounts, pages of 100
    assert state.requests["GET /v2/projects/X/locations/global/keys"] == 2
    assert sum(c.kind == "api_key" for c in inventory.credentials) == 400


def test_a_revoked_login_is_one_line_and_exit_2(cli, fake_gcp, tmp_path: Path, monkeypatch) -> None:
    """A service-account key deleted since it was downloaded: Google's token endpoint answers
    invalid_grant, google-auth raises RefreshError."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    adc = tmp_path / "adc.json"
    adc.write_text(json.dumps({"type": "service_account", "project_id": PROD, "private_key_id": "k1",
                               "private_key": pem.decode(), "client_email": email(PROD, "nhiscan"),
                               "client_id": "1", "token_uri": f"{fake_gcp.endpoint}/token"}))  # fmt: skip
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(adc))
    outcome = cli("inventory", f"gcp:{PROD}", "-o", str(tmp_path / "inv.json"))
    assert outcome.exit_code == 2
    (line,) = outcome.output.strip().splitlines()
    assert "invalid_grant" in line and "gcloud auth application-default login" in line


def test_the_published_permissions_are_generated_from_the_calls() -> None:
    published = (REPO_ROOT / "docs" / "permissions" / "gcp.md").read_text()
    assert published == render("gcp"), "regenerate: python -m scanner.sources.permissions gcp > docs/permissions/gcp.md"


def test_every_call_named_in_a_gap_is_declared(fake_gcp) -> None:
    from scanner.sources.gcp.calls import CALLS

    declared = {c.name for c in CALLS}
    state = fake_gcp.state
    state.deny |= {
        "ListAssets",
        "GetIamPolicy",
        "/v3/",
        "/v1/",
        "/v2/",
        "ListServiceAccounts",
    }
    inventory, _ = scan(fake_gcp, projects=(), parent=ORG)
    named = {e.call for s in inventory.sources for e in s.errors}
    assert named and named <= declared


def test_recorded_bodies_import_unchanged(tmp_path) -> None:
    inventory = collect(SourceSpec("file", str(REALWORLD)))
    emails = {i.uid for i in inventory.identities}
    assert {f"my-sa-42dc4145{n}@c7n-policy-dev.iam.gserviceaccount.com" for n in range(1, 5)} <= emails
    assert {c.managed_by_provider for c in inventory.credentials} == {True, False}
    assert {a.uid for a in inventory.accounts} == {"c7n-policy-dev", "cloud-custodian"}, "two projects, not one"
    (gap,) = [e for s in inventory.sources for e in s.errors if e.call.startswith("read ")]
    assert "custodian-flight-projects-getIamPolicy" in gap.call and "folder named by the project id" in gap.message
    # the projects whose accounts or keys alone were shared lack what was not (docs/sources/gcp.md)
    assert {e.code for s in inventory.sources for e in s.errors if not e.call.startswith("read ")} == {"NotExported"}
    assert not inventory.grants, "a policy that does not say whose it is grants nothing to anyone"
    # the same recording, unedited, in a folder named by the project it was recorded from
    project = tmp_path / "custodian-test"
    project.mkdir()
    recorded = REALWORLD / "custodian-flight-projects-getIamPolicy-auditConfigs.json"
    (project / "policy.json").write_bytes(recorded.read_bytes())
    placed = collect(SourceSpec("file", str(tmp_path)))
    assert {(g.identity_uid, g.name) for g in placed.grants} == {
        ("abc@testproject.iam.gserviceaccount.com", "roles/owner"),
        ("def@testproject.iam.gserviceaccount.com", "roles/editor"),
    }
    (audit,) = placed.log_sources
    assert audit.covers == ["allServices"] and audit.enabled and audit.account == "custodian-test"


def _bound_account(fake: FakeGcp, address: str, display_name: str, *roles: str, on_organisation: bool = False) -> str:
    """A new service account in PROD bound to ``roles`` on the project (or the organisation)."""
    accounts = fake.state.accounts[PROD]
    accounts.append(
        {"name": f"projects/{PROD}/serviceAccounts/{address}", "projectId": PROD, "email": address,
         "uniqueId": str(104857600000000000000 + len(accounts)), "displayName": display_name}
    )  # fmt: skip
    policy = fake.state.parents[ORG] if on_organisation else fake.state.projects[PROD]["policy"]
    policy["bindings"] += [{"role": role, "members": [f"serviceAccount:{address}"]} for role in roles]
    return address


def statuses(inventory, catalogs, uid: str) -> dict[str, str]:
    result = run_scan(inventory, catalogs, ScanOptions(keep_passed=True))
    return {f.control_id: f.status for f in result.findings if f.resource.uid == uid}


def _default_compute_account(fake: FakeGcp, role: str) -> str:
    address = f"{fake.state.number(PROD)}-compute@developer.gserviceaccount.com"
    return _bound_account(fake, address, "Compute Engine default service account", role)


def results_for(fake: FakeGcp, catalogs, uid: str) -> dict[str, str]:
    inventory, _ = scan(fake, projects=(PROD,))
    assert all("attributes.workloads" in i.unknown for i in inventory.identities)
    return statuses(inventory, catalogs, uid)


def test_no_workload_listing_leaves_the_default_compute_accounts_use_unknown(fake_gcp, catalogs) -> None:
    """No VM, function or Cloud Run service is listed, so "used by no workload" and "serves one
    workload" cannot pass for the account every default VM runs as; holding Editor, it fails anyway."""
    address = _default_compute_account(fake_gcp, "roles/logging.logWriter")
    found = results_for(fake_gcp, catalogs, address)
    assert (found["NHI-PRIV-012"], found["NHI-PRIV-008"]) == ("unknown", "unknown")
    fake_gcp.state.projects[PROD]["policy"]["bindings"][-1]["role"] = "roles/editor"
    assert results_for(fake_gcp, catalogs, address)["NHI-PRIV-012"] == "fail"


KEY_MINTER = f"projects/{PROD}/roles/ciKeyMinter"
PLATFORM_ADMIN = f"{ORG}/roles/platformAdmin"


def _custom_role(name: str, *permissions: str, **extra) -> dict:
    """A custom role as ``roles.get`` returns it (the REST reference's Role)."""
    return {"name": name, "title": name.rsplit("/", 1)[-1], "description": "", "includedPermissions": list(permissions),
            "stage": "GA", "etag": "BwWKmjvelug=", **extra}  # fmt: skip


def _holder_of(fake: FakeGcp, *roles: str, on_organisation: bool = False) -> str:
    return _bound_account(fake, email(PROD, "ci-deployer"), "ci-deployer", *roles, on_organisation=on_organisation)


def test_a_custom_role_granting_key_creation_makes_its_holder_able_to_mint_keys(fake_gcp, catalogs) -> None:
    retired = f"projects/{PROD}/roles/legacyAdmin"
    holder = _holder_of(fake_gcp, KEY_MINTER, retired)
    fake_gcp.state.roles[KEY_MINTER] = _custom_role(
        KEY_MINTER, "iam.serviceAccountKeys.create", "iam.serviceAccounts.get"
    )
    fake_gcp.state.roles[retired] = _custom_role(retired, "resourcemanager.projects.setIamPolicy", deleted=True)
    inventory, _ = scan(fake_gcp, projects=(PROD,))
    grants = {g.name: g for g in inventory.grants if g.identity_uid == holder}
    assert grants[KEY_MINTER].actions == ["iam.serviceAccountKeys.create", "iam.serviceAccounts.get"]
    assert not grants[KEY_MINTER].unknown
    assert (grants[retired].actions, grants[retired].unknown) == ([], []), "a deleted role's bindings have no effect"
    found = statuses(inventory, catalogs, holder)
    assert (found["NHI-PRIV-003"], found["NHI-PRIV-001"]) == ("fail", "pass")


@pytest.mark.parametrize("assets", [True, False], ids=["cloud-asset-inventory", "project-by-project"])
def test_an_organisation_custom_role_is_judged_by_its_permissions_on_both_paths(fake_gcp, catalogs, assets) -> None:
    holder = _holder_of(fake_gcp, PLATFORM_ADMIN, on_organisation=True)
    fake_gcp.state.roles[PLATFORM_ADMIN] = _custom_role(PLATFORM_ADMIN, "resourcemanager.organizations.setIamPolicy")
    inventory, _ = scan(fake_gcp, assets=assets, projects=(), parent=ORG)
    (grant,) = [g for g in inventory.grants if g.identity_uid == holder and g.name == PLATFORM_ADMIN]
    assert grant.actions == ["resourcemanager.organizations.setIamPolicy"] and grant.resources == [ORG]
    assert statuses(inventory, catalogs, holder)["NHI-PRIV-003"] == "fail", "it can grant itself anything"
    assert fake_gcp.state.requests[f"grpc GetRole {PLATFORM_ADMIN}"] == 1


@pytest.mark.parametrize(("answer", "code"), [("refused", "PERMISSION_DENIED"), ("not found", "NOT_FOUND")])
def test_a_custom_role_whose_definition_was_not_read_leaves_its_holders_privilege_unknown(
    fake_gcp, catalogs, answer, code
) -> None:
    holder = _holder_of(fake_gcp, KEY_MINTER)
    if answer == "refused":
        fake_gcp.state.roles[KEY_MINTER] = _custom_role(KEY_MINTER, "iam.serviceAccountKeys.create")
        fake_gcp.state.deny.add(f"GetRole {KEY_MINTER}")
    inventory, _ = scan(fake_gcp, projects=(PROD,))
    (grant,) = [g for g in inventory.grants if g.identity_uid == holder]
    assert (grant.actions, grant.unknown) == ([], ["actions"])
    (status,) = [s for s in inventory.sources if s.account == PROD]
    assert status.status == "partial" and [(e.call, e.code) for e in status.errors] == [("iam:roles.get", code)]
    found = statuses(inventory, catalogs, holder)
    assert (found["NHI-PRIV-001"], found["NHI-PRIV-003"]) == ("unknown", "unknown")


TOKEN_MINTER = f"projects/{PROD}/roles/tokenMinter"


def _person_bound_on_the_project(fake: FakeGcp, role: str, project: str = PROD) -> None:
    fake.state.projects[project]["policy"]["bindings"].append({"role": role, "members": ["user:carol@acme.example"]})


@pytest.mark.parametrize("scope", ["project", "folder"])
def test_a_binding_of_every_service_account_of_a_project_or_folder_grants_each_one(
    fake_gcp, catalogs, scope: str
) -> None:
    """principalSet://cloudresourcemanager.googleapis.com/projects/NUMBER/type/ServiceAccount (Google's
    principal identifiers) names every service account of the project, and folders/N every one of
    every project below the folder: Owner bound so made each an administrator, yet they passed
    NHI-PRIV-001 (the member was ignored)."""
    payments = email(PROD, "payments-api")
    project = fake_gcp.state.projects[PROD]
    node = f"projects/{fake_gcp.state.number(PROD)}" if scope == "project" else PLATFORM
    member = f"principalSet://cloudresourcemanager.googleapis.com/{node}/type/ServiceAccount"
    project["policy"]["bindings"].append({"role": "roles/owner", "members": [member]})
    inventory, _ = scan(fake_gcp, projects=(PROD,))
    held = {(g.name, g.attributes["member"]) for g in inventory.grants if g.identity_uid == payments}
    assert ("roles/owner", member) in held
    assert statuses(inventory, catalogs, payments)["NHI-PRIV-001"] == "fail"


def test_every_service_account_of_a_project_bound_on_an_accounts_own_policy_may_act_as_it(fake_gcp, catalogs) -> None:
    """Token Creator for every account of the project, on the deployer's own policy: each of them
    mints the deployer's tokens (a grant on the account, as for one account named)."""
    deployer, payments = email(PROD, "deployer"), email(PROD, "payments-api")
    member = (
        f"principalSet://cloudresourcemanager.googleapis.com/projects/{fake_gcp.state.number(PROD)}/type/ServiceAccount"
    )
    fake_gcp.state.account_policies[deployer] = {
        "bindings": [{"role": "roles/iam.serviceAccountTokenCreator", "members": [member]}]
    }
    inventory, _ = scan(fake_gcp, projects=(PROD,))
    held = {(g.name, g.resources[0]) for g in inventory.grants if g.identity_uid == payments}
    assert ("roles/iam.serviceAccountTokenCreator", f"projects/{PROD}/serviceAccounts/{deployer}") in held


def test_a_person_holding_a_custom_role_that_mints_tokens_can_impersonate_every_account_below(
    fake_gcp, catalogs
) -> None:
    """A custom role holding iam.serviceAccounts.getAccessToken does what Token Creator does."""
    _person_bound_on_the_project(fake_gcp, TOKEN_MINTER)
    fake_gcp.state.roles[TOKEN_MINTER] = _custom_role(TOKEN_MINTER, "iam.serviceAccounts.getAccessToken")
    inventory, _ = scan(fake_gcp, projects=(PROD,))
    deployer = by_uid(inventory.identities)[email(PROD, "deployer")]
    assert ("user:carol@acme.example", TOKEN_MINTER, True) in {
        (i["member"], i["role"], i["human"]) for i in deployer.attributes["impersonators"]
    }
    assert statuses(inventory, catalogs, deployer.uid)["NHI-PRIV-013"] == "fail"


@pytest.mark.parametrize("role", ["roles/iam.serviceAccountOpenIdTokenCreator", "roles/iam.serviceAccountKeyAdmin"])
def test_a_person_who_mints_id_tokens_or_keys_for_service_accounts_can_impersonate_them(
    fake_gcp, catalogs, role
) -> None:
    etl = email(DEV, "etl")  # no person may act as it otherwise
    _without_the_organisation_key_admin(fake_gcp)
    assert statuses(scan(fake_gcp, projects=(DEV,))[0], catalogs, etl)["NHI-PRIV-013"] == "pass"
    _person_bound_on_the_project(fake_gcp, role, DEV)
    assert statuses(scan(fake_gcp, projects=(DEV,))[0], catalogs, etl)["NHI-PRIV-013"] == "fail"


def _etl_trusts_the_github_pool(fake: FakeGcp) -> str:
    """The development account admits every identity of the production project's GitHub pool."""
    etl = email(DEV, "etl")
    pool = f"projects/{fake.state.number(PROD)}/locations/global/workloadIdentityPools/github"
    fake.state.account_policies[etl] = {
        "bindings": [
            {"role": "roles/iam.workloadIdentityUser", "members": [f"principalSet://iam.googleapis.com/{pool}/*"]}
        ]
    }
    return etl


def test_a_person_who_may_add_a_provider_to_a_pool_can_impersonate_the_accounts_trusting_it(fake_gcp, catalogs) -> None:
    """A Workload Identity Pool Admin adds a provider of an issuer they control, and its tokens are
    the pool's: every account trusting the pool is theirs to act as (and so it is for the owners of
    the pool's project). Nothing in the development project lets a person act as etl."""
    etl = _etl_trusts_the_github_pool(fake_gcp)

    def through_the_pool(inventory) -> set[tuple[str, str]]:
        listed = by_uid(inventory.identities)[etl].attributes["impersonators"]
        return {(i["member"], i["role"]) for i in listed if str(i.get("via")).startswith("adds a provider")}

    before = through_the_pool(scan(fake_gcp, projects=(DEV, PROD))[0])
    assert before and {role for _, role in before} == {"roles/owner"}, "the production project's owners"
    assert statuses(scan(fake_gcp, projects=(DEV,))[0], catalogs, etl)["NHI-PRIV-013"] != "pass"
    _person_bound_on_the_project(fake_gcp, "roles/iam.workloadIdentityPoolAdmin", PROD)
    inventory, _ = scan(fake_gcp, projects=(DEV, PROD))
    assert through_the_pool(inventory) - before == {("user:carol@acme.example", "roles/iam.workloadIdentityPoolAdmin")}
    assert statuses(inventory, catalogs, etl)["NHI-PRIV-013"] == "fail"


def test_a_trusted_pool_whose_project_was_not_read_leaves_impersonation_unknown(fake_gcp, catalogs) -> None:
    """Unknown where no person is known to act as the account (the pool's own policy, which may
    make someone its admin, is never read); a person who is known still fails it."""
    etl = _etl_trusts_the_github_pool(fake_gcp)
    _without_the_organisation_key_admin(fake_gcp)
    assert statuses(scan(fake_gcp, projects=(DEV,))[0], catalogs, etl)["NHI-PRIV-013"] == "unknown"
    fake_gcp.state.account_policies[etl]["bindings"].append(
        {"role": "roles/iam.serviceAccountTokenCreator", "members": ["user:mallory@acme.example"]}
    )
    assert statuses(scan(fake_gcp, projects=(DEV,))[0], catalogs, etl)["NHI-PRIV-013"] == "fail"


@pytest.mark.parametrize("role", ["roles/resourcemanager.projectIamAdmin", "roles/admin"])
def test_a_person_who_may_make_themselves_the_pool_s_admin_can_impersonate_the_accounts_trusting_it(
    fake_gcp, catalogs, role
) -> None:
    """Whoever may change the policy of the pool's project grants themselves the pool admin role."""
    etl = _etl_trusts_the_github_pool(fake_gcp)
    _person_bound_on_the_project(fake_gcp, role, PROD)
    inventory, _ = scan(fake_gcp, projects=(DEV, PROD))
    listed = by_uid(inventory.identities)[etl].attributes["impersonators"]
    assert ("user:carol@acme.example", role) in {
        (i["member"], i["role"]) for i in listed if str(i.get("via")).startswith("adds a provider")
    }


def _without_the_organisation_key_admin(fake: FakeGcp) -> None:
    """The organisation lets the production payments account make keys for every account (so
    whoever may act as it, the production project's owners among them, may act as each)."""
    fake.state.parents[ORG]["bindings"] = []


def _loader_that_etl_may_act_as(fake: FakeGcp) -> str:
    """A development account whose own policy lets etl mint its tokens, and no one else."""
    _without_the_organisation_key_admin(fake)
    loader = email(DEV, "loader")
    fake.state.accounts[DEV].append(
        {"name": f"projects/{DEV}/serviceAccounts/{loader}", "projectId": DEV, "email": loader,
         "displayName": "loader", "uniqueId": "104857600000000000042"}
    )  # fmt: skip
    fake.state.account_policies[loader] = {
        "bindings": [
            {"role": "roles/iam.serviceAccountTokenCreator", "members": [f"serviceAccount:{email(DEV, 'etl')}"]}
        ]
    }
    return loader


def test_a_person_who_may_act_as_an_account_that_may_act_as_another_can_impersonate_both(fake_gcp, catalogs) -> None:
    """mallory mints etl's tokens, and etl mints loader's: two calls make mallory loader, yet
    NHI-PRIV-013 ("no person can impersonate") passed loader."""
    loader = _loader_that_etl_may_act_as(fake_gcp)
    assert statuses(scan(fake_gcp, projects=(DEV,))[0], catalogs, loader)["NHI-PRIV-013"] == "pass"
    fake_gcp.state.account_policies[email(DEV, "etl")] = {
        "bindings": [{"role": "roles/iam.serviceAccountTokenCreator", "members": ["user:mallory@acme.example"]}]
    }
    inventory, _ = scan(fake_gcp, projects=(DEV,))
    chained = [i for i in by_uid(inventory.identities)[loader].attributes["impersonators"] if i.get("via")]
    assert [(i["member"], i["via"]) for i in chained] == [("user:mallory@acme.example", f"acts as {email(DEV, 'etl')}")]
    assert statuses(inventory, catalogs, loader)["NHI-PRIV-013"] == "fail"


def test_a_chain_through_every_account_of_a_project_is_followed(fake_gcp, catalogs) -> None:
    """loader lets every account of the development project mint its tokens (a principalSet
    member); mallory may act as etl, one of them."""
    loader = _loader_that_etl_may_act_as(fake_gcp)
    every_account = (
        f"principalSet://cloudresourcemanager.googleapis.com/projects/{fake_gcp.state.number(DEV)}/type/ServiceAccount"
    )
    fake_gcp.state.account_policies[loader]["bindings"][0]["members"] = [every_account]
    fake_gcp.state.account_policies[email(DEV, "etl")] = {
        "bindings": [{"role": "roles/iam.serviceAccountTokenCreator", "members": ["user:mallory@acme.example"]}]
    }
    inventory, _ = scan(fake_gcp, projects=(DEV,))
    chained = {i["member"] for i in by_uid(inventory.identities)[loader].attributes["impersonators"] if i.get("via")}
    assert "user:mallory@acme.example" in chained
    assert statuses(inventory, catalogs, loader)["NHI-PRIV-013"] == "fail"


def test_an_account_outside_the_scan_that_may_act_as_another_leaves_its_people_unknown(fake_gcp, catalogs) -> None:
    loader = _loader_that_etl_may_act_as(fake_gcp)
    outsider = "builder@elsewhere-project.iam.gserviceaccount.com"
    fake_gcp.state.account_policies[loader]["bindings"][0]["members"].append(f"serviceAccount:{outsider}")
    assert statuses(scan(fake_gcp, projects=(DEV,))[0], catalogs, loader)["NHI-PRIV-013"] == "unknown"
    for accounts_not_all_read in ("projects/777", ORG):  # a project outside the scan; an organisation not all read
        member = f"principalSet://cloudresourcemanager.googleapis.com/{accounts_not_all_read}/type/ServiceAccount"
        fake_gcp.state.account_policies[loader]["bindings"][0]["members"] = [member]
        assert statuses(scan(fake_gcp, projects=(DEV,))[0], catalogs, loader)["NHI-PRIV-013"] == "unknown"
    service_agent = "service-123456789@gcp-sa-cloudbuild.iam.gserviceaccount.com"  # Google's: ends the chain
    fake_gcp.state.account_policies[loader]["bindings"][0]["members"] = [f"serviceAccount:{service_agent}"]
    assert statuses(scan(fake_gcp, projects=(DEV,))[0], catalogs, loader)["NHI-PRIV-013"] == "pass"


def test_a_person_bound_to_a_custom_role_whose_definition_was_not_read_leaves_impersonation_unknown(
    fake_gcp, catalogs
) -> None:
    """Unknown where no person is known to act as the account; a person who is known still fails it."""
    _without_the_organisation_key_admin(fake_gcp)
    for project in (PROD, DEV):
        _person_bound_on_the_project(fake_gcp, TOKEN_MINTER, project)
    fake_gcp.state.roles[TOKEN_MINTER] = _custom_role(TOKEN_MINTER, "iam.serviceAccounts.getAccessToken")
    fake_gcp.state.deny.add(f"GetRole {TOKEN_MINTER}")
    inventory, _ = scan(fake_gcp, projects=(PROD, DEV))
    etl = by_uid(inventory.identities)[email(DEV, "etl")]  # no person known to act as it
    assert etl.attributes["impersonation_roles_not_read"] == [TOKEN_MINTER]
    assert statuses(inventory, catalogs, etl.uid)["NHI-PRIV-013"] == "unknown"
    minter = by_uid(inventory.identities)[email(PROD, "token-minter")]  # a person known to: it still fails
    assert statuses(inventory, catalogs, minter.uid)["NHI-PRIV-013"] == "fail"


@pytest.mark.parametrize("member", ["etl", "every account of the project"])
def test_an_account_bound_to_a_role_whose_permissions_were_not_read_leaves_the_people_acting_through_it_unknown(
    fake_gcp, catalogs, member: str
) -> None:
    """loader lets etl (or every account of the project) hold a custom role whose definition could
    not be read: it may mint loader's tokens, and then mallory, who may act as etl, may act as
    loader. Who may act as loader is not known; while no one may act as etl, it passes."""
    loader = _loader_that_etl_may_act_as(fake_gcp)
    etl = email(DEV, "etl")
    bound = (
        f"serviceAccount:{etl}"
        if member == "etl"
        else f"principalSet://cloudresourcemanager.googleapis.com/projects/{fake_gcp.state.number(DEV)}/type/ServiceAccount"
    )
    fake_gcp.state.account_policies[loader] = {"bindings": [{"role": TOKEN_MINTER, "members": [bound]}]}
    fake_gcp.state.roles[TOKEN_MINTER] = _custom_role(TOKEN_MINTER, "iam.serviceAccounts.getAccessToken")
    fake_gcp.state.deny.add(f"GetRole {TOKEN_MINTER}")
    assert statuses(scan(fake_gcp, projects=(DEV,))[0], catalogs, loader)["NHI-PRIV-013"] == "pass"
    fake_gcp.state.account_policies[etl] = {
        "bindings": [{"role": "roles/iam.serviceAccountTokenCreator", "members": ["user:mallory@acme.example"]}]
    }
    inventory, _ = scan(fake_gcp, projects=(DEV,))
    assert by_uid(inventory.identities)[loader].attributes["impersonation_roles_not_read"] == [TOKEN_MINTER]
    assert statuses(inventory, catalogs, loader)["NHI-PRIV-013"] == "unknown"


def test_an_account_bound_on_the_project_to_a_role_not_read_leaves_the_accounts_below_unknown_down_the_chain(
    fake_gcp, catalogs
) -> None:
    """The project binds etl to the unread role (so etl may act as every account of it); an account
    that only loader may act as is reached through loader, whose people are not all known."""
    loader = _loader_that_etl_may_act_as(fake_gcp)
    etl = email(DEV, "etl")
    fake_gcp.state.account_policies[loader] = {"bindings": []}
    fake_gcp.state.projects[DEV]["policy"]["bindings"].append(
        {"role": TOKEN_MINTER, "members": [f"serviceAccount:{etl}"]}
    )
    fake_gcp.state.roles[TOKEN_MINTER] = _custom_role(TOKEN_MINTER, "iam.serviceAccounts.getAccessToken")
    fake_gcp.state.deny.add(f"GetRole {TOKEN_MINTER}")
    fake_gcp.state.account_policies[etl] = {
        "bindings": [{"role": "roles/iam.serviceAccountTokenCreator", "members": ["user:mallory@acme.example"]}]
    }
    inventory, _ = scan(fake_gcp, projects=(DEV,))
    assert statuses(inventory, catalogs, loader)["NHI-PRIV-013"] == "unknown"
    assert statuses(inventory, catalogs, etl)["NHI-PRIV-013"] == "fail"  # mallory, known


def test_a_workload_pool_bound_to_a_role_whose_permissions_were_not_read_leaves_impersonation_unknown(
    fake_gcp, catalogs
) -> None:
    """Whoever the pool admits may act as loader, or may not: who they are is not read, so it is
    not known that no person can (it passed; with a role known, the pool's admins are named)."""
    loader = _loader_that_etl_may_act_as(fake_gcp)
    pool = f"projects/{fake_gcp.state.number(PROD)}/locations/global/workloadIdentityPools/github"
    fake_gcp.state.account_policies[loader] = {
        "bindings": [{"role": TOKEN_MINTER, "members": [f"principalSet://iam.googleapis.com/{pool}/*"]}]
    }
    fake_gcp.state.roles[TOKEN_MINTER] = _custom_role(TOKEN_MINTER, "iam.serviceAccounts.getAccessToken")
    fake_gcp.state.deny.add(f"GetRole {TOKEN_MINTER}")
    inventory, _ = scan(fake_gcp, projects=(DEV,))
    assert by_uid(inventory.identities)[loader].attributes["impersonation_roles_not_read"] == [TOKEN_MINTER]
    assert statuses(inventory, catalogs, loader)["NHI-PRIV-013"] == "unknown"


def test_links_through_roles_not_read_leave_every_account_up_the_chain_unknown(fake_gcp, catalogs) -> None:
    """builder may act as etl, and etl as loader, each through the unread role; mallory may act
    as builder. Neither etl's nor loader's people are known; builder fails on mallory."""
    loader = _loader_that_etl_may_act_as(fake_gcp)
    etl, builder = email(DEV, "etl"), email(DEV, "builder")
    fake_gcp.state.accounts[DEV].append(
        {"name": f"projects/{DEV}/serviceAccounts/{builder}", "projectId": DEV, "email": builder,
         "displayName": "builder", "uniqueId": "104857600000000000043"}
    )  # fmt: skip
    fake_gcp.state.account_policies[loader] = {
        "bindings": [{"role": TOKEN_MINTER, "members": [f"serviceAccount:{etl}"]}]
    }
    fake_gcp.state.account_policies[etl] = {
        "bindings": [{"role": TOKEN_MINTER, "members": [f"serviceAccount:{builder}"]}]
    }
    fake_gcp.state.roles[TOKEN_MINTER] = _custom_role(TOKEN_MINTER, "iam.serviceAccounts.getAccessToken")
    fake_gcp.state.deny.add(f"GetRole {TOKEN_MINTER}")
    assert {statuses(scan(fake_gcp, projects=(DEV,))[0], catalogs, a)["NHI-PRIV-013"] for a in (loader, etl)} == {
        "pass"
    }
    fake_gcp.state.account_policies[builder] = {
        "bindings": [{"role": "roles/iam.serviceAccountTokenCreator", "members": ["user:mallory@acme.example"]}]
    }
    inventory, _ = scan(fake_gcp, projects=(DEV,))
    assert [statuses(inventory, catalogs, a)["NHI-PRIV-013"] for a in (loader, etl, builder)] == [
        "unknown",
        "unknown",
        "fail",
    ]


def test_a_secret_in_a_vertex_agents_description_is_a_plaintext_secret_it_holds(fake_gcp) -> None:
    engines = fake_gcp.state.rest[f"/v1/projects/{PROD}/locations/europe-west4/reasoningEngines"]
    engines[0]["description"] = "Calls the ticket API with api_key: Zx9Qw2Er5Ty8Ui1Op4As7Df0"
    fake_gcp.state.accounts[DEV][0]["description"] = "DB login password: Hunt3rTw0Secret99"

    inventory, _ = scan(fake_gcp)

    agent = engines[0]["name"]
    secrets = [c for c in inventory.credentials if c.identity_uid == agent and c.kind == "plaintext_secret"]
    assert [(c.uid, c.attributes["display_id"]) for c in secrets] == [
        (f"{agent}#plaintext_secret:description", "secret_parameter in description (redacted)")
    ]
    # the service account's description is judged by no control: redaction is what keeps it in the source
    assert not [c for c in inventory.credentials if c.kind == "plaintext_secret" and c.identity_uid != agent]
    redact_inventory(inventory)
    described = {r.uid: r.attributes["description"] for r in [*inventory.agents, *inventory.identities]}
    assert described[agent] == "Calls the ticket API with api_key: [REDACTED]"
    assert described[email(DEV, "etl")] == "DB login password: [REDACTED]"


@pytest.mark.parametrize("role", ["roles/owner", "roles/editor", "roles/admin", "roles/writer", "roles/iam.admin"])
def test_a_person_holding_a_role_that_acts_as_every_account_below_is_an_impersonator(role: str) -> None:
    """Owner and Editor (and Admin and Writer, their new names) create keys for the project's
    service accounts and act as them, as Google's published permissions say."""
    from scanner.sources.gcp.records import impersonation_bindings

    policy = {"bindings": [{"role": role, "members": ["user:alice@example.com"]}]}
    (found,) = impersonation_bindings(policy, "projects/p1")
    assert found["member"] == "user:alice@example.com" and found["human"]


IMPERSONATION_DEFINITIONS = Path(__file__).parent / "data" / "gcp" / "impersonation"
PUBLISHED_DEFINITIONS = Path(__file__).parent / "data" / "gcp" / "roles"


@pytest.mark.parametrize(
    "definition",
    sorted([*IMPERSONATION_DEFINITIONS.glob("*.json"), *PUBLISHED_DEFINITIONS.glob("*.json")]),
    ids=lambda path: path.stem,
)
def test_the_record_of_predefined_roles_holds_what_their_published_definitions_do(definition: Path) -> None:
    """scanner/sources/gcp/predefined_roles.json against the definitions recorded in tests/data
    (iann0036/iam-dataset, unedited): the same permissions that act as a service account."""
    from scanner.sources.gcp.records import IMPERSONATION_PERMISSIONS, predefined_roles

    role = json.loads(definition.read_text(encoding="utf-8"))
    assert predefined_roles()[role["name"]] == IMPERSONATION_PERMISSIONS.intersection(role["includedPermissions"])


@pytest.mark.parametrize(
    "role",
    [
        "roles/securitycenter.admin",
        "roles/assuredoss.admin",
        "roles/iam.serviceAccountAdmin",
        "roles/resourcemanager.projectIamAdmin",
    ],
)
def test_a_person_holding_a_predefined_role_that_may_act_as_the_accounts_can_impersonate(
    fake_gcp, catalogs, role: str
) -> None:
    """Security Command Center Admin and Assured OSS Admin hold iam.serviceAccountKeys.create in
    their published definitions (tests/data/gcp/impersonation): a person holding either on the
    project creates a key for any of its service accounts and signs in as it. Service Account Admin
    sets the accounts' own policies, Project IAM Admin the project's (setIamPolicy, in
    tests/data/gcp/roles): either grants its holder Token Creator in one step. All four passed."""
    etl = email(DEV, "etl")
    _person_bound_on_the_project(fake_gcp, role, DEV)
    inventory, _ = scan(fake_gcp, projects=(DEV,))
    assert ("user:carol@acme.example", role, True) in {
        (i["member"], i["role"], i["human"]) for i in by_uid(inventory.identities)[etl].attributes["impersonators"]
    }
    assert statuses(inventory, catalogs, etl)["NHI-PRIV-013"] == "fail"


def test_a_person_bound_to_a_predefined_role_nhiscan_does_not_know_leaves_impersonation_unknown(
    fake_gcp, catalogs
) -> None:
    """A predefined role Google published after the record was made may act as the project's
    service accounts: nobody read what it holds, so no pass."""
    etl = email(DEV, "etl")
    _person_bound_on_the_project(fake_gcp, "roles/agentplatform.newAgentOperator", DEV)
    _person_bound_on_the_project(fake_gcp, "roles/viewer", DEV)  # known, and acts as nobody
    inventory, _ = scan(fake_gcp, projects=(DEV,))
    account = by_uid(inventory.identities)[etl]
    assert account.attributes["impersonation_roles_not_read"] == ["roles/agentplatform.newAgentOperator"]
    assert statuses(inventory, catalogs, etl)["NHI-PRIV-013"] == "unknown"


@pytest.mark.parametrize("member", ["allUsers", "allAuthenticatedUsers"])
def test_the_public_bound_on_a_service_accounts_own_policy_can_impersonate_it(fake_gcp, catalogs, member) -> None:
    """Token Creator for allUsers on the account's own policy lets anyone on the internet mint its
    tokens: people among them (NHI-PRIV-013), and the project grants to the public (NHI-PRIV-015).
    Before, the live source passed both; the export source already counted the public binding."""
    payments = email(PROD, "payments-api")
    fake_gcp.state.account_policies[payments] = {
        "bindings": [{"role": "roles/iam.serviceAccountTokenCreator", "members": [member]}]
    }
    inventory, _ = scan(fake_gcp, projects=(PROD,))
    assert statuses(inventory, catalogs, payments)["NHI-PRIV-013"] == "fail"
    public = by_uid(inventory.accounts)[PROD].attributes["public_bindings"]
    assert {"role": "roles/iam.serviceAccountTokenCreator", "member": member,
            "resource": f"projects/{PROD}/serviceAccounts/{payments}"} in public  # fmt: skip
    assert statuses(inventory, catalogs, PROD)["NHI-PRIV-015"] == "fail"


def test_a_service_account_policy_not_read_leaves_the_projects_public_bindings_unknown(fake_gcp, catalogs) -> None:
    """The public bound on an account's own policy is the project's (see above): where that policy
    could not be read, NHI-PRIV-015 cannot pass the project. NHI-PRIV-013 was unknown there already."""
    fake_gcp.state.deny.add("GetIamPolicy")
    inventory, _ = scan(fake_gcp, assets=False, projects=(PROD,))
    assert "attributes.public_bindings" in by_uid(inventory.accounts)[PROD].unknown
    assert statuses(inventory, catalogs, PROD)["NHI-PRIV-015"] == "unknown"


@pytest.mark.parametrize("assets", [True, False], ids=["asset-inventory", "project-by-project"])
@pytest.mark.parametrize("member", ["allUsers", "allAuthenticatedUsers"])
def test_a_role_granted_to_everyone_is_held_by_every_service_account(fake_gcp, catalogs, assets, member) -> None:
    """Every service account is among "anyone" (Google's principal identifiers): Editor bound to
    allAuthenticatedUsers gave no account a grant, and each passed NHI-PRIV-006, -001 and -003;
    only NHI-PRIV-015 failed the project, so waiving it hid the rest."""
    fake_gcp.state.projects[DEV]["policy"] = {"bindings": [{"role": "roles/editor", "members": [member]}]}
    inventory, _ = scan(fake_gcp, assets=assets, projects=(), parent=ORG) if assets else scan(fake_gcp, assets=False)
    etl = next(i.uid for i in inventory.identities if i.uid.startswith("etl@"))
    held = [g for g in inventory.grants if g.identity_uid == etl and g.name == "roles/editor"]
    assert [(g.resources, g.attributes["member"]) for g in held] == [([f"projects/{DEV}"], member)]
    assert statuses(inventory, catalogs, etl)["NHI-PRIV-003"] == "fail"


def test_an_ancestor_policy_binding_everyone_is_turned_into_grants_once_however_many_projects() -> None:
    """Each project's ancestors are read again for their public bindings: building every service
    account's grant for each project made one public binding on an organisation of 1,000 projects
    and 100,000 accounts take minutes."""
    from scanner.sources.gcp import records

    everyone = {records.EVERY_ACCOUNT: [f"sa{n}@p.iam.gserviceaccount.com" for n in range(3)]}
    policy = {"bindings": [{"role": "roles/viewer", "members": ["allUsers"]}]}
    grants, public = records.policy_grants(policy, ORG, set(), {}, everyone)
    assert grants == [] and public == [{"role": "roles/viewer", "member": "allUsers", "resource": ORG}]
    grants, _ = records.policy_grants(policy, ORG, None, {}, everyone)
    assert sorted(g.identity_uid for g in grants) == everyone[records.EVERY_ACCOUNT]
