"""Drift between two scans: what appeared, what went away, whose reach changed, which failures are
new, which were resolved and which the newer scan no longer assessed. Both sides are results files
(schema 1.1 carries the inventory; older files give findings and scores only).

A failure of the older scan is resolved only when the newer scan judged that resource for that
control and it passed (passes are not listed: it is not among the newer scan's findings), or the
resource is gone from a source the newer scan read completely, and from a part of its account the
newer scan read (``unread_parts``: not its account's agents left unknown, nor a region it did not
read). A failure whose result is now unknown, whose control the newer scan did not evaluate or
judged by another definition (other parameters, another condition), or whose account or source the
newer scan did not read completely (partial, failed, or not read at all) is no longer assessed:
listed apart, never counted as resolved.

The mirror holds for the newer scan's failures and records: a failure is new only where the older
scan judged that resource for that control (it passed or was waived, or the resource was absent
from what the older scan read completely); one the older scan did not judge is newly assessed, and
a record absent from a source the older scan did not read completely is not seen before, never
"added"."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, KeysView, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scanner.fingerprints import fingerprinter
from scanner.model import (
    SEVERITY_RANK,
    SOURCE_PROVIDERS,
    ControlSummary,
    Finding,
    Inventory,
    ScanResult,
    SourceStatus,
    is_stand_in,
)
from scanner.results_io import check_controls_listed, check_counts_held, checked_document, model_from
from scanner.secrets_held import on_plaintext_secrets, secrets_held
from scanner.source_gaps import GapIndex
from scanner.unread_parts import UnreadIndex, UnreadParts, unread_parts

if TYPE_CHECKING:
    from scanner.results_file import FailingOfFile


@dataclass(slots=True)
class RecordChange:
    uid: str
    type: str  # identity | credential | grant | agent
    kind: str
    name: str
    provider: str


@dataclass(frozen=True, slots=True)
class SecretsHeld:
    """The plaintext secrets a scan found, by holder uid (their fingerprints: scanner.secrets_held),
    and the identities and agents whose credentials it did not read completely
    (they may have held more)."""

    held: Mapping[str, frozenset[str]]
    not_read: frozenset[str] = frozenset()


def secrets_of_inventory(inventory: Inventory) -> SecretsHeld:
    not_read = {i.uid for i in inventory.identities if "credentials" in i.unknown}
    not_read.update(a.uid for a in inventory.agents if "credentials" in a.unknown)
    return SecretsHeld(secrets_held(inventory.credentials), frozenset(not_read))


@dataclass(slots=True)
class ReachChange:
    uid: str
    type: str  # identity | agent
    name: str
    added: list[str]
    removed: list[str]


@dataclass(frozen=True, slots=True)
class SourceRead:
    """One source a scan read (``aws:111122223333``) and how: complete, partial, failed, or (for a
    source the older scan read and the newer one did not) ``not read``."""

    name: str
    account: str
    status: str

    @property
    def label(self) -> str:
        return f"{self.name}:{self.account}"


@dataclass(slots=True)
class Unassessed:
    """A failure of the older scan that the newer scan did not judge. ``reason``: ``unknown`` (its
    result is unknown now, and no source read incompletely holds it), ``control_not_evaluated``,
    ``control_changed`` (the newer scan judged its control by another definition: other parameters,
    another condition), or
    ``source_incomplete`` (``source`` names the source not read completely that holds its resource,
    whether the newer scan lists its result as unknown or not at all), or ``part_not_read`` (the
    newer scan lists it not at all, and read completely every source, but not the part of the account
    its resource is in: ``detail`` says which, see ``unread_parts``)."""

    finding: Finding
    reason: str
    source: SourceRead | None = None
    detail: str | None = None


@dataclass(slots=True)
class Drift:
    old_scan: str
    new_scan: str
    old_score: float | None
    new_score: float | None
    inventory_compared: bool
    added: list[RecordChange] = field(default_factory=list)
    removed: list[RecordChange] = field(default_factory=list)
    # absent from the newer scan, which did not read completely a source of their provider: not removed
    not_seen: list[RecordChange] = field(default_factory=list)
    # absent from the older scan, which did not read completely a source of their provider: not added
    not_seen_before: list[RecordChange] = field(default_factory=list)
    reach: list[ReachChange] = field(default_factory=list)
    new_failures: list[Finding] = field(default_factory=list)
    resolved_failures: list[Finding] = field(default_factory=list)
    newly_waived: list[Finding] = field(default_factory=list)  # failed before, waived now: not resolved
    no_longer_assessed: list[Unassessed] = field(default_factory=list)  # failed before, not judged now
    newly_assessed: list[Unassessed] = field(default_factory=list)  # failing now, not judged before
    incomplete_sources: list[SourceRead] = field(default_factory=list)  # of the newer scan
    # of the new failures, those failing before too, on a resource that holds a plaintext secret now
    # that it did not hold then (a token replaced or added): a new exposure, as a --baseline gate has it
    secret_not_held_before: set[str] = field(default_factory=set)

    def new_failures_at_or_above(self, level: str) -> list[Finding]:
        threshold = SEVERITY_RANK.get(level, 99)
        return [f for f in self.new_failures if SEVERITY_RANK[f.severity] >= threshold]

    def newly_assessed_at_or_above(self, level: str) -> list[Finding]:
        """Failures the older scan did not judge: not known to be new, nor known to be old."""
        threshold = SEVERITY_RANK.get(level, 99)
        return [u.finding for u in self.newly_assessed if SEVERITY_RANK[u.finding.severity] >= threshold]


class Records(Mapping[str, RecordChange]):
    """Records by uid, each kept as a tuple (type, kind, name, provider): a record becomes a
    RecordChange only when a diff reports it (an estate holds hundreds of thousands)."""

    def __init__(self, rows: dict[str, tuple[str, str, str, str]]) -> None:
        self.rows = rows

    def __getitem__(self, uid: str) -> RecordChange:
        return RecordChange(uid, *self.rows[uid])

    def __iter__(self) -> Iterator[str]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __contains__(self, uid: object) -> bool:
        return uid in self.rows

    def keys(self) -> KeysView[str]:  # the dict's own: set operations on 100,000s of uids run in C
        return self.rows.keys()


def _records(inventory: Inventory) -> Records:
    found: dict[str, tuple[str, str, str, str]] = {}
    for identity in inventory.identities:
        if not is_stand_in(identity):  # a shard's stand-in is the record of the shard reading it whole
            found[identity.uid] = ("identity", identity.kind, identity.name, identity.provider)
    for agent in inventory.agents:
        found[agent.uid] = ("agent", agent.platform or "agent", agent.name, agent.provider)
    holders = {**{i.uid: i.provider for i in inventory.identities}, **{a.uid: a.provider for a in inventory.agents}}
    for credential in inventory.credentials:
        label = str(credential.attributes.get("display_id") or credential.kind)
        provider = holders.get(credential.identity_uid or "", str(credential.attributes.get("provider", "")))
        found[credential.uid] = ("credential", credential.kind, label, provider)
    for grant in inventory.grants:
        found[grant.uid] = ("grant", grant.kind, grant.name, holders.get(grant.identity_uid, ""))
    return Records(found)


def records_and_names(inventory: Inventory | None) -> tuple[Records | None, dict[str, tuple[str, str]]]:
    """What a diff compares of an inventory: its records by uid, and the names of its identities
    and agents."""
    return (None, {}) if inventory is None else (_records(inventory), _names(inventory))


def _names(inventory: Inventory) -> dict[str, tuple[str, str]]:
    names = {i.uid: ("identity", i.name) for i in inventory.identities}
    names.update({a.uid: ("agent", a.name) for a in inventory.agents})
    return names


@dataclass(slots=True)
class Side:
    """What a diff reads of one scan. ``failing`` and ``waived`` are the fingerprints of its failing
    and waived findings; ``findings`` turns fingerprints of either into Findings (in the order
    asked), asked only for the few that changed (a stored 100,000-identity scan holds close to a
    million). A part that carries ``stored`` (its bytes as a history stored them) is unchanged
    from another carrying the same bytes, which the diff then need not read."""

    scan_id: str
    score: float | None
    records: Mapping[str, RecordChange] | None  # None: the scan carries no inventory (results before 1.1)
    names: Mapping[str, tuple[str, str]]
    capabilities: Mapping[str, list[str]]
    failing: AbstractSet[str]
    waived: AbstractSet[str]
    findings: Callable[[list[str]], list[Finding]]
    listed: Callable[[list[str]], dict[str, str]]
    controls: AbstractSet[str] | None
    sources: list[SourceRead]
    parents: Mapping[str, str | None] | None
    # control id -> its definition digest (ControlSummary.definition), where the scan recorded it
    definitions: Mapping[str, str] = field(default_factory=dict)
    # control id -> the "provider/kind" patterns a --framework scan judged it on (ControlSummary.
    # limited_to), for the controls so limited; None where the scan did not record it
    limited: Mapping[str, Sequence[str]] | None = None
    # what it did not read of the accounts it read (made or read when first asked); None: not known
    unread: Callable[[], UnreadParts | None] = lambda: None
    # the plaintext secrets each record holds (made or read when first asked); None: not known (no
    # inventory, or an index stored before it kept them)
    secrets: Callable[[], SecretsHeld | None] = lambda: None


def sources_read(sources: Iterable[SourceStatus]) -> list[SourceRead]:
    return [SourceRead(s.name, s.account, s.status) for s in sources]


def account_parents(inventory: Inventory | None) -> dict[str, str | None] | None:
    """Each account's parent, from the inventory's accounts; None without an inventory."""
    return None if inventory is None else {a.uid: a.parent for a in inventory.accounts}


def _statuses_of(
    findings: Iterable[Any], status: Callable[[Any], str], fingerprint: Callable[[Any], str]
) -> Callable[[list[str]], dict[str, str]]:
    """``Side.listed`` over a list of findings, in one pass when asked (never a map of all of them)."""

    def listed(fingerprints: list[str]) -> dict[str, str]:
        wanted = set(fingerprints)
        if not wanted:
            return {}
        return {fingerprint(f): status(f) for f in findings if fingerprint(f) in wanted}

    return listed


def side_of(result: ScanResult) -> Side:
    failing = {f.fingerprint: f for f in result.findings if f.status == "fail"}
    waived = {f.fingerprint: f for f in result.findings if f.status == "waived"}
    return Side(
        result.scan.id,
        result.score,
        *records_and_names(result.inventory),
        result.capabilities,
        failing.keys(),
        waived.keys(),
        lambda fingerprints: [failing[k] if k in failing else waived[k] for k in fingerprints],
        _statuses_of(result.findings, lambda f: f.status, lambda f: f.fingerprint),
        {c.id for c in result.controls},
        sources_read(result.scan.sources),
        account_parents(result.inventory),
        definitions_of(result.controls),
        limits_of(result.controls),
        _unread_of(result.inventory),
        _secrets_of(result.inventory),
    )


def _unread_of(inventory: Inventory | None) -> Callable[[], UnreadParts | None]:
    return lambda: None if inventory is None else unread_parts(inventory)


def _secrets_of(inventory: Inventory | None) -> Callable[[], SecretsHeld | None]:
    return lambda: None if inventory is None else secrets_of_inventory(inventory)


def definitions_of(controls: Iterable[ControlSummary]) -> dict[str, str]:
    return {c.id: c.definition for c in controls if c.definition is not None}


def limits_of(controls: Iterable[ControlSummary]) -> dict[str, list[str]]:
    return {c.id: c.limited_to for c in controls if c.limited_to is not None}


def side_of_document(data: object, path: Path, a_file: bool = False) -> Side:
    """A diff's view of a results.json document, validated as ``results_from_data`` validates a
    document it did not write; only the inventory becomes model objects up front. A stored scan's
    document is validated too, whatever its checksum says: whoever can write the history can store
    any text under a checksum that matches it (before, a finding of severity null stored so
    stopped the diff with an internal error). A diff reads a stored scan this way only when its
    drift index cannot serve (see HistoryStore.drift_side). ``a_file``: a results.json file, whose
    counts must be its findings' (see ``check_counts_held``)."""
    document = checked_document(data, path)
    if a_file:
        held = Counter((f["control_id"], f["status"]) for f in document["findings"])
        check_counts_held([(c["id"], c["counts"]) for c in document["controls"]], held, path)
    return _side_of_checked(document, path)


