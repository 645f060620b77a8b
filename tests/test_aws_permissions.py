"""docs/permissions/aws-scanner-policy.json is the least privilege the AWS source needs: a scan under
exactly that policy, with moto enforcing IAM, reads everything; one permission fewer is a gap."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote, unquote

import moto.settings
import pytest
from moto.iam.access_control import IAMRequestBase

from scanner.sources.permissions import render

from .aws_estate import MANAGEMENT, _clients
from .conftest import REPO_ROOT
from .test_aws_source import estate, fake_aws  # noqa: F401  (fixtures)

POLICY_FILE = REPO_ROOT / "docs" / "permissions" / "aws-scanner-policy.json"


def test_the_published_policy_is_generated_from_the_source() -> None:
    assert POLICY_FILE.read_text() == render("aws"), "regenerate: python -m scanner.sources.permissions aws"


@pytest.fixture
def enforced(fake_aws, estate, monkeypatch):  # noqa: F811
    """A scanner user holding a given policy; IAM enforced from then on."""

    def as_scanner(policy: dict) -> None:
        iam = _clients(fake_aws)["iam"]
        iam.create_user(UserName="nhiscan")
        iam.put_user_policy(UserName="nhiscan", PolicyName="scan", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName="nhiscan")["AccessKey"]
        fake_aws.state.service_credentials[key["AccessKeyId"]] = fake_aws.state.service_credentials.pop("testing")
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
        monkeypatch.setattr(moto.settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)

    # moto 5.2 checks a REST GET's signature over its parsed query parameters as the body, and over
    # the decoded path (/tags/arn:aws:…), so every such call (bedrock:GetAgent, …) fails with
    # SignatureDoesNotMatch. Check it over what was signed: no body, the path as sent.
    original = IAMRequestBase._create_aws_request

    def create_aws_request(self):  # type: ignore[no-untyped-def]
        if self._method not in ("GET", "DELETE", "HEAD") or self._body:
            return original(self)
        saved = self._data, self._path
        path = self._path
        # an ARN in the path is one label, its "/" encoded too; moto 5.2.4 and later check the path
        # as sent (already encoded), earlier ones the decoded path
        sent = "/tags/" + quote(unquote(path[6:]), safe="") if path.startswith("/tags/") else quote(path, safe="/?&=%")
        self._data, self._path = b"", sent
        try:
            return original(self)
        finally:
            self._data, self._path = saved

    monkeypatch.setattr(IAMRequestBase, "_create_aws_request", create_aws_request)
    return as_scanner


def scan_one_account(cli, out: Path):
    return cli("scan", "aws", "--aws-regions", "us-east-1", "--format", "json", "--output-dir", str(out), "-q")


def test_a_scan_under_exactly_the_published_policy_reads_everything(cli, enforced, tmp_path: Path) -> None:
    enforced(json.loads(POLICY_FILE.read_text()))
    outcome = scan_one_account(cli, tmp_path)
    assert outcome.exit_code == 1, outcome.output
    data = json.loads((tmp_path / "results.json").read_text())
    (source,) = data["scan"]["sources"]
    assert (source["account"], source["status"], source["errors"]) == (MANAGEMENT, "complete", [])
    assert len(data["inventory"]["agents"]) == 1 and data["inventory"]["log_sources"]


def test_one_permission_fewer_is_a_named_gap_not_a_crash(cli, enforced, tmp_path: Path) -> None:
    policy = json.loads(POLICY_FILE.read_text())
    policy["Statement"][0]["Action"].remove("cloudtrail:GetTrailStatus")
    enforced(policy)
    outcome = scan_one_account(cli, tmp_path)
    assert outcome.exit_code == 3
    (source,) = json.loads((tmp_path / "results.json").read_text())["scan"]["sources"]
    assert source["status"] == "partial"
    assert [e["call"] for e in source["errors"]] == ["cloudtrail:GetTrailStatus in us-east-1"]
