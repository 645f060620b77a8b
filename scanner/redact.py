"""The one redaction step at the model boundary: secrets never leave the source.

Every source hands its records to the model through ``sources.collect``, which passes them through
``redact_inventory`` before anything is evaluated, stored, printed or rendered. Each string in a
record (names, uids, URLs, commands, attributes, source error messages) loses the secret values it
carries: URL user-info, secret-named query parameters, ``NAME=VALUE`` / ``--flag VALUE`` pairs
whose name says secret, ``Authorization`` schemes, JSON carried in a string, connection strings and
well-known token formats. Then whatever the secret detector finds in the string as free text or as
a connection string (``password: X``, ``the token X``, ``Shared Access Key=X``) goes too, so what
the scanner would report as a secret is never shown; what the detector holds to be a reference, a
placeholder or a documentation example stays. The structure around a value stays, so a reader
still sees where it was. Error messages echoed to the terminal pass through ``redact_text`` too.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import re
from collections.abc import Callable
from operator import attrgetter
from typing import Any

import re2

from scanner.model import PERMISSION_ATTRIBUTES, Grant, Inventory
from scanner.secret_detection import (
    ENTRY_NAME_KEYS,
    ENTRY_VALUE_KEYS,
    MAX_SEARCHED_LENGTH,
    PERCENT_REFERENCE,
    SECRET_QUERY_NAMES,
    SETTING_QUERY_NAMES,
    TEMPLATE_REFERENCE,
    VARIABLE_REFERENCE,
    argument_secret_spans,
    enclosed_secret_spans,
    find_secret_given_to,
    named_by_entry,
    secret_spans,
)

REDACTED = "[REDACTED]"

_SECRET_WORD = (
    r"(?:password|passwd|pwd|secret|token|api[_\-]?key|apikey|access[_\-]?key|private[_\-]?key"
    r"|accountkey|sharedaccesskey|sharedaccesssignature|client[_\-]?secret|credentials?|auth|sig|signature"
    r"|session[_\-]?key)"
)
# A name in text: what comes before its secret word is bounded, or a search that may start at
# each "." of a long run ("a.a.a...") would look to its end from each, in quadratic time (40 KB: 2 minutes)
_SECRET_NAME = rf"(?:[\w.\-]{{0,64}}?{_SECRET_WORD})"
# A value that names a secret instead of holding it (${VAR}, $VAR, $env:VAR, <your-token>, {name},
# %VAR%, ${{ secrets.X }}) stays; "$" or "%" around what reads as a generated password
# ($Xk9mQ2pL7v, %Xk9mQ2pL7v%) does not make it one.
_REFERENCE = re.compile(
    rf"^(?:\$\{{[\w:.\-]+\}}?|{VARIABLE_REFERENCE}|<[^>]*>|\{{[\w.\-]+\}}|{PERCENT_REFERENCE}"
    rf"|{TEMPLATE_REFERENCE}|\[REDACTED\])$"
)

# Whole secrets in a known format, wherever they appear.
_TOKENS = re.compile(
    # PEM, and PGP's armour (PRIVATE KEY BLOCK); SSH2's ("---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----")
    r"-----BEGIN [A-Z ]*PRIVATE KEY(?: BLOCK)?-----(?:.|\n)*?(?:-----END [A-Z ]*PRIVATE KEY(?: BLOCK)?-----|$)"
    r"|---- BEGIN SSH2 [A-Z ]*PRIVATE KEY ----(?:.|\n)*?(?:---- END SSH2 [A-Z ]*PRIVATE KEY ----|$)"
    r"|\bsk-ant-[A-Za-z0-9_\-]{20,}"
    r"|\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{32,}"
    r"|\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}|\bgithub_pat_[A-Za-z0-9_]{40,}"
    r"|\bglpat-[A-Za-z0-9_\-]{20,}"
    r"|\bxox[abposr]-[A-Za-z0-9\-]{10,}"
    r"|\bAIza[0-9A-Za-z_\-]{35}"
    r"|\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}"
    r"|\bnpm_[A-Za-z0-9]{36}"
    r"|\bpypi-AgE[A-Za-z0-9_\-]{50,}"
    r"|\bhf_[A-Za-z0-9]{30,}"
    # a JWT begins a run of its characters, not after a "-" in one: else every "eyJ" of "eyJ-eyJ-…"
    # was searched to the run's end for its ".", and 128 KB took 4.8 s
    r"|(?<![\w-])eyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}"
)
# An AWS access key's id (or a service-specific credential's): it names the key, but is never shown
# whole; as its display_id shows it, AKIA…MPLE
_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b")
# scheme://user:password@host -> scheme://[REDACTED]@host
# up to the last "@" before the path: a password may hold "@", "?" and "#" (URL parsers take the last
# "@" before the host, libpq takes "#" and "?" unencoded); a scheme is short: bounded, linear
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]{0,31}://)([^\s/\"']+)@")
# ?api_key=VALUE&sig=VALUE ; connection strings (Password=VALUE;) ; --token=VALUE ; TOKEN=VALUE
_ASSIGNMENT = re.compile(rf"(?i)((?<![\w\-])-{{0,2}}{_SECRET_NAME}\s*=\s*)([^\s&;,#\"'<>]+)")
# --token VALUE
_FLAG_VALUE = re.compile(rf"(?i)((?<![\w\-])--?{_SECRET_NAME}\s+)([^\s\-][^\s;&,\"']*)")
# "token": "VALUE" (JSON carried inside a string)
_JSON_MEMBER = re.compile(rf"(?i)(\"{_SECRET_NAME}\"\s*:\s*\")([^\"]+)(\")")
# ?code=VALUE: a function key in a URL's query (Azure Functions), and the credentials a query names
# briefly (?pass=, ?pw=: SECRET_QUERY_NAMES), secrets the detectors name too
_QUERY_CODE = re.compile(r"(?i)([?&]code=)([^\s&#\"'<>]+)")
_QUERY_CREDENTIAL = re.compile(rf"(?i)([?&#](?:{SECRET_QUERY_NAMES})=)([^\s&#\"'<>]{{8,}})")
# (a word is a setting there, not a credential: ?access=readonly, ?session=stateless)
_QUERY_SETTING = re.compile(
    rf"(?i)([?&#](?:{SETTING_QUERY_NAMES})=)(?![A-Za-z_\-]+(?:[\s&#\"'<>]|$))([^\s&#\"'<>]{{8,}})"
)
# Authorization: Bearer VALUE / Basic VALUE
_SCHEME = re.compile(r"(?i)\b((?:bearer|basic)\s+)([A-Za-z0-9._~+/=\-]{8,})")
# Cheap first test: most strings (ids, names, kinds) contain none of these. After the forms above,
# a word that names a secret and a word of 8 characters or more after it ("password: X", "the key
# X", "password:X"; "Key Vault Secrets User" has none), "Bearer X" and the detector's token formats
# the forms above do not have (SendGrid, Twilio, Discord), a flag, and the programs that take a
# password by position or by a flag written /p:X
_MAYBE = re.compile(
    r'://|=|"|--|sk-|AIza|eyJ|xox|_pat_|gl[a-z]{2,6}-|GR1348941|hf_|npm_|pypi-|_live_|_test_|gh[oprsu]_|-----'
    r"|(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}"  # a key's whole id (not display_id's AKIA…WXYZ, on every key)
    r"|earer|EARER|asic|ASIC"
    r"|(?i:key|token|secret|password|passwd|pwd|credentials?)"
    r"(?:[\"'`.,;:!?()\[\]{}<>]*\s+(?:[:=>]{1,2}\s+)?|[\"']?:[\"']?)\S{8}"
    r"|(?i:bearer)\s+\S{20}"
    r"|SG\.|(?:AC|SK)[a-z0-9]{32}|[MNO][a-zA-Z0-9_-]{23,25}\.[a-zA-Z0-9_-]{6}\."
    r"|(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[0-9A-Z]{16}[\s:/,;|=-]+[A-Za-z0-9/+]{40}"  # an access key and its secret
    r"|(?:^|\s)-[A-Za-z]"  # a flag (-pass X), which the detector reads by its name
    # a program given a password by position or by /p:X (program_passwords; htpasswd needs -b)
    r"|(?i:sqlplus|expdp|impdp|dgmgrl|rabbitmqctl|\bmc(?:li)?(?:\.exe)?\s|/g?p:|[/-]g(?:ateway|w):)"
)


def _keep_references(match: re.Match[str]) -> str:
    value = match.group(2)
    # "[REDACTED]]", "'[REDACTED]": redacted already (a quoted value, its quotes kept)
    if _REFERENCE.match(value) or value.lstrip("'\"`").startswith(REDACTED):
        return match.group(0)
    return match.group(1) + REDACTED + (match.group(3) if match.lastindex and match.lastindex >= 3 else "")


def redact_text(text: str) -> str:
    """``text`` without the secret values it carries; one too long to search is not shown at all
    (see ``not_searched``)."""
    if len(text) < 8:
        return text
    if len(text) > MAX_SEARCHED_LENGTH:
        return not_searched(text)
    if not _MAYBE.search(text):
        return text
    # before the forms below cut them at their ";" or "&"
    text = without_spans(text, enclosed_secret_spans(text) + argument_secret_spans(text))
    text = _TOKENS.sub(REDACTED, text)
    text = _USERINFO.sub(lambda m: m.group(1) + REDACTED + "@", text)
    for pattern in (_JSON_MEMBER, _ASSIGNMENT, _QUERY_CODE, _QUERY_CREDENTIAL, _QUERY_SETTING, _FLAG_VALUE, _SCHEME):
        text = pattern.sub(_keep_references, text)
    return _KEY_ID.sub(_masked_key_id, _without_detected(text))


def key_ids_masked(text: str) -> str:
    """``text`` with every access key id in it as nhiscan shows one (a waiver's pattern naming a
    uid read before ids were masked names the masked uid)."""
    return _KEY_ID.sub(_masked_key_id, text)


def masked_key_id(key_id: str) -> str:
    """A key's id as nhiscan shows one: its first four and last four characters."""
    return f"{key_id[:4]}…{key_id[-4:]}" if len(key_id) > 8 else key_id


