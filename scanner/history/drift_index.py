"""The drift index of a stored scan: what ``nhiscan diff`` reads of it, so two stored scans of any
size are compared without reading their results back whole.

It holds the diff's records and names (diff.records_and_names), the capabilities, the plaintext
secrets each record held (by their fingerprints), every finding's fingerprint and status in
results.json's order, and where each block of findings lies in the
stored results (ResultsPacker.findings_blocks). A diff then inflates only the blocks that hold
findings that changed, and checks that each holds the fingerprints the index says it does.

Version 3 is binary: INDEX_MAGIC, the SHA-256 of the rest, the length of a JSON header (4 bytes,
big-endian), the header (version, scan id, score, blocks, how many findings, each section's name
and length; also, passed over by nhiscan before they were added, the controls the scan evaluated,
the sources it read and how, each account's parent and each control's definition digest, which
tell a resolved failure from one no longer assessed), then the sections. Fingerprints are 16 bytes
each, uncompressed (digests do not compress); the other sections are zlib data, each read only
when a diff needs it: two scans of the same estate store byte-identical records and capabilities,
which a diff then does not read at all.
Version 2 (one zlib JSON document) is read by drift_index_v2.
"""

from __future__ import annotations

import hashlib
import zlib
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterator, KeysView, Mapping
from itertools import accumulate, compress
from pathlib import Path
from typing import Any, TypeVar

import orjson

from scanner.diff import (
    Records,
    SecretsHeld,
    Side,
    SourceRead,
    account_parents,
    definitions_of,
    limits_of,
    records_and_names,
    secrets_of_inventory,
)
from scanner.errors import NhiscanError
from scanner.exact_json import loads_exactly
from scanner.history.stored_results import MAX_STORED_BYTES, inflated_at_most
from scanner.loading import is_valid, validate
from scanner.model import Finding, ScanResult
from scanner.results_io import check_controls_listed, model_from
from scanner.unread_parts import UnreadParts, parts_of_document, unread_parts

_T = TypeVar("_T")

INDEX_VERSION = 3
INDEX_MAGIC = b"NHX3"  # then the SHA-256 of the rest, then the header's length, header and sections
FINGERPRINT_BYTES = 16  # a fingerprint is 32 hex digits (scanner.fingerprints)
SECTION_LEVEL = 1  # zlib level of the compressed sections: a third of level 6's time, a few % larger
# A finding's status, one byte each in the ``statuses`` section: the diff reads failing and waived
# findings, the rest are "other".
_STATUS_CODES = {"fail": "f", "waived": "w"}
_OTHER = "o"
_FAIL, _WAIVED = ord("f"), ord("w")
_SECTIONS = ("records", "names", "capabilities", "fingerprints", "statuses")
# what the scan did not read of the accounts it read (unread_parts); absent from an index stored before
_UNREAD = "unread"
# the plaintext secrets each record held (diff.Side.secrets), as {"held": {holder uid: [fingerprint,
# ...]}, "not_read": [holder uid, ...]}; absent from an index stored before, and from one of a scan
# without its inventory
_SECRETS = "secrets"
_OPTIONAL = {_UNREAD, _SECRETS}
HEADER_SCHEMA = "drift-index-header"


_NOT_READ = "the scan's stored drift index is not one this nhiscan reads"


class StoredIndexError(NhiscanError):
    """A section of a stored drift index that cannot be read, or is not of its shape (stored by a
    later nhiscan, or forged under a checksum made to match)."""


