"""A key its provider reports as exposed is not active (NHI-CRED-012): what Google and AWS say of a
leaked key is read onto the key, and a key whose reader could not carry it is unknown, never clean.

- GCP: a ServiceAccountKey's ``disableReason`` and ``extendedStatus``, as the IAM REST reference
  documents them (https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts.keys).
  Unset fields are left out of the JSON, so a key without them says nothing only where the reader is
  known to carry them; google-cloud-iam's gRPC message has neither field.
- AWS: the managed policy AWSCompromisedKeyQuarantine (V2, V3) that AWS attaches to a user whose key
  it found exposed, the key left active
  (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSCompromisedKeyQuarantineV3.html),
  as get-account-authorization-details lists a user's policies
  (https://docs.aws.amazon.com/IAM/latest/APIReference/API_UserDetail.html).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from google.cloud import iam_admin_v1

from scanner.scan import ScanOptions, run_scan
from scanner.sources import SourceSpec, collect
from scanner.sources.gcp import records
from scanner.sources.gcp.projects import rest_shape

from .conftest import SHARED
from .gcp_estate import PROD, RECORDED_KEYS_OWNER
from .test_gcp_source import fake_gcp, scan  # noqa: F401  (fixture)

CONTROL = "NHI-CRED-012"
PROJECT = "acme-prod"
HOLDER = f"deployer@{PROJECT}.iam.gserviceaccount.com"
ACCOUNT = "111122223333"
QUARANTINE_V3 = {
    "PolicyName": "AWSCompromisedKeyQuarantineV3",
    "PolicyArn": "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3",
}
READ_ONLY = {"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}


def _gcp_key(key_id: str, **flags: Any) -> dict[str, Any]:
    """A keys.list item in the documented shape (ServiceAccountKey, JSON representation)."""
    return {
        "name": f"projects/{PROJECT}/serviceAccounts/{HOLDER}/keys/{key_id}",
        "validAfterTime": "2026-09-01T10:00:00Z",
        "validBeforeTime": "9999-12-31T23:59:59Z",
        "keyAlgorithm": "KEY_ALG_RSA_2048",
        "keyOrigin": "GOOGLE_PROVIDED",
        "keyType": "USER_MANAGED",
        **flags,
    }


def _statuses(inventory: Any, catalogs: Any) -> dict[str, tuple[str, str]]:
    """NHI-CRED-012's status and message for each credential, by uid."""
    result = run_scan(inventory, catalogs, ScanOptions(keep_passed=True))
    return {f.resource.uid: (f.status, f.message) for f in result.findings if f.control_id == CONTROL}


# ---------------------------------------------------------------------------------------------- GCP


def test_a_gcp_key_google_found_exposed_and_enabled_again_fails(tmp_path: Path, catalogs) -> None:
    """Google keeps extendedStatus for the key's lifetime; keys.enable turns a key it disabled back on."""
    exposed = _gcp_key(
        "1" * 40,
        disabled=False,
        extendedStatus=[
            {
                "key": "SERVICE_ACCOUNT_KEY_EXTENDED_STATUS_KEY_EXPOSED",
                "value": "exposed at: https://github.com/acme/app",
            }
        ],
    )
    (tmp_path / "keys.json").write_text(json.dumps([exposed]))
    inventory = collect(SourceSpec("file", str(tmp_path / "keys.json")))
    (key,) = inventory.credentials
    assert key.attributes["exposure_reports"] == [
        "SERVICE_ACCOUNT_KEY_EXTENDED_STATUS_KEY_EXPOSED: exposed at: https://github.com/acme/app"
    ]
    status, message = _statuses(inventory, catalogs)[key.uid]
    assert status == "fail" and "SERVICE_ACCOUNT_KEY_EXTENDED_STATUS_KEY_EXPOSED" in message


