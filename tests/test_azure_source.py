"""The azure source against a local Graph and ARM over HTTPS, through azure-core's real pipeline:
every finding checked against the seeded tenant, paging, $batch, 429, 403 and real Graph exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

from scanner.scan import ScanOptions, run_scan
from scanner.sources import SourceSpec, collect
from scanner.sources.azure.client import AzureCalls
from scanner.sources.azure.collector import collect_azure

from .azure_estate import DEV, MI_ID, PROD, REALWORLD
from .azure_fake import FakeAzure, FakeCredential, fake_cloud


def scan_tenant(fake: FakeAzure):
    calls = AzureCalls(FakeCredential(), fake_cloud(fake))
    return collect_azure(FakeCredential(), None, calls), calls


def failing(result, status: str = "fail") -> set[tuple[str, str]]:
    return {
        (f.control_id, re.sub(r" \([0-9a-f]{8}\)", "", f.resource.name)) for f in result.findings if f.status == status
    }


def test_a_tenant_scan_finds_exactly_the_seeded_failures(fake_azure, catalogs) -> None:
    inventory, _ = scan_tenant(fake_azure)
    result = run_scan(inventory, catalogs, ScanOptions())
    recorded = "azure-cli-test000001"  # the application and service principal the Azure CLI tests recorded
    assert failing(result) == {
        ("NHI-CRED-001", "client_secret ci of payments-api"),  # 200 days since rotation
        ("NHI-CRED-007", f"client_secret key1 of {recorded}"),  # expired, still registered
        ("NHI-CRED-007", f"client_secret key2 of {recorded}"),
        ("NHI-CRED-009", "client_secret ci of payments-api"),  # valid for two years
        ("NHI-LOG-005", "contoso-dev"),  # no activity-log export
        ("NHI-OWN-001", recorded),
        ("NHI-OWN-001", "it-automation"),
        ("NHI-OWN-003", recorded),  # never signed in
        ("NHI-OWN-003", "it-automation"),  # called as a resource only: never signed in as a client
        ("NHI-PRIV-003", "it-automation"),  # Privileged Role Administrator
        ("NHI-PRIV-003", "payments-api"),  # Application.ReadWrite.All
        ("NHI-PRIV-006", "mi-payments"),  # Contributor on the subscription
        ("NHI-PRIV-007", "it-automation"),
    }
    ci = next(c for c in inventory.credentials if c.attributes["display_id"].startswith("ci "))
    assert ci.last_used is not None and "last_used" not in ci.unknown, "from the credential sign-in report"
    assert ("NHI-CRED-002", "client_secret ci of payments-api") not in failing(result, "unknown")
    assert {s.status for s in inventory.sources} == {"complete"}


def test_what_the_inventory_records(fake_azure) -> None:
    inventory, _ = scan_tenant(fake_azure)
    identities = {i.name + "/" + i.kind: i for i in inventory.identities}
    assert "Microsoft Graph/service_principal" not in identities, "first-party service principals are left out"
    managed = identities["mi-payments/managed_identity"]
    assert managed.uid == MI_ID and managed.owner == "payments@contoso.example", "ARM tags complete the identity"
    trust = identities["deploy-gh/app_registration"].attributes["trust"]
    assert trust[0]["subject"] == "repo:octo-org/octo-repo:environment:Production"
    accounts = {a.uid: a for a in inventory.accounts}
    assert accounts[PROD].environment == "production" and accounts[PROD].parent == inventory.accounts[0].uid
    assert managed.attributes["workloads"] == [
        {"resource": f"/subscriptions/{PROD}/resourceGroups/rg-payments/providers/Microsoft.Web/sites/payments-web",
         "type": "microsoft.web/sites"}
    ], "where the identity is attached, from Resource Graph"  # fmt: skip
    delegated = {g.name for g in inventory.grants if g.kind == "delegated_permission"}
    assert delegated == {"User.Read", "openid"}
    entra = next(s for s in inventory.log_sources if s.kind == "entra_signin")
    assert {"service_principal_signins", "managed_identity_signins"} <= set(entra.covers)


def test_requests_grow_with_pages_and_batches_not_objects(fake_azure) -> None:
    fake_azure.state.page_size = 2
    inventory, _ = scan_tenant(fake_azure)
    requests = fake_azure.state.requests
    assert requests["GET /v1.0/applications"] == 2  # 3 applications, pages of 2
    assert requests["GET /v1.0/servicePrincipals"] == 3  # 5 service principals
    assert requests["POST /v1.0/$batch"] == 1  # 15 per-object lists in one batch
    assert len([i for i in inventory.identities if i.kind == "app_registration"]) == 3


def test_a_missing_graph_permission_makes_the_tenant_partial(fake_azure) -> None:
    fake_azure.state.deny.add("/v1.0/roleManagement")
    inventory, _ = scan_tenant(fake_azure)
    tenant = next(s for s in inventory.sources if s.account == fake_azure.state.tenant)
    assert tenant.status == "partial"
    assert [(e.call, e.code) for e in tenant.errors] == [
        ("graph:roleManagement/directory/roleAssignments", "403"),
        ("graph:roleManagement/directory/roleEligibilitySchedules", "403"),
    ], "a refusal is a gap even for a call whose licence may be missing"
    assert "Insufficient privileges" in tenant.errors[0].message


def test_throttling_is_retried_after_retry_after(fake_azure) -> None:
    fake_azure.state.throttle["/v1.0/servicePrincipals"] = 1
    fake_azure.state.throttle["/v1.0/servicePrincipals/cccc0001"] = 1  # inside the $batch
    inventory, _ = scan_tenant(fake_azure)
    assert {s.status for s in inventory.sources} == {"complete"}
    assert fake_azure.state.requests["GET /v1.0/servicePrincipals"] == 2
    assert fake_azure.state.requests["POST /v1.0/$batch"] == 2
    payments = next(g for g in inventory.grants if g.name == "Application.ReadWrite.All")
    assert payments.identity_uid.startswith("azure:sp:cccc0001")


def test_one_unreadable_subscription_does_not_stop_the_others(fake_azure) -> None:
    fake_azure.state.deny.add(f"/subscriptions/{DEV}/providers/Microsoft.Authorization")
    inventory, _ = scan_tenant(fake_azure)
    statuses = {s.account: s.status for s in inventory.sources}
    assert statuses[DEV] == "partial" and statuses[PROD] == "complete"
    assert any(g.name == "Contributor" for g in inventory.grants)


def test_without_the_sign_in_report_last_use_is_unknown_not_a_gap(fake_azure) -> None:
    fake_azure.state.sign_ins = None
    inventory, _ = scan_tenant(fake_azure)
    assert {s.status for s in inventory.sources} == {"complete"}
    principals = [i for i in inventory.identities if i.kind == "service_principal"]
    assert all("last_used" in i.unknown for i in principals)


def test_a_token_for_the_wrong_audience_is_refused(fake_azure) -> None:
    class GraphOnly(FakeCredential):
        def get_token(self, *scopes, **kwargs):
            return super().get_token("https://graph.microsoft.com/.default")

    calls = AzureCalls(GraphOnly(), fake_cloud(fake_azure))
    inventory = collect_azure(GraphOnly(), None, calls)
    tenant = next(s for s in inventory.sources if s.account == fake_azure.state.tenant)
    assert tenant.status == "partial" and {e.code for e in tenant.errors} == {"401"}


def test_real_graph_exports_import_unchanged(tmp_path: Path) -> None:
    inventory = collect(SourceSpec("file", str(REALWORLD)))
    kinds = sorted(i.kind for i in inventory.identities)
    assert kinds == ["app_registration", "service_principal"]
    assert len(inventory.credentials) == 3 and {c.kind for c in inventory.credentials} == {"client_secret"}
    # a variation: the application the recorded federated credentials belong to
    federated = json.loads((REALWORLD / "azure-cli-recording-graph-list-federatedIdentityCredentials.json").read_text())
    app = json.loads((REALWORLD / "azure-cli-recording-graph-list-applications-passwordCredentials.json").read_text())
    app["value"][0]["id"] = "4d5c0e0b-9816-4aa2-a444-395e807c6f80"
    (tmp_path / "apps.json").write_text(json.dumps(app["value"]))  # as `az ad app list` prints it
    (tmp_path / "fic.json").write_text(json.dumps(federated))
    imported = collect(SourceSpec("file", str(tmp_path)))
    (identity,) = imported.identities
    assert identity.attributes["trust"][0]["subject"] == "repo:octo-org/octo-repo:environment:Production"
    assert "trust" not in identity.unknown
    # what is missing is what no list export holds: role assignments, and here the service principals
    assert {e.call for s in imported.sources for e in s.errors} == {
        "arm:roleAssignments, graph:appRoleAssignments",
        "graph:servicePrincipals",
    }


def test_federated_credentials_of_an_application_not_exported_are_a_named_gap() -> None:
    """Reader: the two recorded federated-credential lists belong to applications 4d5c0e0b… (its
    context names it) and bcd7c908… (its @odata.id does); the application list holds neither. Their
    trust cannot be judged on any identity: each file is named, and the source is partial. The
    application that is exported holds no federated credentials in its list: its trust is unknown."""
    inventory = collect(SourceSpec("file", str(REALWORLD)))
    gaps = {(e.call, e.message) for s in inventory.sources for e in s.errors if e.call.startswith("read ")}
    assert gaps == {
        (
            "read azure-cli-recording-graph-list-federatedIdentityCredentials.json",
            "federated credentials of application 4d5c0e0b-9816-4aa2-a444-395e807c6f80, which no application "
            "export lists",
        ),
        (
            "read msgraph-docs-application-list-federatedidentitycredentials.json",
            "federated credentials of application bcd7c908-1c4d-4d48-93ee-ff38349a75c8, which no application "
            "export lists",
        ),
    }
    assert {s.status for s in inventory.sources} == {"partial"}
    (application,) = [i for i in inventory.identities if i.kind == "app_registration"]
    assert "trust" in application.unknown


def test_a_client_secret_is_in_force_as_of_the_time_judged_not_the_time_it_was_read(cli, tmp_path: Path) -> None:
    """Reader: the recorded application holds two client secrets, valid from 2022-05-07 until
    2023-05-07 and until 2024-05-07. As of 2022-12-01 both were in force: two long-lived secrets at
    once (NHI-CRED-004 fails), each 208 days old (NHI-CRED-001 fails), neither expired (NHI-CRED-007
    passes). As of today both have expired: neither is in force, and both are still registered
    (NHI-CRED-007 fails). Their expiry was judged against the clock when the export was read, so
    as of 2022 they counted as expired already and NHI-CRED-004 passed."""
    recorded = REALWORLD / "azure-cli-recording-graph-list-applications-passwordCredentials.json"

    def statuses(*options: str) -> dict[tuple[str, str], str]:
        out = tmp_path / "-".join(options or ("today",))
        arguments = ("--format", "json", "-o", str(out), "-q", "--fail-on", "none", "--include-passed", "--no-history")
        outcome = cli("scan", f"file:{recorded}", *arguments, "--allow-partial", *options)  # no role assignments
        assert outcome.exit_code == 0, outcome.output
        findings = json.loads((out / "results.json").read_text())["findings"]
        named = {"credential": lambda name: name.split(" ")[1]}  # "client_secret key1 (58ed553a) of …"
        return {
            (f["control_id"], named.get(f["resource"]["type"], str)(f["resource"]["name"])): f["status"]
            for f in findings
        }

    in_2022 = statuses("--as-of", "2022-12-01")
    assert in_2022[("NHI-CRED-004", "azure-cli-test000001")] == "fail"
    assert in_2022[("NHI-CRED-001", "key1")] == in_2022[("NHI-CRED-001", "key2")] == "fail"
    assert in_2022[("NHI-CRED-007", "key1")] == in_2022[("NHI-CRED-007", "key2")] == "pass"
    today = statuses()
    assert today[("NHI-CRED-004", "azure-cli-test000001")] == "pass"
    assert ("NHI-CRED-001", "key1") not in today, "an expired secret is not rotated: it is removed"
    assert today[("NHI-CRED-007", "key1")] == today[("NHI-CRED-007", "key2")] == "fail"
