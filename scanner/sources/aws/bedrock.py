"""Bedrock agents of one region: runtime role, guardrail, memory, their tools and the plaintext
secrets in their configuration (``agent_secrets``), judged on the versions that serve traffic
(``agent_versions``).

An agent's tools are its action groups' functions (or the action group itself for an API schema),
the built-in code interpreter and its knowledge bases. A function that requires confirmation
(``requireConfirmation: ENABLED``) asks a human first; an agent whose every tool does so counts as
having human approval.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scanner.model import Agent, Credential, Grant
from scanner.serialize import parse_time
from scanner.sources.aws.agent_secrets import action_group_texts, plaintext_secrets, version_texts
from scanner.sources.aws.agent_versions import DRAFT, judge_on_serving_versions, version_settings
from scanner.sources.aws.calls import AwsCalls
from scanner.sources.aws.iam import mask_key
from scanner.sources.aws.policy import owner_from_tags

BEDROCK_SERVICE = "bedrock.amazonaws.com"


@dataclass(slots=True)
class RegionAgents:
    """A region's agents, their tools, and the plaintext secrets their configurations hold."""

    agents: list[Agent] = field(default_factory=list)
    tools: list[Grant] = field(default_factory=list)
    secrets: list[Credential] = field(default_factory=list)
    # listed agents GetAgent did not describe: the region's agents are then not all known
    undescribed: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class VersionParts:
    """One version's action groups (GetAgentActionGroup's ``agentActionGroup``) and knowledge bases."""

    groups: list[dict[str, Any]]
    bases: list[dict[str, Any]]


def collect_agents(calls: AwsCalls, region: str) -> RegionAgents | None:
    """The region's agents, judged on the versions their aliases route to, and those versions'
    tools and secrets; None when the agents could not be listed."""
    summaries = calls.paginate("bedrock-agent", "list_agents", "agentSummaries", region)
    if summaries is None:
        return None
    found = RegionAgents()
    for summary in summaries:
        detail = calls.call("bedrock-agent", "get_agent", region, agentId=summary["agentId"])
        if detail is None:
            found.undescribed.append(summary.get("agentName") or summary["agentId"])
            continue
        agent = build_agent(calls.account, detail["agent"])
        versions = judge_on_serving_versions(calls, region, agent, detail["agent"])
        parts = _versions_parts(calls, region, agent, list(versions))
        tags = calls.call("bedrock-agent", "list_tags_for_resource", region, resourceArn=agent.uid)
        if tags is not None:
            agent.tags, agent.owner = owner_from_tags(tags.get("tags") or {})
        else:
            agent.unknown.append("owner")
        found.tools.extend(_judge_tools(agent, parts))
        found.secrets.extend(_judge_secrets(agent, {DRAFT: detail["agent"], **versions}, parts))
        found.agents.append(agent)
    return found


def _judge_tools(agent: Agent, parts: dict[str, VersionParts] | None) -> list[Grant]:
    """The tools of the versions read, and whether they all ask a human first."""
    if parts is None:
        agent.unknown += ["tools", "human_approval"]
        return []
    tools = _versions_tools(agent, parts)
    if "serving_versions" in agent.unknown:  # DRAFT's tools, perhaps not all
        agent.unknown += ["tools", "human_approval"]
        return tools
    functions = [t for t in tools if t.attributes.get("tool_type") != "knowledge_base"]
    agent.human_approval = bool(functions) and all(t.attributes.get("requires_approval") for t in functions)
    return tools


def _judge_secrets(
    agent: Agent, versions: dict[str, dict[str, Any] | None], parts: dict[str, VersionParts] | None
) -> list[Credential]:
    """The secrets in the texts of the versions read (``versions``: the serving ones, and DRAFT,
    whose texts GetAgent gave whether it serves or not: a secret stored there is exposed all the
    same); the agent's credentials are unknown where a serving version's text was not read (the
    version or its action groups, or the versions serving are not known)."""
    secrets = []
    for version, detail in versions.items():
        if detail is None and parts is None:
            continue
        texts = version_texts(detail) if detail is not None else []
        if parts is not None and version in parts:
            texts += [text for group in parts[version].groups for text in action_group_texts(group)]
        secrets += plaintext_secrets(agent, version, texts)
    if None in versions.values() or parts is None or "serving_versions" in agent.unknown:
        agent.unknown.append("credentials")
    return secrets


def build_agent(account: str, detail: dict[str, Any]) -> Agent:
    """An agent as GetAgent describes it (its DRAFT)."""
    settings = version_settings(detail)
    created = detail.get("createdAt")
    return Agent(
        uid=detail["agentArn"],
        provider="aws",
        account=account,
        name=detail.get("agentName", detail.get("agentId", "")),
        runs_as=settings["runs_as"],
        platform="bedrock-agent",
        guardrail=settings["guardrail"],
        memory_enabled=settings["memory_enabled"],
        memory_retention_days=settings["memory_retention_days"],
        created=created if isinstance(created, datetime) else parse_time(created) if isinstance(created, str) else None,
        attributes={
            "foundation_model": settings["foundation_model"],
            "status": settings["status"],
            "encryption_key": settings["encryption_key"],
        },
    )


def _versions_parts(calls: AwsCalls, region: str, agent: Agent, versions: list[str]) -> dict[str, VersionParts] | None:
    """Each version's action groups and knowledge bases; None when one could not be read."""
    parts = {}
    for version in versions:
        read = _parts(calls, region, agent, version)
        if read is None:
            return None
        parts[version] = read
    return parts


