"""A trail's event selectors count only for the events they record whole.

Before, only ``readOnly``'s ``Equals`` was read: a write-only selector (``readOnly NotEquals
true``), one narrowed to some event sources, and a basic selector excluding management event
sources or naming one unrelated function's data events all read as recording every management
event (and every Lambda invocation), so NHI-LOG-002, NHI-LOG-009 and NHI-LOG-010 passed.
Cloud Custodian's own test of the recorded advanced selector below expects a failure
(test_cloudtrail_fail_management_advanced_events_included).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from scanner.sources.aws.logging_sources import trail_covers

from .conftest import SHARED

REALWORLD = SHARED / "realworld" / "aws"
TRAIL = {"Name": "t", "IsMultiRegionTrail": True, "HasCustomEventSelectors": True}


def _recorded(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((REALWORLD / name).read_text())["data"]
    return data


def test_custodians_recorded_selectors_read_as_what_they_record() -> None:
    assert trail_covers(TRAIL, _recorded("custodian-placebo-cloudtrail-GetEventSelectors-management.json")) == {
        "management_read",
        "management_write",
    }
    assert trail_covers(TRAIL, _recorded("custodian-placebo-cloudtrail-GetEventSelectors-s3-data-only.json")) == {
        "data_s3"
    }
    # management writes, but not those of KMS and RDS Data: not every management write
    assert trail_covers(TRAIL, _recorded("custodian-placebo-cloudtrail-GetEventSelectors-advanced.json")) == set()


def _advanced(*fields: dict[str, Any]) -> dict[str, Any]:
    return {"AdvancedEventSelectors": [{"FieldSelectors": list(fields)}]}


MANAGEMENT = {"Field": "eventCategory", "Equals": ["Management"]}
DATA = {"Field": "eventCategory", "Equals": ["Data"]}
LAMBDA = {"Field": "resources.type", "Equals": ["AWS::Lambda::Function"]}


@pytest.mark.parametrize(
    ("selectors", "covers"),
    [
        (_advanced(MANAGEMENT), {"management_read", "management_write"}),
        (_advanced(MANAGEMENT, {"Field": "readOnly", "Equals": ["true"]}), {"management_read"}),
        (_advanced(MANAGEMENT, {"Field": "readOnly", "NotEquals": ["true"]}), {"management_write"}),
        (_advanced(MANAGEMENT, {"Field": "eventSource", "Equals": ["ec2.amazonaws.com"]}), set()),
        (_advanced(DATA, LAMBDA), {"data_lambda"}),
        (_advanced(DATA, LAMBDA, {"Field": "resources.ARN", "Equals": ["arn:aws:lambda:eu-west-1:1:function:f"]}),
         set()),
        (
            {"EventSelectors": [{"IncludeManagementEvents": True, "ReadWriteType": "All",
                                 "ExcludeManagementEventSources": ["kms.amazonaws.com"]}]},
            set(),
        ),
        (
            {"EventSelectors": [{"IncludeManagementEvents": False, "ReadWriteType": "All", "DataResources": [
                {"Type": "AWS::Lambda::Function", "Values": ["arn:aws:lambda:us-east-1:111122223333:function:one"]}]}]},
            set(),
        ),
        (
            {"EventSelectors": [{"IncludeManagementEvents": False, "ReadWriteType": "All", "DataResources": [
                {"Type": "AWS::Lambda::Function", "Values": ["arn:aws:lambda"]}]}]},
            {"data_lambda"},
        ),
    ],
)  # fmt: skip
def test_a_selector_counts_for_the_events_it_records_whole(selectors: dict[str, Any], covers: set[str]) -> None:
    assert trail_covers(TRAIL, selectors) == covers


S3 = {"Field": "resources.type", "Equals": ["AWS::S3::Object"]}


def _basic(kind: str, resource_type: str, values: list[str]) -> dict[str, Any]:
    return {"EventSelectors": [{"IncludeManagementEvents": False, "ReadWriteType": kind,
                                "DataResources": [{"Type": resource_type, "Values": values}]}]}  # fmt: skip


@pytest.mark.parametrize(
    ("selectors", "covers"),
    [
        # a Lambda invocation is a write data event: a read-only selector records none
        (_basic("ReadOnly", "AWS::Lambda::Function", ["arn:aws:lambda"]), set()),
        (_basic("WriteOnly", "AWS::Lambda::Function", ["arn:aws:lambda"]), {"data_lambda"}),
        (_basic("WriteOnly", "AWS::S3::Object", ["arn:aws:s3"]), set()),
        (_advanced(DATA, LAMBDA, {"Field": "readOnly", "Equals": ["false"]}), {"data_lambda"}),
        (_advanced(DATA, S3, {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::"]}), {"data_s3"}),
        (_advanced(DATA, S3, {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::one-bucket/"]}), set()),
        (
            {"AdvancedEventSelectors": [
                {"FieldSelectors": [DATA, S3, {"Field": "readOnly", "Equals": ["true"]}]},
                {"FieldSelectors": [DATA, S3, {"Field": "readOnly", "Equals": ["false"]}]},
            ]},
            {"data_s3"},
        ),
    ],
)  # fmt: skip
def test_data_events_count_when_read_and_written_whole_across_selectors(
    selectors: dict[str, Any], covers: set[str]
) -> None:
    assert trail_covers(TRAIL, selectors) == covers