def drift_index(result: ScanResult, blocks: list[tuple[int, int]] | None, blocks_end: int | None) -> tuple[bytes, bool]:
    """The index as stored, and whether it holds every finding's fingerprint. ``blocks``: the
    findings blocks' offsets and sizes in the stored results, or None when they are not known (the
    results were packed whole): a diff then reads them whole, as it does when a fingerprint is not
    32 hex digits."""
    findings = result.findings
    fingerprints = _binary_fingerprints([f.fingerprint for f in findings])
    known = (
        blocks is not None
        and blocks_end is not None
        and sum(n for _, n in blocks) == len(findings)
        and fingerprints is not None
    )
    records, names = records_and_names(result.inventory)
    parents = account_parents(result.inventory)
    sections = {
        "records": _compressed(None if records is None else _record_columns(records)),
        "names": _compressed([list(names), *map(list, zip(*names.values(), strict=True))] if names else [[], [], []]),
        "capabilities": _compressed(result.capabilities),
        "fingerprints": fingerprints if known and fingerprints is not None else b"",
        "statuses": zlib.compress(
            "".join(_STATUS_CODES.get(f.status, _OTHER) for f in findings).encode("ascii"), SECTION_LEVEL
        ),
    }
    if result.inventory is not None:
        sections[_UNREAD] = _compressed(unread_parts(result.inventory).document())
        secrets = secrets_of_inventory(result.inventory)
        held = {uid: sorted(secrets.held[uid]) for uid in sorted(secrets.held)}
        sections[_SECRETS] = _compressed({"held": held, "not_read": sorted(secrets.not_read)})
    del records, names
    header = orjson.dumps(
        {
            "version": INDEX_VERSION,
            "scan_id": result.scan.id,
            "score": result.score,
            "inventory": result.inventory is not None,
            "blocks": blocks if known else None,
            "blocks_end": blocks_end if known else None,
            "findings": len(findings),
            "sections": [[name, len(data)] for name, data in sections.items()],
            "controls": sorted(c.id for c in result.controls),
            "sources": [[s.name, s.account, s.status] for s in result.scan.sources],
            "accounts": None if parents is None else [[uid, parent] for uid, parent in parents.items()],
            "definitions": definitions_of(result.controls),
            "limited": limits_of(result.controls),
        }
    )
    body = [len(header).to_bytes(4, "big"), header, *sections.values()]
    digest = hashlib.sha256()
    for piece in body:
        digest.update(piece)
    return b"".join([INDEX_MAGIC, digest.digest(), *body]), known


def _binary_fingerprints(fingerprints: list[str]) -> bytes | None:
    """The fingerprints as 16 bytes each, or None unless each is 32 lowercase hex digits."""
    joined = "".join(fingerprints)
    if len(joined) != 2 * FINGERPRINT_BYTES * len(fingerprints) or set(map(len, fingerprints)) - {32}:
        return None
    try:
        packed = bytes.fromhex(joined)
    except ValueError:
        return None
    return packed if packed.hex() == joined else None  # fromhex passes over spaces and upper case


def _compressed(value: Any) -> bytes:
    return zlib.compress(orjson.dumps(value), SECTION_LEVEL)


def _record_columns(records: Records) -> list[list[str]]:
    """uid, type, kind, name and provider, a list each."""
    return [list(records.rows), *map(list, zip(*records.rows.values(), strict=True))] if records else [[]] * 5


def _opened(stored: bytes) -> tuple[dict[str, Any], dict[str, bytes]] | None:
    """The header and sections of a version 3 index; None when it is another version, or its
    checksum, its layout or its header's types (HEADER_SCHEMA) do not hold."""
    if stored[: len(INDEX_MAGIC)] != INDEX_MAGIC:
        return None
    digest, body = stored[len(INDEX_MAGIC) : len(INDEX_MAGIC) + 32], stored[len(INDEX_MAGIC) + 32 :]
    if hashlib.sha256(body).digest() != digest:
        return None
    length = int.from_bytes(body[:4], "big")
    header = orjson.loads(body[4 : 4 + length])
    # a header of the wrong types, stored under a checksum made to match, would stop a diff midway
    if not isinstance(header, dict) or header.get("version") != INDEX_VERSION or not is_valid(header, HEADER_SCHEMA):
        return None
    sections, start = {}, 4 + length
    for name, size in header["sections"]:
        sections[name], start = body[start : start + size], start + size
    named_once = len(sections) == len(header["sections"])  # else a second copy would stand for the first
    if start != len(body) or not named_once or set(sections) - _OPTIONAL != set(_SECTIONS):
        return None
    return header, sections


