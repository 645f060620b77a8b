"""Collect AWS: which accounts and regions, then each account's IAM, agents and logging.

Accounts run in parallel, and each account's regions run in parallel, each pool bounded. An
account whose role cannot be assumed is reported as failed and skipped; a refused call makes its
account partial. Without credentials, or with credentials AWS rejects, the source stops (exit 2);
when STS cannot be reached at all, nothing was read and the source fails (exit 3). Bedrock agents
are read only in regions where botocore's endpoint data offers them. An organisation trail is read
once, from its owner (the management account) when that is scanned, else from the account the
scan runs from or an account of the scan that is the management account or a CloudTrail delegated
administrator, and the member accounts that see it are marked covered by it.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3

from scanner.console import ProgressTicks
from scanner.errors import UsageError
from scanner.model import Account, Credential, Identity, Inventory, SourceError, SourceStatus
from scanner.sharding import Shard, owned
from scanner.sources.aws.bedrock import RegionAgents, collect_agents, collect_api_keys
from scanner.sources.aws.calls import ACCOUNT_DEADLINE_SECONDS, AwsCalls
from scanner.sources.aws.iam import collect_iam
from scanner.sources.aws.logging_sources import (
    collect_invocation_logging,
    collect_secrets,
    collect_trails,
    complete_organization_trails,
)
from scanner.sources.aws.policy import owner_from_tags
from scanner.sources.aws.sessions import Caller, assume, base_session, identify

ACCOUNT_WORKERS = 4
CLOUDTRAIL_SERVICE = "cloudtrail.amazonaws.com"


@dataclass(frozen=True, slots=True)
class AwsScope:
    profile: str | None = None
    regions: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    org_role: str | None = None
    concurrency: int = 8
    shard: Shard | None = None
    key_ids: str = "auto"  # auto | all | none: list access key ids per user (see iam.collect_iam)
    deadline_seconds: float = ACCOUNT_DEADLINE_SECONDS  # per account: calls after it are gaps


TAGS_NOT_ASKED = (
    "the account's tags (its environment) are kept by AWS Organizations and read only with --aws-org-role: "
    "declare its environment in nhiscan.yaml's accounts"
)


@dataclass(slots=True)
class AccountTarget:
    account: str
    name: str = ""
    session: boto3.Session | None = None
    error: SourceError | None = None
    parent: str | None = None
    # the account's tags in its Organization; None: not read (refused, or a scan without
    # --aws-org-role, which asks no Organization: an account's tags are kept there only)
    tags: dict[str, str] | None = None
    role: str = ""  # the organisation role to assume when the account's turn comes


def collect_aws(scope: AwsScope, advance: ProgressTicks | None = None) -> Inventory:
    started = datetime.now(UTC)
    ticks = advance or ProgressTicks()
    base = base_session(scope.profile)
    caller = identify(base)
    home = AwsCalls(base, caller.account, caller.region, caller.partition, scope.deadline_seconds)
    targets, listing = plan_accounts(base, home, caller, scope)
    ticks.known(len(targets))

    def run(target: AccountTarget) -> Inventory:
        try:
            if target.role:
                open_account(target, base, home, caller)
            return collect_account(target, scope, caller, started)
        finally:
            ticks()

    with ThreadPoolExecutor(max_workers=min(ACCOUNT_WORKERS, max(1, len(targets)))) as pool:
        parts = list(pool.map(run, targets))
    merged = Inventory(
        collected_at=started,
        accounts=[a for p in parts for a in p.accounts],
        identities=[i for p in parts for i in p.identities],
        credentials=[c for p in parts for c in p.credentials],
        grants=[g for p in parts for g in p.grants],
        agents=[a for p in parts for a in p.agents],
        log_sources=[s for p in parts for s in p.log_sources],
        sources=[*listing, *(s for p in parts for s in p.sources)],
    )
    may_read_org_trails = bool(scope.org_role) and not listing
    readers = OrganizationTrailReaders(home, targets)
    complete_organization_trails(merged, readers.reader_for if may_read_org_trails else None)
    for calls in (home, *readers.others.values()):
        report_gaps_of(merged, calls)
    return merged


class OrganizationTrailReaders:
    """Who may read an organisation trail's status and selectors (refused to member accounts): its
    owner, the management account, or a CloudTrail delegated administrator (``organizations:
    ListDelegatedAdministrators`` for cloudtrail.amazonaws.com, asked once, only when needed):
    the account the scan runs from, else an account of the scan whose role was assumed."""

    def __init__(self, home: AwsCalls, targets: list[AccountTarget]) -> None:
        self.home = home
        self.targets = targets
        self.administrators: list[str] | None = None
        self.others: dict[str, AwsCalls] = {}  # readers other than home, by account

    def reader_for(self, owner: str) -> AwsCalls | None:
        if self.home.account == owner:
            return self.home
        if self.administrators is None:
            listed = self.home.paginate(
                "organizations",
                "list_delegated_administrators",
                "DelegatedAdministrators",
                ServicePrincipal=CLOUDTRAIL_SERVICE,
            )
            self.administrators = [admin["Id"] for admin in listed or []]
        if self.home.account in self.administrators:
            return self.home
        for target in self.targets:
            if target.account in self.administrators and target.session is not None:
                if target.account not in self.others:
                    home = self.home
                    self.others[target.account] = AwsCalls(
                        target.session, target.account, home.default_region, home.partition, home.deadline_seconds
                    )
                return self.others[target.account]
        return None


def report_gaps_of(inventory: Inventory, calls: AwsCalls) -> None:
    """Calls made after an account's own collection (from the account the scan runs from: tags of
    member accounts, regions; from the account that read organisation trails) that failed are
    gaps of that account, or of the scan when it is not itself in scope."""
    if not calls.errors:
        return
    status = next((s for s in inventory.sources if s.account == calls.account), None)
    if status is None:
        inventory.sources.append(SourceStatus("aws", calls.account, "partial", list(calls.errors)))
        return
    status.errors.extend(calls.errors)
    if status.status == "complete":
        status.status = "partial"


def plan_accounts(
    base: boto3.Session, home: AwsCalls, caller: Caller, scope: AwsScope
) -> tuple[list[AccountTarget], list[SourceStatus]]:
    """The accounts to read, and (when the organisation could not be listed) a failed status
    saying so: the account in hand is still read."""
    if scope.org_role:
        listed = home.paginate("organizations", "list_accounts", "Accounts")
        if listed is not None:
            return _organization_targets(home, scope, listed), []
        failed = SourceStatus("aws", f"organization of {caller.account}", "failed", list(home.errors))
        home.errors.clear()
        if scope.accounts and set(scope.accounts) != {caller.account}:
            return [], [failed]
        return ([AccountTarget(caller.account, session=base)] if owned(scope.shard, caller.account) else []), [failed]
    if scope.accounts and caller.account not in scope.accounts:
        raise UsageError(
            f"--aws-accounts names accounts other than the current one ({caller.account}); "
            "scanning other accounts needs --aws-org-role"
        )
    return ([AccountTarget(caller.account, session=base)] if owned(scope.shard, caller.account) else []), []


def _organization_targets(home: AwsCalls, scope: AwsScope, listed: list[dict[str, Any]]) -> list[AccountTarget]:
    """The organisation's active accounts in scope; each is opened (tags, role) by its worker."""
    organization = home.call("organizations", "describe_organization") or {}
    org_id = (organization.get("Organization") or {}).get("Id")
    wanted = set(scope.accounts)
    targets = []
    for entry in listed:
        # State replaces Status (retired September 2026); either names ACTIVE for a usable account.
        if (entry.get("State") or entry.get("Status") or "ACTIVE") != "ACTIVE":
            continue
        if (wanted and entry["Id"] not in wanted) or not owned(scope.shard, entry["Id"]):
            continue
        targets.append(AccountTarget(entry["Id"], name=entry.get("Name", ""), parent=org_id, role=scope.org_role or ""))
    return targets


