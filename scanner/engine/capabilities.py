"""Capability tags: what a grant lets its holder do, from a catalog that is data, not code.

The catalog (``controls/capabilities.yaml``) maps AWS actions, Azure role and action names, Graph
application permissions, GCP roles and permissions, and agent tool names to tags such as
``admin`` or ``secrets_read``. Controls speak in tags, never in raw action lists.

Patterns are shell-style globs, compared case-insensitively in both directions: the grant action
``iam:*`` carries every tag a catalog pattern such as ``iam:Put*Policy`` stands for, and the grant
action ``iam:PutUserPolicy`` carries it too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path

from scanner.arn_patterns import every_action_of_a_service, every_resource
from scanner.errors import InputError
from scanner.loading import validate
from scanner.model import Grant
from scanner.yaml_input import read_yaml

UNKNOWN_TOOL_TAG = "unknown"


@dataclass(frozen=True, slots=True)
class CapabilityRule:
    provider: str  # aws | azure | gcp | tool
    tags: tuple[str, ...]
    actions: tuple[str, ...] = ()  # globs over grant actions
    exact_actions: frozenset[str] = frozenset()  # compared literally: "*" is the action "*"
    data_actions: tuple[str, ...] = ()  # globs over an Azure grant's data actions (attributes.data_actions)
    names: tuple[str, ...] = ()  # globs over the grant's name (roles, app permissions, tools)


@dataclass(frozen=True, slots=True)
class Combination:
    """A tag implied when one identity's actions, taken together, cover every requirement listed:
    each requirement is met by any of its patterns (one operation written two ways)."""

    provider: str
    tag: str
    all_of: tuple[tuple[str, ...], ...]
    description: str = ""


@dataclass
class CapabilityCatalog:
    tags: dict[str, str]
    rules: list[CapabilityRule]
    combinations: list[Combination] = field(default_factory=list)
    # (provider, role name in lower case) -> the permissions the combinations look at that a predefined
    # role holds; its definition is not read, so its grant has no actions of its own
    role_permissions: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_provider: dict[str, list[CapabilityRule]] = {}
        for rule in self.rules:
            self._by_provider.setdefault(rule.provider, []).append(rule)
        self._grant_tags = lru_cache(maxsize=65536)(self._compute_grant_tags)
        self._allowed_cache: dict[tuple[str, tuple[str, ...]], tuple[str, ...]] = {}
        self._named_roles: dict[tuple[str, str], bool] = {}  # (provider, role name in lower case) -> a rule names it
        # identities share policies, so a large estate holds few distinct sets of actions
        self._combined_cache: dict[tuple[str, frozenset[str]], frozenset[str]] = {}

    def grant_tags(self, grant: Grant, provider: str, denied: tuple[str, ...] = ()) -> frozenset[str]:
        """Tags of an Allow grant; actions covered by one of the holder's unconditional Deny
        patterns (``denied``, lower case) are left out."""
        if grant.attributes.get("effect") == "Deny":
            return frozenset()
        rule_provider = "tool" if grant.kind == "tool" else provider
        extra = grant.attributes.get("tool_type", "") if grant.kind == "tool" else ""
        actions = self.effective_actions(grant, provider)
        if denied:
            actions = tuple(a for a in actions if not denied_whole(a, denied))
        # an MCP server's tool_type names what it runs (its package, image or URL's host); a cloud
        # agent's names a kind of tool (lambda, knowledge_base), which its name then describes
        runs = grant.kind == "tool" and ("package" in grant.attributes or "url" in grant.attributes)
        tags = self._grant_tags(rule_provider, grant.name, extra, actions, data_actions(grant), runs)
        if provider == "aws" and _all_but_some_actions(grant, denied) and "*" not in denied:
            tags |= {"admin"}
        if "admin" in tags:  # the resources are looked at only where they can take the tag away
            if provider == "aws" and grant.resources and not any(map(every_resource, grant.resources)):
                tags -= {"admin"}  # "*" on named AWS resources only is broad, but not administration
            if provider == "azure" and grant.resources and not any(_azure_wide_scope(r) for r in grant.resources):
                tags -= {"admin"}  # Owner of a resource group or resource administers that, not the subscription
        if grant.capabilities:  # declared in a manifest: what the tool reaches is then known
            return (tags - {UNKNOWN_TOOL_TAG}) | frozenset(grant.capabilities)
        return tags

    def judged_by_name(self, grant: Grant, provider: str) -> bool:
        """An Azure built-in role (``attributes.built_in``) that a rule of the catalog names. The
        name's tags hold at least what the role's published permissions carry
        (tests/test_azure_named_roles.py), so they stand in for permissions that were not read; where
        they were, the role carries both, and its actions join the holder's other grants'."""
        if provider != "azure" or grant.kind != "role" or grant.attributes.get("built_in") is not True:
            return False
        return self._named(provider, grant.name)

    def unjudged_role(self, grant: Grant, provider: str) -> bool:
        """A GCP predefined role (``roles/…``), listed without its permissions as the GCP source
        lists them, that no rule names (``role_permissions`` lists only what the combinations look
        at), or an Entra directory role or Graph application permission no rule names (the
        catalog names the privileged ones it knows; Microsoft adds more): what it allows was judged
        by nobody, so its holder's privileges are unknown (as a tool's reach the catalog does not
        know)."""
        if grant.actions:
            return False
        if provider == "gcp":
            listed = grant.kind == "role" and grant.name.startswith("roles/")
        elif provider == "azure":
            listed = _privileged_unless_judged(grant)
            if listed and grant.attributes.get("built_in") is False:  # a custom role: its name says nothing
                return True
        else:
            return False
        return listed and not self._named(provider, grant.name)

    def _named(self, provider: str, role: str) -> bool:
        """Whether a rule of the provider names the role."""
        key = (provider, role.lower())
        named = self._named_roles.get(key)
        if named is None:
            rules = self._by_provider.get(provider, ())
            named = self._named_roles[key] = any(fnmatchcase(key[1], p) for rule in rules for p in rule.names)
        return named

    def effective_actions(self, grant: Grant, provider: str) -> tuple[str, ...]:
        """The grant's actions; for a role listed without them, the permissions ``role_permissions``
        says it holds; for an Allow with NotAction (``attributes.not_actions``: everything but those),
        every catalog pattern of the provider that the exclusions do not cover."""
        actions = tuple(grant.actions)
        if not actions and grant.kind == "role" and self.role_permissions:
            actions = self.role_permissions.get((provider, grant.name.lower()), ())
        not_actions = grant.attributes.get("not_actions")
        if not not_actions:
            return actions
        return actions + self._allowed_patterns(provider, tuple(sorted(a.lower() for a in not_actions)))

    def _allowed_patterns(self, provider: str, not_actions: tuple[str, ...]) -> tuple[str, ...]:
        cached = self._allowed_cache.get((provider, not_actions))
        if cached is None:
            patterns = {p for rule in self._by_provider.get(provider, ()) for p in rule.actions}
            patterns |= {
                p
                for combo in self.combinations
                if combo.provider == provider
                for either in combo.all_of
                for p in either
            }
            cached = tuple(sorted(p for p in patterns if not any(fnmatchcase(p, n) for n in not_actions)))
            self._allowed_cache[(provider, not_actions)] = cached
        return cached

    def combined_tags(self, provider: str, actions: set[str]) -> frozenset[str]:
        """Tags implied by an identity's actions taken together (escalation combinations)."""
        key = (provider, frozenset(actions))
        cached = self._combined_cache.get(key)
        if cached is None:
            cached = self._combined_cache[key] = self._compute_combined_tags(provider, actions)
        return cached

    def _compute_combined_tags(self, provider: str, actions: set[str]) -> frozenset[str]:
        found = set()
        for combo in self.combinations:
            if combo.provider == provider and all(
                any(_overlaps(action, pattern) for action in actions for pattern in either) for either in combo.all_of
            ):
                found.add(combo.tag)
        return frozenset(found)

    def _compute_grant_tags(
        self,
        provider: str,
        name: str,
        tool_type: str,
        actions: tuple[str, ...],
        on_data: tuple[str, ...] = (),
        type_names_what_runs: bool = False,
    ) -> frozenset[str]:
        tags: set[str] = set()
        lowered_actions = [action.lower() for action in actions]
        lowered_data = [action.lower() for action in on_data]
        candidates = [name.lower()] + ([tool_type.lower()] if tool_type else [])
        type_known = False
        for rule in self._by_provider.get(provider, ()):
            if (
                any(a in rule.exact_actions for a in lowered_actions)
                or any(_overlaps(a, p) for a in lowered_actions for p in rule.actions)
                or any(_overlaps(a, p) for a in lowered_data for p in rule.data_actions)
                or any(fnmatchcase(candidate, pattern) for candidate in candidates for pattern in rule.names)
            ):
                tags.update(rule.tags)
                type_known = type_known or any(fnmatchcase(tool_type.lower(), p) for p in rule.names)
        # a tool's name is its user's word for it (an MCP server's key): where what it runs (its
        # package, image or URL's host) is known to no rule, the name alone does not make it known
        if provider == "tool" and (not tags or (type_names_what_runs and tool_type and not type_known)):
            tags.add(UNKNOWN_TOOL_TAG)
        return frozenset(tags)


