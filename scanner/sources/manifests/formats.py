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

import json
import re
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from scanner.loading import (
    KeysNamedTwice,
    check_depth,
    finite_float,
    parse_json,
    parse_toml,
    refuse_constant,
    refuse_lone_surrogates,
    validate,
)
from scanner.model import Grant, SourceError
from scanner.redact import redact_text
from scanner.sources.manifests.client_config import (
    CLIENT_CANNOT_EXPRESS,
    Parsed,
    client_config,
    new_agent,
    platform_of,
    servers_by_project,
)
from scanner.sources.manifests.continue_config import in_continue_servers, is_continue_config, listed_servers
from scanner.sources.manifests.goose import is_goose, read_goose
from scanner.sources.manifests.mcp import (
    CLINE_SERVERS,
    CONTINUE_SERVERS,
    JSON_SERVERS,
    OPENCODE_SERVERS,
    ServerFormat,
    codex_approvals,
    enabled_not_false,
    server_records,
    shape_of,
    shown_key,
    url_tool_type,
    vscode_approvals,
    zed_approvals,
    zed_entry,
)
from scanner.sources.manifests.walk import SecretScan, line_of
from scanner.yaml_input import parse_yaml

MANIFEST_SUFFIXES = (".nhiscan.yaml", ".nhiscan.yml", ".nhiscan.json")


class NotAManifest(Exception):
    """The file parsed, but is none of the formats above."""


MAX_JSON5_BYTES = 64 * 1024  # JSON5's parser is pure Python: 1 MB takes half a minute
# a block comment or a string left open runs to the end (else every "/*" or escaped quote after it
# was searched to the end again: 390 KB of "/*a" took three minutes, 100 KB of \" 42 s), and the
# text is then no JSON
_JSONC_NOISE = re.compile(
    r'(?P<string>"(?:[^"\\]++|\\.)*+(?:"|\\?\Z))|//[^\n]*|/\*.*?(?:(?P<closed>\*/)|\Z)|,(?P<closer>\s*[\]}])', re.S
)


def _kept_of_noise(match: re.Match[str]) -> str:
    """What stays of a string, comment or trailing comma; a comment never closed keeps its opening,
    so the text is still no JSON (``/*/`` opens a comment and closes none)."""
    if match.group(0).startswith("/*") and match.group("closed") is None:
        return "/*"
    return match.group("string") or match.group("closer") or ""


def load_document(text: str, relpath: str, twice: KeysNamedTwice | None = None) -> Any:
    """JSON or YAML, by the file's suffix, with the bounds of every untrusted parse (no YAML
    aliases, bounded depth, no NaN). JSON is read by the standard parser; JSON with comments and
    trailing commas (VS Code, Cursor) is read after removing them; only what is left (unquoted
    keys, single quotes) goes to the slow JSON5 parser, for files up to MAX_JSON5_BYTES. A JSON key
    named twice in one object keeps its last value; ``twice`` holds the values dropped."""
    if relpath.endswith((".yaml", ".yml")):
        return parse_yaml(text)[0]
    if relpath.endswith(".toml"):
        return parse_toml(text)
    twice = twice if twice is not None else KeysNamedTwice()
    try:
        return parse_json(text, object_pairs_hook=twice)
    except json.JSONDecodeError:
        twice.dropped.clear()
    try:
        return parse_json(_JSONC_NOISE.sub(_kept_of_noise, text), object_pairs_hook=twice)
    except json.JSONDecodeError as error:
        twice.dropped.clear()
        if len(text) > MAX_JSON5_BYTES:
            raise ValueError(f"invalid JSON: {error.msg} (line {error.lineno})") from None
    import json5

    check_depth(text)
    # held to what strict JSON is held to: no NaN or Infinity, text only
    data = json5.loads(text, parse_constant=refuse_constant, parse_float=finite_float, object_pairs_hook=twice)
    refuse_lone_surrogates(data)
    return data


def parse_manifest(text: str, relpath: str, account: str) -> Parsed:
    twice = KeysNamedTwice()
    document = load_document(text, relpath, twice)
    if not isinstance(document, dict):
        raise NotAManifest(relpath)
    scan = SecretScan(f"{account}/{relpath}", relpath, text.splitlines())
    parsed = _parsed(document, relpath, scan, account)
    for key, dropped in twice.dropped:  # not read as the file's settings, but in the file all the same
        scan.check(None, {key: dropped})
        parsed.gaps.append(
            SourceError(
                f"read {relpath}",
                f"'{shown_key(key)}' is named twice in one object: the last is read, the "
                "earlier only searched for secrets",
                "invalid",
            )
        )
    parsed.credentials = scan.credentials
    return parsed


