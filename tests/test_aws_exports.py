"""file:PATH imports the AWS exports users already have: real files written by third parties
(../shared/realworld/aws, see its SOURCES.md), read exactly as they are."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scanner.sources import SourceSpec, collect

from .conftest import SHARED

AWS = SHARED / "realworld" / "aws"
CLOUDSPLAINING = AWS / "cloudsplaining-example-authorization-details.json"


def scan_file(cli, tmp_path: Path, *paths: Path, partial: bool = False) -> dict:
    """The results of a scan of the exports; ``partial``: exports that leave a part of the account
    unread (a get-agent export alone holds no roles), accepted as such."""
    spec = "file:" + ",".join(str(p) for p in paths)
    accepted = ("--allow-partial",) if partial else ()
    outcome = cli("scan", spec, "--format", "json", "--output-dir", str(tmp_path), "-q", "--fail-on", "none", *accepted)
    assert outcome.exit_code == 0, outcome.output
    return json.loads((tmp_path / "results.json").read_text())


def failing(data: dict, control: str) -> set[str]:
    return {f["resource"]["name"] for f in data["findings"] if f["control_id"] == control and f["status"] == "fail"}


def _statements(document: dict) -> list[dict]:
    statements = document.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def independent_admins(details: dict) -> set[str]:
    """Principals with an Allow of * on * anywhere in their policies (their groups' included), or
    of every action but some that leave each service part of its actions (NotAction without a
    whole service: fn4-exploitableNotAction-*), and no unconditional Deny of * on *
    (fp2-allow-and-deny-multiple-policies-*)."""
    policies = {
        p["Arn"]: next(v["Document"] for v in p["PolicyVersionList"] if v["IsDefaultVersion"])
        for p in details["Policies"]
    }
    groups = {g["GroupName"]: g for g in details["GroupDetailList"]}

    def documents(principal: dict) -> list[dict]:
        found = [
            policies[a["PolicyArn"]] for a in principal.get("AttachedManagedPolicies", []) if a["PolicyArn"] in policies
        ]
        for key in ("UserPolicyList", "RolePolicyList"):
            found += [p["PolicyDocument"] for p in principal.get(key, [])]
        for name in principal.get("GroupList", []):
            group = groups.get(name, {})
            found += [
                policies[a["PolicyArn"]] for a in group.get("AttachedManagedPolicies", []) if a["PolicyArn"] in policies
            ]
            found += [p["PolicyDocument"] for p in group.get("GroupPolicyList", [])]
        return found

    admins = set()
    for principal in details["UserDetailList"] + details["RoleDetailList"]:
        everything = {"Allow": False, "Deny": False}
        for document in documents(principal):
            for statement in _statements(document):
                all_but_some = "NotAction" in statement and not any(
                    a == "*" or a.endswith(":*") for a in _as_list(statement["NotAction"])
                )
                if (
                    ("*" in _as_list(statement.get("Action", [])) or all_but_some)
                    and "*" in _as_list(statement.get("Resource", []))
                    and (statement.get("Effect") == "Allow" or "Condition" not in statement)
                ):
                    everything[statement.get("Effect")] = True
        if everything["Allow"] and not everything["Deny"]:  # an unconditional Deny of * on * takes it all away
            admins.add(principal.get("UserName") or principal["RoleName"])
    return admins


def test_cloudsplaining_admins_are_exactly_the_principals_allowed_everything(cli, tmp_path: Path) -> None:
    data = scan_file(cli, tmp_path, CLOUDSPLAINING, partial=True)
    details = json.loads(CLOUDSPLAINING.read_text())
    principals = [i for i in data["inventory"]["identities"] if i["kind"] != "root"]
    assert len(principals) == len(details["UserDetailList"]) + len(details["RoleDetailList"])
    admins = independent_admins(details)
    assert len(admins) == 10
    people = {a for a in admins if a.startswith("AWSReservedSSO_")}  # IAM Identity Center: people's access
    assert people == {"AWSReservedSSO_AdministratorAccess_dc6414f7f2ab04fc"}
    assert failing(data, "NHI-PRIV-001") == admins - people
    sso = next(i for i in data["inventory"]["identities"] if i["name"] in people)
    assert sso["interactive"] is True and sso["attributes"]["human_evidence"] == "AWS SSO reserved role path"


def test_without_a_credential_report_the_root_user_is_there_with_its_keys_unknown(cli, tmp_path: Path) -> None:
    """The root user appears only in the credential report. Without one, 'root has no access keys'
    (NHI-CRED-010, critical) had no result at all for the account; it is now unknown, as live."""
    data = scan_file(cli, tmp_path, CLOUDSPLAINING, partial=True)
    accounts = {i["account"] for i in data["inventory"]["identities"] if i["kind"] != "root"}
    roots = {i["account"]: i for i in data["inventory"]["identities"] if i["kind"] == "root"}
    assert set(roots) == accounts and all("credentials" in r["unknown"] for r in roots.values())
    statuses = {f["resource"]["uid"]: f["status"] for f in data["findings"] if f["control_id"] == "NHI-CRED-010"}
    assert statuses == {r["uid"]: "unknown" for r in roots.values()}


def test_cloudsplaining_escalation_paths_all_show_up(cli, tmp_path: Path) -> None:
    data = scan_file(cli, tmp_path, CLOUDSPLAINING, partial=True)
    flagged = failing(data, "NHI-PRIV-003") | failing(data, "NHI-PRIV-001")
    names = {i["name"] for i in data["inventory"]["identities"]}
    # privesc1..privesc21: the published IAM escalation methods, one user and one role each
    numbered = {n for n in names if re.match(r"privesc\d+-", n)}
    assert len(numbered) == 42
    assert numbered <= flagged
    for method in ("codeBuildCreateProjectPassRole", "ec2InstanceConnect", "ssmSendCommand", "ssmStartSession",
                   "sageMakerCreateNotebookPassRole", "sageMakerCreateTrainingJobPassRole",
                   "sageMakerCreateProcessingJobPassRole", "sageMakerCreatePresignedNotebookURL",
                   "CloudFormationUpdateStack"):  # fmt: skip
        assert {f"privesc-{method}-user", f"privesc-{method}-role"} <= flagged, method
    # the file's "false negative" cases are exploitable and must be found
    assert {n for n in names if n.startswith("fn")} <= flagged
    # an Allow cancelled by a Deny of the same actions is not an escalation
    assert (
        not {"fp1-allow-and-deny-user", "fp1-allow-and-deny-role", "fp3-deny-iam-user", "fp3-deny-iam-role"} & flagged
    )


def test_users_only_one_of_two_exports_lists_are_kept_with_the_rest_unknown(cli, tmp_path: Path) -> None:
    """Reader: the CloudMapper demo's credential report lists auditor_tmp (one active key) and user
    (two active keys, one of them a year old); its authorization details list two other users, USER
    and USER_WITH_BAD_INLINE_POLICY. Each export's users are there; what the other export would
    show of them is unknown, and the notes name them."""
    data = scan_file(
        cli,
        tmp_path,
        AWS / "cloudmapper-demo-iam-get-account-authorization-details.json",
        AWS / "cloudmapper-demo-iam-get-credential-report.json",
        partial=True,
    )
    users = {i["name"]: i for i in data["inventory"]["identities"] if i["kind"] == "user"}
    assert set(users) == {"auditor_tmp", "user", "USER", "USER_WITH_BAD_INLINE_POLICY"}
    assert {"grants", "owner"} <= set(users["user"]["unknown"])
    for name in ("USER", "USER_WITH_BAD_INLINE_POLICY"):
        assert {"credentials", "last_used", "interactive"} <= set(users[name]["unknown"]), name
    held = sorted(c["attributes"]["display_id"] for c in data["inventory"]["credentials"]
                  if c["identity_uid"] == users["user"]["uid"])  # fmt: skip
    assert held == ["key 1", "key 2"]
    statuses = {(f["control_id"], f["resource"]["name"]): f["status"] for f in data["findings"]}
    assert statuses[("NHI-CRED-004", "user")] == "fail", "two active keys"
    assert statuses[("NHI-CRED-004", "USER")] == "unknown", "no report row: its keys were never read"
    assert statuses[("NHI-CRED-001", "access_key key 2 of user")] == "fail"
    (account,) = [s for s in data["scan"]["sources"] if s["account"] == "123456789012"]
    gaps = [e["message"] for e in account["errors"] if e["code"] == "ExportsDisagree"]
    assert any("2 users in the credential report only" in gap and "auditor_tmp" in gap for gap in gaps)
    assert any("2 users in the authorization details only" in gap and "USER_WITH_BAD" in gap for gap in gaps)


def test_an_account_whose_two_exports_list_different_users_was_not_read_completely(cli, tmp_path: Path) -> None:
    """Reader: the CloudMapper demo's authorization details, credential report and describe-trails,
    every export an account needs, disagree on its users (each lists two the other does not). Those
    users' permissions or keys were never read, so the account is a partial read naming them, and
    NHI-COV-001 ("every account was read completely") fails it instead of passing; without
    --allow-partial the scan exits 3."""
    files = (
        AWS / "cloudmapper-demo-iam-get-account-authorization-details.json",
        AWS / "cloudmapper-demo-iam-get-credential-report.json",
        AWS / "cloudmapper-demo-cloudtrail-describe-trails.json",
    )
    outcome = cli("scan", "file:" + ",".join(map(str, files)), "--format", "json", "-o", str(tmp_path), "-q")
    assert outcome.exit_code == 3, outcome.output
    assert "file:123456789012" in outcome.output
    data = json.loads((tmp_path / "results.json").read_text())
    (account,) = [s for s in data["scan"]["sources"] if s["account"] == "123456789012"]
    assert account["status"] == "partial"
    assert {(e["call"], e["code"]) for e in account["errors"]} == {
        ("iam:GetAccountAuthorizationDetails", "ExportsDisagree"),
        ("iam:GetCredentialReport", "ExportsDisagree"),
    }
    (coverage,) = [f for f in data["findings"] if f["control_id"] == "NHI-COV-001"]
    assert coverage["status"] == "fail"


def test_principals_whose_arn_names_no_account_are_filed_with_a_note(cli, tmp_path: Path) -> None:
    """Reader: the CloudMapper demo's authorization details name two users and a group by ARNs without an
    account (arn:aws:iam::aws:user/USER); they are read as the account the export names, and the
    notes say which and where."""
    data = scan_file(cli, tmp_path, AWS / "cloudmapper-demo-iam-get-account-authorization-details.json", partial=True)
    notes = [note for s in data["scan"]["sources"] for note in s["notes"]]
    (note,) = [n for n in notes if "names no account" in n]
    assert "3 principals" in note and "arn:aws:iam::aws:user/USER" in note and "123456789012's" in note


def test_cloudmapper_exports_combine_into_one_account(cli, tmp_path: Path) -> None:
    files = [
        AWS / "cloudmapper-demo-iam-get-account-authorization-details.json",
        AWS / "cloudmapper-demo-iam-get-credential-report.json",
        AWS / "cloudmapper-demo-cloudtrail-describe-trails.json",
    ]
    data = scan_file(cli, tmp_path, *files, partial=True)  # the two exports disagree on the users (below)
    inventory = data["inventory"]
    assert [a["uid"] for a in inventory["accounts"]] == ["123456789012"]
    kinds = sorted(i["kind"] for i in inventory["identities"])
    assert kinds.count("root") == 1 and kinds.count("user") == 4, "two users in each export only, all kept"
    assert failing(data, "NHI-CRED-010") == {"123456789012 root"}, "the root account has an active key"
    (trail,) = [s for s in inventory["log_sources"] if s["kind"] == "cloudtrail"]
    assert trail["name"] == "cloudtrail" and "enabled" in trail["unknown"], "describe-trails has no logging status"
    assert failing(data, "NHI-LOG-001") == {"123456789012"}, "its only trail is single-region, logging or not"
    assert data["scan"]["as_of"] > "2021-03-13", "the details hold later dates than the report: the scan's time"


def test_the_credential_report_reads_the_same_as_csv_and_as_recorded_json() -> None:
    from_csv = collect(SourceSpec("file", str(AWS / "custodian-credential-report.csv")))
    from_json = collect(SourceSpec("file", str(AWS / "custodian-placebo-iam-GetCredentialReport.json")))
    assert from_csv.identities == from_json.identities
    assert from_csv.credentials == from_json.credentials
    users = [i for i in from_csv.identities if i.kind == "user"]
    assert len(users) == 19, "21 rows: the root, and one user listed twice counts once"
    assert all("grants" in u.unknown for u in users), "a report alone does not show permissions"


def test_recorded_trails_and_agents_import(cli, tmp_path: Path) -> None:
    trails_file = AWS / "custodian-placebo-cloudtrail-DescribeTrails.json"
    agent_file = AWS / "custodian-placebo-bedrock-agent-GetAgent.json"
    inventory = collect(SourceSpec("file", f"{trails_file},{agent_file}"))
    trails = {s.name: s for s in inventory.log_sources if s.kind == "cloudtrail"}
    assert set(trails) == {"S3-DataEvents-test2", "skunk-trails"}
    assert trails["skunk-trails"].attributes["kms_encrypted"] and trails["skunk-trails"].attributes["multi_region"]
    (agent,) = inventory.agents
    assert agent.runs_as and agent.runs_as.startswith("arn:aws:iam::") and agent.platform == "bedrock-agent"


def test_a_user_listed_twice_in_a_credential_report_keeps_the_row_showing_its_key(tmp_path: Path) -> None:
    """Reader: Cloud Custodian's recorded report lists christopher twice: once with no key, once with
    key 1 active, created 2016-09-14 and last used 2016-11-21. Whichever row comes first (the file as
    recorded, or a copy with the two rows swapped), the active key is kept and the user is named."""
    recorded = AWS / "custodian-credential-report.csv"
    lines = recorded.read_text().split("\n")
    first, second = [i for i, line in enumerate(lines) if line.startswith("christopher,")]
    lines[first], lines[second] = lines[second], lines[first]
    swapped = tmp_path / "swapped.csv"
    swapped.write_text("\n".join(lines))
    for path in (recorded, swapped):
        inventory = collect(SourceSpec("file", str(path)))
        (user,) = [i for i in inventory.identities if i.name == "christopher"]
        (key,) = [c for c in inventory.credentials if c.identity_uid == user.uid]
        assert key.active and key.created is not None and key.created.isoformat().startswith("2016-09-14"), path
        assert user.last_used is not None and user.last_used.isoformat().startswith("2016-11-21")
        notes = [n for s in inventory.sources for n in s.notes]
        assert any("lists some users more than once: christopher (2 rows)" in n for n in notes), notes


def test_an_authorization_details_export_of_two_accounts_files_each_principal_under_its_own() -> None:
    """Reader: cloudsplaining's example holds 6 principals of account 012345678901 (obama, biden,
    userwithlotsofpermissions, MyRole, MyOtherRole, OverprivilegedEC2) and 116 of 200611803367."""
    inventory = collect(SourceSpec("file", str(CLOUDSPLAINING)))
    assert sorted(a.uid for a in inventory.accounts) == ["012345678901", "200611803367"]
    assert sorted(i.name for i in inventory.identities if i.account == "012345678901" and i.kind != "root") == [
        "MyOtherRole", "MyRole", "OverprivilegedEC2", "biden", "obama", "userwithlotsofpermissions",
    ]  # fmt: skip
    assert all(i.account == i.uid.split(":")[4] for i in inventory.identities)
    obama = next(i for i in inventory.identities if i.name == "obama")
    assert any(g.identity_uid == obama.uid for g in inventory.grants), "its grants come with it"


def test_a_get_agent_export_leaves_tools_approval_and_owner_unknown(cli, tmp_path: Path) -> None:
    """Reader: get-agent describes the agent's role, model, guardrail and memory; its action groups,
    knowledge bases and tags come from other calls. So its tools, whether they ask for approval, and
    its owner are not in the file: the controls about them are unknown, none of them pass or fail."""
    data = scan_file(cli, tmp_path, AWS / "custodian-placebo-bedrock-agent-GetAgent.json", partial=True)
    (agent,) = data["inventory"]["agents"]
    assert {"tools", "human_approval", "owner"} <= set(agent["unknown"])
    statuses = {f["control_id"]: f["status"] for f in data["findings"] if f["resource"]["type"] == "agent"}
    for control in ("NHI-AGENT-003", "NHI-AGENT-008", "NHI-AGENT-010", "NHI-AGENT-011", "NHI-AGENT-012"):
        assert statuses.get(control, "unknown") == "unknown", control
    assert statuses["NHI-AGENT-002"] == "fail", "the file does show that no guardrail is attached"


def test_a_get_agent_export_judges_only_what_the_draft_already_decides(cli, tmp_path: Path) -> None:
    """Reader: get-agent shows the DRAFT, not the versions that serve. No guardrail on the DRAFT
    already fails (above); but a key or a role the DRAFT has may differ in a serving version, so
    they are unknown, and the role the DRAFT runs as is not the only one the agent may use."""
    data = scan_file(cli, tmp_path, AWS / "custodian-placebo-bedrock-agent-GetAgent.json", partial=True)
    (agent,) = data["inventory"]["agents"]
    assert {"runs_as", "attributes.encryption_key", "memory_enabled"} <= set(agent["unknown"])
    assert "guardrail" not in agent["unknown"]


def test_a_get_agent_export_without_a_secret_leaves_the_agents_secrets_unknown(cli, tmp_path: Path) -> None:
    """Reader: the recorded DRAFT's instruction and prompt templates (AWS's defaults) hold no secret,
    but get-agent shows neither which versions serve traffic nor the action groups: texts that were
    not read could hold one. So the secret controls are unknown, with the credentials named."""
    data = scan_file(cli, tmp_path, AWS / "custodian-placebo-bedrock-agent-GetAgent.json", partial=True)
    (agent,) = data["inventory"]["agents"]
    assert "credentials" in agent["unknown"]
    assert len(agent["attributes"]["texts_scanned"]["DRAFT"]) == 5, "the instruction and 4 prompt templates"
    assert not [c for c in data["inventory"]["credentials"] if c["kind"] == "plaintext_secret"]
    statuses = {f["control_id"]: f["status"] for f in data["findings"] if f["resource"]["type"] == "agent"}
    assert (statuses["NHI-SECRET-001"], statuses["NHI-AGENT-005"]) == ("unknown", "unknown")


def test_a_secret_in_a_get_agent_export_fails_and_is_written_only_as_a_fingerprint(cli, tmp_path: Path) -> None:
    """The recorded get-agent with an access key pasted into the DRAFT's instruction: a secret found
    fails whatever the versions not shown hold."""
    key = "AKIA" + "Q3EXAMPLEZ7K2M4P6R8T"
    recorded = json.loads((AWS / "custodian-placebo-bedrock-agent-GetAgent.json").read_text())
    recorded["data"]["agent"]["instruction"] += f" Read the S3 bucket with the access key {key}."
    export = tmp_path / "get-agent.json"
    export.write_text(json.dumps(recorded))
    out = tmp_path / "out"
    data = scan_file(cli, out, export, partial=True)
    (secret,) = [c for c in data["inventory"]["credentials"] if c["kind"] == "plaintext_secret"]
    assert secret["uid"] == "arn:aws:bedrock:us-east-1:644160558196:agent/64XULLPD7A#plaintext_secret:DRAFT.instruction"
    assert secret["attributes"]["location"] == {"version": "DRAFT", "field": "instruction"}
    statuses = {f["control_id"]: f["status"] for f in data["findings"] if f["resource"]["type"] == "agent"}
    assert (statuses["NHI-SECRET-001"], statuses["NHI-AGENT-005"]) == ("fail", "fail")
    for path in out.iterdir():
        assert key.encode() not in path.read_bytes(), path.name


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda d: shutil.copy(AWS / "custodian-placebo-bedrock-agent-ListAgents.json", d / "x.json"),
            "no recognised export (1 files read): x.json: list-agents names neither the account",
        ),
        (lambda d: (d / "x.json").write_text(CLOUDSPLAINING.read_text()[:4000]), "invalid JSON"),
        (lambda d: (d / "x.csv").write_text("name,value\na,b\n"), "not an IAM credential report"),
        (
            lambda d: (d / "x.json").write_text('{"Content": "%%%", "GeneratedTime": "2020-01-01T00:00:00Z"}'),
            "neither CSV nor base64",
        ),
        (lambda d: (d / "notes.txt").write_text("hello"), "no recognised export (1 files read): notes.txt"),
    ],
    ids=["wrong-export", "truncated", "csv-not-a-report", "bad-content", "empty-directory"],
)
def test_wrong_or_broken_exports_are_one_line_and_exit_2(cli, tmp_path: Path, make, message) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    make(exports)
    outcome = cli("scan", f"file:{exports}", "--output-dir", str(tmp_path / "out"), "-q")
    assert outcome.exit_code == 2
    lines = outcome.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], outcome.output


def test_a_user_created_after_the_credential_report_has_unknown_keys_in_the_live_source_too() -> None:
    """The live source reads the authorization details after asking for the report, which may be
    up to four hours old: a user the details list and the report does not has its keys, last use
    and console access unknown, unless its keys were listed (build_iam serves both sources)."""
    from scanner.sources.aws.credential_report import parse_report
    from scanner.sources.aws.iam import build_iam

    details = json.loads((AWS / "cloudmapper-demo-iam-get-account-authorization-details.json").read_text())
    report = json.loads((AWS / "cloudmapper-demo-iam-get-credential-report.json").read_text())
    rows = parse_report(report["Content"])
    listed = {
        "USER": [{"AccessKeyId": "AKIAEXAMPLEEXAMPLE01", "Status": "Active", "CreateDate": "2019-05-01T00:00:00Z"}]
    }
    records = build_iam("123456789012", details, rows, listed)
    users = {i.name: i for i in records.identities if i.kind == "user"}
    assert {"last_used", "interactive", "credentials"} <= set(users["USER_WITH_BAD_INLINE_POLICY"].unknown)
    assert "credentials" not in users["USER"].unknown, "its keys were listed"
    assert {"last_used", "interactive"} <= set(users["USER"].unknown)
    assert {"auditor_tmp", "user"} <= set(users), "users only the report lists are kept"


CLOUDMAPPER_DETAILS = "cloudmapper-demo-iam-get-account-authorization-details.json"
CLOUDMAPPER_REPORT = "cloudmapper-demo-iam-get-credential-report.json"
CLOUDMAPPER_TRAILS = "cloudmapper-demo-cloudtrail-describe-trails.json"
GET_AGENT = "custodian-placebo-bedrock-agent-GetAgent.json"


def _in_partition(directory: Path, partition: str, names: list[str], policies_only: bool = False) -> list[Path]:
    """Copies of recorded exports with every ARN in ``partition``, as the same exports read in
    GovCloud (aws-us-gov) or China (aws-cn); ``policies_only``: the authorization details without
    principals, as ``--filter LocalManagedPolicy AWSManagedPolicy`` writes them."""
    copies = []
    for name in names:
        text = (AWS / name).read_text().replace("arn:aws:", f"arn:{partition}:")
        if policies_only:
            data = json.loads(text)
            text = json.dumps({**data, "UserDetailList": [], "GroupDetailList": [], "RoleDetailList": []})
        copies.append(directory / name)
        copies[-1].write_text(text)
    return copies


@pytest.mark.parametrize("partition", ["aws", "aws-us-gov", "aws-cn"])
@pytest.mark.parametrize(
    ("names", "policies_only", "account"),
    [
        ([CLOUDMAPPER_DETAILS], False, "123456789012"),
        ([CLOUDMAPPER_DETAILS], True, "123456789012"),
        ([CLOUDMAPPER_TRAILS], False, "123456789012"),
        ([GET_AGENT], False, "644160558196"),
        ([CLOUDMAPPER_DETAILS, CLOUDMAPPER_REPORT, CLOUDMAPPER_TRAILS], False, "123456789012"),
    ],
    ids=["authorization-details", "policies-only", "describe-trails", "get-agent", "all-three"],
)
def test_an_exported_account_keeps_the_partition_of_its_arns(
    tmp_path: Path, partition: str, names: list[str], policies_only: bool, account: str
) -> None:
    """The root user, which only a credential report lists, is made up for an account known from
    other exports: its ARN (and every other ARN made up for the account) is in the partition the
    exported ARNs are in, not always arn:aws."""
    files = _in_partition(tmp_path, partition, names, policies_only)
    inventory = collect(SourceSpec("file", ",".join(str(f) for f in files)))
    assert [i.uid for i in inventory.identities if i.kind == "root"] == [f"arn:{partition}:iam::{account}:root"]
    records = [*inventory.identities, *inventory.credentials, *inventory.grants, *inventory.agents]
    uids = [r.uid for r in [*records, *inventory.log_sources] if r.uid.startswith("arn:")]
    assert uids and {uid.split(":")[1] for uid in uids} == {partition}


def test_an_exported_account_whose_records_hold_no_arn_keeps_the_aws_partition() -> None:
    from scanner.model import Inventory
    from scanner.sources.aws.exports import AccountExports, AwsExports, aws_inventory

    inventory = Inventory(collected_at=datetime.now(UTC))
    aws_inventory(AwsExports(accounts={"111122223333": AccountExports(details_read=True)}), inventory)
    assert [i.uid for i in inventory.identities] == ["arn:aws:iam::111122223333:root"]


def test_authorization_details_holding_dates_after_the_credential_report_are_judged_at_the_scan(
    cli, tmp_path: Path
) -> None:
    """Reader: the CloudMapper demo's credential report was generated 2019-05-07T15:40:22Z; its
    authorization details, which do not say when they were taken, hold users created on
    2021-03-13. Judged at the report's time, those users' ages (and any role's last use) were
    negative, and an age limit passed them; the details were taken after the report, at a time
    they do not say, so the exports are judged at the time of the scan, and the notes say why."""
    started = datetime.now(UTC)
    data = scan_file(cli, tmp_path, AWS / CLOUDMAPPER_DETAILS, AWS / CLOUDMAPPER_REPORT, partial=True)
    details = json.loads((AWS / CLOUDMAPPER_DETAILS).read_text())
    held = [datetime.fromisoformat(p["CreateDate"]) for p in details["UserDetailList"] + details["RoleDetailList"]]
    as_of = datetime.fromisoformat(data["scan"]["as_of"].replace("Z", "+00:00"))
    assert max(held) > datetime(2019, 5, 7, 15, 40, 22, tzinfo=UTC) and as_of >= started
    (notes,) = [s["notes"] for s in data["scan"]["sources"] if s["notes"]]
    assert any("authorization details hold dates after its credential report" in note for note in notes)


def test_a_get_agent_export_newer_than_the_credential_report_makes_the_exports_judged_at_the_scan(
    cli, tmp_path: Path
) -> None:
    """Reader: Cloud Custodian's recorded credential report of account 644160558196 was generated
    2017-02-22; its recorded get-agent answer for an agent of the same account shows it created,
    updated and prepared on 2024-02-15. The exports were taken apart, the agent's after 2024: judged
    at the report's time, kapil, last used 2016-11-25 (89 days before it), passed NHI-OWN-003
    (unused for 90 days). They are judged at the time of the scan, and the notes say why."""
    started = datetime.now(UTC)
    data = scan_file(
        cli, tmp_path, AWS / "custodian-placebo-iam-GetCredentialReport.json", AWS / GET_AGENT, partial=True
    )
    as_of = datetime.fromisoformat(data["scan"]["as_of"].replace("Z", "+00:00"))
    assert as_of >= started
    notes = [note for source in data["scan"]["sources"] for note in source["notes"]]
    assert any("its get-agent exports hold dates after its credential report" in note for note in notes)
    assert "kapil" in failing(data, "NHI-OWN-003")


def test_authorization_details_no_newer_than_the_credential_report_are_judged_at_its_time(tmp_path: Path) -> None:
    """The usual pair, taken together: every date the details hold precedes the report's
    GeneratedTime, and ages count from that time (the recorded details with every date moved
    before the recorded report's)."""

    def dated_before_the_report(value: object) -> None:
        for item in value.values() if isinstance(value, dict) else value if isinstance(value, list) else ():
            dated_before_the_report(item)
        if isinstance(value, dict):
            for key in ("CreateDate", "UpdateDate", "LastUsedDate"):
                if key in value:
                    value[key] = "2019-05-01T00:00:00+00:00"

    details = json.loads((AWS / CLOUDMAPPER_DETAILS).read_text())
    dated_before_the_report(details)
    (tmp_path / "details.json").write_text(json.dumps(details))
    inventory = collect(SourceSpec("file", f"{tmp_path / 'details.json'},{AWS / CLOUDMAPPER_REPORT}"))
    assert inventory.collected_at == datetime(2019, 5, 7, 15, 40, 22, tzinfo=UTC)
    assert not inventory.sources[0].notes


def test_a_users_groups_an_export_does_not_list_leave_its_grants_unknown_not_empty(cli, tmp_path: Path) -> None:
    """Cloudsplaining's export holds userwithlotsofpermissions, whose own policy writes S3 objects
    and whose admin group holds AdministratorAccess. Written as `get-account-authorization-details
    --filter User Role` writes it (no groups, no policies), the group's policies are not in the
    file: they are unknown, never nothing, so no control passes the user on privileges it could
    not see."""
    full = json.loads((AWS / "cloudsplaining-example-authorization-details.json").read_text())
    filtered = {"UserDetailList": full["UserDetailList"], "RoleDetailList": full["RoleDetailList"]}
    (tmp_path / "users-and-roles.json").write_text(json.dumps(filtered))

    whole = scan_file(cli, tmp_path / "whole", AWS / "cloudsplaining-example-authorization-details.json", partial=True)
    assert "userwithlotsofpermissions" in failing(whole, "NHI-PRIV-001"), "AdministratorAccess through its group"

    data = scan_file(cli, tmp_path / "filtered", tmp_path / "users-and-roles.json", partial=True)
    statuses = {(f["control_id"], f["resource"]["name"]): f["status"] for f in data["findings"]}
    assert statuses[("NHI-PRIV-001", "userwithlotsofpermissions")] == "unknown"
    assert statuses[("NHI-PRIV-003", "userwithlotsofpermissions")] == "unknown"
    user = "arn:aws:iam::012345678901:user/userwithlotsofpermissions"
    inventory = collect(SourceSpec("file", str(tmp_path / "users-and-roles.json")))
    (group,) = [g for g in inventory.grants if g.identity_uid == user and g.source == "group:admin"]
    assert group.attributes["group"] == "admin" and group.unknown == ["actions"]


def test_exports_without_authorization_details_leave_the_accounts_roles_unread(cli, tmp_path: Path) -> None:
    """The credential report lists users alone: a scan of it held no role, its source complete, and a
    gate passed on an administrator role it never saw. The account's identities are unknown and the
    source partial (exit 3), the missing export named."""
    report = AWS / CLOUDMAPPER_REPORT
    outcome = cli("scan", f"file:{report}", "--format", "json", "-o", str(tmp_path), "-q", "--fail-on", "critical")
    assert outcome.exit_code == 3, outcome.output
    data = json.loads((tmp_path / "results.json").read_text())
    (account,) = data["inventory"]["accounts"]
    assert "identities" in account["unknown"]
    (source,) = [s for s in data["scan"]["sources"] if s["account"] == account["uid"]]
    assert source["status"] == "partial"
    assert [e["call"] for e in source["errors"]] == ["iam:GetAccountAuthorizationDetails", "cloudtrail:DescribeTrails"]
    inventory = collect(SourceSpec("file", f"{AWS / CLOUDMAPPER_DETAILS},{report},{AWS / CLOUDMAPPER_TRAILS}"))
    # with them, no export is missing (what is left is that the two disagree on the account's users)
    assert {e.code for s in inventory.sources for e in s.errors} == {"ExportsDisagree"}
