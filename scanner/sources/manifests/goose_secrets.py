"""Goose's secrets.yaml, read beside its config.yaml.

Without a keyring (headless servers, CI runners, containers) Goose keeps its API keys and its
extensions' secrets in plain text in ``secrets.yaml``, next to ``config.yaml`` (Goose's
config-files.md, "Security Considerations"). Each secret there is the Goose agent's plaintext
credential. The file names no servers, so it is never found by what it mentions: it is read for each
Goose configuration of a scanned folder (or beside the configuration scanned), with the same bounds
as a manifest and within the source's budget; one that cannot be read is a named gap, and the
agent's credentials are then unknown.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Protocol

import yaml

from scanner.errors import InputError
from scanner.model import Agent, Credential, SourceError
from scanner.sources.manifests.discover import Candidate, Unreadable, read_candidate
from scanner.sources.manifests.walk import SecretScan
from scanner.yaml_input import parse_yaml, yaml_problem

SECRETS_FILE = "secrets.yaml"


class Reading(Protocol):
    """The source's budget: what is read here counts towards it."""

    bytes_read: int

    def exceeded(self) -> str | None: ...


def goose_secrets(agents: list[Agent], folder: Path, budget: Reading) -> tuple[list[Credential], list[SourceError]]:
    """The plaintext secrets of the secrets.yaml beside each Goose agent's config.yaml (its path
    relative to ``folder``, which no link out of is followed), and what could not be read. Past the
    budget, a file is not read: a named gap, and its agent's credentials unknown."""
    credentials: list[Credential] = []
    gaps: list[SourceError] = []
    for agent in agents:
        if agent.platform != "goose":
            continue
        relpath = (PurePosixPath(agent.attributes["location"]["file"]).parent / SECRETS_FILE).as_posix()
        path = folder / relpath
        if not path.is_file() and not path.is_symlink():
            continue
        over = budget.exceeded()
        found, problem = ([], f"stopped: {over}") if over else _read(path, relpath, folder, agent.uid, budget)
        credentials += found
        if problem is not None:
            gaps.append(SourceError(f"read {relpath}", problem, "budget" if over else "invalid"))
            agent.unknown.append("credentials")
    return credentials, gaps


def _read(path: Path, relpath: str, folder: Path, holder: str, budget: Reading) -> tuple[list[Credential], str | None]:
    """Every value of the file is where credentials go: Goose writes nothing else there, under names
    of its users' choosing (``JIRA_PAT``, ``CONTEXT7``)."""
    try:
        text = read_candidate(Candidate(path, relpath, named=True), folder)
        budget.bytes_read += len(text)
        document = parse_yaml(text)[0]
    except Unreadable as why:
        return [], str(why)
    except InputError as error:
        return [], error.detail[:300]
    except yaml.YAMLError as error:
        detail, location = yaml_problem(error)
        return [], f"{detail[:300]}{f' (at {location})' if location else ''}"
    except (ValueError, RecursionError) as error:
        return [], "nested too deeply" if isinstance(error, RecursionError) else str(error).splitlines()[0][:300]
    if document is None:
        return [], None
    scan = SecretScan(holder, relpath, text.splitlines())
    scan.check(SECRETS_FILE, document, under="env")
    if not isinstance(document, dict):
        return scan.credentials, "not a mapping of secrets; its secrets were looked for in its strings"
    return scan.credentials, scan.unchecked()
