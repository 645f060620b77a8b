"""Exports give an account in part: what they lack is a named gap, the read partial, and NHI-COV-001
("every account read completely") fails, never passes. An AWS credential report without the
authorization details always said so; a GCP account list without the project's IAM policy, a GCP key
list alone, and any Azure list (no export holds role assignments) read as complete and passed it,
so a gate on these files passed estates nobody read whole. The files are real third-party exports,
unedited (../shared/realworld, see its sources)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from scanner.scan import ScanOptions, run_scan
from scanner.sources import SourceSpec, collect

from .conftest import SHARED

GCP = SHARED / "realworld" / "gcp"
AZURE = SHARED / "realworld" / "azure"
AWS = SHARED / "realworld" / "aws"
VIEWER = {"role": "roles/viewer", "members": ["user:ops@example.com"]}
POLICY_WHOLE = {"version": 1, "etag": "BwXhqDpMZ2U=", "bindings": [VIEWER]}


def _gaps(inventory) -> dict[str, set[str]]:
    return {s.account: {e.call for e in s.errors} for s in inventory.sources}


def _coverage(inventory, catalogs) -> dict[str, str]:
    result = run_scan(inventory, catalogs, ScanOptions(keep_passed=True))
    return {f.resource.uid: f.status for f in result.findings if f.control_id == "NHI-COV-001"}


def _key_lists(folder: Path, emails: list[str]) -> None:
    """A key list per account, as `gcloud iam service-accounts keys list --format=json` writes it:
    the recorded key (Cloud Custodian's flight recording) as each account's Google-managed key."""
    recorded = json.loads((GCP / "custodian-flight-iam-serviceAccounts-keys-list.json").read_text())
    key = recorded["body"]["keys"][0]
    for number, email in enumerate(emails):
        project = email.split("@")[1].split(".")[0]
        name = f"projects/{project}/serviceAccounts/{email}/keys/{number:040x}"
        (folder / f"keys-{number}.json").write_text(json.dumps([{**key, "name": name, "keyType": "SYSTEM_MANAGED"}]))


def test_a_gcp_account_list_without_the_projects_policy_is_a_partial_read(catalogs) -> None:
    """The list names accounts of project c7n-policy-dev (their projectId)."""
    inventory = collect(SourceSpec("file", str(GCP / "custodian-flight-iam-serviceAccounts-list.json")))
    assert _gaps(inventory) == {
        "c7n-policy-dev": {"cloudresourcemanager:projects.getIamPolicy", "iam:serviceAccounts.keys.list"}
    }
    assert {s.status for s in inventory.sources} == {"partial"}
    assert _coverage(inventory, catalogs) == {"c7n-policy-dev": "fail"}


def test_a_gcp_key_list_alone_lacks_the_policy_and_the_account_list(catalogs) -> None:
    inventory = collect(SourceSpec("file", str(GCP / "custodian-flight-iam-serviceAccounts-keys-list.json")))
    assert _gaps(inventory) == {
        "cloud-custodian": {"cloudresourcemanager:projects.getIamPolicy", "iam:serviceAccounts.list"}
    }
    (project,) = inventory.accounts
    assert "identities" in project.unknown, "its accounts other than the key's holder were not read"
    assert _coverage(inventory, catalogs) == {"cloud-custodian": "fail"}


def test_a_gcp_project_given_whole_is_complete_and_a_members_home_is_not_read(tmp_path: Path, catalogs) -> None:
    """The account list and the project's policy hold the project; a project only named as the home
    of a member of that policy was not given at all (its records are unknown, as before): it is not a
    partial read of something given, nor a complete read. It was recorded as read completely, and
    NHI-COV-001 passed on a project nobody read."""
    shutil.copy(GCP / "custodian-flight-iam-serviceAccounts-list.json", tmp_path / "accounts.json")
    listed = json.loads((tmp_path / "accounts.json").read_text())["body"]["accounts"]
    project = listed[0]["projectId"]
    (tmp_path / project).mkdir()
    member = {"role": "roles/viewer", "members": ["serviceAccount:x@elsewhere-1.iam.gserviceaccount.com"]}
    policy = {**POLICY_WHOLE, "bindings": [*POLICY_WHOLE["bindings"], member]}
    (tmp_path / project / "policy.json").write_text(json.dumps(policy))
    without_keys = collect(SourceSpec("file", str(tmp_path)))
    assert _gaps(without_keys)[project] == {"iam:serviceAccounts.keys.list"}, "keys are listed per account"
    _key_lists(tmp_path, [account["email"] for account in listed])
    inventory = collect(SourceSpec("file", str(tmp_path)))
    assert {s.status for s in inventory.sources} == {"complete"}
    assert _gaps(inventory)[project] == set()
    assert "elsewhere-1" not in _gaps(inventory), "no read of it is reported"
    assert "elsewhere-1" in {account.uid for account in inventory.accounts}
    assert _coverage(inventory, catalogs) == {project: "pass", "elsewhere-1": "unknown"}


def test_an_azure_service_principal_list_is_a_partial_read_of_its_tenant(catalogs) -> None:
    listed = AZURE / "azure-cli-recording-graph-list-servicePrincipals-passwordCredentials.json"
    inventory = collect(SourceSpec("file", str(listed)))
    (tenant,) = inventory.accounts
    assert _gaps(inventory) == {tenant.uid: {"arm:roleAssignments, graph:appRoleAssignments", "graph:applications"}}
    assert "identities" in tenant.unknown, "its app registrations were not read"
    assert _coverage(inventory, catalogs) == {tenant.uid: "fail"}


def test_azure_lists_of_both_kinds_still_lack_the_role_assignments(tmp_path: Path, catalogs) -> None:
    for name in (
        "azure-cli-recording-graph-list-servicePrincipals-passwordCredentials.json",
        "azure-cli-recording-graph-list-applications-passwordCredentials.json",
    ):
        shutil.copy(AZURE / name, tmp_path / name)
    inventory = collect(SourceSpec("file", str(tmp_path)))
    (tenant,) = inventory.accounts
    assert _gaps(inventory)[tenant.uid] == {"arm:roleAssignments, graph:appRoleAssignments"}
    assert "identities" not in tenant.unknown
    assert _coverage(inventory, catalogs) == {tenant.uid: "fail"}


def test_a_gcp_accounts_own_policy_alone_is_a_partial_read_of_its_project(tmp_path: Path, catalogs) -> None:
    """Who may act as one account (its own getIamPolicy, Cloud Custodian's recording) is all the
    export holds of project c7n-policy-dev: neither its policy nor its account list."""
    recorded = (
        "post-v1-projects-cloud-custodian-serviceAccounts-"
        "my-sa-42dc41451@c7n-policy-dev.iam.gserviceaccount.com-getIamPolicy_1.json"
    )
    shutil.copy(Path(__file__).parent / "data" / "gcp" / recorded, tmp_path / recorded)
    inventory = collect(SourceSpec("file", str(tmp_path)))
    assert _gaps(inventory)["c7n-policy-dev"] == {
        "cloudresourcemanager:projects.getIamPolicy",
        "iam:serviceAccounts.list",
        "iam:serviceAccounts.keys.list",
    }
    assert _coverage(inventory, catalogs)["c7n-policy-dev"] == "fail"


def test_an_aws_account_only_trails_name_has_no_read_and_no_pass(catalogs) -> None:
    """A describe-trails export names the account owning each trail (an organisation trail's owner,
    listed by a member), not one whose identities anybody exported. It was recorded as read
    completely, and NHI-COV-001 passed on it with its identities, keys and grants unread."""
    inventory = collect(SourceSpec("file", str(AWS / "cloudmapper-demo-cloudtrail-describe-trails.json")))
    (account,) = inventory.accounts
    assert "identities" in account.unknown
    assert account.uid not in _gaps(inventory), "no read of it is reported"
    assert _coverage(inventory, catalogs) == {account.uid: "unknown"}


def test_an_aws_account_given_by_its_authorization_details_alone_is_a_partial_read(catalogs) -> None:
    """Its users' keys are only in the credential report, its trails only in describe-trails: both
    unknown, yet the read was complete and NHI-COV-001 passed (the gate exited 0)."""
    inventory = collect(SourceSpec("file", str(AWS / "cloudmapper-demo-iam-get-account-authorization-details.json")))
    (account,) = inventory.accounts
    assert _gaps(inventory)[account.uid] == {"iam:GetCredentialReport", "cloudtrail:DescribeTrails"}
    assert _coverage(inventory, catalogs) == {account.uid: "fail"}


def test_an_aws_account_whose_own_trails_are_listed_was_given_in_part(catalogs) -> None:
    """A trail that is no organisation trail is listed by the account owning it: that account's
    describe-trails was exported, its identities and keys were not."""
    inventory = collect(SourceSpec("file", str(AWS / "custodian-placebo-cloudtrail-DescribeTrails.json")))
    (account,) = inventory.accounts
    assert _gaps(inventory)[account.uid] == {"iam:GetAccountAuthorizationDetails", "iam:GetCredentialReport"}
    assert _coverage(inventory, catalogs) == {account.uid: "fail"}
