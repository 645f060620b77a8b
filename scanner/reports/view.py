"""What the HTML and PDF reports show, derived from a ScanResult alone.

Summaries here are counts and rankings over findings the engine produced and records the scan
evaluated; nothing is re-evaluated. Every list meant for the PDF is cut to a fixed length, so the
executive report does not grow with the estate.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter, countOf

from scanner.frameworks import grade
from scanner.model import (
    SEVERITIES,
    SEVERITY_RANK,
    Agent,
    ControlSummary,
    Credential,
    Finding,
    Identity,
    Inventory,
    ScanResult,
)
from scanner.reports.tally import tally

PROVIDER_NAMES = {"aws": "AWS", "azure": "Azure", "gcp": "GCP", "manifest": "Manifests"}
AGE_BUCKETS = ((30, "up to 30 days"), (90, "31 to 90 days"), (180, "91 to 180 days"), (365, "181 to 365 days"))
OVER_A_YEAR, AGE_UNKNOWN = "over a year", "unknown"
_PLURALS = {
    "identity": "identities",
    "credential": "credentials",
    "grant": "grants",
    "agent": "agents",
    "log_source": "log sources",
    "account": "accounts",
}


def provider_name(provider: str) -> str:
    return PROVIDER_NAMES.get(provider, provider)


def days_between(earlier: datetime | None, later: datetime) -> int | None:
    return None if earlier is None else max(0, (later - earlier).days)


def failing_by_holder(result: ScanResult) -> Counter[str]:
    """Unwaived failures for each identity or agent, its credentials' and grants' included."""
    return tally(result).failing_per_holder()


@dataclass(slots=True)
class Risk:
    control: ControlSummary
    failing: int
    resources: list[str]
    owners: list[tuple[str, int]]  # the three owners of the most failing resources
    unowned: int
    other_owners: int = 0  # failing resources of the owners past those three
    owner_unread: int = 0  # failing resources whose owner the source did not read (not "no owner")

    @property
    def headline(self) -> str:
        noun = plural(self.failing, self.control.resource.replace("_", " "), _PLURALS.get(self.control.resource))
        return f"{noun} {'fails' if self.failing == 1 else 'fail'} “{self.control.title}”"


def top_risks(result: ScanResult, limit: int = 10) -> list[Risk]:
    """Controls with unwaived failures, worst first: severity, then how many resources fail."""
    counted = tally(result)
    controls = {c.id: c for c in result.controls}
    ranked = sorted(
        counted.failing_per_control().items(),
        key=lambda item: (-SEVERITY_RANK[controls[item[0]].severity], -item[1], item[0]),
    )
    # each chosen control's failures, and whom each is about
    chosen: dict[str, tuple[list[Finding], list[str]]] = {control_id: ([], []) for control_id, _ in ranked[:limit]}
    for control_id, start, end in counted.spans:
        found = chosen.get(control_id)
        if found is not None:
            found[0].extend(counted.failing[start:end])
            found[1].extend(counted.holders[start:end])
    # who answers for a finding: the owner recorded on the identity or agent it is about
    inventory = result.inventory
    holders_owned: list[Identity | Agent] = [] if inventory is None else [*inventory.identities, *inventory.agents]
    owner_of = {record.uid: record.owner for record in holders_owned}
    unread = {record.uid for record in holders_owned if record.unknown and "owner" in record.unknown}
    risks = []
    for control_id, (findings, holders) in chosen.items():
        owner_counts = Counter(owner_of.get(holder) for holder in holders if holder not in unread)
        unowned = owner_counts.pop(None, 0)
        owner_unread = len(holders) - owner_counts.total() - unowned  # never counted as having no owner
        named = [(name, count) for name, count in owner_counts.most_common() if name]
        risks.append(
            Risk(
                control=controls[control_id],
                failing=len(findings),
                resources=[f.resource.name or f.resource.uid for f in findings[:3]],
                owners=named[:3],
                unowned=unowned + sum(count for name, count in owner_counts.items() if not name),
                other_owners=sum(count for _, count in named[3:]),
                owner_unread=owner_unread,
            )
        )
    return risks


def failing_by_severity(findings: Iterable[Finding]) -> dict[str, int]:
    counts = Counter(f.severity for f in findings if f.status == "fail")
    return {severity: counts.get(severity, 0) for severity in SEVERITIES}


def credential_age(credential: Credential, as_of: datetime) -> int | None:
    if "created" in credential.unknown:
        return None
    return days_between(credential.created, as_of)


def age_bucket(age: int | None) -> str:
    if age is None:
        return AGE_UNKNOWN
    for limit, label in AGE_BUCKETS:
        if age <= limit:
            return label
    return OVER_A_YEAR


def credential_age_distribution(result: ScanResult) -> dict[str, dict[str, int]]:
    """Active credentials that someone must rotate (not provider-managed), by provider and age."""
    labels = [label for _, label in AGE_BUCKETS] + [OVER_A_YEAR, AGE_UNKNOWN]
    distribution: dict[str, dict[str, int]] = {}
    if result.inventory is None:
        return distribution
    holders: list[Identity | Agent] = [*result.inventory.identities, *result.inventory.agents]
    providers = {holder.uid: holder.provider for holder in holders}
    # age_bucket(credential_age(...)) written out: three calls per credential were most of the time
    as_of, limits = result.scan.as_of, [limit for limit, _ in AGE_BUCKETS]
    for credential in result.inventory.credentials:
        if not credential.active_at(as_of) or credential.managed_by_provider:
            continue
        provider = providers.get(credential.identity_uid or "", "no holder")
        row = distribution.get(provider)
        if row is None:
            row = distribution[provider] = dict.fromkeys(labels, 0)
        created = credential.created
        if created is None or "created" in credential.unknown:
            row[AGE_UNKNOWN] += 1
        else:  # the first bucket whose limit the age does not pass (a negative age is 0 days)
            row[labels[bisect_left(limits, (as_of - created).days)]] += 1
    return dict(sorted(distribution.items()))


@dataclass(slots=True)
class AgentRisk:
    agent: Agent
    runtime: Identity | None
    failing: dict[str, int]
    capabilities: list[str]
    tools: list[str]

    @property
    def worst(self) -> str | None:
        return next((s for s in SEVERITIES if self.failing.get(s)), None)


def tools_by_holder(inventory: Inventory) -> dict[str, list[str]]:
    """Each agent's tool names, sorted (the reported inventory's grants are the agents' tools)."""
    tools: dict[str, list[str]] = defaultdict(list)
    for grant in inventory.grants:
        tools[grant.identity_uid].append(grant.name)
    return {holder: sorted(names) for holder, names in tools.items()}


