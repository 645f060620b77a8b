"""X.509 signing certificates are long-lived keys of an IAM user: the credential report lists them
(cert_N_active, cert_N_last_rotated) and nhiscan counts them with the user's access keys (moto over
real HTTP, and a report row laid out as AWS's credential report documentation gives it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from scanner.sources.aws.credential_report import parse_report
from scanner.sources.aws.iam import build_iam

from .aws_estate import CREDENTIAL_REPORT_HEADER, _clients, scan_one_region, seeded
from .aws_fake import FakeAws


def _certificate() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "legacy-signer")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeAws]:
    with seeded() as (fake, _):
        iam = _clients(fake)["iam"]
        iam.create_user(UserName="legacy-signer", Tags=[{"Key": "owner", "Value": "ops@example.com"}])
        iam.create_access_key(UserName="legacy-signer")
        iam.upload_signing_certificate(UserName="legacy-signer", CertificateBody=_certificate())
        yield fake


def test_a_user_with_an_access_key_and_a_signing_certificate_is_not_passed_as_holding_one_key(
    fake: FakeAws, cli, tmp_path: Path
) -> None:
    fake.clear_faults()
    outcome = scan_one_region(cli, tmp_path)
    assert outcome.exit_code == 0, outcome.output
    data = json.loads((tmp_path / "results.json").read_text())
    signer = next(i for i in data["inventory"]["identities"] if i["name"] == "legacy-signer")
    held = [c for c in data["inventory"]["credentials"] if c["identity_uid"] == signer["uid"]]
    assert sorted(c["kind"] for c in held) == ["access_key", "certificate"]
    (certificate,) = [c for c in held if c["kind"] == "certificate"]
    assert certificate["active"] and "created" in certificate["unknown"], "moto's report gives no date (N/A)"
    # whether the certificate is past its end is not in the report: two active keys or one, not a pass
    status = {(f["control_id"], f["resource"]["name"]): f["status"] for f in data["findings"]}
    assert status[("NHI-CRED-004", "legacy-signer")] == "unknown"


def test_a_dated_certificate_in_the_report_is_a_credential_of_that_age() -> None:
    row = (
        "ci-signer,arn:aws:iam::123456789012:user/ci-signer,2019-03-01T10:00:00+00:00,false,N/A,N/A,N/A,false,"
        "false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,true,2019-03-01T10:05:00+00:00,false,N/A"
    )
    rows = parse_report(f"{CREDENTIAL_REPORT_HEADER}\n{row}\n")
    records = build_iam("123456789012", None, rows)
    (certificate,) = records.credentials
    assert certificate.kind == "certificate" and certificate.active
    assert certificate.created == datetime(2019, 3, 1, 10, 5, tzinfo=UTC)
    assert set(certificate.unknown) == {"last_used", "expires"}, "the report gives neither"


def _row(user: str, key: str, certificates: str) -> str:
    return (
        f"{user},arn:aws:iam::123456789012:user/{user},2019-03-01T10:00:00+00:00,false,N/A,N/A,N/A,false,"
        f"{key},false,N/A,N/A,N/A,N/A,{certificates}"
    )


KEY = "true,2019-03-01T10:01:00+00:00,N/A,N/A,N/A"
TWO_CERTIFICATES = "true,2019-03-01T10:05:00+00:00,true,2019-03-02T11:00:00+00:00"


@pytest.mark.parametrize("order", [0, 1])
def test_a_user_listed_twice_keeps_the_copy_that_shows_its_certificates(order: int) -> None:
    copies = [_row("ci-signer", KEY, TWO_CERTIFICATES), _row("ci-signer", KEY, "false,N/A,false,N/A")]
    (row,) = parse_report("\n".join([CREDENTIAL_REPORT_HEADER, *(copies if order == 0 else copies[::-1])]) + "\n")
    assert len(row.certificates) == 2 and row.copies == 2


def test_two_certificates_of_one_second_are_two_credentials() -> None:
    same = "true,2026-11-01T10:05:00+00:00,true,2026-11-01T10:05:00+00:00"
    rows = parse_report(f"{CREDENTIAL_REPORT_HEADER}\n{_row('ci-signer', 'false,N/A,N/A,N/A,N/A', same)}\n")
    uids = [c.uid for c in build_iam("123456789012", None, rows).credentials]
    assert len(uids) == 2 and len(set(uids)) == 2
