"""Recorded AWS exports with one hostile change each: every one is refused in one line (exit 2) or
read with what it cannot say unknown, never a traceback (exit 4) and never a pass on garbage. The
recordings are Cloud Custodian's and CloudMapper's (unedited on disk; the change is made here)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from scanner.model import Inventory
from scanner.scan import ScanOptions, run_scan
from scanner.sources.aws.iam import build_iam
from scanner.sources.aws.logging_sources import trail_covers

from .conftest import SHARED

AWS = SHARED / "realworld" / "aws"


def _recorded(name: str) -> dict[str, Any]:
    return json.loads((AWS / name).read_text())


def _scan(cli, tmp_path: Path, document: Any) -> Any:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(document))
    return cli("scan", f"file:{path}", "--no-history", "-o", str(tmp_path / "out"), "--format", "json", "-q",
               "--fail-on", "none", "--include-passed", "--allow-partial")  # fmt: skip


def test_a_credential_report_generated_on_a_day_no_calendar_has_is_refused_in_one_line(cli, tmp_path: Path) -> None:
    report = _recorded("cloudmapper-demo-iam-get-credential-report.json")
    report["GeneratedTime"] = "2019-02-30T00:00:00+00:00"
    outcome = _scan(cli, tmp_path, report)
    assert outcome.exit_code == 2 and "Traceback" not in outcome.output
    assert "GeneratedTime is no time that exists" in " ".join(outcome.output.split())


def test_a_get_agent_whose_role_is_not_text_is_refused_in_one_line(cli, tmp_path: Path) -> None:
    agent = _recorded("custodian-placebo-bedrock-agent-GetAgent.json")
    agent["data"]["agent"]["agentResourceRoleArn"] = 5
    outcome = _scan(cli, tmp_path, agent)
    assert outcome.exit_code == 2 and "agentResourceRoleArn is not text" in outcome.output


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s["EventSelectors"][0]["DataResources"][0].update(Values=5),
        lambda s: s["EventSelectors"][0].update(DataResources=7),
    ],
)
def test_event_selectors_of_other_shapes_record_nothing_rather_than_stop_the_scan(change) -> None:
    selectors = copy.deepcopy(_recorded("custodian-placebo-cloudtrail-GetEventSelectors-s3-data-only.json")["data"])
    change(selectors)
    assert trail_covers({}, selectors) == set()


def test_a_read_only_test_written_as_one_value_is_that_value_not_its_letters() -> None:
    """Cloud Custodian's recorded advanced selector records write management events only: with its
    readOnly test written as "NotEquals": "true" instead, it records the same."""
    selectors = copy.deepcopy(_recorded("custodian-placebo-cloudtrail-GetEventSelectors-advanced.json")["data"])
    fields = selectors["AdvancedEventSelectors"][0]["FieldSelectors"]
    fields[:] = [f for f in fields if f["Field"] != "eventSource"]  # the KMS exclusion kept apart
    assert trail_covers({}, selectors) == {"management_write"}
    fields[-1] = {"Field": "readOnly", "NotEquals": "true"}
    assert trail_covers({}, selectors) == {"management_write"}


def test_a_null_external_id_names_no_caller(catalogs) -> None:
    details = _recorded("cloudsplaining-example-authorization-details.json")
    role = copy.deepcopy(details["RoleDetailList"][0])
    role["AssumeRolePolicyDocument"] = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
                       "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": None}}}],
    }  # fmt: skip
    account = role["Arn"].split(":")[4]
    records = build_iam(account, {"RoleDetailList": [role]}, None)
    inventory = Inventory(collected_at=datetime(2026, 12, 1, tzinfo=UTC), identities=records.identities)
    result = run_scan(inventory, catalogs, ScanOptions(keep_passed=True))
    (finding,) = [f for f in result.findings if f.control_id == "NHI-PRIV-004"]
    assert finding.status == "fail"


def test_a_federated_trust_with_a_condition_of_another_shape_is_read_as_unknown(cli, tmp_path: Path) -> None:
    details = _recorded("cloudsplaining-example-authorization-details.json")
    role = details["RoleDetailList"][0]
    provider = f"arn:aws:iam::{role['Arn'].split(':')[4]}:oidc-provider/x"
    role["AssumeRolePolicyDocument"] = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Federated": provider},
                       "Action": "sts:AssumeRoleWithWebIdentity", "Condition": "x"}],
    }  # fmt: skip
    outcome = _scan(
        cli, tmp_path, {"RoleDetailList": [role], "UserDetailList": [], "GroupDetailList": [], "Policies": []}
    )
    assert outcome.exit_code == 0 and "Traceback" not in outcome.output, outcome.output