def agent_risks(result: ScanResult) -> list[AgentRisk]:
    """Every agent with the failures on itself, its tools, its runtime identity and that identity's
    credentials; agents with the worst failures first."""
    inventory = result.inventory
    if inventory is None:
        return []
    identities = {i.uid: i for i in inventory.identities}
    tools = tools_by_holder(inventory)
    counted = tally(result)
    risks = []
    for agent in inventory.agents:
        own, runtime = counted.failing_of(agent.uid), counted.failing_of(agent.runs_as or "")
        risks.append(
            AgentRisk(
                agent=agent,
                runtime=identities.get(agent.runs_as or ""),
                failing={s: own[s] + runtime[s] for s in SEVERITIES},
                capabilities=result.capabilities.get(agent.uid, []),
                tools=tools.get(agent.uid, []),
            )
        )
    risks.sort(key=lambda r: (*(-r.failing[s] for s in SEVERITIES), r.agent.name))
    return risks


@dataclass(slots=True)
class CoverageGap:
    area: str
    subject: str
    detail: str


LISTED_PER_AREA = 4  # data fields and controls listed one by one; the rest in one line each


def coverage_gaps(result: ScanResult, limit: int = 12) -> list[CoverageGap]:
    """What the scan could not assess, and why: unread sources, fields no source collected,
    controls that came out unknown, and framework items configuration cannot show."""
    gaps = []
    for source in result.scan.sources:
        if source.status != "complete":
            calls = ", ".join(sorted({e.call for e in source.errors})[:3]) or (source.notes or ["no detail"])[-1]
            gaps.append(CoverageGap("source", f"{source.name} {source.account}", f"{source.status}: {calls}"))
    fields = unknown_fields(result.inventory).most_common()
    for field_name, count in fields[:LISTED_PER_AREA]:
        gaps.append(CoverageGap("data", field_name, f"not collected for {count} records"))
    if len(fields) > LISTED_PER_AREA:
        rest = fields[LISTED_PER_AREA:]
        detail = f"not collected for {sum(n for _, n in rest)} records in all (results.json lists each record's)"
        gaps.append(CoverageGap("data", f"{plural(len(rest), 'more field')}", detail))
    unknown_controls = sorted(  # the most severe first: a critical control's gap outranks a larger low one
        (c for c in result.controls if c.counts.get("unknown")),
        key=lambda c: (-SEVERITY_RANK[c.severity], -c.counts.get("unknown", 0), c.id),
    )
    for control in unknown_controls[:LISTED_PER_AREA]:
        detail = f"{control.severity}: unknown for {control.counts['unknown']}"
        gaps.append(CoverageGap("control", f"{control.id} {control.title}", detail))
    if len(unknown_controls) > LISTED_PER_AREA:
        rest_controls = unknown_controls[LISTED_PER_AREA:]
        unknown = sum(c.counts["unknown"] for c in rest_controls)
        ids = _first_ids([c.id for c in rest_controls])
        gaps.append(CoverageGap("control", plural(len(rest_controls), "more control"), f"unknown for {unknown}: {ids}"))
    for framework in result.frameworks:
        items = [i for i in framework.items if i.status == "not_assessable"]
        if items:
            detail = (
                f"{plural(len(items), 'item')} not assessable from configuration: {_first_ids([i.id for i in items])}"
            )
            gaps.append(CoverageGap("framework", framework.name, detail))
    if len(gaps) > limit:  # the last line says what was left out, never a silent cut
        left_out = gaps[limit - 1 :]
        areas = ", ".join(sorted({gap.area for gap in left_out}))
        gaps = [
            *gaps[: limit - 1],
            CoverageGap("more", plural(len(left_out), "more gap"), f"{areas}: see results.json"),
        ]
    return gaps


