"""``nhiscan.yaml``: everything a scheduled scan needs, so ``nhiscan scan --config nhiscan.yaml``
needs nothing else. Options given on the command line win over the file.

The file is validated against ``config.schema.json``; an error names the file and line. Relative
paths in it are relative to the file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from scanner.engine.declarations import refused_environment
from scanner.errors import InputError
from scanner.loading import format_json_path, validate, yaml_line
from scanner.yaml_input import read_yaml

STARTER = """\
# nhiscan configuration: `nhiscan scan --config nhiscan.yaml` runs a scan from this file.
# Options given on the command line win over the values here.

# What to scan (the same specs as on the command line).
sources:
  - demo
  # - aws                       # boto3 credential chain
  # - azure                     # DefaultAzureCredential
  # - gcp                       # application-default credentials (with gcp.projects or gcp.parent)
  # - manifests:.               # agent and MCP manifests in this repository

# aws:
#   org_role: NhiscanAudit      # scan every account of the Organization
#   regions: [us-east-1, eu-west-1]
# azure:
#   cloud: public               # public | usgov | usgov-dod | china
# gcp:
#   parent: organizations/123456789012

# What the sources cannot read about an account (quote the ids): its environment, for the
# controls that keep production apart, and a name for an account outside the scan.
# accounts:
#   "111122223333": {environment: production}
#   "444455556666": {environment: development}
#   "777766665555": {environment: vendor, name: cost-analytics vendor}

# frameworks: [owasp-asi-top10-2026, owasp-nhi-top10-2025]   # only controls mapped to these

controls:
  # directories: [my-controls/]          # your own controls, beside the bundled ones
  params:
    NHI-CRED-001: {max_age_days: 90}     # rotate long-lived keys within 90 days
  disabled: []                           # control ids to leave out

outputs:
  formats: [html, pdf, json]
  directory: nhiscan-out
  paper: a4

fail_on: high                 # critical | high | medium | low | none
# waivers: waivers.yaml
# allow_partial: false

history:
  enabled: true
  # database: postgresql+psycopg://nhiscan@db.example.internal/nhiscan   # default: SQLite in ~/.local/share/nhiscan
  retention_days: 400
"""


@dataclass(frozen=True, slots=True)
class ConfigOrigin:
    """Where a configuration was read, so a later error names the file and line, not the bundled
    control a parameter was meant for."""

    path: Path
    node: yaml.Node | None

    def error(self, message: str, json_path: Sequence[str | int]) -> InputError:
        line = yaml_line(self.node, json_path)
        return InputError(f"{message} (at {format_json_path(json_path)})", str(self.path), str(line) if line else None)


def load_config(path: Path) -> tuple[dict[str, Any], ConfigOrigin]:
    data, node = read_yaml(path)
    data = data or {}
    origin = ConfigOrigin(path, node)
    accounts = data.get("accounts") if isinstance(data, dict) else None
    for key in accounts if isinstance(accounts, dict) else ():
        if not isinstance(key, str):  # YAML reads 012345678901 as a number, and drops the zero
            raise origin.error(f"account id {key} must be quoted: '{key}'", ["accounts"])
    validate(data, "config", path, node)
    for uid, entry in (data.get("accounts") or {}).items():
        refusal = refused_environment(entry["environment"])
        if refusal:
            raise origin.error(f"account {uid}: {refusal}", ["accounts", uid, "environment"])
    return dict(data), origin


def _relative(base: Path, value: str | None) -> str | None:
    if value is None:
        return None
    candidate = Path(value).expanduser()
    return str(candidate if candidate.is_absolute() else base / candidate)


def _relative_database(base: Path, value: str | None) -> str | None:
    """A history database given as a plain path or a relative ``sqlite:///`` URL, relative to the
    file; any other URL (PostgreSQL, an absolute SQLite file, memory) as it is."""
    if value is None or value.startswith("sqlite:////") or value in ("sqlite://", "sqlite:///:memory:"):
        return value
    if value.startswith("sqlite:///"):
        return "sqlite:///" + str(_relative(base, value.removeprefix("sqlite:///")))
    return value if "://" in value else _relative(base, value)


def config_sources(config: dict[str, Any], base: Path) -> tuple[str, ...]:
    """The configured sources, each path a file or folder source names relative to the file."""
    from scanner.sources import registered

    sources = registered()
    resolved = []
    for text in config.get("sources") or ():
        name, sep, argument = str(text).partition(":")
        if sep and name in sources and sources[name].paths:
            argument = ",".join(str(_relative(base, part.strip())) for part in argument.split(",") if part.strip())
        resolved.append(f"{name}{sep}{argument}")
    return tuple(resolved)


def scan_defaults(config: dict[str, Any], base: Path) -> dict[str, Any]:
    """The config as defaults for the ``scan`` command's options (click's default_map)."""
    outputs = config.get("outputs") or {}
    aws = config.get("aws") or {}
    azure = config.get("azure") or {}
    gcp = config.get("gcp") or {}
    history = config.get("history") or {}
    controls = config.get("controls") or {}
    defaults: dict[str, Any] = {
        "formats": ",".join(outputs["formats"]) if outputs.get("formats") else None,
        "output_dir": _relative(base, outputs.get("directory")),
        "paper": outputs.get("paper"),
        "fail_on": config.get("fail_on"),
        "waivers": _relative(base, config.get("waivers")),
        "baseline": _relative(base, config.get("baseline")),
        "allow_partial": config.get("allow_partial"),
        "frameworks": tuple(config.get("frameworks") or ()) or None,
        "control_dirs": tuple(_relative(base, d) for d in controls.get("directories") or ()) or None,
        "aws_regions": ",".join(aws["regions"]) if aws.get("regions") else None,
        "aws_accounts": ",".join(aws["accounts"]) if aws.get("accounts") else None,
        "aws_org_role": aws.get("org_role"),
        "aws_key_ids": aws.get("key_ids"),
        "azure_cloud": azure.get("cloud"),
        "gcp_projects": ",".join(gcp["projects"]) if gcp.get("projects") else None,
        "gcp_parent": gcp.get("parent"),
        "db": _relative_database(base, history.get("database")),
        "no_history": (not history["enabled"]) if "enabled" in history else None,
        "scan_group": history.get("group"),
    }
    return {key: value for key, value in defaults.items() if value is not None}
