"""The logging that covers an AWS account: CloudTrail trails, Bedrock model-invocation logging,
and the Secrets Manager secrets whose rotation the controls check.

``trail_record`` is pure (trail, status, selectors → LogSource), shared with the export importer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from scanner.model import Credential, Inventory, LogSource, SourceError
from scanner.sources.aws.calls import AwsCalls

DATA_RESOURCE_COVERS = {
    "AWS::S3::Object": "data_s3",
    "AWS::Lambda::Function": "data_lambda",
    "AWS::DynamoDB::Table": "data_dynamodb",
    "AWS::Bedrock::AgentAlias": "data_bedrock",
    "AWS::Bedrock::KnowledgeBase": "data_bedrock",
}


def collect_trails(calls: AwsCalls, regions: list[str]) -> list[LogSource] | None:
    """Trails whose home region is in scope, and every multi-region trail (seen from any region);
    None when a region's trails could not be listed. An organisation trail of another account
    (the management account's, as a member sees it) is not read here: AWS refuses its status to
    members; ``complete_organization_trails`` reads it once and marks this account covered."""
    found: dict[str, dict[str, Any]] = {}
    complete = True
    for region in regions:
        # shadow trails in every region: a member account sees an organisation trail only among
        # them, and a single-region one only in its home region
        listed = calls.call("cloudtrail", "describe_trails", region, includeShadowTrails=True)
        if listed is None:
            complete = complete and region in calls.skipped_regions
            continue
        for trail in listed.get("trailList") or []:
            if trail.get("HomeRegion") == region or trail.get("IsMultiRegionTrail"):
                found.setdefault(trail["TrailARN"], trail)
    sources = []
    for arn, trail in sorted(found.items()):
        if trail.get("IsOrganizationTrail") and arn_account(arn) not in (None, calls.account):
            sources.append(organization_trail_seen(calls.account, trail))
            continue
        home = trail.get("HomeRegion") or regions[0]
        status = calls.call("cloudtrail", "get_trail_status", home, Name=arn)
        selectors = calls.call("cloudtrail", "get_event_selectors", home, TrailName=arn)
        sources.append(trail_record(calls.account, trail, status, selectors))
    return sources if complete else None


def arn_account(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and parts[4] else None


def organization_trail_seen(account: str, trail: dict[str, Any]) -> LogSource:
    """A member account's record of the organisation trail that covers it; whether it logs and
    what it records come from the trail's own account (unknown until then)."""
    record = trail_record(account, trail, None, None)
    record.uid = f"{trail['TrailARN']}#covers:{account}"
    record.attributes["covered_by"] = trail["TrailARN"]
    return record


def complete_organization_trails(inventory: Inventory, reader_for: Callable[[str], AwsCalls | None] | None) -> None:
    """Fill each member's organisation-trail record from the trail itself: from its owner's record
    when the owner (the management account) was scanned, else read once through the account
    ``reader_for(owner)`` names: the management account or a CloudTrail delegated administrator
    (None when no such account may be read, or ``reader_for`` is None: the scan may not read them).
    A trail that cannot be read leaves the members' records unknown (the refusal is a gap of the
    reading account)."""
    seen = [s for s in inventory.log_sources if s.attributes.get("covered_by")]
    owners = {s.uid: s for s in inventory.log_sources if s.kind == "cloudtrail" and not s.attributes.get("covered_by")}
    for arn in sorted({s.attributes["covered_by"] for s in seen} - owners.keys()):
        reader = reader_for(arn_account(arn) or "") if reader_for is not None else None
        if reader is None:
            continue
        region = arn.split(":")[3] or reader.default_region
        status = reader.call("cloudtrail", "get_trail_status", region, Name=arn)
        selectors = reader.call("cloudtrail", "get_event_selectors", region, TrailName=arn)
        trail = next(s for s in seen if s.attributes["covered_by"] == arn)
        owners[arn] = trail_record(reader.account, {"TrailARN": arn, **_trail_fields(trail)}, status, selectors)
        owners[arn].attributes["status_read_from"] = reader.account
    for record in seen:
        owner = owners.get(record.attributes["covered_by"])
        if owner is None:
            record.attributes["status_read_from"] = "the organization's management or delegated-administrator account"
            continue
        if "status_read_from" in owner.attributes:
            record.attributes["status_read_from"] = owner.attributes["status_read_from"]
        record.enabled, record.covers = owner.enabled, list(owner.covers)
        record.unknown = [u for u in record.unknown if u not in ("enabled", "covers")] + [
            u for u in owner.unknown if u in ("enabled", "covers")
        ]


def _trail_fields(record: LogSource) -> dict[str, Any]:
    return {
        "Name": record.name,
        "HomeRegion": record.attributes.get("home_region"),
        "IsMultiRegionTrail": record.attributes.get("multi_region"),
        "IsOrganizationTrail": True,
        "LogFileValidationEnabled": record.attributes.get("log_file_validation"),
        "KmsKeyId": "kms" if record.attributes.get("kms_encrypted") else None,
    }


def trail_record(
    account: str, trail: dict[str, Any], status: dict[str, Any] | None, selectors: dict[str, Any] | None
) -> LogSource:
    unknown = []
    delivery_error = str((status or {}).get("LatestDeliveryError") or "")
    if status is None or (delivery_error and status.get("IsLogging")):
        # The last delivery to the bucket failed (a bucket deleted, a policy that refuses CloudTrail):
        # the trail may record events it keeps nowhere, and no time says whether a later one succeeded.
        unknown.append("enabled")
    if selectors is None:
        unknown.append("covers")
    unknown.append("retention_days")  # kept in S3 under a lifecycle this source does not read
    multi_region = bool(trail.get("IsMultiRegionTrail"))
    return LogSource(
        uid=trail["TrailARN"],
        provider="aws",
        account=account,
        kind="cloudtrail",
        name=trail.get("Name", trail["TrailARN"]),
        scope="all regions" if multi_region else trail.get("HomeRegion", ""),
        enabled=bool(status and status.get("IsLogging")),
        covers=sorted(trail_covers(trail, selectors)) if selectors is not None else [],
        attributes={
            "multi_region": multi_region,
            "organization_trail": bool(trail.get("IsOrganizationTrail")),
            "log_file_validation": bool(trail.get("LogFileValidationEnabled")),
            "kms_encrypted": bool(trail.get("KmsKeyId")),
            "home_region": trail.get("HomeRegion"),
            **({"latest_delivery_error": delivery_error} if delivery_error else {}),
        },
        unknown=unknown,
    )


def trail_covers(trail: dict[str, Any], selectors: dict[str, Any] | None) -> set[str]:
    """What a trail records, from basic or advanced event selectors (none: all management events).
    A selector counts only for what it records whole: management events whose sources it does
    not narrow (``ExcludeManagementEventSources``, an ``eventSource`` or ``eventName`` field), and
    data events of every resource of a type (``arn:aws:s3:::``, not one function's ARN), read and
    written (across selectors), or written for Lambda functions, whose invocations are writes."""
    selectors = selectors or {}
    basic = selectors.get("EventSelectors")
    advanced = selectors.get("AdvancedEventSelectors")
    if not basic and not advanced:
        return {"management_read", "management_write"} if not trail.get("HasCustomEventSelectors") else set()
    covers: set[str] = set()
    data: dict[str, set[str]] = {}  # covers name of a data resource type -> "read", "write" recorded whole
    for selector in basic or []:
        kind = selector.get("ReadWriteType", "All")
        both = {"All": {"read", "write"}, "ReadOnly": {"read"}, "WriteOnly": {"write"}}.get(kind, set())
        if selector.get("IncludeManagementEvents", True) and not selector.get("ExcludeManagementEventSources"):
            covers |= {f"management_{direction}" for direction in both}
        for resource in _listed(selector.get("DataResources")):
            if not isinstance(resource, dict):
                continue
            if any(_every_resource_of_its_type(str(value)) for value in _listed(resource.get("Values"))):
                data.setdefault(DATA_RESOURCE_COVERS.get(resource.get("Type", ""), "data_other"), set()).update(both)
    for selector in advanced or []:
        fields = {f.get("Field"): f for f in selector.get("FieldSelectors") or []}
        category = (fields.get("eventCategory") or {}).get("Equals") or []
        directions = _read_or_write(fields.get("readOnly") or {})
        if "Management" in category and set(fields) <= {"eventCategory", "readOnly"}:
            covers |= {f"management_{direction}" for direction in directions}
        if "Data" in category and set(fields) <= {"eventCategory", "resources.type", "readOnly", "resources.ARN"}:
            if "resources.ARN" in fields and not _every_arn(fields["resources.ARN"]):
                continue
            for resource_type in (fields.get("resources.type") or {}).get("Equals") or []:
                data.setdefault(DATA_RESOURCE_COVERS.get(resource_type, "data_other"), set()).update(directions)
    for name, directions in data.items():
        if directions == {"read", "write"} or (name == "data_lambda" and "write" in directions):
            covers.add(name)
    return covers


def _read_or_write(read_only: dict[str, Any]) -> set[str]:
    """What an advanced selector's ``readOnly`` field keeps: "read", "write" (absent: both)."""
    both = {"read", "write"}
    if set(read_only) - {"Field", "Equals", "NotEquals"}:
        return set()  # StartsWith and the like on "true"/"false": not a selector anyone writes
    kept = {"true": "read", "false": "write"}
    if "Equals" in read_only:
        both &= {kept[v] for v in _listed(read_only["Equals"]) if isinstance(v, str) and v in kept}
    if "NotEquals" in read_only:
        both -= {kept[v] for v in _listed(read_only["NotEquals"]) if isinstance(v, str) and v in kept}
    return both


def _listed(value: Any) -> list[Any]:
    """A selector's list of values; one value written alone is that value (``"NotEquals": "false"``
    is not the letters of "false"), and anything else lists nothing."""
    if isinstance(value, list):
        return value
    return [value] if isinstance(value, str) else []


def _every_arn(field: dict[str, Any]) -> bool:
    """A ``resources.ARN`` field that keeps every resource of the type: only ``StartsWith`` prefixes
    that every resource's ARN begins with (``arn:aws:s3:::``, ``arn:aws:lambda``)."""
    if set(field) - {"Field", "StartsWith"}:
        return False
    return any(_every_resource_of_its_type(str(prefix)) for prefix in _listed(field.get("StartsWith")))


def _every_resource_of_its_type(value: str) -> bool:
    """A basic selector's data resource value naming every resource of its type: ``arn:aws:s3``,
    ``arn:aws:s3:::`` (every bucket), ``arn:aws:lambda`` (every function)."""
    return re.fullmatch(r"arn:aws[a-z-]*:[a-z0-9-]+(?::::?)?", value) is not None


def collect_invocation_logging(calls: AwsCalls, region: str) -> LogSource | None:
    response = calls.call("bedrock", "get_model_invocation_logging_configuration", region)
    if response is None:
        return None
    config = response.get("loggingConfig") or {}
    covers = [
        name
        for name, key in (
            ("text", "textDataDeliveryEnabled"),
            ("image", "imageDataDeliveryEnabled"),
            ("embeddings", "embeddingDataDeliveryEnabled"),
            ("video", "videoDataDeliveryEnabled"),
            ("audio", "audioDataDeliveryEnabled"),
        )
        if config.get(key)
    ]
    destinations = [name for name in ("cloudWatchConfig", "s3Config") if config.get(name)]
    return LogSource(
        uid=f"arn:{calls.partition}:bedrock:{region}:{calls.account}:model-invocation-logging",
        provider="aws",
        account=calls.account,
        kind="model_invocation",
        name=f"bedrock invocation logging ({region})",
        scope=region,
        enabled=bool(destinations),
        covers=covers,
        attributes={"destinations": destinations},
        unknown=["retention_days"],
    )


def collect_secrets(calls: AwsCalls, region: str) -> list[Credential] | None:
    """The region's Secrets Manager secrets; one listed without an ARN (no secret AWS lists, but an
    answer through a proxy or an emulator may be cut) is a named gap, never the end of the scan."""
    secrets = calls.paginate("secretsmanager", "list_secrets", "SecretList", region)
    if secrets is None:
        return None
    named = [s for s in secrets if isinstance(s, dict) and isinstance(s.get("ARN"), str) and s["ARN"]]
    if len(named) < len(secrets):
        message = f"{len(secrets) - len(named)} listed secret(s) without an ARN: not judged"
        call = f"secretsmanager:ListSecrets in {region}"
        calls.add(SourceError(call=call, message=message, code="MalformedResponse"))
    return [secret_record(secret, calls.account) for secret in named]


def secret_record(secret: dict[str, Any], account: str) -> Credential:
    """A Secrets Manager secret as ``ListSecrets`` lists it."""
    enabled = secret.get("RotationEnabled") is True  # "false" is text, not a rotation
    attributes: dict[str, Any] = {
        "rotation_enabled": enabled,
        "provider": "aws",
        "account": account,
        "display_id": secret.get("Name", secret["ARN"]),
    }
    interval = rotation_interval_days(secret.get("RotationRules")) if enabled else None
    if interval is not None:
        attributes["rotation_interval_days"] = interval
    return Credential(
        uid=secret["ARN"],
        identity_uid=None,
        kind="managed_secret",
        created=_time(secret.get("CreatedDate")),
        last_used=_time(secret.get("LastAccessedDate")),
        last_rotated=_time(secret.get("LastRotatedDate")),
        active=secret.get("DeletedDate") is None,
        attributes=attributes,
        # a cron expression listed without the days Secrets Manager works out of it is not worked out
        unknown=["attributes.rotation_interval_days"] if enabled and interval is None else [],
    )


_RATE = re.compile(r"^rate\(\s*([0-9]+)\s+(hours?|days?)\s*\)$", re.ASCII)


def rotation_interval_days(rules: Any) -> int | None:
    """How many days apart a secret's rotations are scheduled: ``AutomaticallyAfterDays``, or a
    ``ScheduleExpression`` of ``rate(N days)`` (or hours: a day at most); None for a ``cron(…)``
    schedule or none at all."""
    if not isinstance(rules, dict):
        return None
    days = rules.get("AutomaticallyAfterDays")
    if isinstance(days, int) and not isinstance(days, bool) and days > 0:
        return days
    match = _RATE.match(str(rules.get("ScheduleExpression") or "").strip())
    if match is None or int(match.group(1)) < 1:
        return None
    return int(match.group(1)) if match.group(2).startswith("day") else 1


def _time(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) else None
