"""People who act as a service account through other service accounts.

A person who may act as service account B, which may act as A (Token Creator, Service Account User
or another impersonating role bound to ``serviceAccount:B`` on A, its project or above), may act as
A: one call mints B's token, a second A's. Each account's impersonators gain the people at the end
of every such chain, with ``via`` naming the first account of the chain they act through. An account
in a chain whose own impersonators are not known (outside the scan, or a policy of it not read)
leaves the people of that chain not all known: ``impersonated_through_unread`` names it. Google's
service agents end a chain: they are Google's to act as.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from scanner.model import Identity
from scanner.sources.gcp.records import is_service_agent

ACCOUNT_MEMBER = "serviceAccount:"
THROUGH_UNREAD = "impersonated_through_unread"


def add_people_through_accounts(identities: list[Identity]) -> None:
    accounts = {i.uid.lower(): i for i in identities if i.provider == "gcp" and i.kind == "service_account"}
    direct = {uid: list(i.attributes.get("impersonators") or []) for uid, i in accounts.items()}
    for uid, identity in accounts.items():
        people, unread = _through_accounts(uid, accounts, direct)
        if people:
            listed = identity.attributes.setdefault("impersonators", [])
            listed += [entry for entry in people if entry not in listed]
        if unread:
            identity.attributes[THROUGH_UNREAD] = unread


def _through_accounts(
    start: str, accounts: dict[str, Identity], direct: dict[str, list[dict[str, Any]]]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The people who act as ``start`` through one or more other accounts, and the accounts on the
    way whose impersonators are not known."""
    people: list[dict[str, Any]] = []
    unread: list[str] = []
    seen = {start}
    queue = deque((_account_of(entry), _account_of(entry)) for entry in direct.get(start, ()) if _account_of(entry))
    while queue:
        account, first = queue.popleft()
        if account in seen:
            continue
        seen.add(account)
        holder = accounts.get(account)
        if holder is None and is_service_agent(account, ""):
            continue  # Google's own: no binding lets a person act as it
        if holder is None or "attributes.impersonators" in holder.unknown:
            unread.append(account)  # outside the scan, or a policy of it not read
            continue
        if holder.attributes.get("impersonation_roles_not_read"):
            unread.append(account)  # people bound to roles whose permissions were not read
        for entry in direct.get(account, ()):
            if entry.get("human"):
                people.append({**entry, "via": f"acts as {first}"})
            elif (through := _account_of(entry)) and through not in seen:
                queue.append((through, first))
    return people, sorted(set(unread))


def _account_of(entry: dict[str, Any]) -> str:
    member = str(entry.get("member", ""))
    return member[len(ACCOUNT_MEMBER) :].lower() if member.startswith(ACCOUNT_MEMBER) else ""
