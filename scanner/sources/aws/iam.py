"""IAM users, roles, root and their keys and grants, from the bulk APIs.

``build_iam`` is pure: it turns the output of ``get-account-authorization-details``, the
credential report and (optionally) each user's key listing into records. The live source and the
export importer both use it; ``collect_iam`` makes the calls.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from scanner.model import Credential, Grant, Identity, SourceError
from scanner.redact import masked_key_id as mask_key
from scanner.serialize import parse_time
from scanner.sources.aws.calls import AwsCalls
from scanner.sources.aws.credential_report import ReportRow, parse_report
from scanner.sources.aws.policy import (
    default_document,
    fetch_policy,
    missing_policies,
    owner_from_tags,
    policy_grants,
    trust_entries,
    unread_group_grant,
    unread_policy_grant,
    unreadable,
)

DETAIL_LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
# No source lists EC2 instances, Lambda functions or ECS tasks, so which workloads use a user's keys
# or assume a role is not known: NHI-PRIV-008 counts the agents read as a lower bound.
WORKLOADS_NOT_READ = "attributes.workloads"
REPORT_DEADLINE_SECONDS = 300.0
REPORT_FIRST_PAUSE, REPORT_MAX_PAUSE = 0.5, 10.0
REPORT_NOT_READY = frozenset({"ReportInProgress", "ReportNotPresent", "ReportExpired"})
KEY_ID_LIMIT = 1000
DETAILS_PAGE = 1000  # the largest MaxItems IAM accepts (its default is 100)
SSO_ROLE_PATH = "/aws-reserved/sso.amazonaws.com/"
# AWS attaches AWSCompromisedKeyQuarantine (V2, V3, ...) to a user whose access key it found exposed;
# the key stays active (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSCompromisedKeyQuarantineV3.html).
# The policy names the user, not the key: each of the user's access keys carries the report.
QUARANTINE = re.compile(r"^arn:aws[\w-]*:iam::aws:policy/(?:[\w+=,.@-]+/)*AWSCompromisedKeyQuarantine(?:V\d+)?$")
EXPOSURE = "attributes.exposure_reports"


@dataclass(slots=True)
class IamRecords:
    identities: list[Identity] = field(default_factory=list)
    credentials: list[Credential] = field(default_factory=list)
    grants: list[Grant] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # for the account's source status


def _when(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return parse_time(str(value).replace(" ", "T"))


def _same_second(one: datetime | None, other: datetime | None) -> bool:
    return one is not None and other is not None and abs((one - other).total_seconds()) < 2


# ---------------------------------------------------------------------- live collection


def collect_iam(calls: AwsCalls, concurrency: int = 8, key_ids: str = "auto") -> IamRecords:
    """``key_ids``: list access key ids per user ("all"), never ("none"), or while at most
    KEY_ID_LIMIT users hold keys ("auto"): the one per-user call, it dominates large scans.
    Without a credential report, every user's keys are listed (their last use stays unknown).
    The report is asked for first and polled while the authorization details are read, so its
    generation overlaps them rather than following them."""
    asked_at = datetime.now(UTC)
    with ThreadPoolExecutor(max_workers=1) as background:
        pending_report = background.submit(fetch_credential_report, calls)
        details = fetch_authorization_details(calls)
        if details is not None:  # attached policies whose documents the details left out
            details["Policies"] += missing_policies(details, lambda arn: fetch_policy(calls, arn))
        fetched = pending_report.result()
    report, generated = fetched if fetched is not None else (None, None)
    everyone = [u["UserName"] for u in (details or {}).get("UserDetailList", [])]
    earlier = generated is not None and generated < asked_at - CLOCK_SKEW
    if report is None:
        users_with_keys = everyone
        listing = key_ids != "none"
    else:
        users_with_keys = [r.user for r in report if r.keys and not r.is_root]
        if earlier:  # keys made since the report was generated are held by users it shows without any
            users_with_keys = list(dict.fromkeys([*users_with_keys, *everyone]))
        listing = key_ids == "all" or (key_ids == "auto" and len(users_with_keys) <= KEY_ID_LIMIT)
    keys = fetch_access_keys(calls, users_with_keys, concurrency) if listing else {}
    alias_list = calls.paginate("iam", "list_account_aliases", "AccountAliases")
    alias = alias_list[0] if alias_list else None
    records = build_iam(calls.account, details, report, keys, alias)
    if report is None:
        without_report(records, calls, keys)
    elif earlier and generated is not None:
        report_made_earlier(records, generated, keys)
    return records


# IAM's clock and this machine's may differ: a report generated for this scan is not taken for an older one
CLOCK_SKEW = timedelta(minutes=5)


def report_made_earlier(records: IamRecords, generated: datetime, keys: dict[str, list[dict[str, Any]]] | None) -> None:
    """IAM answers with a report up to four hours old rather than generating one: keys made,
    deleted or switched off since are not in it. Every user's keys were listed where the scan lists
    keys (what a user holds is then read now); a user whose keys were not listed holds keys
    unknown, and the source says when the report was made."""
    listed = keys or {}
    unlisted = [i for i in records.identities if i.kind == "user" and i.name not in listed]
    for identity in unlisted:
        if "credentials" not in identity.unknown:
            identity.unknown.append("credentials")
    records.notes.append(
        f"the credential report was generated at {generated:%Y-%m-%dT%H:%M:%SZ}, before this scan (IAM keeps a "
        "report for four hours); "
        + (
            f"the access keys of {len(unlisted)} users were not listed: what they hold is unknown"
            if unlisted
            else "every user's access keys were listed now"
        )
    )


def without_report(records: IamRecords, calls: AwsCalls, keys: dict[str, list[dict[str, Any]]] | None) -> None:
    """No credential report: users whose keys could not be listed have unknown keys (not none),
    and the root identity, which only the report shows, is still there with what is unknown."""
    for identity in records.identities:
        if identity.kind == "user" and (keys is None or identity.name not in keys):
            identity.unknown.append("credentials")
    records.identities.append(unreported_root(calls.partition, calls.account))


def unreported_root(partition: str, account: str) -> Identity:
    """The account's root user where no credential report (the only place it appears) was read:
    it exists, and its keys, MFA and use are unknown."""
    return Identity(
        uid=f"arn:{partition}:iam::{account}:root",
        provider="aws",
        account=account,
        kind="root",
        name=f"{account} root",
        interactive=True,
        unknown=["created", "last_used", "credentials", "attributes.mfa"],
    )


def fetch_authorization_details(calls: AwsCalls) -> dict[str, list[Any]] | None:
    pages = calls.pages("iam", "get_account_authorization_details", PaginationConfig={"PageSize": DETAILS_PAGE})
    if pages is None:
        return None
    return {name: [item for page in pages for item in page.get(name) or []] for name in DETAIL_LISTS}


def fetch_credential_report(
    calls: AwsCalls, deadline_seconds: float = REPORT_DEADLINE_SECONDS
) -> tuple[list[ReportRow], datetime | None] | None:
    """The report's rows and when it was generated: asked for and polled until it is ready, for at
    most ``deadline_seconds`` (AWS takes minutes for accounts with tens of thousands of users).
    ReportInProgress, ReportNotPresent and ReportExpired (a report older than four hours) mean: ask
    again, wait, poll again."""
    deadline = min(time.monotonic() + deadline_seconds, calls.deadline)
    pause = REPORT_FIRST_PAUSE
    while True:
        state = calls.call("iam", "generate_credential_report")
        if state is None:
            return None
        if state.get("State") == "COMPLETE":
            response, code = calls.attempt("iam", "get_credential_report", None, REPORT_NOT_READY)
            if response is not None:
                generated = response.get("GeneratedTime")
                rows = parse_report(response["Content"], f"credential report of {calls.account}")
                return rows, generated if isinstance(generated, datetime) else None
            if code not in REPORT_NOT_READY:
                return None
        if time.monotonic() + pause > deadline:
            calls.add(
                SourceError(
                    call="iam:GetCredentialReport",
                    message=f"the credential report was not ready within {deadline_seconds:.0f} s",
                    code="ReportInProgress",
                )
            )
            return None
        time.sleep(pause)
        pause = min(pause * 2, REPORT_MAX_PAUSE)


def fetch_access_keys(calls: AwsCalls, users: list[str], concurrency: int) -> dict[str, list[dict[str, Any]]] | None:
    """Key ids and creation times, which the bulk APIs lack: one call per user that has keys."""

    def keys_of(user: str) -> tuple[str, list[dict[str, Any]] | None]:
        return user, calls.paginate("iam", "list_access_keys", "AccessKeyMetadata", UserName=user)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        listed = dict(pool.map(keys_of, users))
    if any(value is None for value in listed.values()):
        return None
    return {user: value or [] for user, value in listed.items()}


# ---------------------------------------------------------------------- records


def build_iam(
    account: str,
    details: dict[str, list[Any]] | None,
    report: list[ReportRow] | None,
    keys: dict[str, list[dict[str, Any]]] | None = None,
    alias: str | None = None,
) -> IamRecords:
    records = IamRecords()
    rows = {row.arn: row for row in report or ()}
    if details is not None:
        policies = {p["Arn"]: p for p in details.get("Policies", []) + missing_policies(details)}
        groups = {g["GroupName"]: g for g in details.get("GroupDetailList", [])}
        for user in details.get("UserDetailList", []):
            row = rows.pop(user["Arn"], None)
            identity = _add_user(records, account, user, row, row is not None, keys, policies, groups)
            if row is None and report is not None and (keys is None or user["UserName"] not in keys):
                identity.unknown.append("credentials")  # a report that does not list the user: keys unread
        for role in details.get("RoleDetailList", []):
            _add_role(records, account, role, policies)
    for row in rows.values():  # users the report knows but the details did not list, and root
        if row.is_root:
            _add_root(records, account, row, alias)
        else:
            _add_user(records, account, _user_from_row(row), row, True, keys, {}, {})
    return records


def _user_from_row(row: ReportRow) -> dict[str, Any]:
    return {"UserName": row.user, "Arn": row.arn, "CreateDate": row.created, "_no_details": True}


def _add_user(
    records: IamRecords,
    account: str,
    user: dict[str, Any],
    row: ReportRow | None,
    have_report: bool,
    keys: dict[str, list[dict[str, Any]]] | None,
    policies: dict[str, Any],
    groups: dict[str, Any],
) -> Identity:
    """``have_report``: the credential report lists this user (its last use and console access are known)."""
    tags, owner = owner_from_tags(user.get("Tags") or [])
    uid = user["Arn"]
    unknown = [WORKLOADS_NOT_READ] + ([] if have_report else ["last_used", "interactive"])
    if row is not None and row.password_enabled is None and "interactive" not in unknown:
        unknown.append("interactive")  # password_enabled neither true nor false: console access not read
    attributes: dict[str, Any] = {"path": user.get("Path", "/")}
    if user.get("PermissionsBoundary"):
        attributes["permissions_boundary"] = user["PermissionsBoundary"].get("PermissionsBoundaryArn")
    if row is not None:
        attributes["mfa"] = row.mfa_active
    credentials = _user_keys(uid, user["UserName"], row, keys) + _signing_certificates(uid, row)
    used = [t for t in [row.password_last_used if row else None, *(c.last_used for c in credentials)] if t]
    identity = Identity(
        uid=uid,
        provider="aws",
        account=account,
        kind="user",
        name=user["UserName"],
        owner=owner,
        tags=tags,
        created=_when(user.get("CreateDate")),
        last_used=max(used) if used else None,
        interactive=row.password_enabled if row else None,
        attributes=attributes,
        unknown=unknown,
    )
    if user.get("_no_details"):
        identity.unknown += ["grants", "owner"]  # policies and tags are in the authorization details
    _report_exposure(user, credentials)
    records.identities.append(identity)
    records.credentials.extend(credentials)
    for attached in user.get("AttachedManagedPolicies") or []:
        records.grants.extend(_managed(uid, attached, policies, "attached"))
    for inline in user.get("UserPolicyList") or []:
        records.grants.extend(policy_grants(uid, inline["PolicyName"], inline["PolicyDocument"], "inline"))
    for group_name in user.get("GroupList") or []:
        group = groups.get(group_name)
        if group is None:
            records.grants.append(unread_group_grant(uid, group_name))
            continue
        for attached in group.get("AttachedManagedPolicies") or []:
            records.grants.extend(_managed(uid, attached, policies, f"group:{group_name}"))
        for inline in group.get("GroupPolicyList") or []:
            records.grants.extend(
                policy_grants(uid, inline["PolicyName"], inline["PolicyDocument"], f"group:{group_name}")
            )
    return identity


def _report_exposure(user: dict[str, Any], credentials: list[Credential]) -> None:
    """Each access key of a user AWS quarantined carries the quarantine policies attached; where the
    user's attached policies were not read (no authorization details), what AWS reports is unknown."""
    attached = None if user.get("_no_details") else user.get("AttachedManagedPolicies")
    reports = None
    if isinstance(attached, list):
        arns = [str(p.get("PolicyArn")) for p in attached if isinstance(p, dict)]
        reports = sorted(arn.rsplit("/", 1)[-1] for arn in arns if QUARANTINE.match(arn))
    for credential in credentials:
        if credential.kind != "access_key":
            continue
        if reports is None:
            credential.unknown.append(EXPOSURE)
        else:
            credential.attributes["exposure_reports"] = list(reports)


