"""An account whose source failed (nothing read: a role that could not be assumed) holds unknown
identities, agents and log sources, never none: its logging controls are unknown, not failing on
"trails: none" for trails nobody could list."""

from __future__ import annotations

import dataclasses

from scanner.model import SourceError
from scanner.scan import ScanOptions, run_scan, unread_results
from scanner.sources import SourceSpec, collect

LOST = "444455556666"


def test_the_logging_controls_of_an_account_nothing_was_read_of_are_unknown(catalogs) -> None:
    whole = collect(SourceSpec("demo"))
    lost = dataclasses.replace(
        whole,
        identities=[i for i in whole.identities if i.account != LOST],
        agents=[a for a in whole.agents if a.account != LOST],
        log_sources=[s for s in whole.log_sources if s.account != LOST],
        sources=[
            dataclasses.replace(s, status="failed", errors=[SourceError("sts:AssumeRole", "AccessDenied")])
            if s.account == LOST
            else s
            for s in whole.sources
        ],
    )
    result = run_scan(lost, catalogs, ScanOptions(allow_partial=True))
    on_the_account = {(f.control_id, f.status) for f in result.findings if f.resource.uid == LOST}
    logging = {(control, status) for control, status in on_the_account if control.startswith("NHI-LOG-")}
    assert logging and {status for _, status in logging} == {"unknown"}, logging
    (account,) = [a for a in result.inventory.accounts if a.uid == LOST]
    assert {"identities", "agents", "log_sources"} <= set(account.unknown)
    read = run_scan(whole, catalogs, ScanOptions())
    assert any(
        f.resource.uid == LOST and f.status == "fail" for f in read.findings if f.control_id.startswith("NHI-LOG-")
    ), "read, the same account fails them: the unknowns are the lost read's, not the estate's"


def test_an_account_two_of_whose_sources_failed_is_one_unread_account_in_the_score(catalogs) -> None:
    whole = collect(SourceSpec("demo"))
    failed = SourceError("sts:AssumeRole", "AccessDenied")

    def lost(times: int) -> dict[str, int]:
        sources = [s for s in whole.sources if s.account != LOST]
        sources += [dataclasses.replace(whole.sources[0], name=f"aws-{n}", account=LOST, status="failed",
                                        errors=[failed]) for n in range(times)]  # fmt: skip
        inventory = dataclasses.replace(whole, sources=sources)
        return unread_results(run_scan(inventory, catalogs, ScanOptions(allow_partial=True)).controls, inventory)

    assert lost(1) and lost(2) == lost(1)
