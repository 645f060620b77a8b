"""file: imports merge exports of one account by resource id, whatever the order of the files, and
refuse malformed exports with one line naming the file and the JSON path (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.sources import SourceSpec, collect

from .conftest import SHARED

AWS = SHARED / "realworld" / "aws"
DATA = Path(__file__).parent / "data"
CLOUDSPLAINING = AWS / "cloudsplaining-example-authorization-details.json"
NEWER_REPORT = AWS / "custodian-placebo-iam-GetCredentialReport.json"  # generated 2017-02-22
OLDER_REPORT = DATA / "aws" / "custodian-placebo-iam-GetCredentialReport-2016-11-25.json"


def inventory_of(*paths: Path):
    return collect(SourceSpec("file", ",".join(str(p) for p in paths)))


def comparable(inventory) -> tuple:
    return (
        sorted((i.uid, i.kind, tuple(sorted(i.unknown))) for i in inventory.identities),
        sorted((c.uid, c.active, c.created) for c in inventory.credentials),
        sorted((g.uid, tuple(g.actions)) for g in inventory.grants),
    )


def test_two_authorization_details_of_one_account_merge_whatever_their_order(tmp_path: Path) -> None:
    details = json.loads(CLOUDSPLAINING.read_text())
    half = len(details["UserDetailList"]) // 2
    first = {**details, "UserDetailList": details["UserDetailList"][:half], "RoleDetailList": []}
    second = {**details, "UserDetailList": details["UserDetailList"][half:]}
    (tmp_path / "a.json").write_text(json.dumps(first))
    (tmp_path / "b.json").write_text(json.dumps(second))
    whole = inventory_of(CLOUDSPLAINING)
    forward = inventory_of(tmp_path / "a.json", tmp_path / "b.json")
    backward = inventory_of(tmp_path / "b.json", tmp_path / "a.json")
    assert comparable(forward) == comparable(backward) == comparable(whole)
    folder = inventory_of(tmp_path)
    assert comparable(folder) == comparable(whole)


def test_a_principal_that_differs_between_exports_keeps_the_permissions_of_both(tmp_path: Path) -> None:
    details = json.loads(CLOUDSPLAINING.read_text())
    user = details["UserDetailList"][0]
    stripped = {**details, "UserDetailList": [{**user, "AttachedManagedPolicies": [], "UserPolicyList": []}]}
    (tmp_path / "old.json").write_text(json.dumps(stripped))
    (tmp_path / "new.json").write_text(json.dumps(details))
    for order in (("old.json", "new.json"), ("new.json", "old.json")):
        merged = inventory_of(*(tmp_path / name for name in order))
        grants = {g.uid for g in merged.grants if g.identity_uid == user["Arn"]}
        assert grants == {g.uid for g in inventory_of(CLOUDSPLAINING).grants if g.identity_uid == user["Arn"]}
        (status,) = [s for s in merged.sources if s.notes]
        assert user["Arn"] in status.notes[0] and "differ between authorization-details exports" in status.notes[0]


def test_a_role_that_differs_between_exports_keeps_the_trust_of_both(tmp_path: Path) -> None:
    """The copy last used gave the role its trust, and a wildcard principal the other copy trusts
    vanished (NHI-PRIV-004 passed): whom either copy lets assume the role may still. A permissions
    boundary only one copy has is not known to hold."""
    details = json.loads(CLOUDSPLAINING.read_text())
    role = details["RoleDetailList"][0]
    anyone = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
    opened = {**role, "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [anyone]}, "RoleLastUsed": {}}
    bounded = {**role, "PermissionsBoundary": {"PermissionsBoundaryType": "Policy",
               "PermissionsBoundaryArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}}  # fmt: skip
    (tmp_path / "a.json").write_text(json.dumps({**details, "RoleDetailList": [bounded]}))
    (tmp_path / "b.json").write_text(json.dumps({**details, "RoleDetailList": [opened]}))
    merged = {i.uid: i for i in inventory_of(tmp_path).identities}[role["Arn"]]
    principals = {str(entry.get("principal")) for entry in merged.attributes["trust"]}
    assert "*" in principals and len(principals) > 1
    assert "permissions_boundary" not in merged.attributes


def test_of_two_credential_reports_the_newest_wins_and_the_older_is_named(tmp_path: Path) -> None:
    for order in ((OLDER_REPORT, NEWER_REPORT), (NEWER_REPORT, OLDER_REPORT)):
        inventory = inventory_of(*order)
        assert comparable(inventory) == comparable(inventory_of(NEWER_REPORT))
        assert inventory.collected_at == inventory_of(NEWER_REPORT).collected_at, "ages count from the newest"
        notes = [n for s in inventory.sources for n in s.notes]
        assert notes == [
            f"644160558196: credential report {OLDER_REPORT} (generated 2016-11-25T11:02:25Z) is superseded by the "
            f"newer {NEWER_REPORT} (2017-02-22T23:07:48Z) (same rows)",
            f"644160558196: credential report {NEWER_REPORT} lists some users more than once: christopher (2 rows); "
            "each keeps the row that shows the most of its keys",
        ]


def _statuses(cli, tmp_path: Path, *paths: Path) -> tuple[dict, dict[tuple[str, str], str]]:
    spec = "file:" + ",".join(str(p) for p in paths)
    out = tmp_path / "out"
    # credential reports without authorization details leave the accounts' roles unread: partial
    outcome = cli(
        "scan",
        spec,
        "--format",
        "json",
        "-o",
        str(out),
        "-q",
        "--fail-on",
        "none",
        "--include-passed",
        "--allow-partial",
    )
    assert outcome.exit_code == 0, outcome.output
    data = json.loads((out / "results.json").read_text())
    return data, {(f["control_id"], f["resource"]["name"]): f["status"] for f in data["findings"]}


def test_exports_of_two_accounts_taken_years_apart_are_judged_at_the_newer(cli, tmp_path: Path) -> None:
    """Reader: account 123456789012's report (CloudMapper demo) was generated 2019-05-07; its root key
    was created 2018-11-23 and last used 2018-11-26, key 2 of user 2018-05-07: all over 90 days
    old then. Account 644160558196's report (Cloud Custodian) is of 2017-02-22. Judged together, no
    key of 2019's report is judged at 2017, when some of them did not exist yet."""
    newer = AWS / "cloudmapper-demo-iam-get-credential-report.json"
    alone = _statuses(cli, tmp_path / "alone", newer)[1]
    data, together = _statuses(cli, tmp_path / "together", newer, NEWER_REPORT)
    assert data["scan"]["as_of"] == "2019-05-07T15:40:22Z"
    for key in ("access_key key 1 of 123456789012 root", "access_key key 2 of user"):
        for control in ("NHI-CRED-001", "NHI-CRED-002"):
            assert together[(control, key)] == alone[(control, key)] == "fail", (control, key)
    notes = [n for s in data["scan"]["sources"] for n in s["notes"]]
    assert "644160558196: its credential report was generated 2017-02-22T23:07:48Z, before the other exports" in (
        " ".join(notes)
    )


