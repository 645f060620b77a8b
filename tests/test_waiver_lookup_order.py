"""The waiver that covers a result is the first of the file that matches it, however the waivers
are looked up: by exact resource, by the literal prefix of a ``prefix*`` pattern, or one pattern
at a time; and every waiver that covers it is found."""

from __future__ import annotations

import pytest

from scanner.engine.waivers import _FirstWaiver
from scanner.model import Waiver

UID = "arn:aws:iam::111122223333:user/ci-deploy#access_key:2026-01-01T00:00:00Z"


def _waiver(resource: str, control: str = "NHI-CRED-001") -> Waiver:
    return Waiver(control, resource, "a@example.com", "accepted", "2027-01-01")


@pytest.mark.parametrize(
    ("resources", "first"),
    [
        ([UID, "arn:aws:iam::111122223333:user/ci-*"], 0),  # exact, then prefix
        (["arn:aws:iam::111122223333:user/ci-*", UID], 0),  # prefix, then exact
        (["arn:aws:iam::*:user/ci-deploy#*", "arn:aws:iam::111122223333:user/ci-*"], 0),  # pattern, then prefix
        (["arn:aws:iam::111122223333:user/ci-*", "arn:aws:iam::*:user/ci-deploy#*"], 0),  # prefix, then pattern
        (["arn:aws:iam::111122223333:user/other*", "arn:aws:iam::111122223333:*", UID], 1),  # a longer prefix misses
        (["arn:aws:iam::111122223333:user/ci-deploy#access_key:2026-01-01T00:00:00Z*"], 0),  # the whole uid, and *
        (["arn:aws:iam::111122223333:user/ci-deploy#access_key:2026-01-01T00:00:00Zx*"], None),  # longer than the uid
    ],
)
def test_the_first_waiver_of_the_file_that_matches_covers_the_result(resources: list[str], first: int | None) -> None:
    lookup = _FirstWaiver([_waiver(r) for r in resources])
    assert lookup("NHI-CRED-001", UID) == first
    assert (min(lookup.all("NHI-CRED-001", UID), default=None)) == first


def test_every_waiver_covering_a_result_is_found_whatever_its_kind() -> None:
    resources = ["arn:aws:iam::111122223333:*", UID, "arn:aws:iam::*:user/ci-deploy#*", "arn:aws:iam::1*", "nope*"]
    lookup = _FirstWaiver([_waiver(r) for r in resources] + [_waiver(UID, control="NHI-OWN-001")])
    assert lookup.all("NHI-CRED-001", UID) == {0, 1, 2, 3}
    assert lookup("NHI-OWN-001", UID) == 5
