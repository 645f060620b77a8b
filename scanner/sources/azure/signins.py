"""When service principals and their credentials were last used, from Entra's usage reports.

- ``reports/servicePrincipalSignInActivities`` (beta, Entra ID P1): per application, the last
  sign-in as a *client* (``applicationAuthenticationClientSignInActivity``: app-only tokens;
  ``delegatedClientSignInActivity``: on behalf of a user). ``lastSignInActivity`` also counts
  being called as a *resource*, which says nothing about whether the principal's own credentials
  are used, so it is not read. A service principal the report does not list has not signed in
  as a client. Microsoft documents that during the preview a reported time may be a partial or
  incomplete sign-in, not one that succeeded: the principal's last successful use is no later, so
  the time is recorded with ``last_used_counts_attempts`` (an idle principal fails; a recent time
  does not pass). Managed identity sign-ins are logged apart (the managed identity sign-in log), and
  the report is not documented to list them: an unlisted managed identity's last use is unknown,
  never "never".
- ``reports/appCredentialSignInActivities`` (beta): per credential (``keyId``), the last sign-in
  with it. With the report, a client secret or certificate it does not list has not been used.

Both reports exist in the global service only. Without the licence they are ``None`` (last use
unknown, no gap); refused for another reason they are a gap as well.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scanner.model import COUNTS_ATTEMPTS, Credential, Identity
from scanner.sources.azure.client import AzureCalls
from scanner.sources.azure.records import malformed, timestamp

CLIENT_ACTIVITIES = ("applicationAuthenticationClientSignInActivity", "delegatedClientSignInActivity")


@dataclass(slots=True)
class SignIns:
    by_app: dict[str, datetime | None] | None = None  # appId -> last client sign-in (None: listed, never)
    by_key: dict[str, datetime | None] | None = None  # keyId -> last sign-in with that credential
    malformed: list[str] = field(default_factory=list)


def read_sign_ins(calls: AzureCalls, tenant: str) -> SignIns:
    found = SignIns()
    if not calls.cloud.sign_in_reports:
        return found
    activities = _report(calls, "servicePrincipalSignInActivities", tenant)
    if activities is not None:
        found.by_app = {}
        for activity in activities:
            found.by_app[str(activity.get("appId"))] = _latest(activity, CLIENT_ACTIVITIES, found.malformed)
    credentials = _report(calls, "appCredentialSignInActivities", tenant)
    if credentials is not None:
        found.by_key = {}
        for activity in credentials:
            key = str(activity.get("keyId"))
            last = _latest(activity, ("signInActivity",), found.malformed)
            earlier = found.by_key.get(key)
            found.by_key[key] = max((t for t in (earlier, last) if t is not None), default=None)
    return found


def _report(calls: AzureCalls, name: str, tenant: str) -> list[dict[str, Any]] | None:
    return calls.graph_list(f"/beta/reports/{name}?$top=999", f"graph:{name}", tenant, optional=True)


def _latest(activity: dict[str, Any], fields: tuple[str, ...], problems: list[str]) -> datetime | None:
    times = []
    for name in fields:
        entry = activity.get(name) or {}
        if isinstance(entry, dict):
            bad = malformed(entry, "lastSignInDateTime")
            if bad:
                problems.append(f"{name}.lastSignInDateTime = {bad['lastSignInDateTime']!r}")
            elif entry.get("lastSignInDateTime"):
                times.append(timestamp(entry["lastSignInDateTime"]))
    return max((t for t in times if t is not None), default=None)


def apply_to_principal(identity: Identity, sign_ins: SignIns) -> None:
    """Sets the principal's last use as a client, or leaves it unknown."""
    if sign_ins.by_app is None:
        return
    app_id = str(identity.attributes.get("app_id"))
    if app_id in sign_ins.by_app:
        identity.last_used = sign_ins.by_app[app_id]
        if identity.last_used is not None:
            identity.attributes[COUNTS_ATTEMPTS] = True
    elif identity.kind == "managed_identity":
        return  # managed identities are not documented to appear in this report
    else:
        identity.last_used = None  # listed activity, and none as a client for this one: never
    identity.unknown = [u for u in identity.unknown if u != "last_used"]
    identity.attributes["last_used_source"] = "servicePrincipalSignInActivities (as a client)"


def apply_to_credentials(credentials: list[Credential], sign_ins: SignIns) -> None:
    """Sets each secret's and certificate's last use from the per-credential report."""
    if sign_ins.by_key is None:
        return
    for credential in credentials:
        if credential.kind not in ("client_secret", "certificate"):
            continue
        credential.last_used = sign_ins.by_key.get(str(credential.attributes.get("key_id")))
        credential.unknown = [u for u in credential.unknown if u != "last_used"]
        credential.attributes["last_used_source"] = "appCredentialSignInActivities"
