"""Whether a workload identity provider's attribute condition (a CEL expression) names who may
sign in, or admits every token of its issuer all the same.

Google requires a condition on providers for GitHub and other shared issuers, and ``true`` or
``assertion.sub != ''`` meets the requirement while restricting nothing. The condition is read as
CEL joins it: every alternative of an ``||`` must name someone, and one part of an ``&&`` is
enough. A part names someone where it compares a claim that identifies a workload (the subject,
repository, project, owner …; not the issuer, audience, branch, environment, visibility or run
phase, which every repository has) with a value it must equal: ``==`` a non-empty literal, ``in``
a list of them, ``startsWith`` a prefix that holds, past a format's key, a whole name ended by a
separator (``repo:acme/``; ``repo:acme`` admits ``repo:acme-evil/…``), or ``matches`` a pattern
anchored at its start whose literal start does so, with no alternative outside a group. A
negated part (``!``, ``!=``), ``true``, comments and conditional expressions (the text's lines
are folded, so neither can be read), and anything else this reader does not know are read as
naming no one: a condition it cannot read is called open, which a reviewer can waive. Raw strings
(``r'…'``) hold no escapes, as in CEL.
"""

from __future__ import annotations

import re

MAX_LENGTH = 4096  # Google's limit; a longer text was not written by the API
MAX_NESTING = 32  # parentheses deeper than any condition a person writes are not read

_LITERAL = r"""(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")"""
_CLAIM = (  # assertion.sub, attribute.repository, assertion['oidc.circleci.com/project-id'], google.subject
    r"""(?:(?:assertion|attribute)(?:\.(?P<dotted>\w+)|\[\s*(?P<indexed>'[^'\\\]]+'|"[^"\\\]]+")\s*\])"""
    r"""|google\.(?P<google>subject))"""
)
_EQUALS = re.compile(
    rf"^(?:{_CLAIM}\s*==\s*(?P<right>{_LITERAL})|(?P<left>{_LITERAL})\s*==\s*{_CLAIM.replace('?P<', '?P<r_')})$"
)
_IN = re.compile(rf"^{_CLAIM}\s+in\s*\[\s*(?P<items>{_LITERAL}(?:\s*,\s*{_LITERAL})*)\s*,?\s*\]$")
_CALL = re.compile(rf"^{_CLAIM}\s*\.\s*(?P<method>startsWith|matches)\(\s*(?P<value>{_LITERAL})\s*\)$")
_ITEM = re.compile(_LITERAL)
# Claims that tell one repository, project or workload from another (by their names, in any
# provider's tokens and in the attributes a pool maps from them); a claim every workload of the
# issuer carries the same values of (a branch, an environment, a visibility, a run phase) does not
_IDENTIFYING = re.compile(
    r"sub|subject|repo|project|namespace|owner|workflow_ref|organi[sz]ation|workspace|pipeline_slug"
    r"|email|service_account|client_id|appid|oid|tid",
    re.IGNORECASE,
)
_NOT_IDENTIFYING = re.compile(r"visibility|phase|runner|environment|ref_type|protected|event|actor", re.IGNORECASE)
# past a format's key, a whole name ended by a separator (see _names_by_prefix)
_NAME_THEN_SEPARATOR = re.compile(r"^[^/:]+[/:]")
# The literal start of a regular expression: up to its first character with a meaning of its own
_REGEX_LITERAL = re.compile(r"(?:[^\\.^$|?*+()\[\]{}]|\\[^\w\s])*")
# What this reader does not read: comments (the text's lines are folded) and conditional expressions
_UNREAD = re.compile(r"//|\?")


def condition_names_someone(expression: str) -> bool:
    """Whether a provider's attribute condition admits only the workloads it names."""
    text = " ".join(expression.split())[:MAX_LENGTH]
    characters = _unquoted(text)
    if characters is None or _UNREAD.search("".join(character for _, character in characters)):
        return False
    return _names(text, 0)


def _names(text: str, depth: int) -> bool:
    text = text.strip()
    while _wrapped(text):
        text, depth = text[1:-1].strip(), depth + 1
    if depth > MAX_NESTING or not text:
        return False
    alternatives = _split(text, "||")
    if alternatives is None:
        return False
    if len(alternatives) > 1:
        return all(_names(part, depth + 1) for part in alternatives)
    parts = _split(text, "&&")
    if parts is None:
        return False
    if len(parts) > 1:
        return any(_names(part, depth + 1) for part in parts)
    return _compares(text)


