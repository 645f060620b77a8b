"""How much an AWS policy's Resource pattern reaches.

IAM matches a Resource as a glob over the whole ARN (``*`` spans colons), so ``*`` is not the only
spelling of every resource: ``arn:*``, ``arn:aws:*`` and ``arn:aws:*:*:*:*`` match every ARN of
the account too, and ``arn:aws:s3:::*`` every resource of one service.
"""

from __future__ import annotations

import re

_PARTITION = re.compile(r"aws(?:-[a-z]+)*")  # aws, aws-cn, aws-us-gov, aws-iso-b …
_ACCOUNT = re.compile(r"\d{12}")
_LEADING_PARTITION = re.compile(r":aws(?:-[a-z]+)*(?=:|$)")


def every_resource(pattern: str) -> bool:
    """``*``, or a pattern that every ARN (of one partition, an account's) matches: after ``arn``
    and a partition, nothing but wildcards and colons (``arn:*``, ``arn*``, ``arn:aws:**``,
    ``arn:aws:*:*:*:*``, ``**``), or every service's every resource of one account
    (``arn:aws:*:*:111122223333:*``: its IAM among them, so as much as every resource)."""
    rest = _after_partition(pattern)
    return _wildcards_only(rest, ":") or _every_resource_of_an_account(rest)


def every_arn(pattern: str) -> bool:
    """``*``, or a pattern every ARN of a partition matches (``arn:*``, ``arn:aws:*:*:*:*``): as
    ``every_resource``, but not one account's (``arn:aws:*:*:111122223333:*`` leaves out S3 buckets
    and objects, whose ARNs name no account)."""
    rest = _after_partition(pattern)
    return _wildcards_only(rest, ":")


def _wildcards_only(text: str, separators: str = "") -> bool:
    """Only wildcards (and ``separators``), a ``*`` among them: ``*``, ``**``, ``?*`` (one character
    or more: every name of an IAM resource has one) all match whatever is there."""
    return "*" in text and not text.strip("*?" + separators)


def _after_partition(pattern: str) -> str:
    """What follows ``arn`` and a partition in an ARN pattern (the whole pattern when it is none)."""
    if not pattern.startswith("arn"):
        return pattern
    rest = pattern[3:]
    partition = _LEADING_PARTITION.match(rest)
    return rest[partition.end() :] if partition else rest


def _every_resource_of_an_account(rest: str) -> bool:
    """``:SERVICE:REGION:ACCOUNT:RESOURCE`` (what follows the partition) with only wildcards but
    for the account's number."""
    parts = rest.split(":")
    if len(parts) < 5 or parts[0] != "" or not _ACCOUNT.fullmatch(parts[3]):
        return False
    service, region, resource = parts[1], parts[2], ":".join(parts[4:])
    return _wildcards_only(service) and not region.strip("*?") and _wildcards_only(resource, ":")


def whole_service(pattern: str) -> bool:
    """An ARN pattern that every resource of its service matches: any region, the account named or
    any, and only wildcards for the resource (``arn:aws:s3:::*``, ``arn:aws:s3:::**``,
    ``arn:aws:iam::111122223333:*``)."""
    parts = pattern.split(":")
    if len(parts) < 6 or parts[0] != "arn" or not (_PARTITION.fullmatch(parts[1]) or parts[1] == "*"):
        return False
    region, account, *resource = parts[3:]
    named_or_any = account in ("", "*") or bool(_ACCOUNT.fullmatch(account))
    return region in ("", "*") and named_or_any and _wildcards_only(":".join(resource))


def every_resource_of_a_type(pattern: str) -> bool:
    """An ARN pattern that every resource of one type matches, in any region (``arn:aws:
    secretsmanager:*:*:secret:*``, every secret; ``arn:aws:s3:::*/*``, every object of every bucket;
    ``arn:aws:logs:*:*:log-group:*``): any region, the account named or any, a type without
    wildcards (only ``*`` where the first part names a resource: ``_NAMED_FIRST``, an S3 bucket),
    and nothing but wildcards after it."""
    parts = pattern.split(":")
    if len(parts) < 6 or parts[0] != "arn" or not (_PARTITION.fullmatch(parts[1]) or parts[1] == "*"):
        return False
    region, account, resource = parts[3], parts[4], ":".join(parts[5:])
    if region not in ("", "*") or not (account in ("", "*") or _ACCOUNT.fullmatch(account)):
        return False
    kind, separator, rest = _split_type(resource)
    if kind.strip("*") and _names_first(parts[2], region, account):
        return False  # a bucket, an API, a topic or a queue of that name: one resource's parts
    return bool(separator) and bool(kind) and _wildcards_only(rest, ":/")


# Services whose ARNs name the resource itself where others name its type: an S3 bucket (its
# ARN has neither region nor account; an access point's does, and names its type), an API
# Gateway API (``execute-api``), an SNS topic, an SQS queue
_NAMED_FIRST = frozenset({"execute-api", "sns", "sqs"})


def _names_first(service: str, region: str, account: str) -> bool:
    return service in _NAMED_FIRST or (service == "s3" and not region and not account)


def _split_type(resource: str) -> tuple[str, str, str]:
    """``type:rest`` or ``type/rest``, whichever separator comes first."""
    cut = min((i for i in (resource.find(":"), resource.find("/")) if i >= 0), default=-1)
    return (resource, "", "") if cut < 0 else (resource[:cut], resource[cut], resource[cut + 1 :])


def every_action_of_a_service(action: str) -> bool:
    """``*``, ``service:*``, or another spelling of them (``s3:**``, ``s3:?*``, ``*:*``): what comes
    after the colon (or the whole) is only wildcards, one of them ``*``."""
    _, _, name = action.rpartition(":")
    return "*" in name and not name.strip("*?")
