"""Who uses an identity: a person, a workload, or nobody can tell from the evidence collected.

Controls about non-human identities apply to identities classed ``non_human`` and ``unknown``; an
identity is left out only on positive evidence that people use it (a console password with an
MFA device, an IAM Identity Center permission-set role, a SAML sign-in trust). Every class comes
with the reason, so a finding can say why its identity was judged as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scanner.model import Identity

HUMAN = "human"
NON_HUMAN = "non_human"
UNCLASSIFIED = "unknown"
CLASSES = (HUMAN, NON_HUMAN, UNCLASSIFIED)

SSO_ROLE_PATH = "/aws-reserved/sso.amazonaws.com/"
SSO_ROLE_PREFIX = "AWSReservedSSO_"
_WORKLOAD_KINDS = {
    "service_principal": "an Entra service principal",
    "app_registration": "an Entra application registration",
    "managed_identity": "an Azure managed identity",
    "service_account": "a service account",
    "workload_identity_pool": "a workload identity pool",
    "workload_identity_provider": "a workload identity federation provider",
    "agent": "an AI agent",
    "mcp_server": "an MCP server",
}
_SERVICE_ACCOUNT_DOMAIN = "gserviceaccount.com"


@dataclass(frozen=True, slots=True)
class Classification:
    kind: str  # human | non_human | unknown
    reason: str

    def describe(self) -> str:
        return f"{self.kind.replace('_', '-')}: {self.reason}"


def classify(identity: Identity) -> Classification:
    evidence = identity.attributes.get("human_evidence")
    if evidence:
        return Classification(HUMAN, str(evidence))
    if identity.provider == "aws":
        return _aws(identity)
    if identity.kind == "service_account":
        return _service_account(identity)
    if identity.kind == "service_principal":
        sp_type = identity.attributes.get("service_principal_type")
        detail = f" of type {sp_type}" if sp_type else ""
        return Classification(NON_HUMAN, f"an Entra service principal{detail}")
    if identity.kind in _WORKLOAD_KINDS:
        return Classification(NON_HUMAN, _WORKLOAD_KINDS[identity.kind])
    if identity.kind == "user" and identity.provider == "gcp":
        return Classification(HUMAN, "a Google account (user: member), not a service account")
    return Classification(UNCLASSIFIED, f"no evidence of who uses this {identity.kind}")


def _service_account(identity: Identity) -> Classification:
    email = str(identity.attributes.get("email") or identity.uid)
    domain = email.rpartition("@")[2]
    if domain.endswith(_SERVICE_ACCOUNT_DOMAIN):
        return Classification(NON_HUMAN, f"a service account in domain {domain}")
    return Classification(NON_HUMAN, "a service account")


def _aws(identity: Identity) -> Classification:
    if identity.kind == "root":
        return Classification(HUMAN, "the account's root user, signed in to with a password")
    if identity.kind == "user":
        return _aws_user(identity)
    if identity.kind == "role":
        return _aws_role(identity)
    if identity.kind in _WORKLOAD_KINDS:
        return Classification(NON_HUMAN, _WORKLOAD_KINDS[identity.kind])
    return Classification(UNCLASSIFIED, f"no evidence of who uses this {identity.kind}")


def _aws_user(identity: Identity) -> Classification:
    if "interactive" in identity.unknown or identity.interactive is None:
        return Classification(UNCLASSIFIED, "whether it has a console password was not collected")
    if not identity.interactive:
        return Classification(NON_HUMAN, "no console password: it signs in only with access keys")
    mfa = identity.attributes.get("mfa")
    if mfa is True:
        return Classification(HUMAN, "a console password and an MFA device")
    if mfa is False:
        return Classification(UNCLASSIFIED, "a console password without MFA: a person or a shared account")
    return Classification(UNCLASSIFIED, "a console password; whether it has an MFA device was not collected")


def _aws_role(identity: Identity) -> Classification:
    path = str(identity.attributes.get("path") or "")
    # the name alone only where no path was recorded: any role may be named AWSReservedSSO_…, and
    # only IAM Identity Center creates roles under its reserved path
    if path.startswith(SSO_ROLE_PATH) or (not path and identity.name.startswith(SSO_ROLE_PREFIX)):
        return Classification(HUMAN, "an IAM Identity Center permission-set role: people sign in to it through SSO")
    if identity.attributes.get("service_linked") is True:  # as mfa: "false" or 1 in a file is no evidence
        return Classification(NON_HUMAN, "a service-linked role, assumed only by its AWS service")
    if "attributes.trust" in identity.unknown or "trust" in identity.unknown:
        return Classification(UNCLASSIFIED, "its trust policy was not collected")
    trust: list[dict[str, Any]] = identity.attributes.get("trust") or []
    saml = [entry for entry in trust if str(entry.get("provider") or "").startswith("saml:")]
    if saml and len(saml) == len(trust):
        return Classification(HUMAN, "trusted for SAML sign-in: people assume it through their identity provider")
    if saml:  # people sign in to it, and the other principals, workloads among them, assume it too
        return Classification(UNCLASSIFIED, "trusted for SAML sign-in and by other principals, workloads among them")
    if trust and all(_workload_principal(entry) for entry in trust):
        principals = sorted({str(entry.get("principal")) for entry in trust})
        return Classification(NON_HUMAN, f"assumed only by services or workload federation ({', '.join(principals)})")
    if not trust:
        return Classification(UNCLASSIFIED, "no trust policy was recorded")
    return Classification(UNCLASSIFIED, "trusted by accounts or roles, which people and workloads alike can use")


def _workload_principal(entry: dict[str, Any]) -> bool:
    return entry.get("principal_type") == "service" or (
        entry.get("principal_type") == "federated" and not str(entry.get("provider") or "").startswith("saml:")
    )