def test_exports_that_do_not_say_when_they_were_taken_are_judged_now_with_the_rest(cli, tmp_path: Path) -> None:
    """Reader: the Azure app's two client secrets ended 2023-05-07 and 2024-05-07; the GCP key was
    created 2021-03-31. Neither list says when it was taken, so they are judged now, and so is the
    2017 credential report given with them: the secrets are expired and the key is old."""
    azure = SHARED / "realworld" / "azure" / "azure-cli-recording-graph-list-applications-passwordCredentials.json"
    gcp = SHARED / "realworld" / "gcp" / "custodian-flight-iam-serviceAccounts-keys-list.json"
    data, found = _statuses(cli, tmp_path, NEWER_REPORT, azure, gcp)
    assert data["scan"]["as_of"] > "2026"
    expired = {name for (control, name), status in found.items() if control == "NHI-CRED-007" and status == "fail"}
    assert len(expired) == 2 and all(name.startswith("client_secret") for name in expired)
    old_keys = {name for (control, name), status in found.items() if control == "NHI-CRED-001" and status == "pass"}
    assert not any(name.startswith("sa_key") for name in old_keys)
    assert any("644160558196: its credential report was generated 2017-02-22" in n
               for s in data["scan"]["sources"] for n in s["notes"])  # fmt: skip