def _first_ids(ids: list[str]) -> str:
    """The first six ids, and "…" when there are more."""
    return ", ".join(ids[:6]) + (" …" if len(ids) > 6 else "")


def unknown_fields(inventory: Inventory | None) -> Counter[str]:
    counts: Counter[str] = Counter()
    if inventory is None:
        return counts
    for label, records in (
        ("identity", inventory.identities),
        ("credential", inventory.credentials),
        ("agent", inventory.agents),
        ("log source", inventory.log_sources),
    ):
        for record in records:
            for name in record.unknown:
                counts[f"{label}.{name}"] += 1
    return counts


def headline(result: ScanResult) -> dict[str, object]:
    counted = tally(result)
    totals: Counter[str] = Counter()
    for control in result.controls:
        totals.update(control.counts)
    return {
        "score": result.score,
        "grade": grade(result.score),
        "failing": dict(counted.failing_by_severity),
        "findings": dict(counted.statuses),
        "results": dict(totals),
        "gate": result.gate,
        "duration_seconds": round((result.scan.finished - result.scan.started).total_seconds(), 1),
    }


def scope(result: ScanResult) -> list[tuple[str, int, list[str]]]:
    """Per provider: how many accounts (tenants, projects, repositories) and a few of their names."""
    if result.inventory is None:
        counts: Counter[str] = Counter(s.name for s in result.scan.sources)
        return [(provider_name(p), n, []) for p, n in sorted(counts.items())]
    by_provider: dict[str, list[str]] = defaultdict(list)
    for account in result.inventory.accounts:
        by_provider[account.provider].append(account.name or account.uid)
    return [(provider_name(p), len(names), sorted(names)[:4]) for p, names in sorted(by_provider.items())]


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 identity``, ``2 identities``, ``1,204 failing results``."""
    if count == 1:
        return f"1 {singular}"
    if plural_form is None:
        head, _, last = singular.rpartition(" ")
        last = _PLURALS.get(last) or (
            last[:-1] + "ies" if last.endswith("y") and last[-2:-1] not in "aeiou" else last + "s"
        )
        plural_form = f"{head} {last}" if head else last
    return f"{count:,} {plural_form}"


NOTHING_ASSESSED = (
    "Nothing was assessed: the sources held no identities, credentials or agents. "
    "Check the source paths and the scope; there is no score."
)
NOTHING_DECIDED = (
    "Nothing was assessed: no control could decide a pass or a failure of an identity, credential, "
    "grant or agent (every result is unknown, or none was in scope). Check the sources' completeness "
    "and the frameworks chosen; there is no score."
)


def gate_verdict(result: ScanResult) -> str:
    """The gate's outcome in one sentence, honest about a baseline (only new failures count), about
    an empty scan (nothing passed because nothing was there) and about a partial read (which fails
    the gate unless --allow-partial accepted it)."""
    gate = result.gate
    partial, accepted = _partial_read(gate)
    if gate.get("nothing_assessed"):
        estate = result.inventory
        found = estate is None or estate.holds_subjects()
        return partial + (NOTHING_DECIDED if found else NOTHING_ASSESSED) + accepted
    return partial + _findings_verdict(result) + accepted


def _partial_read(gate: dict[str, object]) -> tuple[str, str]:
    """What the verdict says before and after its findings about sources not read completely: the
    gate fails on them unless --allow-partial accepted them. A results file from before the gate
    recorded ``allow_partial`` says nothing (its verdict stands as it was written)."""
    incomplete = gate.get("incomplete_sources")
    if not incomplete or not isinstance(incomplete, list) or "allow_partial" not in gate:
        return "", ""
    names = ", ".join(map(str, incomplete[:3])) + (f" and {len(incomplete) - 3:,} more" if len(incomplete) > 3 else "")
    if gate["allow_partial"]:
        return "", f" {names} not read completely (accepted with --allow-partial)."
    return f"Incomplete: {names} not read completely, so the gate cannot pass (--allow-partial accepts it). ", ""


def _findings_verdict(result: ScanResult) -> str:
    gate = result.gate
    level = gate.get("fail_on", result.scan.fail_on)
    blocking = int(gate.get("blocking_findings", 0))
    threshold = SEVERITY_RANK.get(level)
    # counted straight from the findings: the verdict is also printed after the reports, once the
    # tally they shared is let go, and making it again for one number took 1.3 s at 100k identities
    if threshold is None:  # --fail-on none
        failing = countOf(map(_STATUS, result.findings), "fail")
        return f"The gate is off (fail on none); {plural(failing, 'unwaived failure')} in all."
    at_level = f"at or above {level} severity"
    if result.scan.baseline is None:
        if not blocking:
            return f"No unwaived failures {at_level}."
        return f"{plural(blocking, 'unwaived failure')} {at_level}."
    at_or_above = {severity for severity, rank in SEVERITY_RANK.items() if rank >= threshold}
    known = sum(
        1
        for status, new, severity in map(_STATUS_NEW_SEVERITY, result.findings)
        if status == "fail" and new is False and severity in at_or_above
    )
    new = "No new failures" if not blocking else plural(blocking, "new failure")
    why = _back_from_waivers(gate.get("waivers_lapsed"))
    remain = "remains" if known == 1 else "remain"
    return (
        f"{new} {at_level} since the baseline ({result.scan.baseline}){why}; {plural(known, 'known failure')} {remain}."
    )


_STATUS = attrgetter("status")
_STATUS_NEW_SEVERITY = attrgetter("status", "new", "severity")


def _back_from_waivers(lapsed: object) -> str:
    """Of the new failures, those the baseline had waived, by why they are not waived now (the
    gate's ``waivers_lapsed``): ``, 1 of them because its waiver expired and 2 because their waivers
    were removed``. Empty when none, or for results written before the gate recorded it."""
    if not isinstance(lapsed, dict):
        return ""
    expired, removed = (lapsed.get(key) for key in ("expired", "removed"))
    reasons = []
    if isinstance(expired, int) and expired > 0:
        reasons.append(f"{expired:,} of them because {'its waiver' if expired == 1 else 'their waivers'} expired")
    if isinstance(removed, int) and removed > 0:
        were = "its waiver was" if removed == 1 else "their waivers were"
        reasons.append(f"{removed:,} {'' if reasons else 'of them '}because {were} removed")
    return ", " + " and ".join(reasons) if reasons else ""


def results_line(result: ScanResult) -> str:
    """``346 failing results in 40 controls · 1,210 passing, 3 waived, 12 unknown · 48 controls evaluated``."""
    totals: Counter[str] = Counter()
    for control in result.controls:
        totals.update(control.counts)
    failing_controls = sum(1 for c in result.controls if c.counts.get("fail"))
    off, in_part = disabled_controls(result)
    return (
        f"{plural(totals['fail'], 'failing result')} in {plural(failing_controls, 'control')} · "
        f"{totals['pass']:,} passing, {totals['waived']:,} waived, {totals['unknown']:,} unknown · "
        f"{plural(len(result.controls), 'control')} evaluated"
        + (f", {len(off):,} disabled by the configuration ({_listed(off)})" if off else "")
        + (f", {len(in_part):,} disabled in part of the scan ({_listed(in_part)})" if in_part else "")
    )


def disabled_controls(result: ScanResult) -> tuple[list[str], list[str]]:
    """The controls the configuration turned off: those evaluated nowhere, and those turned off in
    part of the scan only (a merged group report, one shard's configuration) and evaluated in the rest."""
    evaluated = {control.id for control in result.controls}
    disabled = result.scan.disabled_controls or []
    return [c for c in disabled if c not in evaluated], [c for c in disabled if c in evaluated]


def _listed(ids: list[str], limit: int = 10) -> str:
    return ", ".join(ids[:limit]) + (f" and {len(ids) - limit:,} more" if len(ids) > limit else "")