def _user_keys(
    uid: str, user: str, row: ReportRow | None, keys: dict[str, list[dict[str, Any]]] | None
) -> list[Credential]:
    """Keys from the credential report (dates, last use), with their ids where they were listed.

    A key's uid is its holder and creation time, which identify it whether or not its id was
    listed, so fingerprints, waivers and baselines hold across scans of either kind."""
    listed = list((keys or {}).get(user) or [])
    credentials = []
    for key in row.keys if row else []:
        match = next((k for k in listed if _same_second(_when(k.get("CreateDate")), key.created)), None)
        if match is not None:
            listed.remove(match)
        elif keys is not None and user in keys and key.created is not None:
            continue  # deleted since the report was generated: the user's keys, listed after it, lack it
        active = key.active if match is None else match.get("Status") == "Active"
        credentials.append(
            Credential(
                uid=_key_uid(uid, key.created, key.slot),
                identity_uid=uid,
                kind="access_key",
                created=key.created,
                last_used=key.last_used,
                active=active is not False,
                attributes={"display_id": mask_key(match["AccessKeyId"]) if match else f"key {key.slot}"},
                # the report says N/A for both dates; a state neither true nor false is not read
                unknown=([] if key.created else ["created", "last_used"]) + ([] if active is not None else ["active"]),
            )
        )
    for extra in listed:  # created after the report was generated
        created = _when(extra.get("CreateDate"))
        credentials.append(
            Credential(
                uid=_key_uid(uid, created, 0),
                identity_uid=uid,
                kind="access_key",
                created=created,
                active=extra.get("Status") == "Active",
                attributes={"display_id": mask_key(extra["AccessKeyId"])},
                unknown=["last_used"],
            )
        )
    return _distinct_uids(credentials)


