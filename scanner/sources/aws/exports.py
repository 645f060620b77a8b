"""AWS exports for ``file:``, merged per account by resource id, whatever the order of the files.

- ``get-account-authorization-details``: users, groups, roles and policies keyed by ARN. A
  principal that differs between two files keeps the permissions of both (the union: an
  export cannot grant what the account never held), its other fields from the copy last used
  (then the one whose content sorts last); the principal is named in the notes.
- Credential reports: the newest ``GeneratedTime`` wins whole; a CSV report (no
  ``GeneratedTime``) counts as generated at its latest timestamp. Superseded reports are named
  in the notes.
- ``describe-trails``: trails keyed by ARN. A region's listing includes every multi-region trail
  (shadow trails), so an account whose trails were exported is judged on them; their status and
  selectors are not in the export and stay unknown.
- ``get-agent``: agents keyed by ARN, each with the plaintext secrets found in its DRAFT's texts.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from scanner.model import Account, Agent, Credential, Identity, Inventory, LogSource, SourceError, SourceStatus
from scanner.sources.aws.credential_report import ReportRow
from scanner.sources.aws.iam import DETAIL_LISTS, build_iam, unreported_root
from scanner.sources.aws.logging_sources import trail_record

# list fields of a principal whose entries add up when two exports disagree, by entry key
_PERMISSION_LISTS = {
    "AttachedManagedPolicies": lambda e: e.get("PolicyArn"),
    "UserPolicyList": lambda e: (e.get("PolicyName"), _canonical(e.get("PolicyDocument"))),
    "RolePolicyList": lambda e: (e.get("PolicyName"), _canonical(e.get("PolicyDocument"))),
    "GroupPolicyList": lambda e: (e.get("PolicyName"), _canonical(e.get("PolicyDocument"))),
    "GroupList": lambda e: e,
    "InstanceProfileList": lambda e: e.get("InstanceProfileName") if isinstance(e, dict) else e,
}


@dataclass(slots=True)
class Report:
    rows: list[ReportRow]
    generated: datetime | None
    where: str

    @property
    def repeated(self) -> list[str]:
        """The users the report lists more than once, each with how many rows."""
        return [f"{row.user} ({row.copies} rows)" for row in self.rows if row.copies > 1]

    @property
    def ranked_time(self) -> datetime:
        if self.generated is not None:
            return self.generated
        stamps = [t for r in self.rows for t in (r.created, r.password_last_used, *(k.last_used for k in r.keys)) if t]
        stamps += [k.created for r in self.rows for k in r.keys if k.created]
        return max(stamps, default=datetime.min.replace(tzinfo=UTC))


@dataclass(slots=True)
class AccountExports:
    details: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=lambda: defaultdict(dict))
    details_read: bool = False
    details_cut: bool = False  # an authorization-details export of it holds one page of a longer list
    reports: list[Report] = field(default_factory=list)
    trails: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    trails_read: bool = False
    selectors: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    agents: dict[str, Agent] = field(default_factory=dict)
    agent_secrets: dict[str, list[Credential]] = field(default_factory=dict)  # agent uid -> its DRAFT's
    # the latest date each get-agent export shows (createdAt, updatedAt, preparedAt): it was taken after
    agent_dates: list[datetime] = field(default_factory=list)


@dataclass(slots=True)
class AwsExports:
    accounts: dict[str, AccountExports] = field(default_factory=lambda: defaultdict(AccountExports))
    notes: list[str] = field(default_factory=list)
    cut_pages: list[str] = field(default_factory=list)  # files holding one page of a longer answer

    def __bool__(self) -> bool:
        return bool(self.accounts)

    def add_details(self, account: str, details: dict[str, Any], cut: bool = False) -> None:
        exports = self.accounts[account]
        exports.details_read = True
        exports.details_cut = exports.details_cut or cut
        for name in DETAIL_LISTS:
            for item in details.get(name) or []:
                exports.details[name].setdefault(str(item["Arn"]), []).append(item)

    def add_report(self, account: str, rows: list[ReportRow], generated: datetime | None, where: str) -> None:
        self.accounts[account].reports.append(Report(rows, generated, where))

    def add_trails(self, account: str, trails: list[dict[str, Any]]) -> None:
        exports = self.accounts[account]
        exports.trails_read = True
        for trail in trails:
            exports.trails[str(trail["TrailARN"])].append(trail)

    def add_selectors(self, account: str, selectors: dict[str, Any]) -> None:
        self.accounts[account].selectors[str(selectors["TrailARN"])].append(selectors)

    def add_agent(self, account: str, agent: Agent, secrets: list[Credential], dates: list[datetime]) -> None:
        """``dates``: the dates the get-agent export shows of the agent (created, updated, prepared)."""
        exports = self.accounts[account]
        exports.agents[agent.uid] = agent
        exports.agent_secrets[agent.uid] = secrets
        if dates:
            exports.agent_dates.append(max(dates))


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _merge_copies(copies: list[dict[str, Any]]) -> tuple[dict[str, Any], bool]:
    """One principal from its copies in several exports, and whether they differed."""
    distinct = {_canonical(c): c for c in copies}
    if len(distinct) == 1:
        return copies[0], False
    ordered = [distinct[key] for key in sorted(distinct)]
    base = max(ordered, key=lambda c: str((c.get("RoleLastUsed") or {}).get("LastUsedDate") or ""))
    merged = dict(base)
    for name, key in _PERMISSION_LISTS.items():
        if any(name in c for c in ordered):
            entries: dict[Any, Any] = {}
            for copy in ordered:
                for entry in copy.get(name) or []:
                    entries.setdefault(key(entry), entry)
            merged[name] = list(entries.values())
    trusts: list[Any] = [c["AssumeRolePolicyDocument"] for c in ordered if "AssumeRolePolicyDocument" in c]
    if len({_canonical(t) for t in trusts}) > 1 and all(isinstance(t, dict) for t in trusts):
        # whom every copy trusts: a principal one copy lets assume the role may still
        statements: dict[str, Any] = {}
        for trust in trusts:
            listed = trust.get("Statement")
            for statement in listed if isinstance(listed, list) else [listed] if listed is not None else []:
                statements.setdefault(_canonical(statement), statement)
        merged["AssumeRolePolicyDocument"] = {**trusts[0], "Statement": list(statements.values())}
    if len({_canonical(c.get("PermissionsBoundary")) for c in ordered}) > 1:
        merged.pop("PermissionsBoundary", None)  # copies disagree: no boundary is known to hold
    return merged, True


def _merged_policy(copies: list[dict[str, Any]]) -> tuple[dict[str, Any], bool]:
    """A managed policy from several exports: the copy updated last (its default version is current)."""
    distinct = {_canonical(c): c for c in copies}
    ordered = [distinct[key] for key in sorted(distinct)]
    return max(ordered, key=lambda c: str(c.get("UpdateDate") or "")), len(distinct) > 1


def _details_of(account: str, exports: AccountExports, notes: list[str]) -> dict[str, list[Any]] | None:
    if not exports.details_read:
        return None
    details: dict[str, list[Any]] = {}
    differing = []
    for name in DETAIL_LISTS:
        details[name] = []
        for arn, copies in sorted(exports.details[name].items()):
            item, differs = (_merged_policy if name == "Policies" else _merge_copies)(copies)
            details[name].append(item)
            if differs:
                differing.append(arn)
    if differing:
        shown = first_five(differing)
        notes.append(
            f"{account}: {len(differing)} principals or policies differ between authorization-details exports "
            f"({shown}); principals keep the permissions and the trust of every copy (a permissions boundary "
            "only where every copy has the same), policies the copy updated last"
        )
    return details


def _newest_report(account: str, exports: AccountExports, notes: list[str]) -> Report | None:
    if not exports.reports:
        return None
    ranked = sorted(exports.reports, key=lambda r: (r.ranked_time, _canonical([(x.arn, str(x)) for x in r.rows])))
    newest = ranked[-1]
    for older in ranked[:-1]:
        same = " (same rows)" if older.rows == newest.rows else ""
        notes.append(
            f"{account}: credential report {older.where} (generated {older.ranked_time:%Y-%m-%dT%H:%M:%SZ}) "
            f"is superseded by the newer {newest.where} ({newest.ranked_time:%Y-%m-%dT%H:%M:%SZ}){same}"
        )
    if newest.repeated:
        notes.append(
            f"{account}: credential report {newest.where} lists some users more than once: "
            f"{', '.join(newest.repeated)}; each keeps the row that shows the most of its keys"
        )
    return newest


def _one_of(copies: list[dict[str, Any]]) -> dict[str, Any]:
    """One of several copies of a trail or its selectors, the same whatever the order of the files."""
    distinct = {_canonical({k: v for k, v in c.items() if k != "ResponseMetadata"}): c for c in copies}
    return distinct[max(distinct)]


def _trails(account: str, exports: AccountExports, notes: list[str]) -> list[LogSource]:
    found = []
    for arn, copies in sorted(exports.trails.items()):
        selectors = exports.selectors.get(arn)
        found.append(trail_record(account, _one_of(copies), None, _one_of(selectors) if selectors else None))
    orphans = sorted(set(exports.selectors) - set(exports.trails))
    if orphans:
        notes.append(f"{account}: event selectors of trails no describe-trails export lists: {', '.join(orphans)}")
    return found


_PARTITION_OF_ARN = re.compile(r"^arn:(aws[\w-]*):[\w-]+:[\w-]*:([\w-]*):")


def _partition(account: str, exports: AccountExports) -> str:
    """The partition (aws, aws-cn, aws-us-gov, …) of the account's exported ARNs: its users',
    groups', roles' and policies', its credential reports' rows', its trails' and its agents'. ARNs
    naming the account decide (an authorization-details export shares its policies among the
    accounts it holds; AWS managed policies name no account), else any; aws when none says."""
    arns = [arn for name in DETAIL_LISTS for arn in exports.details.get(name, {})]
    arns += [row.arn for report in exports.reports for row in report.rows]
    arns += [*exports.trails, *exports.selectors, *exports.agents]
    found = [match.groups() for match in map(_PARTITION_OF_ARN.match, arns) if match]
    named = Counter(partition for partition, owner in found if owner == account)
    counted = named or Counter(partition for partition, _ in found)
    return max(counted, key=lambda partition: (counted[partition], partition), default="aws")


def aws_inventory(aws: AwsExports, inventory: Inventory) -> dict[str, datetime | None]:
    """Adds each account's records; returns when each account's exports were taken: its credential
    report's GeneratedTime, or None where no export of the account says."""
    times: dict[str, datetime | None] = {}
    for account, exports in sorted(aws.accounts.items()):
        times[account] = None
        details = _details_of(account, exports, aws.notes)
        report = _newest_report(account, exports, aws.notes)
        records = build_iam(account, details, report.rows if report else None)
        partition = _partition(account, exports)
        disagreeing = (
            _unmatched_users(details, report, exports.details_cut) if details is not None and report is not None else []
        )
        if report is None:
            for identity in records.identities:
                if identity.kind == "user":
                    identity.unknown.append("credentials")  # keys are only in the credential report
            records.identities.append(unreported_root(partition, account))
        elif report.generated is not None:
            _impossible_dates(records.credentials, report.generated)
            _impossible_last_use(records.identities, report.generated, created_too=details is None)
            times[account] = _taken_at(account, report.generated, records.identities, exports.agent_dates, aws.notes)
        trails = _trails(account, exports, aws.notes)
        given = _given(exports)
        unread = [] if exports.agents else ["agents"]
        if details is None:  # its roles and groups are in no other export: the credential report lists users
            unread.insert(0, "identities")
        if exports.trails_read:
            trails.append(_invocation_logging_not_exported(account, partition))
        if not exports.trails_read or not given:  # only organisation trails name it: its own are not listed
            unread.insert(0, "log_sources")
        inventory.accounts.append(Account(uid=account, provider="aws", name=account, kind="account", unknown=unread))
        inventory.identities.extend(records.identities)
        inventory.credentials.extend(records.credentials)
        inventory.grants.extend(records.grants)
        inventory.agents.extend(agent for _, agent in sorted(exports.agents.items()))
        inventory.credentials.extend(c for _, secrets in sorted(exports.agent_secrets.items()) for c in secrets)
        inventory.log_sources.extend(trails)
        if not given:
            continue
        gaps = _not_exported(exports) + disagreeing
        inventory.sources.append(SourceStatus("file", account, "partial" if gaps else "complete", gaps))
    return times


