"""A shard's stand-in for an identity another shard reads whole (``held_by_another_shard``): it
holds only the grants of this shard's part of the estate, so only the controls on an identity's
grants judge it, and nothing that rests on all its grants (an agent running as it) reads it as
whole."""

from __future__ import annotations

import pytest

from scanner.engine.context import EvalContext
from scanner.errors import InputError
from scanner.model import HELD_BY_ANOTHER_SHARD, STAND_IN_UNKNOWN
from scanner.scan import ScanOptions, run_scan

from .conftest import make_inventory

TENANT = "6f1c2a9e-3b7d-4e58-9a0c-2d4e6f8a1b3c"
SUBSCRIPTION = "9c3a7e51-2d4b-4f86-8e1a-6b5c4d3e2f10"
PRINCIPAL = "azure:sp:0000000c-5555-4666-8777-000000000065"


READER = {
    "identity_uid": PRINCIPAL,
    "kind": "role",
    "name": "Reader",
    "source": "roleAssignment",
    "resources": [f"/subscriptions/{SUBSCRIPTION}"],
    "actions": ["*/read"],
}


def _estate(stand_in: bool) -> dict:
    principal = {"uid": PRINCIPAL, "provider": "azure", "account": TENANT, "kind": "service_principal"}
    if stand_in:
        principal |= {"attributes": {HELD_BY_ANOTHER_SHARD: True}, "unknown": list(STAND_IN_UNKNOWN)}
    return {
        "accounts": [
            {"uid": TENANT, "provider": "azure", "kind": "tenant"},
            {"uid": SUBSCRIPTION, "provider": "azure", "kind": "subscription"},
        ],
        "identities": [principal],
        "grants": [READER],
        "agents": [{"uid": "agent-1", "provider": "azure", "account": SUBSCRIPTION, "runs_as": PRINCIPAL}],
    }


def test_only_controls_on_an_identity_s_grants_judge_a_stand_in(catalogs) -> None:
    whole = run_scan(make_inventory(_estate(False)), catalogs, ScanOptions(keep_passed=True))
    stand_in = run_scan(make_inventory(_estate(True)), catalogs, ScanOptions(keep_passed=True))
    judged_whole = {f.control_id for f in whole.findings if f.resource.uid == PRINCIPAL}
    judged = {f.control_id for f in stand_in.findings if f.resource.uid == PRINCIPAL}
    assert "NHI-OWN-001" in judged_whole and "NHI-OWN-001" not in judged, "its owner is the other shard's to judge"
    assert "NHI-PRIV-001" in judged_whole and judged <= judged_whole


def test_a_stand_in_that_passes_is_neither_counted_nor_listed(catalogs) -> None:
    """It passed on part of its grants (a Reader here): the shard reading it whole gives its result,
    and a merged run counted the principal twice."""
    result = run_scan(make_inventory(_estate(True)), catalogs, ScanOptions(keep_passed=True))
    (admin,) = [c for c in result.controls if c.id == "NHI-PRIV-001"]
    assert admin.counts["pass"] == 0 and sum(admin.evaluated_by_scope.values()) == 0
    assert not [f for f in result.findings if f.resource.uid == PRINCIPAL and f.control_id == "NHI-PRIV-001"]
    whole = run_scan(make_inventory(_estate(False)), catalogs, ScanOptions(keep_passed=True))
    assert next(c for c in whole.controls if c.id == "NHI-PRIV-001").counts["pass"] == 1


def test_an_agent_running_as_a_stand_in_does_not_read_its_grants_as_all_it_holds(catalogs) -> None:
    inventory = make_inventory(_estate(True))
    ctx = EvalContext(inventory, inventory.collected_at, catalogs.capabilities)
    (agent,) = inventory.agents
    assert ctx.agent_gap(agent) == f"runtime identity {PRINCIPAL}"
    assert ctx.agent_gap_never(agent) == frozenset()
    whole = make_inventory(_estate(False))
    assert EvalContext(whole, whole.collected_at, catalogs.capabilities).agent_gap(whole.agents[0]) is None


def test_agent_controls_on_a_stand_in_runtime_are_unknown_not_passed(catalogs) -> None:
    """A Reader here may be an Owner where the other shard reads it: NHI-AGENT-001 and the other
    controls on what the runtime identity holds passed on this shard's grants alone."""
    result = run_scan(make_inventory(_estate(True)), catalogs, ScanOptions(keep_passed=True))
    statuses = {f.control_id: f.status for f in result.findings if f.resource.uid == "agent-1"}
    for control in ("NHI-AGENT-001", "NHI-AGENT-006", "NHI-AGENT-007", "NHI-AGENT-016"):
        assert statuses.get(control) == "unknown", (control, statuses.get(control))
    whole = run_scan(make_inventory(_estate(False)), catalogs, ScanOptions(keep_passed=True))
    assert {f.control_id: f.status for f in whole.findings if f.resource.uid == "agent-1"}["NHI-AGENT-001"] == "pass"


def test_an_agent_running_as_a_stand_in_that_is_an_owner_here_fails(catalogs) -> None:
    """What the shard read of the stand-in still counts: an Owner role here fails the agent, as
    the runtime identity's other grants cannot undo it (it was unknown, and a gate passed)."""
    estate = _estate(True)
    estate["grants"] = [READER | {"name": "Owner", "actions": ["*"]}]
    result = run_scan(make_inventory(estate), catalogs, ScanOptions(keep_passed=True))
    statuses = {f.control_id: f.status for f in result.findings if f.resource.uid == "agent-1"}
    assert statuses["NHI-AGENT-001"] == "fail"


def test_a_stand_in_is_no_identity_of_its_shard_s_counts_or_diffs() -> None:
    """Counted, it made a shard's identities more than the shard reads; compared, a diff called it
    removed when its role here went, while the principal lives on in the shard reading it whole."""
    from scanner.diff import records_and_names
    from scanner.scan import summarize_inventory

    inventory = make_inventory(_estate(True))
    assert summarize_inventory(inventory)["totals"]["identities"] == 0
    records, names = records_and_names(inventory)
    assert records is not None and PRINCIPAL not in records and PRINCIPAL in names
    assert summarize_inventory(make_inventory(_estate(False)))["totals"]["identities"] == 1


def test_a_waiver_pattern_is_judged_on_what_was_evaluated_not_on_the_stand_ins_that_passed(catalogs, tmp_path) -> None:
    """Two Owners of the subscription held here fail NHI-PRIV-001 and a Reader held here passes; a
    stand-in holding a Reader here passed and was not evaluated. A pattern covering the three held
    here covers everything the control evaluated: a catch-all, though the stand-in lies outside it."""
    owners = [PRINCIPAL.replace("065", "061"), PRINCIPAL.replace("065", "062")]
    reader = PRINCIPAL.replace("065", "063")
    estate = _estate(True)
    estate["identities"] += [
        {"uid": uid, "provider": "azure", "account": TENANT, "kind": "service_principal"} for uid in [*owners, reader]
    ]
    estate["grants"] += [{**READER, "identity_uid": reader}] + [
        {**READER, "identity_uid": uid, "name": "Owner", "actions": ["*"]} for uid in owners
    ]
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        'waivers:\n  - control: "NHI-PRIV-001"\n    resource: "azure:sp:0000000c-5555-4666-8777-00000000006[123]"\n'
        "    owner: alice@example.com\n    reason: accepted\n    expires: 2026-03-01\n"
    )
    with pytest.raises(InputError, match=r"matches every resource NHI-PRIV-001 evaluated \(3, 2 of them failing\)"):
        run_scan(make_inventory(estate), catalogs, ScanOptions(waivers=waivers))
