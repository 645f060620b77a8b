"""The one error hierarchy. Only ``cli.py`` turns these into exit codes."""

from __future__ import annotations


class NhiscanError(Exception):
    """Base of every error nhiscan raises on purpose."""


class InputError(NhiscanError):
    """Invalid user input: a control, catalog, waiver, config, inventory or export file (exit 2)."""

    def __init__(self, message: str, path: str | None = None, location: str | None = None) -> None:
        self.path = path
        self.location = location
        self.detail = message
        where = path or ""
        if location:
            where = f"{where}:{location}" if where else location
        super().__init__(f"{where}: {message}" if where else message)


class UsageError(NhiscanError):
    """The command line asks for something that cannot be done (exit 2)."""


class SourceReadError(NhiscanError):
    """A source could not start at all (no credentials, unknown source name)."""


class SourceUnreachableError(NhiscanError):
    """A source could not be reached at all (unreachable, timed out, not answering as the service
    would): nothing was read, so the scan is a failed source (exit 3, with --allow-partial too)."""


class ReportError(NhiscanError):
    """A report could not be written."""
