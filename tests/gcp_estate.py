"""A seeded pair of GCP projects for the GCP source tests. The REST bodies Cloud Custodian recorded
(../shared/realworld/gcp) are served as they are, beside variations of them."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta

from .conftest import SHARED
from .gcp_fake import GcpState

REALWORLD = SHARED / "realworld" / "gcp"
PROD, DEV = "acme-ml-prod", "acme-data-dev"
ORG = "organizations/123456789012"
NOW = datetime.now(UTC)
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
                  "email": RECORDED_KEYS_OWNER, "displayName": "scc"}  # fmt: skip
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
    state.projects[PROD] = {"parent": ORG, "labels": {"environment": "production"}, "policy": policy}
    state.projects[DEV] = {"parent": ORG, "labels": {"environment": "development"},
                           "policy": {"bindings": [{"role": "roles/viewer", "members": ["allUsers"]}]}}  # fmt: skip
    state.accounts[DEV] = [_account(DEV, "etl", description="Nightly loads. owner: data-team@acme.example")]
    base = f"/v1/projects/{PROD}/locations/global/activityTypes"
    state.rest[f"{base}/serviceAccountLastAuthentication/activities:query"] = [
        {"activity": {"serviceAccount": {"fullResourceName": f"//iam.googleapis.com/{payments['name']}"},
                      "lastAuthenticatedTime": _when(-3)}},
        {"activity": {"serviceAccount": {"fullResourceName": f"//iam.googleapis.com/{deployer['name']}"},
                      "lastAuthenticatedTime": _when(-1)}},
    ]  # fmt: skip
    state.rest[f"{base}/serviceAccountKeyLastAuthentication/activities:query"] = [
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
    ]
    state.rest[f"/v1/projects/{PROD}/locations/global/workloadIdentityPools"] = [
        {"name": f"projects/{PROD}/locations/global/workloadIdentityPools/github"}
    ]
    state.rest[f"/v1/projects/{PROD}/locations/us-central1/reasoningEngines"] = [
        {"name": f"projects/{PROD}/locations/us-central1/reasoningEngines/42", "displayName": "support-agent",
         "createTime": _when(-10), "spec": {"serviceAccount": deployer["email"]}},
    ]  # fmt: skip
    state.parents[ORG] = {
        "bindings": [{"role": "roles/iam.serviceAccountKeyAdmin", "members": [f"serviceAccount:{payments['email']}"]}],
        "auditConfigs": [{"service": "iam.googleapis.com",
                          "auditLogConfigs": [{"logType": "DATA_READ"}, {"logType": "DATA_WRITE"}]}],
    }  # fmt: skip
    state.deny.add(f"/v2/projects/{DEV}/")
    state.disabled.add(f"/v1/projects/{DEV}/locations/us-central1/reasoningEngines")
