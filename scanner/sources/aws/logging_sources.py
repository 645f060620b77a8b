"""The logging that covers an AWS account: CloudTrail trails, Bedrock model-invocation logging,
and the Secrets Manager secrets whose rotation the controls check.

``trail_record`` is pure (trail, status, selectors → LogSource), shared with the export importer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from scanner.model import Credential, LogSource
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
    None when a region's trails could not be listed."""
    found: dict[str, dict[str, Any]] = {}
    complete = True
    for index, region in enumerate(regions):
        listed = calls.call("cloudtrail", "describe_trails", region, includeShadowTrails=index == 0)
        if listed is None:
            complete = complete and region in calls.skipped_regions
            continue
        for trail in listed.get("trailList") or []:
            if trail.get("HomeRegion") == region or trail.get("IsMultiRegionTrail"):
                found.setdefault(trail["TrailARN"], trail)
    sources = []
    for arn, trail in sorted(found.items()):
        home = trail.get("HomeRegion") or regions[0]
        status = calls.call("cloudtrail", "get_trail_status", home, Name=arn)
        selectors = calls.call("cloudtrail", "get_event_selectors", home, TrailName=arn)
        sources.append(trail_record(calls.account, trail, status, selectors))
    return sources if complete else None


def trail_record(
    account: str, trail: dict[str, Any], status: dict[str, Any] | None, selectors: dict[str, Any] | None
) -> LogSource:
    unknown = []
    if status is None:
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
        },
        unknown=unknown,
    )


def trail_covers(trail: dict[str, Any], selectors: dict[str, Any] | None) -> set[str]:
    """What a trail records, from basic or advanced event selectors (none: all management events)."""
    selectors = selectors or {}
    basic = selectors.get("EventSelectors")
    advanced = selectors.get("AdvancedEventSelectors")
    if not basic and not advanced:
        return {"management_read", "management_write"} if not trail.get("HasCustomEventSelectors") else set()
    covers: set[str] = set()
    for selector in basic or []:
        if selector.get("IncludeManagementEvents", True):
            kind = selector.get("ReadWriteType", "All")
            covers |= {"management_read", "management_write"} if kind == "All" else {f"management_{kind.lower()[:-4]}"}
        for resource in selector.get("DataResources") or []:
            covers.add(DATA_RESOURCE_COVERS.get(resource.get("Type", ""), "data_other"))
    for selector in advanced or []:
        fields = {f.get("Field"): f for f in selector.get("FieldSelectors") or []}
        category = (fields.get("eventCategory") or {}).get("Equals") or []
        read_only = (fields.get("readOnly") or {}).get("Equals")
        if "Management" in category:
            if read_only == ["true"]:
                covers.add("management_read")
            elif read_only == ["false"]:
                covers.add("management_write")
            else:
                covers |= {"management_read", "management_write"}
        if "Data" in category:
            for resource_type in (fields.get("resources.type") or {}).get("Equals") or []:
                covers.add(DATA_RESOURCE_COVERS.get(resource_type, "data_other"))
    return covers


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
        )
        if config.get(key)
    ]
    destinations = [name for name in ("cloudWatchConfig", "s3Config") if config.get(name)]
    return LogSource(
        uid=f"arn:aws:bedrock:{region}:{calls.account}:model-invocation-logging",
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
    secrets = calls.paginate("secretsmanager", "list_secrets", "SecretList", region)
    if secrets is None:
        return None
    return [
        Credential(
            uid=secret["ARN"],
            identity_uid=None,
            kind="managed_secret",
            created=_time(secret.get("CreatedDate")),
            last_used=_time(secret.get("LastAccessedDate")),
            last_rotated=_time(secret.get("LastRotatedDate")),
            active=secret.get("DeletedDate") is None,
            attributes={
                "rotation_enabled": bool(secret.get("RotationEnabled")),
                "provider": "aws",
                "account": calls.account,
                "display_id": secret.get("Name", secret["ARN"]),
            },
        )
        for secret in secrets
    ]


def _time(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) else None
