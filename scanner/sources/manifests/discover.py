"""Finding manifest files in a folder or repository, and reading them without trusting them.

Known names (``claude_desktop_config.json``, ``mcp.json``, ``.mcp.json``, ``server.json``,
``*.nhiscan.yaml``) are always read; other JSON and YAML files are read when they mention
``mcpServers`` or Zed's ``context_servers``, hold an ``"mcp"`` setting (VS Code's servers in a
devcontainer.json or settings.json, OpenCode's in opencode.json), Goose's ``extensions`` (config.yaml,
recipes) or declare a ``kind: Prompt`` agent with tools (in YAML or JSON); TOML files when they
hold Codex's ``[mcp_servers.NAME]`` tables.
Symbolic links are not followed out of the folder, only regular files are read (never a named pipe
or a device, which could block the scan), and a file that is too large, binary or unreadable is
reported as a gap.

A JSON manifest is read up to MAX_JSON_BYTES (a user's ``~/.claude.json``, which holds Claude Code's
history of every project, is often several megabytes; the standard parser reads 16 MB in well under
a second), a YAML one up to MAX_YAML_BYTES (every node of it becomes Python objects). A larger file
is looked into only as far as its limit: if that part mentions agents, the file is a named gap.
"""

from __future__ import annotations

import configparser
import errno
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from scanner.fsutil import opened_regular
from scanner.sources.manifests.continue_config import in_continue_servers, is_continue_config
from scanner.sources.manifests.formats import MANIFEST_SUFFIXES

KNOWN_NAMES = {"claude_desktop_config.json", "mcp.json", ".mcp.json", ".claude.json", "server.json",
               "mcp_config.json", "cline_mcp_settings.json", "mcp_settings.json"}  # fmt: skip
