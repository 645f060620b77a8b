"""report.html: one self-contained, interactive file for analysts.

Summary, framework coverage, waivers and methodology are rendered on the server. Findings and the
inventory travel as one JSON data island that the inline script pages, filters and sorts, so the
page holds one page of rows whatever the estate's size. The Content-Security-Policy admits only
the inline script and stylesheet by their hashes: no other script, style or request can run.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from markupsafe import Markup

from scanner.model import Finding, ScanResult, is_stand_in
from scanner.reports import Reporter, ReportSettings, view
from scanner.reports.aggregate import FindingGroup
from scanner.reports.tally import credential_holders, groups, holder_uids, tally
from scanner.reports.templating import asset, environment, script_json

FINDING_COLUMNS = (
    "control",
    "status",
    "uid",
    "type",
    "kind",
    "name",
    "provider",
    "account",
    "message",
    "evidence",
    "waiver",
    "new",
    "fingerprint",
    "location",
    "holder",
)
IDENTITY_COLUMNS = (
    "uid",
    "name",
    "kind",
    "provider",
    "account",
    "owner",
    "age",
    "unused",
    "credentials",
    "capabilities",
    "failing",
    "unread",  # written only where the source left a list unread: LIST_EVIDENCE's names
)
CREDENTIAL_COLUMNS = ("kind", "age", "unused", "expires_in", "active", "managed")
AGENT_COLUMNS = (
    "uid",
    "name",
    "platform",
    "provider",
    "account",
    "runtime",
    "owner",
    "tools",
    "capabilities",
    "guardrail",
    "approval",
    "failing",
    "runs_as_uid",
    "unread",
)
LOG_COLUMNS = ("name", "kind", "provider", "account", "scope", "enabled", "covers", "retention")
# Past this many findings the table shows one row per control, status and account: a browser
# stays quick with tens of thousands of rows, not with a million
FULL_LIST_LIMIT = 25_000


def _hash_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def content_security_policy(script: str, style: str) -> str:
    return (
        f"default-src 'none'; script-src {_hash_source(script)}; style-src {_hash_source(style)}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )


def _finding_row(finding: Finding, holder: str) -> list[Any]:
    ref = finding.resource
    return [
        finding.control_id,
        finding.status,
        ref.uid,
        ref.type,
        ref.kind,
        ref.name,
        ref.provider,
        ref.account,
        finding.message,
        finding.evidence,
        finding.waiver,
        finding.new,
        finding.fingerprint,
        ref.location,
        holder,  # the identity or agent the finding is about
    ]


def _group_row(group: FindingGroup) -> list[Any]:
    count = len(group.findings)
    first = group.findings[0]
    noun = "resource" if count == 1 else "resources"
    return [
        group.control_id,
        group.status,
        "",
        first.resource.type,
        group.kinds,
        f"{count:,} {noun}: " + ", ".join(group.examples) + (", …" if count > len(group.examples) else ""),
        group.provider,
        group.account,
        f"{count:,} {noun} in {group.account}. First: {first.message}",
        {"resources": count, "examples": group.examples, "all findings": "results.json"},
        group.waiver,
        group.new,
        group.fingerprint,
        None,
        None,  # a group has no single holder
    ]


def finding_rows(result: ScanResult) -> tuple[list[list[Any]], bool]:
    """One row per finding, or past FULL_LIST_LIMIT one per control, status and account (the
    whole list stays in results.json); and whether the rows are grouped."""
    if len(result.findings) <= FULL_LIST_LIMIT:
        holders = holder_uids([f.resource for f in result.findings], credential_holders(result.inventory))
        return [_finding_row(f, holder) for f, holder in zip(result.findings, holders, strict=True)], False
    return [_group_row(g) for g in groups(result)], True


def inventory_rows(result: ScanResult) -> dict[str, list[list[Any]]]:
    inventory = result.inventory
    if inventory is None:
        return {"identities": [], "agents": [], "logs": []}
    as_of = result.scan.as_of
    failing = view.failing_by_holder(result)
    # Ages written out rather than through view.credential_age and view.days_between: a call per
    # field is most of the time for hundreds of thousands of credentials
    credentials: dict[str | None, list[list[Any]]] = {}
    for c in inventory.credentials:
        created, last_used, expires, unknown = c.created, c.last_used, c.expires, c.unknown
        row = [
            c.kind,
            None if created is None else max(0, (as_of - created).days),
            None if last_used is None else max(0, (as_of - last_used).days),
            None if expires is None else (expires - as_of).days,
            c.active_at(as_of),
            c.managed_by_provider,
        ]
        if unknown:
            _mark_unknown(row, unknown, _CREDENTIAL_EVIDENCE)
        held = credentials.get(c.identity_uid)
        if held is None:
            credentials[c.identity_uid] = [row]
        else:
            held.append(row)
    names = {i.uid: i.name for i in inventory.identities}
    # whose capabilities rest on grants not all read (a report holds no grants but tools: a grant
    # read in part is not seen here)
    unread_grants = {i.uid for i in inventory.identities if (i.unknown and "grants" in i.unknown) or is_stand_in(i)}
    read_whole = {i.uid for i in inventory.identities if not is_stand_in(i)}
    identities = [
        _with_unread(
            [
                i.uid,
                i.name,
                i.kind,
                i.provider,
                i.account,
                i.owner,
                None if i.created is None else max(0, (as_of - i.created).days),
                None if i.last_used is None else max(0, (as_of - i.last_used).days),
                credentials.get(i.uid, []),
                result.capabilities.get(i.uid, []),
                failing.get(i.uid, 0),
            ],
            [*i.unknown, "grants"] if i.uid in unread_grants else i.unknown,
            _IDENTITY_EVIDENCE,
            _IDENTITY_LISTS,
        )
        for i in inventory.identities
    ]
    tools = view.tools_by_holder(inventory)
    agents = [
        _with_unread(
            [
                a.uid,
                a.name,
                a.platform,
                a.provider,
                a.account,
                names.get(a.runs_as or "", a.runs_as),
                a.owner,
                tools.get(a.uid, []),
                result.capabilities.get(a.uid, []),
                a.guardrail,
                a.human_approval,
                failing.get(a.uid, 0) + failing.get(a.runs_as or "", 0),
                a.runs_as,
            ],
            [*a.unknown, *(["runtime_grants"] if a.runs_as in unread_grants or a.runs_as not in read_whole else [])],
            _AGENT_EVIDENCE,
            _AGENT_LISTS,
        )
        for a in inventory.agents
    ]
    logs = [
        _known(
            [s.name or s.uid, s.kind, s.provider, s.account, s.scope, s.enabled, s.covers, s.retention_days],
            s.unknown,
            _LOG_EVIDENCE,
        )
        for s in inventory.log_sources
    ]
    return {"identities": identities, "agents": agents, "logs": logs}


# What a table shows where its record's source did not read the field: never the model's default
# (an owner of None reads "none recorded", a retention of None "no limit", enabled False "disabled")
UNKNOWN = "unknown"
# (column, the fields of the record's unknown any of which leaves the column unknown)
_CREDENTIAL_EVIDENCE = (
    (1, ("created",)),
    (2, ("last_used",)),
    (3, ("expires",)),
    (4, ("active", "expires")),
    (5, ("managed_by_provider",)),
)
_IDENTITY_EVIDENCE = ((5, ("owner",)), (6, ("created",)), (7, ("last_used",)))
_AGENT_EVIDENCE = ((5, ("runs_as",)), (6, ("owner",)), (9, ("guardrail",)), (10, ("human_approval",)))
# (a list the report shows, the fields of the record's unknown any of which leaves it incomplete):
# what it lists is what was read, and more may exist
_IDENTITY_LISTS = (("credentials", ("credentials",)), ("capabilities", ("grants",)))
_AGENT_LISTS = (("tools", ("tools",)), ("capabilities", ("tools", "runs_as", "runtime_grants")))
_LOG_EVIDENCE = ((5, ("enabled",)), (6, ("covers",)), (7, ("retention_days",)))


def _mark_unknown(row: list[Any], unknown: list[str], evidence: tuple[tuple[int, tuple[str, ...]], ...]) -> None:
    for column, fields in evidence:
        if any(name in unknown for name in fields):
            row[column] = UNKNOWN


def _known(row: list[Any], unknown: list[str], evidence: tuple[tuple[int, tuple[str, ...]], ...]) -> list[Any]:
    if unknown:
        _mark_unknown(row, unknown, evidence)
    return row


def _with_unread(
    row: list[Any],
    unknown: list[str],
    evidence: tuple[tuple[int, tuple[str, ...]], ...],
    lists: tuple[tuple[str, tuple[str, ...]], ...],
) -> list[Any]:
    """``_known``, and the lists of the row the source did not read whole, as a last column
    (only where there is one: most records have none)."""
    if not unknown:
        return row
    _mark_unknown(row, unknown, evidence)
    unread = [shown for shown, fields in lists if any(name in unknown for name in fields)]
    if unread:
        row.append(unread)
    return row


def report_data(result: ScanResult) -> dict[str, Any]:
    """The data island: column names once, then one array per row (half the size of objects)."""
    names = {f.id: f.name for f in result.frameworks}
    return {
        "columns": {
            "findings": FINDING_COLUMNS,
            "identities": IDENTITY_COLUMNS,
            "credentials": CREDENTIAL_COLUMNS,
            "agents": AGENT_COLUMNS,
            "logs": LOG_COLUMNS,
        },
        "controls": {
            c.id: {
                "title": c.title,
                "severity": c.severity,
                "rationale": c.rationale,
                "remediation": c.remediation,
                "frameworks": c.frameworks,
                "mappings": [
                    f"{names.get(m.framework, m.framework)} {m.version} {m.item} ({m.relationship}): {m.rationale}"
                    for m in c.mappings
                ],
            }
            for c in result.controls
        },
        "frameworks": names,
        # a benchmark's providers (empty: any): its findings filter keeps only those providers' resources
        "framework_providers": {f.id: f.providers for f in result.frameworks if f.providers},
        "findings": finding_rows(result)[0],
        "grouped": len(result.findings) > FULL_LIST_LIMIT,
        **inventory_rows(result),
    }


def render(result: ScanResult, settings: ReportSettings) -> str:
    script, style = asset("report.js"), asset("report.css")
    return (
        environment()
        .get_template("report.html.j2")
        .render(
            result=result,
            headline=view.headline(result),
            verdict=view.gate_verdict(result),
            results_line=view.results_line(result),
            scope=view.scope(result),
            matrix=tally(result).matrix,
            gaps=view.coverage_gaps(result, limit=50),
            csp=content_security_policy(script, style),
            script=Markup(script),
            style=Markup(style),
            data=Markup(script_json(report_data(result))),
            grouped=len(result.findings) > FULL_LIST_LIMIT,
        )
    )


REPORTER = Reporter(format="html", filename="report.html", render=render)
