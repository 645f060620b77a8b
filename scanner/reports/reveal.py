"""Characters a report shows as visible code points (``⟦U+001B⟧``) instead of writing them: C0 and
C1 control characters but tab and line breaks (a terminal showing the file would run an escape
sequence: clear the screen, set its title), and bidirectional controls and invisible marks, which
make a name read as something else ("gpj.exe" shown as "exe.jpg"), Unicode tags among them (text
hidden in them reads as nothing); a code point beyond U+FFFF as ``⟦U+E0065⟧``."""

from __future__ import annotations

import re

# invisible marks, line separators, bidirectional controls and Unicode tags, as a character class's
# inside: the terminal (scanner.console), the reports and the HTML's data island all keep them out
INVISIBLE = "\xad\u061c\u180e\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u206f\ufeff\U000e0000-\U000e007f"
_HIDDEN_CHARACTERS = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{INVISIBLE}]")


def reveal(text: object) -> str:
    return _HIDDEN_CHARACTERS.sub(lambda m: f"⟦U+{ord(m.group()):04X}⟧", str(text))
