"""How long working out impersonation chains takes (scanner/sources/gcp/impersonation_chains.py):
N service accounts of one project, E of which hold Editor on it (so may act as every account, and
as each other), and H people holding Owner. Prints the time and the impersonators per account.
Then the same accounts with every account of the organisation bound to a custom role whose
definition was not read (each may act as every other, or not), no person acting as any: the
doubtful links, and a chain of N such links one after the other.

    python benchmarks/bench_impersonation_chains.py            # 20,000 accounts, 200 editors, 20 owners
    python benchmarks/bench_impersonation_chains.py 1000 200 20
"""

from __future__ import annotations

import sys
import time
from itertools import pairwise
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scanner.model import Identity
from scanner.sources.gcp.impersonation_chains import add_people_through_accounts


def main(accounts: int, editors: int, owners: int) -> None:
    emails = [f"sa{n}@bench.iam.gserviceaccount.com" for n in range(accounts)]
    bound = [
        {"member": f"serviceAccount:{e}", "member_type": "serviceAccount", "human": False, "role": "roles/editor",
         "resource": "projects/bench", "condition": None}
        for e in emails[:editors]
    ] + [
        {"member": f"user:owner{n}@example.com", "member_type": "user", "human": True, "role": "roles/owner",
         "resource": "projects/bench", "condition": None}
        for n in range(owners)
    ]  # fmt: skip
    identities = [
        Identity(uid=e, provider="gcp", account="bench", kind="service_account", name=e,
                 attributes={"impersonators": list(bound)})
        for e in emails
    ]  # fmt: skip
    started = time.perf_counter()
    add_people_through_accounts(identities, {}, ())
    seconds = time.perf_counter() - started
    entries = sum(len(i.attributes["impersonators"]) for i in identities)
    print(f"{accounts} accounts, {editors} editors, {owners} owners: {seconds:.2f} s, "
          f"{entries // accounts} impersonators per account")  # fmt: skip


def doubtful(accounts: int) -> None:
    emails = [f"sa{n}@bench.iam.gserviceaccount.com" for n in range(accounts)]
    every = "principalSet://cloudresourcemanager.googleapis.com/organizations/1/type/ServiceAccount"
    bound = [{"member": every, "role": "organizations/1/roles/unread"}]
    identities = [
        Identity(
            uid=e, provider="gcp", account="bench", kind="service_account", name=e, attributes={"impersonators": []}
        )
        for e in emails
    ]
    started = time.perf_counter()
    add_people_through_accounts(
        identities, {"organizations/1": emails}, {"organizations/1"}, dict.fromkeys(emails, bound)
    )
    print(f"{accounts} accounts, each bound to an unread role as one set: {time.perf_counter() - started:.2f} s")
    identities = [
        Identity(
            uid=e, provider="gcp", account="bench", kind="service_account", name=e, attributes={"impersonators": []}
        )
        for e in emails
    ]
    chain = {e: [{"member": f"serviceAccount:{after}", "role": "roles/unread"}] for e, after in pairwise(emails)}
    identities[-1].attributes["impersonators"] = [
        {"member": "user:mallory@example.com", "member_type": "user", "human": True, "role": "roles/owner"}
    ]
    started = time.perf_counter()
    add_people_through_accounts(identities, {}, (), chain)
    unknown = sum(1 for i in identities if i.attributes.get("impersonation_roles_not_read"))
    print(
        f"a chain of {accounts} accounts through unread roles: {time.perf_counter() - started:.2f} s, {unknown} unknown"
    )


if __name__ == "__main__":
    numbers = [int(a) for a in sys.argv[1:4]] or [20_000, 200, 20]
    main(*numbers)
    doubtful(numbers[0])
