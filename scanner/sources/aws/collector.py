"""Collect AWS: which accounts and regions, then each account's IAM, agents and logging.

Accounts run in parallel, and each account's regions run in parallel, each pool bounded. An
account whose role cannot be assumed is reported as failed and skipped; a refused call makes its
account partial. The whole AWS source fails (exit 2) only when no credentials work at all.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from scanner.console import ProgressTicks
from scanner.errors import SourceReadError, UsageError
from scanner.model import Account, Inventory, SourceError, SourceStatus
from scanner.sharding import Shard, owned
from scanner.sources.aws.bedrock import collect_agents, collect_api_keys
from scanner.sources.aws.calls import CLIENT_CONFIG, AwsCalls
from scanner.sources.aws.iam import collect_iam
from scanner.sources.aws.logging_sources import collect_invocation_logging, collect_secrets, collect_trails
from scanner.sources.aws.policy import owner_from_tags

ACCOUNT_WORKERS = 4


@dataclass(frozen=True, slots=True)
class AwsScope:
    profile: str | None = None
    regions: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    org_role: str | None = None
    concurrency: int = 8
    shard: Shard | None = None
    key_ids: str = "auto"  # auto | all | none: list access key ids per user (see iam.collect_iam)


@dataclass(slots=True)
class AccountTarget:
    account: str
    name: str = ""
    session: boto3.Session | None = None
    error: SourceError | None = None
    parent: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


def collect_aws(scope: AwsScope, advance: ProgressTicks | None = None) -> Inventory:
    ticks = advance or ProgressTicks()
    started = datetime.now(UTC)
    try:
        base = boto3.Session(profile_name=scope.profile)
    except BotoCoreError as error:
        raise SourceReadError(f"aws: {error}") from None
    home = AwsCalls(base, "", base.region_name or "us-east-1")
    caller = home.call("sts", "get_caller_identity")
    if caller is None:
        reason = home.errors[0].message if home.errors else "no answer"
        raise SourceReadError(f"aws: no usable credentials ({reason})")
    home.account = caller["Account"]
    targets = plan_accounts(base, home, scope)
    ticks.known(len(targets))
    regions = list(scope.regions) or enabled_regions(home)
    parts: list[Inventory] = []

    def run(target: AccountTarget) -> Inventory:
        try:
            return collect_account(target, regions, scope, home.default_region, started)
        finally:
            ticks()

    with ThreadPoolExecutor(max_workers=min(ACCOUNT_WORKERS, max(1, len(targets)))) as pool:
        parts = list(pool.map(run, targets))
    return Inventory(
        collected_at=started,
        accounts=[a for p in parts for a in p.accounts],
        identities=[i for p in parts for i in p.identities],
        credentials=[c for p in parts for c in p.credentials],
        grants=[g for p in parts for g in p.grants],
        agents=[a for p in parts for a in p.agents],
        log_sources=[s for p in parts for s in p.log_sources],
        sources=[s for p in parts for s in p.sources],
    )


def plan_accounts(base: boto3.Session, home: AwsCalls, scope: AwsScope) -> list[AccountTarget]:
    if not scope.org_role:
        if scope.accounts and home.account not in scope.accounts:
            raise UsageError(
                f"--aws-accounts names accounts other than the current one ({home.account}); "
                "scanning other accounts needs --aws-org-role"
            )
        return [AccountTarget(home.account, session=base)] if owned(scope.shard, home.account) else []
    listed = home.paginate("organizations", "list_accounts", "Accounts")
    if listed is None:
        raise SourceReadError(f"aws: cannot list the organization's accounts ({home.errors[-1].message})")
    organization = home.call("organizations", "describe_organization") or {}
    org_id = (organization.get("Organization") or {}).get("Id")
    wanted = set(scope.accounts)
    targets = []
    for entry in listed:
        if entry.get("Status", "ACTIVE") != "ACTIVE" or (wanted and entry["Id"] not in wanted):
            continue
        if not owned(scope.shard, entry["Id"]):
            continue
        target = AccountTarget(entry["Id"], name=entry.get("Name", ""), parent=org_id)
        tags = home.paginate("organizations", "list_tags_for_resource", "Tags", ResourceId=entry["Id"])
        target.tags = owner_from_tags(tags or [])[0]
        target.session, target.error = assume(base, entry["Id"], scope.org_role, home.account)
        targets.append(target)
    return targets


def assume(
    base: boto3.Session, account: str, role: str, home_account: str
) -> tuple[boto3.Session | None, SourceError | None]:
    if account == home_account:
        return base, None  # the account of the credentials in hand (the role rarely exists there)
    arn = f"arn:aws:iam::{account}:role/{role}"
    try:
        sts = base.client("sts", config=CLIENT_CONFIG)
        credentials = sts.assume_role(RoleArn=arn, RoleSessionName="nhiscan")["Credentials"]
    except (ClientError, BotoCoreError) as error:
        code = error.response.get("Error", {}).get("Code", "") if isinstance(error, ClientError) else ""
        return None, SourceError(call=f"sts:AssumeRole {arn}", message=str(error).splitlines()[0][:300], code=code)
    session = boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=base.region_name,
    )
    return session, None


def enabled_regions(home: AwsCalls) -> list[str]:
    """The regions enabled in the account; its own region alone when they cannot be listed."""
    listed = home.call("ec2", "describe_regions")
    if listed is None:
        return [home.default_region]
    return sorted(r["RegionName"] for r in listed.get("Regions") or [])


def collect_account(
    target: AccountTarget, regions: list[str], scope: AwsScope, default_region: str, started: datetime
) -> Inventory:
    environment = next((v for k, v in target.tags.items() if k.lower() in ("environment", "env", "stage")), None)
    account = Account(
        uid=target.account,
        provider="aws",
        name=target.name or target.account,
        kind="account",
        parent=target.parent,
        environment=environment,
        tags=target.tags,
    )
    if target.session is None:
        status = SourceStatus("aws", target.account, "failed", [target.error] if target.error else [])
        return Inventory(collected_at=started, accounts=[account], sources=[status])
    calls = AwsCalls(target.session, target.account, default_region)
    iam = collect_iam(calls, scope.concurrency, scope.key_ids)
    credentials = iam.credentials + (collect_api_keys(calls, target.account) or [])

    def per_region(region: str) -> tuple[Any, ...]:
        found = collect_agents(calls, region)
        agents, tools = found if found is not None else ([], [])
        return agents, tools, collect_invocation_logging(calls, region), collect_secrets(calls, region) or [], found

    unread: list[str] = []

    with ThreadPoolExecutor(max_workers=scope.concurrency) as pool:
        regional = list(pool.map(per_region, regions))
    trails = collect_trails(calls, regions)
    read = [(region, r) for region, r in zip(regions, regional, strict=True) if region not in calls.skipped_regions]
    if trails is None or any(r[2] is None for _, r in read):
        unread.append("log_sources")
    if any(r[4] is None for _, r in read):
        unread.append("agents")
    account.unknown = unread
    account.attributes = {"regions": [r for r in regions if r not in calls.skipped_regions]}
    if calls.skipped_regions:
        account.attributes["regions_not_enabled"] = sorted(calls.skipped_regions)
    if not target.name:
        root = next((i for i in iam.identities if i.kind == "root"), None)
        account.name = root.name.removesuffix(" root") if root else target.account
    status = SourceStatus("aws", target.account, "partial" if calls.errors else "complete", list(calls.errors))
    return Inventory(
        collected_at=started,
        accounts=[account],
        identities=iam.identities,
        credentials=credentials + [c for r in regional for c in r[3]],
        grants=iam.grants + [g for r in regional for g in r[1]],
        agents=[a for r in regional for a in r[0]],
        log_sources=(trails or []) + [r[2] for r in regional if r[2] is not None],
        sources=[status],
    )
