"""The gcp source through the real client libraries: google-cloud-iam over gRPC to a local IAM
server, Resource Manager and the other REST APIs to a local HTTP server. Every finding is checked
against the seeded projects; paging, PERMISSION_DENIED, RESOURCE_EXHAUSTED, disabled APIs and
real recorded bodies."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from scanner.scan import ScanOptions, run_scan
from scanner.sources import SourceSpec, collect
from scanner.sources.gcp.collector import GcpScope, collect_gcp

from .gcp_estate import DEV, ORG, PROD, REALWORLD, seed
from .gcp_fake import FakeGcp


@pytest.fixture
def fake_gcp() -> Iterator[FakeGcp]:
    fake = FakeGcp()
    seed(fake.state)
    yield fake
    fake.stop()


def scan(fake: FakeGcp, **scope):
    clients = fake.clients()
    return collect_gcp(clients, GcpScope(**({"projects": (PROD, DEV)} | scope))), clients


def failing(result, status: str = "fail") -> set[tuple[str, str]]:
    return {(f.control_id, re.sub(r"key…\w+", "key", f.resource.name)) for f in result.findings if f.status == status}


def test_a_project_scan_finds_exactly_the_seeded_failures(fake_gcp, catalogs) -> None:
    inventory, _ = scan(fake_gcp)
    result = run_scan(inventory, catalogs, ScanOptions())
    recorded = [f"My Test Service Account {n}" for n in range(1, 5)]  # served as Cloud Custodian recorded them
    assert failing(result) == {
        ("NHI-AGENT-001", "support-agent"),  # its service account is an Editor
        ("NHI-AGENT-002", "support-agent"),
        ("NHI-AGENT-008", "support-agent"),
        ("NHI-COV-001", DEV),  # API keys could not be listed
        ("NHI-CRED-001", "sa_key key of scc"),  # the recorded user-managed key, from 2021
        ("NHI-CRED-001", "sa_key key of payments-api"),  # 200 days old
        ("NHI-CRED-003", "sa_key key of scc"),  # neither recorded key has authenticated
        ("NHI-CRED-005", "api_key maps"),
        ("NHI-CRED-005", "sa_key key of scc"),  # valid until 9999
        ("NHI-CRED-005", "sa_key key of payments-api"),
        ("NHI-CRED-007", "sa_key key of scc"),  # the system-managed key expired in 2021
        ("NHI-CRED-008", "sa_key key of scc"),
        ("NHI-CRED-008", "sa_key key of payments-api"),
        ("NHI-LOG-003", PROD),  # runs an agent engine, no model-invocation logging
        ("NHI-LOG-006", DEV),  # no data-access audit logs
        *(("NHI-OWN-001", name) for name in [*recorded, "scc", "payments-api", "deployer", "token-minter"]),
        ("NHI-PRIV-003", "token-minter"),  # iam.serviceAccountTokenCreator
        ("NHI-PRIV-006", "deployer"),  # roles/editor
    }
    assert ("NHI-OWN-001", "etl") not in failing(result), "owner from the description"


def test_what_the_inventory_records(fake_gcp) -> None:
    inventory, _ = scan(fake_gcp)
    keys = {c.uid.rsplit(":", 1)[-1]: c for c in inventory.credentials if c.kind == "sa_key"}
    assert keys["1"].managed_by_provider and not keys["2"].managed_by_provider
    assert keys["2"].expires is None, "9999-12-31 means the key never expires"
    payments = next(i for i in inventory.identities if i.name == "payments-api")
    assert payments.last_used is not None and "last_used" not in payments.unknown
    accounts = {a.uid: a for a in inventory.accounts}
    assert accounts[PROD].attributes["workload_identity_pools"] == ["github"]
    assert accounts[DEV].attributes["public_bindings"][0]["member"] == "allUsers"
    (agent,) = inventory.agents
    assert agent.runs_as == "deployer@acme-ml-prod.iam.gserviceaccount.com"


def test_projects_under_an_organisation_are_discovered_with_its_policy(fake_gcp, catalogs) -> None:
    inventory, _ = scan(fake_gcp, projects=(), parent=ORG)
    assert sorted(a.uid for a in inventory.accounts) == sorted([PROD, DEV])
    inherited = [g for g in inventory.grants if g.resources == [ORG]]
    assert [(g.identity_uid.split("@")[0], g.name) for g in inherited] == [
        ("payments-api", "roles/iam.serviceAccountKeyAdmin")
    ]
    result = run_scan(inventory, catalogs, ScanOptions())
    assert ("NHI-LOG-006", DEV) not in failing(result), "the organisation's audit config logs every project"
    assert ("NHI-PRIV-003", "payments-api") in failing(result), "a key admin on the organisation can escalate"
    assert [s.status for s in inventory.sources if s.account == ORG] == ["complete"]


def test_service_accounts_page_through_grpc(fake_gcp) -> None:
    fake_gcp.state.page_size = 3
    inventory, _ = scan(fake_gcp, projects=(PROD,))
    assert fake_gcp.state.requests["grpc ListServiceAccounts"] == 3  # 8 accounts, pages of 3
    assert len(inventory.identities) == 8


def test_permission_denied_names_the_call_and_the_rest_goes_on(fake_gcp) -> None:
    inventory, _ = scan(fake_gcp)
    statuses = {s.account: s for s in inventory.sources}
    assert statuses[PROD].status == "complete"
    assert [(e.call, e.code) for e in statuses[DEV].errors] == [("apikeys:keys.list", "403")]
    fake_gcp.state.deny.add("ListServiceAccounts")
    inventory, _ = scan(fake_gcp, projects=(PROD,))
    (status,) = inventory.sources
    assert (status.status, status.errors[0].call, status.errors[0].code) == (
        "partial",
        "iam:serviceAccounts.list",
        "403",
    )


def test_resource_exhausted_is_retried(fake_gcp) -> None:
    fake_gcp.state.exhausted["ListServiceAccounts"] = 2
    fake_gcp.state.exhausted[f"/v2/projects/{PROD}/"] = 1
    inventory, _ = scan(fake_gcp, projects=(PROD,))
    assert [s.status for s in inventory.sources] == ["complete"]
    assert fake_gcp.state.requests["grpc ListServiceAccounts"] == 3
    assert any(c.kind == "api_key" for c in inventory.credentials)


def test_a_disabled_api_is_reported_as_such(fake_gcp) -> None:
    fake_gcp.state.disabled.add(f"/v2/projects/{PROD}/")
    inventory, _ = scan(fake_gcp, projects=(PROD,))
    (status,) = inventory.sources
    assert status.errors[0].code == "api_disabled" and status.errors[0].message.startswith("API not enabled")


def test_recorded_bodies_import_unchanged() -> None:
    inventory = collect(SourceSpec("file", str(REALWORLD)))
    emails = {i.uid for i in inventory.identities}
    assert {f"my-sa-42dc4145{n}@c7n-policy-dev.iam.gserviceaccount.com" for n in range(1, 5)} <= emails
    assert {c.managed_by_provider for c in inventory.credentials} == {True, False}
    assert {g.name for g in inventory.grants} == {"roles/owner", "roles/editor"}
    (audit,) = inventory.log_sources
    assert audit.covers == ["allServices"] and audit.enabled
