"""A flexible federated identity credential of Entra is judged on what its expression admits.

Such a credential has no subject: ``claimsMatchingExpression`` ({"value", "languageVersion": 1})
holds conditions on the token's claims instead. The expressions below are Microsoft's examples:
learn.microsoft.com/entra/workload-id/workload-identities-flexible-federated-identity-credentials
(MicrosoftDocs/entra-docs, docs/workload-id/workload-identities-flexible-federated-identity-credentials.md,
the page as of 2024-08-28 and of 2026-09-18). The credential is shaped as the Graph reference's
federatedIdentityCredential (beta, learn.microsoft.com/graph/api/resources/federatedidentitycredential)
and federatedIdentityExpression (learn.microsoft.com/graph/api/resources/federatedidentityexpression)
show it; Graph v1.0's federatedIdentityCredential has no ``claimsMatchingExpression``, so its answer
shows such a credential with a null subject and nothing else.

Before, each read as a credential without a subject, one admitting any: NHI-PRIV-005 failed one
that names a single repository, and a gate failed on it.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from scanner.engine.claims_expression import admitted
from scanner.scan import ScanOptions, run_scan
from scanner.sources import SourceSpec, collect

from .azure_estate import REALWORLD
from .test_azure_source import scan_tenant

GITHUB = "https://token.actions.githubusercontent.com"
# the examples of the page's operator table
ONE_BRANCH = "claims['sub'] eq 'repo:contoso/contoso-repo:ref:refs/heads/main' and claims['repository_id'] eq '456789'"
ANY_BRANCH = (
    "claims['sub'] matches 'repo:contoso/contoso-repo:ref:refs/heads/*' and claims['repository_id'] eq '456789'"
)
MANY_REPOSITORIES = (
    "claims['sub'] matches 'repo:contoso/contoso-repo-*:ref:refs/heads/????' "
    "and claims['repository_owner_id'] eq '123456'"
)
# the page's `az rest` example (2024)
AZ_REST = "claims['sub'] matches 'repo:contoso/contoso-org:ref:refs/heads/*'"


def flexible(name: str, value: str, version: Any = 1) -> dict[str, Any]:
    """A flexible credential as Graph (beta) lists it."""
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, name)),
        "name": name,
        "issuer": GITHUB,
        "subject": None,
        "description": None,
        "audiences": ["api://AzureADTokenExchange"],
        "claimsMatchingExpression": {
            "@odata.type": "#microsoft.graph.federatedIdentityExpression",
            "languageVersion": version,
            "value": value,
        },
    }


def as_graph_v1(credential: dict[str, Any]) -> dict[str, Any]:
    """The same credential as Graph v1.0 answers: the expression is not among its properties."""
    return {key: value for key, value in credential.items() if key != "claimsMatchingExpression"}


def findings_of(result: Any, control: str) -> dict[str, Any]:
    return {f.resource.name: f for f in result.findings if f.control_id == control}


def test_a_tenants_flexible_credentials_are_judged_on_what_their_expressions_admit(fake_azure, catalogs) -> None:
    """Live: an expression naming one repository passes, one admitting many fails, one nhiscan
    cannot read (another language version, or left out of a v1.0 answer) is unknown, and says why."""
    credentials = {
        "deploy-one-branch": flexible("main", ONE_BRANCH),
        "deploy-any-branch": flexible("branches", ANY_BRANCH),
        "deploy-many-repositories": flexible("contoso-repos", MANY_REPOSITORIES),
        "deploy-language-2": flexible("next", AZ_REST, version=2),
        "deploy-read-by-v1": as_graph_v1(flexible("unseen", ONE_BRANCH)),
    }
    for number, (name, credential) in enumerate(credentials.items(), start=1):
        app = {"id": f"eeee{number:04d}-0000-4000-8000-000000000001", "displayName": name,
               "appId": f"ffff{number:04d}-0000-4000-8000-000000000001", "createdDateTime": "2026-01-05T10:00:00Z",
               "passwordCredentials": [], "keyCredentials": []}  # fmt: skip
        fake_azure.state.applications.append(app)
        fake_azure.state.related[f"/applications/{app['id']}/federatedIdentityCredentials"] = [credential]
    inventory, _ = scan_tenant(fake_azure)
    findings = findings_of(run_scan(inventory, catalogs, ScanOptions()), "NHI-PRIV-005")
    assert {name: findings[name].status for name in credentials if name in findings} == {
        "deploy-many-repositories": "fail",
        "deploy-language-2": "unknown",
        "deploy-read-by-v1": "unknown",
    }, "one repository's workflows pass, and passing findings are not kept"
    assert "claims matching expression of next (languageVersion 2)" in findings["deploy-language-2"].message
    assert "claims matching expression of unseen (not in the answer read)" in findings["deploy-read-by-v1"].message
    # v1.0's answer (the fake's, as Graph's) holds no expression: they are read from beta, in one $batch
    assert fake_azure.state.requests["POST /beta/$batch"] == 1


def add_app(fake_azure, number: int, name: str, credentials: list[dict[str, Any]]) -> None:
    app = {"id": f"eeee{number:04d}-0000-4000-8000-000000000001", "displayName": name,
           "appId": f"ffff{number:04d}-0000-4000-8000-000000000001", "createdDateTime": "2026-01-05T10:00:00Z",
           "passwordCredentials": [], "keyCredentials": []}  # fmt: skip
    fake_azure.state.applications.append(app)
    fake_azure.state.related[f"/applications/{app['id']}/federatedIdentityCredentials"] = credentials


def test_federated_credentials_are_read_from_beta_only(fake_azure, catalogs) -> None:
    """Beta's answer holds what v1.0's does and the expression: applications' federated credentials
    are asked of beta alone, a classic one judged on its subject as before."""
    classic = {**as_graph_v1(flexible("main", ONE_BRANCH)), "subject": "repo:contoso/app:ref:refs/heads/main"}
    add_app(fake_azure, 1, "deploy-classic", [classic])
    inventory, _ = scan_tenant(fake_azure)
    findings = findings_of(run_scan(inventory, catalogs, ScanOptions()), "NHI-PRIV-005")
    assert "deploy-classic" not in findings, "its one subject passes"
    asked = [path for path in fake_azure.state.batched if path.endswith("/federatedIdentityCredentials")]
    assert asked and all(path.startswith("/beta/") for path in asked), asked


def test_federated_credentials_beta_refuses_to_list_are_unknown_and_a_named_gap(fake_azure, catalogs) -> None:
    """Graph beta refused (403): the application's federated credentials were not read, so what its
    trust admits is unknown (never a trust without credentials, never one admitting any subject),
    and the refused read is a gap of the tenant."""
    add_app(fake_azure, 1, "deploy-one-branch", [flexible("main", ONE_BRANCH)])
    fake_azure.state.deny.add("/beta/applications/")
    inventory, _ = scan_tenant(fake_azure)
    findings = findings_of(run_scan(inventory, catalogs, ScanOptions()), "NHI-PRIV-005")
    assert findings["deploy-one-branch"].status == "unknown"
    errors = [e for s in inventory.sources if s.status == "partial" for e in s.errors]
    assert any(e.call == "graph:federatedIdentityCredentials (beta)" and e.code == "403" for e in errors)


def test_a_federated_credential_list_holding_no_object_is_malformed_not_a_crash(fake_azure, catalogs) -> None:
    add_app(fake_azure, 1, "deploy-odd", [None])  # type: ignore[list-item]
    inventory, _ = scan_tenant(fake_azure)
    (app,) = [i for i in inventory.identities if i.name == "deploy-odd"]
    assert "trust" in app.unknown
    errors = [e for s in inventory.sources for e in s.errors]
    assert any(e.code == "malformed" and "an entry that is no object" in e.message for e in errors)


def test_an_exported_flexible_credential_is_judged_on_its_expression(tmp_path: Path, catalogs) -> None:
    """Reader: a Graph list of an application's federated credentials, saved as Graph answers it,
    holding the documented `az rest` example (one repository, any branch): it passes, as the
    subject ``repo:contoso/contoso-org:*`` would."""
    application = "4d5c0e0b-9816-4aa2-a444-395e807c6f80"
    apps = json.loads((REALWORLD / "azure-cli-recording-graph-list-applications-passwordCredentials.json").read_text())
    apps["value"][0]["id"] = application
    listed = {
        "@odata.context": f"https://graph.microsoft.com/beta/$metadata#applications('{application}')"
        "/federatedIdentityCredentials",
        "value": [flexible("FlexFic1", AZ_REST)],
    }
    (tmp_path / "apps.json").write_text(json.dumps(apps))
    (tmp_path / "fic.json").write_text(json.dumps(listed))
    inventory = collect(SourceSpec("file", str(tmp_path)))
    result = run_scan(inventory, catalogs, ScanOptions(allow_partial=True))
    assert [(f.control_id, f.status) for f in result.findings if f.control_id == "NHI-PRIV-005"] == []

    listed["value"] = [as_graph_v1(flexible("FlexFic1", AZ_REST))]  # as `az ad app federated-credential list` saves it
    (tmp_path / "fic.json").write_text(json.dumps(listed))
    result = run_scan(collect(SourceSpec("file", str(tmp_path))), catalogs, ScanOptions(allow_partial=True))
    assert [f.status for f in result.findings if f.control_id == "NHI-PRIV-005"] == ["unknown"]


@pytest.mark.parametrize(
    ("value", "version", "specific", "why"),
    [
        # Microsoft's examples
        (ONE_BRANCH, 1, True, ""),
        (ANY_BRANCH, 1, True, ""),  # one repository, any branch: as the subject repo:contoso/contoso-repo:* passes
        (MANY_REPOSITORIES, 1, False, ""),  # every repository named contoso-repo-… of the owner
        (AZ_REST, 1, True, ""),
        ("claims['sub'] eq 'repo:contoso/contoso-repo:ref:refs/heads/main' and claims['repository_id'] eq '456789' "
         "and claims['job_workflow_ref'] matches 'foo-org/bar-repo/.github/workflows/*@refs/heads/main'", 1, True, ""),
        # a repository's immutable id names it, whatever the subject's pattern
        ("claims['sub'] matches 'repo:contoso/*' and claims['repository_id'] eq '456789'", 1, True, ""),
        # an owner, or a reusable workflow any repository may call, is no one workload
        ("claims['sub'] matches 'repo:contoso/*:*' and claims['repository_owner_id'] eq '123456'", 1, False, ""),
        ("claims['job_workflow_ref'] eq 'contoso/shared/.github/workflows/deploy.yml@refs/heads/main'", 1, False, ""),
        ("claims['sub'] matches '*'", 1, False, ""),
        # Terraform Cloud: every project and workspace of the organisation
        ("claims['sub'] matches 'organization:contoso:project:*:workspace:*:run_phase:*'", 1, False, ""),
        # found passing by a review: a subject in a format whose identifying part is not known, with a
        # wildcard (a repository may set its own subject template), and a format's name in other case:
        # not judged, never one workload
        ("claims['sub'] matches 'job_workflow_ref:*'", 1, None, "pattern 'job_workflow_ref:*'"),
        ("claims['sub'] matches 'repository_owner:contoso:*'", 1, None, "pattern 'repository_owner:contoso:*'"),
        ("claims['sub'] matches 'REPO:contoso/*:*'", 1, None, "pattern 'REPO:contoso/*:*'"),
        ("claims['sub'] matches 'repo :contoso/*:*'", 1, None, "pattern 'repo :contoso/*:*'"),
        # a subject template whose repository is named, the rest open
        ("claims['sub'] matches 'repository_owner_id:123:repository_id:456:*'", 1, True, ""),
        # eq takes "*" as written: one subject; an id matched without wildcards is the id
        ("claims['sub'] eq 'repo:contoso/*:ref:refs/heads/main'", 1, True, ""),
        ("claims['repository_id'] matches '456789'", 1, True, ""),
        ("claims['repository_id'] matches '4567*'", 1, False, ""),
        ("claims['repository_id'] matches '1|2'", 1, False, ""),  # read as a regular expression: two
        # what nhiscan does not read is not judged
        (AZ_REST, 2, None, "languageVersion 2"),
        (AZ_REST, "1", None, "languageVersion '1'"),
        ("claims['sub'] matches 'repo:contoso/*' or claims['sub'] eq 'repo:contoso/app:ref:refs/heads/main'", 1,
         None, "operator 'or'"),
        ("claims['sub'] eq 'repo:contoso/app:ref:refs/heads/main' and claims['sub'] contains 'x'", 1, None,
         "operator 'contains'"),
        ("claims['sub'] matches 'repo:contoso/contoso-repo:ref:refs/heads/*'.", 1, None, "malformed"),
        ("claims[sub] eq 'repo:contoso/app:ref:refs/heads/main'", 1, None, "malformed"),
        ("claims['repository'] eq 'contoso/app'", 1, None, "claim 'repository'"),
        # a regular expression's syntax Microsoft does not document: [a-z]+ may be any repository
        ("claims['sub'] matches 'repo:contoso/[a-z]+:ref:refs/heads/main'", 1, None,
         "pattern 'repo:contoso/[a-z]+:ref:refs/heads/main'"),
    ],
)  # fmt: skip
def test_what_an_expression_admits(value: str, version: Any, specific: bool | None, why: str) -> None:
    judged = admitted({"value": value, "languageVersion": version})
    assert (judged.specific, judged.why) == (specific, why)
