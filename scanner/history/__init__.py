"""The scan history: every scan stored through SQLAlchemy (SQLite by default, PostgreSQL by URL),
with Alembic migrations, for trends, drift between stored scans, and merged scan groups."""
