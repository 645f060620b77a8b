"""Scan groups (sharded scans) and the trend figures stored with each scan."""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("scan_group", sa.String(200)))
        batch.add_column(sa.Column("new_failures", sa.Integer))
        batch.add_column(sa.Column("resolved_failures", sa.Integer))
        batch.add_column(sa.Column("median_credential_age", sa.Float))
    op.create_index("ix_scans_scan_group", "scans", ["scan_group"])
