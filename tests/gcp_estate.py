"""A seeded organisation for the GCP source tests: PROD inside two nested folders, DEV directly
under the organisation. The REST bodies Cloud Custodian recorded (../shared/realworld/gcp) are
served as they are, beside variations of them; policy shapes (version 3 conditions, audit configs
with exempted members), workload identity providers and API key restrictions follow the REST
references' examples."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta

from .conftest import SHARED
from .gcp_fake import GcpState

REALWORLD = SHARED / "realworld" / "gcp"
PROD, DEV = "acme-ml-prod", "acme-data-dev"
ORG = "organizations/123456789012"
PLATFORM, ML = "folders/100000000001", "folders/100000000002"  # ML inside PLATFORM
ALICE = "user:alice@acme.example"
BUSINESS_HOURS = {"title": "business hours", "expression": "request.time.getHours('Europe/Berlin') < 18"}
NOW = datetime.now(UTC)
GITHUB = "https://token.actions.githubusercontent.com"
RECORDED_KEYS_OWNER = "test-cutodian-scc@cloud-custodian.iam.gserviceaccount.com"


def recorded(name: str) -> dict:
    return json.loads((REALWORLD / name).read_text())["body"]


def _when(days: int) -> str:
    return (NOW + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _account(project: str, name: str, **extra) -> dict:
    email = f"{name}@{project}.iam.gserviceaccount.com"
    return {"name": f"projects/{project}/serviceAccounts/{email}", "projectId": project, "email": email,
            "displayName": name, "uniqueId": str(abs(hash(email)))[:21], **extra}  # fmt: skip


def seed(state: GcpState) -> None:
    accounts = recorded("custodian-flight-iam-serviceAccounts-list.json")["accounts"]
    keys_owner = {"name": f"projects/{PROD}/serviceAccounts/{RECORDED_KEYS_OWNER}", "projectId": PROD,
                  "email": RECORDED_KEYS_OWNER, "uniqueId": "104857600000000000001", "displayName": "scc"}  # fmt: skip
    payments, deployer, minter = (_account(PROD, n) for n in ("payments-api", "deployer", "token-minter"))
    state.accounts[PROD] = [*accounts, keys_owner, payments, deployer, minter]
    state.keys[RECORDED_KEYS_OWNER] = recorded("custodian-flight-iam-serviceAccounts-keys-list.json")["keys"]
    state.keys[payments["email"]] = [
        {"name": f"{payments['name']}/keys/a1b2c3d4e5f6", "validAfterTime": _when(-200),
         "validBeforeTime": "9999-12-31T23:59:59Z", "keyAlgorithm": "KEY_ALG_RSA_2048", "keyOrigin": "GOOGLE_PROVIDED",
         "keyType": "USER_MANAGED"},
    ]  # fmt: skip
    policy = copy.deepcopy(recorded("custodian-flight-projects-getIamPolicy-auditConfigs.json"))
    policy["bindings"] += [
        {"role": "roles/editor", "members": [f"serviceAccount:{deployer['email']}"]},
        {"role": "roles/iam.serviceAccountTokenCreator", "members": [f"serviceAccount:{minter['email']}"]},
        {"role": "roles/storage.objectViewer", "members": [f"serviceAccount:{payments['email']}"]},
    ]
    policy["bindings"].append(
        {"role": "roles/storage.admin", "members": [f"serviceAccount:{payments['email']}"], "condition": BUSINESS_HOURS}
    )
    state.folders[PLATFORM] = {"parent": ORG, "displayName": "platform"}
    state.folders[ML] = {"parent": PLATFORM, "displayName": "ml"}
    state.projects[PROD] = {"parent": ML, "labels": {"environment": "production"}, "policy": policy}
    etl = _account(DEV, "etl", description="Nightly loads. owner: data-team@acme.example")
    state.projects[DEV] = {"parent": ORG, "labels": {"environment": "development"},
                           "policy": {"bindings": [{"role": "roles/viewer", "members": ["allUsers"]},
                                                   {"role": "roles/bigquery.dataViewer",
                                                    "members": [f"serviceAccount:{payments['email']}"]}]}}  # fmt: skip
    state.accounts[DEV] = [etl]
    github = (
        f"principalSet://iam.googleapis.com/projects/{state.number(PROD)}/locations/global/workloadIdentityPools/github"
    )
    state.account_policies[deployer["email"]] = {"bindings": [
        {"role": "roles/iam.serviceAccountTokenCreator", "members": [ALICE]},
        {"role": "roles/iam.serviceAccountUser", "members": [f"serviceAccount:{etl['email']}"]},
        {"role": "roles/iam.workloadIdentityUser", "members": [f"{github}/attribute.repository/acme/deploy"]},
    ]}  # fmt: skip
    state.account_policies[minter["email"]] = {"bindings": [
        {"role": "roles/iam.workloadIdentityUser", "members": [f"{github}/*"]},  # every identity of the pool
    ]}  # fmt: skip
    state.activities[PROD] = {}
    state.activities[PROD]["serviceAccountLastAuthentication"] = [
        {"activity": {"serviceAccount": {"fullResourceName": f"//iam.googleapis.com/{payments['name']}"},
                      "lastAuthenticatedTime": _when(-3)}},
        {"activity": {"serviceAccount": {"fullResourceName": f"//iam.googleapis.com/{deployer['name']}"},
                      "lastAuthenticatedTime": _when(-1)}},
    ]  # fmt: skip
    state.activities[PROD]["serviceAccountKeyLastAuthentication"] = [
        {"activity": {"serviceAccountKey": {"fullResourceName": f"//iam.googleapis.com/{payments['name']}/keys/"
                                                                "a1b2c3d4e5f6"},
                      "lastAuthenticatedTime": _when(-3)}},
    ]  # fmt: skip
    state.rest[f"/v2/projects/{PROD}/locations/global/keys"] = [
        {
            "name": f"projects/{PROD}/locations/global/keys/k1",
            "uid": "k1",
            "displayName": "maps",
            "createTime": _when(-50),
        },
        {"name": f"projects/{PROD}/locations/global/keys/k2", "uid": "k2", "displayName": "web",
         "createTime": _when(-5), "restrictions": {"browserKeyRestrictions": {"allowedReferrers": ["*.acme.example"]},
                                                   "apiTargets": [{"service": "translate.googleapis.com"}]}},
    ]  # fmt: skip
    pool = f"projects/{state.number(PROD)}/locations/global/workloadIdentityPools/github"
    state.rest[f"/v1/projects/{PROD}/locations/global/workloadIdentityPools"] = [{"name": pool, "state": "ACTIVE"}]
    state.rest[f"/v1/{pool}/providers"] = [
        {
            "name": f"{pool}/providers/actions",
            "state": "ACTIVE",
            "oidc": {"issuerUri": GITHUB},
            "attributeMapping": {"google.subject": "assertion.sub", "attribute.repository": "assertion.repository"},
        },
        {
            "name": f"{pool}/providers/actions-acme",
            "state": "ACTIVE",
            "oidc": {"issuerUri": GITHUB},
            "attributeMapping": {"google.subject": "assertion.sub"},
            "attributeCondition": "assertion.repository_owner == 'acme'",
        },
    ]
    state.vertex_enabled.add(PROD)
    state.rest[f"/v1/projects/{PROD}/locations/europe-west4/reasoningEngines"] = [
        {"name": f"projects/{PROD}/locations/europe-west4/reasoningEngines/42", "displayName": "support-agent",
         "createTime": _when(-10), "spec": {"serviceAccount": deployer["email"]}},
    ]  # fmt: skip
    state.parents[PLATFORM] = {
        "bindings": [{"role": "roles/iam.serviceAccountUser", "members": ["group:ml-ops@acme.example"]}]
    }
    state.groups["ml-ops@acme.example"] = {"id": "03cqmetx3e7wl9b", "members": [(ALICE.removeprefix("user:"), "USER")]}
    state.parents[ORG] = {
        "bindings": [{"role": "roles/iam.serviceAccountKeyAdmin", "members": [f"serviceAccount:{payments['email']}"]}],
        "auditConfigs": [{"service": "iam.googleapis.com",
                          "auditLogConfigs": [{"logType": "ADMIN_READ"}, {"logType": "DATA_READ"},
                                              {"logType": "DATA_WRITE"}]}],
    }  # fmt: skip
    state.deny.add(f"/v2/projects/{DEV}/")
    state.disabled.add(f"/v1/projects/{DEV}/locations/us-central1/reasoningEngines")
