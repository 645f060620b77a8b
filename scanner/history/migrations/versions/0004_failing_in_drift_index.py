"""A scan's failing fingerprints are kept once, in its drift index (version 3: 16 bytes each), and
its ``failing_fingerprints`` column is then empty. No table changes; the revision keeps an nhiscan
that reads the column alone (which would count every failure as new) from using such a history."""

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    pass