def test_a_gcp_key_google_disabled_as_exposed_no_longer_works(tmp_path: Path, catalogs) -> None:
    disabled = _gcp_key(
        "2" * 40,
        disabled=True,
        disableReason="SERVICE_ACCOUNT_KEY_DISABLE_REASON_EXPOSED",
        extendedStatus=[{"key": "SERVICE_ACCOUNT_KEY_EXTENDED_STATUS_KEY_EXPOSED", "value": "public GitHub repo"}],
    )
    (tmp_path / "keys.json").write_text(json.dumps([disabled]))
    inventory = collect(SourceSpec("file", str(tmp_path / "keys.json")))
    (key,) = inventory.credentials
    assert key.attributes["exposure_reports"][0] == "SERVICE_ACCOUNT_KEY_DISABLE_REASON_EXPOSED"
    assert CONTROL not in {f.control_id for f in run_scan(inventory, catalogs, ScanOptions()).findings}


def test_a_gcp_key_found_compromised_fails_as_an_exposed_one_does(catalogs) -> None:
    key = records.service_account_key(
        _gcp_key("3" * 40, extendedStatus=[{"key": "SERVICE_ACCOUNT_KEY_EXTENDED_STATUS_KEY_COMPROMISE_DETECTED"}]),
        HOLDER,
    )
    assert key.active and key.attributes["exposure_reports"] == [
        "SERVICE_ACCOUNT_KEY_EXTENDED_STATUS_KEY_COMPROMISE_DETECTED"
    ]


def test_an_exported_gcp_key_without_the_flags_is_unknown_not_clean(catalogs) -> None:
    """The recorded keys.list answer (Cloud Custodian's, unedited) predates the fields: an export
    cannot tell a key nothing was reported of from one a tool dropped the report of."""
    recorded = json.loads(
        (SHARED / "realworld" / "gcp" / "custodian-flight-iam-serviceAccounts-keys-list.json").read_text()
    )
    inventory = collect(
        SourceSpec("file", str(SHARED / "realworld" / "gcp" / "custodian-flight-iam-serviceAccounts-keys-list.json"))
    )
    assert len(inventory.credentials) == len(recorded["body"]["keys"])
    for key in inventory.credentials:
        assert "exposure_reports" not in key.attributes and records.EXPOSURE in key.unknown
    statuses = _statuses(inventory, catalogs)
    assert statuses and {status for status, _ in statuses.values()} == {"unknown"}
    assert all("exposure_reports not collected" in message for _, message in statuses.values())


def test_an_exported_gcp_key_that_carries_the_fields_and_no_report_passes(tmp_path: Path, catalogs) -> None:
    """A key a user disabled and enabled again keeps its disableReason: the export carries the fields."""
    clean = _gcp_key("4" * 40, disableReason="SERVICE_ACCOUNT_KEY_DISABLE_REASON_USER_INITIATED")
    (tmp_path / "keys.json").write_text(json.dumps([clean]))
    inventory = collect(SourceSpec("file", str(tmp_path / "keys.json")))
    (key,) = inventory.credentials
    assert key.attributes["exposure_reports"] == []
    assert _statuses(inventory, catalogs)[key.uid][0] == "pass"


def test_the_iam_grpc_message_cannot_carry_the_flags_so_keys_are_listed_over_rest() -> None:
    """google-cloud-iam's ServiceAccountKey has no disable_reason or extended_status: a key read
    through it could never show Google's report, so the live source lists keys over REST."""
    fields = set(iam_admin_v1.ServiceAccountKey.meta.fields)
    assert {"disable_reason", "extended_status"}.isdisjoint(fields)
    message = iam_admin_v1.ServiceAccountKey(name=_gcp_key("5" * 40)["name"], key_type="USER_MANAGED")
    key = records.service_account_key(rest_shape(message), HOLDER)
    assert records.EXPOSURE in key.unknown and "exposure_reports" not in key.attributes