def _masked_key_id(match: re.Match[str]) -> str:
    return masked_key_id(match.group())


def not_searched(text: str) -> str:
    """What stands for a string longer than ``MAX_SEARCHED_LENGTH``: its length and a digest, so
    that two such uids stay apart, but nothing of the text, which was never searched for secrets."""
    global _not_shown_made
    _not_shown_made += 1
    digest = hashlib.blake2b(text.encode(errors="surrogatepass"), digest_size=8).hexdigest()
    return f"{_NOT_SHOWN}{len(text):,} characters, too long to search for secrets; blake2b {digest}]"


_not_shown_made = 0  # stand-ins made so far: a record's attributes are looked through only after one more


_NOT_SHOWN = "[NOT SHOWN: "


def _without_detected(text: str) -> str:
    """``text`` without the secrets the detector finds in it."""
    return without_spans(text, secret_spans(text))


def without_spans(text: str, found: list[tuple[int, int]]) -> str:
    """``text`` with each span replaced (overlapping spans merged)."""
    spans = sorted(found)
    if not spans:
        return text
    kept, end = [], 0
    for start, stop in spans:
        if start >= end:  # else it overlaps the span before, and is replaced with it
            kept.append(text[end:start] + REDACTED)
        end = max(end, stop)
    return "".join(kept) + text[end:]


