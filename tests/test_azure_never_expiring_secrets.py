"""An Azure secret whose end date is 2299-12-31 never expires.

The portal's "Never" option wrote that end date (and scripts still pass it to addPassword); a
secret ending in 9999 is DateTime.MaxValue. Both passed NHI-CRED-005 ("has an expiry date") as if
they expired. The Graph list below is recorded by pnp/cli-microsoft365 (tests/data/SOURCES.md):
its "Foo App" holds one such secret beside one ending 2026-03-05.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

RECORDED = Path(__file__).parent / "data" / "azure" / "cli-microsoft365-graph-list-applications-secret-2299.json"
NEVER = "85b90a55"  # keyId of the secret ending 2299-12-31
DATED = "0a67f4f2"  # ending 2026-03-05


def _findings(cli: Any, folder: Path, out: Path) -> dict[tuple[str, str], dict[str, Any]]:
    # no export holds the tenant's role assignments: the read is partial
    outcome = cli("scan", f"file:{folder}", "--format", "json", "--output-dir", str(out), "-q", "--fail-on", "none",
                  "--no-history", "--as-of", "2025-06-01", "--include-passed", "--allow-partial")  # fmt: skip
    assert outcome.exit_code == 0, outcome.output
    results = json.loads((out / "results.json").read_text())
    return {(f["control_id"], f["resource"]["uid"].rsplit(":", 1)[-1][:8]): f for f in results["findings"]}


def test_a_secret_ending_in_2299_never_expires(cli: Any, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    shutil.copy(RECORDED, folder / RECORDED.name)
    findings = _findings(cli, folder, tmp_path / "out")
    assert findings[("NHI-CRED-005", NEVER)]["status"] == "fail"
    assert ("NHI-CRED-009", NEVER) not in findings, "no expiry: no validity to judge"
    assert findings[("NHI-CRED-005", DATED)]["status"] == "pass"
    assert findings[("NHI-CRED-009", DATED)]["status"] == "fail", "five years of validity"
    inventory = json.loads((tmp_path / "out" / "results.json").read_text())["inventory"]
    never = next(c for c in inventory["credentials"] if NEVER in c["uid"])
    assert never["expires"] is None and never["attributes"]["end_date_time"] == "2299-12-31T00:00:00Z"


@pytest.mark.parametrize(("end", "expires"), [("9999-12-31T23:59:59.9999999Z", False), ("2298-12-31T00:00:00Z", True)])
def test_datetime_max_value_never_expires_and_an_earlier_far_date_does(end: str, expires: bool) -> None:
    from scanner.sources.azure.records import key_credentials

    (secret,) = key_credentials("azure:app:x", {"passwordCredentials": [{"keyId": "k", "endDateTime": end}]})
    assert (secret.expires is not None) is expires