# generated or fetched trees (a build's output can hold hundreds of thousands of files, and would
# spend the walk's budget before the sources): docs/sources/manifests.md names them
SKIPPED_DIRECTORIES = {".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".mypy_cache", "dist", "build"}
MAX_JSON_BYTES = 16_000_000
MAX_YAML_BYTES = 1_000_000
# the keys of servers, quoted or not, however spaced before their colon (YAML's "mcpServers :" is the
# key), and an Agent Framework declarative agent (YAML or JSON: "kind": "Prompt")
_SNIFF = re.compile(
    rb'(?:"mcpServers"|\bmcpServers\b[\'"]?\s*:|"context_servers"|"modelContextProtocolServers"'
    rb'|\bkind[\'"]?\s*:\s*[\'"]?Prompt\b)'
)
# a JSON string's \u escapes of four hex digits, which the clients' parsers read as the characters
# ("mcp\u0053ervers" is mcpServers)
_JSON_ESCAPE = re.compile(rb"\\u([0-9a-fA-F]{4})")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# VS Code's servers inside another file (devcontainer.json, settings.json) and OpenCode's: an "mcp"
# mapping (or a list, a gap in opencode.json)
_SNIFF_PATTERN = re.compile(rb'"mcp"\s*:\s*[{\[]')
# an MCP registry entry (server.json) under another name (the publisher may be given any file): the
# registry's schema, any version of it. VS Code's shape is not looked for: VS Code reads mcp.json only
_REGISTRY_SNIFF = re.compile(
    rb'"\$schema"\s*:\s*"https?://(?:static\.)?modelcontextprotocol\.io/schemas/[^"]*server\.schema\.json"'
)
# Codex's config.toml names its servers' table in any of TOML's ways ([mcp_servers.x], [mcp_servers],
# mcp_servers.x.command = …, ["mcp_servers".x]): the parser decides
_TOML_SNIFF = b"mcp_servers"
# Goose's config.yaml and recipes (YAML or JSON): an "extensions" key beside a mark of Goose's
# (a GOOSE_ setting, an extension's cmd or type, a recipe's instructions or prompt), so that other
# files with extensions (and perhaps YAML nhiscan refuses, aliases) are not read as manifests
# (indented too: Goose Desktop saves a recipe under "recipe:")
_GOOSE_SNIFF = re.compile(rb'(?m)^[ \t]*["\']?extensions["\']?[ \t]*:|"extensions"\s*:\s*\[')
_GOOSE_MARKS = re.compile(
    rb'(?m)^"?GOOSE_\w+"?\s*:|^[ \t]*(?:instructions|prompt)[ \t]*:|"(?:instructions|prompt)"\s*:|\bcmd"?\s*:'
    rb'|\btype"?\s*:\s*[\'"]?(?:stdio|builtin|streamable_http|sse|platform|frontend|inline_python)\b'
)


@dataclass(frozen=True, slots=True)
class Candidate:
    path: Path
    relpath: str
    named: bool  # found by its name (a failure to parse it is a gap) rather than by sniffing
    unreadable: str | None = None  # a folder that could not be listed: why (a named gap)


class Unreadable(Exception):
    """A candidate file that cannot be read safely; the message says why."""


class Spending(Protocol):
    files_looked_at: int

    def exceeded(self) -> str | None: ...


def candidates(root: Path, budget: Spending | None = None) -> Iterator[Candidate]:
    """Manifest files under ``root``; with a budget, each file looked at is counted, and the walk
    ends (yielding one last candidate for the caller to see the budget is spent) when it is."""
    if root.is_file():
        yield Candidate(root, root.name, named=True)
        return
    for directory, subdirectories, files, refused in _walk(root):
        if refused is not None:  # a folder not listed (permission denied) may hold manifests
            path = Path(directory)
            yield Candidate(path, path.relative_to(root).as_posix() or ".", named=True, unreadable=refused)
            continue
        for name in subdirectories:  # a folder linked from out of the scanned one may hold manifests
            path = Path(directory, name)
            if _links_out_of(path, root):
                yield Candidate(path, path.relative_to(root).as_posix(), named=False)
        for name in sorted(files):
            path = Path(directory, name)
            if budget is not None:
                budget.files_looked_at += 1
                if budget.exceeded():
                    yield Candidate(path, path.relative_to(root).as_posix(), named=False)
                    return
            relpath = path.relative_to(root).as_posix()
            if name in KNOWN_NAMES or name.endswith(MANIFEST_SUFFIXES) or _continue_file(relpath):
                yield Candidate(path, relpath, named=True)
            elif name.endswith((".json", ".jsonc", ".yaml", ".yml", ".toml")):
                # a link out of the folder is not followed, so it may hold a manifest: a named gap
                mentioned = _links_out_of(path, root) or _mentions_agents(path)
                if mentioned:  # a registry entry's schema declares a manifest as its name would
                    yield Candidate(path, relpath, named=mentioned == _DECLARED)


def _walk(root: Path) -> Iterator[tuple[str, list[str], list[str], str | None]]:
    """What ``os.walk(root)`` gives top-down, in sorted order, without following links and without
    ``SKIPPED_DIRECTORIES``: each folder, its subfolders (a link to a folder among them, not walked)
    and its files; and each folder that could not be listed, with why (``os.walk`` leaves it out
    without a word). Iterative: a folder nested a thousand deep is walked, where ``os.walk``'s
    recursion stopped the scan."""
    stack = [str(root)]
    while stack:
        directory = stack.pop()
        subdirectories: list[str] = []
        files: list[str] = []
        links: set[str] = set()
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    try:
                        is_directory = entry.is_dir()
                    except OSError:
                        is_directory = False
                    if is_directory and entry.name not in SKIPPED_DIRECTORIES:
                        subdirectories.append(entry.name)
                        if entry.is_symlink():
                            links.add(entry.name)
                    elif not is_directory:
                        files.append(entry.name)
        except OSError as error:
            yield directory, [], [], f"folder not read: {error.strerror or error}"
            continue
        subdirectories.sort()
        yield directory, subdirectories, files, None
        stack.extend(os.path.join(directory, name) for name in reversed(subdirectories) if name not in links)


def _continue_file(relpath: str) -> bool:
    """A file Continue reads whatever it holds: a JSON block of ``.continue/mcpServers/``, or its
    own configuration (``.continue/config.yaml``), which declares its models and their keys with
    or without servers."""
    return _continue_block(relpath) or is_continue_config(relpath)


def _continue_block(relpath: str) -> bool:
    """A JSON file of a ``.continue/mcpServers/`` folder: Continue reads each as MCP servers, one
    server alone among them (``{"command": …}``), which mentions no ``mcpServers``."""
    return relpath.endswith(".json") and in_continue_servers(relpath)


def max_bytes(name: str) -> int:
    """The largest manifest of this name that is read (YAML nodes are composed, and TOML parsed, in Python)."""
    return MAX_YAML_BYTES if name.endswith((".yaml", ".yml", ".toml")) else MAX_JSON_BYTES


_DECLARED = "declared"  # _mentions_agents: the file declares itself a manifest (the registry's $schema)


def _mentions_agents(path: Path) -> bool | str:
    """Whether the file, as far as it would be read, mentions agents: one too large to read is a
    candidate all the same when it does, so that it becomes a named gap, not a silent skip. So is
    one that cannot be read at all (permission denied): nobody can say it declares none. A
    symbolic link (its target is walked, or is out of the folder) or a pipe, device or socket (no
    manifest, and a read could wait forever) is not looked into. ``_DECLARED`` where the file
    declares itself a manifest: one that cannot be read as one is a named gap, as a named file is."""
    try:
        if path.is_symlink():
            return False
        with opened_regular(path) as stream:
            if stream is None:
                return False
            head = stream.read(max_bytes(path.name))
    except OSError as error:  # refused (permission denied): a gap; gone since it was listed: nothing
        return error.errno not in _NO_FILE
    head = _as_read(head)
    if path.name.endswith(".toml"):
        return _TOML_SNIFF in head
    if _SNIFF.search(head) is not None or _SNIFF_PATTERN.search(head) is not None:
        return True
    if _REGISTRY_SNIFF.search(head) is not None:
        return _DECLARED
    return _GOOSE_SNIFF.search(head) is not None and _GOOSE_MARKS.search(head) is not None


def _as_read(head: bytes) -> bytes:
    """The head of a file as its keys would be read: UTF-16 (with its byte order mark) as UTF-8 (a
    candidate then, the reading names it as not UTF-8), and JSON's \\u escapes as their characters."""
    if head.startswith(_UTF16_BOMS):
        head = head.decode("utf-16", errors="replace").encode("utf-8")
    if b"\\u" in head:
        head = _JSON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)).encode("utf-8", errors="replace"), head)
    return head