def open_account(target: AccountTarget, base: boto3.Session, home: AwsCalls, caller: Caller) -> None:
    """The account's tags (read from the organisation) and a session in it as its role: done by
    the account's own worker, so the accounts' calls overlap rather than all precede collection."""
    tags = home.paginate("organizations", "list_tags_for_resource", "Tags", ResourceId=target.account)
    target.tags = None if tags is None else owner_from_tags(tags)[0]
    target.session, target.error = assume(base, caller, target.account, target.role)


def regions_to_read(calls: AwsCalls, scope: AwsScope) -> list[str]:
    """The regions named (``--aws-regions``), else those enabled in the account itself (each
    account's own: an opt-in region a member enabled is read although the scanning account has not);
    the caller's region alone when they cannot be listed (a named gap)."""
    if scope.regions:
        return list(scope.regions)
    return sorted(calls.enabled_regions() or {calls.default_region})


def agent_regions_not_read(
    calls: AwsCalls, scope: AwsScope, session: boto3.Session, partition: str, regions: list[str]
) -> list[str]:
    """The regions enabled in the account that offer Bedrock agents and that were not read (left out
    of ``--aws-regions``, or all but the caller's own when the account's regions could not be
    listed): agents there were not listed, so the account's agents are not all known. Every region
    the partition offers them in, when the account's own cannot be listed."""
    enabled = calls.enabled_regions()
    if not scope.regions and enabled is not None:
        return []  # every region the account enabled was read
    if enabled is None:
        enabled = set(session.get_available_regions("bedrock-agent", partition_name=partition))
        enabled |= set(session.get_available_regions("bedrock", partition_name=partition))
    return sorted(offered_regions(session, "bedrock-agent", partition, sorted(enabled)) - set(regions))