def failing_fingerprints(stored: bytes) -> set[str] | None:
    """The fingerprints of a stored scan's failing findings, from its index; None when the index
    does not hold them."""
    opened = _opened(stored)
    if opened is None or opened[0]["blocks"] is None:
        return None
    fingerprints, statuses = _fingerprints_and_statuses(*opened)
    return set(compress(fingerprints, map(_FAIL.__eq__, statuses)))


def _fingerprints_and_statuses(header: dict[str, Any], sections: dict[str, bytes]) -> tuple[list[str], bytes]:
    count, packed = header["findings"], sections["fingerprints"]
    statuses = inflated_at_most(sections["statuses"], count + 1)  # one byte a finding: one more is too many
    if not isinstance(count, int) or len(packed) != FINGERPRINT_BYTES * count or len(statuses) != count:
        raise ValueError("the index's fingerprints and statuses do not match its findings")
    return (packed.hex("\n", FINGERPRINT_BYTES).split("\n") if count else []), statuses


# What an index stored before it held them does not say of its scan, read elsewhere (from the
# scan's stored summary): the controls it evaluated and the sources it read; None when not known.
Described = Callable[[], tuple[set[str], list[SourceRead]] | None]


def described(header: dict[str, Any], elsewhere: Described) -> tuple[set[str], list[SourceRead], Any] | None:
    """The controls, sources and account parents of an index's scan: from its header, or (for an
    index stored before they were kept) ``elsewhere`` with the parents not known; None when neither
    says."""
    if "controls" in header and "sources" in header:  # their shapes are the header schema's
        accounts = header.get("accounts")
        parents = None if accounts is None else {uid: parent for uid, parent in accounts}
        return set(header["controls"]), [SourceRead(*source) for source in header["sources"]], parents
    told = elsewhere()
    return None if told is None else (*told, None)


def listed_in(
    fingerprints: list[str], statuses: bytes | str, findings: StoredFindings
) -> Callable[[list[str]], dict[str, str]]:
    """``Side.listed`` of an index: failing and waived by its status codes; any other finding's
    status (unknown, or pass) read from its stored block."""
    fail, waived = (_FAIL, _WAIVED) if isinstance(statuses, bytes) else ("f", "w")

    def listed(asked: list[str]) -> dict[str, str]:
        wanted = set(asked)
        if not wanted:
            return {}
        found, others = {}, []
        for position in compress(range(len(fingerprints)), map(wanted.__contains__, fingerprints)):
            code = statuses[position]
            if code == fail:
                found[fingerprints[position]] = "fail"
            elif code == waived:
                found[fingerprints[position]] = "waived"
            else:
                others.append(position)
        for position, document in zip(others, findings.documents(others), strict=True):
            found[fingerprints[position]] = str(document.get("status"))
        return found

    return listed


def side_of_stored_index(
    label: str, stored: bytes, results: Callable[[], bytes], elsewhere: Described = lambda: None
) -> Side | None:
    """A diff's view of a stored scan from its version 3 index: findings are read from the stored
    results (``results``: its zlib data, fetched when first needed) only for the fingerprints a
    diff asks for. None when the index cannot serve (another version, a checksum that does not
    match, no findings blocks: the results were stored whole; or neither it nor ``elsewhere`` says
    which controls the scan evaluated)."""
    opened = _opened(stored)
    if opened is None or opened[0]["blocks"] is None:
        return None
    header, sections = opened
    told = described(header, elsewhere)
    if told is None:
        return None
    fingerprints, statuses = _fingerprints_and_statuses(header, sections)
    findings = StoredFindings(label, results, fingerprints, header["blocks"], header["blocks_end"])
    return Side(
        header["scan_id"],
        header["score"],
        _Records(sections["records"], label) if header["inventory"] else None,
        _MappingSection(sections["names"], label, names_by_uid),
        _MappingSection(sections["capabilities"], label, _capabilities),
        set(compress(fingerprints, map(_FAIL.__eq__, statuses))),
        set(compress(fingerprints, map(_WAIVED.__eq__, statuses))),
        stored_findings_reader(findings, Path(label), told[0]),
        listed_in(fingerprints, statuses, findings),
        *told,
        header.get("definitions") or {},  # absent from an index stored before they were kept
        header.get("limited"),  # absent (None: not known) from an index stored before it was kept
        lambda: _unread(sections.get(_UNREAD), label),
        _secrets(sections.get(_SECRETS), label),
    )


