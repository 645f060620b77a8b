"""A folder given to file: is read whole, or the scan says which part it could not read. rglob
passed over a folder nhiscan may not list without a word: a folder of exports it may not read was
"no files in this directory", and one inside the folder given was not read at all. Run as root
without the capabilities that let root read anything (setpriv), so the system refuses as it
refuses a user. The exports are the CloudMapper demo's, unedited (../shared/realworld/aws)."""

from __future__ import annotations

import shutil
from pathlib import Path

from .as_a_user import needs_root_and_setpriv, scan_as_a_user
from .conftest import SHARED

EXPORTS = SHARED / "realworld" / "aws"
DEMO = (
    "cloudmapper-demo-iam-get-account-authorization-details.json",
    "cloudmapper-demo-iam-get-credential-report.json",
)

pytestmark = needs_root_and_setpriv


def exports_in(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name in DEMO:
        shutil.copy(EXPORTS / name, folder / name)
    return folder


def test_a_folder_that_cannot_be_listed_says_so(tmp_path: Path) -> None:
    folder = exports_in(tmp_path / "exports")
    folder.chmod(0)
    try:
        done = scan_as_a_user(f"file:{folder}", tmp_path / "out")
    finally:
        folder.chmod(0o755)
    assert done.returncode == 2
    assert done.stderr.strip() == f"nhiscan: error: {folder}: folder not read: Permission denied"


def test_a_folder_inside_that_cannot_be_listed_is_not_passed_over(tmp_path: Path) -> None:
    folder = exports_in(tmp_path / "exports" / "account-a")
    inside = exports_in(tmp_path / "exports" / "account-b")
    inside.chmod(0)
    try:
        done = scan_as_a_user(f"file:{tmp_path / 'exports'}", tmp_path / "out")
    finally:
        inside.chmod(0o755)
    assert done.returncode == 2, "account-b's exports were passed over and account-a's read as the estate"
    assert f"{inside}: folder not read: Permission denied" in done.stderr
    assert folder.exists()


def test_hidden_files_and_folders_are_still_left_out(tmp_path: Path) -> None:
    folder = exports_in(tmp_path / "exports")
    (folder / ".cache").mkdir()
    (folder / ".cache").chmod(0)  # hidden: never listed, so never refused
    (folder / ".notes.json").write_text("not an export")
    try:
        done = scan_as_a_user(f"file:{folder}", tmp_path / "out")
    finally:
        (folder / ".cache").chmod(0o755)
    assert done.returncode in (0, 3), done.stderr