def _compares(part: str) -> bool:
    """Whether one comparison admits only the values it names, of a claim that tells workloads apart."""
    if match := _EQUALS.match(part):
        claim = _claim(match) or _claim(match, "r_")
        return _identifying(claim) and len(match.group("right") or match.group("left")) > 2
    if match := _IN.match(part):
        return _identifying(_claim(match)) and all(len(item) > 2 for item in _ITEM.findall(match.group("items")))
    if match := _CALL.match(part):
        value = match.group("value")[1:-1]
        if not _identifying(_claim(match)):
            return False
        if match.group("method") == "startsWith":
            return _names_by_prefix(value)
        if not value.startswith("^") or "|" in _without_groups(value):
            return False  # unanchored, or an alternative outside a group admits what it likes
        literal = _REGEX_LITERAL.match(value, 1)
        prefix = re.sub(r"\\(.)", r"\1", literal.group(0)) if literal else ""
        return _names_by_prefix(prefix)
    return False


def _names_by_prefix(prefix: str) -> bool:
    """Whether every value starting with ``prefix`` is of one named owner, project or namespace:
    past a format's key (``repo:``, ``project_path:``, ``system:serviceaccount:``), a whole name
    ended by a separator (``repo:acme/``; ``repo:acme`` admits ``repo:acme-evil/…`` too)."""
    key, colon, rest = prefix.partition(":")
    if not colon or "/" in key:
        rest = prefix  # no format's key: acme/
    elif key == "system" and rest.startswith("serviceaccount:"):
        rest = rest.removeprefix("serviceaccount:")
    return bool(_NAME_THEN_SEPARATOR.match(rest))


def _without_groups(pattern: str) -> str:
    for _ in range(MAX_NESTING):
        pattern, found = _GROUP.subn("", pattern)
        if not found:
            break
    return pattern


_GROUP = re.compile(r"\([^()]*\)")


def _claim(match: re.Match[str], prefix: str = "") -> str | None:
    for name in ("dotted", "indexed", "google"):
        found = match.groupdict().get(prefix + name)
        if found:
            return found.strip("'\"")
    return None


def _identifying(claim: str | None) -> bool:
    return claim is not None and bool(_IDENTIFYING.search(claim)) and not _NOT_IDENTIFYING.search(claim)


def _wrapped(text: str) -> bool:
    """Whether the whole text is one parenthesised group: ``(a) && (b)`` is not."""
    characters = _unquoted(text)
    if characters is None or not (text.startswith("(") and text.endswith(")")):
        return False
    depth = 0
    for index, character in characters:
        depth += 1 if character == "(" else -1 if character == ")" else 0
        if depth == 0 and index < len(text) - 1:
            return False
    return depth == 0


def _split(text: str, operator: str) -> list[str] | None:
    """The parts of ``text`` joined by ``operator`` outside quotes and parentheses; None where the
    parentheses or quotes do not balance."""
    characters = _unquoted(text)
    if characters is None:
        return None
    parts, depth, start = [], 0, 0
    for index, character in characters:
        if character == "(":
            depth += 1
        elif character == ")":
            depth -= 1
            if depth < 0:
                return None
        elif depth == 0 and index >= start and text.startswith(operator, index):
            parts.append(text[start:index])
            start = index + len(operator)
    if depth != 0:
        return None
    parts.append(text[start:])
    return parts


def _unquoted(text: str) -> list[tuple[int, str]] | None:
    """The characters of ``text`` outside its quoted literals, with their places; None where a
    quote is left open."""
    found: list[tuple[int, str]] = []
    quote, escaped, raw = "", False, False
    for index, character in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif character == "\\" and not raw:
                escaped = True
            elif character == quote:
                quote = ""
        elif character in "'\"":
            quote = character
            raw = (
                index > 0
                and text[index - 1] in "rR"
                and (index < 2 or not (text[index - 2].isalnum() or text[index - 2] == "_"))
            )
            if raw:
                found.pop()  # the r of r'…' is the literal's, not a name's
        else:
            found.append((index, character))
    return None if quote else found


def _raw_prefix(text: str, quote_at: int) -> bool:
    """Whether the quote at ``quote_at`` opens a raw string (``r'…'``, ``R"…"``: no escapes in it):
    an ``r`` before it that is not the end of a name."""
    if quote_at == 0 or text[quote_at - 1] not in "rR":
        return False
    return quote_at < 2 or not (text[quote_at - 2].isalnum() or text[quote_at - 2] == "_")
