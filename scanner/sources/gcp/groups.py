"""The service accounts among the members of the Google groups that the policies read bind to a
role: a service account in such a group holds the role as if it were bound itself.

Cloud Identity's ``groups:lookup`` finds a group's name from its e-mail and
``groups.memberships.list`` (FULL view, which says each member's type) its direct members; nested
groups are read the same way, each once. ``searchTransitiveMemberships`` would do it in one call
but answers only Google Workspace Enterprise and Cloud Identity Premium customers.

A group whose members (or a nested group's) could not all be read is a gap naming it, on one scope
for every group (``GROUPS_SCOPE``, listed by every scan, complete when every group bound was read or
none is bound, so that a later scan never shows it gone), and is absent from
``Collected.group_members``: any service account may be one of them, so every service account's
grants are unknown (``estate.build_inventory``).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import quote

from scanner.model import SourceError
from scanner.sources.gcp import records
from scanner.sources.gcp.clients import GcpClients
from scanner.sources.gcp.estate import Collected

WORKERS = 8
MAX_GROUPS = 2000  # groups read in one scan, nested ones included: past them, the rest are gaps
_PAGE = 500  # the most the FULL view answers at once
_SERVICE_ACCOUNT_DOMAIN = ".gserviceaccount.com"
# the member types that hold no service account (Membership.type); a type not known here may be a
# group or a service account: a gap
_LEAF_TYPES = frozenset({"USER", "SHARED_DRIVE", "CBCM_BROWSER", "OTHER"})
GROUPS_SCOPE = "google-groups"
_GROUP = "group:"


@dataclass(frozen=True, slots=True)
class _Direct:
    service_accounts: tuple[str, ...]
    groups: tuple[str, ...]  # nested groups' e-mails, lower case


def read_group_members(clients: GcpClients, collected: Collected) -> None:
    """Fills ``collected.group_members`` for every group bound in ``collected.policies``; the gaps,
    if any, go on ``GROUPS_SCOPE``."""
    bound = sorted(records.bound_groups(collected.policies.values()))
    if not bound:
        return
    direct: dict[str, _Direct | None] = {}
    frontier = bound
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        while frontier:
            room = max(0, MAX_GROUPS - len(direct))
            for email in frontier[room:]:
                too_many = f"not read: more than {MAX_GROUPS:,} groups"
                clients.gap(f"{_GROUP}{email}", "cloudidentity:groups.lookup", too_many)
                direct[email] = None
            frontier = frontier[:room]
            read = pool.map(lambda e: _direct_members(clients, e), frontier)
            for email, found in zip(frontier, read, strict=True):
                direct[email] = found
            nested = {group for found in direct.values() if found for group in found.groups}
            frontier = sorted(nested - set(direct))
    for email in bound:
        service_accounts = _transitive(email, direct)
        if service_accounts is not None:
            collected.group_members[email] = service_accounts
    _onto_one_scope(clients)


def _onto_one_scope(clients: GcpClients) -> None:
    """Each group's gaps, read on a scope of its own, onto ``GROUPS_SCOPE``, each naming its group."""
    for scope in sorted(scope for scope in clients.errors if scope.startswith(_GROUP)):
        for error in clients.errors.pop(scope):
            named = SourceError(call=error.call, message=f"{scope}: {error.message}"[:300], code=error.code)
            clients.errors.setdefault(GROUPS_SCOPE, []).append(named)


def _direct_members(clients: GcpClients, email: str) -> _Direct | None:
    scope = f"{_GROUP}{email}"
    found = clients.rest_object(
        scope, "cloudidentity:groups.lookup", "cloudidentity", f"/v1/groups:lookup?groupKey.id={quote(email, safe='@')}"
    )
    name = str((found or {}).get("name") or "")
    if not name.startswith("groups/"):
        if found is not None:
            clients.gap(scope, "cloudidentity:groups.lookup", "the lookup named no group")
        return None
    path = f"/v1/{quote(name, safe='/')}/memberships?view=FULL&pageSize={_PAGE}"
    listed = clients.rest_get(scope, "cloudidentity:groups.memberships.list", "cloudidentity", path)
    if listed is None:
        return None
    service_accounts: list[str] = []
    groups: list[str] = []
    for membership in listed:
        membership = membership if isinstance(membership, dict) else {}
        key = str((membership.get("preferredMemberKey") or {}).get("id") or "").lower()
        kind = str(membership.get("type") or "")
        if key and kind == "GROUP":
            groups.append(key)
        elif key and (kind == "SERVICE_ACCOUNT" or key.endswith(_SERVICE_ACCOUNT_DOMAIN)):
            service_accounts.append(key)
        elif not key or kind not in _LEAF_TYPES:  # may be a group, or a service account, not read as one
            unread = f"a member {key or '(without an id)'} of type {kind or 'not given'}"
            clients.gap(scope, "cloudidentity:groups.memberships.list", unread)
            return None
    return _Direct(tuple(service_accounts), tuple(groups))


def _transitive(email: str, direct: dict[str, _Direct | None]) -> list[str] | None:
    """Every service account in the group or a group nested in it, or None where one of them was not read."""
    found: set[str] = set()
    seen = {email}
    stack = [email]
    while stack:
        members = direct.get(stack.pop())
        if members is None:
            return None
        found.update(members.service_accounts)
        for group in members.groups:
            if group not in seen:
                seen.add(group)
                stack.append(group)
    return sorted(found)
