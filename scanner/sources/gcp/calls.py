"""Every call the gcp source makes: the IAM permission it needs, the API that must be enabled, and
the path that makes it. ``docs/permissions/gcp.md`` is generated from this table
(``python -m scanner.sources.permissions gcp``) and a test keeps the two in sync."""

from __future__ import annotations

from dataclasses import dataclass

# Cloud Identity's groups are governed by Google Workspace or Cloud Identity admin roles, not by IAM:
# Groups Reader, assigned to the scanning service account in the Admin console, lets it read every
# group's members (without it, only the groups whose settings let it see their members)
GROUPS_READER = "Groups Reader (admin role)"


@dataclass(frozen=True, slots=True)
class Call:
    name: str  # as gaps name it
    permission: str  # "" where no IAM permission governs the call
    api: str
    path: str  # "asset" (organisation or folder), "project" (project by project) or "both"
    reads: str
    role: str  # the narrowest predefined role that holds the permission


CALLS = (
    Call("cloudasset:assets.listResource", "cloudasset.assets.listResource", "cloudasset.googleapis.com", "asset",
         "projects, service accounts, keys, API keys, workload identity pools and providers",
         "roles/cloudasset.viewer"),
    Call("cloudasset:assets.listIamPolicy", "cloudasset.assets.listIamPolicy", "cloudasset.googleapis.com", "asset",
         "organisation, folder and project policies with audit configs", "roles/cloudasset.viewer"),
    Call("cloudasset:assets.searchAllIamPolicies", "cloudasset.assets.searchAllIamPolicies",
         "cloudasset.googleapis.com", "asset", "service accounts' own policies (who may act as them)",
         "roles/cloudasset.viewer"),
    Call("cloudasset:assets.searchAllResources", "cloudasset.assets.searchAllResources", "cloudasset.googleapis.com",
         "asset", "projects where the Vertex AI API is enabled", "roles/cloudasset.viewer"),
    Call("cloudresourcemanager:projects.get", "resourcemanager.projects.get", "cloudresourcemanager.googleapis.com",
         "project", "project labels and parent", "roles/browser"),
    Call("cloudresourcemanager:projects.list", "resourcemanager.projects.list", "cloudresourcemanager.googleapis.com",
         "project", "projects below an organisation or folder", "roles/browser"),
    Call("cloudresourcemanager:folders.list", "resourcemanager.folders.list", "cloudresourcemanager.googleapis.com",
         "project", "nested folders below an organisation or folder", "roles/browser"),
    Call("cloudresourcemanager:folders.get", "resourcemanager.folders.get", "cloudresourcemanager.googleapis.com",
         "project", "the folders above a project", "roles/browser"),
    Call("cloudresourcemanager:projects.getIamPolicy", "resourcemanager.projects.getIamPolicy",
         "cloudresourcemanager.googleapis.com", "project", "project bindings (version 3) and audit configs",
         "roles/iam.securityReviewer"),
    Call("cloudresourcemanager:folders.getIamPolicy", "resourcemanager.folders.getIamPolicy",
         "cloudresourcemanager.googleapis.com", "both", "inherited folder bindings and audit configs",
         "roles/iam.securityReviewer"),
    Call("cloudresourcemanager:organizations.getIamPolicy", "resourcemanager.organizations.getIamPolicy",
         "cloudresourcemanager.googleapis.com", "both", "inherited organisation bindings and audit configs",
         "roles/iam.securityReviewer"),
    Call("iam:serviceAccounts.list", "iam.serviceAccounts.list", "iam.googleapis.com", "project",
         "service accounts", "roles/iam.securityReviewer"),
    Call("iam:serviceAccounts.keys.list", "iam.serviceAccountKeys.list", "iam.googleapis.com", "project",
         "service account keys, one account at a time", "roles/iam.securityReviewer"),
    Call("iam:serviceAccounts.getIamPolicy", "iam.serviceAccounts.getIamPolicy", "iam.googleapis.com", "project",
         "who may act as each service account, one account at a time", "roles/iam.securityReviewer"),
    Call("iam:roles.get", "iam.roles.get", "iam.googleapis.com", "both",
         "custom roles' permissions (includedPermissions), once per custom role bound in a policy read",
         "roles/iam.roleViewer"),
    Call("iam:workloadIdentityPools.list", "iam.workloadIdentityPools.list", "iam.googleapis.com", "project",
         "workload identity pools", "roles/iam.securityReviewer"),
    Call("iam:workloadIdentityPoolProviders.list", "iam.workloadIdentityPoolProviders.list", "iam.googleapis.com",
         "project", "providers: issuer, attribute mapping, attributeCondition", "roles/iam.securityReviewer"),
    Call("apikeys:keys.list", "apikeys.keys.list", "apikeys.googleapis.com", "project",
         "API keys and their restrictions", "roles/serviceusage.apiKeysViewer"),
    Call("policyanalyzer:serviceAccountLastAuthentication",
         "policyanalyzer.serviceAccountLastAuthenticationActivities.query", "policyanalyzer.googleapis.com",
         "both", "last authentication of service accounts", "roles/policyanalyzer.activityAnalysisViewer"),
    Call("policyanalyzer:serviceAccountKeyLastAuthentication",
         "policyanalyzer.serviceAccountKeyLastAuthenticationActivities.query", "policyanalyzer.googleapis.com",
         "both", "last authentication of service account keys", "roles/policyanalyzer.activityAnalysisViewer"),
    Call("aiplatform:reasoningEngines.list", "aiplatform.reasoningEngines.list", "aiplatform.googleapis.com", "both",
         "Vertex AI Agent Engines and the service accounts they run as, in every Agent Engine region",
         "roles/aiplatform.viewer"),
    Call("cloudidentity:groups.lookup", "", "cloudidentity.googleapis.com", "both",
         "the name of each Google group a policy binds (and of each group nested in one)", GROUPS_READER),
    Call("cloudidentity:groups.memberships.list", "", "cloudidentity.googleapis.com", "both",
         "the members of those groups (FULL view: which are service accounts, which nested groups)", GROUPS_READER),
    Call("quota project", "serviceusage.services.use", "serviceusage.googleapis.com", "both",
         "nothing: charges Cloud Asset Inventory, API keys, Policy Analyzer and Cloud Identity calls to the "
         "quota project",
         "roles/serviceusage.serviceUsageConsumer"),
)  # fmt: skip

