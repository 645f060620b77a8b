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
import signal
import socket
import sqlite3
import subprocess
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

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
    # writes the input under the folder; returns the arguments (and any environment to add)
    build: Callable[[Path], list[str] | tuple[list[str], dict[str, str]]]
    expect: frozenset[int]
    timeout: float = 60
    check: Callable[[Path, subprocess.CompletedProcess[str]], str | None] | None = None
    env: dict[str, str] = field(default_factory=dict)
    send_signal: int | None = None  # sent once the command prints READY on stderr


def judge(case: Case, folder: Path) -> str | None:
    """None when ``case`` was handled, else what went wrong."""
    built = case.build(folder)
    arguments, env = built if isinstance(built, tuple) else (built, {})
    try:
        if case.send_signal is None:
            completed = run_nhiscan(*arguments, cwd=folder, timeout=case.timeout, env={**case.env, **env})
        else:
            completed = _interrupted(arguments, folder, case, env)
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


def _signals_as_at_a_terminal() -> None:
    """SIGINT and SIGTERM as a user's shell would leave them: a suite started in the background
    (``cmd &`` without job control) ignores SIGINT, and its children would inherit that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _interrupted(
    arguments: list[str], folder: Path, case: Case, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **case.env, **env}
    with subprocess.Popen(
        [NHISCAN, *arguments],
        cwd=folder,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_signals_as_at_a_terminal,
    ) as process:
        assert process.stderr is not None
        seen = []
        for line in process.stderr:  # the hook prints READY once the scan is writing its reports
            seen.append(line)
            if "READY" in line:
                break
        assert case.send_signal is not None
        process.send_signal(case.send_signal)
        stdout, stderr = process.communicate(timeout=case.timeout)
        return subprocess.CompletedProcess(process.args, process.returncode, stdout, "".join(seen) + stderr)


CASES: list[Case] = []


def case(klass: str, expect: set[int] | int, timeout: float = 60, **extra: object) -> Callable[..., object]:
    def register(build: Callable[[Path], Any]) -> Callable[[Path], Any]:
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


# "\ud800" in double quotes is half of a UTF-16 pair, not text: read as written, it stopped the scan
# with an internal error (exit 4) as results.json was written
@case("bounded", {2})
def yaml_lone_surrogate_in_waivers(folder: Path) -> list[str]:
    _write(folder / "waivers.yaml", 'waivers:\n  - control: NHI-CRED-001\n    resource: "x\\ud800"\n'
           "    owner: a@b.c\n    reason: r\n    expires: 2098-01-01\n")  # fmt: skip
    return [*_scan("demo"), "--waivers", "waivers.yaml"]


@case("bounded", {3})
def yaml_lone_surrogate_in_a_manifest(folder: Path) -> list[str]:
    _write(folder / "repo" / "a.nhiscan.yaml", 'nhiscan: agent/v1\nname: "a\\ud800b"\nowner: a@b.c\n')
    return _scan("manifests:repo")


# a tag whose %-escapes are not UTF-8, a value its tag cannot hold: the parser's own exceptions
@case("bounded", {2})
def yaml_tag_not_utf8_in_waivers(folder: Path) -> list[str]:
    _write(folder / "waivers.yaml", "waivers: !<%ED%A0%80> []\n")
    return [*_scan("demo"), "--waivers", "waivers.yaml"]


@case("bounded", {3})
def yaml_value_its_tag_cannot_hold_in_a_manifest(folder: Path) -> list[str]:
    _write(folder / "repo" / "a.nhiscan.yaml", "nhiscan: agent/v1\nname: a\nowner: !!bool maybe\n")
    return _scan("manifests:repo")


@case("bounded", {2}, timeout=30)
def yaml_tag_directives_in_config(folder: Path) -> list[str]:
    _write(folder / "nhiscan.yaml", "".join(f"%TAG !{i:x}! x\n" for i in range(320_000)) + "---\nsources: [demo]\n")
    return ["scan", "--config", "nhiscan.yaml", "--no-history", "-q"]


# the same after carriage returns, which end a line for libyaml too
@case("bounded", {2}, timeout=30)
def yaml_tag_directives_after_carriage_returns_in_config(folder: Path) -> list[str]:
    _write(folder / "nhiscan.yaml", "".join(f"%TAG !{i:x}! x\r" for i in range(320_000)) + "---\rsources: [demo]\r")
    return ["scan", "--config", "nhiscan.yaml", "--no-history", "-q"]


# a scalar key tagged as a list, built in steps: a TypeError, an internal error (exit 4)
@case("bounded", {3})
def yaml_key_tagged_as_a_list_in_a_manifest(folder: Path) -> list[str]:
    _write(folder / "repo" / "a.nhiscan.yaml", "nhiscan: agent/v1\nname: a\nowner: a@b.c\n!!seq x: 1\n")
    return _scan("manifests:repo")


# 15 MiB of one-character values: composing each of 8 million took 47 s and 2.9 GB (276 s and
# 4.2 GB nested 98 deep); refused once 2 million keys and values are read
@case("bounded", {2}, timeout=30)
def yaml_millions_of_values_in_config(folder: Path) -> list[str]:
    _write(folder / "nhiscan.yaml", "sources: [demo]\nlabels: [" + ",".join("1" * (15 * 1024 * 1024 // 2)) + "]\n")
    return ["scan", "--config", "nhiscan.yaml", "--no-history", "-q"]


# keys that all hash to 0 (multiples of 2**61 - 1): each compared with every one before it; 3 MB
# took about 80 s, a 16 MiB file would take about 40 minutes
@case("bounded", {2}, timeout=30)
def yaml_keys_sharing_one_hash_in_config(folder: Path) -> list[str]:
    keys = "".join(f"  {i * (2**61 - 1)}: 1\n" for i in range(1, 110_000))
    _write(folder / "nhiscan.yaml", "sources: [demo]\nlabels:\n" + keys)
    return ["scan", "--config", "nhiscan.yaml", "--no-history", "-q"]


def _names_the_pipe(folder: Path, completed: subprocess.CompletedProcess[str]) -> str | None:
    results = json.loads(next(folder.rglob("results.json")).read_text())
    errors = [error for source in results["scan"]["sources"] for error in source["errors"]]
    named = {(error["call"], error["message"]) for error in errors}
    expected = {
        (f"read {name}", "not a regular file (a pipe, device or socket); not read")
        for name in ("mcp.json", ".mcp.json")
    }
    return None if named == expected else f"gaps named: {sorted(named)}"


@case("bounded", {3}, timeout=30, check=_names_the_pipe)
def named_pipe_where_a_manifest_is_expected(folder: Path) -> list[str]:
    """A read of a pipe waits for a writer that never comes; each named one is a gap, and a pipe of
    any other name (agents.json) is no manifest."""
    (folder / "repo").mkdir()
    for name in ("mcp.json", "agents.json"):
        os.mkfifo(folder / "repo" / name)
    (folder / "repo" / ".mcp.json").symlink_to("mcp.json")
    return _scan("manifests:repo")


def _names_the_control_pipe(folder: Path, completed: subprocess.CompletedProcess[str]) -> str | None:
    expected = "nhiscan: error: controls/X-2.yaml: not a regular file (a pipe, device or socket); not read"
    return None if completed.stderr.strip() == expected else f"printed {completed.stderr.strip()[:200]!r}"


@case("bounded", {2}, timeout=30, check=_names_the_control_pipe)
def named_pipe_in_a_controls_folder(folder: Path) -> list[str]:
    _write(folder / "controls" / "X-1.yaml", "id: X-1\n")
    os.mkfifo(folder / "controls" / "X-2.yaml")
    return ["controls", "validate", "controls"]


@case("bounded", {2}, timeout=30)
def symbolic_link_loop_in_a_controls_folder(folder: Path) -> list[str]:
    _write(folder / "controls" / "X-1.yaml", "id: X-1\n")
    (folder / "controls" / "X-2.yaml").symlink_to("X-2.yaml")
    return ["controls", "validate", "controls"]


@case("bounded", {2}, timeout=30)
def named_pipe_given_as_the_manifests_path(folder: Path) -> list[str]:
    os.mkfifo(folder / "pipe.json")
    return _scan("manifests:pipe.json")


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


def _refuses_the_number(folder: Path, completed: subprocess.CompletedProcess[str]) -> str | None:
    return None if "a number too large for a float" in completed.stderr else f"said: {completed.stderr.strip()[:200]}"


@case("bounded", {2}, check=_refuses_the_number)
def json_number_too_large_for_a_float(folder: Path) -> list[str]:
    """Read as infinity, 1e400 was written back as null: the evidence changed on the way."""
    identity = (
        '{"uid": "u1", "provider": "aws", "account": "111111111111", "kind": "role", "name": "u1",'
        ' "attributes": {"n": 1e400}}'
    )
    _write(folder / "inv.json", _inventory().replace('"identities": []', f'"identities": [{identity}]'))
    return _scan("inventory:inv.json")


CONTROL_TAIL = (
    'frameworks: {"owasp-nhi-top10-2025@2025": [{item: "NHI4:2025", relationship: supporting,'
    ' rationale: "A control written for the hostile-input tests."}]}\n'
    "rationale: Hostile names must not stall a scan.\nremediation: Rename the identity.\n"
)


def _inventory(**records: object) -> str:
    document = {"schema_version": "1.0", "collected_at": "2026-01-01T00:00:00Z", "accounts": [], "identities": []}
    document.update(records)
    return json.dumps(document)


def _identity(**fields: object) -> dict[str, object]:
    return {"uid": "u-1", "provider": "aws", "account": "1", "kind": "user", "name": "svc", **fields}


def _none_of_the_values_written(folder: Path, completed: subprocess.CompletedProcess[str]) -> str | None:
    outputs = [path for path in folder.rglob("*") if path.suffix in (".json", ".sarif", ".md", ".csv", ".xml")]
    written = "".join(path.read_text(encoding="utf-8") for path in outputs if path.name != "inv.json")
    return "a value was written" if "abc0199999" in written or "abc0000000" in written else None


@case("bounded", {0, 1}, timeout=90, check=_none_of_the_values_written)
def two_hundred_thousand_secrets_in_one_string(folder: Path) -> list[str]:
    """Redaction searches a text once for all the secrets found in it, not once for each: 50,000
    settings in one 750 KB description took 17 s to redact that way, and these 200,000 (3 MB) over
    four minutes."""
    description = " ".join(f"password:abc{index:07d}" for index in range(200_000))
    _write(folder / "inv.json", _inventory(identities=[_identity(attributes={"description": description})]))
    return _scan("inventory:inv.json")


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


# about 10 s on an idle machine; its 27,000 strings are more than are checked for secrets (20,000),
# so the file is read with a named gap and the source is partial
@case("bounded", {3}, timeout=120)
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


# patterns that searched a long run again from each place in it (each case took minutes before)
@case("bounded", {3}, timeout=30)
def jsonc_string_never_closed_in_a_manifest(folder: Path) -> list[str]:
    _write(folder / "repo" / "mcp.json", '{"mcpServers": {"a": {"command": "' + '\\"' * 200_000)  # 42 s per 100 KB
    return _scan("manifests:repo")


@case("bounded", {0}, timeout=30)
def key_pairs_glued_in_a_manifest_description(folder: Path) -> list[str]:
    word = ("AKIA" + "A" * 16 + "/") * 20_000  # 400 KB, one word: 3.6 s per 100 KB, growing as its square
    _write(folder / "repo" / "a.nhiscan.yaml", f"nhiscan: agent/v1\nname: a\nowner: a@b.c\ndescription: x {word}\n")
    return _scan("manifests:repo")


@case("bounded", {0}, timeout=30)
def braces_in_a_shell_script_of_an_mcp_server(folder: Path) -> list[str]:
    server = {"command": "sh", "args": ["-c", "{" * 120_000]}  # about 50 s
    _write(folder / "repo" / ".mcp.json", json.dumps({"mcpServers": {"s": server}}))
    return _scan("manifests:repo")


# ---------------------------------------------------------------- faults and signals

_SILENT: list[socket.socket] = []  # kept open for the life of the process


def silent_endpoint() -> int:
    """A TCP port that accepts connections (the kernel completes them from the backlog) and
    never answers: the shape of a hung service."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    _SILENT.append(listener)
    return int(listener.getsockname()[1])


