"""One manifest file into an agent, its tools and any plaintext secrets.

Formats, recognised by content: MCP client configurations (``mcpServers``: Claude Desktop, Claude
Code ``.mcp.json`` and ``~/.claude.json`` with its per-project servers, Cursor, and as a list
Continue; ``servers``: VS Code ``.vscode/mcp.json``, a dev container's
``customizations.vscode.mcp.servers`` and the ``mcp`` setting of VS Code's settings.json;
OpenCode's ``mcp``; Zed's ``context_servers``; JSON with comments too; ``[mcp_servers.NAME]``
tables: Codex's ``config.toml``; Goose's ``extensions`` in its config.yaml and its recipes), the
MCP registry's ``server.json``, Microsoft Agent Framework declarative agents (``kind: Prompt``),
and nhiscan's own agent manifest (``nhiscan: agent/v1``, see agent-manifest.schema.json).
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from scanner.loading import check_depth, parse_json, parse_toml, parse_yaml, validate
from scanner.model import Agent, Credential, Grant, SourceError
from scanner.redact import redact_text
from scanner.sources.manifests.mcp import (
    CLINE_SERVERS,
    CONTINUE_SERVERS,
    GOOSE_OWN,
    JSON_SERVERS,
    OPENCODE_SERVERS,
    EntryLines,
    ServerFormat,
    codex_approvals,
    enabled_not_false,
    goose_approvals,
    goose_entry,
    server_records,
    shape_of,
    shown_key,
    url_tool_type,
    vscode_approvals,
    zed_approvals,
    zed_entry,
)
from scanner.sources.manifests.walk import SecretScan, line_of

MANIFEST_SUFFIXES = (".nhiscan.yaml", ".nhiscan.yml", ".nhiscan.json")


@dataclass(slots=True)
class Parsed:
    agent: Agent
    grants: list[Grant] = field(default_factory=list)
    credentials: list[Credential] = field(default_factory=list)
    gaps: list[SourceError] = field(default_factory=list)  # what of the file was not read
    unread: list[str] = field(default_factory=list)  # entries of a shape their format does not have


class NotAManifest(Exception):
    """The file parsed, but is none of the formats above."""


MAX_JSON5_BYTES = 64 * 1024  # JSON5's parser is pure Python: 1 MB takes half a minute
# a block comment left open runs to the end (else every "/*" after it was searched to the end again:
# 390 KB of "/*a" took three minutes), and the text is then no JSON
_JSONC_NOISE = re.compile(
    r'(?P<string>"[^"\\]*(?:\\.[^"\\]*)*")|//[^\n]*|/\*.*?(?:(?P<closed>\*/)|\Z)|,(?P<closer>\s*[\]}])', re.S
)


def _kept_of_noise(match: re.Match[str]) -> str:
    """What stays of a string, comment or trailing comma; a comment never closed keeps its opening,
    so the text is still no JSON (``/*/`` opens a comment and closes none)."""
    if match.group(0).startswith("/*") and match.group("closed") is None:
        return "/*"
    return match.group("string") or match.group("closer") or ""


def load_document(text: str, relpath: str) -> Any:
    """JSON or YAML, by the file's suffix, with the bounds of every untrusted parse (no YAML
    aliases, bounded depth, no NaN). JSON is read by the standard parser; JSON with comments and
    trailing commas (VS Code, Cursor) is read after removing them; only what is left (unquoted
    keys, single quotes) goes to the slow JSON5 parser, for files up to MAX_JSON5_BYTES."""
    if relpath.endswith((".yaml", ".yml")):
        return parse_yaml(text)[0]
    if relpath.endswith(".toml"):
        return parse_toml(text)
    try:
        return parse_json(text)
    except json.JSONDecodeError:
        pass
    try:
        return parse_json(_JSONC_NOISE.sub(_kept_of_noise, text))
    except json.JSONDecodeError as error:
        if len(text) > MAX_JSON5_BYTES:
            raise ValueError(f"invalid JSON: {error.msg} (line {error.lineno})") from None
    import json5

    check_depth(text)
    return json5.loads(text)


def parse_manifest(text: str, relpath: str, account: str) -> Parsed:
    document = load_document(text, relpath)
    if not isinstance(document, dict):
        raise NotAManifest(relpath)
    scan = SecretScan(f"{account}/{relpath}", relpath, text.splitlines())
    if document.get("nhiscan") is not None or relpath.endswith(MANIFEST_SUFFIXES):
        parsed = _nhiscan(document, scan, account)
    elif (
        "mcpServers" in document  # of any shape: a client configuration, its servers perhaps unreadable
        or isinstance(document.get("servers"), dict)
        or _project_servers(document)
    ):
        section = "servers" if "servers" in document and "mcpServers" not in document else "mcpServers"
        if isinstance(document.get("mcpServers"), list):  # Continue's: a list of named entries
            parsed = _listed_servers(document, "mcpServers", scan, account)
        else:
            parsed = _client_config(document, section, scan, account, form=_json_servers_of(relpath, section))
    elif _in_continue_servers(relpath) and ("command" in document or "url" in document):
        parsed = _client_config({"mcpServers": {PurePosixPath(relpath).stem: document}}, "mcpServers", scan, account,
                                form=CONTINUE_SERVERS)  # fmt: skip
    elif isinstance(document.get("experimental"), dict) and "modelContextProtocolServers" in document["experimental"]:
        parsed = _listed_servers(document, "modelContextProtocolServers", scan, account, ("experimental",))
    elif _is_opencode(document, relpath) and "mcp" in document:
        parsed = _opencode(document, scan, account)
    elif "context_servers" in document:  # Zed's settings.json
        form = ServerFormat(auto_approved=zed_approvals(document), read_as=zed_entry)
        parsed = _client_config(document, "context_servers", scan, account, form=form, platform="zed")
    elif (within := _vscode_servers_within(document, relpath)) is not None:
        settings = document if within == ("mcp",) else document["customizations"]["vscode"].get("settings")
        form = ServerFormat(auto_approved=vscode_approvals(settings))
        parsed = _client_config(document, "servers", scan, account, within, form)
    elif "mcp_servers" in document and relpath.endswith(".toml") and not _codex_requirements(relpath):
        codex = codex_approvals(document)
        form = ServerFormat(key_written="mcp_servers.{}", auto_approved=codex, started=enabled_not_false)
        parsed = _client_config(document, "mcp_servers", scan, account, form=form)
    elif _is_goose(document):
        parsed = _goose(document, scan, account)
    elif "packages" in document or "remotes" in document:
        parsed = _registry_server(document, scan, account)
    elif document.get("kind") == "Prompt" and "tools" in document:
        parsed = _agent_framework(document, scan, account)
    else:
        raise NotAManifest(relpath)
    parsed.credentials = scan.credentials
    if parsed.unread:  # an entry or a section of a shape its format does not have: its tools are unknown
        parsed.agent.unknown.append("tools")
        parsed.gaps += [SourceError(f"read {relpath}", message, "invalid") for message in parsed.unread]
    if scan.truncated:  # a secret past the cut may be there: no secret control can pass on this file
        parsed.agent.unknown.append("credentials")
        message = (
            f"only the first {scan.strings_checked:,} strings were checked for secrets; "
            "the rest of the file was not, so its credentials are unknown"
        )
        parsed.gaps.append(SourceError(f"read {relpath}", message, "budget"))
    return parsed


# What a format has no place for is unknown, not absent: a client configuration or a registry entry
# cannot name an owner or a guardrail, nor whether the client asks before a tool call (its own
# settings, outside the file); an Agent Framework agent sets approval per tool, but has no owner or
# guardrail field. Only the nhiscan agent manifest can declare them all.
_CLIENT_CANNOT_EXPRESS = ("owner", "guardrail", "human_approval")
_AGENT_FRAMEWORK_CANNOT_EXPRESS = ("owner", "guardrail")


def _agent(holder: str, account: str, name: str, platform: str, relpath: str, **fields: Any) -> Agent:
    return Agent(
        uid=holder,
        provider="manifest",
        account=account,
        name=name,
        platform=platform,
        attributes={"location": {"file": relpath, "line": 1}},
        **fields,
    )


def _platform(relpath: str, section: str, within: tuple[str, ...] = ()) -> str:
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


# Where VS Code reads servers inside another file: a dev container's ``customizations.vscode.mcp``
# (devcontainer.json), and the ``mcp`` setting of settings.json (its first place, before mcp.json)
_VSCODE_SERVERS_WITHIN = (("customizations", "vscode", "mcp"), ("mcp",))


def _vscode_servers_within(document: dict[str, Any], relpath: str) -> tuple[str, ...] | None:
    """The keys down to the mapping that holds VS Code's ``servers`` inside another file, if any:
    a mapping of servers in any file, or ``servers`` of any shape (a gap) in the files VS Code reads
    them from. Other tools' files have an ``mcp`` setting too (``"mcp": {"servers": []}``)."""
    vscode_file = PurePosixPath(relpath).name in _VSCODE_FILES
    for within in _VSCODE_SERVERS_WITHIN:
        holder: Any = document
        for key in within:
            holder = holder.get(key) if isinstance(holder, dict) else None
        if isinstance(holder, dict) and (
            isinstance(holder.get("servers"), dict) or (vscode_file and "servers" in holder)
        ):
            return within
    return None


_VSCODE_FILES = frozenset({"devcontainer.json", ".devcontainer.json", "devcontainer-feature.json", "settings.json"})


def _codex_requirements(relpath: str) -> bool:
    """Codex's requirements.toml, an administrator's list of the servers allowed (by identity), not
    servers configured: its [mcp_servers.NAME.identity] tables name no command to run."""
    return PurePosixPath(relpath).name == "requirements.toml"


def _is_opencode(document: dict[str, Any], relpath: str) -> bool:
    """OpenCode's configuration: by its name (opencode.json, .opencode/opencode.jsonc) or its schema."""
    schema = document.get("$schema")
    named = PurePosixPath(relpath).name in ("opencode.json", "opencode.jsonc")
    return named or (isinstance(schema, str) and schema.startswith("https://opencode.ai/"))


def _opencode(document: dict[str, Any], scan: SecretScan, account: str) -> Parsed:
    """OpenCode's servers: under ``mcp`` (its first layout) or ``mcp.servers`` (its second), each
    ``local`` with a ``command`` list and ``environment``, or ``remote`` with ``url`` and ``headers``."""
    mcp = document["mcp"]
    second = isinstance(mcp, dict) and isinstance(mcp.get("servers"), dict) and "type" not in mcp["servers"]
    if second:
        return _client_config(document, "servers", scan, account, ("mcp",), OPENCODE_SERVERS, "opencode")
    return _client_config(document, "mcp", scan, account, form=OPENCODE_SERVERS, platform="opencode")


def _listed_servers(
    document: dict[str, Any], section: str, scan: SecretScan, account: str, within: tuple[str, ...] = ()
) -> Parsed:
    """Servers as a list of entries, each named by its ``name`` (Continue's config.yaml and the YAML
    blocks of ``.continue/mcpServers/``; its first config.json's ``experimental.modelContextProtocolServers``):
    a stdio server's ``command``, ``args``, ``env``; a remote one's ``url``, ``type`` and
    ``requestOptions.headers``; a hub block's ``uses`` (what it runs unknown here)."""
    holder = document
    for key in within:
        holder = holder[key]
    listed = holder[section]
    servers: dict[str, Any] = {}
    unread: list[str] = []
    if isinstance(listed, list):
        servers, unread = _named_entries(listed, section, scan)
    else:
        unread.append(f"{'.'.join((*within, section))} is {shape_of(listed)}, not a list; no server is read")
        scan.check(section, listed)
    json_file = not scan.relpath.endswith((".yaml", ".yml"))
    form = dataclasses.replace(CONTINUE_SERVERS, key_written='"name": "{}"' if json_file else "name: {}")
    listed_as = _with_key(document, (*within, section), servers)
    parsed = _client_config(listed_as, section, scan, account, within, form, platform="continue")
    parsed.unread = unread + parsed.unread
    return parsed


def _in_continue_servers(relpath: str) -> bool:
    """A file of a ``.continue/mcpServers/`` folder, which Continue reads as MCP servers."""
    parent = PurePosixPath(relpath).parent
    return parent.name == "mcpServers" and parent.parent.name == ".continue"


# the files of the clients that turn a server off with "disabled": true: Cline's, Roo Code's and Kilo
# Code's settings, Roo Code's and Kilo Code's project files (.roo/mcp.json, .kilocode/mcp.json), and
# Kiro's (.kiro/settings/mcp.json, "Disabling servers temporarily")
_CLINE_FILES = frozenset({"cline_mcp_settings.json", "mcp_settings.json"})
_CLINE_FOLDERS = frozenset({".roo", ".kilocode"})


def _json_servers_of(relpath: str, section: str) -> ServerFormat:
    """How the client of a file of JSON servers writes them (see ``ServerFormat``)."""
    path = PurePosixPath(relpath)
    if _platform(relpath, section) == "continue":
        return CONTINUE_SERVERS
    kiro = path.parent.name == "settings" and path.parent.parent.name == ".kiro"
    if path.name in _CLINE_FILES or (path.name == "mcp.json" and (path.parent.name in _CLINE_FOLDERS or kiro)):
        return CLINE_SERVERS
    return JSON_SERVERS


def _is_goose(document: dict[str, Any]) -> bool:
    """Goose's config.yaml (its ``extensions`` beside ``GOOSE_`` settings, or entries of Goose's
    shape) or a Goose recipe (``extensions`` beside a title and instructions or a prompt; Goose
    Desktop saves one under ``recipe``)."""
    if _goose_recipe(document) is not None:
        return True
    extensions = document.get("extensions")
    if extensions is None:
        return False
    settings = any(isinstance(key, str) and key.startswith("GOOSE_") for key in document)
    entries = extensions.values() if isinstance(extensions, dict) else ()
    return settings or any(isinstance(entry, dict) and ("cmd" in entry or "enabled" in entry) for entry in entries)


def _goose_recipe(document: dict[str, Any]) -> dict[str, Any] | None:
    """The recipe a document is, or holds under ``recipe`` (as Goose Desktop saves it), if any."""
    for recipe in (document, document.get("recipe")):
        if (
            isinstance(recipe, dict)
            and "extensions" in recipe
            and "title" in recipe
            and ("instructions" in recipe or "prompt" in recipe)
        ):
            return recipe
    return None


def _goose(document: dict[str, Any], scan: SecretScan, account: str) -> Parsed:
    """Goose's extensions: in config.yaml a mapping by key, each ``enabled`` or not; in a recipe a
    list. An extension that is disabled is no tool; one of Goose's own (builtin, platform,
    frontend) is a tool that runs no package, named as Goose starts it (its ``name``). A recipe's
    entry that is a name alone is no entry Goose reads (it refuses the recipe): it is read as a tool
    whose launch is unknown. The secrets of every entry are checked, once. What is run without
    asking is config.yaml's ``GOOSE_MODE``, and for a recipe the user's (unknown)."""
    recipe = _goose_recipe(document)
    holder = recipe if recipe is not None else document
    extensions = holder["extensions"]
    entries: dict[str, Any] = {}
    unread: list[str] = []
    if recipe is not None and isinstance(extensions, list):
        entries, unread = _named_entries(extensions, "extensions", scan, names_alone=True)
    elif recipe is None and isinstance(extensions, dict):
        entries = {str(key): entry for key, entry in extensions.items()}  # a YAML key may be a number
    else:
        shape = "a list" if recipe is not None else "a mapping"
        unread.append(f"extensions is {shape_of(extensions)}, not {shape}; no extension is read")
        scan.check("extensions", extensions)
    every = (lambda extension: None) if recipe is not None else goose_approvals(document)
    launched, own, off = {}, {}, {}
    for name, entry in entries.items():
        if isinstance(entry, dict) and entry.get("enabled") is False:
            off[name] = entry
        elif isinstance(entry, dict) and isinstance(entry.get("type"), str) and entry["type"] in GOOSE_OWN:
            own[name] = entry
        else:
            launched[name] = entry
    json_file = not scan.relpath.endswith((".yaml", ".yml"))
    written = ('"name": "{}"' if json_file else "name: {}") if recipe is not None else "{}:"
    form = ServerFormat(key_written=written, auto_approved=every, read_as=goose_entry)
    platform = "goose-recipe" if recipe is not None else "goose"
    within = ("recipe",) if recipe is not None and recipe is not document else ()
    servers = _with_key(document, (*within, "extensions"), launched)
    parsed = _client_config(servers, "extensions", scan, account, within, form, platform)
    parsed.unread = unread + parsed.unread
    section_line = _top_level_line(scan.lines, "extensions")
    if recipe is None and (own or off):  # a credential pasted as their key, as server_records checks the others'
        scan.check(None, {"extensions": dict.fromkeys({**own, **off})}, section_line)
    entry_lines = EntryLines(scan.lines, section_line)
    lines = {key: entry_lines.line_of(form.key_written.format(key)) for key in entries if key in own or key in off}
    for key, entry in own.items():
        line = lines[key]
        started = entry.get("name")  # Goose starts its own extension by its name, the key only naming the entry
        name = "".join(started.split()).lower() if isinstance(started, str) and started.strip() else key
        attributes: dict[str, Any] = {"location": {"file": scan.relpath, "line": line}, "tool_type": name}
        approved = every(entry)
        if approved:
            attributes["auto_approved"] = approved
        unknown = ["attributes.auto_approved"] if approved is None else []
        tool = Grant(scan.holder, "tool", name, source="declared", attributes=attributes, unknown=unknown)
        parsed.grants.append(tool)
    for key, entry in {**own, **off}.items():
        scan.check(key, entry, lines[key])
    return parsed


def _named_entries(
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


def _with_key(document: dict[str, Any], keys: tuple[str, ...], value: Any) -> dict[str, Any]:
    """A copy of ``document`` with the value the ``keys`` lead to replaced (the mappings on the way copied)."""
    first, *rest = keys
    return {**document, first: value if not rest else _with_key(document[first], tuple(rest), value)}


def _client_config(
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
    platform = platform or _platform(scan.relpath, section, within)
    label = _PLATFORM_NAMES.get(platform, "MCP client")
    name = f"{label} ({scan.relpath})"
    agent = _agent(scan.holder, account, name, platform, scan.relpath, unknown=list(_CLIENT_CANNOT_EXPRESS))
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
        _top_level_line(scan.lines, section if bare else f'"{section}"'),
        section=shown,
        form=form,
    )
    unread += unread_servers
    projects = _project_servers(document)
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


def _without_key(document: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """A copy of ``document`` without the value the ``keys`` lead to (the mappings on the way copied)."""
    first, *rest = keys
    if not rest:
        return {key: value for key, value in document.items() if key != first}
    return {**document, first: _without_key(document[first], tuple(rest))}


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


def _project_servers(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
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


def _top_level_line(lines: list[str], needle: str) -> int:
    """The line of a top-level key: of the lines holding ``needle``, the least indented (a
    project's ``mcpServers`` in ``~/.claude.json`` may come before the user's own)."""
    found = [(len(line) - len(line.lstrip()), number) for number, line in enumerate(lines, 1) if needle in line]
    return min(found)[1] if found else 1


def _registry_server(document: dict[str, Any], scan: SecretScan, account: str) -> Parsed:
    """An MCP server's registry entry: the server itself holds the credentials its users give it.
    ``packages`` and ``remotes`` are lists of mappings; another shape is a named gap (the tools
    are unknown). A field of another shape leaves unknown what it tells: an ``identifier`` or
    ``version`` that is no string leaves the package's pinning unknown, a ``transport`` that is no
    mapping with a ``type`` (or a remote's ``type`` that is no string) its transport, a remote's
    ``url`` that is no string its url."""
    holder, lines, relpath = scan.holder, scan.lines, scan.relpath
    name = _text(document.get("name")) or relpath
    agent = _agent(holder, account, name, "mcp-server", relpath, unknown=list(_CLIENT_CANNOT_EXPRESS))
    grants: list[Grant] = []
    unread: list[str] = []
    for index, package in _entries(document, "packages", unread):
        grant = _registry_package(document, package, index, scan)
        grants.append(grant)
        scan.check(grant.name, package, grant.attributes["location"]["line"])
    for _, remote in _entries(document, "remotes", unread):
        url, unknown = remote.get("url", ""), []
        if not isinstance(url, str):
            url, unknown = "", ["attributes.url"]
        line = line_of(lines, url) if url else 1
        attributes: dict[str, Any] = {"location": {"file": relpath, "line": line}}
        if not unknown:
            attributes["url"] = url
        transport = remote.get("type")
        if isinstance(transport, str | None):
            attributes["transport"] = transport
        else:
            unknown.append("attributes.transport")
        attributes["tool_type"] = url_tool_type(url)
        grants.append(Grant(holder, "tool", url or "remote", source="mcp:http", attributes=attributes, unknown=unknown))
        scan.check(url, remote, line)
    scan.check(None, document, skip=frozenset({"packages", "remotes"}))
    return Parsed(agent, grants, unread=unread)


def _registry_package(document: dict[str, Any], package: dict[str, Any], index: int, scan: SecretScan) -> Grant:
    unknown: list[str] = []
    identifier = package.get("identifier", f"package-{index}")
    version = package.get("version") or document.get("version", "")
    if "version" in package and not isinstance(package["version"], str):
        version = package["version"]
    if not isinstance(identifier, str):  # what runs is unknown, and so is whether it is pinned
        identifier = None
        unknown += ["attributes.package", "attributes.package_pinned"]
    elif not isinstance(version, str):  # what runs is known, its version is not
        unknown.append("attributes.package_pinned")
    line = line_of(scan.lines, identifier[:30]) if identifier else 1
    attributes: dict[str, Any] = {"location": {"file": scan.relpath, "line": line}}
    if identifier is not None:
        attributes["package"] = identifier
        if isinstance(version, str):
            attributes["package_pinned"] = bool(version) and "${" not in version and "${" not in identifier
    attributes["registry"] = _text(package.get("registryType"))
    transport = package.get("transport", {})
    kind = transport.get("type", "stdio") if isinstance(transport, dict) else None
    if isinstance(kind, str):
        attributes["transport"] = kind
    else:
        unknown.append("attributes.transport")
    attributes["tool_type"] = _package_name(redact_text(identifier)) if identifier is not None else ""
    if identifier is None:
        name = f"package-{index}"
    else:
        name = _package_name(identifier) if "://" in identifier else identifier
    return Grant(scan.holder, "tool", name, source="mcp:stdio", attributes=attributes, unknown=unknown)


def _entries(document: dict[str, Any], key: str, unread: list[str]) -> list[tuple[int, dict[str, Any]]]:
    """The mappings a list field holds, by index; what is of another shape goes to ``unread``."""
    if key not in document:
        return []
    value = document[key]
    if not isinstance(value, list):
        unread.append(f"{key} is {shape_of(value)}, not a list; none of its entries is read")
        return []
    for index, entry in enumerate(value):
        if not isinstance(entry, dict):
            unread.append(f"{key}[{index}] is {shape_of(entry)}, not a mapping; it is not read")
    return [(index, entry) for index, entry in enumerate(value) if isinstance(entry, dict)]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _package_name(identifier: str) -> str:
    """What a package is called: a download URL (a release asset on a code-hosting site) names its
    file, not the hosting service, so the tool is classified by what it is, not where it is kept."""
    if "://" in identifier:
        file_name = PurePosixPath(urlsplit(identifier).path).name
        return re.sub(r"(?:[-_]v?\d+(?:\.\d+)*)?(?:\.(?:tar\.gz|tgz|zip|mcpb|whl|gz))+$", "", file_name) or identifier
    return identifier.rsplit("/", 1)[-1].split(":")[0]


def _agent_framework(document: dict[str, Any], scan: SecretScan, account: str) -> Parsed:
    """A declarative agent's tools: ``tools`` is a list of mappings (another shape is a named gap).
    A tool's ``kind`` that is no string leaves what it is unknown (its url and approval); a ``url``
    that is no string leaves its url unknown."""
    holder, lines, relpath = scan.holder, scan.lines, scan.relpath
    name = _text(document.get("name")) or relpath
    agent = _agent(holder, account, name, "agent-framework", relpath, unknown=list(_AGENT_FRAMEWORK_CANNOT_EXPRESS))
    grants: list[Grant] = []
    unread: list[str] = []
    for _, tool in _entries(document, "tools", unread):
        kind, url = tool.get("kind", ""), tool.get("url")
        name = _text(tool.get("name")) or _text(kind) or "tool"
        line = line_of(lines, f"name: {name}")
        attributes: dict[str, Any] = {"location": {"file": relpath, "line": line}}
        unknown: list[str] = []
        if "url" in tool and not isinstance(url, str):
            url = None
            unknown.append("attributes.url")
        attributes["tool_type"] = url_tool_type(url) if url else (kind if isinstance(kind, str) else "")
        if not isinstance(kind, str):  # an MCP tool or another: its url and approval are unknown
            unknown += [field for field in ("attributes.url", "attributes.requires_approval") if field not in unknown]
            grants.append(Grant(holder, "tool", name, source="declared", attributes=attributes, unknown=unknown))
        elif kind == "mcp":
            if url is not None:
                attributes["url"] = url
            elif "attributes.url" not in unknown:
                attributes["url"] = ""
            if allowed := _tool_names(tool.get("allowedTools")):
                attributes["allowed_tools"] = allowed
            requires_approval = _requires_approval(tool)
            if requires_approval is not None:
                attributes["requires_approval"] = requires_approval
            unknown += ["attributes.requires_approval"] if requires_approval is None else []
            grants.append(Grant(holder, "tool", name, source="mcp:http", attributes=attributes, unknown=unknown))
        else:
            grants.append(Grant(holder, "tool", name, source="declared", attributes=attributes, unknown=unknown))
        scan.check(name, tool, line)
    scan.check(None, document, skip=frozenset({"tools"}))
    return Parsed(agent, grants, unread=unread)


_APPROVAL_KINDS = {"always": True, "never": False}


def _requires_approval(tool: dict[str, Any]) -> bool | None:
    """Whether every call of an Agent Framework MCP tool asks a human first, as its
    ``approvalMode`` says: a mapping whose ``kind`` is ``always``, ``never`` or ``specify`` (with
    ``alwaysRequireApprovalTools`` and ``neverRequireApprovalTools``), or that kind alone as a
    string. A tool without one does not ask. None where it cannot be told: ``specify`` that does
    not list every allowed tool as always asking (which of the server's tools change things is not
    known), and any shape the format does not have."""
    if "approvalMode" not in tool:
        return False
    mode = tool["approvalMode"]
    if isinstance(mode, str):
        mode = {"kind": mode}
    if not isinstance(mode, dict) or not isinstance(kind := mode.get("kind"), str):
        return None
    if kind in _APPROVAL_KINDS:
        return _APPROVAL_KINDS[kind]
    if kind == "specify":
        always, allowed = _tool_names(mode.get("alwaysRequireApprovalTools")), _tool_names(tool.get("allowedTools"))
        if always and allowed and set(allowed) <= set(always):
            return True
    return None


def _tool_names(value: Any) -> list[str]:
    """The tool names a list holds (``allowedTools``, ``alwaysRequireApprovalTools``); [] for a
    value of any other shape."""
    return list(value) if isinstance(value, list) and all(isinstance(name, str) for name in value) else []


def _nhiscan(document: dict[str, Any], scan: SecretScan, account: str) -> Parsed:
    holder, lines, relpath = scan.holder, scan.lines, scan.relpath
    validate(document, "agent-manifest", PurePosixPath(relpath))  # type: ignore[arg-type]
    memory = document.get("memory") or {}
    agent = _agent(
        holder,
        account,
        document["name"],
        document.get("platform") or "nhiscan-manifest",
        relpath,
        owner=document.get("owner"),
        runs_as=document.get("runs_as"),
        guardrail=document.get("guardrail"),
        human_approval=document.get("human_approval"),
        memory_enabled=memory.get("enabled"),
        memory_retention_days=memory.get("retention_days"),
        tags=dict(document.get("tags") or {}),
    )
    if document.get("data_scopes"):
        agent.attributes["data_scopes"] = list(document["data_scopes"])
    grants = []
    for tool in document.get("tools") or []:
        line = line_of(lines, str(tool["name"]))
        if isinstance(tool.get("mcp"), dict):
            (grant,), _ = server_records({tool["name"]: tool["mcp"]}, scan, line)
        else:
            grant = Grant(
                holder,
                "tool",
                tool["name"],
                source="declared",
                attributes={"location": {"file": relpath, "line": line}},
            )
        grant.capabilities = list(tool.get("capabilities") or [])
        for key in ("requires_approval", "sandboxed"):
            if key in tool:
                grant.attributes[key] = tool[key]
        grants.append(grant)
        scan.check(str(tool["name"]), tool, line, skip=frozenset({"mcp"}))
    scan.check(None, document, skip=frozenset({"tools"}))
    return Parsed(agent, grants)