def data_actions(grant: Grant) -> tuple[str, ...]:
    """An Azure role's data actions (``attributes.data_actions``). They are matched only against a
    rule's ``data_actions``: ``*`` there is every operation on data (a cluster's own access among
    them), never managing an Azure Resource Manager resource or an Azure role assignment, so it
    carries no administration nor any tag of the control plane's actions."""
    held = grant.attributes.get("data_actions")
    if not isinstance(held, list):
        return ()
    return tuple(action for action in held if isinstance(action, str))


def _privileged_unless_judged(grant: Grant) -> bool:
    """An Entra grant that may be privileged where no rule says what it is: a directory role, or a
    Microsoft Graph application permission, that does not only read (a reader role, a ``.Read``
    permission: neither writes the directory nor escalates). An application's own API roles, and
    Azure roles scoped to resources, are not directory grants."""
    name = grant.name.lower()
    if grant.kind == "app_permission":
        graph = any(str(resource).lower() == "microsoft graph" for resource in grant.resources)
        return graph and not name.endswith((".read", ".read.all", ".readbasic.all"))
    reader = name.endswith(("reader", "readers")) and grant.attributes.get("built_in") is not False
    return grant.kind == "role" and _directory_scoped(grant.resources) and not reader


# a directory role's scope below the directory: an administrative unit, or one object (an
# application or service principal: its Application Administrator adds credentials to it)
_DIRECTORY_SCOPE = re.compile(r"^/(?:administrativeUnits/.+|[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12})$")


