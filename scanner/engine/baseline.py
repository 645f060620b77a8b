"""Baselines: gate only on failures that an earlier scan did not already have."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from scanner.errors import InputError
from scanner.loading import read_json
from scanner.model import PLAINTEXT_SECRET, RESULTS_SCHEMA_VERSION, Finding, Waiver
from scanner.secrets_held import by_holder, on_plaintext_secrets


@dataclass(frozen=True, slots=True)
class Baseline:
    fingerprints: set[str]  # of its failing and waived findings
    # each agent's capability tags then; None when the file predates results 1.1 (no inventory)
    agent_reach: dict[str, frozenset[str]] | None
    unknown: frozenset[str] = frozenset()  # fingerprints of its unknown findings
    # controls that judged some resource then (None: not recorded); one that judged none, such as a
    # control that applies only against a baseline, has nothing to compare an unknown result with
    judged: frozenset[str] | None = None
    # fingerprints of its waived findings: a failure accepted then for a limited time, not for good
    waived: frozenset[str] = frozenset()
    # the fingerprints of the plaintext secrets each record held then (by holder uid); None when
    # the file holds no inventory
    secrets: dict[str, frozenset[str]] | None = None


def load_baseline(path: Path) -> Baseline:
    """An earlier results.json: the fingerprints of its failing (or waived) findings, which of them
    were waived, and the reach
    of each agent it saw. A large one laid out as nhiscan writes it is read as it is read (see
    ``results_file``), checked as one read whole is; any other is read whole. The scan reads its baseline before
    collecting (to fail fast) and again to mark findings new; the second time, a file unchanged
    since is not read again."""
    try:
        status = path.stat()
    except OSError:
        return _read_baseline(path)  # which names the failure
    return _read_unchanged(path, status.st_ino, status.st_size, status.st_mtime_ns)


@functools.lru_cache(maxsize=1)
def _read_unchanged(path: Path, inode: int, size: int, modified_ns: int) -> Baseline:
    return _read_baseline(path)


def _read_baseline(path: Path) -> Baseline:
    from scanner.results_file import streamed_baseline

    streamed = streamed_baseline(path)
    if streamed is not None:
        data, known, unknown, waived = streamed
        _findings_of(data, path)  # its findings were read line by line; the rest is checked alike
    else:
        data = read_json(path)
        known, unknown, waived = _known_fingerprints(_findings_of(data, path), path)
    version = data.get("schema_version")
    supported = RESULTS_SCHEMA_VERSION.split(".")[0]
    if not isinstance(version, str) or version.split(".")[0] != supported:
        # fingerprints of another schema may be computed differently: every finding would look new
        raise InputError(
            f"baseline schema_version {version!r} is not supported (this nhiscan reads {supported}.x)",
            str(path),
            "$.schema_version",
        )
    return Baseline(
        known, _agent_reach(data), frozenset(unknown), _judged_controls(data), frozenset(waived), _secrets(data)
    )


def _secrets(data: dict[str, Any]) -> dict[str, frozenset[str]] | None:
    """``secrets_held`` of the baseline's inventory (its records as JSON); None without one."""
    inventory = data.get("inventory")
    listed = inventory.get("credentials") if isinstance(inventory, dict) else None
    if not isinstance(listed, list):
        return None
    return by_holder(
        (str(c.get("identity_uid")), str(_fingerprint_of(c)))
        for c in listed
        if isinstance(c, dict) and c.get("kind") == PLAINTEXT_SECRET
    )


def _fingerprint_of(credential: dict[str, Any]) -> Any:
    attributes = credential.get("attributes")
    fingerprint = attributes.get("fingerprint") if isinstance(attributes, dict) else None
    return fingerprint or credential.get("uid")


def _judged_controls(data: dict[str, Any]) -> frozenset[str] | None:
    controls = data.get("controls")
    if not isinstance(controls, list):
        return None
    return frozenset(
        str(control.get("id"))
        for control in controls
        if isinstance(control, dict)
        and isinstance(control.get("counts"), dict)
        and any(isinstance(number, int) and number > 0 for number in control["counts"].values())
    )


def _findings_of(data: Any, path: Path) -> list[Any]:
    findings = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(findings, list) or "scan" not in data:
        raise InputError("not an nhiscan results file (no 'scan' and 'findings')", str(path), "$")
    return findings


def _known_fingerprints(findings: list[Any], path: Path) -> tuple[set[str], set[str], set[str]]:
    """The fingerprints of the failing (or waived) findings, of the unknown ones, and of the waived ones."""
    known: set[str] = set()
    unknown: set[str] = set()
    waived: set[str] = set()
    for index, finding in enumerate(findings):
        if not isinstance(finding, dict) or not isinstance(finding.get("fingerprint"), str):
            raise InputError("finding without a fingerprint", str(path), f"$.findings[{index}]")
        status = finding.get("status")
        if status in ("fail", "waived"):
            known.add(finding["fingerprint"])
            if status == "waived":
                waived.add(finding["fingerprint"])
        elif status == "unknown":
            unknown.add(finding["fingerprint"])
    return known, unknown, waived


def _agent_reach(data: dict[str, Any]) -> dict[str, frozenset[str]] | None:
    inventory = data.get("inventory")
    if not isinstance(inventory, dict):
        return None
    tags = data.get("capabilities") or {}
    return {
        agent["uid"]: frozenset(tags.get(agent["uid"], ()))
        for agent in inventory.get("agents") or []
        if isinstance(agent, dict) and isinstance(agent.get("uid"), str)
    }


def mark_new(
    findings: list[Finding], baseline: Baseline, secrets_now: Mapping[str, frozenset[str]] | None = None
) -> None:
    """A failure is new when the baseline did not fail it, or only waived it: a waiver accepts a
    failure until it expires, so once it has expired or been removed the failure blocks as a new
    one would. A failure on plaintext secrets is new, too, where its resource holds one the
    baseline did not record for it (``secrets_now``, see ``scanner.secrets_held``): a token pasted into
    a configuration that already held one is a new exposure to revoke. A waived result is new when
    the baseline had it neither failing nor waived. An unknown result is new when the baseline did
    not have it unknown as well and its control judged something then."""
    judged = baseline.judged
    then = baseline.secrets
    for finding in findings:
        if finding.status == "fail":
            finding.new = finding.fingerprint not in baseline.fingerprints or finding.fingerprint in baseline.waived
            if not finding.new and then is not None and secrets_now and on_plaintext_secrets(finding):
                uid = finding.resource.uid
                finding.new = bool(secrets_now.get(uid, frozenset()) - then.get(uid, frozenset()))
        elif finding.status == "waived":
            finding.new = finding.fingerprint not in baseline.fingerprints
        elif finding.status == "unknown":
            compared = judged is None or finding.control_id in judged
            finding.new = compared and finding.fingerprint not in baseline.unknown


def waivers_lapsed(findings: list[Finding], baseline: Baseline, expired: list[Waiver]) -> dict[str, str]:
    """Why each failure that the baseline had waived fails now, by fingerprint: ``expired`` when an
    expired waiver this scan lists covers it, ``removed`` when no waiver of this scan covers it (an
    active one would have waived it). A failure the baseline did not waive is not here: an expired
    waiver that happens to match a failure the baseline never had is not why that failure is new."""
    return {
        finding.fingerprint: "expired"
        if any(
            fnmatchcase(finding.control_id, waiver.control) and fnmatchcase(finding.resource.uid, waiver.resource)
            for waiver in expired
        )
        else "removed"
        for finding in findings
        if finding.status == "fail" and finding.fingerprint in baseline.waived
    }