def test_a_file_in_a_folder_that_is_no_export_is_a_named_gap_and_the_rest_is_read(tmp_path: Path) -> None:
    (tmp_path / "report.json").write_bytes(NEWER_REPORT.read_bytes())
    (tmp_path / "README.md").write_text("exports of 2017-02-22\n")
    (tmp_path / "list-agents.json").write_bytes((AWS / "custodian-placebo-bedrock-agent-ListAgents.json").read_bytes())
    inventory = inventory_of(tmp_path)
    assert len([i for i in inventory.identities if i.kind == "user"]) == 19
    (status,) = [s for s in inventory.sources if s.account == "exports"]
    assert status.status == "partial"
    assert {(e.call, e.message) for e in status.errors} == {
        ("read README.md", "not a recognised export"),
        (
            "read list-agents.json",
            "list-agents names neither the account nor the agents' roles: export get-agent per agent",
        ),
    }
    (account,) = [s for s in inventory.sources if s.account == "644160558196"]
    assert account.status == "partial", "the files not read may be about this account: it was not read completely"
    assert (
        "2 files among the exports could not be read or placed, or held only one page of a list (see file:exports)"
        in account.notes
    )


def test_a_file_in_a_folder_that_cannot_be_read_is_a_named_gap_and_the_rest_is_read(cli, tmp_path: Path) -> None:
    """One binary or unreadable file among the exports refused the whole scan (exit 2)."""
    (tmp_path / "report.json").write_bytes(NEWER_REPORT.read_bytes())
    (tmp_path / "backup.json").write_bytes(b"\x00\x01 not text")
    inventory = inventory_of(tmp_path)
    assert len([i for i in inventory.identities if i.kind == "user"]) == 19
    (status,) = [s for s in inventory.sources if s.account == "exports"]
    assert [(e.call, e.message, e.code) for e in status.errors] == [
        ("read backup.json", "binary file, expected text", "unreadable")
    ]
    out = tmp_path / "out"
    assert cli("scan", f"file:{tmp_path}", "-o", str(out), "-q", "--fail-on", "none").exit_code == 3
    accepted = cli("scan", f"file:{tmp_path}", "-o", str(out), "-q", "--fail-on", "none", "--allow-partial")
    assert accepted.exit_code == 0, accepted.output


def test_an_account_is_not_certified_as_read_completely_beside_a_file_that_was_not_read(cli, tmp_path: Path) -> None:
    """The shared AWS exports folder holds list-agents output, which names no account: whichever
    account its agents belong to was not read completely, so no account passes NHI-COV-001."""
    out = tmp_path / "out"
    outcome = cli("scan", f"file:{AWS}", "--format", "json", "-o", str(out), "-q", "--fail-on", "none")
    assert outcome.exit_code == 3, outcome.output
    results = json.loads((out / "results.json").read_text())
    (coverage,) = [c for c in results["controls"] if c["id"] == "NHI-COV-001"]
    assert coverage["counts"]["pass"] == 0 and coverage["counts"]["fail"] == len(results["inventory"]["accounts"])


def test_the_same_file_named_on_the_command_line_is_refused(cli, tmp_path: Path) -> None:
    listed = AWS / "custodian-placebo-bedrock-agent-ListAgents.json"
    outcome = cli("scan", f"file:{listed}", "--output-dir", str(tmp_path), "-q")
    assert outcome.exit_code == 2 and "list-agents names neither the account" in outcome.output


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_gcloud_default_yaml_output_gets_a_hint(cli, tmp_path: Path, suffix: str) -> None:
    policy = tmp_path / f"policy{suffix}"  # `gcloud projects get-iam-policy p > policy.json` without --format=json
    policy.write_text(
        "bindings:\n- members:\n  - serviceAccount:ci@p.iam.gserviceaccount.com\n  role: roles/owner\netag: BwX=\n"
    )
    outcome = cli("scan", f"file:{policy}", "--output-dir", str(tmp_path / "out"), "-q")
    assert outcome.exit_code == 2
    assert outcome.output.strip().splitlines() == [
        f"nhiscan: error: {policy}: this is gcloud's default YAML output: export it again with --format=json"
    ]


def _details_with(change) -> str:
    details = json.loads((AWS / "cloudmapper-demo-iam-get-account-authorization-details.json").read_text())
    change(details)
    return json.dumps(details)


