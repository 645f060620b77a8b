"""The README's install and test commands, run as a user runs them on a stock Debian or Ubuntu."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SYSTEM_PYTHON = Path("/usr/bin/python3")
STOCK_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def _externally_managed(python: Path) -> bool:
    if not python.exists():
        return False
    stdlib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('stdlib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return (Path(stdlib) / "EXTERNALLY-MANAGED").exists()


@pytest.mark.skipif(
    not _externally_managed(SYSTEM_PYTHON), reason="needs an externally managed system Python (Debian 12, Ubuntu 24.04)"
)
def test_install_then_scan_demo_on_an_externally_managed_system_python(tmp_path: Path) -> None:
    # the old way, pip into the system Python, is refused there (PEP 668)
    refused = subprocess.run(
        [SYSTEM_PYTHON, "-m", "pip", "install", "--dry-run", "--no-deps", str(REPO)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode != 0 and "externally-managed-environment" in refused.stderr + refused.stdout

    bin_dir, home = tmp_path / "bin", tmp_path / "home"
    home.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "NHISCAN_DB")},
        "PATH": f"{bin_dir}:{STOCK_PATH}",
        "HOME": str(home),
        "NHISCAN_PYTHON": str(SYSTEM_PYTHON),
        "NHISCAN_HOME": str(tmp_path / "nhiscan"),
        "NHISCAN_BIN_DIR": str(bin_dir),
        # the user's download cache, so a second run does not fetch every wheel again
        "PIP_CACHE_DIR": os.environ.get("PIP_CACHE_DIR") or str(Path.home() / ".cache" / "pip"),
    }
    installed = subprocess.run(
        ["bash", "scripts/install.sh"], cwd=REPO, env=env, capture_output=True, text=True, timeout=1200, check=False
    )
    assert installed.returncode == 0, installed.stderr[-2000:]
    assert installed.stdout.startswith("nhiscan, version ")
    assert (bin_dir / "nhiscan").resolve() == (tmp_path / "nhiscan" / "venv" / "bin" / "nhiscan").resolve()

    # the second README command, in a fresh directory, finds the command on PATH
    work = tmp_path / "work"
    work.mkdir()
    scanned = subprocess.run(
        ["nhiscan", "scan", "demo", "--format", "json"], cwd=work, env=env, capture_output=True, text=True, timeout=600
    )
    assert scanned.returncode == 1, scanned.stderr  # the demo has high-severity failures: the gate at work
    assert json.loads((work / "nhiscan-out" / "results.json").read_text())["tool"]["name"] == "nhiscan"


def _fake_tools(directory: Path, log: Path) -> None:
    """dpkg-query that knows no package, apt-get that records its arguments."""
    directory.mkdir()
    (directory / "dpkg-query").write_text("#!/bin/sh\nexit 1\n")
    (directory / "apt-get").write_text(f'#!/bin/sh\necho "$@" >> {log}\n')
    (directory / "sudo").write_text('#!/bin/sh\nexec "$@"\n')
    for tool in directory.iterdir():
        tool.chmod(0o755)


def test_apt_steps_wait_for_a_held_lock_instead_of_failing(tmp_path: Path) -> None:
    log = tmp_path / "apt.log"
    _fake_tools(tmp_path / "fake", log)
    env = {**os.environ, "PATH": f"{tmp_path / 'fake'}:{os.environ['PATH']}", "APT_LOCK_TIMEOUT": "120"}
    done = subprocess.run(
        ["bash", "scripts/setup-system.sh", "--test", "--venv"], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    calls = log.read_text().splitlines()
    assert len(calls) == 2  # update, then install
    assert all(call.startswith("-o DPkg::Lock::Timeout=120 ") for call in calls)
    assert {"chromium", "poppler-utils", "postgresql", "python3-venv", "fonts-inter"} <= set(calls[1].split())


UNKNOWN_OPTION_TEST = "test_setup_system_rejects_an_unknown_option"
RELATIVE = Path(__file__).resolve().relative_to(REPO).as_posix()


def test_setup_system_rejects_an_unknown_option() -> None:
    done = subprocess.run(["bash", "scripts/setup-system.sh", "--tests"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 2 and "unknown option --tests" in done.stderr


def test_test_script_installs_into_its_own_environment_not_the_users(tmp_path: Path) -> None:
    base_python = Path(sys.base_prefix) / "bin" / "python3"

    def installed_nhiscan() -> str:
        shown = subprocess.run(
            [base_python, "-m", "pip", "show", "-f", "nhiscan"], capture_output=True, text=True, check=False
        )
        return shown.stdout

    before = installed_nhiscan()
    venv = tmp_path / "test-venv"
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")},
        "NHISCAN_TEST_VENV": str(venv),
        "NHISCAN_PYTHON": str(base_python),
        "NHISCAN_SKIP_LINT": "1",
    }
    done = subprocess.run(
        ["bash", "scripts/test.sh", "-q", "-p", "no:cacheprovider", f"{RELATIVE}::{UNKNOWN_OPTION_TEST}"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout
    assert (venv / "bin" / "nhiscan").exists()
    assert installed_nhiscan() == before
