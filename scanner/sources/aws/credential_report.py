"""The IAM credential report: parsed from its CSV, one row per user plus the root account.

Columns (22): user, arn, user_creation_time, password_enabled, password_last_used,
password_last_changed, password_next_rotation, mfa_active, access_key_{1,2}_active,
access_key_{1,2}_last_rotated, access_key_{1,2}_last_used_date, …_region, …_service,
cert_{1,2}_active, cert_{1,2}_last_rotated. ``access_key_N_last_rotated`` is when key N was
created (or last replaced). ``N/A`` means no such value, ``no_information`` means never used
(or not since tracking began), ``not_supported`` means AWS does not report it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime

from scanner.errors import InputError

# Every column the report has held since AWS added the certificates': a report without one of them
# cannot say what that column would (a missing last use would read as never used)
REQUIRED_COLUMNS = {
    "user", "arn", "user_creation_time", "password_enabled", "password_last_used", "mfa_active",
    *(f"access_key_{n}_{part}" for n in (1, 2) for part in ("active", "last_rotated", "last_used_date")),
    *(f"cert_{n}_{part}" for n in (1, 2) for part in ("active", "last_rotated")),
}  # fmt: skip
ROOT_USER = "<root_account>"


@dataclass(slots=True)
class ReportKey:
    slot: int
    active: bool | None  # None: the report says neither true nor false
    created: datetime | None
    last_used: datetime | None


@dataclass(slots=True)
class ReportRow:
    user: str
    arn: str
    created: datetime | None
    password_enabled: bool | None
    password_last_used: datetime | None
    mfa_active: bool | None
    keys: list[ReportKey]
    copies: int = field(default=1, compare=False, repr=False)  # rows the report lists this user in
    # X.509 signing certificates (cert_N_active, cert_N_last_rotated; the report gives no last use)
    certificates: list[ReportKey] = field(default_factory=list)

    @property
    def is_root(self) -> bool:
        return self.user == ROOT_USER


def _time(value: str | None) -> datetime | None:
    if not value or value in ("N/A", "no_information", "not_supported"):
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _flag(value: str | None) -> bool | None:
    """AWS writes ``true`` and ``false``; a report saved again by a spreadsheet holds ``TRUE`` and
    ``FALSE``, which read as unknown turned every key's state and both absent certificates into
    unknowns. Anything else is unknown."""
    folded = value.strip().lower() if value is not None else None
    if folded in ("true", "false"):
        return folded == "true"
    return None


def parse_report(content: str | bytes, path: str = "credential report") -> list[ReportRow]:
    """The report's rows, one per user. A user listed more than once (seen in real reports) keeps
    the row that shows the most of its keys, whatever the rows' order, so no key is lost to an
    emptier copy; the row counts its ``copies``."""
    try:
        return _parsed_rows(content, path)
    except csv.Error as error:  # a field past the csv module's limit, a NUL byte
        raise InputError(f"not a credential report this reader can read ({error})", path) from None


def _parsed_rows(content: str | bytes, path: str) -> list[ReportRow]:
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    reader = csv.DictReader(io.StringIO(text))
    columns = list(reader.fieldnames or ())
    missing = REQUIRED_COLUMNS - set(columns)
    if missing:
        raise InputError(f"not an IAM credential report (missing columns {', '.join(sorted(missing))})", path)
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    if repeated:
        raise InputError(f"not an IAM credential report (columns named twice: {', '.join(repeated)})", path)
    rows: dict[str, ReportRow] = {}
    for number, raw in enumerate(reader, start=2):
        if None in raw.values() or None in raw:  # fewer fields than the header, or more
            raise InputError(f"credential report line {number}: not as many fields as the header", path)
        try:
            keys = [
                ReportKey(
                    slot=slot,
                    active=_flag(raw.get(f"access_key_{slot}_active")),
                    created=_time(raw.get(f"access_key_{slot}_last_rotated")),
                    last_used=_time(raw.get(f"access_key_{slot}_last_used_date")),
                )
                for slot in (1, 2)
            ]
            row = ReportRow(
                user=raw["user"],
                arn=raw["arn"],
                created=_time(raw.get("user_creation_time")),
                password_enabled=_flag(raw.get("password_enabled")),
                password_last_used=_time(raw.get("password_last_used")),
                mfa_active=_flag(raw.get("mfa_active")),
                keys=[k for k in keys if k.created is not None or k.active is not False],  # dates N/A: unknown
                certificates=[c for c in _certificates(raw) if c.created is not None or c.active is not False],
            )
        except ValueError as exc:
            raise InputError(f"credential report line {number}: {exc}", path) from None
        kept = rows.get(row.arn)
        if kept is not None:
            row = max(kept, row, key=_showing)
            row.copies = kept.copies + 1
        rows[row.arn] = row
    return list(rows.values())


def _certificates(raw: dict[str, str]) -> list[ReportKey]:
    return [
        ReportKey(
            slot=slot,
            active=_flag(raw.get(f"cert_{slot}_active")),
            created=_time(raw.get(f"cert_{slot}_last_rotated")),
            last_used=None,
        )
        for slot in (1, 2)
    ]


def _showing(row: ReportRow) -> tuple[int, int, str, str]:
    """What ranks copies of one user's row: the keys and signing certificates listed, the active
    ones, the latest date, and then the row itself (so that the order of the rows never decides)."""
    held = [*row.keys, *row.certificates]
    dates = [row.created, row.password_last_used, *(k.created for k in held), *(k.last_used for k in held)]
    latest = max((d.isoformat() for d in dates if d is not None), default="")
    return len(held), sum(k.active is True for k in held), latest, repr(row)
