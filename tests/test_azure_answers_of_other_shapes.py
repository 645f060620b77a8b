"""The azure source where Graph, ARM or Resource Graph answer 200 with no page of a collection in it
(what a proxy or a gateway in front of them sends: a JSON body of another shape, an HTML page),
and where a throttled service asks for a wait longer than the call's time. Read as empty lists,
such answers said the tenant held no app registrations or role assignments and every control
passed on that; an HTML 200 from Resource Graph stopped the whole tenant; a Retry-After of an hour
was slept out and the host then passed over as one that did not answer."""

from __future__ import annotations

import json
import time

from scanner.sources.azure.client import AzureCalls
from scanner.sources.azure.collector import collect_azure

from .azure_estate import PROD
from .azure_fake import FakeAzure, FakeCredential, fake_cloud

PAYMENTS_SP = "cccc0001-0000-4000-8000-000000000001"
PROXY_PAGE = b"<html><body><h1>Request accepted</h1></body></html>"


def scan(fake: FakeAzure):
    calls = AzureCalls(FakeCredential(), fake_cloud(fake, "public"))
    return collect_azure(FakeCredential(), None, calls, None)


def errors_of(inventory, account: str) -> list[tuple[str, str]]:
    source = next(s for s in inventory.sources if s.account == account)
    return [(e.call, e.code) for e in source.errors]


def test_a_graph_list_answered_without_a_value_list_is_a_gap_not_an_empty_tenant(fake_azure: FakeAzure) -> None:
    fake_azure.state.raw["/v1.0/applications"] = (200, b'{"status": "ok"}', "application/json")
    inventory = scan(fake_azure)
    tenant = fake_azure.state.tenant
    assert ("graph:applications", "malformed") in errors_of(inventory, tenant)
    assert next(s for s in inventory.sources if s.account == tenant).status == "partial"


def test_an_arm_list_answered_with_an_empty_body_is_a_gap(fake_azure: FakeAzure) -> None:
    path = f"/subscriptions/{PROD}/providers/Microsoft.Authorization/roleAssignments"
    fake_azure.state.raw[path] = (200, b"", "application/json")
    inventory = scan(fake_azure)
    assert ("arm:roleAssignments", "malformed") in errors_of(inventory, PROD)


def test_a_collection_inside_batch_answered_without_a_value_list_leaves_its_holder_unknown(
    fake_azure: FakeAzure,
) -> None:
    fake_azure.state.raw[f"/v1.0/servicePrincipals/{PAYMENTS_SP}/appRoleAssignments"] = (200, b"{}", "application/json")
    inventory = scan(fake_azure)
    payments = next(i for i in inventory.identities if i.uid == f"azure:sp:{PAYMENTS_SP}")
    assert "grants" in payments.unknown
    assert any(code == "malformed" for _, code in errors_of(inventory, fake_azure.state.tenant))


def test_an_html_page_from_resource_graph_is_a_gap_of_its_subscriptions_and_the_rest_is_read(
    fake_azure: FakeAzure,
) -> None:
    fake_azure.state.raw["/providers/Microsoft.ResourceGraph/resources"] = (200, PROXY_PAGE, "text/html")
    inventory = scan(fake_azure)
    assert any(code == "malformed" for _, code in errors_of(inventory, PROD))
    assert any(i.provider == "azure" for i in inventory.identities), "the tenant is read"


def test_a_retry_after_past_the_calls_time_is_a_throttled_gap_and_the_host_is_still_called(
    fake_azure: FakeAzure,
) -> None:
    fake_azure.state.throttle["/v1.0/oauth2PermissionGrants"] = 1
    fake_azure.state.retry_after = "3600"
    started = time.monotonic()
    inventory = scan(fake_azure)
    assert time.monotonic() - started < 120, "an hour's wait is not slept out"
    errors = errors_of(inventory, fake_azure.state.tenant)
    assert ("graph:oauth2PermissionGrants", "429") in errors
    assert not [call for call, code in errors if code == "unreachable"], "the host answers: nothing passed over"


def test_a_list_whose_next_link_comes_again_is_a_gap_not_an_endless_read(fake_azure: FakeAzure) -> None:
    again = f"{fake_azure.endpoint}/v1.0/applications?$skiptoken=again"
    page = json.dumps({"value": [], "@odata.nextLink": again}).encode()
    fake_azure.state.raw["/v1.0/applications"] = (200, page, "application/json")
    started = time.monotonic()
    inventory = scan(fake_azure)
    assert time.monotonic() - started < 60
    assert ("graph:applications", "pagination") in errors_of(inventory, fake_azure.state.tenant)


def test_a_batch_answered_without_its_responses_is_a_malformed_gap_not_a_throttled_one(fake_azure: FakeAzure) -> None:
    fake_azure.state.raw["/v1.0/$batch"] = (200, b'{"status": "ok"}', "application/json")
    inventory = scan(fake_azure)
    errors = errors_of(inventory, fake_azure.state.tenant)
    assert any(call.endswith("($batch)") and code == "malformed" for call, code in errors)
    assert not [code for _, code in errors if code == "429"], "nothing was throttled"
