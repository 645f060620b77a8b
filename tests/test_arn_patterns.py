"""IAM matches a Resource or an Action as a glob, so every resource and every action of a service
have more spellings than ``*`` and ``service:*``; each of them is read as what it reaches."""

from __future__ import annotations

import pytest

from scanner.arn_patterns import every_action_of_a_service, every_resource, every_resource_of_a_type, whole_service


@pytest.mark.parametrize(
    "pattern",
    ["*", "**", "?*", "arn:aws:?*", "arn*", "arn:*", "arn:aws:*", "arn:aws:**", "arn:aws:*:*:*:*", "arn:*:*:*:*:*",
     "arn:aws-cn:*", "arn:aws:*:*:111122223333:*", "arn:aws:*::111122223333:*"],  # every service of one account too
)  # fmt: skip
def test_spellings_of_every_resource(pattern: str) -> None:
    assert every_resource(pattern)


@pytest.mark.parametrize(
    "pattern",
    ["arn:aws", "arn:aws:s3:::*", "arn:aws:*:*:*:*/*", "arn:aws:s3:::reports/*", "arn:aws:*:*:111122223333:role/*",
     "arn:aws:*:eu-west-1:111122223333:*"],
)  # fmt: skip
def test_patterns_that_leave_resources_out(pattern: str) -> None:
    assert not every_resource(pattern)


@pytest.mark.parametrize(
    ("pattern", "whole"),
    [
        ("arn:aws:s3:::*", True),
        ("arn:aws:s3:::**", True),  # ** is * to IAM
        ("arn:aws:s3:::?*", True),  # one character or more: every bucket (their names have three)
        ("arn:aws:s3:::?", False),
        ("arn:aws:iam::111122223333:*", True),
        ("arn:aws:dynamodb:*:*:*", True),
        ("arn:aws:dynamodb:eu-west-1:*:*", False),  # one region
        ("arn:aws:s3:::reports/*", False),
        ("arn:aws:logs:*:*:log-group:*", False),  # one kind of the service's resources
    ],
)
def test_every_resource_of_one_service(pattern: str, whole: bool) -> None:
    assert whole_service(pattern) is whole


@pytest.mark.parametrize(
    ("action", "every"),
    [("*", True), ("*:*", True), ("s3:*", True), ("s3:**", True), ("s3:?*", True), ("s3:Get*", False), ("s3:?", False)],
)
def test_every_action_of_a_service(action: str, every: bool) -> None:
    assert every_action_of_a_service(action) is every


@pytest.mark.parametrize(
    ("pattern", "every"),
    [
        ("arn:aws:secretsmanager:*:*:secret:*", True),  # every secret, every account and region
        ("arn:aws:s3:::*/*", True),  # every object of every bucket
        ("arn:aws:secretsmanager:*:*:secret:?*", True),
        ("arn:aws:logs:*:111122223333:log-group:*", True),
        ("arn:aws:dynamodb:*:*:table/*", True),
        ("arn:aws:secretsmanager:eu-west-1:*:secret:*", False),  # one region
        ("arn:aws:secretsmanager:*:*:secret:prod/*", False),  # named secrets
        ("arn:aws:s3:::reports/*", False),  # one bucket
        ("arn:aws:s3:::*", False),  # every bucket itself: whole_service's, not a type's
        ("arn:aws:s3:*:*:accesspoint/*", True),  # every access point: its ARN names the type
        ("arn:aws:execute-api:*:*:a1b2c3d4e5/*", False),  # one API's stages and methods
        ("arn:aws:sns:*:*:alerts:*", False),  # one topic's subscriptions
        ("arn:aws:execute-api:*:*:*/*", True),  # every API
    ],
)
def test_every_resource_of_one_type(pattern: str, every: bool) -> None:
    assert every_resource_of_a_type(pattern) is every
