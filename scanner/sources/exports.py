"""The ``file`` source: exports AWS, Azure and GCP users already have, imported as they are.

``file:PATH`` takes a file, a directory of files, or several paths separated by commas. Each file's
format is detected from its content: ``aws iam get-account-authorization-details`` JSON, the IAM
credential report (CSV, or ``get-credential-report`` JSON with the CSV in ``Content``, as text or
base64), ``aws cloudtrail describe-trails`` output, ``bedrock-agent get-agent`` output, ``az ad
app/sp list`` and Graph list responses, and gcloud IAM JSON (see ``gcp/exports.py``). Recordings
wrapped by Cloud Custodian's placebo (``{"status_code", "data"}``) are unwrapped.

Exports of one account merge by resource id, whatever the order of the files (rules in
``aws/exports.py``); how conflicts were resolved is in the source's notes. In a directory, a file
that is not a recognised export is a named gap and the rest is still read; a file named on the
command line that is not one is refused (exit 2). A recognised export that is malformed is refused
with one line naming the file and the JSON path.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scanner.errors import InputError
from scanner.loading import format_json_path, json_of, read_text, validate
from scanner.model import Inventory, SourceError, SourceStatus
from scanner.sources import SourceInfo, SourceSpec, register
from scanner.sources.aws.agent_secrets import plaintext_secrets, version_texts
from scanner.sources.aws.agent_versions import DRAFT, apply_worst_case, version_settings
from scanner.sources.aws.bedrock import build_agent
from scanner.sources.aws.credential_report import parse_report
from scanner.sources.aws.exports import AwsExports, aws_inventory, first_five
from scanner.sources.azure.exports import AzureExports, azure_inventory, read_azure_export
from scanner.sources.gcp.exports import GcpExports, UnplacedPolicy, gcp_inventory, read_gcp_export

_ACCOUNT_IN_ARN = re.compile(r"^arn:aws[\w-]*:[\w-]+:[\w-]*:(\d{12}):")
_GCLOUD_YAML = re.compile(r"^(?:---\s*$|(?:bindings|etag|email|name|keyAlgorithm|auditConfigs|version):)", re.M)
EXPECTED = (
    "get-account-authorization-details JSON, an IAM credential report (CSV or get-credential-report JSON), "
    "describe-trails JSON, get-agent JSON, az ad app/sp list JSON, a Graph list response, or gcloud "
    "service-accounts, keys, get-iam-policy or asset search-all-iam-policies JSON"
)
YAML_HINT = "this is gcloud's default YAML output: export it again with --format=json"
UNRECOGNISED = "not a recognised export"
# What get-agent does not return: its action groups and knowledge bases (so its tools, and whether
# they ask for approval), its tags (so its owner), and which versions its aliases route to (so the
# texts of the versions that serve, and of its action groups, are not all read: its credentials).
# Unknown, never "none", as in the live source; a secret in the DRAFT's texts still fails.
GET_AGENT_LACKS = ("tools", "human_approval", "owner", "credentials")


class NotAnExport(Exception):
    """A readable file that is none of the recognised exports."""


class Unreadable(Exception):
    """A file found in a folder that could not be read (permission denied, binary, not UTF-8)."""


@dataclass(slots=True)
class Candidate:
    path: Path
    in_directory: bool  # found by listing a directory (a gap if unrecognised), or named by the user
    label: str
    directory: str = ""  # the directory named that holds it


@dataclass(slots=True)
class Exports:
    aws: AwsExports
    azure: AzureExports
    gcp: GcpExports


def collect(spec: SourceSpec) -> Inventory:
    exports = Exports(AwsExports(), AzureExports(), GcpExports())
    gaps: list[SourceError] = []
    unread_in: dict[str, list[SourceError]] = {}  # each directory named -> its files not read
    read_in: set[str] = set()  # the directories named that held an export
    for candidate in _expand(spec.argument or ""):
        try:
            _read_export(candidate.path, exports, found=candidate.in_directory)
        except (NotAnExport, UnplacedPolicy, Unreadable) as why:
            if not candidate.in_directory:
                expected = f" (expected {EXPECTED})" if str(why) == UNRECOGNISED else ""
                raise InputError(f"{why}{expected}", str(candidate.path)) from None
            gaps.append(
                SourceError(
                    f"read {candidate.label}", str(why), "unreadable" if isinstance(why, Unreadable) else "format"
                )
            )
            unread_in.setdefault(candidate.directory, []).append(gaps[-1])
        else:
            read_in.add(candidate.directory)
    # a directory named that holds no export is a wrong path, beside other directories or alone
    for directory, missed in unread_in.items():
        if directory not in read_in:
            raise _no_export(missed, directory)
    if not (exports.aws or exports.azure or exports.gcp):
        raise _no_export(gaps, spec.argument)
    inventory = Inventory(collected_at=datetime.now(UTC))
    try:
        times = aws_inventory(exports.aws, inventory)
        if exports.azure:
            gaps += azure_inventory(exports.azure, inventory)
            gaps += [cut_page(where, "@odata.nextLink") for where in sorted(exports.azure.cut_pages)]
        if exports.gcp:
            gcp_inventory(exports.gcp, inventory)
            gaps += [cut_page(where, "nextPageToken") for where in exports.gcp.cut_pages]
        gaps += [cut_page(where, "IsTruncated") for where in exports.aws.cut_pages]
    except ValueError as error:  # a date the schemas let through but the calendar does not (30 February)
        raise InputError(f"an export holds an impossible value: {error}", spec.argument) from None
    timeless = exports.azure or exports.gcp or None in times.values()
    inventory.collected_at = _judged_at(times, inventory.collected_at if timeless else None, exports.aws.notes)
    notes = exports.aws.notes + exports.gcp.notes + exports.azure.notes
    if gaps:  # a file that could not be read names no account for sure: it may be about any of them
        unread = f"{len(gaps)} files" if len(gaps) > 1 else "a file"
        for account in inventory.sources:
            account.status = "partial"
            account.notes.append(
                f"{unread} among the exports could not be read or placed, or held only one page of a "
                "list (see file:exports)"
            )
    if gaps or notes:
        inventory.sources.append(SourceStatus("file", "exports", "partial" if gaps else "complete", gaps, notes))
    return inventory


def cut_page(where: str, marker: str) -> SourceError:
    """The gap of an export holding one page of a longer list (``marker`` names the next page)."""
    return SourceError(
        f"read {Path(where).name}",
        f"one page of a longer list ({marker} is set): what the pages after it hold was not exported",
        "partial",
    )


def _no_export(unread: list[SourceError], where: str | None) -> InputError:
    """``where`` (a directory, or the whole argument) held no export: how many files were read, and
    why the first was not one."""
    detail = f": {unread[0].call.removeprefix('read ')}: {unread[0].message}" if unread else ""
    return InputError(f"no recognised export ({len(unread)} files read){detail}", where)


def _judged_at(times: dict[str, datetime | None], now: datetime | None, notes: list[str]) -> datetime:
    """When the exports are judged: the newest time one of them was taken (``now`` counts for exports
    that do not say when). One account judged at its own older report, the others' keys created
    since would have negative ages and pass; judged later, its ages only grow. Each account whose
    report is older than that is named."""
    stated = {account: time for account, time in times.items() if time is not None}
    judged = max([*stated.values(), *([now] if now is not None else [])])
    for account, time in sorted(stated.items()):
        if time < judged:
            notes.append(
                f"{account}: its credential report was generated {time:%Y-%m-%dT%H:%M:%SZ}, before the other "
                f"exports: its ages are counted to {judged:%Y-%m-%dT%H:%M:%SZ} with theirs (--as-of sets another time)"
            )
    return judged


def _expand(argument: str) -> list[Candidate]:
    """The files to read, each once however often it is named (a file, and the folder holding it)."""
    found: list[Candidate] = []
    for part in (p.strip() for p in argument.split(",") if p.strip()):
        path = Path(part)
        if path.is_dir():
            files = _files_in(path)
            if not files:
                raise InputError("no files in this directory", str(path))
            found += [Candidate(p, True, p.relative_to(path).as_posix(), part) for p in files]
        else:
            found.append(Candidate(path, False, path.name))
    seen: set[Path] = set()
    once = []
    for candidate in found:
        key = candidate.path.resolve()
        if key not in seen:
            seen.add(key)
            once.append(candidate)
    return once


def _files_in(folder: Path) -> list[Path]:
    """The regular files under ``folder`` and its folders, hidden ones left out, in order. A folder
    that cannot be listed is an error naming it: rglob passed over it without a word, so a folder of
    exports nhiscan may not read was "no files in this directory", and one inside it was not read."""

    def refuse(error: OSError) -> None:
        raise InputError(f"folder not read: {error.strerror or error}", str(error.filename or folder))

    files = []
    for directory, folders, names in os.walk(folder, onerror=refuse):
        folders[:] = [name for name in folders if not name.startswith(".")]
        files += [Path(directory, name) for name in names if not name.startswith(".")]
    try:
        return sorted(path for path in files if path.is_file())
    except OSError as error:  # a folder listed but not searchable
        raise InputError(f"not read: {error.strerror or error}", str(error.filename or folder)) from None


def _read_export(path: Path, exports: Exports, found: bool) -> None:
    """``found``: listed in a folder (read only if a regular file when opened: see loading.read_text)."""
    where = str(path)
    suffix = path.suffix.lower()
    try:
        text = read_text(path, found)  # once, whatever it holds: a pipe the user names cannot be read again
    except InputError as error:  # one file of a folder that cannot be read is a gap: the rest is read
        if not found:
            raise
        raise Unreadable(error.detail) from None
    if suffix == ".csv":
        _add_report(exports.aws, parse_report(text, where), None, where)
        return
    if suffix in (".yaml", ".yml"):
        raise NotAnExport(YAML_HINT if _GCLOUD_YAML.search(text) else UNRECOGNISED)
    if suffix != ".json":
        if text.startswith("user,arn,"):
            _add_report(exports.aws, parse_report(text, where), None, where)
            return
        raise NotAnExport(UNRECOGNISED)
    try:
        raw = json_of(text, path)
    except InputError:
        if _GCLOUD_YAML.search(text):
            raise NotAnExport(YAML_HINT) from None
        raise
    data, at = _unwrap(raw, where)
    if read_azure_export(data, exports.azure, where, at) or read_gcp_export(data, exports.gcp, path, at):
        return
    if not isinstance(data, dict):
        raise NotAnExport(UNRECOGNISED)
    _read_aws_export(data, exports.aws, where, at)


def _read_aws_export(data: dict[str, Any], aws: AwsExports, where: str, at: tuple[str, ...]) -> None:
    error = data.get("Error")
    if isinstance(error, dict) and error.get("Code"):
        raise NotAnExport(f"a recorded error response ({error['Code']}), not an export")
    if any(name in data for name in ("UserDetailList", "RoleDetailList")):
        validate(data, "export-aws-authorization-details", Path(where), at=at)
        # the API's own answer (or the CLI's with --max-items) says when it was cut: the rest is on later pages
        cut = data.get("IsTruncated") is True or bool(data.get("NextToken") or data.get("Marker"))
        for account, part in _details_by_account(data, where, aws.notes).items():
            aws.add_details(account, part, cut=cut)
        if cut:
            aws.cut_pages.append(where)
    elif "Content" in data and ("GeneratedTime" in data or "ReportFormat" in data):
        validate(data, "export-aws-credential-report", Path(where), at=at)
        rows = parse_report(_report_text(data["Content"], where, at), where)
        generated = data.get("GeneratedTime")
        try:
            when = _parse_time(generated) if generated else None
        except ValueError:
            raise InputError(
                "GeneratedTime is no time that exists", where, format_json_path([*at, "GeneratedTime"])
            ) from None
        _add_report(aws, rows, when, where)
    elif "trailList" in data:
        validate(data, "export-aws-trails", Path(where), at=at)
        by_account: dict[str, list[dict[str, Any]]] = {}
        for trail in data["trailList"]:
            by_account.setdefault(_account_of(trail, where), []).append(trail)
        if not by_account:
            raise NotAnExport("describe-trails lists no trail, so it names no account")
        for account, trails in by_account.items():
            aws.add_trails(account, trails)
    elif "TrailARN" in data and ("EventSelectors" in data or "AdvancedEventSelectors" in data):
        validate(data, "export-aws-event-selectors", Path(where), at=at)
        aws.add_selectors(_account_of(data["TrailARN"], where), data)
    elif isinstance(data.get("agentSummaries"), list):
        raise NotAnExport("list-agents names neither the account nor the agents' roles: export get-agent per agent")
    elif isinstance(data.get("agent"), dict) and "agentArn" in data["agent"]:
        account = _account_of(data["agent"], where)
        try:
            for key in ("agentResourceRoleArn", "agentName", "foundationModel", "instruction"):
                if key in data["agent"] and not isinstance(data["agent"][key], str | None):
                    raise TypeError(f"{key} is not text")
            agent = build_agent(account, data["agent"])
            secrets = plaintext_secrets(agent, DRAFT, version_texts(data["agent"]))
            dates = _agent_dates(data["agent"])
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise InputError(f"malformed get-agent output ({error})", where, format_json_path([*at, "agent"])) from None
        agent.unknown.extend(GET_AGENT_LACKS)
        # the DRAFT is all it shows: the versions that serve may be worse, and run as another role
        apply_worst_case(agent, [version_settings(data["agent"])], unread=True)
        aws.add_agent(account, agent, secrets, dates)
    else:
        raise NotAnExport(UNRECOGNISED)


def _details_by_account(data: dict[str, Any], where: str, notes: list[str]) -> dict[str, dict[str, Any]]:
    """An authorization-details export split by the account each user, group and role belongs to
    (its ARN's), each part with every managed policy (they are looked up by ARN). A principal whose
    ARN names no account belongs to the first account the export names, and the notes say so."""
    fallback = _account_of(data, where)
    parts: dict[str, dict[str, Any]] = {}
    placed: list[str] = []
    for name in ("UserDetailList", "GroupDetailList", "RoleDetailList"):
        for item in data.get(name) or []:
            match = _ACCOUNT_IN_ARN.match(str(item.get("Arn", "")))
            if not match:
                placed.append(str(item.get("Arn", "")))
            part = parts.setdefault(match.group(1) if match else fallback, {})
            part.setdefault(name, []).append(item)
    if placed:
        shown = first_five(sorted(placed))
        notes.append(f"{where}: {len(placed)} principals whose ARN names no account ({shown}) are read as {fallback}'s")
    policies = list(data.get("Policies") or [])
    return {account: {**part, "Policies": policies} for account, part in parts.items()} or {fallback: data}


def _add_report(aws: AwsExports, rows: list[Any], generated: datetime | None, where: str) -> None:
    if not rows:
        raise InputError("the credential report has no rows", where)
    aws.add_report(_account_of([r.arn for r in rows], where), rows, generated, where)


def _report_text(content: str, where: str, at: tuple[str, ...]) -> str:
    if content.startswith("user,"):
        return content
    try:
        return base64.b64decode(content, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        location = format_json_path([*at, "Content"])
        raise InputError("credential report Content is neither CSV nor base64 CSV", where, location) from None


def _unwrap(data: Any, where: str) -> tuple[Any, tuple[str, ...]]:
    """Cloud Custodian placebo recordings: the response sits in ``data``, times as class dicts
    (turned into ISO text, as the AWS CLI prints them)."""
    if isinstance(data, dict) and "status_code" in data and isinstance(data.get("data"), dict):
        return _placebo_times(data["data"], where, ["data"]), ("data",)
    return data, ()


def _placebo_times(value: Any, where: str, path: list[str | int]) -> Any:
    if isinstance(value, dict):
        if value.get("__class__") == "datetime":
            try:
                year, month, day, hour, minute, second = (
                    int(value.get(k, 0)) for k in ("year", "month", "day", "hour", "minute", "second")
                )
                return datetime(year, month, day, hour, minute, second, tzinfo=UTC).isoformat()
            except (TypeError, ValueError) as error:
                raise InputError(f"invalid recorded datetime ({error})", where, format_json_path(path)) from None
        return {key: _placebo_times(item, where, [*path, key]) for key, item in value.items()}
    if isinstance(value, list):
        return [_placebo_times(item, where, [*path, index]) for index, item in enumerate(value)]
    return value


def _account_of(data: Any, where: str) -> str:
    """The first 12-digit account id in an ARN anywhere in the data."""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            match = _ACCOUNT_IN_ARN.match(value)
            if match:
                return match.group(1)
        elif isinstance(value, dict):
            stack.extend(reversed(list(value.values())))
        elif isinstance(value, list):
            stack.extend(reversed(value))
    raise InputError("no AWS account id found in the export's ARNs", where)


def _agent_dates(agent: dict[str, Any]) -> list[datetime]:
    """The dates a get-agent export shows of the agent: it was taken after each of them."""
    shown = (agent.get(key) for key in ("createdAt", "updatedAt", "preparedAt"))
    return [_parse_time(text) for text in shown if isinstance(text, str)]


def _parse_time(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


register(
    SourceInfo(
        name="file",
        summary="exports: AWS IAM, credential report, trails, agents; az ad app/sp; gcloud IAM",
        collect=collect,
        permissions=(),  # reads local files
        argument="PATH[,PATH...]",
        paths=True,
        argument_required=True,
    )
)
