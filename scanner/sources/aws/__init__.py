"""The ``aws`` source: an AWS account, or every account of an AWS Organization.

``nhiscan scan aws[:PROFILE]`` uses boto3's standard credential chain (environment, profile,
SSO, instance role); ``--aws-org-role ROLE`` assumes ROLE in each member account.
"""

from __future__ import annotations

from scanner.model import Inventory
from scanner.sources import SourceInfo, SourceSpec, register

PERMISSIONS = (
    "sts:GetCallerIdentity",
    "sts:AssumeRole",
    "organizations:ListAccounts",
    "organizations:DescribeOrganization",
    "organizations:ListTagsForResource",
    "organizations:ListDelegatedAdministrators",
    "ec2:DescribeRegions",
    "iam:GetAccountAuthorizationDetails",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:GenerateCredentialReport",
    "iam:GetCredentialReport",
    "iam:ListAccessKeys",
    "iam:ListAccountAliases",
    "iam:ListServiceSpecificCredentials",
    "bedrock:ListAgents",
    "bedrock:GetAgent",
    "bedrock:GetAgentVersion",
    "bedrock:ListAgentAliases",
    "bedrock:ListAgentActionGroups",
    "bedrock:GetAgentActionGroup",
    "bedrock:ListAgentKnowledgeBases",
    "bedrock:ListTagsForResource",
    "bedrock:GetModelInvocationLoggingConfiguration",
    "cloudtrail:DescribeTrails",
    "cloudtrail:GetTrailStatus",
    "cloudtrail:GetEventSelectors",
    "secretsmanager:ListSecrets",
)


def collect(spec: SourceSpec) -> Inventory:
    from scanner.console import progress
    from scanner.sources.aws.collector import AwsScope, collect_aws

    options = spec.options
    scope = AwsScope(
        profile=spec.argument or None,
        regions=tuple(options.get("aws_regions") or ()),
        accounts=tuple(options.get("aws_accounts") or ()),
        org_role=options.get("aws_org_role"),
        concurrency=int(options.get("aws_concurrency") or 8),
        key_ids=options.get("aws_key_ids") or "auto",
        shard=options.get("shard"),
    )
    with progress("AWS accounts", options.get("quiet", False)) as advance:
        return collect_aws(scope, advance)


register(
    SourceInfo(
        name="aws",
        summary="AWS account or Organization (boto3 credential chain; PROFILE optional)",
        collect=collect,
        permissions=PERMISSIONS,
        argument="PROFILE",
        shows_progress=True,
        divides_accounts=True,
    )
)
