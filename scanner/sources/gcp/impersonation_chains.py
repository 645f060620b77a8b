"""People who act as a service account through other service accounts.

A person who may act as service account B, which may act as A (Token Creator, Service Account User
or another impersonating role bound on A, its project or above to ``serviceAccount:B``, or to a
``principalSet://…/type/ServiceAccount`` set holding B), may act as A: one call mints B's token, a
second A's. Each account's impersonators gain the people at the end of every such chain, once per
person and role, with ``via`` naming an account of the chain they act through. An account in a
chain whose own impersonators are not all known (outside the scan, a policy of it not read, people
bound to roles whose permissions were not read) leaves the people of that chain not all known:
``impersonated_through_unread`` names it. Google's service agents end a chain. An account bound
on A (or above it) to a role whose permissions were not read may or may not act as A: where
someone may act as it, or who may is not all known, the people of A are not all known either, and
the role is named in A's ``impersonation_roles_not_read``.

Who reaches each account is worked out once per strongly connected group of accounts (accounts
that may act as each other share everyone who may act as any of them), so an organisation where
hundreds of accounts may act as thousands costs a pass over the graph, not one per account.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scanner.model import Identity
from scanner.sources.gcp.records import is_service_agent

ACCOUNT_MEMBER = "serviceAccount:"
ACCOUNT_SET = "principalSet://cloudresourcemanager.googleapis.com/"
THROUGH_UNREAD = "impersonated_through_unread"
SET_NODE = "\x00"  # before a set's member: the node standing for its accounts (no account's e-mail)
Person = tuple[str, str]  # (member, role)
# an account's attributes naming what leaves the people who may act as it not all known
ROLES_NOT_READ = "impersonation_roles_not_read"
NOT_ALL_KNOWN = (ROLES_NOT_READ, "pool_policies_unread")


def add_people_through_accounts(
    identities: list[Identity],
    account_sets: Mapping[str, Iterable[str]],
    complete_sets: Container[str],
    bound_to_unread_roles: Mapping[str, list[dict[str, str]]] | None = None,
) -> None:
    """``account_sets``: the accounts read under each ``projects/NUMBER``, folder and organisation;
    ``complete_sets``: those of them that hold every account there is (a project whose accounts
    were listed); a set naming any other is a gap. ``bound_to_unread_roles``: by account (lower
    case), the members bound on it or above to roles whose permissions were not read (``member``
    and ``role``)."""
    accounts = {i.uid.lower(): i for i in identities if i.provider == "gcp" and i.kind == "service_account"}
    acting: dict[str, list[str]] = {}  # account -> the accounts that may act as it
    own_people: dict[str, dict[Person, dict[str, Any]]] = {}
    own_gaps: dict[str, set[str]] = {}
    for uid, identity in accounts.items():
        direct = identity.attributes.get("impersonators") or []
        own_people[uid] = {(str(e.get("member")), str(e.get("role"))): e for e in direct if e.get("human")}
        found, unnamed = _accounts_named(direct, account_sets, complete_sets)
        acting[uid] = sorted(found - {uid})
        attributes = identity.attributes
        if "attributes.impersonators" in identity.unknown or any(attributes.get(name) for name in NOT_ALL_KNOWN):
            unnamed.add(uid)  # who may act as it is not all known
        own_gaps[uid] = unnamed
    doubtful = _doubtful_links(accounts, bound_to_unread_roles or {}, acting, account_sets, complete_sets)
    named = {name for names in acting.values() for name in names}
    named |= {holder for links in doubtful.links.values() for holder, _ in links}
    for uid in named - acting.keys():
        acting[uid], own_people[uid] = [], {}
        own_gaps[uid] = set() if is_service_agent(uid, "") else {uid}  # outside the scan: not known
    for node in acting.keys() - own_people.keys():  # a set of accounts a doubtful link names
        own_people[node], own_gaps[node] = {}, set()
    for uid, roles in doubtful.always.items():
        _name_roles(accounts[uid], roles)
        own_gaps[uid].add(uid)
    reached = _reach(acting, own_people, own_gaps)
    doubted = _doubted(acting, doubtful.links, reached)
    if doubted:  # the gaps they leave reach further down the chains: worked out once more
        for uid, roles in doubted.items():
            _name_roles(accounts[uid], roles)
            own_gaps[uid].add(uid)
        reached = _reach(acting, own_people, own_gaps)
    binding_of: dict[Person, dict[str, Any]] = {}  # a binding naming each person (member, type, role)
    for bindings in own_people.values():
        for person, entry in bindings.items():
            binding_of.setdefault(person, entry)
    for uid, identity in accounts.items():
        direct_people = own_people[uid]
        added: dict[Person, dict[str, Any]] = {}
        unread: set[str] = set()
        taken: set[int] = set()  # the accounts of one component share what reaches them: read once
        for through in acting[uid]:
            if id(reached[through]) in taken:
                continue
            taken.add(id(reached[through]))
            people, gaps = reached[through]
            unread |= gaps
            for person in people:
                if person not in direct_people and person not in added:
                    added[person] = {**binding_of[person], "via": f"acts as {through}"}
        if added:
            identity.attributes.setdefault("impersonators", []).extend(added.values())
        unread |= own_gaps[uid]  # sets of accounts that may act as it, not read
        unread.discard(uid)  # its own gaps are already named on it
        if unread:
            identity.attributes[THROUGH_UNREAD] = sorted(unread)


@dataclass(slots=True)
class _Doubtful:
    """Who may act as an account through a role whose permissions were not read: by account, the
    accounts (or a node standing for a set of them) and the role (``links``), and the roles held
    by members whose reach is not known at all (``always``: a set of accounts not all read, a
    workload identity pool's principals)."""

    links: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    always: dict[str, set[str]] = field(default_factory=dict)


def _doubtful_links(
    accounts: Mapping[str, Identity],
    bound_to_unread_roles: Mapping[str, list[dict[str, str]]],
    acting: dict[str, list[str]],
    account_sets: Mapping[str, Iterable[str]],
    complete_sets: Container[str],
) -> _Doubtful:
    """The doubtful links of each account (see ``_Doubtful``). A set of accounts read whole is one
    node of ``acting``, holding its accounts, so an organisation's set bound above every account
    adds one link per account, not one per pair."""
    found = _Doubtful()
    for uid, entries in bound_to_unread_roles.items():
        for entry in entries:
            member, role = entry["member"], entry["role"]
            if member.startswith(ACCOUNT_MEMBER):
                holder = member[len(ACCOUNT_MEMBER) :].lower()
                if holder != uid:
                    found.links.setdefault(uid, []).append((holder, role))
            elif member.startswith(ACCOUNT_SET) and member.endswith("/type/ServiceAccount"):
                node = member[len(ACCOUNT_SET) : -len("/type/ServiceAccount")]
                if node not in complete_sets:
                    found.always.setdefault(uid, set()).add(role)
                    continue
                key = SET_NODE + member
                if key not in acting:
                    acting[key] = sorted({str(email).lower() for email in account_sets.get(node, ())})
                found.links.setdefault(uid, []).append((key, role))
            elif not member.startswith("deleted:"):  # a workload pool's principals: who they are is not read
                found.always.setdefault(uid, set()).add(role)
    return found


def _doubted(
    acting: Mapping[str, list[str]],
    links: Mapping[str, list[tuple[str, str]]],
    reached: Mapping[str, tuple[frozenset[Person], frozenset[str]]],
) -> dict[str, set[str]]:
    """By account, the roles of its doubtful links to an account someone may act as, or whose
    people are not all known, directly or through any chain of links of either kind: one walk
    back from the accounts with gaps and from those links, over the reversed links."""
    back: dict[str, list[str]] = {}
    for node, successors in acting.items():
        for successor in successors:
            back.setdefault(successor, []).append(node)
    for node, successors_and_roles in links.items():
        for successor, _ in successors_and_roles:
            back.setdefault(successor, []).append(node)
    gapped = {node for node, (_, gaps) in reached.items() if gaps}
    pending = list(gapped)
    with_people = _Reaching(acting, lambda node: bool(reached[node][0]))
    for node, successors_and_roles in links.items():
        if node not in gapped and any(with_people.other_than(node, s) for s, _ in successors_and_roles):
            gapped.add(node)
            pending.append(node)
    while pending:
        for before in back.get(pending.pop(), ()):
            if before not in gapped:
                gapped.add(before)
                pending.append(before)
    reaching = _Reaching(acting, lambda node: bool(reached[node][0]) or node in gapped)
    doubted: dict[str, set[str]] = {}
    for node, successors_and_roles in links.items():
        roles = {role for s, role in successors_and_roles if reaching.other_than(node, s)}
        if roles:
            doubted[node] = roles
    return doubted


class _Reaching:
    """Whether someone may act as an account (``holds``), or as an account of a set other than the
    one it is bound on (that one's people are its own already): a set's accounts that hold are
    listed once, so each of the accounts it is bound on is answered at once."""

    def __init__(self, acting: Mapping[str, list[str]], holds: Callable[[str], bool]) -> None:
        self._acting = acting
        self._holds = holds
        self._holding: dict[str, list[str]] = {}

    def other_than(self, account: str, node: str) -> bool:
        if not node.startswith(SET_NODE):
            return self._holds(node)
        if node not in self._holding:
            self._holding[node] = [member for member in self._acting[node] if self._holds(member)][:2]
        holding = self._holding[node]
        return len(holding) > 1 or (len(holding) == 1 and holding[0] != account)


def _name_roles(identity: Identity, roles: set[str]) -> None:
    attributes = identity.attributes
    attributes[ROLES_NOT_READ] = sorted({*attributes.get(ROLES_NOT_READ, []), *roles})


def _accounts_named(
    entries: list[dict[str, Any]], account_sets: Mapping[str, Iterable[str]], complete_sets: Container[str]
) -> tuple[set[str], set[str]]:
    """The accounts the entries' members name (lower case), and the sets of accounts not all read
    (each account read of such a set is named too)."""
    found: set[str] = set()
    gaps: set[str] = set()
    for entry in entries:
        member = str(entry.get("member", ""))
        if member.startswith(ACCOUNT_MEMBER):
            found.add(member[len(ACCOUNT_MEMBER) :].lower())
        elif member.startswith(ACCOUNT_SET) and member.endswith("/type/ServiceAccount"):
            node = member[len(ACCOUNT_SET) : -len("/type/ServiceAccount")]
            found.update(str(email).lower() for email in account_sets.get(node, ()))
            if node not in complete_sets:
                gaps.add(member)  # not every account of it was read
    return found, gaps


def _reach(
    acting: dict[str, list[str]], own_people: dict[str, dict[Person, dict[str, Any]]], own_gaps: dict[str, set[str]]
) -> dict[str, tuple[frozenset[Person], frozenset[str]]]:
    """For each account, the people who may act as it directly or through any chain, and the gaps
    on the way: one value (one tuple object) per strongly connected component (Tarjan's algorithm,
    iteratively), made from the components it reaches, which the algorithm finishes first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    reached: dict[str, tuple[frozenset[Person], frozenset[str]]] = {}
    for root in acting:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            successors = acting[node]
            if child < len(successors):
                work.append((node, child + 1))
                nxt = successors[child]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            for nxt in successors:  # every successor is done: take the lowest link of those on the stack
                if nxt in on_stack:
                    low[node] = min(low[node], low[nxt])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                inside = set(component)
                found: set[Person] = set()
                missing: set[str] = set()
                taken: set[int] = set()
                for member in component:
                    found.update(own_people[member])
                    missing |= own_gaps[member]
                    for nxt in acting[member]:
                        if nxt not in inside and id(reached[nxt]) not in taken:
                            taken.add(id(reached[nxt]))
                            found |= reached[nxt][0]
                            missing |= reached[nxt][1]
                shared = (frozenset(found), frozenset(missing))
                for member in component:
                    reached[member] = shared
    return reached