def _parts(calls: AwsCalls, region: str, agent: Agent, agent_version: str) -> VersionParts | None:
    version = {"agentId": agent.uid.rsplit("/", 1)[-1], "agentVersion": agent_version}
    groups = calls.paginate("bedrock-agent", "list_agent_action_groups", "actionGroupSummaries", region, **version)
    bases = calls.paginate(
        "bedrock-agent", "list_agent_knowledge_bases", "agentKnowledgeBaseSummaries", region, **version
    )
    if groups is None or bases is None:
        return None
    details = []
    for summary in groups:
        detail = calls.call(
            "bedrock-agent", "get_agent_action_group", region, actionGroupId=summary["actionGroupId"], **version
        )
        if detail is None:
            return None
        details.append(detail["agentActionGroup"])
    return VersionParts(details, bases)


def _versions_tools(agent: Agent, parts: dict[str, VersionParts]) -> list[Grant]:
    """The tools of the given versions; a tool several versions share is one grant naming them all."""
    tools: dict[str, Grant] = {}
    for version, read in parts.items():
        for tool in _tools(agent.uid, read):
            kept = tools.setdefault(json.dumps([tool.name, tool.source, tool.attributes], sort_keys=True), tool)
            kept.attributes = {**kept.attributes, "versions": [*kept.attributes.get("versions", []), version]}
    return list(tools.values())


def _tools(agent_uid: str, parts: VersionParts) -> list[Grant]:
    tools = [tool for group in parts.groups for tool in action_group_tools(agent_uid, group)]
    for base in parts.bases:
        tools.append(
            Grant(
                identity_uid=agent_uid,
                kind="tool",
                name=f"knowledge_base:{base['knowledgeBaseId']}",
                source="knowledge_base",
                attributes={"tool_type": "knowledge_base", "enabled": base.get("knowledgeBaseState") == "ENABLED"},
            )
        )
    return tools


# Anthropic's computer use tools (parentActionSignature): a shell, mouse and keyboard with
# screenshots, and viewing, creating and editing files
COMPUTER_USE_TOOLS = {
    "ANTHROPIC.Bash": "bash",
    "ANTHROPIC.Computer": "computer_use",
    "ANTHROPIC.TextEditor": "text_editor",
}


def action_group_tools(agent_uid: str, group: dict[str, Any]) -> list[Grant]:
    name = group.get("actionGroupName", group.get("actionGroupId", "action_group"))
    source = f"action_group:{name}"
    signature = group.get("parentActionSignature") or group.get("parentActionGroupSignature")
    if signature == "AMAZON.CodeInterpreter":
        return [
            Grant(
                agent_uid,
                "tool",
                "code_interpreter",
                source=source,
                attributes={"tool_type": "code_interpreter", "sandboxed": True},
            )
        ]
    if signature == "AMAZON.UserInput":
        return [Grant(agent_uid, "tool", "user_input", source=source, attributes={"tool_type": "user_input"})]
    if signature in COMPUTER_USE_TOOLS:
        if group.get("actionGroupState") == "DISABLED":
            return []
        tool = COMPUTER_USE_TOOLS[signature]
        # the agent returns each action to the application, which runs it where it runs: no sandbox known
        return [Grant(agent_uid, "tool", tool, source=source, attributes={"tool_type": tool})]
    executor = group.get("actionGroupExecutor") or {}
    attributes: dict[str, Any] = {"tool_type": "lambda" if executor.get("lambda") else "return_control"}
    if executor.get("lambda"):
        attributes["executor"] = executor["lambda"]
    if group.get("actionGroupState") == "DISABLED":
        return []
    functions = ((group.get("functionSchema") or {}).get("functions")) or []
    if not functions:  # an OpenAPI schema: the action group is the tool
        return [Grant(agent_uid, "tool", name, source=source, attributes=attributes)]
    return [
        Grant(
            agent_uid,
            "tool",
            function["name"],
            source=source,
            attributes={**attributes, "requires_approval": function.get("requireConfirmation") == "ENABLED"},
        )
        for function in functions
    ]


def collect_api_keys(calls: AwsCalls, holders: dict[str, str]) -> list[Credential] | None:
    """Long-term Bedrock API keys: IAM service-specific credentials for bedrock.amazonaws.com of
    every user (``AllUsers``), paged with ``Marker``. ``holders`` maps user names to their ARNs
    (which keep the user's path and the partition)."""
    listed: list[dict[str, Any]] = []
    marker: dict[str, str] = {}
    while True:
        page = calls.call(
            "iam", "list_service_specific_credentials", ServiceName=BEDROCK_SERVICE, AllUsers=True, **marker
        )
        if page is None:
            return None
        listed.extend(page.get("ServiceSpecificCredentials") or [])
        if not page.get("IsTruncated") or not page.get("Marker"):
            break
        marker = {"Marker": page["Marker"]}
    keys: list[Credential] = []
    uids: set[str] = set()
    for key in listed:
        user_arn = holders.get(key["UserName"]) or f"arn:{calls.partition}:iam::{calls.account}:user/{key['UserName']}"
        created = _when(key.get("CreateDate"))
        expires = key.get("ExpirationDate")
        masked = mask_key(key["ServiceSpecificCredentialId"])
        # named as an access key is, by its holder and creation: the key's id is never written whole
        uid = f"{user_arn}#api_key:{created:%Y-%m-%dT%H:%M:%SZ}" if created else f"{user_arn}#api_key:{masked}"
        uid = uid if uid not in uids else f"{uid}#{masked}"  # two keys made in one second
        uids.add(uid)
        keys.append(
            Credential(
                uid=uid,
                identity_uid=user_arn,
                kind="api_key",
                created=created,
                expires=expires if isinstance(expires, datetime) else None,
                active=key.get("Status") == "Active",
                attributes={"service": "bedrock", "display_id": masked},
                unknown=["last_used"],
            )
        )
    return keys


def _when(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) else parse_time(value) if isinstance(value, str) else None
