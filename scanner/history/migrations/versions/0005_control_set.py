"""The controls a scan evaluated, as one key (``control_set``): scans are comparable (one trend
line; new and resolved failures) only when they evaluated the same controls, so a scan limited to
one framework starts its own line. Stored scans get theirs from their stored summary (its controls,
checksum checked); a scan stored without a summary, or whose summary cannot be read, keeps none and
is on no trend line of a later scan."""

import hashlib
import json
import zlib

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"

STORED_MAGIC = b"NHS1"  # then the SHA-256 of the text, then zlib data (history/stored_results.py)


def _control_set(executive: bytes | None) -> str | None:
    """history.store.control_set of a stored scan, from its stored summary; None when not known."""
    if not executive or executive[: len(STORED_MAGIC)] != STORED_MAGIC:
        return None
    checksum, data = executive[len(STORED_MAGIC) : len(STORED_MAGIC) + 32], executive[len(STORED_MAGIC) + 32 :]
    try:
        text = zlib.decompress(data)
        if hashlib.sha256(text).digest() != checksum:
            return None
        controls = sorted({str(c["id"]) for c in json.loads(text)["result"]["controls"]})
    except (zlib.error, ValueError, KeyError, TypeError):
        return None
    return hashlib.sha256("\n".join(controls).encode("utf-8")).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("control_set", sa.String(64)))
    scans = sa.table("scans", sa.column("id", sa.String), sa.column("executive", sa.LargeBinary),
                     sa.column("control_set", sa.String))  # fmt: skip
    connection = op.get_bind()
    ids = connection.execute(sa.select(scans.c.id).where(scans.c.executive.is_not(None))).scalars().all()
    for scan_id in ids:  # one summary at a time: a large history's summaries are not held at once
        executive = connection.execute(sa.select(scans.c.executive).where(scans.c.id == scan_id)).scalar()
        key = _control_set(executive)
        if key is not None:
            connection.execute(sa.update(scans).where(scans.c.id == scan_id).values(control_set=key))
