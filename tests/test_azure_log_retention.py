"""An Azure diagnostic setting keeps each log category for its own retention: the setting's logs
are kept as long as its shortest category, so a year for Administrative does not make a month of
Security a year (NHI-LOG-008)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scanner.model import Inventory
from scanner.scan import ScanOptions, run_scan
from scanner.sources.azure.records import diagnostic_setting

SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"


def _setting(*retentions: tuple[str, bool, int]) -> dict[str, Any]:
    """A diagnostic setting as Azure Monitor's REST API returns one (storage account destination,
    a retentionPolicy per category)."""
    return {
        "id": f"/subscriptions/{SUBSCRIPTION}/providers/microsoft.insights/diagnosticSettings/activity-to-storage",
        "name": "activity-to-storage",
        "properties": {
            "storageAccountId": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/logs/providers/Microsoft.Storage/"
            "storageAccounts/auditlogs",
            "logs": [
                {"category": category, "enabled": True, "retentionPolicy": {"enabled": enabled, "days": days}}
                for category, enabled, days in retentions
            ],
        },
    }


def _log_008(setting: dict[str, Any], catalogs: Any) -> tuple[int | None, str]:
    source = diagnostic_setting(setting, SUBSCRIPTION, "activity_log")
    inventory = Inventory(collected_at=datetime(2026, 12, 1, tzinfo=UTC), log_sources=[source])
    result = run_scan(inventory, catalogs, ScanOptions(keep_passed=True))
    (finding,) = [f for f in result.findings if f.control_id == "NHI-LOG-008"]
    return source.retention_days, finding.status


def test_a_setting_keeping_one_category_a_month_fails_though_another_is_kept_a_year(catalogs) -> None:
    setting = _setting(("Administrative", True, 400), ("Security", True, 30), ("Policy", True, 365))
    assert _log_008(setting, catalogs) == (30, "fail")


def test_a_setting_keeping_every_category_a_year_passes(catalogs) -> None:
    setting = _setting(("Administrative", True, 400), ("Security", True, 365), ("Policy", True, 730))
    assert _log_008(setting, catalogs) == (365, "pass")


def test_a_setting_whose_retention_is_not_set_on_any_category_is_unknown(catalogs) -> None:
    """With no retention policy in force the destination's own retention decides, which is not read."""
    setting = _setting(("Administrative", False, 0), ("Security", False, 0))
    assert _log_008(setting, catalogs) == (None, "unknown")


def test_an_activity_log_setting_is_kept_as_long_as_its_audit_categories(catalogs) -> None:
    """Autoscale kept a month says nothing of how long Administrative, Security and Policy are kept."""
    setting = _setting(("Administrative", True, 400), ("Security", True, 365), ("Policy", True, 365),
                       ("Autoscale", True, 30))  # fmt: skip
    assert _log_008(setting, catalogs) == (365, "pass")


def test_a_retention_that_is_not_a_number_of_days_is_not_read() -> None:
    setting = _setting(("Administrative", True, 400))
    setting["properties"]["logs"][0]["retentionPolicy"]["days"] = "forever"
    source = diagnostic_setting(setting, SUBSCRIPTION, "activity_log")
    assert source.retention_days is None and "retention_days" in source.unknown