def _given(exports: AccountExports) -> bool:
    """Whether any export reads the account itself: its authorization details, a credential report,
    an agent, or a trail of its own (not an organisation trail). One only organisation trails name was
    not given at all (their owner, listed by a member account): its records are unknown, and no read
    of it is reported, so NHI-COV-001 is unknown for it, not passed."""
    own_trail = any(not copy.get("IsOrganizationTrail") for copies in exports.trails.values() for copy in copies)
    return exports.details_read or bool(exports.reports or exports.agents) or own_trail


def _not_exported(exports: AccountExports) -> list[SourceError]:
    """What an account given in part lacks among the exports, each a named gap: an account with its
    details but no credential report has unknown keys, one without describe-trails unknown logging;
    either read as complete, and NHI-COV-001 passed on it."""
    gaps = [] if exports.details_read else [NO_DETAILS]
    if not exports.reports:
        gaps.append(NO_REPORT)
    if not exports.trails_read:
        gaps.append(NO_TRAILS)
    return gaps


NO_DETAILS = SourceError(
    call="iam:GetAccountAuthorizationDetails",
    message="no authorization details among the exports: the account's roles, groups and every identity's "
    "permissions were not read (export them with 'aws iam get-account-authorization-details')",
    code="NotExported",
)
NO_REPORT = SourceError(
    call="iam:GetCredentialReport",
    message="no credential report among the exports: the users' access keys, their use and rotation, passwords "
    "and MFA were not read (export it with 'aws iam get-credential-report')",
    code="NotExported",
)
NO_TRAILS = SourceError(
    call="cloudtrail:DescribeTrails",
    message="no describe-trails export names the account: which trails log its activity was not read (export "
    "them with 'aws cloudtrail describe-trails')",
    code="NotExported",
)