def _distinct_uids(credentials: list[Credential]) -> list[Credential]:
    """Keys created in the same second would share a uid (and findings a fingerprint): number them in
    the credential report's column order, which a listing of key ids does not change."""
    seen = Counter(c.uid for c in credentials)
    numbered: Counter[str] = Counter()
    for credential in credentials:
        if seen[credential.uid] > 1:
            numbered[credential.uid] += 1
            credential.uid = f"{credential.uid}#{numbered[credential.uid]}"
    return credentials


def _signing_certificates(uid: str, row: ReportRow | None) -> list[Credential]:
    """The X.509 signing certificates the credential report lists: long-lived keys that sign
    requests to the services that take them. The report gives neither their last use nor expiry."""
    certificates = [
        Credential(
            uid=f"{uid}#certificate:" + (f"{cert.created:%Y-%m-%dT%H:%M:%SZ}" if cert.created else str(cert.slot)),
            identity_uid=uid,
            kind="certificate",
            created=cert.created,
            active=cert.active is not False,
            attributes={"display_id": f"signing certificate {cert.slot}"},
            unknown=["last_used", "expires"]
            + ([] if cert.created else ["created"])
            + ([] if cert.active is not None else ["active"]),
        )
        for cert in (row.certificates if row else [])
    ]
    return _distinct_uids(certificates)


