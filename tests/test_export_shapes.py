"""Real export shapes that were misread: AWS keys with N/A dates, trails without status, SSO roles;
Azure's legacy AAD Graph shape, $select lists, expired secrets; GCP policies of service accounts,
several projects, public members, Google's service agents, system-managed keys."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scanner.scan import ScanOptions, run_scan
from scanner.sources import SourceSpec, collect

from .conftest import SHARED

REALWORLD = SHARED / "realworld"
DATA = Path(__file__).parent / "data"
CLOUDMAPPER_DETAILS = REALWORLD / "aws" / "cloudmapper-demo-iam-get-account-authorization-details.json"


def findings(inventory, catalogs, status: str = "fail") -> set[tuple[str, str]]:
    result = run_scan(inventory, catalogs, ScanOptions())
    return {(f.control_id, f.resource.uid) for f in result.findings if f.status == status}


# ---------------------------------------------------------------------------------------------- AWS


def test_an_active_key_whose_dates_are_na_is_a_key_with_unknown_dates(tmp_path: Path, catalogs) -> None:
    report = (REALWORLD / "aws" / "custodian-credential-report.csv").read_text()
    header, *rows = report.split("\n")
    columns = header.split(",")
    row = next(r for r in rows if r.startswith("c7n-iam-test,")).split(",")
    row[columns.index("access_key_1_last_rotated")] = "N/A"
    (tmp_path / "report.csv").write_text("\n".join([header, ",".join(row)]))
    inventory = collect(SourceSpec("file", str(tmp_path / "report.csv")))
    (key,) = inventory.credentials
    # the report alone: the user's attached policies (AWS's report of an exposed key) were not read either
    assert key.active and key.created is None
    assert set(key.unknown) == {"created", "last_used", "attributes.exposure_reports"}
    unknown = findings(inventory, catalogs, "unknown")
    assert ("NHI-CRED-001", key.uid) in unknown, "its age cannot be judged: unknown, not dropped, not passed"


def test_sso_reserved_roles_are_human_access(tmp_path: Path) -> None:
    details = json.loads(CLOUDMAPPER_DETAILS.read_text())
    role = details["RoleDetailList"][0]
    name = "AWSReservedSSO_AdministratorAccess_0123456789abcdef"
    sso = {**role, "Path": "/aws-reserved/sso.amazonaws.com/eu-west-1/", "RoleName": name,
           "Arn": f"arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/{name}"}  # fmt: skip
    details["RoleDetailList"].append(sso)
    (tmp_path / "details.json").write_text(json.dumps(details))
    identities = {i.name: i for i in collect(SourceSpec("file", str(tmp_path / "details.json"))).identities}
    assert identities[name].interactive is True
    assert identities[name].attributes["human_evidence"] == "AWS SSO reserved role path"
    assert (
        identities[role["RoleName"]].interactive is False
        and "human_evidence" not in identities[role["RoleName"]].attributes
    )


def test_an_organisation_trail_alone_decides_nothing_of_its_owner_and_its_owners_own_trails_do(catalogs) -> None:
    """CloudMapper's describe-trails lists one single-region organisation trail of 123456789012.
    A member account's describe-trails lists it too, and never its owner's own trails: alone, it
    says nothing of whether the owner has a multi-region trail (NHI-LOG-001 unknown, not failed,
    as NHI-COV-001 is unknown for an account only organisation trails name). With the owner's own
    authorization details beside it, the owner was read and its trails are those listed."""
    trails = REALWORLD / "aws" / "cloudmapper-demo-cloudtrail-describe-trails.json"
    inventory = collect(SourceSpec("file", str(trails)))
    assert ("NHI-LOG-001", "123456789012") in findings(inventory, catalogs, "unknown")
    assert not {uid for control, uid in findings(inventory, catalogs) if control.startswith("NHI-LOG")}
    details = REALWORLD / "aws" / "cloudmapper-demo-iam-get-account-authorization-details.json"
    owner_read = collect(SourceSpec("file", f"{details},{trails}"))
    failed = findings(owner_read, catalogs)
    assert ("NHI-LOG-001", "123456789012") in failed, "its one trail is single-region: no status can make it pass"
    multi = collect(SourceSpec("file", str(REALWORLD / "aws" / "custodian-placebo-cloudtrail-DescribeTrails.json")))
    assert ("NHI-LOG-001", "644160558196") in findings(multi, catalogs, "unknown"), "multi-region, logging unknown"


# -------------------------------------------------------------------------------------------- Azure


def _legacy(graph_object: dict) -> dict:
    """The same object as azure-cli before 2.37 printed it (Azure AD Graph)."""
    legacy = {k: v for k, v in graph_object.items() if k != "id"}
    legacy.update(objectId=graph_object["id"], objectType="ServicePrincipal")
    legacy["passwordCredentials"] = [
        {"customKeyIdentifier": None, "keyId": c["keyId"], "startDate": c["startDateTime"], "endDate": c["endDateTime"]}
        for c in graph_object["passwordCredentials"]
    ]
    return legacy


def test_the_legacy_aad_graph_shape_reads_like_the_graph_shape(tmp_path: Path) -> None:
    recorded = REALWORLD / "azure" / "azure-cli-recording-graph-list-servicePrincipals-passwordCredentials.json"
    graph = json.loads(recorded.read_text())["value"]
    (tmp_path / "sp.json").write_text(json.dumps([_legacy(sp) for sp in graph]))
    legacy = collect(SourceSpec("file", str(tmp_path / "sp.json")))
    modern = collect(SourceSpec("file", str(recorded)))
    assert [(i.uid, i.kind) for i in legacy.identities] == [(i.uid, i.kind) for i in modern.identities]
    assert [(c.uid, c.created, c.expires, c.active) for c in legacy.credentials] == [
        (c.uid, c.created, c.expires, c.active) for c in modern.credentials
    ]


def test_a_graph_list_fetched_with_select_is_read_as_service_principals() -> None:
    inventory = collect(
        SourceSpec("file", str(DATA / "azure" / "msgraph-docs-servicePrincipals-select-id-appId-displayName.json"))
    )
    assert sorted((i.kind, i.name) for i in inventory.identities) == [
        ("service_principal", "Salesforce"), ("service_principal", "Salesforce Sandbox"),
        ("service_principal", "salesforce 1"),
    ]  # fmt: skip


def test_a_list_fetched_without_its_credentials_leaves_them_unknown_not_none(catalogs) -> None:
    """A $select list (Microsoft's documented example) or an `az … list --query` names no
    passwordCredentials or keyCredentials: the objects' credentials are unknown and the file is a
    named gap. Before, each passed NHI-CRED-004 ("at most one active key") on keys nobody read."""
    listed = DATA / "azure" / "msgraph-docs-servicePrincipals-select-id-appId-displayName.json"
    inventory = collect(SourceSpec("file", str(listed)))
    assert all("credentials" in i.unknown for i in inventory.identities)
    (status,) = [s for s in inventory.sources if s.account == "exports"]
    assert status.status == "partial" and "credentials are unknown" in status.errors[0].message
    assert {c for c, _ in findings(inventory, catalogs, "pass")}.isdisjoint({"NHI-CRED-004"})


def test_the_same_object_in_a_full_and_a_select_list_keeps_its_credentials(tmp_path: Path, catalogs) -> None:
    """Two exports of one service principal: the recorded list and a $select of a few fields. The
    later file replaced the object whole, and its secret vanished without a word."""
    recorded = REALWORLD / "azure" / "azure-cli-recording-graph-list-servicePrincipals-passwordCredentials.json"
    full = json.loads(recorded.read_text())
    sp = full["value"][0]
    selected = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals(id,appId,displayName)",
                "value": [{k: sp[k] for k in ("id", "appId", "displayName")}]}  # fmt: skip
    (tmp_path / "a-full.json").write_text(json.dumps(full))
    (tmp_path / "b-select.json").write_text(json.dumps(selected))
    merged = collect(SourceSpec("file", str(tmp_path)))
    alone = collect(SourceSpec("file", str(recorded)))
    assert [c.uid for c in merged.credentials] == [c.uid for c in alone.credentials] != []
    assert [i.uid for i in merged.identities] == [i.uid for i in alone.identities]
    assert all("credentials" not in i.unknown for i in merged.identities)


def test_secrets_without_a_key_id_stay_apart(tmp_path: Path) -> None:
    recorded = REALWORLD / "azure" / "azure-cli-recording-graph-list-servicePrincipals-passwordCredentials.json"
    listed = json.loads(recorded.read_text())
    (secret,) = listed["value"][0]["passwordCredentials"]
    listed["value"][0]["passwordCredentials"] = [
        {**secret, "keyId": None},
        {**secret, "keyId": None, "displayName": "k2"},
    ]
    (tmp_path / "sp.json").write_text(json.dumps(listed))
    uids = [c.uid for c in collect(SourceSpec("file", str(tmp_path / "sp.json"))).credentials]
    assert len(uids) == len(set(uids)) == 2


def test_an_expired_secret_is_not_active_and_fails_removal_only(catalogs) -> None:
    recorded = REALWORLD / "azure" / "azure-cli-recording-graph-list-applications-passwordCredentials.json"
    inventory = collect(SourceSpec("file", str(recorded)))
    secrets = {c.attributes["display_id"].split()[0]: c for c in inventory.credentials}
    read = inventory.collected_at  # Graph holds no state for a secret: its end date ends it, when judged
    assert not secrets["key1"].active_at(read) and not secrets["key2"].active_at(read), "ended in 2023 and 2024"
    failed = findings(inventory, catalogs)
    for secret in secrets.values():
        assert ("NHI-CRED-007", secret.uid) in failed
        assert ("NHI-CRED-001", secret.uid) not in failed


# ---------------------------------------------------------------------------------------------- GCP


def test_a_service_account_policy_is_not_a_project_policy() -> None:
    """Recorded getIamPolicy of four service accounts, named (as recorded) by the account's email."""
    inventory = collect(SourceSpec("file", str(DATA / "gcp")))
    policies = {i.uid: i.attributes.get("iam_policy") for i in inventory.identities}
    assert len(policies) == 4 and all(
        p and p[0]["members"] == ["user:first_last@example.com"] for p in policies.values()
    )
    assert not inventory.grants, "who may act as an account is not what the account may do"
    assert {a.uid for a in inventory.accounts} == {"c7n-policy-dev"}
    (account,) = inventory.accounts
    assert "attributes.public_bindings" in account.unknown, "the project's own policy was not exported"


def test_several_projects_stay_several_accounts(tmp_path: Path) -> None:
    for project, email in (("alpha-prod", "ci@alpha-prod.iam.gserviceaccount.com"),
                           ("beta-dev", "ci@beta-dev.iam.gserviceaccount.com")):  # fmt: skip
        folder = tmp_path / project
        folder.mkdir()
        policy = {
            "version": 1,
            "etag": "BwX=",
            "bindings": [{"role": "roles/owner", "members": [f"serviceAccount:{email}"]}],
        }
        (folder / "policy.json").write_text(json.dumps(policy))
    inventory = collect(SourceSpec("file", str(tmp_path)))
    assert sorted(a.uid for a in inventory.accounts) == ["alpha-prod", "beta-dev"]
    assert sorted((g.identity_uid, g.resources[0]) for g in inventory.grants) == [
        ("ci@alpha-prod.iam.gserviceaccount.com", "projects/alpha-prod"),
        ("ci@beta-dev.iam.gserviceaccount.com", "projects/beta-dev"),
    ]


def _placed_policy(tmp_path: Path, extra_bindings: list[dict]) -> Path:
    recorded = json.loads((REALWORLD / "gcp" / "custodian-flight-projects-getIamPolicy-auditConfigs.json").read_text())
    recorded["body"]["bindings"] += extra_bindings
    folder = tmp_path / "custodian-test"
    folder.mkdir()
    (folder / "policy.json").write_text(json.dumps(recorded))
    return tmp_path


def test_public_members_are_kept_and_flagged(tmp_path: Path, catalogs) -> None:
    public = [
        {"role": "roles/viewer", "members": ["allUsers"]},
        {"role": "roles/browser", "members": ["allAuthenticatedUsers"]},
    ]
    inventory = collect(SourceSpec("file", str(_placed_policy(tmp_path, public))))
    (account,) = [a for a in inventory.accounts if a.uid == "custodian-test"]
    assert {(b["member"], b["role"]) for b in account.attributes["public_bindings"]} == {
        ("allUsers", "roles/viewer"), ("allAuthenticatedUsers", "roles/browser"),
    }  # fmt: skip
    assert ("NHI-PRIV-015", "custodian-test") in findings(inventory, catalogs)


def test_google_service_agents_are_not_asked_for_owners(tmp_path: Path, catalogs) -> None:
    agents = ["service-123456789012@compute-system.iam.gserviceaccount.com",
              "service-123456789012@gcp-sa-aiplatform.iam.gserviceaccount.com",
              "123456789012@cloudservices.gserviceaccount.com"]  # fmt: skip
    bindings = [{"role": "roles/editor", "members": [f"serviceAccount:{a}" for a in agents]}]
    inventory = collect(SourceSpec("file", str(_placed_policy(tmp_path, bindings))))
    identities = {i.uid: i for i in inventory.identities}
    assert all(identities[a].attributes.get("service_agent") for a in agents)
    assert not identities["abc@testproject.iam.gserviceaccount.com"].attributes.get("service_agent")
    failed = findings(inventory, catalogs)
    assert not {(c, u) for c, u in failed if u in agents and c.startswith("NHI-OWN-")}
    assert ("NHI-PRIV-006", agents[2]) in failed, "the Editor Google grants its APIs agent is still a basic role"
    unknown = findings(inventory, catalogs, "unknown")
    assert ("NHI-OWN-001", "abc@testproject.iam.gserviceaccount.com") in unknown, "known from a binding only"


def test_a_customer_account_named_like_a_service_agent_is_still_the_customers() -> None:
    from scanner.sources.gcp.records import service_account

    mimic = service_account({"email": "service-123456@acme-prod.iam.gserviceaccount.com"}, "acme-prod")
    assert not mimic.attributes.get("service_agent")


def test_a_customer_account_of_another_project_named_like_a_service_agent_is_judged(tmp_path: Path, catalogs) -> None:
    """``service-123@acme-shared`` bound in this project's policy lives in the customer's project
    acme-shared: only Google's own domains hold service agents, so its Owner grant fails."""
    mimic = "service-123456789012@acme-shared.iam.gserviceaccount.com"
    agents = ["service-123456789012@container-engine-robot.iam.gserviceaccount.com",
              "service-123456789012@gae-api-prod.google.com.iam.gserviceaccount.com",
              "service-123456789012@gcp-ri-aiplatform.iam.gserviceaccount.com",
              "service-123456789012@service-consumer-management.iam.gserviceaccount.com",
              "project-123456789012@storage-transfer-service.iam.gserviceaccount.com"]  # fmt: skip
    bindings = [{"role": "roles/owner", "members": [f"serviceAccount:{m}" for m in [mimic, *agents]]}]
    inventory = collect(SourceSpec("file", str(_placed_policy(tmp_path, bindings))))
    identities = {i.uid: i for i in inventory.identities}
    assert not identities[mimic].attributes.get("service_agent")
    assert all(identities[a].attributes.get("service_agent") for a in agents)
    assert ("NHI-PRIV-001", mimic) in findings(inventory, catalogs)  # before: left out as Google's, so passed


def _asset_results(*results: tuple[str, str | None, list[str], list[dict]]) -> list[dict]:
    """search-all-iam-policies results: (resource, its project's number, folders and organisation
    above, bindings) as the asset API names them."""
    made = []
    for resource, number, above, bindings in results:
        result = {"resource": resource, "policy": {"bindings": bindings}}
        if number:
            result["project"] = number
        result["folders"] = [a for a in above if a.startswith("folders/")]
        result["organization"] = next((a for a in above if a.startswith("organizations/")), "")
        made.append(result)
    return made


def _every_account_of(node: str) -> str:
    return f"principalSet://cloudresourcemanager.googleapis.com/{node}/type/ServiceAccount"


CI = "ci@acme-prod-1.iam.gserviceaccount.com"
OTHER = "etl@acme-data-1.iam.gserviceaccount.com"
LOG_WRITER = [{"role": "roles/logging.logWriter", "members": [f"serviceAccount:{CI}", f"serviceAccount:{OTHER}"]}]


@pytest.mark.parametrize("every_account", ["projects/111", "folders/55", "organizations/999"])
def test_a_binding_of_every_service_account_of_a_project_folder_or_organisation_grants_the_accounts_there(
    tmp_path: Path, catalogs, every_account: str
) -> None:
    """principalSet://…/projects/NUMBER/type/ServiceAccount (Google's principal identifiers) names
    every service account of a project by its number; folders/N and organizations/N every one below.
    An asset search result names each project's number and ancestors: Owner so bound fails
    NHI-PRIV-001 for the accounts there (it passed: the member was ignored), and no other's grants
    become unknown (every account's did)."""
    results = _asset_results(
        ("//cloudresourcemanager.googleapis.com/projects/acme-prod-1", "projects/111",
         ["folders/55", "organizations/999"], LOG_WRITER),
        ("//cloudresourcemanager.googleapis.com/projects/acme-data-1", "projects/222",
         ["folders/66", "organizations/777"], []),
        ("//cloudresourcemanager.googleapis.com/organizations/999", None, ["organizations/999"],
         [{"role": "roles/owner", "members": [_every_account_of(every_account)]}]),
        ("//cloudresourcemanager.googleapis.com/folders/55", None, ["folders/55", "organizations/999"], []),
        ("//cloudresourcemanager.googleapis.com/organizations/777", None, ["organizations/777"], []),
        ("//cloudresourcemanager.googleapis.com/folders/66", None, ["folders/66", "organizations/777"], []),
    )  # fmt: skip
    (tmp_path / "policies.json").write_text(json.dumps(results))
    inventory = collect(SourceSpec("file", str(tmp_path / "policies.json")))
    holders = {i.uid: i for i in inventory.identities}
    assert "grants" not in holders[CI].unknown and "grants" not in holders[OTHER].unknown
    (owner,) = [g for g in inventory.grants if g.name == "roles/owner"]
    assert owner.identity_uid == CI
    assert ("NHI-PRIV-001", CI) in findings(inventory, catalogs)
    assert ("NHI-PRIV-001", OTHER) not in findings(inventory, catalogs) | findings(inventory, catalogs, "unknown")


def test_a_binding_of_every_account_of_a_project_no_export_numbers_leaves_only_the_unplaced_accounts_unknown(
    tmp_path: Path, catalogs
) -> None:
    """A gcloud get-iam-policy output names no project number: whether projects/111 is the number
    of its project cannot be told, so its accounts' grants are unknown, with a note. An account of a
    project an asset search result gives another number (222) is not in projects/111."""
    results = _asset_results(
        ("//cloudresourcemanager.googleapis.com/projects/acme-data-1", "projects/222", [], []),
        ("//cloudresourcemanager.googleapis.com/projects/acme-data-1", "projects/222", [],
         [{"role": "roles/owner", "members": [_every_account_of("projects/111")]},
          {"role": "roles/logging.logWriter", "members": [f"serviceAccount:{OTHER}"]}]),
    )  # fmt: skip
    (tmp_path / "assets.json").write_text(json.dumps(results))
    (tmp_path / "acme-prod-1").mkdir()
    policy = {"etag": "BwX=", "bindings": [{"role": "roles/logging.logWriter", "members": [f"serviceAccount:{CI}"]}]}
    (tmp_path / "acme-prod-1" / "policy.json").write_text(json.dumps(policy))
    inventory = collect(SourceSpec("file", str(tmp_path)))
    holders = {i.uid: i for i in inventory.identities}
    assert "grants" in holders[CI].unknown
    assert ("NHI-PRIV-001", CI) in findings(inventory, catalogs, "unknown")
    assert not [g for g in inventory.grants if g.name == "roles/owner"]
    notes = [n for s in inventory.sources for n in s.notes]
    assert any("every service account of projects/111 (1 account)" in n for n in notes), notes
    assert "grants" not in holders[OTHER].unknown  # its project is 222, never 111


def test_an_account_bound_in_another_projects_policy_lives_where_its_email_says(tmp_path: Path, catalogs) -> None:
    """Project 333's default compute account, bound in acme-prod-1's policy, was taken to live in
    acme-prod-1 (number 111): a binding of every account of project 333 neither granted it Owner nor
    left its grants unknown, and NHI-PRIV-001 passed. An App Engine account of a project no result
    numbers is unplaced: its grants are unknown."""
    compute, engine = "333-compute@developer.gserviceaccount.com", "acme-web@appspot.gserviceaccount.com"
    bindings = [
        {"role": "roles/owner", "members": [_every_account_of("projects/333")]},
        {"role": "roles/logging.logWriter", "members": [f"serviceAccount:{m}" for m in (compute, engine, CI)]},
    ]
    results = _asset_results(
        ("//cloudresourcemanager.googleapis.com/projects/acme-prod-1", "projects/111", [], bindings)
    )
    (tmp_path / "assets.json").write_text(json.dumps(results))
    inventory = collect(SourceSpec("file", str(tmp_path / "assets.json")))
    holders = {i.uid: i for i in inventory.identities}
    assert ("NHI-PRIV-001", compute) in findings(inventory, catalogs)
    assert "grants" in holders[engine].unknown and "grants" not in holders[CI].unknown
    assert holders[engine].account == "acme-web" and holders[compute].account == ""
    assert "grants" in holders[compute].unknown, "project 333's own policy was not exported"


def test_a_projects_own_compute_account_is_placed_by_the_number_a_result_gives_it(tmp_path: Path, catalogs) -> None:
    own = "111-compute@developer.gserviceaccount.com"
    bindings = [{"role": "roles/logging.logWriter", "members": [f"serviceAccount:{own}"]}]
    results = _asset_results(
        ("//cloudresourcemanager.googleapis.com/projects/acme-prod-1", "projects/111", [], bindings)
    )
    (tmp_path / "assets.json").write_text(json.dumps(results))
    (holder,) = [i for i in collect(SourceSpec("file", str(tmp_path / "assets.json"))).identities if i.uid == own]
    assert holder.account == "acme-prod-1" and "grants" not in holder.unknown


def test_an_account_no_export_places_may_be_in_a_numbered_project_too(tmp_path: Path, catalogs) -> None:
    """``NUMBER@cloudbuild.gserviceaccount.com`` names no project an export ties it to: a binding of
    every account of acme-prod-1 (number 111, known) may hold it, so its grants are unknown; the
    project's own account is granted Owner."""
    build = "123456789@cloudbuild.gserviceaccount.com"
    bindings = [
        {"role": "roles/owner", "members": [_every_account_of("projects/111")]},
        {"role": "roles/logging.logWriter", "members": [f"serviceAccount:{m}" for m in (build, CI)]},
    ]
    results = _asset_results(
        ("//cloudresourcemanager.googleapis.com/projects/acme-prod-1", "projects/111", [], bindings)
    )
    (tmp_path / "assets.json").write_text(json.dumps(results))
    inventory = collect(SourceSpec("file", str(tmp_path / "assets.json")))
    holders = {i.uid: i for i in inventory.identities}
    assert "grants" in holders[build].unknown
    assert ("NHI-PRIV-001", CI) in findings(inventory, catalogs)


def test_system_managed_keys_are_not_findings_for_rotation_or_removal(catalogs) -> None:
    keys = REALWORLD / "gcp" / "custodian-flight-iam-serviceAccounts-keys-list.json"
    inventory = collect(SourceSpec("file", str(keys)))
    system = [c for c in inventory.credentials if c.managed_by_provider]
    user = [c for c in inventory.credentials if not c.managed_by_provider]
    assert len(system) == 1 and len(user) == 1
    failed = findings(inventory, catalogs)
    assert not {c for c, uid in failed if uid == system[0].uid}
    assert ("NHI-CRED-001", user[0].uid) in failed and ("NHI-CRED-008", user[0].uid) in failed


ABC = "abc@testproject.iam.gserviceaccount.com"
PUBLIC = "allAuthenticatedUsers"


def test_asset_inventory_results_name_each_policys_resource(tmp_path: Path, catalogs) -> None:
    """`gcloud asset search-all-iam-policies --format=json`: the recorded project policy as the
    asset API returns it, beside a service account's policy and a bucket's."""
    recorded = json.loads((REALWORLD / "gcp" / "custodian-flight-projects-getIamPolicy-auditConfigs.json").read_text())
    project_policy = {"bindings": recorded["body"]["bindings"]}
    results = [
        {"resource": "//cloudresourcemanager.googleapis.com/projects/custodian-test", "project": "projects/1234",
         "assetType": "cloudresourcemanager.googleapis.com/Project", "policy": project_policy},
        {"resource": f"//iam.googleapis.com/projects/custodian-test/serviceAccounts/{ABC}",
         "project": "projects/1234", "assetType": "iam.googleapis.com/ServiceAccount",
         "policy": {"bindings": [{"role": "roles/iam.serviceAccountTokenCreator", "members": [PUBLIC]}]}},
        {"resource": "//storage.googleapis.com/exports-bucket", "project": "projects/1234",
         "assetType": "storage.googleapis.com/Bucket",
         "policy": {"bindings": [{"role": "roles/storage.objectViewer", "members": ["allUsers"]}]}},
    ]  # fmt: skip
    (tmp_path / "policies.json").write_text(json.dumps(results))
    inventory = collect(SourceSpec("file", str(tmp_path / "policies.json")))
    assert {(g.identity_uid, g.name, g.resources[0]) for g in inventory.grants} == {
        ("abc@testproject.iam.gserviceaccount.com", "roles/owner", "projects/custodian-test"),
        ("def@testproject.iam.gserviceaccount.com", "roles/editor", "projects/custodian-test"),
    }
    holder = next(i for i in inventory.identities if i.uid == "abc@testproject.iam.gserviceaccount.com")
    assert holder.attributes["iam_policy"] == [
        {"role": "roles/iam.serviceAccountTokenCreator", "members": ["allAuthenticatedUsers"]}
    ]
    notes = [n for s in inventory.sources for n in s.notes]
    assert (
        "//storage.googleapis.com/exports-bucket (not assessed) grants roles/storage.objectViewer to allUsers" in notes
    )
    accounts = {a.uid: a for a in inventory.accounts}
    assert accounts["testproject"].attributes["public_bindings"][0]["member"] == PUBLIC, "anyone may act as abc"
    assert ("NHI-PRIV-015", "testproject") in findings(inventory, catalogs)


def test_two_exports_of_one_project_policy_combine_whatever_their_order(tmp_path: Path) -> None:
    recorded = json.loads((REALWORLD / "gcp" / "custodian-flight-projects-getIamPolicy-auditConfigs.json").read_text())
    later = json.loads(json.dumps(recorded))
    later["body"]["bindings"].append(
        {"role": "roles/iam.securityAdmin", "members": ["serviceAccount:ops@custodian-test.iam.gserviceaccount.com"]}
    )
    grants = []
    for first, second in ((recorded, later), (later, recorded)):
        folder = tmp_path / f"run{len(grants)}" / "custodian-test"
        folder.mkdir(parents=True)
        (folder / "a.json").write_text(json.dumps(first))
        (folder / "b.json").write_text(json.dumps(second))
        inventory = collect(SourceSpec("file", str(folder.parent)))
        grants.append(sorted(g.uid for g in inventory.grants))
        assert any("their bindings are combined" in n for s in inventory.sources for n in s.notes)
    assert grants[0] == grants[1] and len(grants[0]) == 3


def test_a_service_account_known_only_from_its_keys_has_unknown_owner_and_state(catalogs) -> None:
    """Reader: a gcloud key list names the key's service account (test-cutodian-scc) and nothing
    else about it: not its labels or description (where an owner is named), not whether it is
    disabled. Those are unknown, so 'every identity has an owner' is unknown rather than failed."""
    keys = SHARED / "realworld" / "gcp" / "custodian-flight-iam-serviceAccounts-keys-list.json"
    result = run_scan(collect(SourceSpec("file", str(keys))), catalogs, ScanOptions())
    assert result.inventory is not None
    (account,) = result.inventory.identities
    assert {"owner", "attributes.disabled", "attributes.description"} <= set(account.unknown)
    assert account.attributes["disabled"] is None and account.attributes["description"] is None
    assert account.attributes["default_service_account"] is False, "decided by its e-mail address alone"
    (owned,) = [f for f in result.findings if f.control_id == "NHI-OWN-001"]
    assert owned.status == "unknown"
    listed = collect(
        SourceSpec("file", str(SHARED / "realworld" / "gcp" / "custodian-flight-iam-serviceAccounts-list.json"))
    )
    assert all("owner" not in i.unknown and i.attributes["disabled"] is False for i in listed.identities)


def test_gcloud_exports_list_no_workloads_so_who_runs_as_an_account_is_unknown() -> None:
    listed = collect(
        SourceSpec("file", str(SHARED / "realworld" / "gcp" / "custodian-flight-iam-serviceAccounts-list.json"))
    )
    assert listed.identities and all("attributes.workloads" in i.unknown for i in listed.identities)


CI_DEPLOYER = "ci-deployer@shop-prod-1.iam.gserviceaccount.com"
KEY_MINTER = "projects/shop-prod-1/roles/ciKeyMinter"
PLATFORM_ADMIN = "organizations/123456789/roles/platformAdmin"


def _custom_role_export(tmp_path: Path, *roles: dict) -> Path:
    """gcloud exports of shop-prod-1: its policy binds a project and an organisation custom role to
    ci-deployer; ``roles`` are ``gcloud iam roles describe --format=json`` outputs, one a file."""
    (tmp_path / "service-accounts.json").write_text(json.dumps([
        {"description": "owner: platform@example.com", "displayName": "CI deployer", "email": CI_DEPLOYER,
         "etag": "MDEwMjE5MjA=", "name": f"projects/shop-prod-1/serviceAccounts/{CI_DEPLOYER}",
         "oauth2ClientId": "104237681736495021345", "projectId": "shop-prod-1", "uniqueId": "104237681736495021345"},
    ]))  # fmt: skip
    (tmp_path / "shop-prod-1").mkdir()
    (tmp_path / "shop-prod-1" / "policy.json").write_text(json.dumps({
        "bindings": [{"role": KEY_MINTER, "members": [f"serviceAccount:{CI_DEPLOYER}"]},
                     {"role": PLATFORM_ADMIN, "members": [f"serviceAccount:{CI_DEPLOYER}"]}],
        "etag": "BwYk0Rr3Vh0=", "version": 1,
    }))  # fmt: skip
    for number, role in enumerate(roles):
        (tmp_path / f"role-{number}.json").write_text(json.dumps(role))
    return tmp_path


def _described(name: str, *permissions: str) -> dict:
    return {"description": "", "etag": "BwWKmjvelug=", "includedPermissions": list(permissions), "name": name,
            "stage": "GA", "title": name.rsplit("/", 1)[-1]}  # fmt: skip


def test_an_exported_custom_role_granting_key_creation_makes_its_holder_able_to_mint_keys(
    tmp_path: Path, catalogs
) -> None:
    folder = _custom_role_export(
        tmp_path,
        _described(KEY_MINTER, "iam.serviceAccountKeys.create"),
        _described(PLATFORM_ADMIN, "resourcemanager.projects.get"),
    )
    inventory = collect(SourceSpec("file", str(folder)))
    assert {g.name: g.actions for g in inventory.grants} == {
        KEY_MINTER: ["iam.serviceAccountKeys.create"], PLATFORM_ADMIN: ["resourcemanager.projects.get"],
    }  # fmt: skip
    # get-iam-policy does not name the folders and organisation above: what they grant may make the
    # account an administrator, which NHI-PRIV-003 leaves to NHI-PRIV-001, so it is unknown here
    assert ("NHI-PRIV-003", CI_DEPLOYER) in findings(inventory, catalogs, "unknown")
    # the same policy as the asset API lists it, for a project under no organisation: nothing above
    policy = json.loads((folder / "shop-prod-1" / "policy.json").read_text())
    (folder / "shop-prod-1" / "policy.json").unlink()
    (folder / "shop-prod-1").rmdir()
    (folder / "policies.json").write_text(json.dumps([
        {"resource": "//cloudresourcemanager.googleapis.com/projects/shop-prod-1", "project": "projects/1234",
         "assetType": "cloudresourcemanager.googleapis.com/Project", "policy": policy},
    ]))  # fmt: skip
    assert ("NHI-PRIV-003", CI_DEPLOYER) in findings(collect(SourceSpec("file", str(folder))), catalogs)


def test_a_disabled_custom_role_grants_nothing(tmp_path: Path, catalogs) -> None:
    """RoleLaunchStage DISABLED: the role "will not contribute permissions to any principals it is
    granted to" (google.iam.admin.v1); its bindings stay, its permissions do not count."""
    disabled = _described(KEY_MINTER, "iam.serviceAccountKeys.create") | {"stage": "DISABLED"}
    folder = _custom_role_export(tmp_path, disabled, _described(PLATFORM_ADMIN, "resourcemanager.projects.get"))
    inventory = collect(SourceSpec("file", str(folder)))
    assert {g.name: g.actions for g in inventory.grants}[KEY_MINTER] == []
    assert ("NHI-PRIV-003", CI_DEPLOYER) not in findings(inventory, catalogs)


def test_custom_roles_exported_without_their_permissions_leave_their_holders_privilege_unknown(
    tmp_path: Path, catalogs
) -> None:
    """The policy alone, or with ``gcloud iam roles list`` (which prints no permissions)."""
    listed = [{k: v for k, v in _described(KEY_MINTER).items() if k != "includedPermissions"}]
    inventory = collect(SourceSpec("file", str(_custom_role_export(tmp_path))))
    (tmp_path / "roles.json").write_text(json.dumps(listed))
    with_list = collect(SourceSpec("file", str(tmp_path)))
    for exported in (inventory, with_list):
        assert all(g.unknown == ["actions"] for g in exported.grants) and len(exported.grants) == 2
        unknown = findings(exported, catalogs, "unknown")
        assert {("NHI-PRIV-001", CI_DEPLOYER), ("NHI-PRIV-003", CI_DEPLOYER)} <= unknown
        notes = [n for s in exported.sources for n in s.notes]
        assert any(KEY_MINTER in n and "gcloud iam roles describe" in n for n in notes)


def _log_006(catalogs, extra_configs: list[dict]) -> str:
    """NHI-LOG-006 on a project whose log sources are the recorded policy's audit configs, read by
    the GCP source's own reader (a project export alone leaves the inherited ones unread)."""
    from scanner.model import Account, Inventory
    from scanner.sources.gcp.records import audit_logs

    recorded = json.loads((REALWORLD / "gcp" / "custodian-flight-projects-getIamPolicy-auditConfigs.json").read_text())
    recorded["body"]["auditConfigs"] += extra_configs
    project = Account(uid="custodian-test", provider="gcp", kind="project", name="custodian-test")
    inventory = Inventory(
        collected_at=datetime(2026, 1, 1, tzinfo=UTC),
        accounts=[project],
        log_sources=audit_logs(recorded["body"], "custodian-test"),
    )
    result = run_scan(inventory, catalogs, ScanOptions())
    (status,) = {f.status for f in result.findings if f.control_id == "NHI-LOG-006"} or {"pass"}
    return status


def test_an_exemption_in_any_audit_config_naming_iam_exempts_its_member_from_iam_s_logs(catalogs) -> None:
    """Google applies the union of a service's config and allServices' (log types and exempted
    members alike): the recorded policy logs allServices' data reads and writes for everyone but no
    ADMIN_READ, the log type of token minting, and fails NHI-LOG-006; an IAM config beside it adding
    ADMIN_READ passes it, and one that also exempts an account fails it."""
    assert _log_006(catalogs, []) == "fail"
    admin_reads = {"service": "iam.googleapis.com", "auditLogConfigs": [{"logType": "ADMIN_READ"}]}
    assert _log_006(catalogs, [admin_reads]) == "pass"
    exempting = {
        "service": "iam.googleapis.com",
        "auditLogConfigs": [
            {"logType": "DATA_READ", "exemptedMembers": ["serviceAccount:ci@custodian-test.iam.gserviceaccount.com"]}
        ],
    }
    assert _log_006(catalogs, [admin_reads, exempting]) == "fail"


def test_an_asset_export_reads_what_a_project_inherits_from_the_policies_above_it(tmp_path: Path, catalogs) -> None:
    """`gcloud asset search-all-iam-policies --scope=organizations/N` lists the organisation's and
    folders' policies beside the projects', each result naming the project's folders and
    organisation (IamPolicySearchResult: ``folders``, ``organization``). Bindings hold on every
    project below. Before, those policies were "not assessed": Owner granted at the organisation
    passed NHI-PRIV-001, and allUsers there passed NHI-PRIV-015. A policy above that the export
    does not hold leaves what the project inherits unknown."""
    ci = "ci@acme-prod-1.iam.gserviceaccount.com"
    results = [
        {"resource": "//cloudresourcemanager.googleapis.com/projects/acme-prod-1", "project": "projects/111",
         "folders": ["folders/222"], "organization": "organizations/999",
         "assetType": "cloudresourcemanager.googleapis.com/Project",
         "policy": {"bindings": [{"role": "roles/logging.logWriter", "members": [f"serviceAccount:{ci}"]}]}},
        {"resource": "//cloudresourcemanager.googleapis.com/organizations/999", "organization": "organizations/999",
         "assetType": "cloudresourcemanager.googleapis.com/Organization",
         "policy": {"bindings": [{"role": "roles/owner", "members": [f"serviceAccount:{ci}"]},
                                 {"role": "roles/viewer", "members": ["allUsers"]}]}},
        {"resource": "//cloudresourcemanager.googleapis.com/folders/222", "folders": ["folders/222"],
         "organization": "organizations/999", "assetType": "cloudresourcemanager.googleapis.com/Folder",
         "policy": {"bindings": []}},
    ]  # fmt: skip
    (tmp_path / "policies.json").write_text(json.dumps(results))
    inventory = collect(SourceSpec("file", str(tmp_path / "policies.json")))
    failing = findings(inventory, catalogs)
    assert ("NHI-PRIV-001", ci) in failing and ("NHI-PRIV-015", "acme-prod-1") in failing
    # the policies are whole; the project's accounts that no binding names are not (no account list)
    assert {e.call for s in inventory.sources for e in s.errors} == {
        "iam:serviceAccounts.list",
        "iam:serviceAccounts.keys.list",
    }
    # the search lists only policies that exist: at the organisation's scope, a folder it does not list has none
    (tmp_path / "policies.json").write_text(json.dumps(results[:2]))
    inventory = collect(SourceSpec("file", str(tmp_path / "policies.json")))
    assert ("NHI-PRIV-001", ci) in findings(inventory, catalogs)
    (holder,) = [i for i in inventory.identities if i.uid == ci]
    assert "grants" not in holder.unknown
    # without the organisation's policy (a search scoped lower), what the project inherits is unknown
    (tmp_path / "policies.json").write_text(json.dumps([results[0], results[2]]))
    inventory = collect(SourceSpec("file", str(tmp_path / "policies.json")))
    (holder,) = [i for i in inventory.identities if i.uid == ci]
    assert "grants" in holder.unknown and ("NHI-PRIV-001", ci) in findings(inventory, catalogs, "unknown")
    notes = [n for s in inventory.sources for n in s.notes]
    assert any("organizations/999" in n and "search-all-iam-policies" in n for n in notes)


def test_an_audit_config_of_admin_reads_alone_is_not_an_enabled_data_log() -> None:
    """Vertex AI's predictions and tool calls are DATA_READ: a config logging only ADMIN_READ for
    aiplatform records none of them, and NHI-LOG-003, -007 and -010 read ``enabled``."""
    from scanner.sources.gcp.records import audit_logs

    policy = {
        "auditConfigs": [{"service": "aiplatform.googleapis.com", "auditLogConfigs": [{"logType": "ADMIN_READ"}]}]
    }
    (log,) = audit_logs(policy, "p1")
    assert (log.enabled, log.attributes["log_types"]) == (False, ["ADMIN_READ"])
