"""Whether what an AWS endpoint answered with status 200 is the API's answer at all.

botocore reads a JSON service's answer that is not JSON as ``{"message": body}`` and a query
service's well-formed XHTML as an answer without its fields: a proxy's sign-in page with status
200 read as an empty estate, complete, and an AssumeRole answered so ended the scan in a KeyError.
The hook below, registered on every client, makes either a ResponseParserError, which the callers
record as a gap as they do an HTML 500.
"""

from __future__ import annotations

import json
import re
from typing import Any

from botocore.parsers import ResponseParserError

_JSON_PROTOCOLS = frozenset({"json", "rest-json"})
_QUERY_PROTOCOLS = frozenset({"query", "ec2"})
_XML_DECLARATION = re.compile(rb"\A\s*(?:<\?xml[^>]*\?>\s*)?")


def refuse_what_is_not_an_answer(operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
    """botocore's ``before-parse`` hook: a successful answer that is not the API's document raises
    ResponseParserError instead of being read. A JSON answer must be a JSON object in UTF-8 (or
    nothing, which botocore reads as an empty answer); a query answer's root element is
    ``<OperationResponse>``. Other protocols (rest-xml) are left to botocore."""
    status, body = response_dict.get("status_code", 0), response_dict.get("body")
    if not 200 <= status < 300 or not isinstance(body, bytes) or operation_model.has_streaming_output:
        return
    protocol = operation_model.service_model.resolved_protocol
    if protocol in _JSON_PROTOCOLS:
        if not body.strip():
            return  # nothing: botocore reads {} as AWS means it (an operation with nothing to say)
        try:  # as botocore decodes it: UTF-8 without a byte order mark (json.loads(bytes) guesses)
            answered = isinstance(json.loads(body.decode("utf-8")), dict)
        except ValueError:  # UnicodeDecodeError too
            answered = False
    elif protocol in _QUERY_PROTOCOLS:
        start = _XML_DECLARATION.match(body)
        root = f"<{operation_model.name}Response".encode()
        answered = start is not None and body.startswith(root, start.end())
    else:
        return
    if not answered:
        content_type = (response_dict.get("headers") or {}).get("content-type", "no content type")
        raise ResponseParserError(
            f"not an answer of the AWS API: status {status}, {content_type}, {len(body)} bytes (a proxy's page?)"
        )


def checked(client: Any) -> Any:
    """``client`` with the hook registered."""
    client.meta.events.register("before-parse", refuse_what_is_not_an_answer)
    return client