def _unmatched_users(details: dict[str, list[Any]], report: Report, details_cut: bool) -> list[SourceError]:
    """The users only one of the two exports lists (taken at different times, a user created or
    deleted between them, one of them filtered), each side a named gap: the users are kept, with
    what the other export would have shown unknown, and the account was not read completely
    (NHI-COV-001 fails it). Authorization details holding one page of a longer list leave the
    report's other users on the pages after it: that gap is the cut page's, named already."""
    in_details = {str(user["Arn"]) for user in details.get("UserDetailList", [])}
    in_report = {row.arn for row in report.rows if not row.is_root}
    gaps = []
    only_in_report = set() if details_cut else in_report - in_details
    sides = (
        (only_in_report, "the credential report", "iam:GetAccountAuthorizationDetails", "permissions and tags"),
        (
            in_details - in_report,
            "the authorization details",
            "iam:GetCredentialReport",
            "keys, last use and console access",
        ),
    )
    for users, shown, call, missing in sides:
        if users:
            message = (
                f"{len(users)} users in {shown} only ({first_five(sorted(users))}): their {missing} were not read "
                "(the two exports do not match: taken at different times, or one filtered; export both again, "
                "together and whole)"
            )
            gaps.append(SourceError(call=call, message=message, code="ExportsDisagree"))
    return gaps


