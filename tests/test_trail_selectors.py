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
