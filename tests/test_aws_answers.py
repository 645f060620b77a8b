"""What an AWS endpoint answered with status 200 is read only where it is the API's document, as
botocore would parse it (tests/test_aws_faults.py serves a proxy's sign-in page for every call the
scan makes). A JSON answer behind a UTF-8 byte order mark was let through: botocore does not strip
the mark, reads no JSON and so an empty answer (no secrets, complete). An empty body is what AWS
sends for an operation with nothing to say, and botocore reads it as such. Checked against
botocore's own service models."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from botocore.parsers import ResponseParserError

from scanner.sources.aws.answers import refuse_what_is_not_an_answer

MODELS = botocore.session.get_session()


def answered(service: str, operation: str, body: bytes, status: int = 200) -> None:
    model = MODELS.get_service_model(service).operation_model(operation)
    response: dict[str, Any] = {"status_code": status, "body": body, "headers": {"content-type": "application/json"}}
    refuse_what_is_not_an_answer(operation_model=model, response_dict=response)


@pytest.mark.parametrize(
    "body",
    [
        b'\xef\xbb\xbf{"SecretList": []}',  # a byte order mark: botocore reads no JSON
        '{"SecretList": []}'.encode("utf-16"),
        b"<html><body>Sign in</body></html>",
        b'["SecretList"]',
    ],
    ids=["bom", "utf-16", "html", "not-an-object"],
)
def test_a_json_answer_botocore_would_not_read_is_refused(body: bytes) -> None:
    with pytest.raises(ResponseParserError, match="not an answer of the AWS API"):
        answered("secretsmanager", "ListSecrets", body)


@pytest.mark.parametrize("body", [b'{"SecretList": []}', b"  {}  ", b""], ids=["answer", "empty-object", "empty"])
def test_a_json_answer_botocore_reads_is_left_to_it(body: bytes) -> None:
    answered("secretsmanager", "ListSecrets", body)
    answered("bedrock", "GetModelInvocationLoggingConfiguration", body)


def test_a_query_answer_is_known_by_its_root_element() -> None:
    answer = b'<?xml version="1.0"?>\n<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
    answered("sts", "GetCallerIdentity", answer + b"</GetCallerIdentityResponse>")
    with pytest.raises(ResponseParserError):
        answered("sts", "GetCallerIdentity", b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"/>')


def test_an_error_status_is_left_to_botocore() -> None:
    answered("secretsmanager", "ListSecrets", b"<html>500</html>", status=500)
