"""A local AWS for tests: moto's server over real HTTP, behind a small front that counts requests,
answers the calls moto lacks with their documented shapes, and can refuse chosen calls.

moto 5.2 has no Bedrock action groups or agent knowledge bases and no IAM service-specific
credentials; the front answers those from ``extra`` data seeded by the test. Everything else is
forwarded to moto unchanged. ``deny`` makes the front answer chosen calls with AccessDenied, the
way AWS refuses a call (or an AssumeRole into one account).
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from moto.server import ThreadedMotoServer

_SERVICE = re.compile(r"Credential=[^/]+/\d+/([\w-]+)/([\w-]+)/aws4_request")
_ACTION_GROUPS = re.compile(r"^/agents/([^/]+)/agentversions/DRAFT/actiongroups/(?:([^/]+)/)?$")
_KNOWLEDGE_BASES = re.compile(r"^/agents/([^/]+)/agentversions/DRAFT/knowledgebases/$")
_ACCESS_KEY = re.compile(r"Credential=([^/]+)/")
_AGENT = re.compile(r"^/agents/([^/]+)/$")
_THROTTLED = (
    b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
    b"<Message>Rate exceeded</Message></Error></ErrorResponse>"
)


@dataclass
class FakeState:
    moto_port: int
    requests: Counter[str] = field(default_factory=Counter)
    # agent id -> list of action group details (GetAgentActionGroup's agentActionGroup shape)
    action_groups: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    knowledge_bases: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # agent id -> GetAgent fields moto does not keep (guardrailConfiguration, memoryConfiguration)
    agent_fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    # access key id of the caller -> its account's Bedrock API keys (ListServiceSpecificCredentials)
    service_credentials: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    deny: set[str] = field(default_factory=set)  # "iam:ListAccessKeys", "sts:AssumeRole:<account>"
    throttle: dict[str, int] = field(default_factory=dict)  # "iam:GetAccountAuthorizationDetails" -> times
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Front(BaseHTTPRequestHandler):
    state: FakeState
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def _handle(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        match = _SERVICE.search(self.headers.get("Authorization", ""))
        service = match.group(2) if match else "unknown"
        action = self._action(service, body)
        with self.state.lock:
            self.state.requests[f"{service}:{action}"] += 1
        if self._refused(service, action, body):
            return self._deny(service, action)
        if self._throttled(f"{service}:{action}"):
            return self._reply(400, _THROTTLED, "text/xml")
        if service == "bedrock" and self._bedrock_extra():
            return None
        if service == "iam" and action == "ListServiceSpecificCredentials":
            return self._service_credentials()
        agent = _AGENT.match(self.path.split("?")[0]) if service == "bedrock" and self.command == "GET" else None
        return self._forward(body, self.state.agent_fields.get(agent.group(1)) if agent else None)

    def _action(self, service: str, body: bytes) -> str:
        target = self.headers.get("X-Amz-Target")
        if target:
            return target.rsplit(".", 1)[-1]
        if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            return parse_qs(body.decode()).get("Action", ["?"])[0]
        return f"{self.command} {self.path.split('?')[0]}"

    def _throttled(self, call: str) -> bool:
        with self.state.lock:
            remaining = self.state.throttle.get(call, 0)
            if remaining:
                self.state.throttle[call] = remaining - 1
            return remaining > 0

    def _refused(self, service: str, action: str, body: bytes) -> bool:
        if f"{service}:{action}" in self.state.deny:
            return True
        if service == "sts" and action == "AssumeRole":
            arn = parse_qs(body.decode()).get("RoleArn", [""])[0]
            return any(f"sts:AssumeRole:{account}" in self.state.deny for account in re.findall(r"::(\d{12}):", arn))
        return False

    def _deny(self, service: str, action: str) -> None:
        message = f"User is not authorized to perform: {service}:{action}"
        if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            payload = (
                "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                f"<Message>{message}</Message></Error><RequestId>r</RequestId></ErrorResponse>"
            ).encode()
            self._reply(403, payload, "text/xml")
        else:
            self._reply(403, json.dumps({"message": message}).encode(), "application/json", "AccessDeniedException")

    def _bedrock_extra(self) -> bool:
        path = self.path.split("?")[0]
        groups = _ACTION_GROUPS.match(path)
        if groups and groups.group(2) is None and self.command == "POST":
            summaries = [
                {
                    "actionGroupId": g["actionGroupId"],
                    "actionGroupName": g["actionGroupName"],
                    "actionGroupState": "ENABLED",
                }
                for g in self.state.action_groups.get(groups.group(1), [])
            ]
            self._json({"actionGroupSummaries": summaries})
            return True
        if groups and groups.group(2) is not None and self.command == "GET":
            found = [
                g for g in self.state.action_groups.get(groups.group(1), []) if g["actionGroupId"] == groups.group(2)
            ]
            self._json({"agentActionGroup": found[0]})
            return True
        bases = _KNOWLEDGE_BASES.match(path)
        if bases and self.command == "POST":
            self._json({"agentKnowledgeBaseSummaries": self.state.knowledge_bases.get(bases.group(1), [])})
            return True
        return False

    def _service_credentials(self) -> None:
        members = "".join(
            "<member>"
            f"<UserName>{c['UserName']}</UserName><Status>{c.get('Status', 'Active')}</Status>"
            f"<ServiceUserName>{c['UserName']}-at-1</ServiceUserName>"
            f"<CreateDate>{c['CreateDate']}</CreateDate>"
            f"<ServiceSpecificCredentialId>{c['ServiceSpecificCredentialId']}</ServiceSpecificCredentialId>"
            "<ServiceName>bedrock.amazonaws.com</ServiceName></member>"
            for c in self.state.service_credentials.get(self._access_key(), [])
        )
        payload = (
            '<ListServiceSpecificCredentialsResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
            f"<ListServiceSpecificCredentialsResult><ServiceSpecificCredentials>{members}</ServiceSpecificCredentials>"
            "<IsTruncated>false</IsTruncated></ListServiceSpecificCredentialsResult>"
            "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ListServiceSpecificCredentialsResponse>"
        ).encode()
        self._reply(200, payload, "text/xml")

    def _access_key(self) -> str:
        match = _ACCESS_KEY.search(self.headers.get("Authorization", ""))
        return match.group(1) if match else ""

    def _json(self, data: Any) -> None:
        self._reply(200, json.dumps(data).encode(), "application/json")

    def _reply(self, status: int, payload: bytes, content_type: str, error_type: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        if error_type:
            self.send_header("x-amzn-ErrorType", error_type)
        self.end_headers()
        self.wfile.write(payload)

    def _forward(self, body: bytes, agent_fields: dict[str, Any] | None = None) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.state.moto_port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
        headers["Host"] = self.headers.get("Host", "")
        connection.request(self.command, self.path, body=body, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        if agent_fields and response.status == 200:
            document = json.loads(payload)
            document["agent"].update(agent_fields)
            payload = json.dumps(document).encode()
        self.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        connection.close()


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
        self.state.requests.clear()
        self.state.action_groups.clear()
        self.state.knowledge_bases.clear()
        self.state.service_credentials.clear()
        self.state.agent_fields.clear()
        self.state.deny.clear()
        self.state.throttle.clear()

    def stop(self) -> None:
        self.front.shutdown()
        self.moto.stop()
