"""A history database that cannot be reached is one line, exit 2, and the line holds no part of its
credentials. docs/history.md has NHISCAN_DB come from a CI secret: a password with an unencoded
'@' was cut at it by SQLAlchemy, and the driver named the rest as the host it could not resolve;
a password given in the query was shown from its last '@' on."""

from __future__ import annotations

import socket

import pytest

from scanner.history.database_url import shown_url, without_credentials

PASSWORD = "Zq8vT3pL@mK9xWr2s/Qh4"


def _refused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again: a connection is refused at once


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://app:Zq8vT3pL@mK9xWr2s/Qh4@127.0.0.1:{port}/nhi",
        "postgresql+psycopg://app:Zq8vT3pL@mK9xWr2s@127.0.0.1:{port}/nhi",
        "postgresql:///nhi?host=127.0.0.1&port={port}&user=app&password=Zq8vT3pL@mK9xWr2s",
        "postgresql://app@127.0.0.1:{port}/nhi?password=Zq8vT3pL%40mK9xWr2s",
        "postgresql://app:Zq8v?T3pLmK9x@127.0.0.1:{port}/nhi",
    ],
    ids=["unencoded @ and /", "unencoded @", "password in the query", "encoded in the query", "unencoded ?"],
)
def test_an_unreachable_history_database_is_named_without_its_password(cli, url: str) -> None:
    outcome = cli("history", "--db", url.format(port=_refused_port()))
    assert outcome.exit_code == 2
    assert outcome.output.startswith("nhiscan: error: history database ") and outcome.output.count("\n") == 1
    for fragment in ("Zq8v", "mK9x", "Qh4", "T3pL", "app:"):
        assert fragment not in outcome.output
    assert "127.0.0.1" in outcome.output, "where the database is, is shown"


def test_the_url_shown_keeps_where_the_database_is() -> None:
    assert shown_url(f"postgresql://app:{PASSWORD}@db.internal:5432/nhi?sslmode=require") == (
        "postgresql://db.internal:5432/nhi"
    )
    assert shown_url("sqlite:////var/lib/nhiscan/history.db") == "sqlite:////var/lib/nhiscan/history.db"
    message = 'connection to server at "db.internal" (10.0.0.5), port 5432 failed: password authentication failed'
    assert without_credentials(message, f"postgresql://app:{PASSWORD}@db.internal:5432/nhi") == message


@pytest.mark.parametrize("url", ["mysql://app:Zq8vT3pL@db.internal/nhi", "mssql+pyodbc://app:Zq8vT3pL@db.internal/nhi"])
def test_a_database_whose_driver_is_not_installed_is_one_line(cli, url: str) -> None:
    """SQLAlchemy knows these URLs, and their drivers are not installed: an internal error (exit 4)."""
    outcome = cli("history", "--db", url)
    assert outcome.exit_code == 2
    assert outcome.output.startswith("nhiscan: error: history database ") and outcome.output.count("\n") == 1
    assert "is not installed" in outcome.output and "Zq8v" not in outcome.output
