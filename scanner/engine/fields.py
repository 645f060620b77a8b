"""The fields and relations a control may name, per resource type.

Each field is an accessor ``(record, ctx) -> value``. A value the source could not collect is
``UNKNOWN``; conditions turn it into an unknown result rather than a pass or a fail. Naming a
field or relation that is not listed here is a load error for the control.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from scanner.engine.classification import HUMAN, UNCLASSIFIED
from scanner.engine.context import EvalContext


class _Unknown:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()

Accessor = Callable[[Any, EvalContext], Any]


def _attr(name: str) -> Accessor:
    def get(record: Any, ctx: EvalContext) -> Any:
        if record.unknown and name in record.unknown:
            return UNKNOWN
        return getattr(record, name)

    get.attribute = name  # type: ignore[attr-defined]  # lets the compiler inline plain attributes
    return get


def plain_attribute(accessor: Accessor) -> str | None:
    """The record attribute an accessor reads directly, or None for derived and dotted fields."""
    return getattr(accessor, "attribute", None)


def _days_since(name: str) -> Accessor:
    """Whole days from the timestamp ``name`` to the evaluation time (None if never set)."""

    def get(record: Any, ctx: EvalContext) -> Any:
        if record.unknown and name in record.unknown:
            return UNKNOWN
        value: datetime | None = getattr(record, name)
        return None if value is None else (ctx.as_of - value).days

    return get


def _days_to_expiry(record: Any, ctx: EvalContext) -> Any:
    if record.unknown and "expires" in record.unknown:
        return UNKNOWN
    return None if record.expires is None else (record.expires - ctx.as_of).days


def _validity_days(record: Any, ctx: EvalContext) -> Any:
    if record.unknown and ("expires" in record.unknown or "created" in record.unknown):
        return UNKNOWN
    if record.expires is None or record.created is None:
        return None
    return (record.expires - record.created).days


def _rotation_age(record: Any, ctx: EvalContext) -> Any:
    """Days since the secret material last changed: last rotation, else creation."""
    if record.unknown and ("created" in record.unknown or "last_rotated" in record.unknown):
        return UNKNOWN
    changed = record.last_rotated or record.created
    return None if changed is None else (ctx.as_of - changed).days


def _dotted(root: str, path: tuple[str, ...]) -> Accessor:
    full = ".".join((root, *path))

    def get(record: Any, ctx: EvalContext) -> Any:
        if record.unknown and (root in record.unknown or full in record.unknown):
            return UNKNOWN
        value: Any = getattr(record, root)
        for step in path:
            if not isinstance(value, dict):
                return None
            value = value.get(step)
        return value

    return get


def _account_environment(record: Any, ctx: EvalContext) -> Any:
    account = ctx.accounts.get(record.account)
    return None if account is None else account.environment


def _consumer_count(record: Any, ctx: EvalContext) -> Any:
    workloads = record.attributes.get("workloads") or []
    return len(ctx.agents_by_runtime.get(record.uid, ())) + len(workloads)


def _capabilities_added(agent: Any, ctx: EvalContext) -> Any:
    """Tags the agent holds now that it did not hold in the --baseline scan."""
    if ctx.baseline_reach is None or agent.uid not in ctx.baseline_reach:
        return UNKNOWN
    if agent.runs_as and agent.runs_as not in ctx.identities:
        return UNKNOWN
    return sorted(ctx.agent_tags(agent) - ctx.baseline_reach[agent.uid])


def _human(record: Any, ctx: EvalContext) -> Any:
    """True for a person's identity, False for a workload's, unknown where the evidence cannot tell."""
    kind = ctx.classification(record).kind
    return UNKNOWN if kind == UNCLASSIFIED else kind == HUMAN


_COMMON = {name: _attr(name) for name in ("uid", "name", "provider", "account", "kind")}

FIELDS: dict[str, dict[str, Accessor]] = {
    "identity": {
        **_COMMON,
        **{name: _attr(name) for name in ("owner", "created", "last_used", "interactive")},
        "age_days": _days_since("created"),
        "days_since_used": _days_since("last_used"),
        "capabilities": lambda r, ctx: ctx.identity_tags(r),
        "account_environment": _account_environment,
        "consumer_count": _consumer_count,
        "classification": lambda r, ctx: ctx.classification(r).kind,
        "classification_reason": lambda r, ctx: ctx.classification(r).reason,
        "human": _human,
    },
    "credential": {
        **{
            name: _attr(name)
            for name in (
                "uid",
                "identity_uid",
                "kind",
                "created",
                "expires",
                "last_used",
                "last_rotated",
                "active",
                "managed_by_provider",
            )
        },
        "age_days": _days_since("created"),
        "days_since_used": _days_since("last_used"),
        "days_since_rotated": _rotation_age,
        "days_to_expiry": _days_to_expiry,
        "validity_days": _validity_days,
    },
    "grant": {
        **{name: _attr(name) for name in ("uid", "identity_uid", "kind", "name", "actions", "resources", "source")},
        "capabilities": lambda r, ctx: ctx.grant_tags(r),
        "wildcard_action": lambda r, ctx: any(a == "*" or a.endswith(":*") for a in r.actions),
        "wildcard_resource": lambda r, ctx: "*" in r.resources,
    },
    "agent": {
        **_COMMON,
        **{
            name: _attr(name)
            for name in (
                "owner",
                "runs_as",
                "platform",
                "guardrail",
                "human_approval",
                "memory_enabled",
                "memory_retention_days",
                "created",
            )
        },
        "age_days": _days_since("created"),
        "capabilities": lambda r, ctx: UNKNOWN if r.runs_as and r.runs_as not in ctx.identities else ctx.agent_tags(r),
        "in_baseline": lambda r, ctx: ctx.baseline_reach is not None and r.uid in ctx.baseline_reach,
        "capabilities_added": _capabilities_added,
    },
    "log_source": {
        **_COMMON,
        **{name: _attr(name) for name in ("scope", "enabled", "covers", "retention_days")},
    },
    "account": {
        **{name: _attr(name) for name in ("uid", "name", "provider", "kind", "parent", "environment")},
        "collection_status": lambda r, ctx: ctx.status_of_account(r.uid),
    },
    # Trust entries of an identity, as sources record them in attributes.trust.
    "trust": {
        name: (lambda key: lambda r, ctx: r.get(key))(name)
        for name in ("principal", "principal_type", "account", "external", "conditions", "provider", "subject")
    },
}

DOTTED_ROOTS = {
    "identity": ("tags", "attributes"),
    "credential": ("attributes",),
    "grant": ("attributes",),
    "agent": ("tags", "attributes"),
    "log_source": ("attributes",),
    "account": ("tags", "attributes"),
    "trust": (),
}


def field_accessor(resource_type: str, name: str) -> Accessor | None:
    accessor = FIELDS[resource_type].get(name)
    if accessor is not None:
        return accessor
    root, _, rest = name.partition(".")
    if rest and root in DOTTED_ROOTS[resource_type]:
        return _dotted(root, tuple(rest.split(".")))
    return None


# ---------------------------------------------------------------------- relations

Relation = Callable[[Any, EvalContext], Any]  # returns a list of records, or UNKNOWN


def _unless_unknown(name: str, resolve: Relation) -> Relation:
    def get(record: Any, ctx: EvalContext) -> Any:
        if record.unknown and name in record.unknown:
            return UNKNOWN
        return resolve(record, ctx)

    return get


def _runtime_identity(agent: Any, ctx: EvalContext) -> Any:
    """The agent's runtime identity; UNKNOWN when it names one this scan did not collect."""
    if not agent.runs_as:
        return []
    identity = ctx.identities.get(agent.runs_as)
    return UNKNOWN if identity is None else [identity]


