"""``nhiscan --debug`` prints the traceback of an internal error and nhiscan's own records, never
the credentials of the scan. It had set every library's logging to DEBUG: botocore then printed
each request's headers and each response's body to standard error (the caller's session token,
the keys every AssumeRole into a member account answered, each access key's full id), which a
CI log keeps."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from .aws_estate import ORG_ROLE, seeded
from .hostile_cases import run_nhiscan

SESSION_TOKEN = "IQoJb3JpZ2luX2VjEHcaCXVzLWVhc3QtMSJHMEUCIQDZq8vT3pLmK9xWr2sExampleSessionToken0123456789"
KEY_IDS = re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b")
SECRET_KEYS = re.compile(r"<SecretAccessKey>(?!\s*<)|\"SecretAccessKey\"\s*:\s*\"[^\"]")


def test_debug_prints_no_credential_of_an_aws_organisation_scan(tmp_path: Path) -> None:
    with seeded():
        completed = run_nhiscan(
            "--debug", "scan", "aws", "--aws-org-role", ORG_ROLE, "--aws-regions", "us-east-1",
            "--format", "json", "-o", "out", "--no-history", "--fail-on", "none",
            cwd=tmp_path, env={"AWS_SESSION_TOKEN": SESSION_TOKEN},
        )  # fmt: skip
    assert completed.returncode in (0, 3), completed.stderr[-2000:]
    assert (tmp_path / "out" / "results.json").exists()
    printed = completed.stdout + completed.stderr
    assert SESSION_TOKEN[:24] not in printed
    assert not KEY_IDS.findall(printed)
    assert not SECRET_KEYS.search(printed)


def test_a_library_warning_is_printed_redacted() -> None:
    from scanner.exits import _RedactingFormatter

    formatter = _RedactingFormatter("%(levelname)s %(name)s: %(message)s")
    token = "ghp_" + "R8x2Kq9ZmT4vLp7WnB3cYd6FhJ1sGe5AoU0i"
    record = logging.LogRecord("urllib3", logging.WARNING, __file__, 1, "retrying %s?token=%s", ("GET /x", token), None)
    line = formatter.format(record)
    assert line.startswith("WARNING urllib3: retrying GET /x?token=") and token not in line


def test_a_private_key_a_library_warning_quotes_is_redacted_over_all_its_lines() -> None:
    from scanner.exits import _RedactingFormatter

    body = ("MIIEowIBAAKCAQEAzq8vT3pLmK9xWr2sQh4Yd6FhJ1sGe5AoU0iR8x2Kq9ZmT4vLp7Wn", "B3cYd6FhJ1sGe5AoU0iR8x2Kq9Zm")
    key = f"-----BEGIN RSA PRIVATE KEY-----\n{body[0]}\n{body[1]}\n-----END RSA PRIVATE KEY-----"
    record = logging.LogRecord("paramiko", logging.WARNING, __file__, 1, "could not load key:\n%s", (key,), None)
    shown = _RedactingFormatter("%(levelname)s %(name)s: %(message)s").format(record)
    assert shown.startswith("WARNING paramiko: could not load key:")
    assert body[0][:20] not in shown and body[1][:20] not in shown
