"""Goose's configuration: its config.yaml (``extensions`` by key, ``GOOSE_MODE``) and its recipes
(YAML or JSON, or under ``recipe`` as Goose Desktop saves them), read into an agent and its tools.
"""

from __future__ import annotations

from typing import Any

from scanner.model import Grant
from scanner.sources.manifests.client_config import Parsed, client_config, named_entries, top_level_line, with_key
from scanner.sources.manifests.mcp import (
    GOOSE_OWN,
    EntryLines,
    ServerFormat,
    enabled_not_false,
    goose_approvals,
    goose_entry,
    shape_of,
    unknown_approvals,
)
from scanner.sources.manifests.walk import SecretScan


def is_goose(document: dict[str, Any]) -> bool:
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


def read_goose(document: dict[str, Any], scan: SecretScan, account: str) -> Parsed:
    """Goose's extensions: in config.yaml a mapping by key, each ``enabled`` or not; in a recipe a
    list. An extension that is disabled is no tool (the format's ``started``, as for any client);
    one of Goose's own (builtin, platform, frontend) is a tool that runs no package, named as Goose
    starts it (its ``name``). A recipe's entry that is a name alone is no entry Goose reads (it
    refuses the recipe): it is read as a tool whose launch is unknown. The secrets of every entry
    are checked, once. What is run without asking is config.yaml's ``GOOSE_MODE``, and for a recipe
    the user's (unknown)."""
    recipe = _goose_recipe(document)
    holder = recipe if recipe is not None else document
    extensions = holder["extensions"]
    entries: dict[str, Any] = {}
    unread: list[str] = []
    if recipe is not None and isinstance(extensions, list):
        entries, unread = named_entries(extensions, "extensions", scan, names_alone=True)
    elif recipe is None and isinstance(extensions, dict):
        entries = {str(key): entry for key, entry in extensions.items()}  # a YAML key may be a number
    else:
        shape = "a list" if recipe is not None else "a mapping"
        unread.append(f"extensions is {shape_of(extensions)}, not {shape}; no extension is read")
        scan.check("extensions", extensions)
    every = unknown_approvals if recipe is not None else goose_approvals(document)
    launched, own = {}, {}
    for name, entry in entries.items():  # a disabled one goes with the launched: server_records skips it
        if (
            isinstance(entry, dict)
            and enabled_not_false(entry)
            and isinstance(entry.get("type"), str)
            and entry["type"] in GOOSE_OWN
        ):
            own[name] = entry
        else:
            launched[name] = entry
    json_file = not scan.relpath.endswith((".yaml", ".yml"))
    written = ('"name": "{}"' if json_file else "name: {}") if recipe is not None else "{}:"
    form = ServerFormat(key_written=written, auto_approved=every, read_as=goose_entry, started=enabled_not_false)
    platform = "goose-recipe" if recipe is not None else "goose"
    within = ("recipe",) if recipe is not None and recipe is not document else ()
    servers = with_key(document, (*within, "extensions"), launched)
    parsed = client_config(servers, "extensions", scan, account, within, form, platform)
    parsed.unread = unread + parsed.unread
    section_line = top_level_line(scan.lines, "extensions")
    if recipe is None and own:  # a credential pasted as their key, as server_records checks the others'
        scan.check(None, {"extensions": dict.fromkeys(own)}, section_line)
    entry_lines = EntryLines(scan.finder(), section_line)
    for key, entry in own.items():
        line = entry_lines.line_of(form.key_written.format(key))
        started = entry.get("name")  # Goose starts its own extension by its name, the key only naming the entry
        name = "".join(started.split()).lower() if isinstance(started, str) and started.strip() else key
        attributes: dict[str, Any] = {"location": {"file": scan.relpath, "line": line}, "tool_type": name}
        approved = every(entry)
        if approved:
            attributes["auto_approved"] = approved
        unknown = ["attributes.auto_approved"] if approved is None else []
        tool = Grant(scan.holder, "tool", name, source="declared", attributes=attributes, unknown=unknown)
        parsed.grants.append(tool)
        scan.check(key, entry, line, at=entry_lines.found)
    return parsed