def first_five(names: list[str]) -> str:
    """Names for a note: the first five, and how many more."""
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def _taken_at(
    account: str, generated: datetime, identities: list[Identity], agent_dates: list[datetime], notes: list[str]
) -> datetime | None:
    """When an account's exports were taken: its credential report's GeneratedTime, or None (they
    do not say) where its authorization details or get-agent exports, which never say, hold a
    creation, last use or update after it: they were taken later, and judged at the report's time
    ages would be negative (an age limit passed a role last used two years "after" the scan) and
    an unused-credential limit would not yet have run out."""
    held = [moment for i in identities for moment in (i.created, i.last_used) if moment is not None]
    newest = max(held, default=generated)
    newest_agent = max(agent_dates, default=generated)
    if max(newest, newest_agent) <= generated:
        return generated
    later = [
        *(["authorization details"] if newest > generated else []),
        *(["get-agent exports"] if newest_agent > generated else []),
    ]
    notes.append(
        f"{account}: its {' and '.join(later)} hold dates after its credential report was generated "
        f"({max(newest, newest_agent):%Y-%m-%dT%H:%M:%SZ}, after {generated:%Y-%m-%dT%H:%M:%SZ}): they were taken "
        "later, at a time they do not say, and ages are counted to the time of the scan (--as-of sets another time)"
    )
    return None


def _impossible_dates(credentials: list[Credential], generated: datetime) -> None:
    """A key created or last used after the report that lists it was generated: the date is wrong,
    so unknown (a key "created in 2099" would otherwise pass every age control, one "used in 2099"
    every unused-key control)."""
    for credential in credentials:
        if credential.created is not None and credential.created > generated:
            credential.attributes["reported_created"] = credential.created.isoformat()
            credential.created = None
            credential.unknown.append("created")
        if credential.last_used is not None and credential.last_used > generated:
            credential.attributes["reported_last_used"] = credential.last_used.isoformat()
            credential.last_used = None
            credential.unknown.append("last_used")


def _impossible_last_use(identities: list[Identity], generated: datetime, created_too: bool = False) -> None:
    """A user (or the root) last used after the report its last use comes from was generated: a
    key's or the password's date is wrong, so its last use is unknown (and says nothing of when
    the other exports were taken). ``created_too``: the users' creation dates come from the report
    as well (no authorization details): one after it was generated is as wrong, and unknown."""
    for identity in identities:
        if identity.kind not in ("user", "root"):
            continue
        if identity.last_used is not None and identity.last_used > generated:
            identity.attributes["reported_last_used"] = identity.last_used.isoformat()
            identity.last_used = None
            identity.unknown.append("last_used")
        if created_too and identity.created is not None and identity.created > generated:
            identity.attributes["reported_created"] = identity.created.isoformat()
            identity.created = None
            identity.unknown.append("created")


def _invocation_logging_not_exported(account: str, partition: str) -> LogSource:
    """Exports never show Bedrock model-invocation logging: a record that says so, so that the
    trails that were exported can be judged while invocation logging stays unknown."""
    return LogSource(
        uid=f"arn:{partition}:bedrock::{account}:model-invocation-logging",
        provider="aws",
        account=account,
        kind="model_invocation",
        name="bedrock invocation logging (not in the exports)",
        unknown=["enabled", "covers", "retention_days"],
    )
