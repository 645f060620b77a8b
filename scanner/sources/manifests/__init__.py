"""The ``manifests`` source: agents declared in a folder or repository.

``manifests:PATH`` reads MCP client configurations, MCP registry entries, declarative agents and
nhiscan agent manifests under PATH (or PATH itself, when it is a file). Each becomes an agent with
its tools and any plaintext secrets (a Goose configuration's with those of the secrets.yaml beside
it); a file that cannot be read or parsed is a named gap, and the rest of the folder is still
read. So is a file with more strings than are checked for secrets (walk.MAX_STRINGS): its agent
is read, its credentials unknown. A repository is untrusted input, so the whole reading has a
budget (files looked at, bytes read, seconds): past it, reading stops with a named gap and the
source is partial.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import yaml

from scanner.errors import InputError
from scanner.model import Account, Inventory, SourceError, SourceStatus
from scanner.sources import SourceInfo, SourceSpec, register
from scanner.yaml_input import yaml_problem


def collect(spec: SourceSpec) -> Inventory:
    from scanner.sources.manifests.discover import Unreadable, candidates, read_candidate, repository_name
    from scanner.sources.manifests.formats import NotAManifest, parse_manifest
    from scanner.sources.manifests.goose_secrets import goose_secrets  # kept by Goose beside its configuration

    root = Path(spec.argument or ".")
    if not root.exists():
        raise InputError("no such file or folder", str(root))
    if not (root.is_dir() or root.is_file()):
        raise InputError("not a file or folder (a pipe, device or socket); give a manifest or a folder", str(root))
    account = repository_name(root)
    inventory = Inventory(collected_at=datetime.now(UTC))
    inventory.accounts.append(Account(uid=account, provider="manifest", name=account, kind="repository"))
    gaps: list[SourceError] = []
    files_not_read = 0  # files that may declare an agent, not read: the repository's agents are unknown
    budget = Budget()
    for candidate in candidates(root, budget):
        over = budget.exceeded()
        if over:
            gaps.append(SourceError(call=f"read {root.name or root}", message=f"stopped: {over}", code="budget"))
            files_not_read += 1
            break
        try:
            text = read_candidate(candidate, root)
            budget.bytes_read += len(text)
            parsed = parse_manifest(text, candidate.relpath, account)
        except Unreadable as why:
            gaps.append(SourceError(call=f"read {candidate.relpath}", message=str(why), code="unreadable"))
            files_not_read += 1
            continue
        except NotAManifest:
            if candidate.named:
                gaps.append(
                    SourceError(f"read {candidate.relpath}", "not a recognised agent or MCP manifest", "format")
                )
                files_not_read += 1
            continue
        except (InputError, yaml.YAMLError) as error:
            detail, location = (error.detail, error.location) if isinstance(error, InputError) else yaml_problem(error)
            where = f" (at {location})" if location else ""
            gaps.append(SourceError(f"read {candidate.relpath}", f"{detail[:300]}{where}", "invalid"))
            files_not_read += 1
            continue
        except (ValueError, RecursionError) as error:
            message = "nested too deeply" if isinstance(error, RecursionError) else str(error).splitlines()[0][:300]
            gaps.append(SourceError(call=f"read {candidate.relpath}", message=message, code="invalid"))
            files_not_read += 1
            continue
        inventory.agents.append(parsed.agent)
        inventory.grants.extend(parsed.grants)
        inventory.credentials.extend(parsed.credentials)
        gaps.extend(parsed.gaps)
    found, unread = goose_secrets(inventory.agents, root if root.is_dir() else root.parent, budget)
    inventory.credentials.extend(found)
    gaps.extend(unread)
    # a Goose secrets file linked out of the folder is a gap of the walk and of the secrets' reader: once
    gaps = list({(gap.call, gap.message): gap for gap in gaps}.values())
    inventory.sources.append(SourceStatus("manifests", account, "partial" if gaps else "complete", gaps))
    if files_not_read:  # an agent they declare, and the identity it runs as, are not known
        inventory.accounts[0].unknown.append("agents")
    return inventory


MAX_FILES_LOOKED_AT = 200_000
MAX_BYTES_READ = 64_000_000
MAX_SECONDS = 300.0


class Budget:
    """What one manifests source may spend on a repository."""

    def __init__(self) -> None:
        self.files_looked_at = 0
        self.bytes_read = 0
        self.started = time.monotonic()

    def exceeded(self) -> str | None:
        if self.files_looked_at > MAX_FILES_LOOKED_AT:
            return f"more than {MAX_FILES_LOOKED_AT:,} files looked at; the rest is not read"
        if self.bytes_read > MAX_BYTES_READ:
            return f"more than {MAX_BYTES_READ:,} bytes of manifests read; the rest is not read"
        if time.monotonic() - self.started > MAX_SECONDS:
            return f"more than {MAX_SECONDS:.0f} s spent reading; the rest is not read"
        return None


register(
    SourceInfo(
        name="manifests",
        summary="agents and MCP servers declared in a folder or repository",
        collect=collect,
        permissions=(),  # reads local files
        argument="PATH",
        paths=True,
        argument_required=True,
    )
)