def redact_value(value: Any) -> Any:
    """``value`` (a string, list, dict or record) with every string in it redacted; lists, dicts
    and records are changed in place."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str | list | dict) or hasattr(item, "__dataclass_fields__"):
                value[index] = redact_value(item)
    elif isinstance(value, dict):
        if not value:
            return value
        renamed = [key for key in value if isinstance(key, str) and redact_text(key) != key]
        for key in renamed:
            value[redact_text(key)] = value.pop(key)
        named_secret = _entry_names_a_secret(value)
        entry_name = named_by_entry(value)
        for key, item in value.items():
            says_secret = _names_a_secret(key) or (named_secret and key in ENTRY_VALUE_KEYS)
            if type(item) is str and item and says_secret and not _REFERENCE.match(item):
                value[key] = REDACTED  # {"password": "hunter2"}: the key says what the value is
            elif type(item) is str and item and _given_a_secret(key, item, entry_name):
                value[key] = REDACTED  # {"SMTP_PASS": "Xk9mQ2pL7v"}: as the detector reports it
            elif says_secret and isinstance(item, dict):
                value[key] = _named_secret_value(item)
            elif isinstance(item, str | list | dict) or hasattr(item, "__dataclass_fields__"):
                value[key] = redact_value(item)
    elif hasattr(value, "__dataclass_fields__") and not isinstance(value, type):
        _redact_record(value)
    return value


_SECRET_KEY = re.compile(rf"(?i)[\w.\-]*?{_SECRET_WORD}")  # a whole key, matched from its start alone


def _entry_names_a_secret(entry: dict[Any, Any]) -> bool:
    """Whether ``entry`` is a name and value pair whose name names a secret."""
    return any(_names_a_secret(entry.get(key)) for key in ENTRY_NAME_KEYS)


# an ARM expression ([listKeys(...).keys[0].value]) or an address (a Key Vault secret's URI): where
# the secret is, not the secret
_NAMES_WHERE_IT_IS = re.compile(r"^\[[A-Za-z]+\(.*\]$|^[a-z][a-z0-9+.-]*://[^\s@]*$", re.S)


def _named_secret_value(item: dict[Any, Any]) -> Any:
    """What a secret-named key holds when it is a mapping: its ``value`` is the secret (an ARM
    parameter file's ``{"adminPassword": {"value": "X"}}``); the rest is redacted as anything else is.
    A list stays a list of whatever it holds (``credentials: [uid, ...]``)."""
    for key in ENTRY_VALUE_KEYS & item.keys():
        given = item[key]
        if type(given) is str and given and not _REFERENCE.match(given) and not _NAMES_WHERE_IT_IS.match(given):
            item[key] = REDACTED
    return redact_value(item)


def _given_a_secret(key: Any, item: str, entry_name: str | None) -> bool:
    """Whether the detector reports ``item`` as the secret its key, or its entry's name, gives it
    (``SMTP_PASS``, ``PASSWORD_2``, ``HMAC_KEY``): names this module's own words leave out, so a
    value reported is never kept."""
    name = entry_name if entry_name is not None and key in ENTRY_VALUE_KEYS else key
    return isinstance(name, str) and find_secret_given_to(name, item) is not None


def _names_a_secret(key: Any) -> bool:
    """Whether a mapping's key names a secret (``password``, ``client_secret``, ``DB_PASSWORD``):
    its whole name ends in one of the secret words, as a tag, label or attribute would be named."""
    return isinstance(key, str) and _SECRET_KEY.fullmatch(key) is not None


def _redact_record(record: Any) -> None:
    grant = type(record) is Grant
    made = _not_shown_made
    for value in _values(record):
        if type(value) is not str and value:  # a non-empty list, dict or nested record
            _redact_field(value, grant)
    _redact_strings(record)
    if _not_shown_made != made:
        _not_shown_attributes_unknown(record)


def _redact_field(value: Any, of_grant: bool) -> None:
    """A record's list, dict or nested record, redacted in place. A grant's attributes that name
    permissions (PERMISSION_ATTRIBUTES) are not walked, as its actions are not (_NOT_VALUES)."""
    if not (of_grant and type(value) is dict):
        redact_value(value)
        return
    held = {key: value[key] for key in PERMISSION_ATTRIBUTES if type(value.get(key)) is list}
    for key in held:
        value[key] = []  # in its place, so the attributes keep their order
    redact_value(value)
    value.update(held)


def _redact_strings(record: Any, uids_changed: list[_UidChange] | None = None) -> None:
    """The record's own string fields, each without the secret values it carries. A field too long
    to search (``not_searched``) is unknown besides: what a control reads there is not the field.
    Each uid changed is added to ``uids_changed``."""
    for name in _field_names(type(record)):
        current = getattr(record, name)
        if type(current) is str and len(current) >= 8:
            redacted = _redacted_uid(current) if name in _UIDS else redact_text(current)
            if redacted is not current:
                object.__setattr__(record, name, redacted)
                if name in _UIDS and uids_changed is not None and redacted != current:
                    uids_changed.append((record, name, current, redacted))
                if len(current) > MAX_SEARCHED_LENGTH and name not in _UIDS:  # a uid stays the record's name
                    _mark_unknown(record, name)


def _mark_unknown(record: Any, name: str) -> None:
    unknown = getattr(record, "unknown", None)  # a source's status has no such list
    if unknown is not None and name not in unknown:
        unknown.append(name)


def _not_shown_attributes_unknown(record: Any) -> None:
    """Each of the record's attributes that is a string too long to search is unknown: what a
    control reads there (a URL, a command) is the stand-in, not the attribute."""
    attributes = getattr(record, "attributes", None)
    if type(attributes) is dict:
        for key, value in attributes.items():
            if _holds_not_shown(value):  # also inside a list or mapping (a trust's subject)
                _mark_unknown(record, f"attributes.{key}")
                if key == "trust":  # the identity's trust relation, which controls read whole
                    _mark_unknown(record, "trust")


def _holds_not_shown(value: Any) -> bool:
    pending = [value]
    while pending:
        item = pending.pop()
        if type(item) is str and item.startswith(_NOT_SHOWN):
            return True
        if type(item) is dict:
            pending.extend(item.values())
        elif type(item) is list:
            pending.extend(item)
    return False


def _redacted_uid(uid: str) -> str:
    """A uid (or a reference to one) without the secrets it carries. A source's uid glues a name to
    its holder and kind (``file#tool:NAME``, ``file#plaintext_secret:NAME.env.KEY``), where a
    secret the name holds is no longer read as one (``…#tool:rabbitmqctl`` names no program, and a
    URL after ``#`` is a fragment): the name is read apart, then the whole again."""
    holder, _, rest = uid.partition("#")
    kind, colon, name = rest.partition(":")
    if not colon or not name:
        return redact_text(uid)
    redacted = redact_text(f"{redact_text(holder)}#{kind}:{redact_text(name)}")
    return uid if redacted == uid else redacted


# a record's uid and the fields that name another record by its uid: redacted alike, so that they still match
_UIDS = frozenset({"uid", "identity_uid", "runs_as"})


# Names of permissions, resources and uncollected fields: the bulk of a cloud estate's strings (a
# policy lists hundreds of actions), so they are not walked with the rest; a grant's actions and
# resources are searched at once instead (_redact_permissions). A grant's capabilities are walked:
# an agent manifest declares its tools' as it likes, and a secret written there went out whole.
_NOT_VALUES = frozenset({"actions", "resources", "unknown", "created", "expires", "last_used"})


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(record_type: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(record_type)
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(record_type) if f.name not in _NOT_VALUES)
        _FIELD_NAMES[record_type] = names
    return names


def _values(record: Any) -> tuple[Any, ...]:
    """The values of the record's fields that may carry secrets, read at once."""
    getter = _VALUE_GETTERS.get(type(record))
    if getter is None:
        names = _field_names(type(record))
        read = attrgetter(*names)
        getter = _VALUE_GETTERS[type(record)] = read if len(names) > 1 else lambda r: (read(r),)
    values: tuple[Any, ...] = getter(record)
    return values


_VALUE_GETTERS: dict[type, Callable[[Any], tuple[Any, ...]]] = {}


def redact_inventory(inventory: Inventory) -> Inventory:
    """The inventory with every record's strings redacted (in place; returned for chaining)."""
    uids_changed: list[_UidChange] = []
    for name in ("accounts", "identities", "credentials", "grants", "agents", "log_sources", "sources"):
        records = getattr(inventory, name)
        for start in range(0, len(records), _RECORDS_AT_ONCE):
            _redact_records(records[start : start + _RECORDS_AT_ONCE], uids_changed)
    _keep_uids_apart(uids_changed)
    return inventory


_UidChange = tuple[Any, str, str, str]  # a record, its uid field, the uid as read, and redacted


def _keep_uids_apart(changed: list[_UidChange]) -> None:
    """Two uids that differ only in the secrets they carry (two folders named ``password=…``) are
    one once redacted: their agents merged, a secret of one was blamed on the other, and SARIF held
    two results of one fingerprint. Each but the first read is told apart by its number in the order
    read (``… (2)``), which says nothing of the secret; references to it (``identity_uid``,
    ``runs_as``) are numbered alike."""
    numbers: dict[str, dict[str, int]] = {}  # redacted -> each uid it stands for -> its number
    for _, _, original, redacted in changed:
        read = numbers.setdefault(redacted, {})
        read.setdefault(original, len(read) + 1)
    for record, name, original, redacted in changed:
        number = numbers[redacted][original]
        if number > 1:
            object.__setattr__(record, name, f"{redacted} ({number})")


_RECORDS_AT_ONCE = 2000


def _redact_records(records: list[Any], uids_changed: list[_UidChange]) -> None:
    """``_redact_record`` for each record, but the records' string fields are first searched all at
    once for anything that may be a secret; most estates' names and ids hold nothing of the kind,
    and then they are not searched one by one."""
    texts: list[str] = []
    for record in records:
        grant = type(record) is Grant
        for value in _values(record):
            if type(value) is str:
                texts.append(value)
            elif value:
                made = _not_shown_made
                _redact_field(value, grant)
                if _not_shown_made != made and value is getattr(record, "attributes", None):
                    _not_shown_attributes_unknown(record)
    # a string too long to search is never shown, whatever it holds
    if _longest(texts) > MAX_SEARCHED_LENGTH or _may_carry_secrets(texts):
        for record in records:
            _redact_strings(record, uids_changed)
    if records and type(records[0]) is Grant:
        _redact_permissions(records)


def _redact_permissions(grants: list[Grant]) -> None:
    """A grant's actions and resources (and the actions its attributes name) are not walked with
    its other strings: they are read by matching, and an estate holds millions. They are searched
    all at once, and where one carries a secret (an object key ``token=…``, a connection string a
    hand-written inventory put there), it is redacted like any string and the list it is in is
    unknown: what the controls would match it against is no longer what was read."""
    lists = [listed for grant in grants for listed in _permission_lists(grant)]
    texts = [text for listed in lists for text in listed if type(text) is str]
    other_items = sum(map(len, lists)) != len(texts)  # an object or list (a source's: the schema refuses one)
    naming = _naming_secrets(texts)
    if not (other_items or naming):
        return

    def redacted_once(listed: list[Any]) -> list[Any] | None:
        if all(type(item) is str and item not in naming for item in listed):
            return None
        return _redacted_list(listed, naming)

    for grant in grants:
        for name in ("actions", "resources"):
            redacted = redacted_once(getattr(grant, name))
            if redacted is not None:
                object.__setattr__(grant, name, redacted)
                _mark_unknown(grant, name)
        for key in PERMISSION_ATTRIBUTES:
            listed = grant.attributes.get(key)
            if type(listed) is list and (redacted := redacted_once(listed)) is not None:
                grant.attributes[key] = redacted
                _mark_unknown(grant, "actions")


def _longest(texts: list[str]) -> int:
    return max(map(len, texts), default=0)


def _naming_secrets(texts: list[str]) -> set[str]:
    """The texts for which ``_names_or_holds_a_secret`` holds, found by one pass of RE2 over them
    all (joined by NUL, which no match spans) instead of one search per text: a large estate's
    permissions and resources are hundreds of thousands of texts, of which few name a secret."""
    apart = {text for text in texts if len(text) > MAX_SEARCHED_LENGTH or "\x00" in text}
    found = {text for text in apart if _names_or_holds_a_secret(text)}
    try:
        joined = "\x00".join(text for text in texts if text not in apart).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, which RE2 cannot read: text by text
        return {text for text in texts if _names_or_holds_a_secret(text)}
    position = 0
    while (match := _PERMISSION_MAYBE_IN_ONE.search(joined, position)) is not None:
        start = joined.rfind(b"\x00", 0, match.start()) + 1
        end = joined.find(b"\x00", match.end())
        end = len(joined) if end < 0 else end
        found.add(joined[start:end].decode("utf-8"))
        position = end
    return found


def _permission_lists(grant: Grant) -> list[list[Any]]:
    """The lists of actions and resources a grant holds: its own, and those its attributes name."""
    named = [grant.attributes.get(key) for key in PERMISSION_ATTRIBUTES]
    return [grant.actions, grant.resources, *(listed for listed in named if type(listed) is list)]


def _redacted_list(listed: list[Any], naming: set[str]) -> list[Any] | None:
    """The list with each string that may carry a secret (``naming`` holds it) redacted, or None
    when none carried any."""
    redacted = [
        (redact_text(item) if item in naming else item) if type(item) is str else _redacted_copy(item)
        for item in listed
    ]
    return None if redacted == listed else redacted


def _redacted_copy(item: Any) -> Any:
    """A value in a permission list that is no string (an object or list a source handed over; an
    inventory file's schema refuses one) redacted as any value is, the list keeping the original
    unless something was redacted."""
    if not isinstance(item, list | dict):
        return item
    copied = copy.deepcopy(item)
    return redact_value(copied)


# what may carry a secret in a permission's name or a resource: a secret's word, user-info in a URL,
# a known token's prefix. Narrower than _MAYBE, whose "NAME=" matches every data lake's partitioned
# paths (…/dt=2024-01-01/*): redacting each of them took 200 times as long, for nothing
_PERMISSION_MAYBE = (
    r"(?i:pass|pwd|secret|token|key|auth|sig|credential|bearer|session|://[^/ \t\r\n]*@)"
    r"|ghp_|gho_|ghs_|ghu_|github_pat_|glpat-|xox[abprs]-|sk-|sk_live|rk_live|AKIA|ASIA|ABIA|ACCA|AIza|eyJ"
)


def _names_or_holds_a_secret(text: str) -> bool:
    return len(text) > MAX_SEARCHED_LENGTH or _found_in_any(_PERMISSION_MAYBE_ANYWHERE, [text])


def _may_carry_secrets(texts: list[str]) -> bool:
    """Whether ``_MAYBE`` matches inside one of ``texts``."""
    return _found_in_any(_MAYBE_ANYWHERE, texts)


def _found_in_any(pattern: Any, texts: list[str]) -> bool:
    """Whether the RE2 ``pattern`` matches inside one of ``texts``: one linear-time search over all
    of them joined by NUL. A match spanning two (user-info's ``://…@`` runs over NUL) says yes where
    none may be, which only leads to the texts being searched one by one."""
    try:
        return pattern.search("\x00".join(texts)) is not None
    except UnicodeEncodeError:  # a lone surrogate, which RE2 cannot read: search text by text
        return True


def _linear_time(pattern: re.Pattern[str]) -> Any:
    """``pattern`` for RE2, ``\\s`` and ``\\S`` meaning what they mean to Python (RE2's are ASCII
    only: a name written "password", no-break space, secret was never searched; the pattern holds
    them outside character classes only)."""
    options = re2.Options()
    options.log_errors = False
    text = pattern.pattern.replace(r"\s", f"[{_PYTHON_SPACE}]").replace(r"\S", f"[^{_PYTHON_SPACE}]")
    return re2.compile(text, options)


# what str.isspace() holds, and so Python's \s: the Unicode separators and eight control characters
_PYTHON_SPACE = r"\t\n\v\f\r\x1c-\x1f\x85\p{Z}"


_MAYBE_ANYWHERE = _linear_time(_MAYBE)
_PERMISSION_MAYBE_ANYWHERE = _linear_time(re.compile(_PERMISSION_MAYBE))
# the same for texts joined by NUL whose matches must each lie in one text: user-info stops at NUL
_PERMISSION_MAYBE_IN_ONE = _linear_time(re.compile(_PERMISSION_MAYBE.replace(r"[^/ \t\r\n]", r"[^/ \t\r\n\x00]")))
assert _PERMISSION_MAYBE_IN_ONE.pattern != _PERMISSION_MAYBE_ANYWHERE.pattern
