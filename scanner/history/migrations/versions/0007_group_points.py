"""The trend points of a scan group's runs, kept once merged (history/group_points.py), so that a
merged report's trend does not merge every earlier run again. Empty at first: a merged report
fills it."""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.create_table(
        "group_points",
        sa.Column("scan_group", sa.String(200), primary_key=True),
        sa.Column("run_scans", sa.String(64), primary_key=True),
        sa.Column("before_scans", sa.String(64), primary_key=True),
        sa.Column("catalog", sa.String(64), primary_key=True),
        sa.Column("point", sa.JSON, nullable=False),
    )