def _side_of_checked(document: dict[str, Any], path: Path) -> Side:
    findings = document["findings"]
    check_controls_listed([f["control_id"] for f in findings], {c["id"] for c in document["controls"]}, path)
    inventory = model_from(Inventory, document["inventory"], path) if "inventory" in document else None
    failing = {f["fingerprint"]: f for f in findings if f["status"] == "fail"}
    waived = {f["fingerprint"]: f for f in findings if f["status"] == "waived"}
    return Side(
        document["scan"]["id"],
        document.get("score"),
        *records_and_names(inventory),
        document.get("capabilities") or {},
        failing.keys(),
        waived.keys(),
        lambda fingerprints: [
            model_from(Finding, failing[k] if k in failing else waived[k], path) for k in fingerprints
        ],
        _statuses_of(findings, lambda f: f["status"], lambda f: f["fingerprint"]),
        {c["id"] for c in document["controls"]},
        [SourceRead(s["name"], s["account"], s.get("status", "complete")) for s in document["scan"]["sources"]],
        account_parents(inventory),
        {c["id"]: c["definition"] for c in document["controls"] if isinstance(c.get("definition"), str)},
        {c["id"]: c["limited_to"] for c in document["controls"] if isinstance(c.get("limited_to"), list)},
        _unread_of(inventory),
        _secrets_of(inventory),
    )


