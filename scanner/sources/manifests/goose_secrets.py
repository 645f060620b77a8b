"""Goose's secrets.yaml, read beside its config.yaml.

Without a keyring (headless servers, CI runners, containers) Goose keeps its API keys and its
extensions' secrets in plain text in ``secrets.yaml``, next to ``config.yaml`` (Goose's
config-files.md, "Security Considerations"). Each secret there is the Goose agent's plaintext
credential. The file names no servers, so it is never found by what it mentions: it is read for each
Goose configuration of a scanned folder, with the same bounds as a manifest; one that cannot be read
is a named gap, and the agent's credentials are then unknown.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import yaml

from scanner.errors import InputError
from scanner.loading import parse_yaml, yaml_problem
from scanner.model import Agent, Credential, SourceError
from scanner.sources.manifests.discover import Candidate, Unreadable, read_candidate
from scanner.sources.manifests.walk import SecretScan

SECRETS_FILE = "secrets.yaml"


def goose_secrets(agents: list[Agent], root: Path) -> tuple[list[Credential], list[SourceError]]:
    """The plaintext secrets of the secrets.yaml beside each Goose agent's config.yaml under the
    folder ``root``, and what could not be read."""
    credentials: list[Credential] = []
    gaps: list[SourceError] = []
    for agent in agents:
        if agent.platform != "goose":
            continue
        relpath = (PurePosixPath(agent.attributes["location"]["file"]).parent / SECRETS_FILE).as_posix()
        path = root / relpath
        if not path.is_file() and not path.is_symlink():
            continue
        found, problem = _read(path, relpath, root, agent.uid)
        credentials += found
        if problem is not None:
            gaps.append(SourceError(f"read {relpath}", problem, "invalid"))
            agent.unknown.append("credentials")
    return credentials, gaps


def _read(path: Path, relpath: str, root: Path, holder: str) -> tuple[list[Credential], str | None]:
    try:
        text = read_candidate(Candidate(path, relpath, named=True), root)
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
    scan.check(SECRETS_FILE, document)
    if not isinstance(document, dict):
        return scan.credentials, "not a mapping of secrets; its secrets were looked for in its strings"
    if scan.truncated:
        return scan.credentials, f"only the first {scan.strings_checked:,} strings were checked for secrets"
    return scan.credentials, None