def _runtime_grants(agent: Any, ctx: EvalContext) -> Any:
    if not agent.runs_as:
        return []
    if agent.runs_as not in ctx.identities:
        return UNKNOWN
    return ctx.grants_by_holder.get(agent.runs_as, [])


def _runtime_credentials(agent: Any, ctx: EvalContext) -> Any:
    if not agent.runs_as:
        return []
    if agent.runs_as not in ctx.identities:
        return UNKNOWN
    return ctx.credentials_by_holder.get(agent.runs_as, [])


def _reach(agent: Any, ctx: EvalContext) -> Any:
    runtime = _runtime_grants(agent, ctx)
    return UNKNOWN if runtime is UNKNOWN else _tools(agent, ctx) + runtime


def _tools(agent: Any, ctx: EvalContext) -> list[Any]:
    return [g for g in ctx.grants_by_holder.get(agent.uid, ()) if g.kind == "tool"]


def _trusted_accounts(identity: Any, ctx: EvalContext) -> list[Any]:
    seen: dict[str, Any] = {}
    for entry in identity.attributes.get("trust") or ():
        account = entry.get("account")
        if account and account != identity.account and account not in seen:
            seen[account] = ctx.account_record(account, identity.provider)
    return list(seen.values())


def _holder(grant_or_credential: Any, ctx: EvalContext) -> list[Any]:
    identity = ctx.identities.get(grant_or_credential.identity_uid or "")
    return [] if identity is None else [identity]


# relation name -> (target resource type, resolver)
RELATIONS: dict[str, dict[str, tuple[str, Relation]]] = {
    "identity": {
        "credentials": ("credential", lambda r, ctx: ctx.credentials_by_holder.get(r.uid, [])),
        "grants": ("grant", lambda r, ctx: ctx.grants_by_holder.get(r.uid, [])),
        "agents": ("agent", lambda r, ctx: ctx.agents_by_runtime.get(r.uid, [])),
        "trust": ("trust", lambda r, ctx: r.attributes.get("trust") or []),
        "trusted_accounts": ("account", _trusted_accounts),
    },
    "credential": {"identity": ("identity", _holder)},
    "grant": {"identity": ("identity", _holder)},
    "agent": {
        "runtime_identity": ("identity", _runtime_identity),
        "tools": ("grant", _tools),
        "runtime_grants": ("grant", _runtime_grants),
        "reach": ("grant", _reach),
        "credentials": ("credential", lambda r, ctx: ctx.credentials_by_holder.get(r.uid, [])),
        "runtime_credentials": ("credential", _runtime_credentials),
    },
    "log_source": {"account": ("account", lambda r, ctx: [ctx.account_record(r.account, r.provider)])},
    "account": {
        "identities": ("identity", lambda r, ctx: ctx.identities_by_account.get(r.uid, [])),
        "agents": ("agent", lambda r, ctx: ctx.agents_by_account.get(r.uid, [])),
        "log_sources": ("log_source", lambda r, ctx: ctx.log_sources_by_account.get(r.uid, [])),
    },
    "trust": {},
}


def relation(resource_type: str, name: str) -> tuple[str, Relation] | None:
    found = RELATIONS[resource_type].get(name)
    if found is None:
        return None
    target, resolve = found
    return target, _unless_unknown(name, resolve)
