"""How long an Azure diagnostic setting's logs are kept is not in the setting.

Azure Monitor stopped applying a diagnostic setting's own ``retentionPolicy`` on 30 September 2025
("Migrate diagnostic settings storage retention to Azure Storage lifecycle management": "All
retention functionality for the Diagnostic Settings Storage Retention feature will be disabled
across all environments"); settings made before still show their days. Logs are now kept as long
as the Log Analytics workspace's tables, or the storage account's lifecycle rules, keep them,
which the source does not read. Before, a setting showing 400 days passed NHI-LOG-008 (even one
sending logs only to a workspace, where the policy never applied), and one showing 30 days failed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from scanner.model import Inventory
from scanner.scan import ScanOptions, run_scan
from scanner.sources.azure.records import diagnostic_setting

SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"
STORAGE = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/logs/providers/Microsoft.Storage/storageAccounts/auditlogs"
WORKSPACE = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/logs/providers/Microsoft.OperationalInsights/workspaces/ops"


def _setting(destination: dict[str, str], *retentions: tuple[str, bool, Any]) -> dict[str, Any]:
    """A diagnostic setting as Azure Monitor's REST API returns one, a retentionPolicy per category."""
    return {
        "id": f"/subscriptions/{SUBSCRIPTION}/providers/microsoft.insights/diagnosticSettings/activity-export",
        "name": "activity-export",
        "properties": {
            **destination,
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


@pytest.mark.parametrize(
    "destination", [{"storageAccountId": STORAGE}, {"workspaceId": WORKSPACE}], ids=["storage", "workspace"]
)
@pytest.mark.parametrize("days", [400, 30, 0, "forever"])
def test_the_days_a_setting_still_shows_decide_nothing(catalogs, destination: dict[str, str], days: Any) -> None:
    setting = _setting(destination, ("Administrative", True, days), ("Security", True, days))
    assert _log_008(setting, catalogs) == (None, "unknown")


def test_a_setting_without_a_retention_policy_is_unknown_too(catalogs) -> None:
    setting = _setting({"workspaceId": WORKSPACE}, ("Administrative", False, 0))
    assert _log_008(setting, catalogs) == (None, "unknown")