def side_of_failing(read: FailingOfFile) -> Side:
    """A diff's view of a large results.json file read as it is read (``results_file``)."""
    result = read.result
    return Side(
        result.scan.id,
        result.score,
        *records_and_names(result.inventory),
        result.capabilities,
        read.failing.keys(),
        read.waived.keys(),
        lambda fingerprints: [read.finding(k) for k in fingerprints],
        read.statuses,
        {c.id for c in result.controls},
        sources_read(result.scan.sources),
        account_parents(result.inventory),
        definitions_of(result.controls),
        limits_of(result.controls),
        _unread_of(result.inventory),
        _secrets_of(result.inventory),
    )


def diff_results(old: ScanResult, new: ScanResult) -> Drift:
    return diff_sides(side_of(old), side_of(new))


def diff_sides(old: Side, new: Side) -> Drift:
    drift = Drift(
        old_scan=old.scan_id,
        new_scan=new.scan_id,
        old_score=old.score,
        new_score=new.score,
        inventory_compared=old.records is not None and new.records is not None,
    )
    if old.records is not None and new.records is not None:
        before, after = old.records, new.records
        unread = _providers_read_in_part(incomplete_sources(old, new))
        if not _same_stored(before, after):
            drift.added, drift.not_seen_before = _only_in(after, before, old, new)
            drift.removed, drift.not_seen = _only_in(before, after, new, old)
        if not _same_stored(old.capabilities, new.capabilities):
            drift.reach = _reach_changes(old, new, before, after, unread)
    drift.new_failures, drift.newly_assessed = judged_before(old, new, sorted(new.failing - old.failing))
    exposed, not_known = failing_on_secrets_not_held_before(old, new)
    drift.new_failures += exposed
    drift.newly_assessed += not_known
    drift.secret_not_held_before = {f.fingerprint for f in exposed}
    gone = sorted(old.failing - new.failing)
    drift.resolved_failures, drift.no_longer_assessed = judged_since(old, new, [k for k in gone if k not in new.waived])
    drift.newly_waived = new.findings([k for k in gone if k in new.waived])
    drift.new_failures.sort(key=lambda f: (-SEVERITY_RANK[f.severity], f.control_id, f.resource.name))
    drift.newly_assessed.sort(key=lambda u: (-SEVERITY_RANK[u.finding.severity], u.finding.control_id))
    drift.incomplete_sources = incomplete_sources(old, new)
    return drift


