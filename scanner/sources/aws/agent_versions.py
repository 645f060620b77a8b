"""What serves a Bedrock agent's traffic: its aliases, the versions they route to, and the agent's
settings judged on those versions.

GetAgent describes the DRAFT, which serves only the test alias; a numbered version (GetAgentVersion)
is a frozen copy with its own guardrail, role, model, memory and key. An agent is judged on the
versions its aliases route to (DRAFT when no alias does), and where several serve, each field is the
worst any of them has: one serving version without a guardrail means the agent has none. A version
that could not be read, or aliases that could not be listed (DRAFT serves the test alias, which
other versions serve is not known), leave unknown the fields the versions read do not decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scanner.model import Agent
from scanner.sources.aws.calls import AwsCalls

DRAFT = "DRAFT"
# The agent's fields a version's settings decide, and the attributes among them.
SETTINGS = ("guardrail", "runs_as", "memory_enabled", "memory_retention_days", "foundation_model", "encryption_key")
ATTRIBUTE_SETTINGS = ("foundation_model", "encryption_key")


@dataclass(frozen=True, slots=True)
class Routes:
    aliases: dict[str, list[str]]  # alias name -> versions it routes to
    serving: list[str]  # numbered versions in order, then DRAFT
    listed: bool  # False when the aliases could not be listed


def version_settings(detail: dict[str, Any]) -> dict[str, Any]:
    """One version's settings from GetAgent's ``agent`` or GetAgentVersion's ``agentVersion``."""
    guardrail = detail.get("guardrailConfiguration") or {}
    memory = detail.get("memoryConfiguration") or {}
    return {
        "guardrail": (
            f"{guardrail['guardrailIdentifier']}:{guardrail.get('guardrailVersion', DRAFT)}"
            if guardrail.get("guardrailIdentifier")
            else None
        ),
        "runs_as": detail.get("agentResourceRoleArn"),
        "memory_enabled": bool(memory.get("enabledMemoryTypes")),
        "memory_retention_days": memory.get("storageDays"),
        "foundation_model": detail.get("foundationModel"),
        "encryption_key": detail.get("customerEncryptionKeyArn"),
        "status": detail.get("agentStatus"),
    }


def serving_routes(calls: AwsCalls, region: str, agent_id: str) -> Routes:
    aliases = calls.paginate("bedrock-agent", "list_agent_aliases", "agentAliasSummaries", region, agentId=agent_id)
    routes = {
        alias.get("agentAliasName", alias.get("agentAliasId", "")): sorted(
            {r["agentVersion"] for r in alias.get("routingConfiguration") or [] if r.get("agentVersion")}
        )
        for alias in aliases or []
    }
    serving = sorted({version for versions in routes.values() for version in versions}, key=version_order)
    return Routes(routes, serving, aliases is not None)


def version_order(version: str) -> tuple[int, str]:
    return (int(version), "") if version.isdigit() else (1 << 30, version)


def judge_on_serving_versions(
    calls: AwsCalls, region: str, agent: Agent, draft: dict[str, Any]
) -> dict[str, dict[str, Any] | None]:
    """Set the agent's settings from the versions that serve it (``draft``: GetAgent's ``agent``)
    and return each of those versions' description (DRAFT alone when no alias routes elsewhere):
    GetAgent's ``agent`` for DRAFT, GetAgentVersion's ``agentVersion`` for a numbered version, None
    for a version that could not be read."""
    agent_id = agent.uid.rsplit("/", 1)[-1]
    routes = serving_routes(calls, region, agent_id)
    agent.attributes["aliases"] = routes.aliases
    agent.attributes["serving_versions"] = routes.serving
    if routes.listed:
        agent.attributes["draft_only"] = not any(v != DRAFT for v in routes.serving)
    else:
        agent.unknown.append("serving_versions")
    details: dict[str, dict[str, Any] | None] = {}
    for version in routes.serving or [DRAFT]:
        if version == DRAFT:
            details[version] = draft
            continue
        detail = calls.call("bedrock-agent", "get_agent_version", region, agentId=agent_id, agentVersion=version)
        details[version] = detail["agentVersion"] if detail else None
    settings = {v: version_settings(d) if d is not None else None for v, d in details.items()}
    agent.attributes["versions"] = {v: s if s is not None else "not read" for v, s in settings.items()}
    # Aliases not listed: DRAFT serves the test alias, other versions may serve too.
    unread = None in settings.values() or not routes.listed
    apply_worst_case(agent, [s for s in settings.values() if s is not None], unread)
    return details


def apply_worst_case(agent: Agent, read: list[dict[str, Any]], unread: bool) -> None:
    """The agent's fields: the worst of the versions read; unknown where a version not read could
    be worse and the versions read do not already decide."""
    unknown: set[str] = set()
    guardrails = [s["guardrail"] for s in read]
    agent.guardrail = None if None in guardrails else ", ".join(sorted(set(guardrails))) or None
    if unread and None not in guardrails:
        unknown.add("guardrail")
    roles = {s["runs_as"] for s in read}
    agent.runs_as = next(iter(roles)) if len(roles) == 1 else None
    if unread or len(roles) > 1:  # versions running as different roles: no one runtime identity
        unknown.add("runs_as")
    agent.memory_enabled = any(s["memory_enabled"] for s in read)
    if unread and not agent.memory_enabled:
        unknown.add("memory_enabled")
    remembering = [s["memory_retention_days"] for s in read if s["memory_enabled"]]
    agent.memory_retention_days = (
        None if not remembering or None in remembering else max(d for d in remembering if d is not None)
    )
    if unread:
        unknown.add("memory_retention_days")
    keys = [s["encryption_key"] for s in read]
    agent.attributes["encryption_key"] = None if None in keys else _one_or_all(keys)
    if unread and None not in keys:
        unknown.add("attributes.encryption_key")
    agent.attributes["foundation_model"] = _one_or_all([s["foundation_model"] for s in read])
    if unread:
        unknown.add("attributes.foundation_model")
    agent.unknown = [u for u in agent.unknown if u not in _ALL_SETTINGS] + sorted(unknown)


_ALL_SETTINGS = frozenset((*SETTINGS, *(f"attributes.{name}" for name in ATTRIBUTE_SETTINGS)))


def _one_or_all(values: list[Any]) -> Any:
    """The value every version shares, else the distinct values (sorted, none left out)."""
    if len(set(values)) <= 1:
        return values[0] if values else None
    return sorted({v for v in values if v is not None})
