"""A local AWS for tests: moto's server over real HTTP, behind a small front that names every
request by its operation (from botocore's own service models), counts it, answers the calls moto
lacks in the shapes of the API reference, and injects the faults real endpoints have.

moto 5.2 has no Bedrock action groups, agent knowledge bases, agent aliases or agent versions, no IAM
service-specific credentials, does not show an organisation trail to member accounts and shows
the organisation only to its management account; the front answers those from data the test
seeds. As AWS does, it refuses a member's GetTrailStatus/GetEventSelectors on the organisation
trail (CloudTrailARNInvalidException), and lets a CloudTrail delegated administrator read the
organisation and its trail as the management account does. Faults, by ``service:Operation`` (the IAM action
name, optionally ``@region``): ``deny`` (AccessDenied in the protocol's own error shape),
``throttle`` (N throttling errors), ``html500`` (an HTML page with status 500, as a proxy sends),
``html200`` (a proxy's sign-in page with status 200, as a captive or authenticating proxy sends),
``hang`` (accept the request and never answer), ``errors`` (the next answers: given AWS errors).
``regions_off`` (account -> opt-in regions it has not enabled): DescribeRegions, asked as that
account, leaves them out, and every call there is refused as AWS refuses a region not enabled
(UnrecognizedClientException, "The security token included in the request is invalid.").
Every answer the front makes up is kept in ``served`` so tests can check it against botocore's
parser and the service model.
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import botocore.session
from moto.iam.models import get_account_id_from
from moto.server import ThreadedMotoServer

_SCOPE = re.compile(r"Credential=([^/]+)/\d+/([\w-]+)/([\w-]+)/aws4_request")
_XML_NS = "https://iam.amazonaws.com/doc/2010-05-08/"
# What Werkzeug (Flask, moto) serves on an unhandled error; not XML, so the query parser fails.
HTML_SIGN_IN = (  # well-formed XHTML: an XML parser reads it without an error
    b'<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Sign in</title>'
    b"</head><body><form action='/login'><p>Sign in to continue to the internet</p></form></body></html>\n"
)
HTML_500 = (
    b"<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>\n"
    b"<p>The server encountered an internal error and was unable to complete your request.</p>\n"
)
# botocore service names behind each signing name (the service in a request's credential scope)
MODELS = {
    "bedrock": ("bedrock-agent", "bedrock"),
    "iam": ("iam",),
    "sts": ("sts",),
    "ec2": ("ec2",),
    "organizations": ("organizations",),
    "cloudtrail": ("cloudtrail",),
    "secretsmanager": ("secretsmanager",),
    "s3": ("s3",),
}


REGION_OFF = "The security token included in the request is invalid."


@dataclass
class FakeState:
    moto_port: int
    requests: Counter[str] = field(default_factory=Counter)  # "iam:ListUsers"
    by_region: Counter[str] = field(default_factory=Counter)  # "bedrock:ListAgents@us-east-1"
    # agent id (or "agent id/version") -> action group details (GetAgentActionGroup's agentActionGroup)
    action_groups: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    knowledge_bases: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    aliases: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # AgentAliasSummary items
    # agent id -> version -> GetAgentVersion's agentVersion
    agent_versions: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    # agent id -> GetAgent fields moto does not keep (guardrailConfiguration, memoryConfiguration), or
    # that a test sets after the agent was created (instruction, promptOverrideConfiguration)
    agent_fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    # access key id of the caller -> its account's Bedrock API keys (ListServiceSpecificCredentials)
    service_credentials: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    page_size: int = 100  # items per page of the lists the front answers
    org_trail: dict[str, Any] | None = None  # a trail (DescribeTrails shape) members see too
    # trail name -> GetTrailStatus fields moto does not keep (LatestDeliveryError: its bucket's refusal)
    trail_status: dict[str, dict[str, Any]] = field(default_factory=dict)
    listed_secrets: list[dict[str, Any]] = field(default_factory=list)  # added to ListSecrets' SecretList
    # CloudTrail delegated administrators (account -> ListDelegatedAdministrators item, which moto
    # cannot register for cloudtrail.amazonaws.com): they read the organisation and its trail as the
    # management account (whose access key is management_key) does
    delegated_admins: dict[str, dict[str, Any]] = field(default_factory=dict)
    org_readers: set[str] = field(default_factory=set)  # delegated administrators of other services
    management_key: str = "testing"
    deny: set[str] = field(default_factory=set)  # "iam:ListAccessKeys", "sts:AssumeRole:<account>"
    throttle: dict[str, int] = field(default_factory=dict)  # "iam:GetAccountAuthorizationDetails" -> times
    html500: set[str] = field(default_factory=set)
    html200: set[str] = field(default_factory=set)
    # a credential report IAM keeps from earlier (its CSV and GeneratedTime), served by GetCredentialReport
    kept_report: tuple[bytes, datetime] | None = None
    errors: dict[str, list[tuple[int, str, str]]] = field(default_factory=dict)  # call -> (status, code, message)
    hang: set[str] = field(default_factory=set)
    regions_off: dict[str, set[str]] = field(default_factory=dict)  # account -> opt-in regions not enabled
    served: list[tuple[str, int, dict[str, str], bytes]] = field(default_factory=list)  # made-up answers
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


@cache
def _model(name: str) -> Any:
    return botocore.session.get_session().get_service_model(name)


@cache
def _rest_routes(signing: str) -> list[tuple[str, re.Pattern[str], str, str]]:
    """(method, path pattern, model, operation) of the REST operations behind a signing name,
    most literal first, so /agents/{id}/agentaliases/ wins over /agents/{id}/."""
    routes = []
    for name in MODELS.get(signing, ()):
        model = _model(name)
        if model.protocol not in ("rest-json", "rest-xml"):
            continue
        for operation in model.operation_names:
            http = model.operation_model(operation).http
            uri = http["requestUri"].split("?")[0]
            pattern = re.sub(r"\\\{[^}]+\\\+\\\}", ".+", re.escape(uri))
            pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", pattern)
            routes.append((http["method"], re.compile(f"^{pattern}$"), name, operation))
    return sorted(routes, key=lambda r: -len(re.sub(r"\[\^/\]\+|\.\+", "", r[1].pattern)))


class _Front(BaseHTTPRequestHandler):
    state: FakeState
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_GET

    def _handle(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/_fake/requests":  # the counters, for a benchmark in another process
            with self.state.lock:
                return self._reply(200, json.dumps(dict(self.state.requests)).encode(), "application/json")
        scope = _SCOPE.search(self.headers.get("Authorization", ""))
        self.access_key, region, signing = scope.groups() if scope else ("", "", "unknown")
        self.region = region
        self.model, operation = self._operation(signing, body)
        call = f"{signing}:{operation}"
        with self.state.lock:
            self.state.requests[call] += 1
            self.state.by_region[f"{call}@{region}"] += 1
        faults = {call, f"{call}@{region}"}
        if faults & self.state.hang:
            self.state.release.wait(120)  # accepted, never answered
            self.close_connection = True
            return None
        if faults & self.state.html500:
            return self._reply(500, HTML_500, "text/html")
        if faults & self.state.html200:
            return self._reply(200, HTML_SIGN_IN, "text/html; charset=utf-8")
        if faults & self.state.deny or self._assume_denied(signing, operation, body):
            return self._error(403, "AccessDenied", f"User is not authorized to perform: {call}")
        if self._throttled(faults):
            return self._error(400, "Throttling", "Rate exceeded")
        queued = self._queued(faults)
        if queued is not None:
            return self._error(queued[0], queued[1], queued[2])
        if region in self.state.regions_off.get(get_account_id_from(self.access_key), ()):
            return self._error(400, "UnrecognizedClientException", REGION_OFF)
        self.forward_as: str | None = None
        refused = self._organization_view(signing, operation, body)
        if refused is not None:
            return self._error(400, "CloudTrailARNInvalidException", refused)
        made_up = self._made_up(operation, body)
        if made_up is not None:
            with self.state.lock:
                self.state.served.append((f"{self.model}:{operation}", 200, {}, made_up))
            return self._reply(200, made_up, "text/xml" if self.model == "iam" else "application/json")
        return self._forward(operation, body)

    def _operation(self, signing: str, body: bytes) -> tuple[str, str]:
        target = self.headers.get("X-Amz-Target")
        if target:
            return MODELS.get(signing, (signing,))[0], target.rsplit(".", 1)[-1]
        if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            return MODELS.get(signing, (signing,))[0], parse_qs(body.decode()).get("Action", ["?"])[0]
        path = self.path.split("?")[0]
        for method, pattern, model, operation in _rest_routes(signing):
            if method == self.command and pattern.match(path):
                return model, operation
        return signing, f"{self.command} {path}"

    def _throttled(self, faults: set[str]) -> bool:
        with self.state.lock:
            for call in faults:
                if self.state.throttle.get(call, 0) > 0:
                    self.state.throttle[call] -= 1
                    return True
        return False

    def _queued(self, faults: set[str]) -> tuple[int, str, str] | None:
        with self.state.lock:
            for call in faults:
                if self.state.errors.get(call):
                    return self.state.errors[call].pop(0)
        return None

    def _organization_view(self, signing: str, operation: str, body: bytes) -> str | None:
        """For a delegated administrator, read the organisation and its trail as the management
        account (``forward_as``); for another member, the refusal of the organisation trail."""
        trail = self.state.org_trail
        org_trail_read = (
            signing == "cloudtrail"
            and operation in ("GetTrailStatus", "GetEventSelectors")
            and trail is not None
            and json.loads(body or b"{}").get("Name" if operation == "GetTrailStatus" else "TrailName")
            == trail["TrailARN"]
        )
        if signing != "organizations" and not org_trail_read:
            return None
        caller = get_account_id_from(self.access_key)
        owner = trail["TrailARN"].split(":")[4] if trail else ""
        if org_trail_read and caller == owner:
            return None
        readers = self.state.delegated_admins.keys() | (self.state.org_readers if not org_trail_read else set())
        if caller in readers:
            self.forward_as = self.state.management_key
            return None
        if org_trail_read:
            return f"AccountID in ARN is wrong, you can only access resources with AccountID {caller}."
        return None

    def _assume_denied(self, signing: str, operation: str, body: bytes) -> bool:
        if (signing, operation) != ("sts", "AssumeRole"):
            return False
        arn = parse_qs(body.decode()).get("RoleArn", [""])[0]
        return any(f"sts:AssumeRole:{account}" in self.state.deny for account in re.findall(r"::(\d{12}):", arn))

    def _error(self, status: int, code: str, message: str) -> None:
        """An error in the shape the service's protocol uses (query XML, EC2 XML, JSON, REST)."""
        protocol = _model(self.model).protocol if self.model in _known_models() else "rest-json"
        text = escape(message)
        if protocol == "query":
            payload = (
                f'<ErrorResponse xmlns="{_XML_NS}"><Error><Type>Sender</Type><Code>{code}</Code>'
                f"<Message>{text}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>"
            )
            return self._reply(status, payload.encode(), "text/xml")
        if protocol == "ec2":
            payload = (
                f"<Response><Errors><Error><Code>{code}</Code><Message>{text}</Message></Error></Errors>"
                "<RequestID>r-1</RequestID></Response>"
            )
            return self._reply(status, payload.encode(), "text/xml")
        exception = {"AccessDenied": "AccessDeniedException", "Throttling": "ThrottlingException"}.get(code, code)
        if protocol == "json":
            payload = json.dumps({"__type": exception, "message": message})
            return self._reply(400, payload.encode(), "application/x-amz-json-1.1")
        status = 429 if code == "Throttling" else status
        return self._reply(status, json.dumps({"message": message}).encode(), "application/json", exception)

    # ------------------------------------------------------------------ answers moto lacks

    def _made_up(self, operation: str, body: bytes) -> bytes | None:
        if operation == "GetCredentialReport" and self.state.kept_report is not None:
            content, generated = self.state.kept_report
            return (  # the IAM API reference's shape
                '<GetCredentialReportResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
                f"<GetCredentialReportResult><Content>{base64.b64encode(content).decode()}</Content>"
                f"<ReportFormat>text/csv</ReportFormat><GeneratedTime>{generated:%Y-%m-%dT%H:%M:%SZ}"
                "</GeneratedTime></GetCredentialReportResult><ResponseMetadata><RequestId>"
                "29f47818-99f5-11e1-a4c3-27EXAMPLE804</RequestId></ResponseMetadata></GetCredentialReportResponse>"
            ).encode()
        path = self.path.split("?")[0].strip("/").split("/")
        agent = path[1] if len(path) > 1 else ""
        version = path[3] if len(path) > 3 else ""
        groups = self.state.action_groups.get(f"{agent}/{version}", self.state.action_groups.get(agent, []))
        request = json.loads(body) if body and self.model == "bedrock-agent" else {}
        if operation == "ListAgentActionGroups":
            items = [
                {k: g[k] for k in ("actionGroupId", "actionGroupName", "actionGroupState", "updatedAt") if k in g}
                for g in groups
            ]
            return self._json_page("actionGroupSummaries", items, request)
        if operation == "GetAgentActionGroup":
            found = [g for g in groups if g["actionGroupId"] == path[5]]
            detail = {"agentId": agent, "agentVersion": version, **found[0]} if found else None
            return json.dumps({"agentActionGroup": detail}).encode() if detail else None
        if operation == "ListAgentKnowledgeBases":
            return self._json_page("agentKnowledgeBaseSummaries", self.state.knowledge_bases.get(agent, []), request)
        if operation == "ListAgentAliases":
            return self._json_page("agentAliasSummaries", self.state.aliases.get(agent, []), request)
        if operation == "GetAgentVersion" and version in self.state.agent_versions.get(agent, {}):
            return json.dumps({"agentVersion": self.state.agent_versions[agent][version]}).encode()
        if operation == "ListDelegatedAdministrators" and self.model == "organizations":
            principal = json.loads(body or b"{}").get("ServicePrincipal")
            if principal == "cloudtrail.amazonaws.com":
                return json.dumps({"DelegatedAdministrators": list(self.state.delegated_admins.values())}).encode()
        if operation == "ListServiceSpecificCredentials":
            return self._service_credentials(parse_qs(body.decode()))
        return None

    def _json_page(self, key: str, items: list[dict[str, Any]], request: dict[str, Any]) -> bytes:
        start = int(request.get("nextToken") or 0)
        size = min(int(request.get("maxResults") or self.state.page_size), self.state.page_size)
        page: dict[str, Any] = {key: items[start : start + size]}
        if start + size < len(items):
            page["nextToken"] = str(start + size)
        return json.dumps(page).encode()

    def _service_credentials(self, query: dict[str, list[str]]) -> bytes:
        """ListServiceSpecificCredentials as the IAM API reference shows it, paged with Marker."""
        credentials = self.state.service_credentials.get(self.access_key, [])
        start = int(query.get("Marker", ["0"])[0])
        size = min(int(query.get("MaxItems", [self.state.page_size])[0]), self.state.page_size)
        members = "".join(
            "<member>"
            f"<UserName>{c['UserName']}</UserName><Status>{c.get('Status', 'Active')}</Status>"
            f"<ServiceUserName>{c['UserName']}-at-{c['ServiceSpecificCredentialId'][-4:]}</ServiceUserName>"
            f"<CreateDate>{c['CreateDate']}</CreateDate>"
            + (f"<ExpirationDate>{c['ExpirationDate']}</ExpirationDate>" if c.get("ExpirationDate") else "")
            + f"<ServiceSpecificCredentialId>{c['ServiceSpecificCredentialId']}</ServiceSpecificCredentialId>"
            "<ServiceName>bedrock.amazonaws.com</ServiceName></member>"
            for c in credentials[start : start + size]
        )
        more = start + size < len(credentials)
        paging = f"<IsTruncated>true</IsTruncated><Marker>{start + size}</Marker>" if more else ""
        return (
            f'<ListServiceSpecificCredentialsResponse xmlns="{_XML_NS}">'
            f"<ListServiceSpecificCredentialsResult><ServiceSpecificCredentials>{members}</ServiceSpecificCredentials>"
            f"{paging or '<IsTruncated>false</IsTruncated>'}</ListServiceSpecificCredentialsResult>"
            "<ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata>"
            "</ListServiceSpecificCredentialsResponse>"
        ).encode()

    # ------------------------------------------------------------------ moto

    def _reply(self, status: int, payload: bytes, content_type: str, error_type: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        if error_type:
            self.send_header("x-amzn-ErrorType", error_type)
        self.end_headers()
        self.wfile.write(payload)

    def _forward(self, operation: str, body: bytes) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.state.moto_port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
        headers["Host"] = self.headers.get("Host", "")
        if self.forward_as:  # moto names the caller's account by the access key it signed with
            headers = {k: v for k, v in headers.items() if k.lower() != "x-amz-security-token"}
            headers["Authorization"] = re.sub(
                r"Credential=[^/]+/", f"Credential={self.forward_as}/", headers["Authorization"]
            )
        connection.request(self.command, self.path, body=body, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        connection.close()
        if response.status == 200:
            payload = self._amend(operation, payload, body)
        self.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _amend(self, operation: str, payload: bytes, body: bytes) -> bytes:
        """What moto leaves out of an answer it gives: GetAgent's guardrail and memory, a trail's
        delivery error, and the organisation trail in a member account's DescribeTrails. As AWS documents
        (``includeShadowTrails``, default true), a member sees the organisation trail only among
        shadow trails, and a single-region one only in its home region. moto dates every
        credential report 2015-02-02T20:02:02Z; it makes the report's content when asked, so the
        answer is dated now, as IAM dates a report it has just generated."""
        if operation == "GetCredentialReport":
            now = datetime.now(UTC).strftime("<GeneratedTime>%Y-%m-%dT%H:%M:%SZ</GeneratedTime>").encode()
            return re.sub(rb"<GeneratedTime>[^<]*</GeneratedTime>", now, payload)
        off = self.state.regions_off.get(get_account_id_from(self.access_key), ())
        if operation == "DescribeRegions" and off:
            for item in re.findall(rb"<item>.*?</item>", payload, re.S):
                named = re.search(rb"<regionName>(.*?)</regionName>", item)
                if named is not None and named.group(1).decode() in off:
                    payload = payload.replace(item, b"")
            return payload
        if operation == "GetAgent":
            extra = self.state.agent_fields.get(self.path.split("?")[0].strip("/").split("/")[-1])
            if extra:
                document = json.loads(payload)
                document["agent"].update(extra)
                return json.dumps(document).encode()
        if operation == "ListSecrets" and self.state.listed_secrets:
            document = json.loads(payload)
            document.setdefault("SecretList", []).extend(self.state.listed_secrets)
            return json.dumps(document).encode()
        if operation == "GetTrailStatus":
            name = str(json.loads(body or b"{}").get("Name", "")).rsplit("/", 1)[-1]
            if name in self.state.trail_status:
                return json.dumps({**json.loads(payload), **self.state.trail_status[name]}).encode()
        if operation == "DescribeTrails" and self.state.org_trail is not None and self._shows_org_trail(body):
            document = json.loads(payload)
            trails = document.setdefault("trailList", [])
            if self.state.org_trail["TrailARN"] not in {t.get("TrailARN") for t in trails}:
                trails.append(self.state.org_trail)
                return json.dumps(document).encode()
        return payload

    def _shows_org_trail(self, body: bytes) -> bool:
        trail = self.state.org_trail or {}
        shadows = json.loads(body or b"{}").get("includeShadowTrails", True)
        return bool(shadows) and bool(trail.get("IsMultiRegionTrail") or trail.get("HomeRegion") == self.region)


@cache
def _known_models() -> frozenset[str]:
    return frozenset(name for names in MODELS.values() for name in names)


class FakeAws:
    """moto on 127.0.0.1 and the front before it; ``endpoint`` is what AWS_ENDPOINT_URL names."""

    def __init__(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.moto.start()
        _, moto_port = self.moto.get_host_and_port()
        self.state = FakeState(moto_port=moto_port)
        handler = type("Front", (_Front,), {"state": self.state})
        self.front = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.front.daemon_threads = True
        threading.Thread(target=self.front.serve_forever, daemon=True).start()
        self.endpoint = f"http://127.0.0.1:{self.front.server_address[1]}"

    def reset(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.state.moto_port, timeout=30)
        connection.request("POST", "/moto-api/reset")
        connection.getresponse().read()
        connection.close()
        self.state.release.set()  # let go of any request still hanging
        fresh = FakeState(moto_port=self.state.moto_port)
        for name in fresh.__dataclass_fields__:
            if name not in ("moto_port", "lock"):
                setattr(self.state, name, getattr(fresh, name))

    def environment(self) -> dict[str, str]:
        """The variables that point boto3 at this fake, with test credentials and no profile."""
        return {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_CONFIG_FILE": "/nonexistent",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        }

    def clear_faults(self) -> None:
        """No faults, nothing counted or served: the seeded estate stays as it is."""
        state = self.state
        state.kept_report = None
        for collection in (
            state.deny,
            state.throttle,
            state.html500,
            state.html200,
            state.hang,
            state.errors,
            state.regions_off,
        ):
            collection.clear()
        for counted in (state.requests, state.by_region, state.served):
            counted.clear()

    def stop(self) -> None:
        self.state.release.set()
        self.front.shutdown()
        self.moto.stop()