def _directory_scoped(resources: list[str]) -> bool:
    """An Entra directory role's scopes: the directory (``/``), its administrative units or one of
    its objects, never an Azure Resource Manager scope (``/subscriptions/…``, ``/providers/…``)."""
    return bool(resources) and all(r == "/" or _DIRECTORY_SCOPE.match(r) is not None for r in resources)


def _azure_wide_scope(scope: str) -> bool:
    """The tenant root, a management group or a whole subscription (not a resource group below it)."""
    parts = [part.lower() for part in scope.strip("/").split("/") if part]
    if not parts or scope == "*":
        return True
    if parts[:3] == ["providers", "microsoft.management", "managementgroups"]:
        return len(parts) <= 4
    return parts[0] == "subscriptions" and len(parts) <= 2


def denied_whole(action: str, denied: tuple[str, ...]) -> bool:
    """Whether the Deny patterns ``denied`` (lower case) take away every action ``action`` names:
    a literal action one of them matches, or a pattern (``iam:*``) one of them holds whole (``*``,
    ``iam:*``, ``iam:put*`` of ``iam:putrolepolicy*``). Matching the pattern's text as if it were an
    action would read a Deny of ``iam:?`` as taking ``iam:*`` away."""
    action = action.lower()
    if "*" not in action and "?" not in action:
        return any(fnmatchcase(action, d) for d in denied)
    return any(d == action or _holds(d, action) for d in denied)


