"""Whether a workload identity provider's attribute condition (a CEL expression) names who may
sign in, or admits every token of its issuer all the same.

Google requires a condition on providers for GitHub and other shared issuers, and ``true`` or
``assertion.sub != ''`` meets the requirement while restricting nothing. A condition names someone
only where it compares an attribute with a value it must equal: ``==`` a non-empty literal, ``in``
a list of them, or ``startsWith``/``matches`` one. A condition that only excludes (``!=``, ``!``),
or that is joined by ``|| true``, admits everyone else. This reads the text, not CEL's grammar: a
condition it cannot see a positive comparison in is called open, which a reviewer can waive.
"""

from __future__ import annotations

import re

_LITERAL = r"""(?:'[^'\n]+'|"[^"\n]+")"""
_NAMES_A_VALUE = re.compile(
    rf"""(?:{_LITERAL}\s*==|(?<![!<>=])==\s*{_LITERAL}|\bin\s*\[\s*{_LITERAL}|\.(?:startsWith|matches)\(\s*{_LITERAL})"""
)
_ALWAYS_TRUE = re.compile(r"(?:\|\|\s*true\b|\btrue\s*\|\|)")


def condition_names_someone(expression: str) -> bool:
    """Whether a provider's attribute condition admits only the workloads it names."""
    text = " ".join(expression.split())
    if len(text) > 4096:  # Google's limit; a longer text was not written by the API
        text = text[:4096]
    return bool(_NAMES_A_VALUE.search(text)) and not _ALWAYS_TRUE.search(text)