PERMISSIONS = tuple(sorted({call.permission for call in CALLS if call.permission}))
_PATHS = {"asset": "organisation or folder", "project": "project by project", "both": "both"}


def _cell(index: int, value: str) -> str:
    """A table cell: names (the first four columns) as code, but for an admin role; no IAM permission as such."""
    if not value:
        return "none (not IAM)"
    return f"`{value}`" if index < 4 and value != GROUPS_READER else value


def render_markdown() -> str:
    lines = [
        "# Permissions for the `gcp` source",
        "",
        "Generated from `scanner/sources/gcp/calls.py` (`python -m scanner.sources.permissions gcp`); every",
        "call the source makes, the IAM permission it needs and the API that must be enabled. All read-only.",
        "",
        "| call | permission | predefined role | API | path | reads |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for call in CALLS:
        cells = (call.name, call.permission, call.role, call.api, _PATHS[call.path], call.reads)
        lines.append("| " + " | ".join(_cell(index, value) for index, value in enumerate(cells)) + " |")
    roles = sorted({call.role for call in CALLS if call.permission})
    lines += [
        "",
        "## Custom role",
        "",
        "The permissions above as one custom role (`gcloud iam roles create nhiscan --organization=ORG_ID",
        "--file=nhiscan-role.yaml`), granted on the organisation, a folder or each project:",
        "",
        "```yaml",
        "title: nhiscan read-only",
        "stage: GA",
        "includedPermissions:",
        *(f"- {permission}" for permission in PERMISSIONS),
        "```",
        "",
        "Or the predefined roles: " + ", ".join(f"`{role}`" for role in roles) + ".",
        "",
        "## Google groups",
        "",
        "A group's members are what Cloud Identity lets the caller see, which IAM does not govern. Assign the",
        "scanning service account the Groups Reader admin role (Admin console > Account > Admin roles; no",
        "domain-wide delegation is needed) so that it reads every group a policy binds. A group whose members",
        "it may not read is a gap naming it, on the `google-groups` scope, and every service account's grants",
        "are then unknown: any may be a member, holding the group's roles.",
        "",
    ]
    return "\n".join(lines)