def offered_regions(session: boto3.Session, service: str, partition: str, regions: list[str]) -> set[str]:
    """The regions of ``regions`` where botocore's endpoint data offers ``service``. Data that
    does not list the service (botocore 1.43 lists Agents for Bedrock under ``bedrock``) falls back
    to its parent service."""
    for name in (service, service.split("-")[0]):
        offered = set(session.get_available_regions(name, partition_name=partition))
        if offered:
            return offered & set(regions)
    return set()


def api_keys_unread(identities: list[Identity]) -> None:
    """The users' Bedrock API keys could not be listed (the listing covers every user at once): no
    user's credentials are all known, so what rests on a user holding no other credential is unknown.
    Roles and the root user cannot hold API keys."""
    for identity in identities:
        if identity.kind != "user":
            continue
        for gap in ("credentials", "last_used"):  # an unseen API key may have been used since
            if gap not in identity.unknown:
                identity.unknown.append(gap)


def last_use_through_api_keys_unknown(identities: list[Identity], api_keys: list[Credential]) -> None:
    """IAM reports no last use of a Bedrock API key: a user holding an active one may have acted
    through it since the last use recorded (its access keys', its password's), so the user's last
    use is not known, and it is not 'unused for N days'."""
    holders = {key.identity_uid for key in api_keys if key.active}
    for identity in identities:
        if identity.uid in holders and "last_used" not in identity.unknown:
            identity.unknown.append("last_used")


def collect_account(target: AccountTarget, scope: AwsScope, caller: Caller, started: datetime) -> Inventory:
    tags = target.tags or {}
    environment = next((v for k, v in tags.items() if k.lower() in ("environment", "env", "stage")), None)
    account = Account(
        uid=target.account,
        provider="aws",
        name=target.name or target.account,
        kind="account",
        parent=target.parent,
        environment=environment,
        tags=tags,
    )
    tags_unread = ["environment", "tags"] if target.tags is None else []
    if target.session is None:
        account.unknown = tags_unread
        status = SourceStatus("aws", target.account, "failed", [target.error] if target.error else [])
        return Inventory(collected_at=started, accounts=[account], sources=[status])
    calls = AwsCalls(target.session, target.account, caller.region, caller.partition, scope.deadline_seconds)
    regions = regions_to_read(calls, scope)
    offered = {
        name: offered_regions(target.session, name, caller.partition, regions) for name in ("bedrock-agent", "bedrock")
    }
    iam = collect_iam(calls, scope.concurrency, scope.key_ids)
    holders = {i.name: i.uid for i in iam.identities if i.kind == "user"}
    api_keys = collect_api_keys(calls, holders)
    if api_keys is None:
        api_keys_unread(iam.identities)
    else:
        last_use_through_api_keys_unknown(iam.identities, api_keys)
    credentials = iam.credentials + (api_keys or [])

    def per_region(region: str) -> tuple[Any, ...]:
        found = collect_agents(calls, region) if region in offered["bedrock-agent"] else RegionAgents()
        logging = collect_invocation_logging(calls, region) if region in offered["bedrock"] else None
        return found or RegionAgents(), logging, collect_secrets(calls, region) or [], found

    unread: list[str] = []

    with ThreadPoolExecutor(max_workers=scope.concurrency) as pool:
        regional = list(pool.map(per_region, regions))
    trails = collect_trails(calls, regions)
    read = [(region, r) for region, r in zip(regions, regional, strict=True) if region not in calls.skipped_regions]
    if trails is None or any(r[1] is None for region, r in read if region in offered["bedrock"]):
        unread.append("log_sources")
    agents_elsewhere = agent_regions_not_read(calls, scope, target.session, caller.partition, regions)
    if any(r[3] is None or r[3].undescribed for _, r in read) or agents_elsewhere:
        unread.append("agents")  # not listed, listed but not described, or in regions not in scope
    account.unknown = tags_unread + unread
    account.attributes = {
        "regions": [r for r in regions if r not in calls.skipped_regions],
        "bedrock_agent_regions": sorted(offered["bedrock-agent"] - calls.skipped_regions),
    }
    if agents_elsewhere:
        account.attributes["agent_regions_not_read"] = agents_elsewhere
    if calls.skipped_regions:
        account.attributes["regions_not_enabled"] = sorted(calls.skipped_regions)
    if not target.name:
        root = next((i for i in iam.identities if i.kind == "root"), None)
        account.name = root.name.removesuffix(" root") if root else target.account
    status = SourceStatus("aws", target.account, "partial" if calls.errors else "complete", list(calls.errors))
    status.notes.extend(iam.notes)
    if target.tags is None and not target.role:
        status.notes.append(TAGS_NOT_ASKED)
    return Inventory(
        collected_at=started,
        accounts=[account],
        identities=iam.identities,
        credentials=credentials + [c for r in regional for c in (*r[0].secrets, *r[2])],
        grants=iam.grants + [g for r in regional for g in r[0].tools],
        agents=[a for r in regional for a in r[0].agents],
        log_sources=(trails or []) + [r[1] for r in regional if r[1] is not None],
        sources=[status],
    )
