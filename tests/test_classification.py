"""Human, non-human or unknown: each identity is classed from evidence, and findings say why."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scanner.engine.classification import HUMAN, NON_HUMAN, UNCLASSIFIED, classify
from scanner.engine.context import EvalContext
from scanner.engine.controls import compile_control
from scanner.engine.evaluate import evaluate
from scanner.model import Grant, Identity, Inventory
from scanner.scan import load_catalogs

SSO_TRUST = [
    {"principal": "arn:aws:iam::1:saml-provider/AWSSSO_x", "principal_type": "federated", "provider": "saml:AWSSSO_x"}
]


def aws(kind: str, **fields: object) -> Identity:
    return Identity(uid=f"arn:aws:iam::1:{kind}/x", provider="aws", account="1", kind=kind, name="x", **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("identity", "expected", "reason_part"),
    [
        (aws("user", interactive=True, attributes={"mfa": True}), HUMAN, "MFA"),
        (aws("user", interactive=True, attributes={"mfa": False}), UNCLASSIFIED, "without MFA"),
        (aws("user", interactive=False, attributes={"mfa": False}), NON_HUMAN, "access keys"),
        (aws("user", unknown=["interactive"]), UNCLASSIFIED, "not collected"),
        (aws("root", interactive=True), HUMAN, "root"),
        (
            aws("role", attributes={"path": "/aws-reserved/sso.amazonaws.com/", "trust": SSO_TRUST}),
            HUMAN,
            "Identity Center",
        ),
        (aws("role", attributes={"trust": SSO_TRUST}), HUMAN, "SAML"),
        (aws("role", attributes={"service_linked": True, "trust": SSO_TRUST}), NON_HUMAN, "service-linked"),
        # an inventory file's "false" or 1 is not true: the role is classed from its trust policy
        (aws("role", attributes={"service_linked": "false", "trust": SSO_TRUST}), HUMAN, "SAML"),
        (aws("role", attributes={"service_linked": 1}), UNCLASSIFIED, "no trust policy"),
        (aws("role", attributes={"human_evidence": "an SSO reserved role"}), HUMAN, "SSO reserved"),
        (
            aws("role", attributes={"trust": [{"principal": "lambda.amazonaws.com", "principal_type": "service"}]}),
            NON_HUMAN,
            "lambda.amazonaws.com",
        ),
        (
            aws("role", attributes={"trust": [{"principal": "arn:aws:iam::2:root", "principal_type": "account"}]}),
            UNCLASSIFIED,
            "accounts or roles",
        ),
        (
            Identity("sa@p.iam.gserviceaccount.com", "gcp", "p", "service_account", "sa"),
            NON_HUMAN,
            "iam.gserviceaccount.com",
        ),
        (
            Identity(
                "sp", "azure", "t", "service_principal", "sp", attributes={"service_principal_type": "Application"}
            ),
            NON_HUMAN,
            "of type App",
        ),
        (Identity("alice@example.com", "gcp", "p", "user", "alice"), HUMAN, "Google account"),
    ],
)
def test_identities_are_classed_from_evidence(identity: Identity, expected: str, reason_part: str) -> None:
    found = classify(identity)
    assert found.kind == expected
    assert reason_part in found.reason


def test_a_finding_of_a_non_human_control_says_why_its_identity_was_classed_so() -> None:
    catalogs = load_catalogs()
    control = next(c for c in catalogs.controls if c.id == "NHI-PRIV-001")
    collected = datetime(2026, 1, 1, tzinfo=UTC)
    inventory = Inventory(
        collected_at=collected,
        identities=[aws("user", interactive=True, attributes={"mfa": False})],
        grants=[Grant("arn:aws:iam::1:user/x", "policy", "admin", actions=["*"], resources=["*"])],
    )
    ctx = EvalContext(inventory, collected, catalogs.capabilities)
    (finding,) = evaluate([compile_control(control)], ctx).findings
    assert finding.status == "fail"
    assert finding.evidence["classified_as"] == "unknown: a console password without MFA: a person or a shared account"