def test_a_live_project_scan_reads_what_google_reports_of_each_key(fake_gcp, catalogs) -> None:  # noqa: F811
    """Live, per project (IAM REST keys.list): the recorded keys report nothing and pass; a key
    Google found exposed and that was enabled again fails."""
    leaked = _gcp_key("9" * 40, extendedStatus=[{"key": "SERVICE_ACCOUNT_KEY_EXTENDED_STATUS_KEY_EXPOSED",
                                                "value": "exposed at: https://github.com/acme/app"}])  # fmt: skip
    leaked["name"] = leaked["name"].replace(f"projects/{PROJECT}/serviceAccounts/{HOLDER}",
                                            f"projects/{PROD}/serviceAccounts/{RECORDED_KEYS_OWNER}")  # fmt: skip
    fake_gcp.state.keys[RECORDED_KEYS_OWNER].append(leaked)
    inventory, _ = scan(fake_gcp, assets=False, projects=(PROD,))
    statuses = _statuses(inventory, catalogs)
    by_key = {uid.rsplit(":", 1)[-1]: status for uid, (status, _) in statuses.items()}
    assert by_key.pop("9" * 40) == "fail"
    assert by_key and set(by_key.values()) == {"pass"}, "the other user-managed keys were read and report nothing"


def test_a_reader_known_to_carry_the_flags_records_that_none_were_set() -> None:
    key = records.service_account_key(_gcp_key("6" * 40), HOLDER, exposure_read=True)
    assert key.attributes["exposure_reports"] == [] and records.EXPOSURE not in key.unknown


def test_an_extended_status_of_another_shape_is_unknown_not_clean() -> None:
    key = records.service_account_key(_gcp_key("7" * 40, extendedStatus="KEY_EXPOSED"), HOLDER, exposure_read=True)
    assert records.EXPOSURE in key.unknown


# ---------------------------------------------------------------------------------------------- AWS


def _user(name: str, attached: list[dict[str, str]] | None) -> dict[str, Any]:
    """A UserDetail as get-account-authorization-details returns it; ``attached`` None leaves the
    list out, as an export of another tool may."""
    user: dict[str, Any] = {
        "Path": "/",
        "UserName": name,
        "UserId": f"AIDA{name.upper():0<17}"[:21],
        "Arn": f"arn:aws:iam::{ACCOUNT}:user/{name}",
        "CreateDate": "2025-01-10T08:00:00Z",
        "GroupList": [],
        "UserPolicyList": [],
        "Tags": [],
    }
    if attached is not None:
        user["AttachedManagedPolicies"] = attached
    return user


REPORT_HEADER = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,"
    "access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,"
    "access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
)


def _report_row(name: str) -> str:
    """A credential report row (the columns of the recorded report in ../shared/realworld/aws):
    one active access key, used yesterday."""
    return (
        f"{name},arn:aws:iam::{ACCOUNT}:user/{name},2025-01-10T08:00:00+00:00,false,N/A,N/A,N/A,false,"
        "true,2026-11-01T08:00:00+00:00,2026-11-30T08:00:00+00:00,us-east-1,s3,"
        "false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"
    )


def _aws_exports(folder: Path, users: list[dict[str, Any]], reported: list[str]) -> Any:
    details = {
        "UserDetailList": users,
        "GroupDetailList": [],
        "RoleDetailList": [],
        "Policies": [],
        "IsTruncated": False,
    }
    (folder / "authorization-details.json").write_text(json.dumps(details))
    rows = "\n".join([REPORT_HEADER, *(_report_row(name) for name in reported)])
    (folder / "credential-report.csv").write_text(rows + "\n")
    return collect(SourceSpec("file", str(folder)))


def _by_user(inventory: Any, catalogs: Any) -> dict[str, tuple[str, str]]:
    statuses = _statuses(inventory, catalogs)
    return {c.identity_uid.rsplit("/", 1)[-1]: statuses[c.uid] for c in inventory.credentials if c.uid in statuses}


def test_an_active_key_of_a_user_aws_quarantined_fails(tmp_path: Path, catalogs) -> None:
    inventory = _aws_exports(tmp_path, [_user("ci-leaked", [READ_ONLY, QUARANTINE_V3])], ["ci-leaked"])
    (key,) = [c for c in inventory.credentials if c.kind == "access_key"]
    assert key.active and key.attributes["exposure_reports"] == ["AWSCompromisedKeyQuarantineV3"]
    status, message = _by_user(inventory, catalogs)["ci-leaked"]
    assert status == "fail" and "AWSCompromisedKeyQuarantineV3" in message