def failing_on_secrets_not_held_before(old: Side, new: Side) -> tuple[list[Finding], list[Unassessed]]:
    """The failures of both scans whose resource holds a plaintext secret now that it did not hold
    then, where the failure names plaintext secrets: a token replaced under the same key, or
    another pasted beside it, is a new exposure to revoke, as ``engine.baseline.mark_new`` marks it
    for a --baseline gate. Where the older scan did not read the holder's credentials completely,
    the secret may have been there unseen: such a failure is newly assessed (``part_not_read``),
    not new. Nothing where either scan does not say which secrets each record held, nor for a
    control judged by another definition (its failures are not compared)."""
    if _same_stored(old.secrets, new.secrets):
        return [], []
    now = new.secrets()
    if now is None or not now.held:
        return [], []
    then = old.secrets()
    if then is None:
        return [], []
    holders = sorted(uid for uid, held in now.held.items() if held - then.held.get(uid, frozenset()))
    controls = new.controls if new.controls is not None else old.controls
    if not holders or not controls:
        return [], []
    changed = {c for c, digest in new.definitions.items() if old.definitions.get(c, digest) != digest}
    both = []
    for control_id in sorted(set(controls) - changed):
        fingerprint_of = fingerprinter(control_id)  # its prefix hashed once, not once per holder
        both += [key for uid in holders if (key := fingerprint_of(uid)) in new.failing and key in old.failing]
    exposed: list[Finding] = []
    not_known: list[Unassessed] = []
    for finding in new.findings(both):
        if on_plaintext_secrets(finding):
            if finding.resource.uid in then.not_read:
                detail = f"credentials of {finding.resource.uid} not read"
                not_known.append(Unassessed(finding, "part_not_read", detail=detail))
            else:
                exposed.append(finding)
    return exposed, not_known


