"""NHI-SECRET-002 reads a Secrets Manager secret's rotation schedule as ListSecrets returns it
(moto over real HTTP): a secret rotated last week on a yearly schedule does not rotate within 90
days, and a schedule nhiscan cannot work out (a cron expression) leaves the result unknown (moto
reports a secret scheduled by an expression as not rotating, so that one is read from the shape
AWS's API reference gives)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scanner.model import Inventory
from scanner.scan import ScanOptions, run_scan
from scanner.sources.aws.logging_sources import rotation_interval_days, secret_record

from .aws_estate import _clients, scan_one_region, seeded
from .aws_fake import FakeAws


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeAws]:
    with seeded() as (fake, _):
        secrets = _clients(fake)["secretsmanager"]
        for name, rules in (
            ("prod/reports/db", {"AutomaticallyAfterDays": 365}),
            ("prod/billing/db", {"AutomaticallyAfterDays": 30}),
        ):
            secrets.create_secret(Name=name, SecretString="not-a-real-secret")
            secrets.rotate_secret(SecretId=name, RotationRules=rules, RotateImmediately=False)
        yield fake


def test_a_secrets_rotation_schedule_decides_whether_it_rotates_within_90_days(
    fake: FakeAws, cli, tmp_path: Path
) -> None:
    fake.clear_faults()
    outcome = scan_one_region(cli, tmp_path)
    assert outcome.exit_code == 0, outcome.output
    findings = json.loads((tmp_path / "results.json").read_text())["findings"]
    status = {f["resource"]["name"]: f for f in findings if f["control_id"] == "NHI-SECRET-002"}
    yearly = status["managed_secret prod/reports/db"]
    assert yearly["status"] == "fail" and yearly["evidence"]["attributes.rotation_interval_days"] == 365
    assert "managed_secret prod/billing/db" not in status, "every 30 days, rotated since: a pass, not listed"


@pytest.mark.parametrize(
    ("rules", "days"),
    [
        ({"AutomaticallyAfterDays": 30}, 30),
        ({"ScheduleExpression": "rate(10 days)"}, 10),  # the form AWS's rotation documentation gives
        ({"ScheduleExpression": "rate(4 hours)", "Duration": "1h"}, 1),
        ({"ScheduleExpression": "cron(0 16 1,15 * ? *)"}, None),
        # what ListSecrets returns once a rotation on that schedule ran: the days worked out
        ({"ScheduleExpression": "cron(0 16 1,15 * ? *)", "AutomaticallyAfterDays": 14}, 14),
        ({"ScheduleExpression": "rate(\u0663 days)"}, None),  # an Arabic-Indic three is no number of days here
        ({}, None),
        (None, None),
    ],
)
def test_the_rotation_interval_in_days(rules, days) -> None:
    assert rotation_interval_days(rules) == days


def test_a_secret_scheduled_by_a_cron_expression_is_unknown_not_passed(catalogs) -> None:
    listed = {
        "ARN": "arn:aws:secretsmanager:us-west-2:123456789012:secret:MyTestDatabaseSecret-a1b2c3",
        "Name": "MyTestDatabaseSecret",
        "RotationEnabled": True,
        "RotationLambdaARN": "arn:aws:lambda:us-west-2:123456789012:function:MyTestRotationLambda",
        "RotationRules": {"ScheduleExpression": "cron(0 16 1,15 * ? *)", "Duration": "2h"},
        "LastRotatedDate": datetime(2026, 11, 25, tzinfo=UTC),
        "CreatedDate": datetime(2025, 1, 1, tzinfo=UTC),
    }
    secret = secret_record(listed, "123456789012")
    inventory = Inventory(collected_at=datetime(2026, 12, 1, tzinfo=UTC), credentials=[secret])
    result = run_scan(inventory, catalogs, ScanOptions(keep_passed=True))
    (finding,) = [f for f in result.findings if f.control_id == "NHI-SECRET-002"]
    assert finding.status == "unknown"


def test_rotation_enabled_only_when_the_answer_says_true() -> None:
    listed = {"ARN": "arn:aws:secretsmanager:us-west-2:123456789012:secret:s-a1b2c3", "Name": "s",
              "RotationEnabled": "false", "RotationRules": {"AutomaticallyAfterDays": 30}}  # fmt: skip
    assert secret_record(listed, "123456789012").attributes["rotation_enabled"] is False