_NO_FILE = frozenset({errno.ENOENT, errno.ENOTDIR, errno.ELOOP, errno.ENXIO})


def _links_out_of(path: Path, root: Path) -> bool:
    """Whether ``path`` is a symbolic link to a file or folder out of ``root`` (one inside is walked
    there; one to nothing, or to itself, holds nothing)."""
    if not path.is_symlink():
        return False
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):  # dangling, or a loop (Python 3.11 raises RuntimeError)
        return False
    return (target.is_file() or target.is_dir()) and not target.is_relative_to(root.resolve())


def read_candidate(candidate: Candidate, root: Path) -> str:
    path = candidate.path
    if candidate.unreadable is not None:
        raise Unreadable(candidate.unreadable)
    try:
        if path.is_symlink():
            target = path.resolve(strict=True)
            if root.is_dir() and not target.is_relative_to(root.resolve()):
                raise Unreadable("a symbolic link out of the scanned folder; not followed")
        limit = max_bytes(path.name)
        with opened_regular(path) as stream:
            if stream is None:
                raise Unreadable("not a regular file (a pipe, device or socket); not read")
            size = os.fstat(stream.fileno()).st_size
            if size > limit:
                raise Unreadable(f"too large for a manifest ({size:,} bytes; limit {limit:,})")
            data = stream.read(limit + 1)
        if len(data) > limit:  # it grew while it was read
            raise Unreadable(f"too large for a manifest (over {limit:,} bytes)")
    except RuntimeError:  # a symlink loop (Python 3.11 raises RuntimeError from resolve)
        raise Unreadable("a symbolic link loop") from None
    except OSError as error:
        raise Unreadable(error.strerror or str(error)) from None
    if data.startswith(_UTF16_BOMS):
        raise Unreadable("UTF-16 text, not UTF-8")
    if b"\x00" in data[:8192]:
        raise Unreadable("a binary file, not a manifest")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unreadable("not UTF-8 text") from None


def repository_name(root: Path) -> str:
    """The repository a folder belongs to: its origin remote (host/owner/name), else the folder's
    name. Never its absolute path: the account is part of every finding's uid and fingerprint,
    which must be the same when two CI runners check the repository out at different paths."""
    folder = root if root.is_dir() else root.parent
    for candidate in (folder, *folder.resolve().parents):
        try:
            config = _git_config(candidate)
        except OSError:  # a .git nhiscan may not read: the folder's name, as for a folder outside git
            break
        if config is None:
            continue
        # no interpolation: a remote's "%20" (an Azure DevOps project with a space) or an encoded
        # password is text, not a reference to another setting
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        try:
            text = _small_file(config)  # a folder above may be anyone's (/tmp/.git)
            if text is None:
                break
            parser.read_string(text)
            url = parser.get('remote "origin"', "url", fallback="")
        except (configparser.Error, OSError):
            break
        if url:
            return _normalise_remote(url)
        break
    return folder.resolve().name or "repository"


def _git_config(folder: Path) -> Path | None:
    """The configuration file of the repository checked out in ``folder``, or None where ``folder``
    holds no ``.git``. A linked worktree's or a submodule's ``.git`` is a file naming its git
    folder (``gitdir: …``); a worktree's names the repository's own in ``commondir``, which holds
    the configuration. OSError where a part cannot be read."""
    dot_git = folder / ".git"
    if dot_git.is_dir():
        return dot_git / "config"
    if not dot_git.is_file():
        return None
    text = _small_file(dot_git) or ""
    pointer = re.match(r"gitdir:[ \t]*([^\r\n]+)", text)
    if pointer is None:
        return None
    git_folder = folder / pointer.group(1).strip()
    common = _small_file(git_folder / "commondir") if (git_folder / "commondir").is_file() else None
    return (git_folder / common.strip() if common and common.strip() else git_folder) / "config"


def _small_file(path: Path) -> str | None:
    """A regular file's text, up to _GIT_CONFIG_BYTES; None for anything else (a pipe, a device)."""
    with opened_regular(path) as stream:
        return None if stream is None else stream.read(_GIT_CONFIG_BYTES).decode("utf-8", errors="replace")


_GIT_CONFIG_BYTES = 1024 * 1024  # far more than any repository's configuration


def _normalise_remote(url: str) -> str:
    # the user-info ends at the last "@" before the host: a password may hold an "@" of its own
    url = re.sub(r"^(?:https?|ssh|git)://(?:[^/]*@)?", "", url)
    url = re.sub(r"^[^@/]+@([^:]+):", r"\1/", url)
    return url.removesuffix(".git").rstrip("/")