def _only_in(
    held: Mapping[str, RecordChange], other: Mapping[str, RecordChange], looked: Side, holding: Side
) -> tuple[list[RecordChange], list[RecordChange]]:
    """The records ``held`` (``holding``'s) that ``other`` (``looked``'s) lacks: those ``looked``
    could have seen (every source of their provider read completely, and the part of the account
    they are in), and those it could not."""
    unread = _providers_read_in_part(incomplete_sources(holding, looked))
    parts = UnreadIndex(looked.unread)
    seen: list[RecordChange] = []
    unseen: list[RecordChange] = []
    for uid in sorted(held.keys() - other.keys()):
        record = held[uid]
        visible = not _read_in_part(unread, record.provider)
        if visible and parts.record_not_read(uid, record.type, record.provider):
            visible = False  # in a part of an account that scan did not read
        (seen if visible else unseen).append(record)
    return seen, unseen


def incomplete_sources(old: Side, new: Side) -> list[SourceRead]:
    """The sources the newer scan did not read completely: its own partial and failed ones, and
    those the older scan read that it did not read at all (``not read``)."""
    read = {(s.name, s.account) for s in new.sources}
    gaps = {(s.name, s.account): s for s in new.sources if s.status != "complete"}
    for source in old.sources:
        if (source.name, source.account) not in read:
            gaps.setdefault((source.name, source.account), SourceRead(source.name, source.account, "not read"))
    return sorted(gaps.values(), key=lambda s: (s.name, s.account))


