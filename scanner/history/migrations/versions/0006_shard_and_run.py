"""Each scan's shard (``i/n``, from ``--shard``) and run key (``--scan-run``), so that a scan
group's merged report takes one run: the latest scan of each shard. Scans stored before hold
neither: they are unsharded, of no named run."""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("shard", sa.String(16)))
        batch.add_column(sa.Column("scan_run", sa.String(200)))
