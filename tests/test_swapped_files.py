"""A file found in a folder (a control, a framework catalog, an export) that is swapped for a named
pipe after the folder was listed and checked is refused when it is opened, in one line: opened the
usual way, the read would wait for a writer that never comes and hold the command until it is
killed. A pipe the user names (``<(…)``, /dev/stdin) is read as before."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import scanner.frameworks as frameworks_module
from scanner.engine import controls as controls_module
from scanner.errors import InputError
from scanner.frameworks import load_frameworks
from scanner.loading import read_text
from scanner.sources import SourceSpec
from scanner.sources import exports as exports_module

NOT_REGULAR = "not a regular file (a pipe, device or socket); not read"


class Hung(BaseException):
    """Not an OSError (which the readers turn into a named error and may retry): nothing catches it."""


@pytest.fixture(autouse=True)
def never_hangs() -> Iterator[None]:
    """A read that blocks fails the test after 10 s instead of holding the suite."""

    def hung(signum, frame):
        raise Hung("the read waited on the pipe")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def swapped_for_a_pipe(path: Path) -> Path:
    path.unlink(missing_ok=True)
    os.mkfifo(path)
    return path


@pytest.mark.parametrize(
    ("module", "load"),
    [
        (controls_module, lambda folder: controls_module.load_controls([folder], {})),
        (frameworks_module, lambda folder: load_frameworks([folder])),
    ],
    ids=["control", "framework catalog"],
)
def test_a_file_swapped_for_a_pipe_after_the_folder_was_checked_is_refused(
    module, load, monkeypatch, tmp_path: Path
) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    found = folder / "X-1.yaml"
    found.write_text("id: X-1\n")
    checked = module.inside

    def swapped_after_checking(directory: Path, paths):
        kept = checked(directory, paths)
        swapped_for_a_pipe(found)
        return kept

    monkeypatch.setattr(module, "inside", swapped_after_checking)
    with pytest.raises(InputError) as refused:
        load(folder)
    assert str(refused.value) == f"{found}: {NOT_REGULAR}"


def test_an_export_swapped_for_a_pipe_after_the_listing_is_refused(monkeypatch, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    export = folder / "roles.json"
    export.write_text("{}")
    listed = exports_module._expand

    def swapped_after_listing(argument: str):
        found = listed(argument)
        swapped_for_a_pipe(export)
        return found

    monkeypatch.setattr(exports_module, "_expand", swapped_after_listing)
    with pytest.raises(InputError) as refused:
        exports_module.collect(SourceSpec("exports", str(folder)))
    # the file is not read (a gap), and the folder, holding no other export, is refused naming it
    assert str(refused.value) == f"{folder}: no recognised export (1 files read): roles.json: {NOT_REGULAR}"


@contextmanager
def written_once(pipe: Path, text: str) -> Iterator[None]:
    """Someone writes ``text`` into the pipe once, then goes."""

    def write() -> None:
        with open(pipe, "w") as writer:
            writer.write(text)

    writer = threading.Thread(target=write)
    writer.start()
    yield
    writer.join()


def test_a_pipe_the_user_names_is_read(tmp_path: Path) -> None:
    pipe = swapped_for_a_pipe(tmp_path / "waivers.yaml")
    with written_once(pipe, "waivers: []\n"):
        assert read_text(pipe) == "waivers: []\n"


def test_a_pipe_found_in_a_folder_is_refused_whether_or_not_anyone_writes(tmp_path: Path) -> None:
    pipe = swapped_for_a_pipe(tmp_path / "X-1.yaml")
    with pytest.raises(InputError) as refused:
        read_text(pipe, found=True)
    assert str(refused.value) == f"{pipe}: {NOT_REGULAR}"


def test_a_control_shown_after_it_was_swapped_for_a_pipe_is_shown_from_what_was_loaded(tmp_path: Path) -> None:
    """``controls show`` reads the file again for its blocks as written; a pipe there is not read."""
    from scanner.console import _block_as_written

    pipe = swapped_for_a_pipe(tmp_path / "X-1.yaml")
    assert _block_as_written(str(pipe), "where") is None


def test_a_git_configuration_swapped_for_a_pipe_names_the_folder(monkeypatch, tmp_path: Path) -> None:
    """The manifests source names a repository by its origin; the configuration is looked for in
    every folder above, /tmp/.git included, which anyone may write."""
    from scanner.sources.manifests.discover import repository_name

    repository = tmp_path / "repo"
    (repository / ".git").mkdir(parents=True)
    swapped_for_a_pipe(repository / ".git" / "config")
    monkeypatch.setattr(Path, "is_file", lambda self: True)  # it was a file when looked at
    assert repository_name(repository) == "repo"


def test_a_pipe_the_user_names_as_an_export_is_read_once(tmp_path: Path) -> None:
    """Invalid JSON is looked into again for a hint (gcloud's YAML), from the text already read:
    a pipe read a second time would wait for a writer that has gone."""
    pipe = swapped_for_a_pipe(tmp_path / "roles.json")
    with written_once(pipe, "not json at all"), pytest.raises(InputError, match="invalid JSON"):
        exports_module.collect(SourceSpec("exports", str(pipe)))
