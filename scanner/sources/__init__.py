"""Sources collect an Inventory; they never evaluate. Each registers its name here.

A source spec on the command line is ``NAME`` or ``NAME:ARGUMENT`` (``inventory:snap.json``).
Each source declares the provider API permissions its calls need, so the least-privilege policy
in ``docs/permissions/`` is generated from code, never hand-kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scanner.errors import UsageError
from scanner.model import Inventory


@dataclass(frozen=True, slots=True)
class SourceSpec:
    name: str
    argument: str | None = None
    # Command-line options for sources (aws_regions, quiet, ...); not part of the spec's identity.
    options: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __str__(self) -> str:
        return self.name if self.argument is None else f"{self.name}:{self.argument}"


@dataclass(frozen=True, slots=True)
class SourceInfo:
    name: str
    summary: str
    collect: Callable[[SourceSpec], Inventory]
    # Every provider API permission the source's calls need (e.g. "iam:GetAccountAuthorizationDetails");
    # empty for sources that read local files only. docs/permissions/ is generated from these.
    permissions: tuple[str, ...]
    argument: str = ""  # what the part after ':' means; empty when none is taken
    argument_required: bool = False
    shows_progress: bool = False  # draws its own progress bar (the CLI then shows no spinner)
    divides_accounts: bool = False  # honours --shard i/n; sources that do not are read by shard 1 only
    paths: bool = False  # the argument names files or folders (comma-separated): relative to nhiscan.yaml there


_REGISTRY: dict[str, SourceInfo] = {}


def register(info: SourceInfo) -> None:
    _REGISTRY[info.name] = info


def registered() -> dict[str, SourceInfo]:
    _load_builtin_sources()
    return dict(_REGISTRY)


def parse_spec(text: str, options: Mapping[str, Any] | None = None) -> SourceSpec:
    name, sep, argument = text.partition(":")
    sources = registered()
    if name not in sources:
        raise UsageError(f"unknown source '{name}'; available: {', '.join(sorted(sources))}")
    info = sources[name]
    if sep and not info.argument:
        raise UsageError(f"source '{name}' takes no argument")
    if info.argument_required and not argument:
        raise UsageError(f"source '{name}' needs {name}:{info.argument}")
    return SourceSpec(name, argument if sep else None, dict(options or {}))


def collect(spec: SourceSpec) -> Inventory:
    """The source's inventory, through the one redaction step every record passes (redact.py)."""
    from scanner.redact import redact_inventory

    return redact_inventory(registered()[spec.name].collect(spec))


def _load_builtin_sources() -> None:
    # Imported on first use, so that importing scanner.sources never touches a cloud SDK.
    from scanner.sources import aws, azure, demo, exports, gcp, inventory_file, manifests  # noqa: F401
