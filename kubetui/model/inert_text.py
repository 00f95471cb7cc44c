"""Make cluster text inert before anyone displays it.

Names, labels, messages and logs come from whoever can write to the cluster. Rich and
Textual strip only a few control characters, and ESC passes through to the terminal (see
../shared/STYLE.md "Untrusted text"), so a pod message holding ``ESC [ 2 J`` or an OSC 52
clipboard write would act on the operator's terminal. Records are cleaned once at ingest:
C0 controls (except newline and tab, which messages legitimately carry), DEL, C1 controls
and the Unicode bidi overrides are replaced by visible stand-ins. Rich markup is *not*
touched here: the UI never parses cluster text as markup (it builds ``Text``/``Content``).
"""

from __future__ import annotations

import re

# C0 except \t and \n, DEL, C1, and bidi embeddings/overrides/isolates (U+202A-U+202E,
# U+2066-U+2069) plus the invisible marks LRM/RLM/ALM (U+200E, U+200F, U+061C).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")

# The same characters as they can appear in raw JSON bytes: as a \uXXXX escape (the only
# legal form for C0 in JSON), or as raw UTF-8 for DEL, C1 (C2 80-9F) and the bidi marks.
_UNSAFE_JSON = re.compile(
    rb"\\u00[01][0-9a-fA-F]|\\u007[fF]|\\u00[89][0-9a-fA-F]|\\u200[eEfF]|\\u061[cC]"
    rb"|\\u202[a-eA-E]|\\u206[6-9]|\\[bfr]|\x7f|\xc2[\x80-\x9f]|\xd8\x9c"
    rb"|\xe2\x80[\x8e\x8f\xaa-\xae]|\xe2\x81[\xa6-\xa9]"
)


def _stand_in(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # Unicode "control pictures": ESC shows as ␛
    if code == 0x7F:
        return "\u2421"  # ␡
    return "\ufffd"


def inert(text: str) -> str:
    """Return ``text`` with every terminal-active character replaced by a visible one."""
    if text.isprintable():
        return text
    return _UNSAFE.sub(_stand_in, text)


def may_hold_unsafe_text(raw_json: bytes) -> bool:
    """Cheap pre-check on raw JSON: ``False`` proves no decoded string needs cleaning.

    One regex scan of the page bytes lets the common clean page skip the per-string walk.
    """
    return _UNSAFE_JSON.search(raw_json) is not None


def single_line(text: str) -> str:
    """Flatten an (already inert) multi-line message for a one-line table cell."""
    return " ".join(text.split()) if ("\n" in text or "\t" in text) else text
