"""A seeded Entra tenant with two subscriptions for the Azure source tests. The real Graph responses
recorded by the Azure CLI's tests (../shared/realworld/azure) are served as they are, beside
variations of them."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .azure_fake import AzureState
from .conftest import SHARED

REALWORLD = SHARED / "realworld" / "azure"
RECORDED = Path(__file__).parent / "data" / "azure"
MICROSOFT = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
GRAPH_SP = "5b1e0d0e-0000-4000-8000-00000000fff1"
APP_RW_ALL = "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9"
SITES_READ_ALL = "332a536c-c7ef-4017-ab91-336970924f0d"
PROD, DEV = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
MI_ID = (
    f"/subscriptions/{PROD}/resourceGroups/rg-payments/providers/Microsoft.ManagedIdentity/"
    "userAssignedIdentities/mi-payments"
)
NOW = datetime.now(UTC)


def _when(days: int) -> str:
    return (NOW + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _recorded(name: str, folder: Path = REALWORLD) -> list[dict]:
    return json.loads((folder / name).read_text())["value"]


def sign_in_activity(app_id: str, client: str | None, delegated: str | None, resource: str | None) -> dict:
    """A servicePrincipalSignInActivity shaped as the Graph reference's example, with these times."""
    template = copy.deepcopy(_recorded("msgraph-docs-beta-list-servicePrincipalSignInActivities.json", RECORDED)[1])
    template["appId"] = app_id
    for name, when in (
        ("applicationAuthenticationClientSignInActivity", client),
        ("delegatedClientSignInActivity", delegated),
        ("applicationAuthenticationResourceSignInActivity", resource),
        ("delegatedResourceSignInActivity", resource),
        ("lastSignInActivity", resource or client),
    ):
        template[name] = {"lastSignInDateTime": when, "lastSignInRequestId": None} if when else {}  # fmt: skip
    return template


def credential_activity(app_id: str, key_id: str, key_type: str, when: str) -> dict:
    """An appCredentialSignInActivity shaped as the Graph reference's example."""
    template = copy.deepcopy(_recorded("msgraph-docs-beta-list-appCredentialSignInActivities.json", RECORDED)[0])
    template |= {"appId": app_id, "keyId": key_id, "keyType": key_type}
    template["signInActivity"] = {"lastSignInDateTime": when, "lastSignInRequestId": "r1"}
    return template


