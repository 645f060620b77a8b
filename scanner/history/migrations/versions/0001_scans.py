"""The scans table."""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "scans",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("started", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished", sa.DateTime(timezone=True), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("score", sa.Float),
        sa.Column("grade", sa.String(8), nullable=False),
        sa.Column("fail_on", sa.String(16), nullable=False),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("blocking", sa.Integer, nullable=False),
        sa.Column("failing", sa.JSON, nullable=False),
        sa.Column("frameworks", sa.JSON, nullable=False),
        sa.Column("sources", sa.JSON, nullable=False),
        sa.Column("tool_version", sa.String(32), nullable=False),
        sa.Column("failing_fingerprints", sa.LargeBinary, nullable=False),
        sa.Column("results", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_scans_finished", "scans", ["finished"])
