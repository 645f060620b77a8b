"""Who the scan runs as, and sessions in other accounts of an organisation.

The caller's identity decides the partition (``aws``, ``aws-cn``, ``aws-us-gov`` …), so no ARN is
built with a fixed ``arn:aws``. A role in a member account is assumed through the regional STS
endpoint of the scan's home region, and its credentials refresh themselves (botocore's
RefreshableCredentials) when a long scan outlives them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3
import botocore.session
from botocore.credentials import RefreshableCredentials
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError, NoCredentialsError, PartialCredentialsError
from botocore.exceptions import ConnectionError as EndpointUnreachable
from botocore.parsers import ResponseParserError
from botocore.utils import parse_timestamp

from scanner.errors import SourceReadError, SourceUnreachableError
from scanner.model import SourceError
from scanner.sources.aws.answers import checked
from scanner.sources.aws.calls import CLIENT_CONFIG

SESSION_NAME = "nhiscan"
DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True, slots=True)
class Caller:
    account: str
    arn: str
    region: str

    @property
    def partition(self) -> str:
        return self.arn.split(":")[1] if self.arn.startswith("arn:") else "aws"


def base_session(profile: str | None) -> boto3.Session:
    try:
        session = boto3.Session(profile_name=profile)
    except BotoCoreError as error:
        raise SourceReadError(f"aws: {error}") from None
    parse_iso_timestamps_fast(session._session)
    return session


def parse_iso_timestamps_fast(session: botocore.session.Session) -> None:
    """Clients of ``session`` parse ISO 8601 timestamps with ``datetime.fromisoformat``: botocore's
    default (dateutil) spends about half of the time it takes to parse an IAM authorization-details
    page on the identities' dates."""
    session.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=iso_timestamp)


def iso_timestamp(value: Any) -> datetime:
    """What botocore's ``parse_timestamp`` gives, faster for ISO 8601 (``2026-03-01T10:00:00Z``,
    fractions and offsets too): anything else (epoch seconds, RFC 822 dates) goes to botocore."""
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] in "T ":
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    return parse_timestamp(value)


def identify(session: boto3.Session) -> Caller:
    """The caller's account and ARN. No credentials, or credentials AWS rejects: exit 2. STS that
    cannot be reached, times out or answers with something that is not AWS: exit 3."""
    region = session.region_name or DEFAULT_REGION
    try:
        sts = checked(session.client("sts", region_name=region, config=CLIENT_CONFIG))
        answer = sts.get_caller_identity()
    except (NoCredentialsError, PartialCredentialsError) as error:
        raise SourceReadError(f"aws: no credentials ({error})") from None
    except ClientError as error:
        raise SourceReadError(f"aws: no usable credentials ({_first_line(error)})") from None
    except (EndpointUnreachable, HTTPClientError, ResponseParserError) as error:
        raise SourceUnreachableError(f"aws: STS in {region} could not be read ({_first_line(error)})") from None
    except BotoCoreError as error:  # credential providers: SSO token expired, process failed …
        raise SourceReadError(f"aws: no usable credentials ({_first_line(error)})") from None
    return Caller(account=answer["Account"], arn=answer["Arn"], region=region)


def role_arn(partition: str, account: str, role: str) -> str:
    return role if role.startswith("arn:") else f"arn:{partition}:iam::{account}:role/{role}"


def assume(
    base: boto3.Session, caller: Caller, account: str, role: str
) -> tuple[boto3.Session | None, SourceError | None]:
    """A session in ``account`` as ``role`` (credentials that refresh), or the refusal as a gap."""
    if account == caller.account:
        return base, None  # the account of the credentials in hand (the role rarely exists there)
    arn = role_arn(caller.partition, account, role)
    sts = checked(base.client("sts", region_name=caller.region, config=CLIENT_CONFIG))

    def fetch() -> dict[str, Any]:
        credentials = sts.assume_role(RoleArn=arn, RoleSessionName=SESSION_NAME)["Credentials"]
        return {
            "access_key": credentials["AccessKeyId"],
            "secret_key": credentials["SecretAccessKey"],
            "token": credentials["SessionToken"],
            "expiry_time": credentials["Expiration"].isoformat(),
        }

    try:
        first = fetch()
    except (ClientError, BotoCoreError, ResponseParserError) as error:
        code = error.response.get("Error", {}).get("Code", "") if isinstance(error, ClientError) else ""
        return None, SourceError(
            call=f"sts:AssumeRole {arn}", message=_first_line(error), code=code or type(error).__name__
        )
    core = botocore.session.Session()
    core.register_component("data_loader", base._session.get_component("data_loader"))  # models parsed once
    parse_iso_timestamps_fast(core)
    core._credentials = RefreshableCredentials.create_from_metadata(first, fetch, "sts-assume-role")
    return boto3.Session(botocore_session=core, region_name=caller.region), None


def _first_line(error: Exception) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0][:300]
