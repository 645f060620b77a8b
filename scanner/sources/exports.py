"""The ``file`` source: exports AWS, Azure and GCP users already have, imported as they are.

``file:PATH`` takes a file, a directory of files, or several paths separated by commas. Each file's
format is detected from its content: ``aws iam get-account-authorization-details`` JSON, the IAM
credential report (CSV, or ``get-credential-report`` JSON with the CSV in ``Content``, as text or
base64), ``aws cloudtrail describe-trails`` output, and ``bedrock-agent get-agent`` output.
Recordings wrapped by Cloud Custodian's placebo (``{"status_code", "data"}``) are unwrapped.
Files of one account are combined, so a credential report completes the users of an
authorization-details file.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scanner.errors import InputError
from scanner.loading import read_json, read_text
from scanner.model import Account, Agent, Inventory, LogSource, SourceStatus
from scanner.sources import SourceInfo, SourceSpec, register
from scanner.sources.aws.bedrock import build_agent
from scanner.sources.aws.credential_report import ReportRow, parse_report
from scanner.sources.aws.iam import DETAIL_LISTS, build_iam
from scanner.sources.aws.logging_sources import trail_record
from scanner.sources.azure.exports import AzureExports, azure_inventory, read_azure_export
from scanner.sources.gcp.exports import GcpExports, gcp_inventory, read_gcp_export

_ACCOUNT_IN_ARN = re.compile(r"^arn:aws[\w-]*:[\w-]+:[\w-]*:(\d{12}):")
EXPECTED = (
    "get-account-authorization-details JSON, an IAM credential report (CSV or get-credential-report JSON), "
    "describe-trails JSON, get-agent JSON, az ad app/sp list JSON, a Graph list response, or gcloud "
    "service-accounts, keys or get-iam-policy JSON"
)


@dataclass(slots=True)
class AccountExports:
    details: dict[str, list[Any]] | None = None
    report: list[ReportRow] | None = None
    report_time: datetime | None = None
    trails: list[dict[str, Any]] = field(default_factory=list)
    agents: list[Agent] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def collect(spec: SourceSpec) -> Inventory:
    paths = _expand(spec.argument or "")
    by_account: dict[str, AccountExports] = defaultdict(AccountExports)
    azure, gcp = AzureExports(), GcpExports()
    for path in paths:
        _read_export(path, by_account, azure, gcp)
    inventory = _inventory(by_account)
    if azure.applications or azure.service_principals or azure.federated:
        azure_inventory(azure, inventory)
    if gcp.accounts or gcp.keys or gcp.policies:
        gcp_inventory(gcp, inventory)
    return inventory


def _expand(argument: str) -> list[Path]:
    paths: list[Path] = []
    for part in (p.strip() for p in argument.split(",") if p.strip()):
        path = Path(part)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in (".json", ".csv") and p.is_file())
            if not found:
                raise InputError("no .json or .csv exports in this directory", str(path))
            paths.extend(found)
        else:
            paths.append(path)
    return paths


def _read_export(path: Path, by_account: dict[str, AccountExports], azure: AzureExports, gcp: GcpExports) -> None:
    where = str(path)
    if path.suffix.lower() == ".csv":
        rows = parse_report(read_text(path), where)
        _add_report(by_account, rows, None, where)
        return
    data = _unwrap(read_json(path))
    if read_azure_export(data, azure) or read_gcp_export(data, gcp):
        return
    if not isinstance(data, dict):
        raise InputError(f"not a recognised export (expected {EXPECTED})", where, "$")
    if any(name in data for name in ("UserDetailList", "RoleDetailList")):
        details = {name: list(data.get(name) or []) for name in DETAIL_LISTS}
        account = _account_of(details, where)
        by_account[account].details = details
        by_account[account].files.append(where)
    elif isinstance(data.get("Content"), str):
        rows = parse_report(_report_text(data["Content"], where), where)
        generated = data.get("GeneratedTime")
        _add_report(by_account, rows, _parse_time(generated) if isinstance(generated, str) else None, where)
    elif isinstance(data.get("trailList"), list):
        for trail in data["trailList"]:
            exports = by_account[_account_of(trail, where)]
            exports.trails.append(trail)
            exports.files.append(where)
    elif isinstance(data.get("agent"), dict) and "agentArn" in data["agent"]:
        account = _account_of(data["agent"], where)
        by_account[account].agents.append(build_agent(account, data["agent"]))
        by_account[account].files.append(where)
    else:
        raise InputError(f"not a recognised export (expected {EXPECTED})", where, "$")


def _add_report(
    by_account: dict[str, AccountExports], rows: list[ReportRow], generated: datetime | None, where: str
) -> None:
    if not rows:
        raise InputError("the credential report has no rows", where)
    account = _account_of([r.arn for r in rows], where)
    by_account[account].report = rows
    by_account[account].report_time = generated
    by_account[account].files.append(where)


def _report_text(content: str, where: str) -> str:
    if content.startswith("user,"):
        return content
    try:
        return base64.b64decode(content, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise InputError("credential report Content is neither CSV nor base64 CSV", where, "$.Content") from None


def _unwrap(data: Any) -> Any:
    """Cloud Custodian placebo recordings: the response sits in ``data``, times as class dicts."""
    if isinstance(data, dict) and "status_code" in data and isinstance(data.get("data"), dict):
        data = data["data"]
    return _placebo_times(data)


def _placebo_times(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get("__class__") == "datetime":
            return datetime(
                value["year"], value["month"], value["day"], value.get("hour", 0), value.get("minute", 0),
                value.get("second", 0), value.get("microsecond", 0), tzinfo=UTC,
            )  # fmt: skip
        return {key: _placebo_times(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_placebo_times(item) for item in value]
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


def _parse_time(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _inventory(by_account: dict[str, AccountExports]) -> Inventory:
    collected_at = min((e.report_time for e in by_account.values() if e.report_time), default=datetime.now(UTC))
    inventory = Inventory(collected_at=collected_at)
    for account, exports in sorted(by_account.items()):
        records = build_iam(account, exports.details, exports.report)
        if exports.report is None:
            for identity in records.identities:
                if identity.kind == "user":
                    identity.unknown.append("credentials")  # keys are only in the credential report
        trails: list[LogSource] = [trail_record(account, t, None, None) for t in exports.trails]
        # Exports never show trail status or model-invocation logging, and show agents only when given.
        unread = ["log_sources"] + ([] if exports.agents else ["agents"])
        inventory.accounts.append(Account(uid=account, provider="aws", name=account, kind="account", unknown=unread))
        inventory.identities.extend(records.identities)
        inventory.credentials.extend(records.credentials)
        inventory.grants.extend(records.grants)
        inventory.agents.extend(exports.agents)
        inventory.log_sources.extend(trails)
        inventory.sources.append(SourceStatus("file", account, "complete"))
    return inventory


register(
    SourceInfo(
        name="file",
        summary="exports: AWS IAM, credential report, trails, agents; az ad app/sp; gcloud IAM",
        collect=collect,
        permissions=(),  # reads local files
        argument="PATH[,PATH...]",
        argument_required=True,
    )
)
