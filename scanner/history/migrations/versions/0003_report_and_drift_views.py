"""What reports and diffs read of a stored scan without reading all of it: the executive report's
view, and the drift index (records, capabilities, each finding's fingerprint and status, and where
each block of findings lies in the stored results). Scans stored earlier have neither."""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("executive", sa.LargeBinary))
        batch.add_column(sa.Column("drift_index", sa.LargeBinary))
