"""A trail that is logging but cannot deliver to its bucket keeps no record nhiscan can vouch for.

GetTrailStatus names the S3 error of the trail's last delivery in ``LatestDeliveryError`` (AWS
CloudTrail API reference: "Displays any Amazon S3 error that CloudTrail encountered when attempting
to deliver log files to the designated bucket"), an empty string when there is none, and no time
says whether a later delivery succeeded. Before, a trail logging into a deleted bucket
(``NoSuchBucket``) passed NHI-LOG-001 as if its events were kept. moto keeps no delivery errors:
the front adds the field to moto's own answer over real HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .aws_estate import MANAGEMENT, scan_one_region, seeded
from .aws_fake import FakeAws


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeAws]:
    with seeded() as (fake, _):
        yield fake


def _scanned(fake: FakeAws, cli: Any, out: Path, status: dict[str, Any]) -> dict[str, Any]:
    fake.clear_faults()
    fake.state.trail_status = {"org-trail": status}  # the management account's multi-region trail
    outcome = scan_one_region(cli, out)
    assert outcome.exit_code == 0, outcome.output
    results: dict[str, Any] = json.loads((out / "results.json").read_text())
    return results


def _management_log_001(results: dict[str, Any]) -> dict[str, Any] | None:
    return next(
        (f for f in results["findings"] if f["control_id"] == "NHI-LOG-001" and f["resource"]["uid"] == MANAGEMENT),
        None,
    )


def test_a_logging_trail_whose_bucket_refuses_its_logs_is_not_known_to_keep_them(
    fake: FakeAws, cli: Any, tmp_path: Path
) -> None:
    results = _scanned(fake, cli, tmp_path, {"IsLogging": True, "LatestDeliveryError": "NoSuchBucket"})
    finding = _management_log_001(results)
    assert finding is not None and finding["status"] == "unknown", finding
    trail = next(s for s in results["inventory"]["log_sources"] if s["name"] == "org-trail")
    assert trail["attributes"]["latest_delivery_error"] == "NoSuchBucket"
    assert "enabled" in trail["unknown"]


def test_an_empty_delivery_error_is_no_error(fake: FakeAws, cli: Any, tmp_path: Path) -> None:
    results = _scanned(fake, cli, tmp_path, {"LatestDeliveryError": ""})  # as real answers carry it
    assert _management_log_001(results) is None, "a pass: not listed"


def test_a_stopped_trail_with_a_delivery_error_is_known_not_to_log(fake: FakeAws, cli: Any, tmp_path: Path) -> None:
    results = _scanned(fake, cli, tmp_path, {"IsLogging": False, "LatestDeliveryError": "AccessDenied"})
    finding = _management_log_001(results)
    assert finding is not None and finding["status"] == "fail", finding