def _report_with(change) -> str:
    report = json.loads((AWS / "cloudmapper-demo-iam-get-credential-report.json").read_text())
    change(report)
    return json.dumps(report)


MALFORMED = {
    "list-is-an-object": (
        lambda: _details_with(lambda d: d.update(UserDetailList={"UserName": "alice"})),
        "$.UserDetailList",
        "is not of type 'array'",
    ),
    "missing-id": (
        lambda: _details_with(lambda d: d["RoleDetailList"][1].pop("Arn")),
        "$.RoleDetailList[1]",
        "'Arn' is a required property",
    ),
    "year-0": (
        lambda: _details_with(lambda d: d["UserDetailList"][0].update(CreateDate="0000-01-01T00:00:00Z")),
        "$.UserDetailList[0].CreateDate",
        "does not match",
    ),
    "generated-not-a-time": (
        lambda: _report_with(lambda r: r.update(GeneratedTime="not-a-time")),
        "$.GeneratedTime",
        "does not match",
    ),
    "policy-list-is-a-string": (
        lambda: _details_with(lambda d: d["Policies"][0].update(PolicyVersionList="v1")),
        "$.Policies[0].PolicyVersionList",
        "is not of type 'array'",
    ),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_malformed_export_is_one_line_naming_file_and_json_path(cli, tmp_path: Path, name: str) -> None:
    make, path, problem = MALFORMED[name]
    export = tmp_path / "export.json"
    export.write_text(make())
    for argument in (str(export), str(tmp_path)):  # named, or found in a folder: refused either way
        outcome = cli("scan", f"file:{argument}", "--output-dir", str(tmp_path / "out"), "-q")
        assert outcome.exit_code == 2, outcome.output
        (line,) = outcome.output.strip().splitlines()
        assert line.startswith(f"nhiscan: error: {export}:{path}: ") and problem in line, line


def test_a_nul_byte_is_one_line_and_exit_2(cli, tmp_path: Path) -> None:
    export = tmp_path / "report.csv"
    export.write_bytes((AWS / "custodian-credential-report.csv").read_bytes().replace(b"andrew", b"andr\x00ew", 1))
    outcome = cli("scan", f"file:{export}", "--output-dir", str(tmp_path / "out"), "-q")
    assert outcome.exit_code == 2
    assert outcome.output.strip().splitlines() == [f"nhiscan: error: {export}: binary file, expected text"]


def test_a_placebo_datetime_of_year_0_names_its_path(cli, tmp_path: Path) -> None:
    recorded = json.loads(OLDER_REPORT.read_text())
    recorded["data"]["GeneratedTime"]["year"] = 0
    export = tmp_path / "report.json"
    export.write_text(json.dumps(recorded))
    outcome = cli("scan", f"file:{export}", "--output-dir", str(tmp_path / "out"), "-q")
    assert outcome.exit_code == 2
    (line,) = outcome.output.strip().splitlines()
    assert f"{export}:$.data.GeneratedTime: invalid recorded datetime" in line


def test_a_date_the_calendar_lacks_is_one_line_and_exit_2(cli, tmp_path: Path) -> None:
    export = tmp_path / "details.json"
    export.write_text(_details_with(lambda d: d["RoleDetailList"][0].update(CreateDate="2019-02-30T10:00:00Z")))
    outcome = cli("scan", f"file:{export}", "--output-dir", str(tmp_path / "out"), "-q")
    assert outcome.exit_code == 2
    (line,) = outcome.output.strip().splitlines()
    assert line.startswith(f"nhiscan: error: {export}: an export holds an impossible value: day is out of range")


def test_a_file_named_twice_is_read_once(tmp_path: Path) -> None:
    """Named twice, however spelt, a file is one export: no note says it 'is superseded by the
    newer' itself."""
    once = inventory_of(NEWER_REPORT)
    spelt_otherwise = NEWER_REPORT.parent / ".." / NEWER_REPORT.parent.name / NEWER_REPORT.name
    for twice in (inventory_of(NEWER_REPORT, NEWER_REPORT), inventory_of(NEWER_REPORT, spelt_otherwise)):
        notes = [n for s in twice.sources for n in s.notes]
        assert not any(str(NEWER_REPORT) in n and "superseded" in n for n in notes), notes
    assert comparable(inventory_of(NEWER_REPORT, NEWER_REPORT)) == comparable(once)
