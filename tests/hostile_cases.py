"""The hostile and faulty inputs nhiscan must survive, one builder per case, grouped by class.

Each case writes its input under a fresh folder and names the command line to run and the exit
codes that are right for it. Every case also must: end within its time limit, print no traceback,
and print at most a few lines on stderr. ``tests/test_hostile.py`` runs each case through the
installed console script; ``benchmarks/bench_hostile.py`` runs the whole set and prints
"N of M handled".
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

NHISCAN = shutil.which("nhiscan", path=str(Path(sys.executable).parent)) or shutil.which("nhiscan") or "nhiscan"


def run_nhiscan(
    *args: str, cwd: Path, timeout: float = 180, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "NHISCAN_DB": str(cwd / "default-history.db"), **(env or {})}
    return subprocess.run(
        [NHISCAN, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False, env=environment
    )


@dataclass(frozen=True)
class Case:
    name: str
    klass: str
    build: Callable[[Path], list[str]]  # writes the input under the folder, returns the arguments
    expect: frozenset[int]
    timeout: float = 60
    check: Callable[[Path, subprocess.CompletedProcess[str]], str | None] | None = None
    env: dict[str, str] = field(default_factory=dict)


def judge(case: Case, folder: Path) -> str | None:
    """None when ``case`` was handled, else what went wrong."""
    arguments = case.build(folder)
    try:
        completed = run_nhiscan(*arguments, cwd=folder, timeout=case.timeout, env=case.env)
    except subprocess.TimeoutExpired:
        return f"did not end within {case.timeout:.0f} s"
    if "Traceback" in completed.stderr or "Traceback" in completed.stdout:
        return "printed a traceback"
    if completed.returncode not in case.expect:
        last = (completed.stderr.strip().splitlines() or [""])[-1][:200]
        return f"exit {completed.returncode}, expected {sorted(case.expect)}: {last}"
    if completed.returncode in (2, 4) and len(completed.stderr.strip().splitlines()) > 3:
        return f"{len(completed.stderr.splitlines())} lines on stderr, expected one"
    return case.check(folder, completed) if case.check else None


CASES: list[Case] = []


def case(klass: str, expect: set[int] | int, timeout: float = 60, **extra: object) -> Callable[..., object]:
    def register(build: Callable[[Path], list[str]]) -> Callable[[Path], list[str]]:
        codes = frozenset({expect} if isinstance(expect, int) else expect)
        CASES.append(Case(build.__name__, klass, build, codes, timeout, **extra))  # type: ignore[arg-type]
        return build

    return register


def _scan(*sources: str) -> list[str]:
    return ["scan", *sources, "--format", "json,sarif,junit,md,csv", "--no-history", "--fail-on", "none", "-q"]


def _write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


BILLION_LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)


# ---------------------------------------------------------------- untrusted files are bounded


@case("bounded", {2})
def yaml_aliases_in_waivers(folder: Path) -> list[str]:
    _write(folder / "waivers.yaml", BILLION_LAUGHS + "waivers: *i\n")
    return [*_scan("demo"), "--waivers", "waivers.yaml"]


@case("bounded", {2})
def yaml_aliases_in_config(folder: Path) -> list[str]:
    _write(folder / "nhiscan.yaml", BILLION_LAUGHS + "sources: *i\n")
    return ["scan", "--config", "nhiscan.yaml", "--no-history", "-q"]


@case("bounded", {2})
def yaml_aliases_in_a_control(folder: Path) -> list[str]:
    _write(folder / "controls" / "X-1.yaml", BILLION_LAUGHS + "id: X-1\ntitle: *i\n")
    return ["controls", "validate", "controls"]


@case("bounded", {3})
def yaml_aliases_in_a_manifest(folder: Path) -> list[str]:
    _write(folder / "repo" / "a.nhiscan.yaml", BILLION_LAUGHS + "nhiscan: agent/v1\nname: *i\nowner: a@b.c\n")
    return _scan("manifests:repo")


@case("bounded", {2})
def json_nested_100000_levels(folder: Path) -> list[str]:
    _write(folder / "inv.json", "[" * 100_000 + "]" * 100_000)
    return _scan("inventory:inv.json")


@case("bounded", {3})
def json_nested_in_a_manifest(folder: Path) -> list[str]:
    _write(folder / "repo" / "mcp.json", '{"mcpServers": ' + "[" * 100_000 + "]" * 100_000 + "}")
    return _scan("manifests:repo")


@case("bounded", {2})
def json_5000_digit_integer(folder: Path) -> list[str]:
    _write(folder / "inv.json", '{"schema_version": "1.0", "collected_at": ' + "9" * 5000 + "}")
    return _scan("inventory:inv.json")


@case("bounded", {2})
def json_nan_and_infinity(folder: Path) -> list[str]:
    _write(folder / "inv.json", '{"schema_version": "1.0", "collected_at": NaN, "x": Infinity}')
    return _scan("inventory:inv.json")


CONTROL_TAIL = (
    'frameworks: {owasp-nhi-top10-2025: ["NHI4:2025"], owasp-asi-top10-2026: [ASI03]}\n'
    "rationale: Hostile names must not stall a scan.\nremediation: Rename the identity.\n"
)


def _inventory(**records: object) -> str:
    document = {"schema_version": "1.0", "collected_at": "2026-01-01T00:00:00Z", "accounts": [], "identities": []}
    document.update(records)
    return json.dumps(document)


def _identity(**fields: object) -> dict[str, object]:
    return {"uid": "u-1", "provider": "aws", "account": "1", "kind": "user", "name": "svc", **fields}


@case("bounded", {0, 1, 2})
def inventory_year_0000(folder: Path) -> list[str]:
    _write(folder / "inv.json", _inventory(identities=[_identity(created="0000-01-01T00:00:00Z")]))
    return _scan("inventory:inv.json")


@case("bounded", {0, 1})
def inventory_year_9999(folder: Path) -> list[str]:
    _write(folder / "inv.json", _inventory(identities=[_identity(created="9999-12-31T23:59:59Z")]))
    return _scan("inventory:inv.json")


@case("bounded", {2})
def inventory_lone_surrogate(folder: Path) -> list[str]:
    _write(folder / "inv.json", _inventory(identities=[_identity(name="\\ud800svc")]).replace("\\\\ud800", "\\ud800"))
    return _scan("inventory:inv.json")


@case("bounded", {2})
def inventory_nul_byte(folder: Path) -> list[str]:
    _write(folder / "inv.json", _inventory().encode() + b"\x00")
    return _scan("inventory:inv.json")


@case("bounded", {0, 1}, timeout=60)
def mcp_json_of_one_megabyte(folder: Path) -> list[str]:
    servers = {f"server-{i}": {"command": "npx", "args": ["-y", f"@example/tool-{i}@1.0.0"]} for i in range(9000)}
    text = json.dumps({"mcpServers": servers}, indent=1)
    _write(folder / "repo" / ".mcp.json", text[:990_000].rsplit("},", 1)[0] + "}}}")
    return _scan("manifests:repo")


@case("bounded", {0, 1}, timeout=60)
def catastrophic_regex_against_a_long_name(folder: Path) -> list[str]:
    _write(
        folder / "controls" / "X-REGEX-1.yaml",
        "id: X-REGEX-1\ntitle: Names are sane\nseverity: low\nresource: identity\n"
        'require: {not: {field: name, matches: "^(a+)+$"}}\n' + CONTROL_TAIL,
    )
    _write(folder / "inv.json", _inventory(identities=[_identity(name="a" * 50_000 + "!")]))
    return [*_scan("inventory:inv.json"), "--controls", "controls"]


@case("bounded", {2})
def regex_with_backreference_is_refused(folder: Path) -> list[str]:
    _write(
        folder / "controls" / "X-REGEX-2.yaml",
        "id: X-REGEX-2\ntitle: Names are sane\nseverity: low\nresource: identity\n"
        'require: {not: {field: name, matches: "(a)\\\\1"}}\n' + CONTROL_TAIL,
    )
    return ["controls", "validate", "controls"]