def judged_since(old: Side, new: Side, gone: list[str]) -> tuple[list[Finding], list[Unassessed]]:
    """Of the older scan's failures that the newer one neither fails nor waives (``gone``), those
    resolved and those no longer assessed (see the module's docstring)."""
    return _judged(new, old, gone, ("pass",))


def judged_before(old: Side, new: Side, appeared: list[str]) -> tuple[list[Finding], list[Unassessed]]:
    """Of the newer scan's failures that the older one did not fail (``appeared``), those new and
    those the older scan did not judge, newly assessed: ``judged_since`` with the scans' places
    swapped. A failure the older scan waived is new (its waiver lapsed or went)."""
    return _judged(old, new, appeared, ("pass", "waived"))


def _judged(
    judge: Side, scan: Side, fingerprints: list[str], settled: tuple[str, ...]
) -> tuple[list[Finding], list[Unassessed]]:
    """Of ``scan``'s findings (``fingerprints``), those the other scan, ``judge``, judged otherwise:
    listed with a ``settled`` status, or not listed though it ran the control there and read
    completely where the resource is; and those it did not judge, each with why."""
    statuses = judge.listed(fingerprints)
    parents: dict[str, str | None] | None = None
    if scan.parents is not None or judge.parents is not None:
        parents = {**(scan.parents or {}), **(judge.parents or {})}
    holder = GapIndex(incomplete_sources(scan, judge), parents).holder
    not_read = UnreadIndex(judge.unread).why_not_read
    absent = _absent_from(scan, judge)
    changed = {c for c, digest in scan.definitions.items() if judge.definitions.get(c, digest) != digest}
    judged: list[Finding] = []
    unassessed: list[Unassessed] = []
    for finding in scan.findings(fingerprints):
        status = statuses.get(finding.fingerprint)
        if finding.control_id in changed:  # judged by another question: neither settled nor compared
            unassessed.append(Unassessed(finding, "control_changed"))
        elif status in settled:
            judged.append(finding)
        elif status is not None:  # listed, but not settled: unknown
            # unknown because its source was not read completely: say which source
            gap = holder(finding)
            unassessed.append(Unassessed(finding, "source_incomplete", gap) if gap else Unassessed(finding, "unknown"))
        elif not _judged_there(judge, finding):
            unassessed.append(Unassessed(finding, "control_not_evaluated"))
        elif (gap := holder(finding)) is not None:
            unassessed.append(Unassessed(finding, "source_incomplete", gap))
        elif absent(finding) and (why := not_read(finding)) is not None:
            unassessed.append(Unassessed(finding, "part_not_read", detail=why))
        else:
            judged.append(finding)
    return judged, unassessed


_RECORD_TYPES = frozenset({"identity", "credential", "grant", "agent"})  # what Records hold


def _absent_from(old: Side, new: Side) -> Callable[[Finding], bool]:
    """Whether a finding's resource is not among the newer scan's records: where both scans stored
    the same records, none of the older scan's is (they are not read to tell); a resource of a type
    Records do not hold (a log source, an account) may be."""
    if _same_stored(old.records, new.records):
        return lambda finding: finding.resource.type not in _RECORD_TYPES
    records = new.records
    return lambda finding: records is None or finding.resource.uid not in records


def admitted_by(patterns: Iterable[str], provider: str, kind: str) -> bool:
    """Whether a resource of ``provider`` and ``kind`` is among "provider/kind" patterns ("aws/*")."""
    return any(
        p in ("*", provider) and k in ("*", kind) for p, _, k in (pattern.partition("/") for pattern in patterns)
    )


