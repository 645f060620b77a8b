"""A Google group bound to a role gives the role to every service account among its members, and
to those of the groups nested in it (Google: "each member of a Google group inherits the IAM roles
granted to that group"). The gcp source reads the members through Cloud Identity (``groups:lookup``,
then ``groups.memberships.list`` in the FULL view, which says which members are service accounts
and which are groups), through the real AuthorizedSession against the local fake. Where a group's
members are not read, any service account may be one of them: every account's grants are unknown,
never "no such grant"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.scan import ScanOptions, run_scan
from scanner.sources import SourceSpec, collect
from scanner.sources.gcp.groups import GROUPS_SCOPE

from .gcp_estate import DEV, PROD
from .test_gcp_source import email, fake_gcp, scan  # noqa: F401  (fixture)

ADMINS, SRE = "platform-admins@acme.example", "sre@acme.example"
ETL = email(DEV, "etl")


def statuses(inventory, catalogs, uid: str) -> dict[str, str]:
    result = run_scan(inventory, catalogs, ScanOptions(keep_passed=True))
    return {f.control_id: f.status for f in result.findings if f.resource.uid == uid}


def _owners_group(fake) -> None:
    """Owner of the production project for platform-admins, which holds a person and the sre group;
    sre holds the etl service account of another project, and platform-admins again (a cycle)."""
    state = fake.state
    state.projects[PROD]["policy"]["bindings"].append({"role": "roles/owner", "members": [f"group:{ADMINS}"]})
    state.groups[ADMINS] = {"id": "01x0gk371sq486y", "members": [("bob@acme.example", "USER"), (SRE, "GROUP")]}
    state.groups[SRE] = {"id": "03o7alnk2dk9kyx", "members": [(ETL, "SERVICE_ACCOUNT"), (ADMINS, "GROUP")]}
    state.page_size = 1  # every membership on a page of its own


@pytest.mark.parametrize("assets", [True, False], ids=["asset-inventory", "project-by-project"])
def test_a_service_account_in_a_group_nested_in_an_owners_group_is_an_owner(
    fake_gcp,  # noqa: F811
    catalogs,
    assets: bool,
) -> None:
    """It passed NHI-PRIV-001: the group binding was skipped as a person's."""
    _owners_group(fake_gcp)
    inventory, clients = scan(fake_gcp, assets=assets)
    held = [g for g in inventory.grants if g.identity_uid == ETL and g.name == "roles/owner"]
    assert [(g.resources, g.attributes["member"], g.attributes.get("cross_project")) for g in held] == [
        ([f"projects/{PROD}"], f"group:{ADMINS}", True)
    ]
    assert "grants" not in next(i for i in inventory.identities if i.uid == ETL).unknown
    assert statuses(inventory, catalogs, ETL)["NHI-PRIV-001"] == "fail"
    assert not [e for errors in clients.errors.values() for e in errors if e.call.startswith("cloudidentity")]
    asked = fake_gcp.state.requests
    assert asked["GET /v1/groups:lookup"] == 3  # ml-ops, platform-admins and sre once each: the cycle ends
    assert asked["GET /v1/groups/03o7alnk2dk9kyx/memberships"] == 2  # two members, a page each


def test_a_group_of_people_only_grants_no_service_account_anything(fake_gcp, catalogs) -> None:  # noqa: F811
    """The seeded ml-ops group (Service Account User on the platform folder) holds a person: read,
    it leaves every account's grants known."""
    inventory, clients = scan(fake_gcp)
    assert not [g for g in inventory.grants if g.attributes.get("member") == "group:ml-ops@acme.example"]
    assert all("grants" not in i.unknown for i in inventory.identities if i.account == DEV)
    assert not [e for errors in clients.errors.values() for e in errors if e.call.startswith("cloudidentity")]


