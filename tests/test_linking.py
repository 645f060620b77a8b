"""An agent's declared runtime identity is joined to the identity a cloud source collected."""

from __future__ import annotations

from scanner.linking import link_runtime_identities
from scanner.model import Agent, Identity, Inventory
from scanner.serialize import parse_time

COLLECTED = parse_time("2026-11-01T00:00:00Z")


def _identity(uid: str, kind: str, **attributes: str) -> Identity:
    return Identity(uid=uid, provider="azure", account="t", kind=kind, name=uid, attributes=dict(attributes))


def _agent(uid: str, runs_as: str | None) -> Agent:
    return Agent(uid=uid, provider="azure", account="t", name=uid, runs_as=runs_as)


def test_agents_naming_their_identity_by_uid_are_left_as_they_are() -> None:
    inventory = Inventory(
        collected_at=COLLECTED,
        identities=[_identity("sp/1", "service_principal", app_id="APP-1")],
        agents=[_agent("a/1", "sp/1"), _agent("a/2", None)],
    )
    assert link_runtime_identities(inventory) == 0
    assert [agent.runs_as for agent in inventory.agents] == ["sp/1", None]
    assert all("runs_as_declared" not in agent.attributes for agent in inventory.agents)


def test_an_alias_is_resolved_to_the_service_principal_before_the_application() -> None:
    inventory = Inventory(
        collected_at=COLLECTED,
        identities=[
            _identity("app/1", "application", app_id="APP-1"),
            _identity("sp/1", "service_principal", app_id="APP-1"),
        ],
        agents=[_agent("a/1", " app-1 "), _agent("a/2", "sp/1"), _agent("a/3", "nobody")],
    )
    assert link_runtime_identities(inventory) == 1
    assert [agent.runs_as for agent in inventory.agents] == ["sp/1", "sp/1", "nobody"]
    assert inventory.agents[0].attributes == {"runs_as_declared": " app-1 "}
