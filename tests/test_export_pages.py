"""An export that holds one page of a longer list is not the whole list.

Graph cuts a long list and names the next page in ``@odata.nextLink`` ("Paging Microsoft Graph
data in your app"); Google's REST lists name it in ``nextPageToken`` (ListServiceAccountsResponse,
ListServiceAccountKeysResponse). Saving the first answer of ``GET /applications`` or
``…/serviceAccounts`` keeps only its page. Before, such a file read as complete: NHI-COV-001
passed, and an application's federated credentials read from their first page passed
NHI-PRIV-005. The recorded answers below are real (tests/data/SOURCES.md, ../shared/realworld);
each test adds the next-page field a cut answer carries.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scanner.sources import SourceSpec
from scanner.sources.exports import collect

from .conftest import SHARED

REALWORLD = SHARED / "realworld"
GRAPH_NEXT = "https://graph.microsoft.com/v1.0/applications?$top=1&$skiptoken=RFNwdAIAAQAAAD"
APPLICATION = "4d5c0e0b-9816-4aa2-a444-395e807c6f80"  # whose federated credentials the recording lists


def _recorded(name: str) -> Any:
    return json.loads((REALWORLD / name).read_text())


def _gaps(inventory: Any) -> set[tuple[str, str]]:
    return {(e.call, e.code) for s in inventory.sources for e in s.errors}


def test_a_page_of_federated_credentials_leaves_the_applications_trust_unknown(tmp_path: Path) -> None:
    federated = _recorded("azure/azure-cli-recording-graph-list-federatedIdentityCredentials.json")
    federated["@odata.nextLink"] = GRAPH_NEXT.replace("applications", f"applications/{APPLICATION}/fic")
    applications = _recorded("azure/azure-cli-recording-graph-list-applications-passwordCredentials.json")
    applications["value"][0]["id"] = APPLICATION
    (tmp_path / "apps.json").write_text(json.dumps(applications))
    (tmp_path / "fic-page-1.json").write_text(json.dumps(federated))
    inventory = collect(SourceSpec("file", str(tmp_path)))
    (identity,) = inventory.identities
    assert identity.attributes["trust"], "what the page holds is read"
    assert "trust" in identity.unknown, "what the next pages hold is not"
    assert ("read fic-page-1.json", "partial") in _gaps(inventory)
    assert {s.status for s in inventory.sources} == {"partial"}


def test_a_page_of_applications_makes_the_read_partial(tmp_path: Path) -> None:
    applications = _recorded("azure/azure-cli-recording-graph-list-applications-passwordCredentials.json")
    applications["@odata.nextLink"] = GRAPH_NEXT
    (tmp_path / "apps-page-1.json").write_text(json.dumps(applications))
    inventory = collect(SourceSpec("file", str(tmp_path)))
    assert ("read apps-page-1.json", "partial") in _gaps(inventory)
    assert {s.status for s in inventory.sources} == {"partial"}


def test_a_page_of_service_account_keys_leaves_their_holders_other_keys_unknown(tmp_path: Path) -> None:
    flight = _recorded("gcp/custodian-flight-iam-serviceAccounts-keys-list.json")
    flight["body"]["nextPageToken"] = "CiB0ZXN0LWN1dG9kaWFuLXNjYw"
    (tmp_path / "keys-page-1.json").write_text(json.dumps(flight))
    inventory = collect(SourceSpec("file", str(tmp_path)))
    (holder,) = inventory.identities
    assert inventory.credentials and "credentials" in holder.unknown
    assert ("read keys-page-1.json", "partial") in _gaps(inventory)


def test_a_page_of_service_accounts_makes_the_read_partial(tmp_path: Path) -> None:
    flight = _recorded("gcp/custodian-flight-iam-serviceAccounts-list.json")
    flight["body"]["nextPageToken"] = "CiB0ZXN0LWN1dG9kaWFuLXNjYw"
    (tmp_path / "accounts-page-1.json").write_text(json.dumps(flight))
    inventory = collect(SourceSpec("file", str(tmp_path)))
    assert ("read accounts-page-1.json", "partial") in _gaps(inventory)
    assert {s.status for s in inventory.sources} == {"partial"}


def test_the_last_page_or_a_whole_list_is_no_gap(tmp_path: Path) -> None:
    flight = _recorded("gcp/custodian-flight-iam-serviceAccounts-list.json")
    flight["body"]["nextPageToken"] = ""  # the last page: Google sends an empty token, or none
    (tmp_path / "accounts.json").write_text(json.dumps(flight))
    # what is missing is the project's policy and the accounts' keys, which no account list holds
    assert {call for call, _ in _gaps(collect(SourceSpec("file", str(tmp_path))))} == {
        "cloudresourcemanager:projects.getIamPolicy",
        "iam:serviceAccounts.keys.list",
    }


def test_a_cut_authorization_details_answer_makes_the_read_partial(tmp_path: Path) -> None:
    """GetAccountAuthorizationDetails answers a page at a time (``IsTruncated``, ``Marker``); the
    CLI with ``--max-items`` prints ``NextToken``. The recorded export is whole; cut, it is a page."""
    details = _recorded("aws/cloudmapper-demo-iam-get-account-authorization-details.json")
    (tmp_path / "whole.json").write_text(json.dumps(details))
    assert {call for call, _ in _gaps(collect(SourceSpec("file", str(tmp_path))))} == {
        "iam:GetCredentialReport",
        "cloudtrail:DescribeTrails",
    }, "the other exports' gaps alone"
    details["IsTruncated"], details["Marker"] = True, "AAPr2E4Y3XjnWp8Pzg=="
    (tmp_path / "whole.json").unlink()
    (tmp_path / "page-1.json").write_text(json.dumps(details))
    inventory = collect(SourceSpec("file", str(tmp_path)))
    assert ("read page-1.json", "partial") in _gaps(inventory)
    assert {s.status for s in inventory.sources} == {"partial"}


def test_users_a_cut_authorization_details_answer_leaves_for_later_pages_are_no_disagreement(tmp_path: Path) -> None:
    """A first page of GetAccountAuthorizationDetails may hold none of the users the credential
    report lists (they are on the pages after it): that is the cut page's gap, not exports taken
    at different times, and the account is not told to export both again together. Users only the
    page lists, and the report does not, still disagree."""
    details = _recorded("aws/cloudmapper-demo-iam-get-account-authorization-details.json")
    details["UserDetailList"] = [u for u in details["UserDetailList"] if u["UserName"] == "USER"]
    details["IsTruncated"], details["Marker"] = True, "AAPr2E4Y3XjnWp8Pzg=="
    (tmp_path / "page-1.json").write_text(json.dumps(details))
    for name in ("cloudmapper-demo-iam-get-credential-report.json", "cloudmapper-demo-cloudtrail-describe-trails.json"):
        (tmp_path / name).write_text((REALWORLD / "aws" / name).read_text())
    inventory = collect(SourceSpec("file", str(tmp_path)))
    assert ("read page-1.json", "partial") in _gaps(inventory)
    disagreeing = [e.message for s in inventory.sources for e in s.errors if e.code == "ExportsDisagree"]
    assert len(disagreeing) == 1 and "1 users in the authorization details only" in disagreeing[0], disagreeing
