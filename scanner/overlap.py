"""One inventory from the sources of one scan, when their reads overlap.

A record's uid names its findings, fingerprints and waivers, so a record two sources both read
(the same inventory file named twice, two reads of one tenant) would be judged twice: every
finding about it counted twice, with one fingerprint. Copies that agree are kept once. Copies that
disagree, or two folders read as one repository (so that their files' uids collide), cannot be
told apart or judged: the scan is refused, naming both sources."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from functools import reduce
from pathlib import Path
from typing import Any

from scanner.errors import InputError
from scanner.inventory_io import UID_NAMESPACES
from scanner.model import Inventory, SourceStatus
from scanner.sources import SourceSpec

# Records are compared in the uid namespaces inventory_io checks one file's in, and accounts by
# provider and uid: a repository named like a GCP project is another account. Two sources that
# read one account differently (one with its workload identity provider's condition, one without)
# are refused like any other record: keeping the first read made the verdict depend on the order of
# the sources, and dropped the other's failures without a word.
_RECORD = {"identities": "identity", "agents": "agent", "credentials": "credential", "grants": "grant",
           "log_sources": "log source", "accounts": "account"}  # fmt: skip
_NAMESPACES: tuple[tuple[str, ...], ...] = (*UID_NAMESPACES, ("accounts",))


def combined_specs(specs: Sequence[SourceSpec]) -> list[SourceSpec]:
    """The specs with every ``file:`` source joined into one, in the place of the first
    (``file:a file:b`` read as ``file:a,b``): one source merges the exports of an account by
    resource id under its stated rules (docs/sources), where two would each read the trail both
    list, one with its event selectors and one without, and disagree."""
    files = [spec for spec in specs if spec.name == "file"]
    if len(files) < 2:
        return list(specs)
    joined = SourceSpec("file", ",".join(spec.argument or "" for spec in files), files[0].options)
    return [joined if spec is files[0] else spec for spec in specs if spec.name != "file" or spec is files[0]]


def merged(collected: Sequence[tuple[SourceSpec, Inventory]]) -> Inventory:
    """The inventories of ``collected`` as one, each record another source read the same kept
    once; raises InputError when two sources read one record differently, or one repository."""
    if len(collected) == 1:
        return collected[0][1]
    _refuse_one_repository_twice(collected)
    # (namespace, provider of an account, uid) -> the source that read it first, and its record
    first_read: dict[tuple[int, str, str], tuple[int, Any]] = {}
    statuses: dict[tuple[str, str], list[SourceStatus]] = {}  # by source and account
    inventories = []
    for index, (spec, inventory) in enumerate(collected):
        again: set[int] = set()  # records an earlier source read the same
        for namespace, sections in enumerate(_NAMESPACES):
            for section in sections:
                for record in getattr(inventory, section):
                    provider = record.provider if section == "accounts" else ""
                    reader, held = first_read.setdefault((namespace, provider, record.uid), (index, record))
                    if reader == index:  # one source's own records are as it read them, alone or not
                        continue
                    earlier = collected[reader][0]
                    if held != record and _canonical(held) != _canonical(record):
                        raise InputError(
                            f"{earlier} and {spec} both read {_RECORD[section]} {record.uid} and differ "
                            "about it: nhiscan cannot tell which to judge; scan them in separate runs"
                        )
                    again.add(id(record))
        sources = [s for s in inventory.sources if s not in statuses.get((s.name, s.account), ())]
        for source in sources:  # the same source named twice is listed once
            statuses.setdefault((source.name, source.account), []).append(source)
        if again or len(sources) < len(inventory.sources):
            inventory = dataclasses.replace(inventory, sources=sources)  # a copy: the source's lists stay whole
            for section in (section for sections in _NAMESPACES for section in sections):
                setattr(inventory, section, [r for r in getattr(inventory, section) if id(r) not in again])
        inventories.append(inventory)
    return reduce(Inventory.merge, inventories)


def _canonical(value: Any) -> Any:
    """A record as compared across sources: its lists as multisets (two exports may list a
    policy's actions or a trail's selectors in another order)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return tuple(_canonical(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, dict):
        return tuple(sorted(((str(k), _canonical(v)) for k, v in value.items()), key=repr))
    if isinstance(value, list | tuple):
        return ("list", tuple(sorted((_canonical(v) for v in value), key=repr)))
    return value


def _refuse_one_repository_twice(collected: Sequence[tuple[SourceSpec, Inventory]]) -> None:
    """Two folders read as one repository (two clones named alike without an origin remote, two
    folders of one clone) name their files' records alike: ``repo/.mcp.json`` of one would hold
    the other's secrets and tools."""
    read_by: dict[str, tuple[Path, SourceSpec]] = {}
    for spec, inventory in collected:
        if spec.name != "manifests":
            continue
        folder = Path(spec.argument or ".").resolve()  # one folder however it is spelt
        for source in inventory.sources:
            if source.name != "manifests":
                continue
            read, earlier = read_by.setdefault(source.account, (folder, spec))
            if read != folder:
                raise InputError(
                    f"{earlier} and {spec} are both read as repository {source.account} (its origin remote, or "
                    "the folder's name without one), so their files' records would be one; scan them in separate "
                    "runs, or their common folder"
                )
