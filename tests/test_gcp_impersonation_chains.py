"""Who may act as a service account through others (scanner/sources/gcp/impersonation_chains.py),
worked out on the accounts alone: links through roles whose permissions were not read."""

from __future__ import annotations

from scanner.model import Identity
from scanner.sources.gcp.impersonation_chains import add_people_through_accounts

PROJECT_SET = "principalSet://cloudresourcemanager.googleapis.com/projects/1/type/ServiceAccount"
UNREAD = {"member": PROJECT_SET, "role": "projects/p/roles/unread"}
BOB = {"member": "user:bob@example.com", "member_type": "user", "human": True, "role": "roles/owner"}


def _account(name: str, *people: dict) -> Identity:
    email = f"{name}@p.iam.gserviceaccount.com"
    return Identity(uid=email, provider="gcp", account="p", kind="service_account", name=name,
                    attributes={"impersonators": list(people)})  # fmt: skip


def _linked(*accounts: Identity) -> dict[str, Identity]:
    emails = [a.uid for a in accounts]
    add_people_through_accounts(
        list(accounts), {"projects/1": emails}, {"projects/1"}, {email: [UNREAD] for email in emails}
    )
    return {a.name: a for a in accounts}


def test_a_set_bound_on_an_account_does_not_doubt_it_for_its_own_people() -> None:
    """bob may act as a; the project's accounts (a alone) hold the unread role on a: only a may act
    as a through it, and a's people are a's own. Nothing is left unknown."""
    accounts = _linked(_account("a", BOB))
    assert "impersonation_roles_not_read" not in accounts["a"].attributes


def test_a_set_bound_on_an_account_doubts_it_for_the_people_of_the_set_s_other_accounts() -> None:
    accounts = _linked(_account("a"), _account("b", BOB))
    assert accounts["a"].attributes["impersonation_roles_not_read"] == [UNREAD["role"]]


def test_no_one_acting_as_any_account_of_the_set_leaves_nothing_unknown() -> None:
    accounts = _linked(_account("a"), _account("b"), _account("c"))
    assert not any("impersonation_roles_not_read" in a.attributes for a in accounts.values())