def test_an_active_key_of_a_user_whose_policies_name_no_quarantine_passes(tmp_path: Path, catalogs) -> None:
    inventory = _aws_exports(tmp_path, [_user("ci-clean", [READ_ONLY]), _user("ci-bare", [])], ["ci-clean", "ci-bare"])
    assert {user: status for user, (status, _) in _by_user(inventory, catalogs).items()} == {
        "ci-clean": "pass",
        "ci-bare": "pass",
    }


def test_a_policy_of_the_same_name_in_the_customers_account_is_not_aws_quarantine(tmp_path: Path, catalogs) -> None:
    own = {
        "PolicyName": "AWSCompromisedKeyQuarantineV3",
        "PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/AWSCompromisedKeyQuarantineV3",
    }
    inventory = _aws_exports(tmp_path, [_user("ci", [own])], ["ci"])
    assert _by_user(inventory, catalogs)["ci"][0] == "pass"


def test_keys_of_users_whose_policies_were_not_read_are_unknown(tmp_path: Path, catalogs) -> None:
    """A user only the credential report lists, one whose details carry no policy list, and the
    root user (no policy can be attached to it): what AWS reports of their keys was not read."""
    inventory = _aws_exports(tmp_path, [_user("ci-unlisted", None)], ["ci-unlisted", "ci-report-only"])
    statuses = _by_user(inventory, catalogs)
    assert {user: status for user, (status, _) in statuses.items()} == {
        "ci-unlisted": "unknown",
        "ci-report-only": "unknown",
    }
    assert all("exposure_reports not collected" in message for _, message in statuses.values())


def test_the_root_users_keys_are_unknown(tmp_path: Path, catalogs) -> None:
    root = _report_row("<root_account>").replace("user/<root_account>", "root")
    (tmp_path / "credential-report.csv").write_text(f"{REPORT_HEADER}\n{root}\n")
    inventory = collect(SourceSpec("file", str(tmp_path)))
    (key,) = [c for c in inventory.credentials if c.kind == "access_key"]
    assert key.identity_uid == f"arn:aws:iam::{ACCOUNT}:root" and records.EXPOSURE in key.unknown
    assert _statuses(inventory, catalogs)[key.uid][0] == "unknown"


def test_a_live_scan_fails_the_active_key_of_a_user_aws_quarantined(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Live, against moto over HTTP (its copy of AWS's managed AWSCompromisedKeyQuarantineV3): a user
    with it attached and an active access key fails; a user beside it without it passes."""
    from .aws_estate import _clients
    from .aws_fake import FakeAws

    fake = FakeAws()
    try:
        for name, value in fake.environment().items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
        # moto loads its copy of AWS's managed policies into an account only when told to
        monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        fake.reset()  # the account's IAM is made again, with the managed policies
        iam = _clients(fake)["iam"]
        for user in ("leaked-ci", "clean-ci"):
            iam.create_user(UserName=user)
            iam.create_access_key(UserName=user)
        iam.attach_user_policy(UserName="leaked-ci", PolicyArn=QUARANTINE_V3["PolicyArn"])
        outcome = cli("scan", "aws", "--aws-regions", "us-east-1", "--format", "json", "-o", str(tmp_path), "-q",
                      "--fail-on", "none", "--allow-partial")  # fmt: skip
    finally:
        monkeypatch.delenv("MOTO_IAM_LOAD_MANAGED_POLICIES")
        fake.reset()  # moto's accounts are the process's: none keeps a thousand managed policies
        fake.stop()
    assert outcome.exit_code == 0, outcome.output
    data = json.loads((tmp_path / "results.json").read_text())
    failing = {f["resource"]["name"] for f in data["findings"] if f["control_id"] == CONTROL and f["status"] == "fail"}
    assert len(failing) == 1 and next(iter(failing)).endswith("of leaked-ci"), failing
    (clean,) = [c for c in data["inventory"]["credentials"] if c["identity_uid"].endswith(":user/clean-ci")]
    assert clean["attributes"]["exposure_reports"] == []
