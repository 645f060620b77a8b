"""MCP server entries (``mcpServers`` / ``servers``) into tool grants and plaintext-secret credentials.

A server launched with ``npx``, ``uvx``, ``pipx``, ``docker run`` or a direct command is a stdio
tool named after its key, whose ``tool_type`` is the package (or image) it runs, so the capability
catalog can recognise it; a server with a ``url`` (``serverUrl``, Gemini CLI's ``httpUrl``) is an
HTTP tool. What the client runs without asking (``autoApprove``, ``alwaysAllow``, Gemini CLI's
``trust``) is read in the shapes the clients document; any other shape leaves it unknown. So does
every other field: a ``command`` that is no string or ``args`` that are no list of strings leave
the package and its pinning unknown, a ``url`` that is no string the url and transport, a ``type``
that is no string the transport; an entry that is no mapping is a named gap. Every string of an
entry is checked for literal credentials (see ``walk``).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from scanner.container_run import image_of
from scanner.model import Grant
from scanner.redact import REDACTED, redact_text, without_spans
from scanner.secret_detection import (
    COMMAND_WORD,
    MAX_SEARCHED_LENGTH,
    MIN_REDACTED_BY_VALUE,
    command_secrets,
    find_secret,
    find_secret_in_argument,
    occurrences,
    program_argument_secrets,
)
from scanner.sources.manifests.walk import LineFinder, SecretScan

_ONE_WORD = re.compile(r"\S+")
# one exact version (with a prerelease or build, if any): not a range (1.2.3||>=2), not a URL or path
_NPM_PINNED = re.compile(r"^(?:@[^/@\s]+/)?[^@/:\s]+@\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
_UV_VALUED_OPTIONS = frozenset(
    {"--from", "--with", "-w", "--with-editable", "--with-requirements", "--python", "-p", "--index", "--index-url",
     "--extra-index-url", "--default-index", "--spec"}
)  # fmt: skip
_PY_PINNED = re.compile(r"^[\w.-]+(?:\[[^\]]*\])?(?:==|@)\d[\w.]*$")  # uvx also takes pkg@1.2.3


# Past this many servers whose names are not found as written, the rest are placed at the line of the
# last found: 25,000 quoted names in 1 MB took 78 s of searching the whole file for each
MAX_LINE_MISSES = 100


class EntryLines:
    """The lines of a section's entries, found in file order: each search resumes where the last
    one ended (within its line too: a one-line file is not read again from its start for each
    entry), else starts again at the section (entries out of order); past MAX_LINE_MISSES names not
    found as written, the rest stand at the line of the last found."""

    def __init__(self, finder: LineFinder, section_line: int) -> None:
        self.finder = finder
        self.start, self.cursor, self.misses = section_line, max(1, section_line), 0
        self.offset = self.found = self.finder.offset_of_line(section_line)  # found: where the last name is

    def line_of(self, needle: str) -> int:
        if self.misses >= MAX_LINE_MISSES:
            return self.cursor
        found = self.finder.find(needle, self.offset)
        if found < 0:
            found = self.finder.find(needle, self.finder.offset_of_line(self.start))
        if found < 0:
            self.misses += 1
            self.cursor, self.offset = max(1, self.start), self.finder.offset_of_line(self.start)
            self.found = self.offset
            return self.cursor
        self.cursor, self.offset, self.found = self.finder.line_at(found), found + len(needle), found
        return self.cursor


def launched_package(command: str, args: list[str]) -> tuple[str | None, bool | None]:
    """The package or image a stdio server runs, and whether its version is pinned. A secret a
    flag gives (``["--password", X, "pkg"]``) is no package."""
    program = re.split(r"[/\\]", command)[-1].lower().removesuffix(".exe").removesuffix(".cmd")
    secrets = {i for i, a in enumerate(args) if find_secret_in_argument(a, args[i - 1] if i else None)}
    secrets |= program_argument_secrets(command, args).keys()
    positional = [a for i, a in enumerate(args) if not a.startswith("-") and i not in secrets]
    if program in ("npx", "bunx", "pnpx") or (program in ("pnpm", "yarn", "npm") and "dlx" in args):
        # npx -p A -p B bin: the packages -p installs are what runs, each to be pinned
        given, values = _option_values(args, ("-p", "--package"))
        package = next((a for i, a in enumerate(args) if a in positional and i not in values
                        and a not in ("dlx", "exec")), None)  # fmt: skip
        if given:
            return package or given[-1], all(_NPM_PINNED.match(g) for g in given)
        return package, bool(package and _NPM_PINNED.match(package))
    if program in ("uvx", "pipx") or (program == "uv" and "run" in args):
        _, values = _option_values(args, tuple(_UV_VALUED_OPTIONS))  # uvx --with X PKG: X is no package
        package = next((a for i, a in enumerate(args) if a in positional and i not in values and a != "run"), None)
        from_flag = next(iter(_option_values(args, ("--from",))[0]), None)
        package = from_flag or package
        # every package --with adds runs in the server's environment too, pinned or not; a
        # requirements file or an editable folder is not read here
        added, _ = _option_values(args, ("--with", "-w"))
        unread, _ = _option_values(args, ("--with-requirements", "--with-editable"))
        pinned = bool(package and _PY_PINNED.match(package)) and all(_PY_PINNED.match(a) for a in added)
        return package, pinned and not unread
    if program in ("docker", "podman"):
        image = _docker_image(args)
        if image is None:
            return None, None
        # a tag can be moved to another image, whichever it is and however the image is launched
        # (docker run, or a shell told to run it: cmd /c docker run …): only a digest pins one
        return image, _IMAGE_DIGEST.search(image) is not None
    return command or None, None


_IMAGE_DIGEST = re.compile(r"@sha256:[0-9a-fA-F]{64}$")
_SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ash"})
# a script of more than one simple command, or one whose words are expanded (variables, another
# command's output): what it launches cannot be read from it
_SCRIPT_OPERATORS = re.compile(r"[;&|<>`\n$]|%[^%\s]+%|![^!\s]+!")
# what a POSIX shell does to a line beyond splitting it: a comment drops the rest, braces expand
# into other words ({-p,evil-pkg} is "-p evil-pkg"), so the words read are not those that run. A
# brace is looked for from the first "{" after a "}" only (a "," or ".." after a later one is after
# the first too): searched from every "{", 128 KB of them took about a minute
_SHELL_EXPANDS = re.compile(r"(?:^|\s)#|(?:^|\})[^{}]*\{[^}]*(?:,|\.\.)[^}]*\}")
_SHELL_COMMAND_FLAG = re.compile(r"^-[a-z]*c[a-z]*$")  # -c, and -lc, -ec, -xc
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")  # NODE_OPTIONS=… npx …: the program comes after
_CMD_WORD = re.compile(r'"[^"]*"|\S+')
# a shell told to run a script nhiscan does not read: what runs is unknown
SCRIPT_NOT_READ: tuple[str, list[str]] = ("", [])
# wsl's options before the Linux command line it runs, those taking a value (Microsoft's "Basic
# commands for WSL"); -e/--exec and -- end them
_WSL_VALUED = frozenset({"-d", "--distribution", "--distribution-id", "-u", "--user", "--cd", "--shell-type"})


def through_shell(command: str, args: list[str]) -> tuple[str, list[str]] | None:
    """The program and arguments a shell is told to run (``cmd /c npx -y pkg``, ``sh -c "npx -y
    pkg"``), which Windows configurations write for every server; None when ``command`` is no shell
    told to run one; ``SCRIPT_NOT_READ`` when its script is not one simple command whose words are
    as written (several commands, redirections, variables), or longer than any argument."""
    program = re.split(r"[/\\]", command)[-1].lower().removesuffix(".exe")
    if program == "cmd":
        at = next((i for i, a in enumerate(args) if a.lower() in ("/c", "/k")), None)
        if at is None or at + 1 >= len(args) or not all(a.startswith("/") for a in args[:at]):
            return None
        words = args[at + 1 :]
        if len(words) == 1:  # cmd /c "npx -y pkg": one string cmd reads as its command line
            words = _CMD_WORD.findall(words[0])
        words = [w[1:-1] if len(w) >= 2 and w[0] == w[-1] == '"' else w for w in words]
    elif program == "wsl":  # wsl [-d Ubuntu] [--] npx -y pkg: the command line runs in Linux
        command_line = _wsl_command_line(args)
        if command_line is None:
            return SCRIPT_NOT_READ
        words, executed = command_line
        if not executed:  # Linux's shell reads the words as one line: its quotes join and split them
            quoted = [_as_windows_quotes_it(word) for word in words]
            read = None if None in quoted else _script_words(" ".join(word for word in quoted if word is not None))
            if read is None:
                return SCRIPT_NOT_READ
            words = read
    elif program in _SHELLS:
        # options before -c (bash -l -c, bash --login -c); a first word that is none is a script file
        at = next((i for i, a in enumerate(args) if not a.startswith("-") or _SHELL_COMMAND_FLAG.match(a)), None)
        if at is None or not _SHELL_COMMAND_FLAG.match(args[at]):
            return None
        if at + 1 >= len(args):
            return SCRIPT_NOT_READ
        read = _script_words(args[at + 1])
        if read is None:
            return SCRIPT_NOT_READ
        words = read[1:] if read[:1] == ["exec"] else read
    else:
        return None
    while words and _ASSIGNMENT.match(words[0]):
        words = words[1:]
    if not words or any(_SCRIPT_OPERATORS.search(word) for word in words):
        return SCRIPT_NOT_READ
    if program == "wsl":  # wsl bash -c "npx …": what the shell in Linux is told to run
        return through_shell(words[0], words[1:]) or (words[0], words[1:])
    return words[0], words[1:]


def _script_words(script: str) -> list[str] | None:
    """The words a POSIX shell splits ``script`` into; None where it does more than split and unquote
    (several commands, redirections, variables, comments, brace expansion), where a quote is never
    closed, or where the script is longer than any argument."""
    if len(script) > MAX_SEARCHED_LENGTH or _SCRIPT_OPERATORS.search(script) or _SHELL_EXPANDS.search(script):
        return None
    try:
        return shlex.split(script)
    except ValueError:  # a quote never closed
        return None


def _as_windows_quotes_it(word: str) -> str | None:
    """A word as the command line a client starts wsl with holds it: in double quotes where it holds a
    space or tab (Windows' convention, which Linux's shell reads the same); None where it also holds
    a double quote or a backslash, escaped in ways this does not follow (what runs is not read)."""
    if not any(c in " \t" for c in word):
        return word
    return None if '"' in word or "\\" in word else f'"{word}"'


def _wsl_command_line(args: list[str]) -> tuple[list[str], bool] | None:
    """The Linux command line ``wsl`` runs after its own options, and whether it is run as it is
    (``-e``/``--exec``) rather than by Linux's shell; None where an option is none of those (a
    management command such as ``--install`` or ``--list``, or one nhiscan does not know)."""
    at = 0
    while at < len(args):
        word = args[at]
        if word in _WSL_VALUED:
            at += 2
        elif word == "--system":
            at += 1
        elif word in ("-e", "--exec"):
            return args[at + 1 :], True
        elif word == "--":
            return args[at + 1 :], False
        elif word.startswith("-"):
            return None
        else:
            return args[at:], False
    return [], False


def _option_values(args: list[str], names: tuple[str, ...]) -> tuple[list[str], set[int]]:
    """The values of the options ``names`` (``-p X`` or ``--package=X``), and the indexes of the
    words that are values."""
    found, at = [], set()
    for index, word in enumerate(args):
        if word in names and index + 1 < len(args):
            found.append(args[index + 1])
            at.add(index + 1)
        elif word.startswith("--") and word.partition("=")[0] in names and "=" in word:
            found.append(word.partition("=")[2])
    return found, at


def _without_secret_words(command: str) -> str:
    """The command with each word ``find_secret_in_command`` reports, and each other word that is
    such a secret's value (``serve X --password X``), made ``[REDACTED]`` (``NAME=`` keeps its
    name): the command and the package read from it are kept, and are then no place for the
    secret. Whole words only, so nothing else of the command changes."""
    found = {word.start(): secret.value for word, secret in command_secrets(command)}
    spaced = {value for value in found.values() if not _ONE_WORD.fullmatch(value)}
    if spaced:  # a quoted value of several words (--password 'a b') goes whole; then the words are read again
        command = without_spans(command, occurrences(command, spaced))
        found = {word.start(): secret.value for word, secret in command_secrets(command)}
    if not found:
        return command
    values = {value for value in found.values() if len(value) >= MIN_REDACTED_BY_VALUE}

    def shown(word: re.Match[str]) -> str:
        text = word.group(0)
        value = found.get(word.start()) or (text if text in values else None)
        if value is None:
            return text
        named = len(value) >= MIN_REDACTED_BY_VALUE and text.endswith(value) and text != value
        return text[: -len(value)] + REDACTED if named else REDACTED

    return COMMAND_WORD.sub(shown, command)


def _docker_image(args: list[str]) -> str | None:
    """The image ``docker run`` (``docker container run``, podman's) runs, after its options."""
    words = args[1:] if args[:1] == ["container"] else args
    return image_of(words[1:]) if words[:1] == ["run"] else image_of(words)


def url_tool_type(url: str) -> str:
    """What the catalog matches for a remote tool: its host (api.githubcopilot.com …)."""
    return urlparse(url).hostname or url


def _auto_approved(server: dict[str, Any]) -> list[str] | bool | None:
    """What the client runs without asking: the tool names listed under ``autoApprove`` (Cline)
    and ``alwaysAllow`` (Roo Code, Kilo Code), or True for a server Gemini CLI is told to
    ``trust`` (every tool call without confirmation) and one VS Code runs in its sandbox
    (``sandboxEnabled``: "tool confirmations are auto-approved"); [] for nothing. None where a
    setting has a shape its client does not document (a word, a number, null, a mapping, a list of
    other things): what is approved is then unknown, neither nothing nor everything."""
    for key in ("trust", "sandboxEnabled"):
        if key in server and not isinstance(server[key], bool):
            return None
    if server.get("trust") is True or server.get("sandboxEnabled") is True:
        return True
    names: list[str] = []
    for key in ("alwaysAllow", "autoApprove"):
        if key in server:
            value = server[key]
            if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
                return None
            names.extend(value)
    return names


# VS Code's setting that approves every tool call without asking (its first name, then its current one)
_VSCODE_APPROVE_ALL = ("chat.tools.autoApprove", "chat.tools.global.autoApprove")


def vscode_approvals(settings: Any) -> Callable[[dict[str, Any]], list[str] | bool | None]:
    """What VS Code runs without asking, for the servers of a file that also holds its settings
    (settings.json, a dev container's ``customizations.vscode.settings``): every call when
    ``chat.tools.global.autoApprove`` is true, else by each server's own entry."""
    if not isinstance(settings, dict):
        return _auto_approved
    values = [settings[key] for key in _VSCODE_APPROVE_ALL if key in settings]
    if any(not isinstance(value, bool) for value in values):
        return unknown_approvals
    if any(values):
        return lambda server: True
    return _auto_approved


# Codex's approval of a server's tools (AppToolApproval; requires_mcp_tool_approval_for_mode in its
# source): "approve" runs a call without asking and "prompt" always asks; "auto" (the default) and
# "writes" let through what the server's own annotations mark read-only or harmless, which only the
# server says: what they let through is unknown.
_CODEX_APPROVALS: dict[str, bool | None] = {"approve": True, "prompt": False, "auto": None, "writes": None}


def codex_approvals(settings: dict[str, Any]) -> Callable[[dict[str, Any]], list[str] | bool | None]:
    """What Codex runs without asking, for each server of a config.toml: every call when the
    approval policy is ``never`` and the sandbox ``danger-full-access`` (or the selected
    ``[profiles.X]`` says so), whose prompts Codex answers itself; otherwise by the server's
    approval modes (see ``_codex_auto_approved``)."""
    profiles, chosen = settings.get("profiles"), settings.get("profile")
    profile = profiles.get(chosen) if isinstance(profiles, dict) and isinstance(chosen, str) else None
    profile = profile if isinstance(profile, dict) else {}
    policy = profile.get("approval_policy", settings.get("approval_policy"))
    sandbox = profile.get("sandbox_mode", settings.get("sandbox_mode"))
    unattended = policy == "never" and sandbox == "danger-full-access"
    return lambda server: True if unattended else _codex_auto_approved(server)


def _codex_auto_approved(server: dict[str, Any]) -> list[str] | bool | None:
    """By ``default_tools_approval_mode`` and each ``[mcp_servers.NAME.tools.TOOL]`` table's
    ``approval_mode`` (a tool's own first): every tool when the default is ``approve`` (a tool set
    back to ``prompt`` is not told apart), the tools set to ``approve``, nothing when every call
    asks; None where a mode leaves it to the server's annotations, or has a shape Codex does not read."""
    default = server.get("default_tools_approval_mode", "auto")
    every = _codex_mode(default)
    if every:
        return True
    tools = server.get("tools", {})
    if not isinstance(tools, dict):
        return None
    names, unknown = [], every is None
    for tool, setting in tools.items():
        approved = _codex_mode(setting.get("approval_mode", default)) if isinstance(setting, dict) else None
        if approved:
            names.append(str(tool))
        unknown = unknown or approved is None
    return names if names else None if unknown else []


def _codex_mode(mode: Any) -> bool | None:
    """Whether a Codex approval mode runs a call without asking; None where it cannot be told."""
    return _CODEX_APPROVALS.get(mode) if isinstance(mode, str) else None


def shape_of(value: Any) -> str:
    """A value's shape as a gap names it: "a number", "a list", "null" …"""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    names = {str: "a string", list: "a list", dict: "a mapping"}
    return next((shown for kind, shown in names.items() if isinstance(value, kind)), f"a {type(value).__name__}")


def shown_key(name: str) -> str:
    """A key as a gap names it: a plain name, else [key] (a key may itself be a secret)."""
    return name if _PLAIN_NAME.match(name) and find_secret(name, entropy=False) is None else "[key]"


_PLAIN_NAME = re.compile(r"^[\w.\-@:/ ]{1,100}$")
_URL_KEYS = ("url", "serverUrl", "httpUrl")  # httpUrl: Gemini CLI
# an http(s) or ws(s) URL as Node's WHATWG parser reads one: spaces and control characters before it
# trimmed, tabs and new lines inside it dropped, no "//" needed (http:host); see NHI-AGENT-010
_NETWORK_URL = re.compile(r"(?i)^[\x00-\x20]*(?:h[\t\n\r]*t[\t\n\r]*t[\t\n\r]*p|w[\t\n\r]*s)[\t\n\r]*s?[\t\n\r]*:")
_BRIDGES = frozenset({"mcp-remote", "supergateway", "mcp-proxy"})  # stdio servers that relay a remote one
# A URL that begins with a reference the client fills in when it starts (${API_BASE_URL:-https://…},
# ${input:url}, ${env:URL}, $URL, OpenCode's {env:URL}, %URL%): its scheme is not written
_SCHEME_FILLED_IN = re.compile(r"^[\x00-\x20]*(?:\$\{|\$[A-Za-z_]|\{(?:env|file):|%[A-Za-z_])")


def _launch(server: dict[str, Any], attributes: dict[str, Any], unknown: list[str]) -> str:
    """A stdio server's command, package and pinning into ``attributes``; its tool type. A command
    that is not a string, or arguments that are not a list of strings, leave the package and its
    pinning unknown (what runs cannot be told), never a guess from a stringified value. So does a
    command longer than any a program is given, which is neither read nor kept (see
    ``secret_detection.MAX_SEARCHED_LENGTH``)."""
    command, args = server.get("command", ""), server.get("args", [])
    if not isinstance(command, str) or len(command) > MAX_SEARCHED_LENGTH:
        attributes["transport"] = "stdio"
        unknown += ["attributes.command", "attributes.package", "attributes.package_pinned"]
        return ""
    command = _without_secret_words(command)
    attributes.update(command=command, transport="stdio")
    # arguments of another shape, or longer than any argument (not searched): nor which package runs,
    # nor whether it bridges to a remote server, can be told
    if not isinstance(args, list) or not all(isinstance(a, str) and len(a) <= MAX_SEARCHED_LENGTH for a in args):
        unknown += ["attributes.package", "attributes.package_pinned", "attributes.url"]
        return ""
    shell = through_shell(command, args)
    if shell is SCRIPT_NOT_READ:
        unknown += ["attributes.package", "attributes.package_pinned", "attributes.url"]
        return ""
    program, program_args = shell or (command, args)
    package, pinned = launched_package(program, program_args)
    if package:
        attributes["package"] = package
    # a bridge (mcp-remote URL, supergateway --sse URL) reaches a remote server over that URL;
    # another server's URL arguments (a proxy, a dashboard, a docs link) are not where it is reached
    # (an image's tag, ghcr.io/sparfenyuk/mcp-proxy:latest, ends its name as a version does)
    if package and re.split(r"[@=<>~!\[:]", package.rsplit("/", 1)[-1])[0].lower() in _BRIDGES:
        words = [a.partition("=")[2] if a.startswith("--") and "=" in a else a for a in program_args]
        remote = next((word.strip() for word in words if _NETWORK_URL.match(word)), None)
        if remote is not None:
            attributes["url"] = remote
        elif any(_SCHEME_FILLED_IN.match(word) for word in words):
            unknown.append("attributes.url")  # mcp-remote ${REMOTE_URL}: reached over what, unknown
    if pinned is not None:
        attributes["package_pinned"] = pinned
    # read from the package as shown: a URL given as the package may carry a secret in its path
    return redact_text(package or "").rsplit("/", 1)[-1].split("@")[0].split("==")[0].split(":")[0]


def _opencode_entry(server: dict[str, Any]) -> dict[str, Any]:
    """An OpenCode server read as the other clients write theirs: its ``command`` list is the program
    and its arguments, ``environment`` its ``env``, a ``remote`` one reached over HTTP."""
    entry = {key: value for key, value in server.items() if key not in ("command", "environment", "type")}
    command = server.get("command")
    if isinstance(command, list) and command and all(isinstance(word, str) for word in command):
        entry["command"], entry["args"] = command[0], command[1:]
    elif "command" in server:
        entry["command"] = None  # of another shape (a string too, which OpenCode refuses): what runs is unknown
    if "environment" in server:
        entry["env"] = server["environment"]
    kind = server.get("type")
    if kind == "remote":
        entry["type"] = "http"  # Streamable HTTP, else SSE
    elif kind != "local" and "type" in server:
        entry["type"] = None  # a word or a shape OpenCode has not: how it is reached is unknown
    return entry


def zed_entry(server: dict[str, Any]) -> dict[str, Any]:
    """A Zed context server read as the other clients write theirs: its first shape gave the program
    as ``command: {path, args, env}``; one an extension provides (``source: extension``) names no
    program: what it runs is the extension's, unknown here."""
    entry = dict(server)
    command = server.get("command")
    if isinstance(command, dict):
        entry.pop("command")
        entry["command"] = command.get("path")  # no string there: what runs is unknown
        for key in ("args", "env"):
            if key in command:
                entry[key] = command[key]
    elif "command" not in server and "url" not in server:
        entry["command"] = None
    return entry


def zed_approvals(settings: dict[str, Any]) -> Callable[[dict[str, Any]], list[str] | bool | None]:
    """What Zed's agent runs without asking, from its settings: every tool call when
    ``agent.always_allow_tool_actions`` is true, or (since 2026) ``agent.tool_permissions.default`` is
    ``allow``; nothing by the servers' own entries otherwise. A shape Zed does not have, or
    per-tool rules, leave it unknown."""
    agent = settings.get("agent", {})
    every: list[str] | bool | None = []
    if not isinstance(agent, dict):
        every = None
    else:
        always = agent.get("always_allow_tool_actions", False)
        permissions = agent.get("tool_permissions", {})
        if not isinstance(always, bool) or not isinstance(permissions, dict):
            every = None
        elif always or permissions.get("default") == "allow":
            every = True
        elif set(permissions) - {"default"} or permissions.get("default", "confirm") not in ("confirm", "deny"):
            every = None
    return lambda server: every


def continue_entry(server: dict[str, Any]) -> dict[str, Any]:
    """A Continue server read as the other clients write theirs: one of its first configuration
    (config.json's ``modelContextProtocolServers``) holds its command or url in ``transport``; a
    block from Continue's hub (``uses: owner/name``, its inputs under ``with``) names no program
    here: what runs is unknown."""
    transport = server.get("transport")
    if isinstance(transport, dict) and "command" not in server and "url" not in server:
        server = {**{key: value for key, value in server.items() if key != "transport"}, **transport}
    if "uses" in server and "command" not in server and "url" not in server:
        return {**server, "command": None}
    return server


def unknown_approvals(server: dict[str, Any]) -> list[str] | bool | None:
    """For a client that keeps what it runs without asking in no file nhiscan reads."""
    return None


# Goose's extension types (ExtensionConfig in its source) that name a program or a URL; the others
# are Goose's own (builtin, platform) or its window's (frontend) tools, which run no package
_GOOSE_LAUNCHED = {"sse": "sse", "streamable_http": "http"}  # and stdio, read first
GOOSE_OWN = frozenset({"builtin", "platform", "frontend"})


def goose_entry(extension: dict[str, Any]) -> dict[str, Any]:
    """A Goose extension read as the other clients write their servers: a ``stdio`` one runs ``cmd``
    with ``args`` and ``envs``; an ``sse`` or ``streamable_http`` one is reached at ``uri`` (with
    ``headers``). Code run inline (``inline_python``) or a type Goose does not have names no program
    that can be told: what runs is unknown."""
    entry = {key: value for key, value in extension.items() if key not in ("cmd", "envs", "uri", "type")}
    kind = extension.get("type")
    if kind == "stdio":
        entry["command"] = extension.get("cmd")  # none: what runs is unknown
        if "envs" in extension:
            entry["env"] = extension["envs"]
    elif isinstance(kind, str) and kind in _GOOSE_LAUNCHED:
        entry["url"], entry["type"] = extension.get("uri"), _GOOSE_LAUNCHED[kind]
    elif isinstance(extension.get("uri"), str):  # a type of another version (websocket): reached there, how unknown
        entry["url"], entry["type"] = extension["uri"], None
    else:
        entry["command"] = None
    return entry


# GOOSE_MODE (GooseMode in Goose's source; PermissionInspector decides): "auto" approves every call
# and "chat" makes none; "approve" and "smart_approve" let through what permission.yaml (another
# file) allows and the tools Goose deems read-only: unknown from this file. A value Goose cannot
# read (another spelling, a number) leaves it at its default, auto.
_GOOSE_MODES: dict[str, list[str] | bool | None] = {"chat": [], "approve": None, "smart_approve": None}


def goose_approvals(settings: dict[str, Any]) -> Callable[[dict[str, Any]], list[str] | bool | None]:
    """What Goose runs without asking, for every extension of a config.yaml, by its ``GOOSE_MODE``;
    without one, or with one Goose does not read, every call (its default, ``auto``)."""
    mode = settings.get("GOOSE_MODE")
    every = _GOOSE_MODES.get(mode, True) if isinstance(mode, str) else True
    return lambda extension: every


@dataclass(frozen=True, slots=True)
class ServerFormat:
    """How a client writes its servers: how a server's name stands in the file (to find its line),
    what it runs without asking, and how an entry reads as the common shape (command, args, env,
    url, headers, type)."""

    key_written: str = '"{}"'  # "NAME" in JSON; mcp_servers.NAME in Codex's TOML
    auto_approved: Callable[[dict[str, Any]], list[str] | bool | None] = _auto_approved
    read_as: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    # whether the client starts the server: one it is told not to (the key its client documents)
    # is no tool, though its secrets are still in the file
    started: Callable[[dict[str, Any]], bool] = lambda server: True


def disabled_not_true(server: dict[str, Any]) -> bool:
    """Cline's, Roo Code's and Kilo Code's ``"disabled": true`` turns a server off."""
    return server.get("disabled") is not True


def enabled_not_false(server: dict[str, Any]) -> bool:
    """Codex's ``enabled = false`` ("disable a server without removing it") and OpenCode's
    ``"enabled": false`` turn a server off."""
    return server.get("enabled") is not False


JSON_SERVERS = ServerFormat()
CLINE_SERVERS = ServerFormat(started=disabled_not_true)
OPENCODE_SERVERS = ServerFormat(read_as=_opencode_entry, started=enabled_not_false)
# Continue keeps its tool policies in its window and its CLI (which allows every MCP tool when run
# headless), in no configuration file: what it runs without asking is unknown
CONTINUE_SERVERS = ServerFormat(auto_approved=unknown_approvals, read_as=continue_entry)


def scope_of(name: str, project: str | None) -> str:
    """How a server's secrets are named: by its name, and a project's (Claude Code's local scope) with it."""
    return name if project is None else f"{name} (project {project})"


def server_records(
    servers: dict[str, Any],
    scan: SecretScan,
    section_line: int,
    project: str | None = None,
    section: str = "",
    form: ServerFormat = JSON_SERVERS,
) -> tuple[list[Grant], list[str]]:
    """A tool grant for each server entry, and what could not be read (an entry that is no
    mapping); the secrets in each entry go to ``scan``, named by the entry's own keys. The servers
    of a ``project`` (Claude Code's local scope) keep their own names, the project beside them:
    the capability catalog reads a tool's name, and a folder's name says nothing of the tool. A
    field of a shape no client documents leaves unknown what it would have told
    (``attributes.url``, ``attributes.package_pinned`` …), never a value read from its text."""
    holder, relpath = scan.holder, scan.relpath
    grants, unread = [], []
    entry_lines = EntryLines(scan.finder(), section_line)
    if section:  # a name that is a credential (pasted where a server's name goes) is one of the file's secrets;
        scan.check(None, {section: dict.fromkeys(servers)}, section_line)  # a manifest's tool checks its own
    for key, written in servers.items():
        name = str(key)
        if not isinstance(written, dict):
            where = f"{section}.{shown_key(name)}" if section else shown_key(name)
            unread.append(f"server {where} is {shape_of(written)}, not a mapping; it is not read")
            # not read as a server, but a token written in it is in the file all the same
            line = entry_lines.line_of(form.key_written.format(name))
            scan.check(scope_of(name, project), written, line, at=entry_lines.found)
            continue
        server = form.read_as(written) if form.read_as is not None else written
        line = entry_lines.line_of(form.key_written.format(name))
        if not form.started(written):
            scan.check(scope_of(name, project), written, line, at=entry_lines.found)
            continue
        attributes: dict[str, Any] = {"location": {"file": relpath, "line": line}}
        unknown: list[str] = []
        url_key = next((k for k in _URL_KEYS if k in server), None)
        url = server.get(url_key) if url_key else None
        kind = server.get("type", "http")
        if url_key and (not isinstance(url, str) or len(url) > MAX_SEARCHED_LENGTH):
            # a url of another shape, or too long to be searched and kept: whether and how the
            # server is reached over the network is unknown
            unknown += ["attributes.url", "attributes.transport"]
            source = "mcp:http" if "command" not in server else "mcp:stdio"
            tool_type = _launch(server, attributes, unknown) if "command" in server else ""
            attributes.pop("transport", None)
        elif url:
            attributes["url"] = url
            if _SCHEME_FILLED_IN.match(url):
                unknown.append("attributes.url")  # whether it is reached over TLS is told when the client starts
            if isinstance(kind, str) and kind:
                attributes["transport"] = kind
            elif isinstance(kind, str):
                attributes["transport"] = "http"
            else:
                unknown.append("attributes.transport")
            source = "mcp:http"
            tool_type = "" if _SCHEME_FILLED_IN.match(url) else url_tool_type(url)
        else:
            source = "mcp:stdio"
            tool_type = _launch(server, attributes, unknown)
        auto_approved = form.auto_approved(server)
        if auto_approved:
            attributes["auto_approved"] = auto_approved
        if auto_approved is None:
            unknown.append("attributes.auto_approved")
        attributes["tool_type"] = tool_type
        scope, uid = scope_of(name, project), ""  # the uid of a user's or a file's own server: holder#tool:name
        if project is not None:
            attributes["project"] = project
            uid = f"{holder}#tool:{scope}"
        grants.append(Grant(holder, "tool", name, source=source, attributes=attributes, uid=uid, unknown=unknown))
        scan.check(scope, written, line, at=entry_lines.found)
    return grants, unread