@case("faults", {3}, timeout=60, env={"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "x" * 40})
def cloud_endpoint_that_never_answers(folder: Path) -> tuple[list[str], dict[str, str]]:
    endpoint = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{silent_endpoint()}"}
    return [*_scan("aws"), "--aws-regions", "us-east-1", "--deadline", "8"], endpoint


@case("faults", {2}, timeout=90)
def history_database_that_never_answers(folder: Path) -> list[str]:
    return ["history", "--db", f"postgresql+psycopg://nhiscan@127.0.0.1:{silent_endpoint()}/nhiscan"]


@case("faults", {2})
def history_database_that_is_not_a_database(folder: Path) -> list[str]:
    _write(folder / "history.db", b"this is not SQLite" * 100)
    return ["history", "--db", "history.db"]


@case("faults", {2})
def history_database_of_an_unknown_revision(folder: Path) -> list[str]:
    connection = sqlite3.connect(folder / "history.db")
    connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
    connection.execute("INSERT INTO alembic_version VALUES ('ffffffffffff')")
    connection.commit()
    connection.close()
    return ["history", "--db", str(folder / "history.db")]


def _stored_scan(folder: Path, blob: bytes) -> list[str]:
    database = folder / "history.db"
    completed = run_nhiscan("scan", "demo", "--format", "json", "--db", str(database), "-q", cwd=folder)
    assert completed.returncode == 1, completed.stderr
    connection = sqlite3.connect(database)
    scan_id = connection.execute("SELECT id FROM scans").fetchone()[0]
    connection.execute("UPDATE scans SET results = ?", (blob,))
    connection.commit()
    connection.close()
    return ["report", scan_id, "--db", str(database), "--format", "json", "-o", "re-rendered"]


@case("faults", {2}, timeout=120)
def history_blob_that_is_not_a_scan(folder: Path) -> list[str]:
    return _stored_scan(folder, b"not zlib at all")


@case("faults", {2}, timeout=120)
def history_blob_that_is_a_zlib_bomb(folder: Path) -> list[str]:
    bomb = zlib.compressobj(9)
    chunk = b"\0" * (1 << 20)
    blob = b"".join(bomb.compress(chunk) for _ in range(600)) + bomb.flush()
    return _stored_scan(folder, blob)


@case("faults", {1}, check=lambda folder, _: None if (folder / "plain.db").is_file() else "no plain.db written")
def history_database_given_as_a_plain_path(folder: Path) -> list[str]:
    return ["scan", "demo", "--format", "json", "--db", "plain.db", "-q"]


_FAULT_HOOK = """
import scanner.scan
def broken(*args, **kwargs):
    raise KeyError("a bug")
scanner.scan.run_scan = broken
import scanner.cli
scanner.cli.run_scan = broken
"""


def _with_hook(folder: Path, hook: str) -> dict[str, str]:
    """Environment that loads ``hook`` into the console script's interpreter (sitecustomize)."""
    _write(folder / "hook" / "sitecustomize.py", hook)  # runs before scanner is imported: patch lazily
    return {"PYTHONPATH": str(folder / "hook")}


@case("faults", {4})
def internal_error_is_exit_4_and_one_line(folder: Path) -> tuple[list[str], dict[str, str]]:
    return ["scan", "demo", "--format", "json", "--no-history"], _with_hook(folder, _FAULT_HOOK)


_SLOW_REPORTS_HOOK = """
import sys, time
import scanner.reports
real = scanner.reports.write_reports
def slow(result, formats, output_dir, *rest):
    written = real(result, formats[:1], output_dir, *rest)
    print("READY", file=sys.stderr, flush=True)
    time.sleep(60)
    return written
import scanner.cli
scanner.cli.write_reports = slow
"""


def _earlier_scan_untouched(folder: Path, completed: subprocess.CompletedProcess[str]) -> str | None:
    out = folder / "nhiscan-out"
    left = sorted(p.name for p in out.iterdir())
    if left != ["results.json"] or (out / "results.json").read_text() != "EARLIER SCAN":
        return f"output folder changed by the interrupted scan: {left}"
    if "READY" not in completed.stderr:
        return "the scan never reached its reports"
    return None


def _interrupt_while_writing(folder: Path) -> tuple[list[str], dict[str, str]]:
    _write(folder / "nhiscan-out" / "results.json", "EARLIER SCAN")
    return ["scan", "demo", "--format", "json,md", "--no-history"], _with_hook(folder, _SLOW_REPORTS_HOOK)


def _interrupted_cases(moment: str, build: Callable[[Path], Any], check: Callable[..., str | None]) -> None:
    """One case per signal a user or a scheduler sends: SIGINT (exit 130) and SIGTERM (143)."""
    for number, code in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
        name = f"{signal.Signals(number).name.lower()}_while_{moment}"
        CASES.append(Case(name, "faults", build, frozenset({code}), timeout=60, check=check, send_signal=number))


_interrupted_cases("writing_reports", _interrupt_while_writing, _earlier_scan_untouched)


_SLOW_PDF_HOOK = """
import os, sys, time
import scanner.reports.pdf_report as pdf_report
def slow_pdf(html):
    print(f"READY {os.getpid()}", file=sys.stderr, flush=True)
    time.sleep(60)
pdf_report.pdf_from_html = slow_pdf
"""


def _worker_gone(folder: Path, completed: subprocess.CompletedProcess[str]) -> str | None:
    """The PDF worker (which printed its pid with READY) ended with the interrupted scan."""
    untouched = _earlier_scan_untouched(folder, completed)
    if untouched:
        return untouched
    pid = int(completed.stderr.split("READY", 1)[1].split()[0])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    return f"the PDF worker {pid} outlived the scan"


def _interrupt_while_rendering_pdf(folder: Path) -> tuple[list[str], dict[str, str]]:
    _write(folder / "nhiscan-out" / "results.json", "EARLIER SCAN")
    return ["scan", "demo", "--format", "json,pdf", "--no-history"], _with_hook(folder, _SLOW_PDF_HOOK)


_interrupted_cases("the_pdf_renders_in_its_worker", _interrupt_while_rendering_pdf, _worker_gone)


# ---------------------------------------------------------------- output sinks stay inert

HOSTILE_NAME = "evil\n::warning::pwned \x1b[2J\x1b]0;title\x07 @octocat https://evil.example <img src=x>\x01\ufffe"


def _sinks_are_inert(folder: Path, completed: subprocess.CompletedProcess[str]) -> str | None:
    out = folder / "nhiscan-out"
    printed = completed.stdout + completed.stderr
    if any(line.lstrip().startswith("::") for line in printed.splitlines()) or "\x1b" in printed:
        return "a CI workflow command or an escape sequence reached the terminal"
    try:
        ElementTree.parse(out / "junit.xml")
    except ElementTree.ParseError as error:
        return f"junit.xml is not XML: {error}"
    sarif = json.loads((out / "results.sarif").read_text(encoding="utf-8"))
    for result in sarif["runs"][0]["results"]:
        physical = result["locations"][0]["physicalLocation"]
        uri = physical["artifactLocation"]["uri"]
        if any(c in uri for c in " \n\x1b<>"):
            return f"SARIF uri not percent-encoded: {uri!r}"
        line = physical.get("region", {}).get("startLine", 1)
        if not isinstance(line, int) or line < 1:
            return f"SARIF startLine {line!r}"
    summary = (out / "summary.md").read_text(encoding="utf-8")
    if "@octocat" in summary or "<img" in summary or "https://evil" in summary:
        return "summary.md carries a live @mention, autolink or HTML"
    if not (out / "findings.csv").read_bytes().startswith(b"\xef\xbb\xbf"):
        return "findings.csv has no UTF-8 byte-order mark"
    return None


@case("sinks", {0, 1, 3}, check=_sinks_are_inert)
def hostile_names_in_files_and_records(folder: Path) -> list[str]:
    repo = folder / "repo"
    _write(repo / f"{HOSTILE_NAME}.nhiscan.yaml", "nhiscan: agent/v1\nname: [not, a, name]\n")
    _write(repo / "dir with space" / "a.nhiscan.yaml", f"nhiscan: agent/v1\nname: {json.dumps(HOSTILE_NAME)}\n")
    identity = _identity(name=HOSTILE_NAME, uid=HOSTILE_NAME, account=HOSTILE_NAME)
    _write(folder / "inv.json", _inventory(identities=[identity]))
    return ["scan", "manifests:repo", "inventory:inv.json", "--format", "json,sarif,junit,md,csv", "--no-history"]


# ---------------------------------------------------------------- fingerprints are portable


def _fingerprints(results: Path) -> list[str]:
    return sorted(f["fingerprint"] for f in json.loads(results.read_text(encoding="utf-8"))["findings"])


def _same_fingerprints_at_both_paths(folder: Path, completed: subprocess.CompletedProcess[str]) -> str | None:
    first = _fingerprints(folder / "runner-1" / "nhiscan-out" / "results.json")
    second = _fingerprints(folder / "runner-2" / "nhiscan-out" / "results.json")
    if not first:
        return "no findings to compare"
    return None if first == second else "fingerprints differ between two checkouts of one repository"


@case("fingerprints", {1}, check=_same_fingerprints_at_both_paths, timeout=120)
def one_repository_at_two_paths(folder: Path) -> list[str]:
    for runner in ("runner-1", "runner-2"):
        _write(folder / runner / "checkout" / "repo" / "agents" / "a.nhiscan.yaml", "nhiscan: agent/v1\nname: a\n")
        _write(folder / runner / "checkout" / "repo" / ".mcp.json", '{"mcpServers": {"t": {"url": "http://x.io/m"}}}')
    first = ["scan", "manifests:checkout/repo", "--format", "json", "--no-history", "-q"]
    completed = run_nhiscan(*first, cwd=folder / "runner-1")
    assert completed.returncode == 1, completed.stderr
    return ["scan", f"manifests:{folder / 'runner-2' / 'checkout' / 'repo'}", "--format", "json", "--no-history",
            "-q", "--output-dir", str(folder / "runner-2" / "nhiscan-out")]  # fmt: skip


# ---------------------------------------------------------------- waivers cannot silently turn the gate green


def _waivers(folder: Path, **fields: str) -> list[str]:
    waiver = {"control": "NHI-CRED-001", "resource": "*", "owner": "grc@example.com", "reason": "accepted",
              "expires": "2099-01-01", **fields}  # fmt: skip
    body = "".join(f"    {key}: {json.dumps(value)}\n" for key, value in waiver.items())
    _write(folder / "waivers.yaml", "waivers:\n  - " + body.lstrip())
    return [*_scan("demo"), "--waivers", "waivers.yaml", "--as-of", "2098-06-01"]


@case("waivers", {2})
def waiver_of_every_control_and_resource(folder: Path) -> list[str]:
    return _waivers(folder, control="*")


@case("waivers", {0})
def waiver_of_everything_said_explicitly(folder: Path) -> list[str]:
    return _waivers(folder, control="*", scope="all", reason="demo estate, not production")


@case("waivers", {2})
def waiver_with_a_blank_owner(folder: Path) -> list[str]:
    return _waivers(folder, owner="   ")


@case("waivers", {2})
def waiver_with_a_blank_reason(folder: Path) -> list[str]:
    return _waivers(folder, reason=" ")


@case("waivers", {2})
def waiver_created_after_it_expires(folder: Path) -> list[str]:
    return _waivers(folder, created="2099-02-01")


# ---------------------------------------------------------------- manifests: secrets where they hide

_HIDDEN = {
    "flag": {"command": "npx", "args": ["-y", "@example/tool@1.0.0", "--api-key=sk-proj-" + "Q" * 40]},
    "headers-json": {"command": "npx", "env": {"HEADERS": json.dumps({"Authorization": "Bearer ghp_" + "h" * 36})}},
    "userinfo": {"url": "https://deploy:Zx9Userinfo8Secret7@mcp.example.com/mcp"},
    "query": {"url": "https://mcp.example.org/sse?api_key=Qw8QueryApiKey7Value6"},
    "command": {"command": "bash -c 'serve --token Cm7dCommandToken5x4y3z2w'"},
}
_PLACEHOLDERS = {
    "env-name": {"command": "npx", "env": {"STRIPE_KEY": "STRIPE_SECRET_KEY"}},
    "reference": {"command": "npx", "env": {"TOKEN": "${GITHUB_TOKEN}"}, "args": ["--api-key=${input:key}"]},
    "doc": {"command": "npx", "env": {"TOKEN": "<your-token>", "KEY": "****"}},
    "query-ref": {"url": "https://mcp.example.org/sse?api_key=${KEY}"},
}


def _secrets_found_where_they_hide(folder: Path, completed: subprocess.CompletedProcess[str]) -> str | None:
    results = json.loads((folder / "nhiscan-out" / "results.json").read_text(encoding="utf-8"))
    found = {
        c["uid"].split("#plaintext_secret:")[1].split(".")[0]
        for c in results["inventory"]["credentials"]
        if c["kind"] == "plaintext_secret"
    }
    if found != set(_HIDDEN):
        return f"secrets found in {sorted(found)}, expected {sorted(_HIDDEN)}"
    return None


@case("manifests", {1}, check=_secrets_found_where_they_hide)
def secrets_where_they_hide_and_placeholders(folder: Path) -> list[str]:
    _write(folder / "repo" / ".mcp.json", json.dumps({"mcpServers": {**_HIDDEN, **_PLACEHOLDERS}}))
    return ["scan", "manifests:repo", "--format", "json", "--no-history", "-q"]


# ---------------------------------------------------------------- configuration and baselines


@case("config", {2}, check=lambda _, done: None if "nhiscan.yaml:4:" in done.stderr else "nhiscan.yaml:4 not named")
def config_parameter_of_the_wrong_type(folder: Path) -> list[str]:
    _write(folder / "nhiscan.yaml", 'sources: [demo]\ncontrols:\n  params:\n    NHI-CRED-001: {max_age_days: "90"}\n')
    return ["scan", "--config", "nhiscan.yaml", "--no-history", "--format", "json", "-q"]


@case("config", {2})
def baseline_of_an_unknown_schema_version(folder: Path) -> list[str]:
    _write(folder / "old.json", json.dumps({"schema_version": "7.0", "scan": {}, "findings": []}))
    return [*_scan("demo"), "--baseline", "old.json"]


def _release_download_is_not_a_github_tool(folder: Path, completed: subprocess.CompletedProcess[str]) -> str | None:
    results = json.loads((folder / "nhiscan-out" / "results.json").read_text(encoding="utf-8"))
    tags = {tag for uid_tags in results.get("capabilities", {}).values() for tag in uid_tags}
    return "a release download was classified as a code-hosting tool" if "code_write" in tags else None


@case("manifests", {0, 1}, check=_release_download_is_not_a_github_tool)
def package_from_a_code_hosting_release_url(folder: Path) -> list[str]:
    url = "https://github.com/acme/weather-mcp/releases/download/v1.2.0/weather-mcp-1.2.0.mcpb"
    server = {"name": "io.acme/weather", "packages": [{"registryType": "mcpb", "identifier": url, "version": "1.2.0"}]}
    _write(folder / "repo" / "server.json", json.dumps(server))
    return ["scan", "manifests:repo", "--format", "json", "--no-history", "-q"]


@case("secrets", {2}, check=lambda _, done: None if "root:" not in done.stderr else "file contents echoed")
def control_symlink_out_of_its_folder(folder: Path) -> list[str]:
    (folder / "controls").mkdir()
    (folder / "controls" / "X-LINK-1.yaml").symlink_to("/etc/passwd")
    return ["controls", "validate", "controls"]


@case("faults", {2}, timeout=150)
def azure_without_credentials_is_one_line(folder: Path) -> tuple[list[str], dict[str, str]]:
    # a home that does not exist, inside the case's folder: azure-identity creates folders under it
    no_home = str(folder / "no-home")
    return _scan("azure"), {"HOME": no_home, "AZURE_CONFIG_DIR": no_home}


# ---------------------------------------------------------------- the output folder holds one scan


def _only_this_scans_files(folder: Path, completed: subprocess.CompletedProcess[str]) -> str | None:
    out = folder / "nhiscan-out"
    names = sorted(p.name for p in out.iterdir())
    return None if names == ["inventory.json", "notes.txt", "results.json"] else f"output folder holds {names}"


@case("outputs", {1}, check=_only_this_scans_files, timeout=180)
def a_scan_replaces_an_earlier_scans_files(folder: Path) -> list[str]:
    _write(folder / "nhiscan-out" / "report.pdf", "EARLIER SCAN")  # nhiscan's file: removed
    _write(folder / "nhiscan-out" / "notes.txt", "the user's own file")  # not nhiscan's: kept
    return ["scan", "demo", "--format", "json", "--no-history", "-q"]


def _rendered_beside_its_input(folder: Path, completed: subprocess.CompletedProcess[str]) -> str | None:
    names = sorted(p.name for p in (folder / "nhiscan-out").iterdir())
    return None if names == ["inventory.json", "results.json", "summary.md"] else f"output folder holds {names}"


@case("outputs", {0}, check=_rendered_beside_its_input, timeout=120)
def a_report_rendered_into_its_own_folder(folder: Path) -> list[str]:
    first = run_nhiscan("scan", "demo", "--format", "json", "--no-history", "-q", cwd=folder)
    assert first.returncode == 1, first.stderr
    return ["report", "nhiscan-out/results.json", "--format", "md", "-o", "nhiscan-out", "-q"]