def _holds(deny: str, pattern: str) -> bool:
    """Whether a Deny pattern that ends in its one ``*`` covers every action of ``pattern``."""
    head = deny[:-1]
    return deny.endswith("*") and "*" not in head and "?" not in head and pattern.startswith(head)


def _all_but_some_actions(grant: Grant, denied: tuple[str, ...] = ()) -> bool:
    """An Allow with NotAction that leaves every service some of its actions (it excludes no whole
    service), or that leaves every IAM action (everything but billing, everything but S3: IAM
    grants the rest back, unless the holder's unconditional Deny, ``denied``, takes IAM away):
    as good as ``*``. The catalog's patterns it does not exclude never include ``*``, the
    administrator's one action, so it never carried ``admin``. One that excludes whole services,
    IAM among them (PowerUserAccess: everything but IAM and Organizations), is judged by what it
    leaves."""
    not_actions = grant.attributes.get("not_actions")
    if not not_actions or not isinstance(not_actions, list):
        return False
    excluded = [n for n in not_actions if isinstance(n, str)]
    if not any(every_action_of_a_service(n) for n in excluded):
        return True
    # a Deny of some IAM actions leaves the rest to grant it all back: only one of IAM whole counts
    taken = [d for d in denied if every_action_of_a_service(d)]
    return not any(map(_may_name_iam, [*excluded, *taken]))


def _may_name_iam(action: str) -> bool:
    """Whether an action pattern can name an IAM action (``iam:…``, ``i*:…``, ``*``)."""
    service, colon, _ = action.lower().partition(":")
    return fnmatchcase("iam", service) if colon else "*" in service or "?" in service


def _overlaps(action: str, pattern: str) -> bool:
    """Whether a grant action (maybe a glob itself) and a catalog pattern can name the same action."""
    action = action.lower()
    return fnmatchcase(action, pattern) or (("*" in action or "?" in action) and fnmatchcase(pattern, action))


def load_capability_catalog(path: Path) -> CapabilityCatalog:
    data, node = read_yaml(path)
    validate(data, "capabilities", path, node)
    tags: dict[str, str] = data["tags"]
    rules = []
    for index, raw in enumerate(data["rules"]):
        unknown = sorted(set(raw["tags"]) - tags.keys())
        if unknown:
            raise InputError(f"rule {index} uses undeclared tag(s) {', '.join(unknown)}", str(path))
        rules.append(
            CapabilityRule(
                provider=raw["provider"],
                tags=tuple(raw["tags"]),
                actions=tuple(p.lower() for p in raw.get("actions", ())),
                exact_actions=frozenset(p.lower() for p in raw.get("exact_actions", ())),
                data_actions=tuple(p.lower() for p in raw.get("data_actions", ())),
                names=tuple(p.lower() for p in raw.get("names", ())),
            )
        )
    combinations = []
    for raw in data.get("combinations", []):
        if raw["tag"] not in tags:
            raise InputError(f"combination uses undeclared tag {raw['tag']}", str(path))
        combinations.append(
            Combination(
                provider=raw["provider"],
                tag=raw["tag"],
                all_of=tuple(
                    tuple(p.lower() for p in ([one] if isinstance(one, str) else one)) for one in raw["all_of"]
                ),
                description=raw.get("description", ""),
            )
        )
    role_permissions = {
        (raw["provider"], raw["role"].lower()): tuple(p.lower() for p in raw["permissions"])
        for raw in data.get("role_permissions", [])
    }
    return CapabilityCatalog(tags=tags, rules=rules, combinations=combinations, role_permissions=role_permissions)
