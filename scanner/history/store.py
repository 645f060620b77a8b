"""The history store: one row per scan, written in one transaction, read back for trends, reports
and drift. SQLite by default (``NHISCAN_DB`` or ``$XDG_DATA_HOME/nhiscan/history.db``), PostgreSQL
by URL (``postgresql+psycopg://…``); the schema is brought up to date by Alembic on opening."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import statistics
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import orjson
from sqlalchemy import Connection, Engine, create_engine, delete, event, func, select, text
from sqlalchemy.exc import ArgumentError, OperationalError, ProgrammingError, SQLAlchemyError

from scanner.diff import (
    Side,
    SourceRead,
    failing_on_secrets_not_held_before,
    judged_before,
    judged_since,
    side_of,
    side_of_document,
)
from scanner.errors import InputError, NhiscanError
from scanner.exact_json import loads_exactly
from scanner.frameworks import grade
from scanner.gc_pause import collector_paused
from scanner.history.database_url import shown_url, without_credentials
from scanner.history.drift_index import INDEX_MAGIC, StoredIndexError, drift_index, side_of_stored_index
from scanner.history.drift_index import failing_fingerprints as indexed_failing
from scanner.history.drift_index_v2 import side_of_index_v2
from scanner.history.packing import Packing, PackingWorker
from scanner.history.row_types import wrong_column
from scanner.history.sqlite_lock import BUSY_TIMEOUT_MS, StillLocked, take_write_lock
from scanner.history.sqlite_space import NEW_DATABASE_PRAGMA, release_free_pages
from scanner.history.stored_results import MAX_STORED_BYTES, STORED_MAGIC, inflated_at_most, streamed_result
from scanner.history.tables import SCHEMA_REVISION, scans
from scanner.listings import incomplete_source_count
from scanner.model import ScanResult, TrendPoint
from scanner.reports.executive import ExecutiveView, executive_view, from_summary_document, summary_document
from scanner.reports.json_results import pieces as results_pieces
from scanner.reports.view import credential_age, failing_by_severity
from scanner.results_io import results_from_data
from scanner.sharding import Shard
from scanner.workers import usable_cores

_T = TypeVar("_T")
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_MIGRATING = threading.Lock()
CONNECT_TIMEOUT_SECONDS = 10
STATEMENT_TIMEOUT_MS = 120_000


# The columns holding a scan's stored parts (megabytes each for a large estate): read only by id,
# never by a listing or a trend.
STORED_PARTS = ("results", "failing_fingerprints", "executive", "drift_index")


class HistoryError(NhiscanError):
    """The history database cannot be opened or written (exit 2)."""


def default_url() -> str:
    if os.environ.get("NHISCAN_DB"):
        return database_url(os.environ["NHISCAN_DB"])
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return f"sqlite:///{base / 'nhiscan' / 'history.db'}"


def database_url(value: str) -> str:
    """A database URL; a plain path (``history.db``, ``~/scans.db``) is a SQLite file."""
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


class ResultsPacker:
    """results.json as the history stores it (see ``scanner.history.packing``), packed from its
    bytes as they are written, so the text need never be whole in memory: in a worker process
    when ``in_worker`` (a large scan's) and one can be started, else here, a piece at a time.
    ``findings_blocks`` and ``findings_end`` are known once ``packed`` has returned."""

    def __init__(self, in_worker: bool = False) -> None:
        self._worker = PackingWorker.start() if in_worker and usable_cores() >= 2 else None
        self._packing = Packing() if self._worker is None else None
        # what stopped a piece being packed (or sent to the worker): raised where the packed form is
        # asked for, so results.json is still written and the history stores nothing less than it
        self._failure: Exception | None = None
        self.findings_blocks: list[tuple[int, int]] = []  # (offset in the zlib data, findings)
        self.findings_end: int | None = None

    def add(self, data: bytes) -> None:
        if self._failure is not None:
            return
        try:
            if self._packing is not None:
                self._packing.add(data)
            elif self._worker is not None:
                self._worker.add(data)
        except Exception as failure:
            self._failure = failure

    def add_result(self, result: ScanResult) -> None:
        """Every piece of the result's results.json, as it would be written."""
        for piece in results_pieces(result):
            self.add(piece.encode("utf-8"))

    def close(self) -> None:
        """End the worker, if one is still packing (the scan stopped before storing its result)."""
        if self._worker is not None:
            self._worker.abandon()

    def packed(self) -> bytes:
        """The stored form, once every piece is added; call once, after the last ``add``."""
        if self._worker is not None:
            if self._failure is not None:
                self._worker.abandon()
            else:
                try:
                    packed = self._worker.finish()
                except OSError as failure:
                    self._failure = failure
        elif self._packing is not None and self._failure is None:
            packed = self._packing.finish()
        if isinstance(self._failure, OSError):  # the worker went: out of memory, killed
            detail = self._failure.strerror or str(self._failure)
            raise PackingLost(f"the results could not be packed for the history: {detail}") from None
        if self._failure is not None:
            raise self._failure
        self.findings_blocks, self.findings_end = packed.findings_blocks, packed.findings_end
        return packed.data


class PackingLost(HistoryError):
    """The worker packing results.json went before it answered: what it was sent is lost."""


def _pack(value: str | bytes) -> bytes:
    return _pack_pieces([value.encode("utf-8") if isinstance(value, str) else value])


def _pack_pieces(pieces: Iterable[bytes]) -> bytes:
    packer = ResultsPacker()
    for piece in pieces:
        packer.add(piece)
    return packer.packed()


def _unpack(data: bytes) -> tuple[bytes, bool]:
    """The stored results.json, and whether it is exactly what nhiscan stored (its checksum
    matches), in which case it need not be validated again. Scans stored before checksums were
    kept are read and validated as before."""
    checksum = None
    if data[: len(STORED_MAGIC)] == STORED_MAGIC:
        checksum, data = data[len(STORED_MAGIC) : len(STORED_MAGIC) + 32], data[len(STORED_MAGIC) + 32 :]
    try:
        text_bytes = inflated_at_most(data, MAX_STORED_BYTES)
    except ValueError:
        raise HistoryError(f"a stored scan inflates beyond {MAX_STORED_BYTES // (1024 * 1024)} MiB; not read") from None
    return text_bytes, checksum is not None and hashlib.sha256(text_bytes).digest() == checksum


def _parsed(text: bytes, label: Path) -> Any:
    """Stored results parsed, or one line saying why they cannot be: text stored under a checksum
    that matches it may still be no JSON nhiscan reads (a number of thousands of digits, nesting
    past the limit)."""
    try:
        return loads_exactly(text)
    except ValueError as exc:  # UntrustedJSONError, a JSON or UTF-8 decoding error
        raise InputError(f"stored results nhiscan does not read: {exc}", str(label)) from None


def _its_own(stored_id: str, scan_id: str, label: Path) -> None:
    """Stored results, summary or drift index must be their row's scan's: a checksum shows that a
    stored text is what was stored, and anyone who can write the database could store another
    scan's under this row (a report of the wrong scan, a diff that hides its new failures)."""
    if stored_id != scan_id:
        raise InputError(f"the stored results are another scan's ({stored_id})", str(label))


@contextmanager
def _unreadable_as_none() -> Iterator[None]:
    """A stored part whose checksum matches but whose shape this nhiscan does not read (written by
    another version, or by hand) is passed over, as if it were not there."""
    with suppress(KeyError, IndexError, TypeError, ValueError, AttributeError):
        yield


def _guarded(method: Callable[..., _T]) -> Callable[..., _T]:
    @functools.wraps(method)
    def guarded(self: HistoryStore, *args: Any, **kwargs: Any) -> _T:
        with self._faults():
            return method(self, *args, **kwargs)

    return guarded


def _require_sqlite_file(url: str) -> None:
    if not url.startswith("sqlite:///"):
        return
    location = url.removeprefix("sqlite:///").split("?", 1)[0]
    if location in ("", ":memory:") or Path(location).exists():
        return
    raise HistoryError(f"history database {location} does not exist: no scan has been stored there")


class HistoryStore:
    """Every public method turns a database fault (unreachable, corrupt, an unknown migration
    revision, a stored blob that is not a scan) into one HistoryError line (exit 2)."""

    def __init__(self, url: str | None = None, migrate: bool = True, must_exist: bool = False) -> None:
        """``must_exist``: for commands that only read, a SQLite file that is not there is an error,
        not a new empty history (a mistyped path would otherwise read as "no stored scans")."""
        self.url = database_url(url) if url else default_url()
        if must_exist:
            _require_sqlite_file(self.url)
        with self._faults():
            self.engine = self._engine(self.url)
            if migrate:
                self.migrate()

    def _safe_url(self) -> str:
        return shown_url(self.url)

    @contextmanager
    def _faults(self) -> Iterator[None]:
        try:
            yield
        except HistoryError:
            raise
        except ArgumentError:
            raise HistoryError(f"history database: '{self._safe_url()}' is not a database URL or path") from None
        except ImportError as error:  # a URL SQLAlchemy knows whose driver is not installed (mysql://)
            raise HistoryError(
                f"history database {self._safe_url()}: its driver ({error.name or error}) is not installed; "
                "nhiscan stores its history in SQLite or PostgreSQL (pip install 'nhiscan[postgresql]')"
            ) from None
        except SQLAlchemyError as error:
            cause = getattr(error, "orig", None) or error
            detail = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
            raise HistoryError(
                f"history database {self._safe_url()}: {without_credentials(detail, self.url)}"
            ) from None
        except (zlib.error, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise HistoryError(f"history database {self._safe_url()}: a stored scan is unreadable ({error})") from None
        except OSError as error:
            message = without_credentials(str(error.strerror or error), self.url)
            raise HistoryError(f"history database {self._safe_url()}: {message}") from None

    @staticmethod
    def _engine(url: str) -> Engine:
        if url.startswith("sqlite:///"):
            file = Path(url.removeprefix("sqlite:///"))
            file.parent.mkdir(parents=True, exist_ok=True)
            # only a file that holds nothing yet: on another, the pragma would wait for its lock
            new = not file.exists() or file.stat().st_size == 0
            engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

            @event.listens_for(engine, "connect")
            def _sqlite_pragmas(connection: Any, _: Any) -> None:
                nonlocal new
                cursor = connection.cursor()
                if new:  # a new history's space can be given back (sqlite_space)
                    cursor.execute(NEW_DATABASE_PRAGMA)
                    new = False
                cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for a writer
                cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")  # writers wait for each other
                cursor.close()

            return engine
        connect_args: dict[str, Any] = {}
        if url.startswith(("postgresql", "postgres")):
            connect_args = {
                "connect_timeout": CONNECT_TIMEOUT_SECONDS,
                "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
            }
        return create_engine(url, pool_pre_ping=True, connect_args=connect_args)

    def migrate(self, revision: str = "head") -> None:
        """Bring the schema to ``revision``; concurrent openers serialise on a lock (alembic's
        context is process-global, and other processes wait on the database's own lock). A
        database already at the newest revision is recognised without loading alembic."""
        if revision == "head" and self._revision() == SCHEMA_REVISION:
            return
        from alembic.util.exc import CommandError

        try:
            with _MIGRATING:
                self._upgrade(revision)
        except CommandError as error:
            message = without_credentials(str(error).splitlines()[0], self.url)
            raise HistoryError(f"history database {self._safe_url()}: {message}") from None

    def _revision(self) -> str | None:
        with self.engine.connect() as connection:
            try:
                return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            except (OperationalError, ProgrammingError):  # no table yet: a new database
                return None

    def _upgrade(self, revision: str) -> None:
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        for attempt in range(3):
            try:
                with self.engine.begin() as connection:
                    if connection.dialect.name == "postgresql":
                        connection.execute(text("SELECT pg_advisory_xact_lock(7461626)"))
                    config.attributes["connection"] = connection
                    command.upgrade(config, revision)
                return
            except SQLAlchemyError:
                if attempt == 2:
                    raise

    # ---------------------------------------------------------------- writing

    @contextmanager
    def writing(self, wait_ms: int | None = None) -> Iterator[Connection]:
        """A transaction that holds the database's write lock from its start (this module's
        tables and the other modules' of the history); SQLite's wait for another writer (up to
        ``wait_ms``, BUSY_TIMEOUT_MS unless given) is taken in turns a signal can end (see
        sqlite_lock)."""
        wait_ms = BUSY_TIMEOUT_MS if wait_ms is None else wait_ms
        with self.engine.begin() as connection:
            if connection.dialect.name == "sqlite":
                try:
                    take_write_lock(connection, wait_ms)
                except StillLocked:
                    raise HistoryError(
                        f"history database {self._safe_url()}: another process held it locked for "
                        f"{wait_ms // 1000} s; nothing was written to it"
                    ) from None
            yield connection

    @_guarded
    def save(
        self,
        result: ScanResult,
        results_json: str | ResultsPacker,
        group: str | None = None,
        executive: ExecutiveView | None = None,
        shard: Shard | None = None,
        run: str | None = None,
    ) -> TrendPoint:
        """Store a scan in one transaction: readers see all of it or none of it. ``results_json``:
        its results.json text, or the packer that saw it written; ``executive``: its executive
        view, if the scan computed it already (for its PDF); ``shard`` and ``run``: which shard of
        which run of its group it is (see ``group_runs``)."""
        sources = [
            {"name": s.name, "account": s.account, "status": s.status, "errors": len(s.errors)}
            for s in result.scan.sources
        ]
        point = result.trend[-1] if result.trend and result.trend[-1].scan_id == result.scan.id else None
        if point is None:  # the scan command computed it already
            of_run = group is not None and shard is not None  # compared with its own accounts in earlier runs
            point = trend_point(
                result,
                self.previous_side(
                    None if of_run else group,
                    scan_scope(result) if of_run or group is None else None,
                    outside=group if of_run else None,
                    controls=control_set(result),
                    run=run,
                ),
            )
        if isinstance(results_json, ResultsPacker):
            try:
                stored_results = results_json.packed()
            except PackingLost:  # its worker went (killed, out of memory): packed again here, from the result
                results_json = ResultsPacker()
                results_json.add_result(result)
                stored_results = results_json.packed()
            blocks, blocks_end = results_json.findings_blocks, results_json.findings_end
        else:
            stored_results, blocks, blocks_end = _pack(results_json), None, None
        with collector_paused():  # the index is made of a million acyclic objects; a scan's heap is large
            index, indexed = drift_index(result, blocks, blocks_end)
        # kept once: in the index when it holds every fingerprint (empty here: see migration 0004)
        failing = (
            b"" if indexed else _pack("\n".join(sorted(f.fingerprint for f in result.findings if f.status == "fail")))
        )
        with self.writing() as connection:
            connection.execute(
                scans.insert().values(
                    id=result.scan.id,
                    scan_group=group,
                    started=result.scan.started,
                    finished=result.scan.finished,
                    as_of=result.scan.as_of,
                    score=result.score,
                    grade=grade(result.score),
                    fail_on=result.gate.get("fail_on", result.scan.fail_on),
                    passed=bool(result.gate.get("passed")),
                    blocking=int(result.gate.get("blocking_findings", 0)),
                    failing=point.failing_by_severity,
                    frameworks=point.frameworks,
                    sources=sources,
                    new_failures=point.new,
                    resolved_failures=point.resolved,
                    median_credential_age=point.median_credential_age,
                    tool_version=result.tool.get("version", ""),
                    failing_fingerprints=failing,
                    results=stored_results,
                    executive=_pack(summary_document(result, executive or executive_view(result))),
                    drift_index=index,
                    control_set=control_set(result),
                    shard=None if shard is None else str(shard),
                    scan_run=run,
                )
            )
        return point

    @_guarded
    def previous_failing(
        self,
        group: str | None = None,
        scope: frozenset[str] | None = None,
        outside: str | None = None,
        controls: str | None = None,
        run: str | None = None,
    ) -> set[str] | None:
        """Failing fingerprints of the latest stored scan of the group (or, with no group, of the
        same ``scope``; see ``trend`` for ``outside``, ``run`` and ``controls``); None when there is none."""
        earlier = self.trend(group, limit=1, scope=scope, outside=outside, controls=controls, run=run)
        if not earlier:
            return None
        with self.engine.connect() as connection:
            row = connection.execute(
                select(scans.c.failing_fingerprints).where(scans.c.id == earlier[-1].scan_id)
            ).first()
            if row is None:
                return None
            if row.failing_fingerprints:
                return set(_unpack(row.failing_fingerprints)[0].decode("utf-8").split("\n")) - {""}
            index = connection.execute(select(scans.c.drift_index).where(scans.c.id == earlier[-1].scan_id)).scalar()
        with _unreadable_as_none():
            failing = indexed_failing(index or b"")
            if failing is not None:
                return failing
        raise HistoryError(
            f"history database {self._safe_url()}: scan {earlier[-1].scan_id}'s failing findings are unreadable"
        )

    @_guarded
    def prune(self, older_than_days: int) -> int:
        cutoff = datetime.now(UTC) - timedelta(days=older_than_days)
        with self.writing() as connection:
            pruned = int(connection.execute(delete(scans).where(scans.c.finished < cutoff)).rowcount or 0)
        if pruned and self.engine.dialect.name == "sqlite":
            release_free_pages(self.engine)
        return pruned

    # ---------------------------------------------------------------- reading

    @_guarded
    def listing(
        self, group: str | None = None, limit: int = 50, ungrouped: bool = False, fields: Sequence[str] = ()
    ) -> list[dict[str, Any]]:
        """Stored scans, newest first: of one group, of no group (``ungrouped``), or all; every
        column but the stored results, or only ``fields`` (a large estate's ``sources`` are long)."""
        columns = [scans.c[name] for name in fields] or [c for c in scans.c if c.name not in STORED_PARTS]
        query = select(*columns).order_by(scans.c.finished.desc()).limit(limit)
        if group is not None:
            query = query.where(scans.c.scan_group == group)
        elif ungrouped:
            query = query.where(scans.c.scan_group.is_(None))
        with self.engine.connect() as connection:
            try:
                rows = [dict(row._mapping) for row in connection.execute(query)]
            except json.JSONDecodeError:
                raise  # a stored value that is no JSON (see _faults)
            except ValueError:  # a time column holding text that is no time (SQLite keeps text)
                raise HistoryError(self._row_unreadable("a scan", "started, finished or as_of")) from None
        for row in rows:
            wrong = wrong_column(row)
            if wrong is not None:
                scan = f"scan {row['id']}" if isinstance(row.get("id"), str) else "a scan"
                raise HistoryError(self._row_unreadable(scan, wrong))
        return rows

    def _row_unreadable(self, scan: str, column: str) -> str:
        return (
            f"history database {self._safe_url()}: the row of {scan} holds a value in its {column} column that "
            "nhiscan does not write there: it was not stored by nhiscan, or was changed since"
        )

    def trend(
        self,
        group: str | None = None,
        limit: int = 12,
        scope: frozenset[str] | None = None,
        outside: str | None = None,
        controls: str | None = None,
        run: str | None = None,
    ) -> list[TrendPoint]:
        """The last ``limit`` scans of the group, oldest first. Without a group, the ungrouped scans
        of the same ``scope`` (see ``scan_scope``) among the last SCOPE_WINDOW: a demo scan, an empty
        folder and an AWS organisation never share one trend line. With ``outside`` (one shard of
        a sharded run, its group that run's), the scans of the same scope in any other group or none:
        the same shard in earlier runs, never its sibling shards; with ``run`` as well (the run's
        key), also those of the same group in its other runs. With ``controls`` (see
        ``control_set``), only the scans that evaluated the same controls: a scan limited to one
        framework is on a line of its own."""
        if (group is None and scope is not None) or controls is not None:
            listed = self.listing(group, SCOPE_WINDOW, ungrouped=group is None and outside is None)
            rows = [
                row
                for row in listed
                if (scope is None or _row_scope(row) == scope)
                and (outside is None or row["scan_group"] != outside or (run is not None and row["scan_run"] != run))
                and (controls is None or row["control_set"] == controls)
            ]
            rows = list(reversed(rows[:limit]))
        else:
            rows = list(reversed(self.listing(group, limit, ungrouped=group is None)))
        return [
            TrendPoint(
                scan_id=row["id"],
                finished=_aware(row["finished"]),
                score=row["score"],
                failing=sum((row["failing"] or {}).values()),
                failing_by_severity=row["failing"] or {},
                frameworks=row["frameworks"] or {},
                median_credential_age=row["median_credential_age"],
                new=row["new_failures"],
                resolved=row["resolved_failures"],
                incomplete_sources=incomplete_source_count(row),
            )
            for row in rows
        ]

    @_guarded
    def load(self, scan_id: str) -> ScanResult:
        """A stored scan's results: read as they are inflated when they are exactly what this
        nhiscan stored (see stored_results), otherwise parsed whole and validated. They must be
        the row's own scan: a checksum does not tie them to it (see ``_its_own``)."""
        scan_id = self._full_id(scan_id)
        stored = self._stored(scan_id, scans.c.results)
        label = Path(f"history:{scan_id}")
        result = streamed_result(stored, label)
        if result is None:  # not as this nhiscan stores its own results, even where the checksum matches: validated
            text_bytes, _ = _unpack(stored)
            result = results_from_data(_parsed(text_bytes, label), label)
        _its_own(result.scan.id, scan_id, label)
        return result

    @_guarded
    def load_document(self, scan_id: str) -> Any:
        """A stored scan's results.json, parsed; its callers validate it whether or not its checksum
        matches. A unique prefix of its id is enough, as with git commits."""
        scan_id = self._full_id(scan_id)
        stored = self._stored(scan_id, scans.c.results)
        text_bytes, _ = _unpack(stored)
        label = Path(f"history:{scan_id}")
        document = _parsed(text_bytes, label)
        scan = document.get("scan") if isinstance(document, dict) else None
        if isinstance(scan, dict) and isinstance(scan.get("id"), str):  # else the caller's validation says so
            _its_own(scan["id"], scan_id, label)
        return document

    @_guarded
    def load_summary(self, scan_id: str) -> tuple[ScanResult, ExecutiveView] | None:
        """What the executive report shows of a stored scan, read without its findings; None for a
        scan stored before summaries were kept, or one whose summary is not intact or not one this
        nhiscan reads, or another scan's (the whole results, validated, are read instead)."""
        scan_id = self._full_id(scan_id)
        stored = self._stored(scan_id, scans.c.executive)
        if stored is None:
            return None
        text_bytes, intact = _unpack(stored)
        if not intact:
            return None
        with _unreadable_as_none():
            summary = from_summary_document(orjson.loads(text_bytes))
            return summary if summary is not None and summary[0].scan.id == scan_id else None
        return None

    @_guarded
    def drift_side(self, scan_id: str) -> Side | None:
        """What a diff reads of a stored scan, from its drift index; None for a scan stored before
        indexes were kept, or whose index is not intact or has no findings blocks."""
        scan_id = self._full_id(scan_id)
        with self.engine.connect() as connection:
            stored = connection.execute(select(scans.c.drift_index).where(scans.c.id == scan_id)).scalar()
        if stored is None:
            return None
        label = f"history:{scan_id}"
        elsewhere = functools.partial(self._controls_and_sources, scan_id)
        side: Side | None = None
        if stored[: len(INDEX_MAGIC)] == INDEX_MAGIC:
            with _unreadable_as_none():
                side = side_of_stored_index(label, stored, lambda: self._stored_results(scan_id), elsewhere)
        else:
            text_bytes, intact = _unpack(stored)
            if intact:
                with _unreadable_as_none():
                    side = side_of_index_v2(label, orjson.loads(text_bytes), self._stored_results(scan_id), elsewhere)
        # another scan's index is read past: the results, validated and checked to be this scan's, are read instead
        return side if side is not None and side.scan_id == scan_id else None

    def _controls_and_sources(self, scan_id: str) -> tuple[set[str], list[SourceRead]] | None:
        """The controls a stored scan evaluated and the sources it read, from its stored summary
        (for a drift index stored before it held them); None when the summary does not say."""
        stored = self._stored(scan_id, scans.c.executive)
        if stored is None:
            return None
        text_bytes, intact = _unpack(stored)
        if not intact:
            return None
        with _unreadable_as_none():
            result = orjson.loads(text_bytes)["result"]
            sources = [SourceRead(s["name"], s["account"], s["status"]) for s in result["scan"]["sources"]]
            return {str(c["id"]) for c in result["controls"]}, sources
        return None

    def previous_side(
        self,
        group: str | None = None,
        scope: frozenset[str] | None = None,
        outside: str | None = None,
        controls: str | None = None,
        run: str | None = None,
    ) -> Side | None:
        """What a diff reads of the latest stored scan of the group (or, with no group, of the same
        ``scope``; see ``trend`` for ``outside``, ``run`` and ``controls``); None when there is none."""
        earlier = self.trend(group, limit=1, scope=scope, outside=outside, controls=controls, run=run)
        if not earlier:
            return None
        scan_id = earlier[-1].scan_id
        side = self.drift_side(scan_id)
        if side is not None:
            return side
        document = self.load_document(scan_id)
        return side_of_document(document, Path(f"history:{scan_id}"))

    @_guarded
    def _stored_results(self, scan_id: str) -> bytes:
        """A stored scan's results as zlib data (past STORED_MAGIC and the checksum)."""
        with self.engine.connect() as connection:
            stored = connection.execute(select(scans.c.results).where(scans.c.id == scan_id)).scalar()
        if stored is None:
            raise HistoryError(f"history database {self._safe_url()}: scan {scan_id} is no longer stored")
        return bytes(stored[len(STORED_MAGIC) + 32 :])

    def _stored(self, scan_id: str, column: Any) -> Any:
        with self.engine.connect() as connection:
            return connection.execute(select(column).where(scans.c.id == self._full_id(scan_id))).scalar()

    def _full_id(self, scan_id: str) -> str:
        """The id of the one stored scan whose id is ``scan_id`` or starts with it."""
        with self.engine.connect() as connection:
            if connection.execute(select(scans.c.id).where(scans.c.id == scan_id)).scalar() is not None:
                return scan_id
            matches = (
                connection.execute(select(scans.c.id).where(scans.c.id.like(f"{scan_id}%")).limit(2)).scalars().all()
            )
        if len(matches) != 1:
            raise InputError(f"no stored scan {scan_id}" if not matches else f"scan id {scan_id} is ambiguous")
        return str(matches[0])

    @_guarded
    def group_runs(self, group: str) -> list[GroupRun]:
        """The runs of a scan group, oldest first (see ``GroupRun``): a scan stored with a run key
        (``--scan-run``) is of that run; scans stored without one are together one run. Each
        run is the latest scan of each shard i/n, n that of the run's latest sharded scan, and the
        latest scan of each scope of those stored without a shard; an older scan that read an
        account a newer one of the run read is superseded, whatever its shard. A shard of n the run
        holds no scan of is named missing, with its latest scan in another run, which is never
        taken in its place; so is an account only the scans superseded read."""
        query = (
            select(scans.c.id, scans.c.finished, scans.c.sources, scans.c.shard, scans.c.scan_run,
                   scans.c.control_set)
            .where(scans.c.scan_group == group)
            .order_by(scans.c.finished.desc(), scans.c.id.desc())
        )  # fmt: skip
        with self.engine.connect() as connection:
            rows = [dict(row._mapping) for row in connection.execute(query)]
        if not rows:
            raise InputError(f"no stored scans in group {group}")
        keys = list(dict.fromkeys(row["scan_run"] for row in rows))  # newest run first
        runs = [_group_run(group, key, [row for row in rows if row["scan_run"] == key], rows) for key in keys]
        return list(reversed(runs))

    def group(self, group: str, run: str | None = None) -> list[ScanResult]:
        """The scans of the group's latest run (or of run ``run``), newest first (see ``group_runs``)."""
        return [self.load(scan_id) for scan_id in self.group_run(group, run).scan_ids]

    def group_run(self, group: str, run: str | None = None) -> GroupRun:
        """The group's latest run, or its run ``run``."""
        runs = self.group_runs(group)
        if run is None:
            return runs[-1]
        for candidate in runs:
            if candidate.run == run:
                return candidate
        raise InputError(f"no stored scans of run {run} in group {group}")

    @_guarded
    def count(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(scans)).scalar() or 0)


SCOPE_WINDOW = 1000  # stored scans searched for earlier scans of the same scope


@dataclass(frozen=True, slots=True)
class MissingPart:
    """What a run of a group does not hold: a shard of n the run has no scan of (source "shard",
    part "i/n"), or an account that only scans the run leaves out read (source "aws", part the
    account). Each is a source that failed in the merged report."""

    part: str
    detail: str  # why, and the scan left out or the shard's latest scan in another run
    source: str = "shard"


@dataclass(frozen=True, slots=True)
class GroupRun:
    """One run of a scan group: the scans a merged report of it merges (newest first)."""

    group: str
    run: str | None  # its key (--scan-run); None for the scans stored without one
    scan_ids: list[str]
    finished: datetime  # of its latest scan
    shards: int | None  # n, when its scans are shards of n
    missing: list[MissingPart] = field(default_factory=list)
    control_sets: frozenset[str | None] = frozenset()

    @property
    def complete(self) -> bool:
        return not self.missing


def _group_run(group: str, key: str | None, rows: list[dict[str, Any]], everything: list[dict[str, Any]]) -> GroupRun:
    """A run of ``rows`` (newest first); ``everything``: all the group's scans, for missing shards."""
    sharded = [(row, Shard.parse(row["shard"])) for row in rows if row["shard"]]
    count = sharded[0][1].count if sharded and sharded[0][1] is not None else None
    kept: list[dict[str, Any]] = []
    left_out: list[dict[str, Any]] = []
    taken: set[str] = set()  # "i/n" of the shards kept; the scope of each unsharded scan kept
    read: set[str] = set()  # sources and accounts read by the scans kept
    for row in rows:
        shard = Shard.parse(row["shard"]) if row["shard"] else None
        scope = _row_scope(row)
        accounts = _accounts(scope)
        if shard is not None:
            slot = str(shard)
            # sibling shards may both list a tenant-wide source; only an unsharded scan overlaps one
            if (
                shard.count != count
                or slot in taken
                or accounts & {item for r in kept if not r["shard"] for item in _row_scope(r)}
            ):
                left_out.append(row)
                continue
        else:
            slot = "scope " + "\n".join(sorted(scope))
            if slot in taken or accounts & read:
                left_out.append(row)
                continue
        kept.append(row)
        taken.add(slot)
        read |= accounts
    missing = _accounts_left_out(left_out, read)
    for index in range(1, (count or 0) + 1):
        slot = f"{index}/{count}"
        if slot in taken:
            continue
        named = f"run {key}" if key is not None else "the scans stored without a run key"
        elsewhere = next((r for r in everything if r["shard"] == slot and r["scan_run"] != key), None)
        detail = f"no scan of shard {slot} in {named} of group {group}"
        if elsewhere is not None:
            of = f"run {elsewhere['scan_run']}" if elsewhere["scan_run"] is not None else "no named run"
            detail += (
                f"; its latest scan ({elsewhere['id']}, finished {_aware(elsewhere['finished']):%Y-%m-%d %H:%M} UTC) "
                f"is of {of} and is not merged"
            )
        missing.append(MissingPart(slot, detail))
    return GroupRun(
        group=group,
        run=key,
        scan_ids=[row["id"] for row in kept],
        finished=_aware(rows[0]["finished"]),
        shards=count,
        missing=missing,
        control_sets=frozenset(row["control_set"] for row in kept),
    )


def _accounts(scope: frozenset[str]) -> set[str]:
    """The "source:account" items of a scope that name an account: a source of no account
    (``manifests:``) is no overlap."""
    return {item for item in scope if not item.endswith(":")}


def _accounts_left_out(left_out: list[dict[str, Any]], read: set[str]) -> list[MissingPart]:
    """The accounts that scans the run leaves out (``left_out``, newest first) read and no scan it
    keeps read (``read``): an older scan of two accounts is superseded by a newer scan of one of
    them, and the other's failures would otherwise leave the merged report without a word."""
    missing: dict[str, MissingPart] = {}
    for row in left_out:
        for item in sorted(_accounts(_row_scope(row)) - read):
            source, _, account = item.partition(":")
            detail = (
                f"read only by scan {row['id']} (finished {_aware(row['finished']):%Y-%m-%d %H:%M} UTC), which the "
                "run leaves out as newer scans read its other accounts; not merged"
            )
            missing.setdefault(item, MissingPart(account, detail, source))
    return list(missing.values())


def scan_scope(result: ScanResult) -> frozenset[str]:
    """What a scan looked at: each source and account it read (``aws:111122223333``,
    ``manifests:/srv/repo``), whatever came of the reading."""
    return frozenset(f"{source.name}:{source.account}" for source in result.scan.sources)


def control_set(result: ScanResult) -> str:
    """The controls a scan evaluated, as one key: scans are comparable (one trend line; new and
    resolved failures) only when they evaluated the same controls."""
    return hashlib.sha256("\n".join(sorted({c.id for c in result.controls})).encode("utf-8")).hexdigest()


def _row_scope(row: dict[str, Any]) -> frozenset[str]:
    return frozenset(f"{source.get('name')}:{source.get('account')}" for source in row.get("sources") or ())


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def trend_point(result: ScanResult, before: Side | None) -> TrendPoint:
    """The scan's point of its trend; its new and resolved failures counted against ``before``
    (the scan before it in its trend, None when there is none), as ``nhiscan diff`` counts them:
    a failure the scan no longer judged is not resolved."""
    failing = [f for f in result.findings if f.status == "fail"]
    by_severity = failing_by_severity(failing)
    ages = []
    if result.inventory is not None:
        for credential in result.inventory.credentials:
            if credential.active_at(result.scan.as_of) and not credential.managed_by_provider:
                age = credential_age(credential, result.scan.as_of)
                if age is not None:
                    ages.append(age)
    new = resolved = None
    if before is not None:  # the first scan of a trend has nothing to be new or resolved against
        now = {f.fingerprint for f in failing}
        after = side_of(result)
        try:
            new = len(judged_before(before, after, sorted(now - before.failing))[0])  # not those it did not judge
            new += len(failing_on_secrets_not_held_before(before, after)[0])
            gone = sorted(before.failing - now - after.waived)
            resolved = len(judged_since(before, after, gone)[0])
        except StoredIndexError:  # a section of the earlier scan's index it cannot read: not known
            new = resolved = None
    return TrendPoint(
        scan_id=result.scan.id,
        finished=result.scan.finished,
        score=result.score,
        failing=len(failing),
        failing_by_severity=by_severity,
        frameworks={f.id: f.score for f in result.frameworks},
        median_credential_age=float(statistics.median(ages)) if ages else None,
        new=new,
        resolved=resolved,
        incomplete_sources=sum(1 for source in result.scan.sources if source.status != "complete"),
    )