def _unread(stored: bytes | None, label: str) -> UnreadParts | None:
    """What the scan did not read of its accounts; None where the index does not say (stored before)."""
    if stored is None:
        return None
    parts = parts_of_document(_Section(stored, label)._read())
    if parts is None:
        raise StoredIndexError(f"{label}: {_NOT_READ}")
    return parts


def stored_findings_reader(
    findings: StoredFindings, path: Path, controls: set[str]
) -> Callable[[list[str]], list[Finding]]:
    """The findings with the fingerprints a diff asks for, read from the stored blocks. Each line is
    checked against the schema, and its control against those the scan evaluated, as a whole read of
    the results checks them: whoever can write the history can store any text under a checksum that
    matches it (before, a finding of severity null stopped the diff with an internal error)."""

    def read(fingerprints: list[str]) -> list[Finding]:
        positions = findings.positions_of(fingerprints)
        documents = findings.documents(positions)
        if not is_valid(documents, "results#/properties/findings"):
            for position, document in zip(positions, documents, strict=True):
                validate(document, "results#/properties/findings/items", path, at=("findings", position))
        check_controls_listed([document["control_id"] for document in documents], controls, path, positions)
        return [model_from(Finding, document, path) for document in documents]

    return read


class StoredFindings:
    """Findings of a stored scan by their position in results.json, read from the stored (zlib)
    results block by block, and only the lines asked for parsed."""

    def __init__(
        self,
        label: str,
        results: Callable[[], bytes],
        fingerprints: list[str],
        blocks: list[list[int]],
        blocks_end: int,
    ) -> None:
        self._results = results
        self._data: bytes | None = None
        self._fingerprints = fingerprints
        self._offsets = [offset for offset, _ in blocks] + [blocks_end]
        self._firsts = [0, *accumulate(count for _, count in blocks)]
        self._mismatch = f"{label}: a stored block of findings does not match the scan's drift index"

    def positions_of(self, fingerprints: list[str]) -> list[int]:
        """Where the findings with these fingerprints are in results.json's list, in that order (one
        pass over the index finds where each is)."""
        if not fingerprints:
            return []
        wanted = set(fingerprints)
        found = compress(range(len(self._fingerprints)), map(wanted.__contains__, self._fingerprints))
        position = {self._fingerprints[p]: p for p in found}
        return [position[fingerprint] for fingerprint in fingerprints]

    def documents(self, positions: list[int]) -> list[dict[str, Any]]:
        """The findings at ``positions``, in that order; each block holding some is inflated once."""
        by_block: dict[int, list[int]] = defaultdict(list)
        for position in positions:
            by_block[bisect_right(self._firsts, position) - 1].append(position)
        found: dict[int, dict[str, Any]] = {}
        for block, wanted in by_block.items():
            lines = self._lines(block)
            for position in wanted:
                found[position] = self._document(lines[position - self._firsts[block]], position)
        return [found[position] for position in positions]

    def _lines(self, block: int) -> list[bytes]:
        if self._data is None:
            self._data = self._results()
        try:
            stored = self._data[self._offsets[block] : self._offsets[block + 1]]
            raw = inflated_at_most(stored, MAX_STORED_BYTES, raw=True)
        except (zlib.error, ValueError):
            raise NhiscanError(self._mismatch) from None
        lines = raw.rstrip(b"\n").split(b"\n")  # one finding per line
        if len(lines) != self._firsts[block + 1] - self._firsts[block]:
            raise NhiscanError(self._mismatch)
        return lines

    def _document(self, line: bytes, position: int) -> dict[str, Any]:
        try:
            document = loads_exactly(line.rstrip(b","))
        except ValueError:
            raise NhiscanError(self._mismatch) from None
        if not isinstance(document, dict) or document.get("fingerprint") != self._fingerprints[position]:
            raise NhiscanError(self._mismatch)
        return document


