"""What every MCP client's configuration shares: its servers, under a section of the file, into an
agent with a tool per server and the file's plaintext secrets (``client_config``), and what each
format's reader builds on (``Parsed``, the agent, the client a file belongs to, the lines of its
sections, servers written as a list of named entries).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from scanner.model import Agent, Credential, Grant, SourceError
from scanner.sources.manifests.mcp import JSON_SERVERS, ServerFormat, server_records, shape_of, shown_key
from scanner.sources.manifests.walk import SecretScan, line_of


@dataclass(slots=True)
class Parsed:
    agent: Agent
    grants: list[Grant] = field(default_factory=list)
    credentials: list[Credential] = field(default_factory=list)
    gaps: list[SourceError] = field(default_factory=list)  # what of the file was not read
    unread: list[str] = field(default_factory=list)  # entries of a shape their format does not have


# What a format has no place for is unknown, not absent: a client configuration or a registry entry
# cannot name an owner or a guardrail, nor whether the client asks before a tool call (its own
# settings, outside the file); an Agent Framework agent sets approval per tool, but has no owner or
# guardrail field. Only the nhiscan agent manifest can declare them all.
CLIENT_CANNOT_EXPRESS = ("owner", "guardrail", "human_approval")


def new_agent(holder: str, account: str, name: str, platform: str, relpath: str, **fields: Any) -> Agent:
    return Agent(
        uid=holder,
        provider="manifest",
        account=account,
        name=name,
        platform=platform,
        attributes={"location": {"file": relpath, "line": 1}},
        **fields,
    )


def platform_of(relpath: str, section: str, within: tuple[str, ...] = ()) -> str:
    path = PurePosixPath(relpath)
    if within[:1] == ("customizations",):
        return "vscode-devcontainer"
    if ".continue" in path.parts or path.name == ".continuerc.json":
        return "continue"
    if path.name == "claude_desktop_config.json" or "claude_desktop" in path.name:
        return "claude-desktop"
    if path.name in (".mcp.json", ".claude.json"):
        return "claude-code"
    if ".cursor" in path.parts or "cursor" in path.name:
        return "cursor"
    if ".vscode" in path.parts or section == "servers":
        return "vscode"
    if section == "mcp_servers":
        return "codex"
    return "mcp-client"


_PLATFORM_NAMES = {
    "claude-desktop": "Claude Desktop",
    "claude-code": "Claude Code",
    "cursor": "Cursor",
    "vscode": "VS Code",
    "vscode-devcontainer": "VS Code dev container",
    "codex": "Codex",
    "opencode": "OpenCode",
    "zed": "Zed",
    "continue": "Continue",
    "goose": "Goose",
    "goose-recipe": "Goose recipe",
}


def client_config(
    document: dict[str, Any],
    section: str,
    scan: SecretScan,
    account: str,
    within: tuple[str, ...] = (),
    form: ServerFormat = JSON_SERVERS,
    platform: str | None = None,
) -> Parsed:
    """A client configuration's servers, under ``section`` of the mapping the keys ``within`` lead
    to (none: the document itself), written as ``form`` says."""
    platform = platform or platform_of(scan.relpath, section, within)
    label = _PLATFORM_NAMES.get(platform, "MCP client")
    name = f"{label} ({scan.relpath})"
    agent = new_agent(scan.holder, account, name, platform, scan.relpath, unknown=list(CLIENT_CANNOT_EXPRESS))
    holder = document
    for key in within:
        holder = holder[key]
    servers = holder.get(section, {})
    shown = ".".join((*within, section))
    unread = [] if isinstance(servers, dict) else [f"{shown} is {shape_of(servers)}, not a mapping; no server is read"]
    bare = scan.relpath.endswith((".toml", ".yaml", ".yml"))  # a key unquoted: [mcp_servers.NAME], extensions:
    grants, unread_servers = server_records(
        servers if isinstance(servers, dict) else {},
        scan,
        top_level_line(scan.lines, section if bare else f'"{section}"'),
        section=shown,
        form=form,
    )
    unread += unread_servers
    projects = servers_by_project(document)
    cursor = 0  # projects appear in file order: each search starts where the last ended (a file of
    # thousands of projects is read in one pass, not once per project)
    for project, project_servers in projects.items():
        project_line = line_of(scan.lines, json.dumps(project, ensure_ascii=False) + ":", cursor)  # the key
        cursor = line_of(scan.lines, '"mcpServers"', project_line)
        found, unread_servers = server_records(
            project_servers,
            scan,
            cursor,
            project,
            section=f"projects.{shown_key(project)}.mcpServers",
        )
        grants += found
        unread += unread_servers
    unread += _unreadable_projects(document) if platform == "claude-code" else []
    if projects:  # their servers are checked above, each once
        document = {**document, "projects": _without_servers(document["projects"])}
    if within and isinstance(servers, dict):  # checked above, each once
        document = _without_key(document, (*within, section))
    scan.check(None, document, skip=frozenset({section}) if isinstance(document.get(section), dict) else frozenset())
    return Parsed(agent, grants, unread=unread)


def with_key(document: dict[str, Any], keys: tuple[str, ...], value: Any) -> dict[str, Any]:
    """A copy of ``document`` with the value the ``keys`` lead to replaced (the mappings on the way copied)."""
    first, *rest = keys
    return {**document, first: value if not rest else with_key(document[first], tuple(rest), value)}


def _without_key(document: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """A copy of ``document`` without the value the ``keys`` lead to (the mappings on the way copied)."""
    first, *rest = keys
    if not rest:
        return {key: value for key, value in document.items() if key != first}
    return {**document, first: _without_key(document[first], tuple(rest))}


def named_entries(
    entries: list[Any], section: str, scan: SecretScan, names_alone: bool = False
) -> tuple[dict[str, Any], list[str]]:
    """A list of server entries (Goose's recipes, Continue) as a mapping by each one's ``name``
    (else its ``uses``, a block Continue takes from its hub), and what of the list is not read. An
    entry with no name, a name used before, or a secret pasted as its name is named by its place
    (``mcpServers[2]``). With ``names_alone``, a string is an entry named by it, what it runs
    unknown; any other entry that is no mapping is a named gap (its strings still checked)."""
    by_name: dict[str, Any] = {}
    unread: list[str] = []
    for index, entry in enumerate(entries):
        place = f"{section}[{index}]"
        if isinstance(entry, str) and names_alone:
            entry = {"type": None, "name": entry}
        if not isinstance(entry, dict):
            unread.append(f"{place} is {shape_of(entry)}, not a mapping; it is not read")
            scan.check(place, entry)
            continue
        name = entry.get("name", entry.get("uses"))
        if not isinstance(name, str) or shown_key(name) == "[key]" or name in by_name:
            name = place
        by_name[name] = entry
    return by_name, unread


def _unreadable_projects(document: dict[str, Any]) -> list[str]:
    """What of Claude Code's per-project servers cannot be read: ``projects`` that is no mapping,
    a project that is no mapping, a project's ``mcpServers`` that is no mapping."""
    if "projects" not in document:
        return []
    projects = document["projects"]
    if not isinstance(projects, dict):
        return [f"projects is {shape_of(projects)}, not a mapping of projects; no project's servers are read"]
    unread: list[str] = []
    for path, entry in projects.items():
        shown = f"projects.{shown_key(str(path))}"
        if not isinstance(entry, dict):
            unread.append(f"{shown} is {shape_of(entry)}, not a mapping; its servers are not read")
        elif "mcpServers" in entry and not isinstance(entry["mcpServers"], dict):
            servers = entry["mcpServers"]
            unread.append(f"{shown}.mcpServers is {shape_of(servers)}, not a mapping of servers; none is read")
    return unread


def servers_by_project(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Claude Code's local-scope servers, by project: ``~/.claude.json`` keeps the servers added
    with ``claude mcp add`` (its default scope) under ``projects.<project path>.mcpServers``."""
    projects = document.get("projects")
    if not isinstance(projects, dict):
        return {}
    return {
        str(path): entry["mcpServers"]
        for path, entry in projects.items()
        if isinstance(entry, dict) and isinstance(entry.get("mcpServers"), dict)
    }


def _without_servers(projects: dict[str, Any]) -> dict[str, Any]:
    return {
        path: {key: value for key, value in entry.items() if key != "mcpServers"}
        if isinstance(entry, dict) and isinstance(entry.get("mcpServers"), dict)
        else entry
        for path, entry in projects.items()
    }


def top_level_line(lines: list[str], needle: str) -> int:
    """The line of a top-level key: of the lines holding ``needle``, the least indented (a
    project's ``mcpServers`` in ``~/.claude.json`` may come before the user's own)."""
    found = [(len(line) - len(line.lstrip()), number) for number, line in enumerate(lines, 1) if needle in line]
    return min(found)[1] if found else 1
