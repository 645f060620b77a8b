"""An output named as a device or a pipe (-o /dev/null, -o /dev/stdout, a named pipe) is written to,
never replaced: renaming a finished temporary file over it put a regular file in place of the
device, and as root that was /dev/null itself, for every program on the machine."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest


def _drain(fifo: Path, into: list[bytes]) -> threading.Thread:
    def read() -> None:
        with open(fifo, "rb") as stream:
            into.append(stream.read())

    reader = threading.Thread(target=read)
    reader.start()
    return reader


def test_an_inventory_written_to_a_named_pipe_goes_through_it(cli, tmp_path: Path) -> None:
    fifo = tmp_path / "inventory.pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = _drain(fifo, received)
    outcome = cli("inventory", "demo", "-o", str(fifo))
    reader.join(timeout=30)
    assert outcome.exit_code == 0
    assert stat.S_ISFIFO(fifo.stat().st_mode), "the pipe is still a pipe"
    assert received and received[0].startswith(b"{") and b'"identities"' in received[0]


def test_a_diff_written_to_a_named_pipe_goes_through_it(cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    cli("scan", "demo", "--no-history", "--format", "json", "--output-dir", str(out), "-q")
    fifo = tmp_path / "drift.pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = _drain(fifo, received)
    outcome = cli("diff", str(out / "results.json"), str(out / "results.json"), "-o", str(fifo))
    reader.join(timeout=30)
    assert outcome.exit_code == 0 and stat.S_ISFIFO(fifo.stat().st_mode)
    assert received and b"new_failures" in received[0]


@pytest.mark.skipif(os.geteuid() != 0, reason="making a character device needs root")
def test_a_character_device_stays_a_device(cli, tmp_path: Path) -> None:
    null = tmp_path / "null"
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # the same device as /dev/null
    assert cli("inventory", "demo", "-o", str(null)).exit_code == 0
    assert stat.S_ISCHR(null.stat().st_mode), "a regular file took the device's place"