def seed(state: AzureState) -> None:
    tenant = state.tenant
    state.organization = [{"id": tenant, "displayName": "contoso.onmicrosoft.com"}]
    recorded_apps = _recorded("azure-cli-recording-graph-list-applications-passwordCredentials.json")
    recorded_sps = _recorded("azure-cli-recording-graph-list-servicePrincipals-passwordCredentials.json")
    payments = copy.deepcopy(recorded_apps[0]) | {
        "id": "aaaa0001-0000-4000-8000-000000000001", "appId": "bbbb0001-0000-4000-8000-000000000001",
        "displayName": "payments-api", "createdDateTime": _when(-500),
        "passwordCredentials": [{"keyId": "c0ffee00-0000-4000-8000-000000000001", "displayName": "ci",
                                 "startDateTime": _when(-200), "endDateTime": _when(530), "hint": "abc"}],
        "keyCredentials": [],
    }  # fmt: skip
    deploy = {"id": "aaaa0002-0000-4000-8000-000000000002", "appId": "bbbb0002-0000-4000-8000-000000000002",
              "displayName": "deploy-gh", "createdDateTime": _when(-30), "passwordCredentials": [],
              "keyCredentials": []}  # fmt: skip
    state.applications = [*recorded_apps, payments, deploy]
    state.related[f"/applications/{payments['id']}/owners"] = [{"mail": "payments@contoso.example"}]
    state.related[f"/applications/{deploy['id']}/owners"] = [{"userPrincipalName": "platform@contoso.example"}]
    state.related[f"/applications/{deploy['id']}/federatedIdentityCredentials"] = _recorded(
        "azure-cli-recording-graph-list-federatedIdentityCredentials.json"
    )

    graph = {"id": GRAPH_SP, "appId": "00000003-0000-0000-c000-000000000000", "displayName": "Microsoft Graph",
             "servicePrincipalType": "Application", "appOwnerOrganizationId": MICROSOFT,
             "appRoles": [{"id": APP_RW_ALL, "value": "Application.ReadWrite.All"},
                          {"id": SITES_READ_ALL, "value": "Sites.Read.All"}]}  # fmt: skip
    payments_sp = copy.deepcopy(recorded_sps[0]) | {
        "id": "cccc0001-0000-4000-8000-000000000001", "appId": payments["appId"], "displayName": "payments-api",
        "appOwnerOrganizationId": tenant, "passwordCredentials": [], "createdDateTime": _when(-500),
    }  # fmt: skip
    automation = {"id": "cccc0002-0000-4000-8000-000000000002", "appId": "bbbb0003-0000-4000-8000-000000000003",
                  "displayName": "it-automation", "servicePrincipalType": "Application", "accountEnabled": True,
                  "appOwnerOrganizationId": tenant, "createdDateTime": _when(-800), "passwordCredentials": [],
                  "keyCredentials": []}  # fmt: skip
    managed = {"id": "cccc0003-0000-4000-8000-000000000003", "appId": "dddd0003-0000-4000-8000-000000000003",
               "displayName": "mi-payments", "servicePrincipalType": "ManagedIdentity", "accountEnabled": True,
               "alternativeNames": ["isExplicit=True", MI_ID], "appOwnerOrganizationId": None,
               "createdDateTime": _when(-100)}  # fmt: skip
    state.service_principals = [graph, *recorded_sps, payments_sp, automation, managed]
    state.related[f"/servicePrincipals/{payments_sp['id']}/owners"] = [{"mail": "payments@contoso.example"}]
    state.related[f"/servicePrincipals/{payments_sp['id']}/appRoleAssignments"] = [
        {"appRoleId": APP_RW_ALL, "resourceId": GRAPH_SP, "resourceDisplayName": "Microsoft Graph"},
        {"appRoleId": SITES_READ_ALL, "resourceId": GRAPH_SP, "resourceDisplayName": "Microsoft Graph"},
    ]
    state.delegated = [{"clientId": payments_sp["id"], "consentType": "AllPrincipals", "principalId": None,
                        "resourceId": GRAPH_SP, "scope": "User.Read openid"}]  # fmt: skip
    web = f"/subscriptions/{PROD}/resourceGroups/rg-payments/providers/Microsoft.Web/sites/payments-web"
    state.resource_graph = [{"subscriptionId": PROD, "id": web, "type": "microsoft.web/sites", "identities": [MI_ID]}]
    state.directory_roles = [{"principalId": automation["id"], "directoryScopeId": "/",
                              "roleDefinition": {"displayName": "Privileged Role Administrator"}}]  # fmt: skip
    state.sign_ins = [
        sign_in_activity(payments["appId"], client=_when(-2), delegated=_when(-5), resource=None),
        sign_in_activity(managed["appId"], client=_when(-1), delegated=None, resource=None),
        # called by others as a resource yesterday, never signed in with its own credentials
        sign_in_activity(automation["appId"], client=None, delegated=None, resource=_when(-1)),
    ]
    state.credential_sign_ins = [
        credential_activity(payments["appId"], payments["passwordCredentials"][0]["keyId"], "secret", _when(-3))
    ]
    categories = ("SignInLogs", "ServicePrincipalSignInLogs", "ManagedIdentitySignInLogs", "AuditLogs")
    logs = [{"category": category, "enabled": True} for category in categories]
    state.entra_settings = [
        {"name": "entra-to-law", "properties": {"workspaceId": "/subscriptions/x/ws", "logs": logs}}
    ]
    state.subscriptions = [
        {"subscriptionId": PROD, "displayName": "contoso-prod", "tags": {"environment": "production"}},
        {"subscriptionId": DEV, "displayName": "contoso-dev", "tags": {"environment": "development"}},
    ]
    contributor = "b24988ac-6180-42a0-ab88-20f7382dd24c"
    base = f"/subscriptions/{PROD}/providers"
    state.arm[f"{base}/Microsoft.Authorization/roleDefinitions"] = [
        {
            "id": f"{base}/Microsoft.Authorization/roleDefinitions/{contributor}",
            "properties": {"roleName": "Contributor"},
        }
    ]
    state.arm[f"{base}/Microsoft.Authorization/roleAssignments"] = [
        {"id": f"{base}/Microsoft.Authorization/roleAssignments/ra1", "properties": {
            "principalId": managed["id"],
            "roleDefinitionId": f"/providers/Microsoft.Authorization/roleDefinitions/{contributor}",
            "scope": f"/subscriptions/{PROD}", "principalType": "ServicePrincipal"}},
    ]  # fmt: skip
    state.arm[f"{base}/Microsoft.ManagedIdentity/userAssignedIdentities"] = [
        {"id": MI_ID, "name": "mi-payments", "tags": {"owner": "payments@contoso.example"},
         "properties": {"principalId": managed["id"], "clientId": managed["appId"]}}
    ]  # fmt: skip
    state.arm[f"{base}/Microsoft.Insights/diagnosticSettings"] = [
        {"name": "activity-to-law", "properties": {"workspaceId": "/subscriptions/x/ws",
                                                    "logs": [{"category": "Administrative", "enabled": True},
                                                             {"category": "Security", "enabled": True},
                                                             {"category": "Policy", "enabled": True},
                                                             {"category": "Autoscale", "enabled": False}]}}
    ]  # fmt: skip
