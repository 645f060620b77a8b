"""Bedrock agents of one region: runtime role, guardrail, memory, and their tools, judged on the
versions that serve traffic (``agent_versions``).

An agent's tools are its action groups' functions (or the action group itself for an API schema),
the built-in code interpreter and its knowledge bases. A function that requires confirmation
(``requireConfirmation: ENABLED``) asks a human first; an agent whose every tool does so counts as
having human approval.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from scanner.model import Agent, Credential, Grant
from scanner.serialize import parse_time
from scanner.sources.aws.agent_versions import judge_on_serving_versions, version_settings
from scanner.sources.aws.calls import AwsCalls
from scanner.sources.aws.policy import owner_from_tags

BEDROCK_SERVICE = "bedrock.amazonaws.com"


def collect_agents(calls: AwsCalls, region: str) -> tuple[list[Agent], list[Grant]] | None:
    """The region's agents, judged on the versions their aliases route to, and those versions'
    tools; None when the agents could not be listed."""
    summaries = calls.paginate("bedrock-agent", "list_agents", "agentSummaries", region)
    if summaries is None:
        return None
    agents: list[Agent] = []
    tools: list[Grant] = []
    for summary in summaries:
        detail = calls.call("bedrock-agent", "get_agent", region, agentId=summary["agentId"])
        if detail is None:
            continue
        agent = build_agent(calls.account, detail["agent"])
        serving = judge_on_serving_versions(calls, region, agent, version_settings(detail["agent"]))
        agent_tools = _versions_tools(calls, region, agent, serving)
        tags = calls.call("bedrock-agent", "list_tags_for_resource", region, resourceArn=agent.uid)
        if tags is not None:
            agent.tags, agent.owner = owner_from_tags(tags.get("tags") or {})
        else:
            agent.unknown.append("owner")
        if agent_tools is not None and "serving_versions" in agent.unknown:  # DRAFT's tools, perhaps not all
            tools.extend(agent_tools)
            agent_tools = None
        if agent_tools is None:
            agent.unknown.append("tools")
            agent.unknown.append("human_approval")
        else:
            functions = [t for t in agent_tools if t.attributes.get("tool_type") != "knowledge_base"]
            agent.human_approval = bool(functions) and all(t.attributes.get("requires_approval") for t in functions)
            tools.extend(agent_tools)
        agents.append(agent)
    return agents, tools


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


def _versions_tools(calls: AwsCalls, region: str, agent: Agent, versions: list[str]) -> list[Grant] | None:
    """The tools of the given versions; a tool several versions share is one grant naming them all."""
    tools: dict[str, Grant] = {}
    for version in versions:
        found = _tools(calls, region, agent, version)
        if found is None:
            return None
        for tool in found:
            kept = tools.setdefault(json.dumps([tool.name, tool.source, tool.attributes], sort_keys=True), tool)
            kept.attributes = {**kept.attributes, "versions": [*kept.attributes.get("versions", []), version]}
    return list(tools.values())


def _tools(calls: AwsCalls, region: str, agent: Agent, agent_version: str) -> list[Grant] | None:
    version = {"agentId": agent.uid.rsplit("/", 1)[-1], "agentVersion": agent_version}
    groups = calls.paginate("bedrock-agent", "list_agent_action_groups", "actionGroupSummaries", region, **version)
    bases = calls.paginate(
        "bedrock-agent", "list_agent_knowledge_bases", "agentKnowledgeBaseSummaries", region, **version
    )
    if groups is None or bases is None:
        return None
    tools = []
    for summary in groups:
        detail = calls.call(
            "bedrock-agent", "get_agent_action_group", region, actionGroupId=summary["actionGroupId"], **version
        )
        if detail is None:
            return None
        tools.extend(action_group_tools(agent.uid, detail["agentActionGroup"]))
    for base in bases:
        tools.append(
            Grant(
                identity_uid=agent.uid,
                kind="tool",
                name=f"knowledge_base:{base['knowledgeBaseId']}",
                source="knowledge_base",
                attributes={"tool_type": "knowledge_base", "enabled": base.get("knowledgeBaseState") == "ENABLED"},
            )
        )
    return tools


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
    keys = []
    for key in listed:
        user_arn = holders.get(key["UserName"]) or f"arn:{calls.partition}:iam::{calls.account}:user/{key['UserName']}"
        created = key.get("CreateDate")
        expires = key.get("ExpirationDate")
        keys.append(
            Credential(
                uid=f"{user_arn}#api_key:{key['ServiceSpecificCredentialId']}",
                identity_uid=user_arn,
                kind="api_key",
                created=created
                if isinstance(created, datetime)
                else parse_time(created)
                if isinstance(created, str)
                else None,
                expires=expires if isinstance(expires, datetime) else None,
                active=key.get("Status") == "Active",
                attributes={"service": "bedrock", "display_id": key["ServiceSpecificCredentialId"]},
                unknown=["last_used"],
            )
        )
    return keys
