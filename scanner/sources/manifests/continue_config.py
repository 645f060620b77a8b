"""Continue's servers written as a list of named entries: its config.yaml and the blocks of a
repository's ``.continue/mcpServers/``, and its first config.json's ``modelContextProtocolServers``.
"""

from __future__ import annotations

import dataclasses
from pathlib import PurePosixPath
from typing import Any

from scanner.sources.manifests.client_config import Parsed, client_config, named_entries, with_key
from scanner.sources.manifests.mcp import CONTINUE_SERVERS, shape_of
from scanner.sources.manifests.walk import SecretScan


def listed_servers(
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
        servers, unread = named_entries(listed, section, scan)
    else:
        unread.append(f"{'.'.join((*within, section))} is {shape_of(listed)}, not a list; no server is read")
        scan.check(section, listed)
    json_file = not scan.relpath.endswith((".yaml", ".yml"))
    form = dataclasses.replace(CONTINUE_SERVERS, key_written='"name": "{}"' if json_file else "name: {}")
    listed_as = with_key(document, (*within, section), servers)
    parsed = client_config(listed_as, section, scan, account, within, form, platform="continue")
    parsed.unread = unread + parsed.unread
    return parsed


def in_continue_servers(relpath: str) -> bool:
    """A file of a ``.continue/mcpServers/`` folder, which Continue reads as MCP servers."""
    parent = PurePosixPath(relpath).parent
    return parent.name == "mcpServers" and parent.parent.name == ".continue"


CONTINUE_CONFIGS = frozenset({"config.yaml", "config.yml", "config.json"})


def is_continue_config(relpath: str) -> bool:
    """Continue's own configuration: ``.continue/config.yaml`` (or its first ``config.json``)."""
    path = PurePosixPath(relpath)
    return path.name in CONTINUE_CONFIGS and path.parent.name == ".continue"