def _parsed(document: dict[str, Any], relpath: str, scan: SecretScan, account: str) -> Parsed:
    if document.get("nhiscan") is not None or relpath.endswith(MANIFEST_SUFFIXES):
        parsed = _nhiscan(document, scan, account)
    elif (
        "mcpServers" in document  # of any shape: a client configuration, its servers perhaps unreadable
        or isinstance(document.get("servers"), dict)
        or servers_by_project(document)
    ):
        section = "servers" if "servers" in document and "mcpServers" not in document else "mcpServers"
        if isinstance(document.get("mcpServers"), list):  # Continue's: a list of named entries
            parsed = listed_servers(document, "mcpServers", scan, account)
        else:
            parsed = client_config(document, section, scan, account, form=_json_servers_of(relpath, section))
    elif in_continue_servers(relpath) and ("command" in document or "url" in document):
        alone = {"mcpServers": {PurePosixPath(relpath).stem: document}}  # one server, named after its file
        parsed = client_config(alone, "mcpServers", scan, account, form=CONTINUE_SERVERS)
    elif isinstance(document.get("experimental"), dict) and "modelContextProtocolServers" in document["experimental"]:
        parsed = listed_servers(document, "modelContextProtocolServers", scan, account, ("experimental",))
    elif is_continue_config(relpath):  # an assistant without servers: its models, and their keys, all the same
        parsed = listed_servers({**document, "mcpServers": []}, "mcpServers", scan, account)
    elif _is_opencode(document, relpath) and "mcp" in document:
        parsed = _opencode(document, scan, account)
    elif "context_servers" in document:  # Zed's settings.json
        form = ServerFormat(auto_approved=zed_approvals(document), read_as=zed_entry)
        parsed = client_config(document, "context_servers", scan, account, form=form, platform="zed")
    elif (within := _vscode_servers_within(document, relpath)) is not None:
        settings = document if within == ("mcp",) else document["customizations"]["vscode"].get("settings")
        form = ServerFormat(auto_approved=vscode_approvals(settings))
        parsed = client_config(document, "servers", scan, account, within, form)
    elif "mcp_servers" in document and relpath.endswith(".toml") and not _codex_requirements(relpath):
        codex = codex_approvals(document)
        form = ServerFormat(key_written="mcp_servers.{}", auto_approved=codex, started=enabled_not_false)
        parsed = client_config(document, "mcp_servers", scan, account, form=form)
    elif is_goose(document):
        parsed = read_goose(document, scan, account)
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
    unchecked = scan.unchecked()
    if unchecked:  # a secret in what was not searched may be there: no secret control can pass on this file
        parsed.agent.unknown.append("credentials")
        message = f"{unchecked}; the rest of the file was not, so its credentials are unknown"
        parsed.gaps.append(SourceError(f"read {relpath}", message, "budget"))
    return parsed


# an Agent Framework agent sets approval per tool, but has no owner or guardrail field (see
# client_config.CLIENT_CANNOT_EXPRESS)
_AGENT_FRAMEWORK_CANNOT_EXPRESS = ("owner", "guardrail")


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
        return client_config(document, "servers", scan, account, ("mcp",), OPENCODE_SERVERS, "opencode")
    return client_config(document, "mcp", scan, account, form=OPENCODE_SERVERS, platform="opencode")


# the files of the clients that turn a server off with "disabled": true: Cline's, Roo Code's and Kilo
# Code's settings, Roo Code's and Kilo Code's project files (.roo/mcp.json, .kilocode/mcp.json), and
# Kiro's (.kiro/settings/mcp.json, "Disabling servers temporarily")
_CLINE_FILES = frozenset({"cline_mcp_settings.json", "mcp_settings.json"})
_CLINE_FOLDERS = frozenset({".roo", ".kilocode"})


def _json_servers_of(relpath: str, section: str) -> ServerFormat:
    """How the client of a file of JSON servers writes them (see ``ServerFormat``)."""
    path = PurePosixPath(relpath)
    if platform_of(relpath, section) == "continue":
        return CONTINUE_SERVERS
    kiro = path.parent.name == "settings" and path.parent.parent.name == ".kiro"
    if path.name in _CLINE_FILES or (path.name == "mcp.json" and (path.parent.name in _CLINE_FOLDERS or kiro)):
        return CLINE_SERVERS
    return JSON_SERVERS


def _registry_server(document: dict[str, Any], scan: SecretScan, account: str) -> Parsed:
    """An MCP server's registry entry: the server itself holds the credentials its users give it.
    ``packages`` and ``remotes`` are lists of mappings; another shape is a named gap (the tools
    are unknown). A field of another shape leaves unknown what it tells: an ``identifier`` or
    ``version`` that is no string leaves the package's pinning unknown, a ``transport`` that is no
    mapping with a ``type`` (or a remote's ``type`` that is no string) its transport, a remote's
    ``url`` that is no string its url."""
    holder, lines, relpath = scan.holder, scan.lines, scan.relpath
    name = _text(document.get("name")) or relpath
    agent = new_agent(holder, account, name, "mcp-server", relpath, unknown=list(CLIENT_CANNOT_EXPRESS))
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
    agent = new_agent(holder, account, name, "agent-framework", relpath, unknown=list(_AGENT_FRAMEWORK_CANNOT_EXPRESS))
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
    agent = new_agent(
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