@pytest.mark.parametrize(
    "refuse",
    [
        "lookup",  # Cloud Identity answers a group the caller may not see as one that does not exist: 403
        "memberships",  # the nested group's members refused (its settings hide them from the caller)
        "untyped",  # an answer without members' types (the BASIC view): which are groups is not known
        "new type",  # a type this scanner does not know to hold no service account (Google adds them)
        "no id",  # a service account member without its key
    ],
)
def test_a_group_whose_members_were_not_read_leaves_every_accounts_grants_unknown(
    fake_gcp,  # noqa: F811
    catalogs,
    refuse: str,
) -> None:
    """Any service account may be in the group: NHI-PRIV-001 is unknown for etl (it passed), the gap
    names the group and the call, and what is known to fail still fails."""
    _owners_group(fake_gcp)
    state = fake_gcp.state
    if refuse == "lookup":
        del state.groups[ADMINS]
    elif refuse == "memberships":
        state.deny_matching.add(r"^/v1/groups/03o7alnk2dk9kyx/memberships$")
    elif refuse == "untyped":
        state.groups[SRE]["members"] = [(ETL, ""), (ADMINS, "")]
    elif refuse == "new type":
        state.groups[ADMINS]["members"] = [("bob@acme.example", "USER"), (SRE, "SOMETHING_NEW")]
    else:
        state.groups[SRE]["members"] = [("", "SERVICE_ACCOUNT")]
    inventory, _ = scan(fake_gcp)
    assert "grants" in next(i for i in inventory.identities if i.uid == ETL).unknown
    assert statuses(inventory, catalogs, ETL)["NHI-PRIV-001"] == "unknown"
    assert statuses(inventory, catalogs, email(PROD, "deployer"))["NHI-PRIV-006"] == "fail"  # roles/editor, bound
    group = ADMINS if refuse in ("lookup", "new type") else SRE
    call = "cloudidentity:groups.lookup" if refuse == "lookup" else "cloudidentity:groups.memberships.list"
    (groups,) = [status for status in inventory.sources if status.account == GROUPS_SCOPE]
    assert groups.status == "partial"
    assert [(e.call, e.message.partition(": ")[0]) for e in groups.errors] == [(call, f"group:{group}")]


def test_the_groups_scope_is_complete_when_every_group_was_read(fake_gcp) -> None:  # noqa: F811
    """One scope for all groups, listed whenever a policy binds one: a scan that reads them after one
    that could not shows the scope read, not gone (a diff took a vanished scope for one not read)."""
    _owners_group(fake_gcp)
    inventory, _ = scan(fake_gcp)
    (groups,) = [status for status in inventory.sources if status.account == GROUPS_SCOPE]
    assert (groups.name, groups.status, groups.errors) == ("gcp", "complete", [])


def test_exported_policies_binding_a_group_leave_every_accounts_grants_unknown(tmp_path: Path, catalogs) -> None:
    """No export lists a group's members: an account bound nowhere else may hold Owner through one."""
    ci = "ci@acme-prod-1.iam.gserviceaccount.com"
    policy = {
        "etag": "BwX=",
        "bindings": [
            {"role": "roles/owner", "members": [f"group:{ADMINS}"]},
            {"role": "roles/logging.logWriter", "members": [f"serviceAccount:{ci}"]},
        ],
    }
    (tmp_path / "acme-prod-1").mkdir()
    (tmp_path / "acme-prod-1" / "policy.json").write_text(json.dumps(policy))
    inventory = collect(SourceSpec("file", str(tmp_path)))
    assert "grants" in next(i for i in inventory.identities if i.uid == ci).unknown
    assert statuses(inventory, catalogs, ci)["NHI-PRIV-001"] == "unknown"
    notes = [n for s in inventory.sources for n in s.notes]
    assert any(f"roles bound to 1 Google group ({ADMINS})" in n for n in notes), notes


def test_the_groups_scope_is_listed_when_no_group_is_bound(fake_gcp) -> None:  # noqa: F811
    """Listed only while a group was bound, it vanished from the scan after the last binding went,
    and a diff took every GCP failure resolved since for one in a source not read."""
    fake_gcp.state.parents.pop("folders/100000000001")  # the platform folder's ml-ops binding
    inventory, _ = scan(fake_gcp)
    (groups,) = [status for status in inventory.sources if status.account == GROUPS_SCOPE]
    assert (groups.status, groups.errors) == ("complete", [])
    assert fake_gcp.state.requests["GET /v1/groups:lookup"] == 0