class _Section:
    """A compressed JSON section of the index, read when first needed. ``stored``: its bytes, by
    which a diff knows two scans' sections are the same without reading them."""

    def __init__(self, stored: bytes, label: str) -> None:
        self.stored = stored
        self._label = label

    def _read(self) -> Any:
        try:
            return orjson.loads(inflated_at_most(self.stored, MAX_STORED_BYTES))
        except (zlib.error, ValueError):
            raise StoredIndexError(f"{self._label}: the scan's stored drift index cannot be read") from None

    def _decoded(self, decode: Callable[[Any], _T]) -> _T:
        """The section read and given its shape by ``decode``; a shape it refuses is an error."""
        value = self._read()
        try:
            return decode(value)
        except (TypeError, ValueError):
            raise StoredIndexError(f"{self._label}: {_NOT_READ}") from None


def record_rows(columns: Any) -> dict[str, tuple[str, str, str, str]]:
    """The records by uid from their five columns (as the index stores them, uid first)."""
    uids, types, kinds, names, providers = columns
    return dict(zip(uids, zip(types, kinds, names, providers, strict=True), strict=True))


def names_by_uid(columns: Any) -> dict[str, tuple[str, str]]:
    """The identities' and agents' kinds and names by uid from their three columns."""
    uids, kinds, names = columns
    return dict(zip(uids, zip(kinds, names, strict=True), strict=True))


def _capabilities(value: Any) -> dict[str, list[str]]:
    if not isinstance(value, dict):
        raise TypeError("capabilities are not a map")
    return value


class _Records(_Section, Records):
    """The index's records, read when a diff first asks for them."""

    _rows: dict[str, tuple[str, str, str, str]] | None = None

    @property
    def rows(self) -> dict[str, tuple[str, str, str, str]]:  # type: ignore[override]
        if self._rows is None:
            self._rows = self._decoded(record_rows)
        return self._rows


class _MappingSection(_Section, Mapping[str, Any]):
    """A section read as a mapping by uid, decoded (by ``decode``) when first needed."""

    def __init__(self, stored: bytes, label: str, decode: Callable[[Any], dict[str, Any]]) -> None:
        super().__init__(stored, label)
        self._decode = decode
        self._by_uid: dict[str, Any] | None = None

    def _mapping(self) -> dict[str, Any]:
        if self._by_uid is None:
            self._by_uid = self._decoded(self._decode)
        return self._by_uid

    def __getitem__(self, uid: str) -> Any:
        return self._mapping()[uid]

    def __iter__(self) -> Iterator[str]:
        return iter(self._mapping())

    def __len__(self) -> int:
        return len(self._mapping())

    def keys(self) -> KeysView[str]:
        return self._mapping().keys()


class _SecretsSection(_Section):
    """The plaintext secrets each record held (``Side.secrets``), read when first asked; its bytes
    the same in both scans' indexes, a diff need not read it: no secret is new."""

    def __call__(self) -> SecretsHeld:
        return self._decoded(_secrets_held)


def _secrets(stored: bytes | None, label: str) -> Callable[[], SecretsHeld | None]:
    """``Side.secrets`` of an index; None where it does not say (stored before it kept them)."""
    return (lambda: None) if stored is None else _SecretsSection(stored, label)


def _secrets_held(section: Any) -> SecretsHeld:
    held, not_read = (section.get(name) if isinstance(section, dict) else None for name in ("held", "not_read"))
    if not isinstance(held, dict) or not isinstance(not_read, list):
        raise TypeError("not the secrets held and the holders not read")
    sets = {uid: frozenset(listed) for uid, listed in held.items() if type(listed) is list}
    if len(sets) != len(held) or not all(type(item) is str for listed in sets.values() for item in listed):
        raise TypeError("not lists of fingerprints")
    if not all(type(uid) is str for uid in not_read):
        raise TypeError("not a list of holders")
    return SecretsHeld(sets, frozenset(not_read))