def _key_uid(holder: str, created: datetime | None, slot: int) -> str:
    return f"{holder}#access_key:{created:%Y-%m-%dT%H:%M:%SZ}" if created else f"{holder}#access_key:{slot}"


def _add_root(records: IamRecords, account: str, row: ReportRow, alias: str | None) -> None:
    uid = row.arn
    records.identities.append(
        Identity(
            uid=uid,
            provider="aws",
            account=account,
            kind="root",
            name=f"{alias or account} root",
            created=row.created,
            last_used=max([t for t in [row.password_last_used, *(k.last_used for k in row.keys)] if t], default=None),
            interactive=True,
            attributes={"mfa": row.mfa_active},
        )
    )
    keys = _user_keys(uid, "<root>", row, None)
    for key in keys:  # no policy can be attached to the root user: AWS tells of its exposed keys otherwise
        key.unknown.append(EXPOSURE)
    records.credentials.extend(keys + _signing_certificates(uid, row))


def _add_role(records: IamRecords, account: str, role: dict[str, Any], policies: dict[str, Any]) -> None:
    tags, owner = owner_from_tags(role.get("Tags") or [])
    uid = role["Arn"]
    path = role.get("Path", "/")
    trust = role.get("AssumeRolePolicyDocument")
    unreadable_trust = unreadable(trust, trust=True)
    attributes: dict[str, Any] = {
        "path": path,
        "service_linked": path.startswith("/aws-service-role/"),
        "trust": [] if unreadable_trust else trust_entries(trust, account),
    }
    if unreadable_trust:  # who may assume the role is unknown, not no one
        attributes["trust_unreadable"] = unreadable_trust
    human = path.startswith(SSO_ROLE_PATH)  # IAM Identity Center permission sets: people sign in to it
    if human:
        attributes["human_evidence"] = "AWS SSO reserved role path"
    if role.get("PermissionsBoundary"):
        attributes["permissions_boundary"] = role["PermissionsBoundary"].get("PermissionsBoundaryArn")
    profiles = [p.get("InstanceProfileName") for p in role.get("InstanceProfileList") or []]
    if profiles:
        attributes["instance_profiles"] = profiles
    last_used = (role.get("RoleLastUsed") or {}).get("LastUsedDate")
    records.identities.append(
        Identity(
            uid=uid,
            provider="aws",
            account=account,
            kind="role",
            name=role["RoleName"],
            owner=owner,
            tags=tags,
            created=_when(role.get("CreateDate")),
            last_used=_when(last_used),
            interactive=human,
            attributes=attributes,
            unknown=[WORKLOADS_NOT_READ]
            + ([] if "RoleLastUsed" in role else ["last_used"])
            + (["attributes.trust"] if unreadable_trust else []),
        )
    )
    for attached in role.get("AttachedManagedPolicies") or []:
        records.grants.extend(_managed(uid, attached, policies, "attached"))
    for inline in role.get("RolePolicyList") or []:
        records.grants.extend(policy_grants(uid, inline["PolicyName"], inline["PolicyDocument"], "inline"))


def _managed(holder: str, attached: dict[str, Any], policies: dict[str, Any], source: str) -> list[Grant]:
    arn = attached["PolicyArn"]
    policy = policies.get(arn)
    document = None if policy is None else default_document(policy)
    if policy is None or document is None:  # listed without its default version's document, or not at all
        return [unread_policy_grant(holder, attached["PolicyName"], arn, source)]
    return policy_grants(holder, attached["PolicyName"], document, source, arn, policy.get("DocumentSource"))
