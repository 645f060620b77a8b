"""An owner written as a placeholder names no one (NHI-OWN-001, NHI-AGENT-008).

Templates, Helm charts and agent manifests copied from examples carry slots nobody filled in.
Before, these passed as owners: ``<owner>``, ``${OWNER}``, ``$OWNER``, ``{{ .Values.owner }}``,
``<team-name>``, ``REPLACE_ME``, ``FIXME``, an em dash, ``N.A.``, ``owner-tbd``, ``none yet``,
``your-team@example.com``, ``@owner``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from scanner.model import Agent, Identity, Inventory
from scanner.scan import ScanOptions, run_scan

PLACEHOLDERS = [
    "<owner>", "${OWNER}", "$OWNER", "{{ .Values.owner }}", "<team-name>", "REPLACE_ME", "FIXME", "\u2014",
    "N.A.", "owner-tbd", "none yet", "your-team@example.com", "@owner", "%OWNER%", "TBD", " - ", "n/a",
    "$(OWNER)", "__OWNER__", "@@OWNER@@", "#{owner}", "OWNER_NAME", "undefined", "N/A.",
]  # fmt: skip
OWNERS = ["alice@acme.com", "platform-team", "<alice@acme.com>", "@acme/platform", "tbd-migration-squad", "Dan",
          "Your Finance Team"]  # fmt: skip


def _statuses(catalogs: Any, owner: str) -> dict[str, str]:
    inventory = Inventory(
        collected_at=datetime(2026, 12, 1, tzinfo=UTC),
        identities=[Identity("r1", "aws", "111111111111", "role", "deployer", owner=owner)],
        agents=[Agent("a1", "manifest", "repo", "triage", owner=owner)],
    )
    result = run_scan(inventory, catalogs, ScanOptions(keep_passed=True))
    return {f.control_id: f.status for f in result.findings if f.control_id in ("NHI-OWN-001", "NHI-AGENT-008")}


@pytest.mark.parametrize("owner", PLACEHOLDERS)
def test_a_placeholder_names_no_owner(catalogs: Any, owner: str) -> None:
    assert _statuses(catalogs, owner) == {"NHI-OWN-001": "fail", "NHI-AGENT-008": "fail"}


@pytest.mark.parametrize("owner", OWNERS)
def test_a_name_or_address_is_an_owner(catalogs: Any, owner: str) -> None:
    assert _statuses(catalogs, owner) == {"NHI-OWN-001": "pass", "NHI-AGENT-008": "pass"}
