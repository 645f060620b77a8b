"""junit.xml: a test case per control, for the test views of GitLab, Jenkins and Azure DevOps.

Those views list test cases with a pass/fail state and show a failure's message and text. One case
per control keeps the list as long as the catalog, not the estate: a failing control's failure
text lists each failing resource with its message (up to MAX_LISTED), a control with nothing to
judge is skipped, and one that could only come out unknown is skipped with the reason.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict

from scanner.model import Finding, ScanResult
from scanner.reports import Reporter, ReportSettings

MAX_LISTED = 500
# Characters XML 1.0 cannot carry even escaped (control characters, lone surrogates, U+FFFE/FFFF):
# ElementTree writes them as they are, and the file is then not XML at all
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _drop_forbidden_characters(root: ET.Element) -> None:
    for element in root.iter():
        if element.text:
            element.text = _NOT_XML.sub("?", element.text)
        for name, value in element.attrib.items():
            element.set(name, _NOT_XML.sub("?", value))


def render(result: ScanResult, settings: ReportSettings) -> str:
    by_control: dict[str, list[Finding]] = defaultdict(list)
    for finding in result.findings:
        by_control[finding.control_id].append(finding)
    suite = ET.Element("testsuite", name="nhiscan", timestamp=result.scan.finished.isoformat(timespec="seconds"))
    failures = skipped = 0
    for control in result.controls:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"nhiscan.{control.resource}",
            name=f"{control.id} {control.title}",
            time="0",
        )
        ET.SubElement(ET.SubElement(case, "properties"), "property", name="severity", value=control.severity)
        failing = [f for f in by_control[control.id] if f.status == "fail"]
        counts = control.counts
        if failing:
            failures += 1
            failure = ET.SubElement(
                case, "failure", message=f"{len(failing)} resource(s) fail ({control.severity})", type=control.severity
            )
            lines = [f"{f.resource.name} [{f.resource.uid}]: {f.message}" for f in failing[:MAX_LISTED]]
            if len(failing) > MAX_LISTED:
                lines.append(f"… and {len(failing) - MAX_LISTED} more (results.json lists all)")
            lines += ["", f"Remediation: {control.remediation}"]
            failure.text = "\n".join(lines)
        elif not any(counts.get(k) for k in ("pass", "waived", "fail")):
            skipped += 1
            reason = "could not be assessed (unknown)" if counts.get("unknown") else "no resource in scope"
            ET.SubElement(case, "skipped", message=reason)
        waived = counts.get("waived", 0)
        if waived:
            ET.SubElement(case, "system-out").text = f"{waived} failure(s) waived"
    suite.set("tests", str(len(result.controls)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    root = ET.Element("testsuites", name="nhiscan", tests=suite.get("tests", "0"), failures=str(failures))
    root.append(suite)
    _drop_forbidden_characters(root)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


REPORTER = Reporter(format="junit", filename="junit.xml", render=render)
