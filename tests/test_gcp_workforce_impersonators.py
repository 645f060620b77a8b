"""People federated through a workforce pool are people: one who may act as a service account
fails "no person can impersonate a GCP service account" (NHI-PRIV-013) as a user: member does.
Workload identity pools federate workloads, not people."""

from __future__ import annotations

from scanner.sources.gcp.records import impersonation_bindings

WORKFORCE = "principalSet://iam.googleapis.com/locations/global/workforcePools/corp/group/admins"
WORKFORCE_ONE = "principal://iam.googleapis.com/locations/global/workforcePools/corp/subject/alice@example.com"
WORKLOAD = "principalSet://iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/ci/attribute.repository/acme/app"


def test_workforce_pool_members_are_people_and_workload_pool_members_are_not() -> None:
    policy = {
        "bindings": [
            {"role": "roles/iam.serviceAccountTokenCreator", "members": [WORKFORCE, WORKFORCE_ONE, WORKLOAD]},
            {"role": "roles/iam.serviceAccountUser", "members": ["user:bob@example.com"]},
        ]
    }
    found = {entry["member"]: entry["human"] for entry in impersonation_bindings(policy, "projects/p")}
    assert found == {WORKFORCE: True, WORKFORCE_ONE: True, WORKLOAD: False, "user:bob@example.com": True}