def _judged_there(new: Side, finding: Finding) -> bool:
    """Whether the newer scan ran the finding's control (controls None: not known, not judged), on
    resources of its provider and kind: a scan limited by --framework drops the results of other
    providers, so a failure there was not looked at, not resolved."""
    if new.controls is None or finding.control_id not in new.controls:
        return False
    patterns = None if new.limited is None else new.limited.get(finding.control_id)
    return patterns is None or admitted_by(patterns, finding.resource.provider, finding.resource.kind)


def _same_stored(old: object, new: object) -> bool:
    """Both parts as a history stored them, byte for byte the same: nothing in them changed."""
    stored = getattr(old, "stored", None)
    return stored is not None and stored == getattr(new, "stored", None)


def _reach_changes(
    old: Side,
    new: Side,
    before: Mapping[str, RecordChange],
    after: Mapping[str, RecordChange],
    unread: set[str | None],
) -> list[ReachChange]:
    """Capabilities gained and lost. Where the newer scan read a source of the record's provider
    only in part, a capability it no longer lists may be one it did not read (a role's policies
    refused): only the gains are told, which the newer scan read."""
    changes = []
    for uid in sorted(old.capabilities.keys() | new.capabilities.keys()):
        if old.capabilities.get(uid) == new.capabilities.get(uid):
            continue  # the same list: the same reach (most of a large estate)
        then, now = set(old.capabilities.get(uid, ())), set(new.capabilities.get(uid, ()))
        named = new.names.get(uid) or old.names.get(uid)
        if then != now and named is not None and uid in before and uid in after:
            kind, name = named
            lost = [] if _read_in_part(unread, after[uid].provider) else sorted(then - now)
            if now - then or lost:
                changes.append(ReachChange(uid, kind, name, sorted(now - then), lost))
    return changes


def _providers_read_in_part(gaps: list[SourceRead]) -> set[str | None]:
    """The providers of the sources the newer scan did not read completely; None for a source that
    can hold any provider's records (files)."""
    return {SOURCE_PROVIDERS.get(gap.name) for gap in gaps}


def _read_in_part(unread: set[str | None], provider: str) -> bool:
    return None in unread or provider in unread


def _entry(f: Finding) -> dict[str, Any]:
    return {"fingerprint": f.fingerprint, "control_id": f.control_id, "severity": f.severity,
            "resource": f.resource, "message": f.message}  # fmt: skip


def _new_entry(f: Finding, secret_not_held_before: set[str]) -> dict[str, Any]:
    return {**_entry(f), "secret_not_held_before": True} if f.fingerprint in secret_not_held_before else _entry(f)


def _unassessed(u: Unassessed) -> dict[str, Any]:
    return {
        **_entry(u.finding),
        "reason": u.reason,
        **({"source": u.source.label} if u.source else {}),
        **({"detail": u.detail} if u.detail else {}),
    }


def drift_document(drift: Drift) -> dict[str, Any]:
    return {
        "old_scan": drift.old_scan,
        "new_scan": drift.new_scan,
        "score": {"old": drift.old_score, "new": drift.new_score},
        "inventory_compared": drift.inventory_compared,
        "added": drift.added,
        "removed": drift.removed,
        "not_seen": drift.not_seen,
        "not_seen_before": drift.not_seen_before,
        "reach_changes": drift.reach,
        "new_failures": [_new_entry(f, drift.secret_not_held_before) for f in drift.new_failures],
        "resolved_failures": [_entry(f) for f in drift.resolved_failures],
        "newly_waived": [{**_entry(f), "waiver": f.waiver} for f in drift.newly_waived],
        "no_longer_assessed": [_unassessed(u) for u in drift.no_longer_assessed],
        "newly_assessed": [_unassessed(u) for u in drift.newly_assessed],
        "incomplete_sources": [{"source": s.label, "status": s.status} for s in drift.incomplete_sources],
    }
